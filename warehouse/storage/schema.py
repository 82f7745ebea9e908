"""The warehouse's own relations: every `raw.*` relation of the contract and every `ops.*` table.

The raw relations' columns and descriptions come from the extract declarations
(`warehouse.contract`); their rows live in the lake (`warehouse.storage.lake`). The operational
tables (`ops.*`) are declared here, all of them, so the schema browser and the jobs agree on
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.contract import EXTRACTS
from warehouse.contract.schema import LINEAGE_COLUMNS, Extract
from warehouse.contract.sql import quote_literal
from warehouse.storage.lake import BY_BUSINESS_MONTH, Lake

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
-- Added after the first release: a file's modification time, so an unchanged inbox is known
-- without reading every file again.
ALTER TABLE ops.loaded_files ADD COLUMN IF NOT EXISTS modified_ns BIGINT;
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
-- What `collections purge` dropped (warehouse.jobs.purge): how far back the records go.
CREATE TABLE IF NOT EXISTS ops.purges (
    purged_at TIMESTAMPTZ,
    before_date DATE,
    relation VARCHAR,
    rows_dropped BIGINT
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


@dataclass(frozen=True)
class RawRelation:
    """A relation the loaders land rows in: an extract, or an extract's history."""

    name: str  # raw.<table>
    grain: str
    columns: tuple[tuple[str, str, str], ...]  # (name, DuckDB type, description)
    extract: Extract


def raw_relations() -> tuple[RawRelation, ...]:
    """Every relation the loaders land rows in: one per extract, and the extracts' histories."""
    found = []
    for extract in EXTRACTS.values():
        found.append(
            RawRelation(
                extract.table,
                extract.grain,
                (*extract.stored_columns(), *LINEAGE_COLUMNS),
                extract,
            )
        )
        if extract.history is not None:
            found.append(
                RawRelation(
                    extract.history.table,
                    extract.history.grain,
                    (*extract.history_columns(), *LINEAGE_COLUMNS),
                    extract,
                )
            )
    return tuple(found)


def raw_tables() -> tuple[str, ...]:
    """The names of every raw relation (`raw_relations`)."""
    return tuple(r.name for r in raw_relations())


def tables_to_move(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Relations of a warehouse written before the lake: tables in raw, core or mart."""
    return [
        f"{schema}.{name}"
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() AND NOT internal "
            "AND schema_name IN ('raw', 'core', 'mart') ORDER BY 1, 2"
        ).fetchall()
    ]


def move_into_lake(con: duckdb.DuckDBPyConnection, lake: Lake) -> list[str]:
    """A warehouse written before the lake (every relation a table of one DuckDB file) moves its
    landed rows into the lake and drops its tables; the next build writes the marts there. The
    catalog then shrinks to settings, ops and dq (DuckDB frees the dropped tables' blocks)."""
    moved = tables_to_move(con)
    raw = {r.name: r for r in raw_relations()}
    for name in moved:
        if name in raw:
            relation = raw[name]
            lake.declare(
                name,
                [(column, kind) for column, kind, _ in relation.columns],
                comment=relation.grain,
                column_comments={column: text for column, _, text in relation.columns},
                partition_by=BY_BUSINESS_MONTH,
            )
            files = lake.write_rows(name, f"SELECT * FROM {name}")
        con.execute(f"DROP TABLE {name}")
        if name in raw:
            lake.swap(name, add=files)
    return moved


def ensure_schema(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Create every ops table and declare every raw relation (an empty view at first);
    idempotent, and a column the contract gained reaches every relation's view. A warehouse
    written before the lake moves into it first (`move_into_lake`)."""
    con.execute(OPS_DDL)
    if tables_to_move(con):
        move_into_lake(con, lake)
    for relation in raw_relations():
        lake.declare(
            relation.name,
            [(name, kind) for name, kind, _ in relation.columns],
            comment=relation.grain,
            column_comments={name: text for name, _, text in relation.columns},
            partition_by=BY_BUSINESS_MONTH,
        )
        lake.refresh_view(relation.name)
    for table, description in OPS_COMMENTS.items():
        con.execute(f"COMMENT ON TABLE {table} IS {quote_literal(description)}")
