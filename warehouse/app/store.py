"""The app's own writable store: settings versions, saved queries, experiments, audit trail.

The published warehouse is read-only to the dashboard (`warehouse.storage.publication`), so
what a user saves lives in a small SQLite file beside it, `<warehouse dir>/app_store.sqlite`.
SQLite is in the standard library, and safe with the app and the loader/rebuild processes using
it at once (WAL mode, a busy timeout), unlike a second DuckDB file that one writer locks. A saved
settings version reaches the marts through the loader's own publication path: `collections
rebuild` (`warehouse.jobs.rebuild`), which the app starts in the background after a save.

Every function that changes something takes the acting `User` and checks `warehouse.app.access`
first: a role that may not act is refused here, whatever the UI showed, and the refusal is
written to the audit trail like every change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from warehouse.app import access
from warehouse.app.access import Forbidden, User

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings_versions (
    version INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT NOT NULL,            -- baseline, save, rollback
    based_on INTEGER,              -- the version edited (save) or restored (rollback)
    settings TEXT NOT NULL         -- JSON: {"settings.<table>": [rows]}
);
CREATE TABLE IF NOT EXISTS saved_queries (
    query_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    sql TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (author, name)
);
CREATE TABLE IF NOT EXISTS experiments (
    experiment_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    champion_version INTEGER NOT NULL,
    challenger_version INTEGER NOT NULL,
    challenger_share REAL NOT NULL,
    seed INTEGER NOT NULL,
    start_month TEXT NOT NULL,
    author TEXT NOT NULL,
    started_at TEXT NOT NULL,
    stopped_at TEXT,
    accounts INTEGER,
    challenger_accounts INTEGER
);
CREATE TABLE IF NOT EXISTS audit (
    event_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT,
    role TEXT,
    action TEXT NOT NULL,
    allowed INTEGER NOT NULL,
    detail TEXT
);
"""


def store_path(db: Path) -> Path:
    return Path(db).resolve().parent / "app_store.sqlite"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a settings version")


Settings = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class SettingsVersion:
    version: int
    created_at: str
    author: str
    reason: str
    kind: str
    based_on: int | None
    settings: Settings


@dataclass(frozen=True)
class SavedQuery:
    query_id: int
    name: str
    sql: str
    author: str
    created_at: str


