"""The app's own writable store: settings versions, saved queries, experiments, audit trail.

The published warehouse is read-only to the dashboard (`warehouse.storage.publication`), so
what a user saves lives in a small SQLite file beside it, `<warehouse dir>/app_store.sqlite`.
SQLite is in the standard library, and safe with the app and the loader/rebuild processes using
it at once (WAL mode, a busy timeout), unlike a second DuckDB file that one writer locks. A saved
settings version reaches the marts through the loader's own publication path: `collections
rebuild` (`warehouse.jobs.rebuild`), which the app starts in the background after a save.

Every function that changes something takes the acting `User` and checks `warehouse.app.access`
first: a role that may not act is refused here, whatever the UI showed, and the refusal is
written to the audit trail like every change. What a user saved (a query, an experiment) is
changed or removed only by its author or an admin.

**The audit trail** (`audit`) is the one record of who did what: sign-ins and their failures,
lock-outs, views of an account's timeline, strategy saves and rollbacks, exports (who, what
filter, how many rows), every workbench query (who, when, its text, rows, outcome), user
management. It is append-only: this module has no path that updates or deletes a row, SQLite
triggers refuse an UPDATE, a DELETE or an INSERT that would replace a row, and every row carries
a SHA-256 chain over itself and the row before (`verify_audit` finds a row changed outside the
app). The file is owner-only (0600): it holds SQL text and user names.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.app import access
from warehouse.app.access import Forbidden, User
from warehouse.config import owner_only, owner_only_umask

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

# Columns the audit trail gained after its first version (added to an older store on open).
AUDIT_ADDED_COLUMNS = (
    ("outcome", "TEXT"),  # ok, refused, failed, stopped, locked
    ("target", "TEXT"),  # what was acted on: an account, a user, a version, an export
    ("query", "TEXT"),  # a workbench query's text
    ("rows", "INTEGER"),  # rows answered or exported
    ("client", "TEXT"),  # the client address a sign-in came from
    ("chain", "TEXT"),  # sha256(previous chain + this row)
)
# The columns a row's chain covers, in order.
CHAINED = ("event_id", "at", "username", "role", "action", "allowed", "outcome", "target",
           "detail", "query", "rows", "client")  # fmt: skip
AUDIT_COLUMNS = (*CHAINED, "chain")
APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows are never updated'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS audit_only_appends BEFORE INSERT ON audit
WHEN NEW.event_id IS NULL OR NEW.event_id <= coalesce((SELECT max(event_id) FROM audit), 0)
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a row goes after the last one'); END;
CREATE INDEX IF NOT EXISTS audit_by_user ON audit (action, username, event_id);
CREATE INDEX IF NOT EXISTS audit_by_client ON audit (action, client, event_id);
CREATE INDEX IF NOT EXISTS audit_by_target ON audit (action, target, event_id);
"""
OUTCOMES = ("ok", "refused", "failed", "stopped", "locked")
# Longest texts kept per row (a workbench query is capped before it runs, at the same length).
MAX_DETAIL_CHARS = 2_000
MAX_QUERY_CHARS = 100_000


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


