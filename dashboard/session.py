"""Who is using the dashboard: sign-in, the session's user, and the role checks pages make.

The ways in, in this order:

1. **OIDC** (`st.login`) when `.streamlit/secrets.toml` has an `[auth]` section: the identity
   provider proves who the user is; their e-mail is looked up in the users file for the role.
   An e-mail the file does not know gets no role (an admin adds it: `collections users add
   NAME --role ROLE --email E`).
2. **Demo** (`COLLECTIONS_DEMO_USER`, set by `collections demo`): every session starts signed in
   as that demo user, but only on a warehouse created as a demo (`warehouse.app.demo_mode`) and
   only as one of the demo's users; anywhere else the variable is ignored and the page says so.
   Signing out shows the sign-in form (the demo's passwords were printed by `collections demo`,
   never on a page).
3. **Local users file** (`users.json` beside the warehouse): the sign-in form, checked by
   `warehouse.app.signin.attempt` (throttled per user name and per client, locked out after
   repeated failures, every attempt audited).
4. **Kiosk** (`COLLECTIONS_KIOSK=1`, set by `collections serve --kiosk`): an anonymous,
   read-only `viewer` session, which the operator starts on purpose.

With none of these (no users file, no OIDC, no kiosk) nobody gets in: the page says how an
operator sets users up. The role decides the navigation (`dashboard/app.py`), what each page
draws (`require_page`), and every action is checked again where it is performed
(`warehouse.app.store`, `warehouse.app.workbench.run_as`), so a hidden button is never the only
guard. Views of an account's timeline (personal data) are written to the audit trail, once per
account per session (`audit_page_view`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import streamlit as st

from dashboard.i18n import t
from warehouse.app import access, demo_mode, signin
from warehouse.app.access import User
from warehouse.app.store import AppStore
from warehouse.app.users import DEMO_NAMES, UsersFile, users_path
from warehouse.config import warehouse_path

USER_KEY = "user"
DEMO_ENV = "COLLECTIONS_DEMO_USER"
KIOSK_ENV = "COLLECTIONS_KIOSK"
# Behind a reverse proxy: the header that carries the client's address (e.g. X-Forwarded-For);
# its last entry is the one the proxy added. Without it, the connection's own address.
CLIENT_HEADER_ENV = "COLLECTIONS_CLIENT_HEADER"
SIGNED_OUT_KEY = "_signed_out"
VIEWED_KEY = "_audited_views"


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


def kiosk() -> bool:
    return os.environ.get(KIOSK_ENV, "").strip().lower() in ("1", "true", "yes")


def client_address() -> str:
    """Where this session's requests come from (the per-client sign-in throttle's key)."""
    header = os.environ.get(CLIENT_HEADER_ENV, "").strip()
    try:
        if header:
            forwarded = st.context.headers.get(header) or ""
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            if hops:
                return hops[-1][:100]
        return str(st.context.ip_address or "local")[:100]
    except Exception:  # outside a served session (tests, scripts)
        return "local"


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


def demo_user_name() -> str | None:
    """The demo user every session starts as, when this is a demo warehouse; else None."""
    wanted = os.environ.get(DEMO_ENV, "").strip()
    if not wanted or wanted not in DEMO_NAMES:
        return None
    try:
        return wanted if demo_mode.is_demo(db_path()) else None
    except Exception:  # no warehouse yet, or an unreadable one: no demo
        return None


def _demo_user() -> User | None:
    name = demo_user_name()
    if name is None:
        return None
    record = users_file().get(name)
    return record.user("demo") if record else None


def sign_in() -> User | None:
    """The session's user, signing them in if a way is configured; None while nobody is."""
    user = current_user()
    if user is not None:
        return user
    if oidc_configured():
        user = _oidc_user()
    elif not st.session_state.get(SIGNED_OUT_KEY):
        user = _demo_user()
        if user is None and kiosk():
            user = User("kiosk", access.VIEWER, t("auth.viewer_name"), "kiosk")
    if user is not None:
        st.session_state[USER_KEY] = user
        if user.via == "demo":
            store().audit(
                user, "login", allowed=True, target=user.username, client=client_address(),
                detail="demo: signed in automatically",
            )  # fmt: skip
    return user


def _sign_in_form() -> None:
    with st.form("login"):
        username = st.text_input(t("auth.username"), key="login_username", max_chars=200)
        password = st.text_input(
            t("auth.password"), type="password", key="login_password", max_chars=1024
        )
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if not submitted:
        return
    result = signin.attempt(users_file(), store(), username, password, client=client_address())
    if result.ok:
        st.session_state[USER_KEY] = result.user
        st.session_state.pop(SIGNED_OUT_KEY, None)
        st.rerun()
    elif result.outcome == "locked" and result.locked_until is not None:
        st.error(t("sec.locked", until=result.locked_until.strftime("%H:%M UTC")))
    else:
        st.error(t("auth.failed"))


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
    if os.environ.get(DEMO_ENV) and demo_user_name() is None:
        st.warning(t("sec.demo_refused"), icon=":material/gpp_bad:")
    if not users_file().exists():
        st.error(t("sec.no_users"), icon=":material/lock:")
        st.code(
            "collections users add NAME --role manager|compliance|analyst|admin\n"
            "# or, for an anonymous read-only screen:\ncollections serve --kiosk",
            language="bash",
        )
        return
    _sign_in_form()
    if demo_user_name() is not None:
        st.caption(t("sec.demo_passwords"))


def sign_out() -> None:
    user = current_user()
    st.session_state.pop(USER_KEY, None)
    st.session_state.pop(VIEWED_KEY, None)
    st.session_state[SIGNED_OUT_KEY] = True
    if user is not None and user.via != "kiosk":
        store().audit(user, "logout", allowed=True, target=user.username, client=client_address())
    if user is not None and user.via == "oidc":
        st.logout()


def user_badge(user: User) -> None:
    with st.sidebar:
        st.caption(t("auth.signed_in_as", name=user.label, role=t(f"role.{user.role}")))
        if user.via == "demo":
            st.caption(t("sec.demo_badge"))
        if user.via == "kiosk":
            if users_file().exists():
                st.button(t("auth.sign_in"), on_click=sign_out, key="sign_out")
        elif user.via != "none":
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


# Pages that show one person's data, and the link parameter that names whose.
PERSONAL_PAGES = {"accounts": "account"}


def audit_page_view(page: str) -> None:
    """Write a view of a personal-data page (an account's timeline) to the audit trail: who,
    which account, from where; once per account per session (a rerun is not a new view)."""
    parameter = PERSONAL_PAGES.get(page)
    user = current_user()
    if parameter is None or user is None:
        return
    shown = st.query_params.get(parameter)
    if not shown:
        return
    viewed: set[str] = st.session_state.setdefault(VIEWED_KEY, set())
    if shown in viewed:
        return
    viewed.add(shown)
    try:
        store().audit(user, "account.view", allowed=True, target=str(shown)[:200],
                      detail=f"{page} page: the timeline of account {shown}"[:500],
                      client=client_address())  # fmt: skip
    except (OSError, sqlite3.Error):
        viewed.discard(shown)  # a store that cannot be written: try again on the next rerun
