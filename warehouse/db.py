"""DuckDB access: the warehouse's tables, and the two ways to open it.

Writers open a *staging copy* read-write (see `publish`); everyone else opens the published file
read-only. Readers attach the file into a fresh in-memory database instead of connecting to it
directly: DuckDB caches database instances by path inside a process, so a plain `connect()`
after a publication would hand back the old version.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.loaders import EXTRACTS
from warehouse.loaders.schema import LINEAGE_COLUMNS, Extract

CATALOG = "wh"

OPS_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS settings;
CREATE SCHEMA IF NOT EXISTS mart;
CREATE TABLE IF NOT EXISTS ops.load_runs (
    load_id BIGINT PRIMARY KEY,
    inbox VARCHAR,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    files BIGINT,
    files_refused BIGINT,
    rows_read BIGINT,
    rows_landed BIGINT,
    rows_quarantined BIGINT,
    status VARCHAR
);
CREATE TABLE IF NOT EXISTS ops.loaded_files (
    load_id BIGINT,
    file_name VARCHAR,
    extract VARCHAR,
    business_date DATE,
    sha256 VARCHAR,
    size_bytes BIGINT,
    rows_read BIGINT,
    rows_landed BIGINT,
    rows_quarantined BIGINT,
    rows_replaced BIGINT,
    status VARCHAR,
    message VARCHAR,
    loaded_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS ops.quarantine (
    load_id BIGINT,
    file_name VARCHAR,
    extract VARCHAR,
    business_date DATE,
    line_number BIGINT,
    column_name VARCHAR,
    reason VARCHAR,
    raw_record VARCHAR
);
CREATE TABLE IF NOT EXISTS ops.publications (
    version BIGINT PRIMARY KEY,
    load_id BIGINT,
    published_at TIMESTAMPTZ
);
"""

OPS_COMMENTS = {
    "ops.loaded_files": "one row per file per load run: what was read, landed, quarantined",
    "ops.quarantine": "one row per rejected row: file, line (1 = header), column, reason",
    "ops.load_runs": "one row per `collections load`",
    "ops.publications": "every published version of this warehouse",
}


def raw_table_ddl(extract: Extract) -> str:
    columns = [*extract.stored_columns(), *LINEAGE_COLUMNS]
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type, _ in columns)
    return f"CREATE TABLE IF NOT EXISTS {extract.table} (\n    {body}\n);"


def history_table_ddl(extract: Extract) -> str:
    """The history table of an extract that keeps only its latest record (`Extract.history`)."""
    if extract.history is None:
        raise ValueError(f"extract {extract.name!r} keeps no history")
    columns = [*extract.history_columns(), *LINEAGE_COLUMNS]
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type, _ in columns)
    return f"CREATE TABLE IF NOT EXISTS {extract.history.table} (\n    {body}\n);"


def raw_tables() -> tuple[str, ...]:
    """Every table the loaders land rows in: one per extract, and the extracts' histories."""
    tables = [extract.table for extract in EXTRACTS.values()]
    tables += [e.history.table for e in EXTRACTS.values() if e.history is not None]
    return tuple(tables)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table the loaders need (idempotent), with descriptions for the schema browser."""
    con.execute(OPS_DDL)
    for extract in EXTRACTS.values():
        con.execute(raw_table_ddl(extract))
        con.execute(f"COMMENT ON TABLE {extract.table} IS {_quote(extract.grain)}")
        for name, _, description in [*extract.stored_columns(), *LINEAGE_COLUMNS]:
            con.execute(f"COMMENT ON COLUMN {extract.table}.{name} IS {_quote(description)}")
        if extract.history is not None:
            ensure_history(con, extract)
    for table, description in OPS_COMMENTS.items():
        con.execute(f"COMMENT ON TABLE {table} IS {_quote(description)}")


def ensure_history(con: duckdb.DuckDBPyConnection, extract: Extract) -> None:
    """Create an extract's history table (idempotent). A warehouse loaded before the table
    existed gets it empty; the views that read it fall back to the raw table's latest records."""
    assert extract.history is not None
    con.execute(history_table_ddl(extract))
    table = extract.history.table
    con.execute(f"COMMENT ON TABLE {table} IS {_quote(extract.history.grain)}")
    for name, _, description in [*extract.history_columns(), *LINEAGE_COLUMNS]:
        con.execute(f"COMMENT ON COLUMN {table}.{name} IS {_quote(description)}")


def connect_writer(path: Path, *, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    return con


def connect_reader(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only view of the published warehouse as it is now (later publications need a new one)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `collections load INBOX` first")
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH {_quote(str(path))} AS {CATALOG} (READ_ONLY)")
    con.execute(f"USE {CATALOG}")
    con.execute("SET TimeZone = 'UTC'")
    return con
