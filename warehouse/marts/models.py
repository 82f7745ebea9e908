"""The models of `sql/`: one file per settings table, core step or published view.

`sql/<schema>/<object>.sql` creates exactly `<schema>.<object>` (schemas `settings`, `core`,
`mart`). Nobody numbers the files: the run order is taken from the relations each file reads
(parsed with sqlglot), settings first, so a model always runs after everything it reads.

A file's header says how it is built: `-- Refresh: incremental by month[, reaching back N
months]` for a table keyed by `month` that can recompute a range of months (named parameters
`$first_month` and `$last_month`; it reads whatever earlier rows its months need itself),
`-- Reach: SELECT ...` for more months of reach that a setting decides (a window of days),
`-- Sorted by: a, b` for a table whose files are written
sorted by those columns (readers that filter on them skip most of each file), and
`-- Joins: the smaller side of each join is on the right` for one that asks DuckDB to keep its
joins' build sides as written, and `-- Months: every` for a view whose rows hold for every
month whatever their inputs' dates (today's record of each account): any change of its inputs
changes every month of the tables that read it. `-- Rebuild: one month at a time` asks a whole
rebuild to compute the table one month per query (each month's file is then written sorted as
it is computed, not split off a range and sorted again: worth it where the sort costs more than
a query's reading its inputs once more).
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import duckdb

from warehouse.config import SQL_DIR

SCHEMAS = ("settings", "core", "mart")  # the folders of sql/, in the order ties run
OBJECT_NAME = re.compile(r"^[a-z][a-z_0-9]*$")
INCREMENTAL = re.compile(
    r"^--\s*Refresh:\s*incremental by month(?:, reaching back (?P<reach>\d+) months?)?",
    re.IGNORECASE | re.MULTILINE,
)
# A reach that a setting decides (a window of N days reaches back ceil(N / 28) months): the
# header names a query that returns the months, e.g.
#   -- Reach: SELECT ... FROM settings.measure_parameters ...
REACH_QUERY = re.compile(r"^--\s*Reach:\s*(?P<query>SELECT\b.*)$", re.IGNORECASE | re.MULTILINE)
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
# A table that readers filter by some columns (an account, a matrix cell) says so, and each of its
# files is written sorted by them, so a reader skips most of every file by its statistics.
SORTED_BY = re.compile(
    r"^--\s*Sorted by:\s*(?P<columns>[\w, ]+?)\s*$", re.IGNORECASE | re.MULTILINE
)
ONE_MONTH_AT_A_TIME = re.compile(
    r"^--\s*Rebuild:\s*one month at a time\b", re.IGNORECASE | re.MULTILINE
)
EVERY_MONTH = re.compile(r"^--\s*Months:\s*every\b", re.IGNORECASE | re.MULTILINE)
CREATES_TABLE = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TABLE\b", re.IGNORECASE | re.MULTILINE)
CREATES_VIEW = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\b", re.IGNORECASE | re.MULTILINE)
PARAMETER = re.compile(r"\$([a-z_]+)\b")
# A relation of the warehouse named in SQL: `raw.snapshots`, `mart.account_month`, ...
RELATION = re.compile(r"\b(raw|ops|dq|settings|core|mart)\.([a-z_][a-z_0-9]*)\b", re.IGNORECASE)
QUOTED = re.compile(r"'(?:[^']|'')*'")
COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class SqlModel:
    name: str  # schema.object
    path: Path

    @cached_property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def file(self) -> str:
        """The file's path inside sql/ (`mart/account_month.sql`), for messages."""
        return f"{self.path.parent.name}/{self.path.name}"

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

    @cached_property
    def reach_query(self) -> str | None:
        """The query whose answer (months) is added to the table's static reach (header
        `Reach:`), for a look-back that a setting decides."""
        match = REACH_QUERY.search(self.sql)
        return match["query"].strip().rstrip(";") if match else None

    @cached_property
    def sorted_by(self) -> tuple[str, ...]:
        """The columns each of the table's files is sorted by (header `Sorted by:`)."""
        match = SORTED_BY.search(self.sql)
        if not match:
            return ()
        return tuple(c.strip() for c in match["columns"].split(",") if c.strip())

    @property
    def joins_as_written(self) -> bool:
        return bool(JOINS_AS_WRITTEN.search(self.sql))

    @property
    def one_month_at_a_time(self) -> bool:
        """A whole rebuild computes it one month per query (header `Rebuild: one month at a
        time`)."""
        return bool(ONE_MONTH_AT_A_TIME.search(self.sql))

    @property
    def every_month(self) -> bool:
        """Its rows hold for every month (header `Months: every`): a change of its inputs from
        any month changes all of them."""
        return bool(EVERY_MONTH.search(self.sql))

    @cached_property
    def inputs(self) -> frozenset[str]:
        """Every schema-qualified relation the file reads (CTE names are not qualified): the
        names `<schema>.<object>` of the warehouse's schemas outside comments and strings.
        (A test holds this equal to what sqlglot's parse tree names.)"""
        text = QUOTED.sub("''", COMMENT.sub("", self.sql))
        found = {f"{schema}.{name}".lower() for schema, name in RELATION.findall(text)}
        found.discard(self.name)
        return frozenset(found)

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def select_sql(self) -> str:
        """The query of a table model (the text after `CREATE OR REPLACE TABLE x AS`)."""
        statements = [s.query for s in duckdb.extract_statements(self.sql)]
        match = CREATE_TABLE.match(COMMENT.sub("", statements[-1])) if statements else None
        if len(statements) != 1 or not match or match["name"].lower() != self.name:
            raise ValueError(
                f"{self.file}: expected one `CREATE OR REPLACE TABLE {self.name} AS ...` statement"
            )
        return match["select"]


