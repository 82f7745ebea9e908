"""The warehouse's own tables: every `raw.*` table of the contract and every `ops.*` table.

The raw tables' DDL and comments come from the extract declarations (`warehouse.contract`);
the operational tables (`ops.*`) are declared here, all of them, so the schema browser and the
jobs agree on them.
"""

from __future__ import annotations

import duckdb

from warehouse.contract import EXTRACTS
from warehouse.contract.schema import LINEAGE_COLUMNS, Extract
from warehouse.contract.sql import quote_literal

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

# What the mart runner did with each model at its last build (`warehouse.marts`).
MART_BUILDS_DDL = """
CREATE TABLE IF NOT EXISTS ops.mart_builds (
    model VARCHAR PRIMARY KEY,
    fingerprint VARCHAR,
    mode VARCHAR,
    first_month DATE,
    seconds DOUBLE,
    built_at TIMESTAMPTZ
)
"""

# Each settings version (the app store) the marts were rebuilt with (`warehouse.jobs.rebuild`).
SETTINGS_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS ops.settings_version (
    version BIGINT,
    author VARCHAR,
    reason VARCHAR,
    created_at VARCHAR,
    applied_at TIMESTAMPTZ
);
COMMENT ON TABLE ops.settings_version IS
    'each settings version (app_store.sqlite) the marts were rebuilt with; latest applied_at rules';
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


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table the loaders need (idempotent), described for the schema browser."""
    con.execute(OPS_DDL)
    for extract in EXTRACTS.values():
        con.execute(raw_table_ddl(extract))
        con.execute(f"COMMENT ON TABLE {extract.table} IS {quote_literal(extract.grain)}")
        for name, _, description in [*extract.stored_columns(), *LINEAGE_COLUMNS]:
            con.execute(f"COMMENT ON COLUMN {extract.table}.{name} IS {quote_literal(description)}")
        if extract.history is not None:
            ensure_history(con, extract)
    for table, description in OPS_COMMENTS.items():
        con.execute(f"COMMENT ON TABLE {table} IS {quote_literal(description)}")


def ensure_history(con: duckdb.DuckDBPyConnection, extract: Extract) -> None:
    """Create an extract's history table (idempotent). A warehouse loaded before the table
    existed gets it empty; the views that read it fall back to the raw table's latest records."""
    assert extract.history is not None
    con.execute(history_table_ddl(extract))
    table = extract.history.table
    con.execute(f"COMMENT ON TABLE {table} IS {quote_literal(extract.history.grain)}")
    for name, _, description in [*extract.history_columns(), *LINEAGE_COLUMNS]:
        con.execute(f"COMMENT ON COLUMN {table}.{name} IS {quote_literal(description)}")
