"""Build the settings tables and the published views from the files in `sql/`, in their order.

Each file's name is `<order>_<schema>.<object>.sql`: the number gives dependency order, the rest
is exactly the object it creates.

Refreshing only what changed. A table whose header says `-- Refresh: incremental by month` is
keyed by a `month` column and computes only the months from `$first_month` to `$last_month`
(named query parameters). Given what a load changed (`changes_from_load`: per raw table, the
first month whose rows changed), `build` follows the files' table references (read with sqlglot)
from the raw tables through views and tables:

* an incremental table whose inputs changed from month M deletes and recomputes its months from
  M on (from M minus N months when its header says `reaching back N months`, for a table whose
  month also depends on later months); untouched, it is skipped;
* it is rebuilt whole when its SQL text changed, when a settings table it depends on changed
  content, or when an input changed in a way a month cannot describe (an accounts file changes
  segments in every month);
* views are recreated every time (that is free) and every other table is rebuilt, as before.

`build(con)` without `changed` rebuilds everything. Either way `ops.mart_builds` records what
each model did; tests check that an incremental refresh equals a full rebuild.

Engine settings stay out of the SQL (which must also run on Spark): `planned` applies the ones a
model's header asks for.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import duckdb
import sqlglot
from sqlglot import exp

from warehouse.config import SQL_DIR, marts_memory_limit
from warehouse.db import ensure_history, raw_tables
from warehouse.loaders import EXTRACTS

SQL_FILE = re.compile(r"^(?P<order>\d{3})_(?P<object>[a-z_]+\.[a-z_0-9]+)\.sql$")
INCREMENTAL = re.compile(
    r"^--\s*Refresh:\s*incremental by month(?:, reaching back (?P<reach>\d+) months?)?",
    re.IGNORECASE | re.MULTILINE,
)
CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+OR\s+REPLACE\s+TABLE\s+(?P<name>[\w.]+)\s+AS\s+(?P<select>.*?);?\s*$",
    re.IGNORECASE | re.DOTALL,
)
# A model written with the smaller side of every join on the right asks DuckDB to keep that side
# as the hash-build side: on large inputs its estimates for aggregated CTEs are poor enough to hash
# the 77-million-row side instead. A planner setting, so the SQL stays portable.
JOINS_AS_WRITTEN = re.compile(
    r"^--\s*Joins: the smaller side of each join is on the right", re.IGNORECASE | re.MULTILINE
)
CREATES_TABLE = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TABLE\b", re.IGNORECASE | re.MULTILINE)
CREATES_VIEW = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\b", re.IGNORECASE | re.MULTILINE)
PARAMETER = re.compile(r"\$([a-z_]+)\b")
COMMENT = re.compile(r"--[^\n]*")

# The calendar a full rebuild computes: every month a bank can have.
FIRST_MONTH = date(1900, 1, 1)
LAST_MONTH = date(2999, 12, 1)

RAW_TABLES = raw_tables()

BUILDS_DDL = """
CREATE TABLE IF NOT EXISTS ops.mart_builds (
    model VARCHAR PRIMARY KEY,
    fingerprint VARCHAR,
    mode VARCHAR,
    first_month DATE,
    seconds DOUBLE,
    built_at TIMESTAMPTZ
)
"""


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


@dataclass(frozen=True)
class SqlModel:
    order: int
    name: str  # schema.object
    path: Path

    @cached_property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def is_settings(self) -> bool:
        return self.schema == "settings"

    @property
    def is_view(self) -> bool:
        return bool(CREATES_VIEW.search(self.sql)) and not CREATES_TABLE.search(self.sql)

    @cached_property
    def incremental(self) -> int | None:
        """None, or how many months before its inputs' first change the table recomputes."""
        match = INCREMENTAL.search(self.sql)
        if not match:
            return None
        return int(match["reach"] or 0)

    @property
    def joins_as_written(self) -> bool:
        return bool(JOINS_AS_WRITTEN.search(self.sql))

    @cached_property
    def inputs(self) -> frozenset[str]:
        """Every schema-qualified relation the file reads (CTE names are not qualified)."""
        found: set[str] = set()
        for statement in sqlglot.parse(self.sql, read="duckdb"):
            if statement is None:
                continue
            for table in statement.find_all(exp.Table):
                if table.db and table.name:
                    found.add(f"{table.db}.{table.name}".lower())
        found.discard(self.name)
        return frozenset(found)

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def select_sql(self) -> str:
        """The query of an incremental table (the text after `CREATE OR REPLACE TABLE x AS`)."""
        statements = [s.query for s in duckdb.extract_statements(self.sql)]
        match = CREATE_TABLE.match(COMMENT.sub("", statements[-1])) if statements else None
        if len(statements) != 1 or not match or match["name"].lower() != self.name:
            raise ValueError(
                f"{self.path.name}: an incremental model is one `CREATE OR REPLACE TABLE "
                f"{self.name} AS ...` statement"
            )
        return match["select"]


