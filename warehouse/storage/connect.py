"""Opening the warehouse: a writer on a staging file, or a reader on the published version.

Writers open a *staging copy* read-write (`warehouse.storage.publication`); everyone else opens
the published file read-only. Readers attach the file into a fresh in-memory database instead of
connecting to it directly: DuckDB caches database instances by path inside a process, so a plain
`connect()` after a publication would hand back the old version.

Every connection keeps the footers of the Parquet files it has read (`parquet_metadata_cache`):
a lake file is never changed once written (a job writes new files under new names and retires
the old), so a footer read once stays true, and a drill-down into one account (its timeline
reads a dozen relations of many files each) opens each file's footer once per version rather
than on every read.

Both settings are set GLOBAL, for the whole database instance: a plain `SET` holds for the one
connection only, and every cursor of it (the dashboard gives each read its own) would compute
in the machine's time zone and reread every footer.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.contract.sql import quote_literal

CATALOG = "wh"


def _settle(con: duckdb.DuckDBPyConnection) -> None:
    """UTC and the footer cache for `con` and every cursor it hands out."""
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    con.execute("SET GLOBAL parquet_metadata_cache = true")


def connect_writer(path: Path, *, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    _settle(con)
    return con


def connect_reader(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only view of the published warehouse as it is now (a later publication needs a
    new one)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `collections load INBOX` first")
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH {quote_literal(str(path))} AS {CATALOG} (READ_ONLY)")
    con.execute(f"USE {CATALOG}")
    _settle(con)
    return con
