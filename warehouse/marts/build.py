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
  content, or when an input changed in a way a month cannot describe: a view whose rows hold
  for every month (`-- Months: every`, today's record of each account in core.accounts) changes
  every month when any of its inputs changes. An accounts or agents record otherwise changes
  the months from its own date (their versions are dated by the history,
  `warehouse.landing.writing`);
* views are recreated every time (that is free); a table without months (core.as_of_date:
  one row that a view would compute from four raw tables on every read) is rebuilt whole when
  an input changed, and its readers see it change from that month, as a view's would.

`build(con)` without `changed` rebuilds everything. Either way `ops.mart_builds` records what
each model did; tests check that an incremental refresh equals a full rebuild.

Engine settings stay out of the SQL (which must also run on Spark): `planned` applies the ones a
model's header asks for.

Two engines run the same models with the same decisions: DuckDB (`DuckDBEngine`, the default),
or Spark (`warehouse.marts.spark.SparkEngine`), which computes each table's rows from the lake's
Parquet files and writes them back beside DuckDB's; the catalog (settings, `ops.*`, the views the
dashboard reads) is kept by DuckDB either way.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb

from warehouse.config import SQL_DIR, marts_chunk_months, marts_memory_limit
from warehouse.marts.models import (
    COMMENT,
    PARAMETER,
    SCHEMAS,
    SqlModel,
    models,
    month_range,
    parameters_for,
)
from warehouse.months import FIRST_MONTH, LAST_MONTH, add_months
from warehouse.storage.lake import BY_MONTH_COLUMN, Lake, LakeFile
from warehouse.storage.schema import MART_BUILDS_DDL, raw_tables

RAW_TABLES = raw_tables()
# The record of the files held: the as-of date (core.as_of_date) is the latest business date of
# any of them, rows or not, so a header-only file moves it. A load says from which month
# (`changed`), like a raw table's.
LOADED_FILES = "ops.loaded_files"
TRACKED = (*RAW_TABLES, LOADED_FILES)


def _settings_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    rows = con.execute(f"SELECT * FROM {table}").fetchall()
    return hashlib.sha256(repr(sorted(map(repr, rows))).encode("utf-8")).hexdigest()


@contextmanager
def planned(con: duckdb.DuckDBPyConnection, m: SqlModel) -> Iterator[None]:
    """Run `m` with the engine settings it asks for: its joins' build sides as written (header
    `Joins:`), and, for a table not sorted for its readers, no insertion order to keep, which
    lets DuckDB write it on every thread."""
    settings = []
    if m.joins_as_written:
        settings.append(("disabled_optimizers", "'build_side_probe_side'"))
    if not m.is_view and not m.is_settings and not m.sorted_by:
        settings.append(("preserve_insertion_order", "false"))
    for name, value in settings:
        con.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        for name, _ in settings:
            con.execute(f"RESET {name}")


class Engine(Protocol):
    """What computes a model's rows; the runner decides what is computed (`_build`)."""

    # Months per query of a whole rebuild of an incremental table (`month_chunks`); 0: all.
    chunk_months: int

    def settings_built(self, m: SqlModel) -> None:
        """`m`'s settings table is current in the catalog."""

    def view_built(self, m: SqlModel) -> None:
        """`m`'s view is current in the catalog."""

    def write_table(
        self, m: SqlModel, select: str, values: Mapping[str, Any], columns: list[tuple[str, str]]
    ) -> list[LakeFile]:
        """Write the rows of `select` (the model's query with `values` for its parameters) as new
        files of `m` in the lake, with `columns` (name, DuckDB type); returns them."""
        ...

    def table_built(self, m: SqlModel) -> None:
        """`m`'s files are current in the lake and the catalog."""


