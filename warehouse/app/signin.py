"""Signing in with a local user: throttled per user name and per client, locked out, audited.

`attempt` is the one way the dashboard's sign-in form checks a password:

* **Lock-out per user name**: `user_failures` wrong passwords for one name within `window` lock
  that name for `lockout` after the latest failure (its right password is refused too, without
  being checked). A success, a new password (`collections users passwd`) or
  `collections users unlock` starts the count again.
* **Lock-out per client**: `client_failures` failures from one client address within `window`
  (whatever names were tried: a spray over many names) lock that client out the same way.
* **Audit** (`warehouse.app.store`): every attempt is one row (`login`: ok, failed or locked),
  and the failure that locks a name or a client adds a `login.lockout` row. Only a name that
  exists is written down: text typed into the name box that is no user's name (it might be a
  password) is recorded as "unknown user name", never as typed.

The counts come from the audit trail itself, so they hold across sessions, browser tabs and
dashboard processes sharing the app store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warehouse.app.access import User
from warehouse.app.store import AppStore
from warehouse.app.users import UsersFile


@dataclass(frozen=True)
class Throttle:
    """When sign-in attempts lock a user name or a client out."""

    user_failures: int = 5
    client_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


DEFAULT_THROTTLE = Throttle()


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    outcome: str  # ok, failed, locked
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def _locked_until(
    store: AppStore, throttle: Throttle, now: datetime, *, username: str | None, client: str | None
) -> datetime | None:
    limit = throttle.user_failures if username is not None else throttle.client_failures
    count, latest = store.sign_in_failures(
        since=now - throttle.window, username=username, client=client
    )
    if count < limit or latest is None:
        return None
    until = latest + throttle.lockout
    return until if until > now else None


def locked_until(
    store: AppStore,
    *,
    username: str | None,
    client: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    now: datetime | None = None,
) -> datetime | None:
    """Until when the name (when it exists) or the client is locked out; None when neither."""
    now = now or datetime.now(UTC)
    found = [
        _locked_until(store, throttle, now, username=None, client=client),
        _locked_until(store, throttle, now, username=username, client=None) if username else None,
    ]
    held = [until for until in found if until is not None]
    return max(held) if held else None


def attempt(
    users: UsersFile,
    store: AppStore,
    typed_name: str,
    password: str,
    *,
    client: str,
    throttle: Throttle = DEFAULT_THROTTLE,
    now: datetime | None = None,
) -> SignInResult:
    """Check one sign-in (see the module's text); every call writes its audit row."""
    now = now or datetime.now(UTC)
    record = users.get(typed_name)
    name = record.username if record else None
    role = record.role if record else None
    until = locked_until(store, username=name, client=client, throttle=throttle, now=now)
    if until is not None:
        store.audit(None, "login", allowed=False, outcome="locked", username=name, role=role,
                    client=client, target=name,
                    detail=f"locked out until {until.isoformat(timespec='seconds')}; "
                    "the password was not checked")  # fmt: skip
        return SignInResult(None, "locked", until)
    user = users.authenticate(typed_name, password)  # the same work for a name nobody has
    if user is not None:
        store.audit(user, "login", allowed=True, client=client, target=user.username)
        return SignInResult(user, "ok")
    store.audit(None, "login", allowed=False, outcome="failed", username=name, role=role,
                client=client, target=name,
                detail="wrong password" if record else "unknown user name")  # fmt: skip
    until = locked_until(store, username=name, client=client, throttle=throttle, now=now)
    if until is not None:
        who = (
            f"user {name}"
            if name and _locked_until(store, throttle, now, username=name, client=None)
            else f"client {client}"
        )
        store.audit(None, "login.lockout", allowed=False, outcome="locked", username=name,
                    role=role, client=client, target=name,
                    detail=f"{who} locked out until {until.isoformat(timespec='seconds')} after "
                    "repeated failures")  # fmt: skip
        return SignInResult(None, "locked", until)
    return SignInResult(None, "failed")
