"""Build the settings tables and the published views from the models of `sql/`, in run order.

Refreshing only what changed. A table whose header says `-- Refresh: incremental by month` is
keyed by a `month` column and computes only the months from `$first_month` to `$last_month`
(named query parameters). Given what a load changed (`warehouse.marts.changes`: per raw table,
the first month whose rows changed), `build` follows the models' inputs from the raw tables
through views and tables:

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
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from warehouse.config import SQL_DIR, marts_memory_limit
from warehouse.contract import EXTRACTS
from warehouse.marts.models import (
    COMMENT,
    FIRST_MONTH,
    LAST_MONTH,
    PARAMETER,
    SCHEMAS,
    SqlModel,
    models,
    month_range,
    parameters_for,
)
from warehouse.months import add_months
from warehouse.storage.schema import MART_BUILDS_DDL, ensure_history, raw_tables

RAW_TABLES = raw_tables()


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
    for schema in SCHEMAS:  # the folders of sql/
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(MART_BUILDS_DDL)
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
                    _execute(con, m.sql, month_range(FIRST_MONTH, LAST_MONTH))
        except duckdb.Error as exc:
            raise RuntimeError(f"{m.file}: {exc}") from exc
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
        _execute(con, m.sql, month_range(FIRST_MONTH, LAST_MONTH))
        return FIRST_MONTH, "full"
    values = month_range(first, LAST_MONTH)
    select = m.select_sql()
    con.execute(
        f"DELETE FROM {m.name} WHERE month BETWEEN $first_month AND $last_month",
        {"first_month": first, "last_month": LAST_MONTH},
    )
    con.execute(f"INSERT INTO {m.name} BY NAME {select}", parameters_for(select, values))
    return first, "incremental"


def ensure_settings(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> None:
    """Create every settings table with its defaults where it is missing (rows a user edited
    stay): a load reads the bank's zone before it lands anything."""
    con.execute("CREATE SCHEMA IF NOT EXISTS settings")
    for m in models(sql_dir):
        if m.is_settings:
            con.execute(m.sql)


def bank_timezone(con: duckdb.DuckDBPyConnection) -> str:
    """The bank's zone (settings.bank_timezone): offset-less timestamps are read in it, a debtor
    without a zone of their own is judged in it, and every page shows times in it."""
    rows = con.execute("SELECT max(timezone) FROM settings.bank_timezone").fetchall()
    if not rows or rows[0][0] is None:
        raise ValueError("settings.bank_timezone holds no zone; put one row in it")
    return str(rows[0][0])
