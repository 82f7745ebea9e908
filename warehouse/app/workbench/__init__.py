"""The analysts' SQL workbench: strictly read-only queries over the published warehouse.

`read_only` alone is not enough on DuckDB 2.0.1: a read-only connection still reads any file
(`read_csv('/etc/passwd')`), writes files (`COPY ... TO`), attaches other databases, raises
`memory_limit`, scans Python variables by name, runs every statement of a string of several, and
types `WITH d AS (DELETE ...) SELECT ...` as a SELECT. So every query gets a connection of its
own, locked down before the query text is ever seen:

* an in-memory database with the published file ATTACHed `READ_ONLY` (a fresh instance per
  query, so a publication shows on the next query; see `warehouse.storage.connect_reader`);
* `temp_directory=''` (nothing spills to disk), `enable_external_access=false` (no file, URL or
  database outside the warehouse), extension auto-install and auto-load off,
  `python_enable_replacements=false` (no Python variable is a table), `memory_limit`, `threads`,
  `max_execution_time`, then `lock_configuration=true` (no SET/RESET/PRAGMA may undo any of it).

And every query text passes `check_query` first, which uses DuckDB's own parser: exactly one
statement; its type SELECT; its parse tree (`json_serialize_sql`) free of any data-changing node
(the CTE trick) and of calls to the functions that read files or the environment. A refusal is a
`QueryRefused` whose message says what was refused and why. A query runs under a wall-clock timer
that interrupts it (`con.interrupt()`), and at most `max_rows` rows come back; a longer result is
cut there and says so.

The core never imports Streamlit: the dashboard page only draws what this package returns.

Modules: `guard` (what may run), `connection` (the locked connection), `run` (one query, timed
and capped, audited), `export` (CSV, Parquet), `schema` (the schema browser and examples).
"""

from __future__ import annotations

from warehouse.app.workbench.connection import Limits, connect_locked
from warehouse.app.workbench.export import to_csv, to_parquet
from warehouse.app.workbench.guard import (
    FILE_FUNCTIONS,
    READ_NODES,
    WHY_REFUSED,
    QueryFailed,
    QueryRefused,
    check_query,
)
from warehouse.app.workbench.run import QueryResult, QueryTimedOut, run_as, run_query
from warehouse.app.workbench.schema import (
    EXAMPLES,
    example_queries,
    header_descriptions,
    schema_columns,
)

__all__ = [
    "EXAMPLES",
    "FILE_FUNCTIONS",
    "READ_NODES",
    "WHY_REFUSED",
    "Limits",
    "QueryFailed",
    "QueryRefused",
    "QueryResult",
    "QueryTimedOut",
    "check_query",
    "connect_locked",
    "example_queries",
    "header_descriptions",
    "run_as",
    "run_query",
    "schema_columns",
    "to_csv",
    "to_parquet",
]
