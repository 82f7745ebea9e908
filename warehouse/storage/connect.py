"""Opening the warehouse: a writer on a staging file, or a reader on the published version.

Writers open a *staging copy* read-write (`warehouse.storage.publication`); everyone else opens
the published file read-only. Readers attach the file into a fresh in-memory database instead of
connecting to it directly: DuckDB caches database instances by path inside a process, so a plain
`connect()` after a publication would hand back the old version.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.contract.sql import quote_literal

CATALOG = "wh"


def connect_writer(path: Path, *, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    return con


def connect_reader(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only view of the published warehouse as it is now (a later publication needs a
    new one)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `collections load INBOX` first")
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH {quote_literal(str(path))} AS {CATALOG} (READ_ONLY)")
    con.execute(f"USE {CATALOG}")
    con.execute("SET TimeZone = 'UTC'")
    return con