def models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = SQL_FILE.match(path.name)
        if not match:
            raise ValueError(f"{path}: SQL files are named <order>_<schema>.<object>.sql")
        found.append(SqlModel(int(match["order"]), match["object"], path))
    return sorted(found, key=lambda m: (m.order, m.name))


def model(name: str, sql_dir: Path = SQL_DIR) -> SqlModel:
    for candidate in models(sql_dir):
        if candidate.name == name:
            return candidate
    raise KeyError(f"no model {name!r} in {sql_dir}")


def parameters_for(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The named parameters `sql` uses, with their values (DuckDB refuses unused ones)."""
    used = set(PARAMETER.findall(COMMENT.sub("", sql)))
    missing = used - set(values)
    if missing:
        raise ValueError(f"no value for parameter(s) {', '.join(sorted(missing))}")
    return {name: values[name] for name in used}


def run_query_parameters(first_month: date, last_month: date) -> dict[str, Any]:
    return {"first_month": first_month, "last_month": last_month}


# --- What a load changed ------------------------------------------------------------------------


class LandedFile(Protocol):
    """What `changes_from_load` needs of a load's file result (warehouse.load.FileResult)."""

    extract: str | None
    business_date: date | None
    status: str
    rows_replaced: int


def _first_month(con: duckdb.DuckDBPyConnection, sql: str, load_id: int) -> date | None:
    value = con.execute(sql, [load_id]).fetchall()[0][0]
    if value is None:
        return None
    day = value.date() if hasattr(value, "date") else value
    return month_of(day)


def changes_from_load(
    con: duckdb.DuckDBPyConnection, load_id: int, files: Iterable[LandedFile]
) -> dict[str, date]:
    """Per raw table, the first month whose rows this load changed (FIRST_MONTH: any month).

    Snapshots and the timestamped extracts (payments, contacts) are dated: the months of the
    rows the load landed (in the bank's zone), and for a payment reversal the month of the
    payment it cancels. A corrected snapshots file changes its business
    date's month. Anything else (a corrected payment or contact that may have moved month, an
    accounts, agents, holidays, promises or plans file) counts as changing every month.
    """
    changed: dict[str, date] = {}
    dated: set[str] = set()  # tables whose changed months come from the rows landed

    def note(table: str, month: date | None) -> None:
        if month is not None:
            changed[table] = min(month, changed.get(table, month))

    for result in files:
        if result.status not in ("landed", "replaced") or result.extract is None:
            continue
        table = EXTRACTS[result.extract].table
        if result.extract == "snapshots":
            if result.business_date is not None:
                note(table, month_of(result.business_date))
            dated.add(table)
        elif result.extract in ("payments", "contacts") and not (
            result.status == "replaced" or result.rows_replaced
        ):
            dated.add(table)
        else:
            note(table, FIRST_MONTH)
        history = EXTRACTS[result.extract].history
        if history is not None:
            note(history.table, FIRST_MONTH)
    # An instant's month is the bank's (settings.bank_timezone); before that setting exists (the
    # first load rebuilds everything anyway) a day's margin covers any zone.
    has_zone = bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE schema_name = 'settings' AND table_name = 'bank_timezone'"
        ).fetchall()[0][0]
    )

    def local(column: str) -> str:
        if has_zone:
            return (
                f"CAST(min({column} AT TIME ZONE "
                "(SELECT max(timezone) FROM settings.bank_timezone)) AS DATE)"
            )
        return f"min({column}) - INTERVAL 1 DAY"

    queries = {
        "raw.snapshots": ["SELECT min(as_of_date) FROM raw.snapshots WHERE _load_id = ?"],
        "raw.payments": [
            f"SELECT {local('paid_at')} FROM raw.payments WHERE _load_id = ?",
            f"""
            SELECT {local("p.paid_at")}
            FROM raw.payments AS r
            INNER JOIN raw.payments AS p ON r.reverses_payment_id = p.payment_id
            WHERE r._load_id = ? AND r.is_reversal
            """,
        ],
        "raw.contacts": [f"SELECT {local('started_at')} FROM raw.contacts WHERE _load_id = ?"],
    }
    for table in dated:
        for sql in queries[table]:
            note(table, _first_month(con, sql, load_id))
    return changed


# --- Building -----------------------------------------------------------------------------------


def _settings_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    rows = con.execute(f"SELECT * FROM {table}").fetchall()
    return hashlib.sha256(repr(sorted(map(repr, rows))).encode("utf-8")).hexdigest()


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    schema, table = name.split(".", 1)
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ? AND table_type = 'BASE TABLE'",
            [schema, table],
        ).fetchall()[0][0]
    )


@contextmanager
def planned(con: duckdb.DuckDBPyConnection, m: SqlModel) -> Iterator[None]:
    """Run `m` with the engine settings it asks for: its joins' build sides as written (header
    `Joins:`), and, for an incremental table, no insertion order to keep (its rows have none),
    which lets DuckDB write the table on every thread."""
    settings = []
    if m.joins_as_written:
        settings.append(("disabled_optimizers", "'build_side_probe_side'"))
    if m.incremental is not None:
        settings.append(("preserve_insertion_order", "false"))
    for name, value in settings:
        con.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        for name, _ in settings:
            con.execute(f"RESET {name}")