class DuckDBEngine:
    """The default engine: DuckDB writes each table's rows into the lake itself."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.chunk_months = marts_chunk_months()

    def settings_built(self, m: SqlModel) -> None:
        pass

    def view_built(self, m: SqlModel) -> None:
        pass

    def write_table(
        self, m: SqlModel, select: str, values: Mapping[str, Any], columns: list[tuple[str, str]]
    ) -> list[LakeFile]:
        # One month computed (a range of one month has only that month's rows): its file is
        # written sorted straight away, not split off by month and sorted again.
        first, last = values.get("first_month"), values.get("last_month")
        month = first if m.incremental is not None and first is not None and first == last else None
        return self.lake.write_rows(m.name, select, values, order_by=m.sorted_by, month=month)

    def table_built(self, m: SqlModel) -> None:
        pass


def _execute(con: duckdb.DuckDBPyConnection, sql: str, values: Mapping[str, Any]) -> None:
    if not PARAMETER.search(COMMENT.sub("", sql)):
        con.execute(sql)
        return
    for statement in duckdb.extract_statements(sql):
        con.execute(statement.query, parameters_for(statement.query, values))


def build(
    lake: Lake,
    sql_dir: Path = SQL_DIR,
    *,
    changed: Mapping[str, date] | None = None,
    on_model: Callable[[str, str, float], None] | None = None,
    engine: Engine | None = None,
) -> dict[str, float]:
    """Run every model; returns seconds per model. Settings tables keep rows a user edited.

    `changed` (per raw relation, the first month a load changed: `Loader.changes`) lets
    incremental tables refresh only the months that changed; None rebuilds everything.
    `on_model(name, mode, seconds)` hears of each model as it is done (for progress).
    `engine` computes the tables' rows (DuckDB when None; `warehouse.marts.spark` for Spark).
    """
    # The writer lands within 2 GB; the marts get their own (larger) limit for the rest of the
    # connection's life (a load only checks and publishes after them).
    lake.con.execute(f"SET memory_limit = '{marts_memory_limit()}'")
    return _build(
        lake, sql_dir, changed=changed, on_model=on_model, engine=engine or DuckDBEngine(lake)
    )


def _build(
    lake: Lake,
    sql_dir: Path,
    *,
    changed: Mapping[str, date] | None,
    on_model: Callable[[str, str, float], None] | None,
    engine: Engine,
) -> dict[str, float]:
    con = lake.con
    for schema in SCHEMAS:  # the folders of sql/
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(MART_BUILDS_DDL)
    previous = {
        name: fingerprint
        for name, fingerprint in con.execute(
            "SELECT model, fingerprint FROM ops.mart_builds"
        ).fetchall()
    }
    # Per relation, the first month whose rows may differ from the last build; absent = none.
    changed_from: dict[str, date] = {}
    for table in TRACKED:
        if changed is None:
            changed_from[table] = FIRST_MONTH
        elif table in changed:
            changed_from[table] = changed[table]

    known = set(TRACKED)  # relations whose changes are tracked: raw tables, files, models built

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
                engine.settings_built(m)
            elif m.is_view:
                con.execute(m.sql)
                engine.view_built(m)
                first = inputs_changed_from(m)
                rewritten = changed is None or previous.get(m.name) != fingerprint
                # A view holding every month (`Months: every`): a change from any month is one
                # of every month.
                if rewritten or (first is not None and m.every_month):
                    first = FIRST_MONTH
                mode = "view"
            else:
                with planned(con, m):
                    first, mode = _build_table(
                        lake, engine, m, changed, previous, inputs_changed_from
                    )
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


def _reach(lake: Lake, m: SqlModel) -> int:
    """How many months before its inputs' first change an incremental table recomputes: the
    header's static reach plus, when it has one, what its `Reach:` query answers."""
    reach = m.incremental or 0
    if m.reach_query is not None:
        value = lake.con.execute(m.reach_query).fetchall()[0][0]
        reach += int(value or 0)
    return reach


def _build_table(
    lake: Lake,
    engine: Engine,
    m: SqlModel,
    changed: Mapping[str, date] | None,
    previous: Mapping[str, str],
    inputs_changed_from: Callable[[SqlModel], date | None],
) -> tuple[date | None, str]:
    """Materialise one table model in the lake; returns (first month recomputed or None, mode).

    An incremental table recomputes the months from its inputs' first change (less its reach
    back) and replaces only those months' files; it is rebuilt whole when its SQL changed or it
    was never built. Any other table (a handful of rows every reader needs, the as-of date) is
    rebuilt whole when any of its inputs changed, and changes for its readers from there, as a
    view would; with unchanged inputs it is skipped.
    """
    declared = bool(
        lake.con.execute(
            "SELECT count(*) FROM ops.lake_relations WHERE relation = ?", [m.name]
        ).fetchall()[0][0]
    )
    whole = (
        m.incremental is None
        or changed is None
        or previous.get(m.name) != m.fingerprint
        or not declared
    )
    first = FIRST_MONTH
    if not whole:
        start = inputs_changed_from(m)
        if start is None:
            return None, "skipped"
        first = add_months(start, -_reach(lake, m))
        whole = first <= FIRST_MONTH
        if whole:
            first = FIRST_MONTH
    elif (
        m.incremental is None
        and changed is not None
        and declared
        and previous.get(m.name) == m.fingerprint
    ):
        # A table without months (the as-of date), always computed whole, changes for its
        # readers from where its inputs changed, as a view does; unchanged inputs leave it be.
        start = inputs_changed_from(m)
        if start is None:
            return None, "skipped"
        first = start
    select = m.select_sql()
    values = parameters_for(select, month_range(first, LAST_MONTH))
    columns = lake.columns_of(select, values)
    lake.declare(
        m.name, columns, partition_by=BY_MONTH_COLUMN if m.incremental is not None else None
    )
    ranges = [(first, LAST_MONTH)]
    if whole and m.incremental is not None:
        size = engine.chunk_months
        if size > 0 and m.one_month_at_a_time:
            size = 1
        ranges = month_chunks(lake, size)
    written = []
    for range_first, range_last in ranges:
        values = parameters_for(select, month_range(range_first, range_last))
        written += engine.write_table(m, select, values, columns)
    if whole:
        old = [f.path for f in lake.files(m.name)]
    else:
        old = [f.path for f in lake.files(m.name, (first, LAST_MONTH))]
    lake.swap(m.name, remove=old, add=written)
    engine.table_built(m)
    return first, "full" if whole else "incremental"


def month_chunks(lake: Lake, size: int) -> list[tuple[date, date]]:
    """The month ranges a whole rebuild of an incremental table computes one after the other:
    `size` months each over the landed months (`ops.lake_files` of `raw.*`), the first from
    FIRST_MONTH and the last to LAST_MONTH, so every month falls in exactly one. No table reads
    itself, so each range reads only finished inputs, as a daily refresh does; `size` 0, or
    landed months that fit in one range, give one range."""
    found = lake.con.execute(
        "SELECT min(month), max(month) FROM ops.lake_files "
        "WHERE starts_with(relation, 'raw.') AND month IS NOT NULL"
    ).fetchall()
    first_landed, last_landed = found[0] if found else (None, None)
    if size <= 0 or first_landed is None:
        return [(FIRST_MONTH, LAST_MONTH)]
    ranges = []
    start, end = FIRST_MONTH, add_months(first_landed, size - 1)
    while end < last_landed:
        ranges.append((start, end))
        start = add_months(end, 1)
        end = add_months(start, size - 1)
    ranges.append((start, LAST_MONTH))
    return ranges


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
