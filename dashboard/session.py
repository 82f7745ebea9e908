"""Who is using the dashboard: login, the session's user, and the role checks pages make.

Three ways in, in this order:

1. **OIDC** (`st.login`) when `.streamlit/secrets.toml` has an `[auth]` section: the identity
   provider proves who the user is; their e-mail is looked up in the users file for the role.
   An e-mail the file does not know gets no role (an admin adds it: `collections users add
   NAME --role ROLE --email E`).
2. **Demo** (`COLLECTIONS_DEMO_USER`, set by `collections demo` only): every session starts
   signed in as that user of the users file, so `make demo` opens straight into a working
   session. Signing out shows the login form.
3. **Local users file** (`users.json` beside the warehouse; `warehouse.users`): a login form.

Without OIDC and without a users file (a warehouse nobody has set users up for) the session is a
read-only `viewer`: every reading page, no action.

The role decides the navigation (`dashboard/app.py`), what each page draws (`require_page`), and
every action is checked again where it is performed (`warehouse.app_store`,
`warehouse.workbench.run_as`), so a hidden button is never the only guard.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import streamlit as st

from dashboard.i18n import t
from warehouse.app import access
from warehouse.app.access import User
from warehouse.app.store import AppStore
from warehouse.app.users import UsersFile, users_path
from warehouse.config import warehouse_path

USER_KEY = "user"
DEMO_ENV = "COLLECTIONS_DEMO_USER"
SIGNED_OUT_KEY = "_signed_out"


def db_path() -> Path:
    return warehouse_path().resolve()


def store() -> AppStore:
    return AppStore.beside(db_path())


def saved_version() -> int | None:
    """The settings version in force in the app store, None when there is none or the store
    cannot be opened (a read-only folder: the reading pages still work)."""
    try:
        found = store().in_force()
    except (OSError, sqlite3.Error):
        return None
    return None if found is None else found.version


def users_file() -> UsersFile:
    return UsersFile(users_path(db_path()))


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> User | None:
    return st.session_state.get(USER_KEY)


def _oidc_user() -> User | None:
    if not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    record = users_file().by_email(str(email) if email else None)
    if record is None:
        return None
    return User(record.username, record.role, record.display_name or str(email), "oidc")


def sign_in() -> User | None:
    """The session's user, signing them in if a way is configured; None while nobody is."""
    user = current_user()
    if user is not None:
        return user
    if oidc_configured():
        user = _oidc_user()
    elif not st.session_state.get(SIGNED_OUT_KEY) and os.environ.get(DEMO_ENV):
        record = users_file().get(os.environ[DEMO_ENV])
        user = record.user("demo") if record else None
    elif not users_file().path.exists():
        user = User("viewer", access.VIEWER, t("auth.viewer_name"), "none")
    if user is not None:
        st.session_state[USER_KEY] = user
    return user


def login_page() -> None:
    """The sign-in screen (drawn by the router when nobody is signed in)."""
    st.title(t("auth.title"))
    if oidc_configured():
        if st.user.is_logged_in:
            st.error(t("auth.unknown_email", email=st.user.get("email") or "?"))
            st.button(t("auth.sign_out"), on_click=st.logout)
        else:
            st.button(t("auth.sign_in_oidc"), on_click=st.login, type="primary")
        return
    with st.form("login"):
        username = st.text_input(t("auth.username"), key="login_username")
        password = st.text_input(t("auth.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        user = users_file().authenticate(username.strip(), password)
        if user is None:
            store().audit(None, "login", allowed=False, detail=f"failed for {username.strip()!r}")
            st.error(t("auth.failed"))
        else:
            st.session_state[USER_KEY] = user
            store().audit(user, "login", allowed=True)
            st.rerun()
    if os.environ.get(DEMO_ENV):
        st.caption(t("auth.demo_hint"))


def sign_out() -> None:
    user = current_user()
    st.session_state.pop(USER_KEY, None)
    st.session_state[SIGNED_OUT_KEY] = True
    if user is not None and user.via == "oidc":
        st.logout()


def user_badge(user: User) -> None:
    with st.sidebar:
        st.caption(t("auth.signed_in_as", name=user.label, role=t(f"role.{user.role}")))
        if user.via != "none":
            st.button(t("auth.sign_out"), on_click=sign_out, key="sign_out")


def require_page(page: str) -> User:
    """The user, when their role may see `page`; otherwise the page says so and stops."""
    user = current_user()
    try:
        return access.require_page(user, page)
    except access.Forbidden:
        st.error(t("auth.page_forbidden"), icon=":material/lock:")
        st.stop()
        raise  # unreachable: st.stop ends the run


def can(action: str) -> bool:
    return access.can(current_user(), action)