def _chain(previous: str, row: Sequence[Any]) -> str:
    text = json.dumps([previous, *row], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else str(text)[:limit]


@dataclass(frozen=True)
class AuditCheck:
    """What `verify_audit` found: rows, rows chained, and the first row that breaks the chain."""

    events: int
    chained: int
    broken_at: int | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


class AppStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with owner_only_umask():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.executescript(SCHEMA)
                held = {row[1] for row in con.execute("PRAGMA table_info(audit)")}
                for column, kind in AUDIT_ADDED_COLUMNS:
                    if column not in held:
                        con.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")
                con.executescript(APPEND_ONLY)
        for path in (
            self.path,
            *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm")),
        ):
            owner_only(path)

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

    def audit(
        self,
        user: User | None,
        action: str,
        *,
        allowed: bool,
        detail: str = "",
        outcome: str | None = None,
        target: str | None = None,
        query: str | None = None,
        rows: int | None = None,
        client: str | None = None,
        username: str | None = None,
        role: str | None = None,
    ) -> int:
        """Append one row to the audit trail; returns its event id.

        `user` is who acted (None: nobody signed in, or the operator at the command line);
        `username`/`role` name them instead when there is no session user yet (a sign-in of a
        name that exists). `outcome` is one of OUTCOMES (default: ok when allowed, else refused).
        """
        outcome = outcome or ("ok" if allowed else "refused")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        who = username if username is not None else (user.username if user else None)
        as_role = role if role is not None else (user.role if user else None)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")  # one writer at a time: ids and the chain in order
            try:
                last = con.execute(
                    "SELECT event_id, chain FROM audit ORDER BY event_id DESC LIMIT 1"
                ).fetchone()
                event_id = (last["event_id"] if last else 0) + 1
                row = (
                    event_id, _now(), who, as_role, action, int(allowed), outcome,
                    _clip(target, 200), _clip(detail, MAX_DETAIL_CHARS),
                    _clip(query, MAX_QUERY_CHARS), rows, _clip(client, 100),
                )  # fmt: skip
                chain = _chain((last["chain"] or "") if last else "", row)
                con.execute(
                    f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in AUDIT_COLUMNS)})",
                    [*row, chain],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return event_id

    def authorise(
        self,
        user: User | None,
        action: str,
        detail: str = "",
        *,
        target: str | None = None,
        query: str | None = None,
    ) -> User:
        """access.require, with a refusal written to the audit trail before it is raised."""
        try:
            return access.require(user, action)
        except Forbidden as exc:
            self.audit(user, action, allowed=False,
                       detail=f"refused: {exc}; {detail}".strip().rstrip(";"), target=target,
                       query=query)  # fmt: skip
            raise

    def authorise_owner(
        self, user: User | None, action: str, owner: str, *, target: str | None = None
    ) -> User:
        """access.require_owner, with a refusal written to the audit trail before it is raised."""
        try:
            return access.require_owner(user, action, owner)
        except Forbidden as exc:
            self.audit(user, action, allowed=False, detail=f"refused: {exc}", target=target)
            raise

    def audit_trail(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """The latest `limit` rows, newest first."""
        with self._connect() as con:
            rows = con.execute(
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY event_id DESC LIMIT ?",
                [limit],
            ).fetchall()
        return [dict(row) for row in rows]

    def audit_events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        usernames: Sequence[str] = (),
        actions: Sequence[str] = (),
        outcomes: Sequence[str] = (),
        text: str | None = None,
        limit: int = 100_000,
    ) -> pl.DataFrame:
        """The rows matching every filter given, newest first (at most `limit`): the Audit trail
        page and its export. `text` is looked for in the target, the detail and the query."""
        where, params = ["1 = 1"], []
        if since is not None:
            where.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat(timespec="seconds"))
        if until is not None:
            where.append("at < ?")
            params.append(until.astimezone(UTC).isoformat(timespec="seconds"))
        for column, values in (("username", usernames), ("action", actions),
                               ("outcome", outcomes)):  # fmt: skip
            if values:
                where.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if text:
            where.append(
                "(instr(lower(coalesce(target, '')), lower(?)) > 0 "
                "OR instr(lower(coalesce(detail, '')), lower(?)) > 0 "
                "OR instr(lower(coalesce(query, '')), lower(?)) > 0)"
            )
            params.extend([text, text, text])
        with self._connect() as con:
            rows = con.execute(
                f"SELECT {', '.join(CHAINED)} FROM audit WHERE {' AND '.join(where)} "
                "ORDER BY event_id DESC LIMIT ?",
                [*params, int(limit)],
            ).fetchall()
        schema = {
            "event_id": pl.Int64, "at": pl.String, "username": pl.String, "role": pl.String,
            "action": pl.String, "allowed": pl.Int64, "outcome": pl.String, "target": pl.String,
            "detail": pl.String, "query": pl.String, "rows": pl.Int64, "client": pl.String,
        }  # fmt: skip
        frame = pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")
        return frame.with_columns(
            pl.col("at").str.to_datetime("%Y-%m-%dT%H:%M:%S%z", time_zone="UTC"),
            pl.col("allowed").cast(pl.Boolean),
        )

    def audit_facets(self) -> dict[str, list[str]]:
        """The user names, actions and outcomes the trail holds (the page's filter choices)."""
        with self._connect() as con:
            return {
                column: [
                    row[0]
                    for row in con.execute(
                        f"SELECT DISTINCT {column} FROM audit WHERE {column} IS NOT NULL "
                        f"ORDER BY {column}"
                    )
                ]
                for column in ("username", "action", "outcome")
            }

    def verify_audit(self) -> AuditCheck:
        """Recompute the chain over every row. Rows from before the chain existed (no chain, at
        the start of an older store) are counted but cannot be checked."""
        events = chained = 0
        previous = ""
        broken: int | None = None
        with self._connect() as con:
            for row in con.execute(
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY event_id"
            ):
                events += 1
                if row["chain"] is None and chained == 0:
                    continue
                expected = _chain(previous, tuple(row[c] for c in CHAINED))
                if broken is None and row["chain"] != expected:
                    broken = row["event_id"]
                chained += 1
                previous = row["chain"] or ""
        return AuditCheck(events, chained, broken)

    def sign_in_failures(
        self, *, since: datetime, username: str | None = None, client: str | None = None
    ) -> tuple[int, datetime | None]:
        """Failed sign-ins since `since` of one user name (after its last success, password
        change or unlock) or from one client: (how many, when the latest was)."""
        if (username is None) == (client is None):
            raise ValueError("count the failures of one user name or of one client")
        floor = since.astimezone(UTC).isoformat(timespec="seconds")
        with self._connect() as con:
            if username is not None:
                reset = con.execute(
                    "SELECT coalesce(max(event_id), 0) FROM audit WHERE "
                    "(action = 'login' AND outcome = 'ok' AND username = ?) OR "
                    "(action IN ('users.passwd', 'users.unlock', 'users.add') AND target = ?)",
                    [username, username],
                ).fetchone()[0]
                row = con.execute(
                    "SELECT count(*), max(at) FROM audit WHERE action = 'login' "
                    "AND outcome = 'failed' AND username = ? AND at >= ? AND event_id > ?",
                    [username, floor, reset],
                ).fetchone()
            else:
                row = con.execute(
                    "SELECT count(*), max(at) FROM audit WHERE action = 'login' "
                    "AND outcome = 'failed' AND client = ? AND at >= ?",
                    [client, floor],
                ).fetchone()
        latest = datetime.fromisoformat(row[1]) if row[1] else None
        return int(row[0]), latest

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
        self.audit(user, "strategy.save", allowed=True, target=f"v{saved.version}",
                   detail=f"based on v{based_on}: {reason}")  # fmt: skip
        return saved

    def rollback(self, user: User | None, version: int, *, reason: str) -> SettingsVersion:
        self.authorise(user, "strategy.rollback", f"to v{version}")
        assert user is not None
        target = self.settings_version(version)
        why = reason.strip() or f"roll back to version {version}"
        saved = self._insert_version(user.username, why, "rollback", version, target.settings)
        self.audit(user, "strategy.rollback", allowed=True, target=f"v{saved.version}",
                   detail=f"v{saved.version} restores v{version}: {why}")  # fmt: skip
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
        self.audit(user, "workbench.save_query", allowed=True, target=name.strip(), query=sql)
        return next(
            q for q in self.saved_queries() if q.name == name.strip() and q.author == user.username
        )

    def saved_queries(self) -> list[SavedQuery]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM saved_queries ORDER BY name, author").fetchall()
        return [SavedQuery(**dict(row)) for row in rows]

    def delete_query(self, user: User | None, query_id: int) -> None:
        """Remove a saved query: its author's or an admin's to remove, nobody else's."""
        self.authorise(user, "workbench.save_query", f"delete {query_id}")
        found = next((q for q in self.saved_queries() if q.query_id == query_id), None)
        if found is None:
            raise KeyError(f"no saved query {query_id}")
        self.authorise_owner(user, "workbench.save_query", found.author,
                             target=f"query {query_id}")  # fmt: skip
        with self._connect() as con:
            con.execute("DELETE FROM saved_queries WHERE query_id = ?", [query_id])
        self.audit(
            user, "workbench.delete_query", allowed=True, target=f"query {query_id}",
            detail=f"{found.name} by {found.author}",
        )  # fmt: skip

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
        """Stop a running experiment: its author's or an admin's to stop."""
        self.authorise(user, "experiment.stop", str(experiment_id))
        self.authorise_owner(user, "experiment.stop", self.experiment(experiment_id).author,
                             target=f"experiment {experiment_id}")  # fmt: skip
        with self._connect() as con:
            con.execute(
                "UPDATE experiments SET stopped_at = ? "
                "WHERE experiment_id = ? AND stopped_at IS NULL",
                [_now(), experiment_id],
            )
        self.audit(user, "experiment.stop", allowed=True, detail=f"#{experiment_id}")
        return self.experiment(experiment_id)
