"""Who may see and do what: the one table of roles, pages and actions.

Navigation (`dashboard/app.py`), each page, and the functions that perform an action
(`warehouse.app.store`, `warehouse.app.workbench.run_as`) all ask this module, so a hidden button
is never the only guard: an action a role may not take is refused where it is performed, and the
refusal is written to the audit trail. What a user saved (a workbench query, an experiment) is
changed or removed only by its author or an admin (`require_owner`).

Roles (DOMAIN.md "Who uses it"):

manager     reading pages; save / roll back strategy; start / stop a challenger; export the
            work queue
compliance  reading pages; export the work queue (for an audit)
analyst     reading pages and the SQL workbench: run, save and export queries
admin       everything, managing users, and the audit trail (Operations > Audit trail)

A `viewer` is the anonymous session of a read-only kiosk (`collections serve --kiosk`): the
reading pages and the compliance export, nothing else. Without a kiosk, nobody signed in sees
nothing.

(`permissions_table()` lists the exact pages and actions of each role.)
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("manager", "compliance", "analyst", "admin")
# The anonymous session of a read-only kiosk, which the operator starts on purpose: it reads the
# reading pages and may take no action but the compliance export (it is audited like any other).
VIEWER = "viewer"
READERS = frozenset({*ROLES, VIEWER})

# Pages everyone may read; a page not named anywhere below is a reading page too (so a page
# added by another part of the dashboard is visible until it is listed here).
READING = "reading"
PAGES: dict[str, frozenset[str]] = {
    "portfolio": READERS,
    "loads": READERS,
    "data_quality": READERS,
    "strategy": READERS,
    "work_queue": READERS,
    "champion_challenger": READERS,
    "sql_workbench": frozenset({"analyst", "admin"}),
    "audit": frozenset({"admin"}),
}

ACTIONS: dict[str, frozenset[str]] = {
    "strategy.preview": frozenset(ROLES),
    "strategy.save": frozenset({"manager", "admin"}),
    "strategy.rollback": frozenset({"manager", "admin"}),
    "experiment.start": frozenset({"manager", "admin"}),
    "experiment.stop": frozenset({"manager", "admin"}),
    "queue.export": frozenset({"manager", "compliance", "admin"}),
    "compliance.export": READERS,
    "workbench.query": frozenset({"analyst", "admin"}),
    "workbench.save_query": frozenset({"analyst", "admin"}),
    "workbench.export": frozenset({"analyst", "admin"}),
    "users.manage": frozenset({"admin"}),
    "audit.view": frozenset({"admin"}),
    "audit.export": frozenset({"admin"}),
}


# Actions the dashboard names in its own code (one spelling, here).
COMPLIANCE_EXPORT = "compliance.export"
AUDIT_EXPORT = "audit.export"


class Forbidden(PermissionError):
    """The user's role may not take this action (or see this page)."""


@dataclass(frozen=True)
class User:
    """Who is acting: a login name, a role of ROLES, a name to show, how they logged in."""

    username: str
    role: str
    display_name: str = ""
    via: str = "local"  # local, oidc, demo

    def __post_init__(self) -> None:
        if self.role not in READERS:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")

    @property
    def label(self) -> str:
        return self.display_name or self.username


def can(user: User | None, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}")
    return user is not None and user.role in ACTIONS[action]


def can_see(user: User | None, page: str) -> bool:
    if user is None:
        return False
    return user.role in PAGES.get(page, READERS)


def require(user: User | None, action: str) -> User:
    """The user, when their role may take `action`; else Forbidden naming who may."""
    if not can(user, action):
        who = "nobody logged in" if user is None else f"role {user.role!r} ({user.username})"
        allowed = ", ".join(r for r in ROLES if r in ACTIONS[action])
        raise Forbidden(f"{action} is not permitted for {who}; it needs one of: {allowed}")
    assert user is not None
    return user


def require_owner(user: User | None, action: str, owner: str) -> User:
    """`require`, and the user is `owner` (the author of what is changed) or an admin."""
    found = require(user, action)
    if found.username != owner and found.role != "admin":
        raise Forbidden(
            f"{action} is not permitted for {found.username}: only its author ({owner}) or an "
            "admin may change it"
        )
    return found


def require_page(user: User | None, page: str) -> User:
    if not can_see(user, page):
        who = "nobody logged in" if user is None else f"role {user.role!r}"
        raise Forbidden(f"the {page} page is not open to {who}")
    assert user is not None
    return user


def permissions_table() -> list[dict[str, str]]:
    """The table above, as rows (README and the admin's view)."""
    rows = []
    for role in ROLES:
        rows.append(
            {
                "role": role,
                "pages": ", ".join(p for p, roles in PAGES.items() if role in roles),
                "actions": ", ".join(a for a, roles in ACTIONS.items() if role in roles),
            }
        )
    return rows