@dataclass(frozen=True)
class Experiment:
    experiment_id: int
    name: str
    champion_version: int
    challenger_version: int
    challenger_share: float
    seed: int
    start_month: date
    author: str
    started_at: str
    stopped_at: str | None
    accounts: int | None
    challenger_accounts: int | None

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class AppStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(SCHEMA)

    @classmethod
    def beside(cls, db: Path) -> AppStore:
        return cls(store_path(db))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA busy_timeout=30000")
            con.row_factory = sqlite3.Row
            yield con
        finally:
            con.close()

    # --- audit -----------------------------------------------------------------------------

    def audit(self, user: User | None, action: str, *, allowed: bool, detail: str = "") -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO audit (at, username, role, action, allowed, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [_now(), user and user.username, user and user.role, action, int(allowed), detail],
            )

    def authorise(self, user: User | None, action: str, detail: str = "") -> User:
        """access.require, with a refusal written to the audit trail before it is raised."""
        try:
            return access.require(user, action)
        except Forbidden as exc:
            self.audit(user, action, allowed=False, detail=f"refused: {exc}; {detail}".strip())
            raise

    def audit_trail(self, *, limit: int = 200) -> list[dict[str, Any]]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT event_id, at, username, role, action, allowed, detail FROM audit "
                "ORDER BY event_id DESC LIMIT ?",
                [limit],
            ).fetchall()
        return [dict(row) for row in rows]

    # --- settings versions -----------------------------------------------------------------

    def _insert_version(
        self, author: str, reason: str, kind: str, based_on: int | None, settings: Settings
    ) -> SettingsVersion:
        text = json.dumps(settings, default=_json_default, sort_keys=True)
        with self._connect() as con:
            cursor = con.execute(
                "INSERT INTO settings_versions (created_at, author, reason, kind, based_on, "
                "settings) VALUES (?, ?, ?, ?, ?, ?)",
                [_now(), author, reason, kind, based_on, text],
            )
            version = int(cursor.lastrowid or 0)
        return self.settings_version(version)

    @staticmethod
    def _version(row: sqlite3.Row) -> SettingsVersion:
        return SettingsVersion(
            row["version"], row["created_at"], row["author"], row["reason"], row["kind"],
            row["based_on"], json.loads(row["settings"]),
        )  # fmt: skip

    def settings_version(self, version: int) -> SettingsVersion:
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM settings_versions WHERE version = ?", [version]
            ).fetchone()
        if row is None:
            raise KeyError(f"no settings version {version}")
        return self._version(row)

    def settings_versions(self) -> list[SettingsVersion]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM settings_versions ORDER BY version DESC").fetchall()
        return [self._version(row) for row in rows]

    def in_force(self) -> SettingsVersion | None:
        """The latest version is the one in force (a rollback is a new version)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM settings_versions ORDER BY version DESC LIMIT 1"
            ).fetchone()
        return None if row is None else self._version(row)

    def ensure_baseline(self, settings: Settings) -> SettingsVersion:
        """Version 1: the settings the warehouse was built with, before anyone saved one."""
        current = self.in_force()
        if current is not None:
            return current
        return self._insert_version(
            "system", "baseline: the settings the warehouse was built with", "baseline", None,
            settings,
        )  # fmt: skip

    def save_settings(
        self, user: User | None, settings: Settings, *, reason: str, based_on: int | None
    ) -> SettingsVersion:
        self.authorise(user, "strategy.save", f"based on v{based_on}")
        assert user is not None
        if not reason.strip():
            raise ValueError("a settings version needs a reason (what changed, and why)")
        saved = self._insert_version(user.username, reason.strip(), "save", based_on, settings)
        self.audit(user, "strategy.save", allowed=True, detail=f"v{saved.version}: {reason}")
        return saved

    def rollback(self, user: User | None, version: int, *, reason: str) -> SettingsVersion:
        self.authorise(user, "strategy.rollback", f"to v{version}")
        assert user is not None
        target = self.settings_version(version)
        why = reason.strip() or f"roll back to version {version}"
        saved = self._insert_version(user.username, why, "rollback", version, target.settings)
        self.audit(
            user, "strategy.rollback", allowed=True, detail=f"v{saved.version} restores v{version}"
        )
        return saved

    # --- saved queries ---------------------------------------------------------------------

    def save_query(self, user: User | None, name: str, sql: str) -> SavedQuery:
        self.authorise(user, "workbench.save_query", name)
        assert user is not None
        if not name.strip() or not sql.strip():
            raise ValueError("a saved query needs a name and a query")
        with self._connect() as con:
            con.execute(
                "INSERT INTO saved_queries (name, sql, author, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (author, name) DO UPDATE SET sql = excluded.sql, "
                "created_at = excluded.created_at",
                [name.strip(), sql, user.username, _now()],
            )
        self.audit(user, "workbench.save_query", allowed=True, detail=name)
        return next(
            q for q in self.saved_queries() if q.name == name.strip() and q.author == user.username
        )

    def saved_queries(self) -> list[SavedQuery]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM saved_queries ORDER BY name, author").fetchall()
        return [SavedQuery(**dict(row)) for row in rows]

    def delete_query(self, user: User | None, query_id: int) -> None:
        self.authorise(user, "workbench.save_query", f"delete {query_id}")
        with self._connect() as con:
            con.execute("DELETE FROM saved_queries WHERE query_id = ?", [query_id])
        self.audit(user, "workbench.delete_query", allowed=True, detail=str(query_id))

    # --- experiments -----------------------------------------------------------------------

    @staticmethod
    def _experiment(row: sqlite3.Row) -> Experiment:
        values = dict(row)
        values["start_month"] = date.fromisoformat(values["start_month"])
        return Experiment(**values)

    def experiments(self) -> list[Experiment]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM experiments ORDER BY experiment_id DESC").fetchall()
        return [self._experiment(row) for row in rows]

    def experiment(self, experiment_id: int) -> Experiment:
        found = [e for e in self.experiments() if e.experiment_id == experiment_id]
        if not found:
            raise KeyError(f"no experiment {experiment_id}")
        return found[0]

    def start_experiment(
        self,
        user: User | None,
        *,
        name: str,
        champion_version: int,
        challenger_version: int,
        challenger_share: float,
        seed: int,
        start_month: date,
        accounts: int,
        challenger_accounts: int,
    ) -> Experiment:
        self.authorise(user, "experiment.start", name)
        assert user is not None
        if not 0 < challenger_share < 1:
            raise ValueError(f"the challenger's share is between 0 and 1; got {challenger_share}")
        if champion_version == challenger_version:
            raise ValueError(
                "the challenger must be a different settings version from the champion"
            )
        self.settings_version(champion_version)
        self.settings_version(challenger_version)
        with self._connect() as con:
            cursor = con.execute(
                "INSERT INTO experiments (name, champion_version, challenger_version, "
                "challenger_share, seed, start_month, author, started_at, accounts, "
                "challenger_accounts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name.strip() or f"v{challenger_version} vs v{champion_version}",
                    champion_version, challenger_version, challenger_share, seed,
                    start_month.isoformat(), user.username, _now(), accounts, challenger_accounts,
                ],
            )  # fmt: skip
            experiment_id = int(cursor.lastrowid or 0)
        self.audit(
            user, "experiment.start", allowed=True,
            detail=f"#{experiment_id}: v{challenger_version} on {challenger_share:.0%} seed {seed}",
        )  # fmt: skip
        return self.experiment(experiment_id)

    def stop_experiment(self, user: User | None, experiment_id: int) -> Experiment:
        self.authorise(user, "experiment.stop", str(experiment_id))
        with self._connect() as con:
            con.execute(
                "UPDATE experiments SET stopped_at = ? "
                "WHERE experiment_id = ? AND stopped_at IS NULL",
                [_now(), experiment_id],
            )
        self.audit(user, "experiment.stop", allowed=True, detail=f"#{experiment_id}")
        return self.experiment(experiment_id)