def _run_order(found: list[SqlModel]) -> list[SqlModel]:
    """Every model after the models it reads; ties by schema (settings, core, mart), then name."""
    by_name = {m.name: m for m in found}
    waiting = {m.name: {i for i in m.inputs if i in by_name} for m in found}
    readers: dict[str, list[str]] = {name: [] for name in by_name}
    for name, inputs in waiting.items():
        for source in inputs:
            readers[source].append(name)

    def rank(name: str) -> tuple[int, str]:
        return (SCHEMAS.index(by_name[name].schema), name)

    ready = [rank(name) for name, inputs in waiting.items() if not inputs]
    heapq.heapify(ready)
    ordered: list[SqlModel] = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(by_name[name])
        for reader in readers[name]:
            waiting[reader].discard(name)
            if not waiting[reader]:
                heapq.heappush(ready, rank(reader))
    if len(ordered) != len(found):
        stuck = sorted(name for name, inputs in waiting.items() if inputs)
        raise ValueError(f"sql/: these models read each other in a circle: {', '.join(stuck)}")
    return ordered


@lru_cache(maxsize=8)
def _discover(sql_dir: Path, stamp: tuple[tuple[str, int], ...]) -> tuple[SqlModel, ...]:
    found = []
    for relative, _ in stamp:
        path = sql_dir / relative
        schema, stem = path.parent.name, path.stem
        if schema not in SCHEMAS or not OBJECT_NAME.match(stem):
            raise ValueError(
                f"{path}: SQL files are sql/<schema>/<object>.sql with schema one of "
                f"{', '.join(SCHEMAS)} and a lower-case object name"
            )
        found.append(SqlModel(f"{schema}.{stem}", path))
    return tuple(_run_order(found))


def models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    """Every model of `sql_dir` in run order."""
    sql_dir = Path(sql_dir)
    paths = sorted(sql_dir.glob("*/*.sql"))
    stray = sorted(sql_dir.glob("*.sql"))
    if stray:
        raise ValueError(f"{stray[0]}: SQL files go in sql/<schema>/, one object per file")
    stamp = tuple((str(p.relative_to(sql_dir)), p.stat().st_mtime_ns) for p in paths)
    return list(_discover(sql_dir, stamp))


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


def month_range(first_month: date, last_month: date) -> dict[str, Any]:
    """The named parameters of an incremental model computing `first_month` to `last_month`."""
    return {"first_month": first_month, "last_month": last_month}
