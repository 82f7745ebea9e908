"""The workbench's connection: it can read the published warehouse and nothing else.

An in-memory database with the published file ATTACHed `READ_ONLY` (a fresh instance per query,
so a publication shows on the next query), `temp_directory=''`, `allowed_directories` = the
warehouse's own lake folder (`<db stem>.lake/`, where its views read Parquet, when there is
one), `enable_external_access=false`, extension auto-install and auto-load off,
`python_enable_replacements=false`, `memory_limit`, `threads`, `max_execution_time`, then
`lock_configuration=true` (no SET/RESET/PRAGMA may undo any of it).

The engine would still let a query read the attached file itself and the lake's files by
name; `guard.check_query` refuses every way of naming a file, so only the warehouse's views
read them. `Limits` also holds what the worker process is allowed (`worker`): its address
space, its deadline and the bytes of a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.config import lake_path
from warehouse.contract.sql import quote_literal
from warehouse.storage.connect import CATALOG

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """What one workbench query may use. Defaults suit a 2-core machine shared with the app.

    max_rows       rows that come back; a longer result is cut there and says so
    seconds        wall-clock time of the query; the worker is killed at the deadline
    memory_limit   DuckDB's own memory limit (its buffers; it does not see every allocation)
    threads        DuckDB threads
    address_space  the worker process's whole virtual memory (bytes, RLIMIT_AS): what a scalar
                   function that escapes memory_limit (range, repeat, string_split) runs into
    max_bytes      bytes of a result (Arrow buffers); a larger result is cut and says so
    """

    max_rows: int = 10_000
    seconds: float = 30.0
    memory_limit: str = "1GB"
    threads: int = 1
    address_space: int = 2560 * MiB
    max_bytes: int = 32 * MiB


DEFAULT_LIMITS = Limits()


def lake_directories(path: Path) -> list[str]:
    """The folders the engine may read beside the warehouse: its lake, when it has one."""
    lake = lake_path(Path(path).resolve())
    return [str(lake) + "/"] if lake.is_dir() else []


def lock_down(con: duckdb.DuckDBPyConnection, path: Path, limits: Limits) -> None:
    """ATTACH the warehouse read-only into `con` (a fresh in-memory connection) and lock it."""
    con.execute(f"ATTACH {quote_literal(str(path))} AS {CATALOG} (READ_ONLY)")
    con.execute(f"USE {CATALOG}")
    allowed = "[" + ", ".join(quote_literal(d) for d in lake_directories(path)) + "]"
    # Order matters: temp_directory and allowed_directories cannot change once external access
    # is off, and nothing can once the configuration is locked.
    for setting, value in (
        ("TimeZone", "'UTC'"),
        ("temp_directory", "''"),
        ("allowed_directories", allowed),
        ("enable_external_access", "false"),
        ("memory_limit", quote_literal(limits.memory_limit)),
        ("threads", str(int(limits.threads))),
        ("max_execution_time", str(max(1, int(limits.seconds * 1000)))),  # milliseconds
        ("lock_configuration", "true"),
    ):
        con.execute(f"SET {setting} = {value}")


def connect_locked(path: Path, limits: Limits = DEFAULT_LIMITS) -> duckdb.DuckDBPyConnection:
    """A connection that can read the warehouse and nothing else, and cannot be unlocked."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `collections load INBOX` first")
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "python_enable_replacements": False,
        },
    )
    try:
        lock_down(con, Path(path), limits)
    except BaseException:
        con.close()
        raise
    return con
