"""The workbench's connection: it can read the published warehouse and nothing else.

An in-memory database with the published file ATTACHed `READ_ONLY` (a fresh instance per query,
so a publication shows on the next query), `temp_directory=''`, `enable_external_access=false`,
extension auto-install and auto-load off, `python_enable_replacements=false`, `memory_limit`,
`threads`, `max_execution_time`, then `lock_configuration=true` (no SET/RESET/PRAGMA may undo
any of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.contract.sql import quote_literal
from warehouse.storage.connect import CATALOG
from warehouse.storage.lake import lake_root


@dataclass(frozen=True)
class Limits:
    """What one workbench query may use. Defaults suit a 2-core machine shared with the app."""

    max_rows: int = 10_000
    seconds: float = 30.0
    memory_limit: str = "1GB"
    threads: int = 1


DEFAULT_LIMITS = Limits()


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
        con.execute(f"ATTACH {quote_literal(str(path))} AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
        # Order matters: temp_directory cannot be changed once external access is off. The
        # warehouse's lake stays readable (its views read its files); nothing else does.
        lake = str(lake_root(Path(path)).resolve()) + "/"
        for setting, value in (
            ("TimeZone", "'UTC'"),
            ("temp_directory", "''"),
            ("allowed_directories", f"[{quote_literal(lake)}]"),
            ("enable_external_access", "false"),
            ("memory_limit", quote_literal(limits.memory_limit)),
            ("threads", str(int(limits.threads))),
            ("max_execution_time", str(max(1, int(limits.seconds * 1000)))),  # milliseconds
            ("lock_configuration", "true"),
        ):
            con.execute(f"SET {setting} = {value}")
    except BaseException:
        con.close()
        raise
    return con