def _execute(con: duckdb.DuckDBPyConnection, sql: str, values: Mapping[str, Any]) -> None:
    if not PARAMETER.search(COMMENT.sub("", sql)):
        con.execute(sql)
        return
    for statement in duckdb.extract_statements(sql):
        con.execute(statement.query, parameters_for(statement.query, values))


def build(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    *,
    changed: Mapping[str, date] | None = None,
    on_model: Callable[[str, str, float], None] | None = None,
) -> dict[str, float]:
    """Run every model; returns seconds per model. Settings tables keep rows a user edited.

    `changed` (from `changes_from_load`) lets incremental tables refresh only the months that
    changed; None rebuilds everything. `on_model(name, mode, seconds)` hears of each model as
    it is done (for progress).
    """
    # The writer lands within 2 GB; the marts get their own (larger) limit for the rest of the
    # connection's life (a load only checks and publishes after them).
    con.execute(f"SET memory_limit = '{marts_memory_limit()}'")
    return _build(con, sql_dir, changed=changed, on_model=on_model)


def _build(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path,
    *,
    changed: Mapping[str, date] | None,
    on_model: Callable[[str, str, float], None] | None,
) -> dict[str, float]:
    con.execute(BUILDS_DDL)
    for extract in EXTRACTS.values():  # a warehouse loaded before the histories existed
        if extract.history is not None:
            ensure_history(con, extract)
    previous = {
        name: fingerprint
        for name, fingerprint in con.execute(
            "SELECT model, fingerprint FROM ops.mart_builds"
        ).fetchall()
    }
    # Per relation, the first month whose rows may differ from the last build; absent = none.
    changed_from: dict[str, date] = {}
    for table in RAW_TABLES:
        if changed is None:
            changed_from[table] = FIRST_MONTH
        elif table in changed:
            changed_from[table] = changed[table]

    known = set(RAW_TABLES)  # relations whose changes are tracked: raw tables, models built

    def inputs_changed_from(m: SqlModel) -> date | None:
        months = []
        for name in m.inputs:
            if name in changed_from:
                months.append(changed_from[name])
            elif name not in known:
                months.append(FIRST_MONTH)  # a relation no file of sql/ builds: assume changed
        return min(months, default=None)

    timings: dict[str, float] = {}
    records: list[tuple[str, str, str, date | None, float]] = []
    for m in models(sql_dir):
        started = time.perf_counter()
        mode = "full"
        first: date | None = FIRST_MONTH
        fingerprint = m.fingerprint
        try:
            if m.is_settings:
                con.execute(m.sql)
                fingerprint = _settings_fingerprint(con, m.name)
                if changed is not None and previous.get(m.name) == fingerprint:
                    first, mode = None, "unchanged"
            elif m.is_view:
                con.execute(m.sql)
                first = inputs_changed_from(m)
                if changed is None or previous.get(m.name) != fingerprint:
                    first = FIRST_MONTH
                mode = "view"
            elif m.incremental is not None:
                with planned(con, m):
                    first, mode = _build_incremental(con, m, changed, previous, inputs_changed_from)
            else:
                with planned(con, m):
                    _execute(con, m.sql, run_query_parameters(FIRST_MONTH, LAST_MONTH))
        except duckdb.Error as exc:
            raise RuntimeError(f"{m.path.name}: {exc}") from exc
        known.add(m.name)
        if first is not None:
            changed_from[m.name] = first
        seconds = time.perf_counter() - started
        timings[m.name] = seconds
        records.append((m.name, fingerprint, mode, first, seconds))
        if on_model:
            on_model(m.name, mode, seconds)
    con.executemany(
        "INSERT OR REPLACE INTO ops.mart_builds VALUES (?, ?, ?, ?, ?, current_timestamp)",
        records,
    )
    return timings


def _build_incremental(
    con: duckdb.DuckDBPyConnection,
    m: SqlModel,
    changed: Mapping[str, date] | None,
    previous: Mapping[str, str],
    inputs_changed_from: Callable[[SqlModel], date | None],
) -> tuple[date | None, str]:
    """Refresh one incremental table; returns (first month recomputed or None, mode)."""
    whole = (
        changed is None or previous.get(m.name) != m.fingerprint or not _table_exists(con, m.name)
    )
    if not whole:
        start = inputs_changed_from(m)
        if start is None:
            return None, "skipped"
        first = add_months(start, -(m.incremental or 0))
        whole = first <= FIRST_MONTH
    if whole:
        _execute(con, m.sql, run_query_parameters(FIRST_MONTH, LAST_MONTH))
        return FIRST_MONTH, "full"
    values = run_query_parameters(first, LAST_MONTH)
    select = m.select_sql()
    con.execute(
        f"DELETE FROM {m.name} WHERE month BETWEEN $first_month AND $last_month",
        {"first_month": first, "last_month": LAST_MONTH},
    )
    con.execute(f"INSERT INTO {m.name} BY NAME {select}", parameters_for(select, values))
    return first, "incremental"
