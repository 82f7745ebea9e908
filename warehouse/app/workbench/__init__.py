"""The analysts' SQL workbench: strictly read-only queries over the published warehouse.

`read_only` alone is not enough on DuckDB 2.0.1: a read-only connection still reads any file
(`read_csv('/etc/passwd')`, and the attached warehouse file itself through `read_blob`), writes
files (`COPY ... TO`), attaches other databases, raises `memory_limit`, scans Python variables
by name, runs every statement of a string of several, and types `WITH d AS (DELETE ...)
SELECT ...` as a SELECT. And DuckDB's own limits do not hold a scalar function: `SELECT
len(range(0, 150000000))` grows past any `memory_limit` and ignores `interrupt()`. So:

* **The text** passes `check_query` (guard.py) first, on DuckDB's own parse tree: exactly one
  statement; its type SELECT; no data-changing node anywhere; every table reference a plain
  table or view name, a subquery, a join, VALUES, PIVOT, DESCRIBE, or a call of an allowed
  table function (an allow-list: ranges, `unnest`, the catalogue's `duckdb_*` functions), so
  no query reads any file, runs SQL from a string, or reaches the environment.
* **The query runs in a worker process** (worker.py, started per query by run.py) with an
  OS-enforced address-space limit, a CPU limit, no file writes and no core dumps, killed at the
  deadline; at most `max_rows` rows and `max_bytes` bytes of answer come back. The dashboard's
  process survives every query and says which limit stopped it.
* **The connection** inside the worker (connection.py) is locked before the text is seen: the
  published file ATTACHed `READ_ONLY`, `temp_directory=''`, `allowed_directories` = the
  warehouse's own lake folder, `enable_external_access=false`, extension auto-install and
  auto-load off, `python_enable_replacements=false`, `memory_limit`, `threads`,
  `max_execution_time`, then `lock_configuration=true`.
* **Every query is audited** (`run_as`): one row per query, answered, refused, failed or
  stopped, with its text, rows and outcome; the exceptions carry a code the dashboard turns
  into the user's language.

The core never imports Streamlit: the dashboard page only draws what this package returns.
Names are imported lazily, so the worker process loads only what it runs.

Modules: `guard` (what may run), `connection` (the locked connection and the limits), `worker`
(the process a query runs in), `run` (one query through a worker, audited), `export` (CSV,
Parquet), `schema` (the schema browser and examples).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warehouse.app.workbench.connection import Limits, connect_locked
    from warehouse.app.workbench.export import to_csv, to_parquet
    from warehouse.app.workbench.guard import (
        ALLOWED_TABLE_FUNCTIONS,
        FILE_FUNCTIONS,
        MAX_QUERY_CHARS,
        READ_NODES,
        WHY_REFUSED,
        QueryFailed,
        QueryRefused,
        check_query,
    )
    from warehouse.app.workbench.run import (
        QueryResult,
        QueryStopped,
        QueryTimedOut,
        run_as,
        run_query,
    )
    from warehouse.app.workbench.schema import (
        EXAMPLES,
        example_queries,
        header_descriptions,
        schema_columns,
    )

_HOMES = {
    "Limits": "connection",
    "connect_locked": "connection",
    "to_csv": "export",
    "to_parquet": "export",
    "ALLOWED_TABLE_FUNCTIONS": "guard",
    "FILE_FUNCTIONS": "guard",
    "MAX_QUERY_CHARS": "guard",
    "READ_NODES": "guard",
    "WHY_REFUSED": "guard",
    "QueryFailed": "guard",
    "QueryRefused": "guard",
    "check_query": "guard",
    "QueryResult": "run",
    "QueryStopped": "run",
    "QueryTimedOut": "run",
    "run_as": "run",
    "run_query": "run",
    "EXAMPLES": "schema",
    "example_queries": "schema",
    "header_descriptions": "schema",
    "schema_columns": "schema",
}

__all__ = [
    "ALLOWED_TABLE_FUNCTIONS",
    "EXAMPLES",
    "FILE_FUNCTIONS",
    "MAX_QUERY_CHARS",
    "READ_NODES",
    "WHY_REFUSED",
    "Limits",
    "QueryFailed",
    "QueryRefused",
    "QueryResult",
    "QueryStopped",
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
