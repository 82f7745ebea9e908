"""What the workbench lets run: exactly one read-only SELECT, decided from DuckDB's own parse.

`check_query` uses DuckDB's parser twice: `extract_statements` (how many statements, of which
type) and `json_serialize_sql` (the whole tree: a DELETE inside a WITH is a SELECT to the
first). A refusal is a `QueryRefused` whose message says what was refused and why.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import duckdb

# Table and scalar functions that reach outside the warehouse. External access is off anyway;
# naming them here gives the analyst a clear refusal instead of a permission error.
FILE_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "parquet_scan",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_text",
        "read_blob",
        "glob",
        "sniff_csv",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "parquet_bloom_probe",
        "read_xlsx",
        "st_read",
        "iceberg_scan",
        "delta_scan",
        "sqlite_scan",
        "sqlite_attach",
        "postgres_scan",
        "postgres_attach",
        "mysql_scan",
        "getenv",
        "query",
        "query_table",
        "read_duckdb",
        "load_aws_credentials",
    }  # fmt: skip
)
# Query-node types of a read: anything else in the tree (DELETE/INSERT/UPDATE_QUERY_NODE, ...)
# changes data, wherever it hides.
READ_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})

WHY_REFUSED = {
    "COPY": "COPY reads or writes files",
    "COPY_DATABASE": "COPY FROM DATABASE writes a database",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH changes the attached databases",
    "EXTENSION": "INSTALL/LOAD adds code to the engine",
    "LOAD": "INSTALL/LOAD adds code to the engine",
    "SET": "SET/RESET changes the engine's settings",
    "VARIABLE_SET": "SET VARIABLE changes the session",
    "PRAGMA": "PRAGMA can change settings or read files",
    "CREATE": "CREATE changes the warehouse",
    "CREATE_FUNC": "CREATE FUNCTION/MACRO changes the warehouse",
    "INSERT": "INSERT changes data",
    "UPDATE": "UPDATE changes data",
    "DELETE": "DELETE changes data",
    "MERGE_INTO": "MERGE changes data",
    "DROP": "DROP changes the warehouse",
    "ALTER": "ALTER changes the warehouse",
    "TRANSACTION": "transactions are not needed for reading",
    "VACUUM": "VACUUM changes the warehouse",
    "ANALYZE": "ANALYZE changes the warehouse's statistics",
    "CALL": "CALL runs procedures; select from a table function instead",
    "PREPARE": "PREPARE/EXECUTE runs other statements",
    "EXECUTE": "PREPARE/EXECUTE runs other statements",
    "MULTI": "this statement expands into several (e.g. PIVOT); wrap it as `SELECT * FROM (...)`",
    "EXPLAIN": "EXPLAIN is not offered; run the query itself",
}


class QueryRefused(ValueError):
    """The workbench will not run this text; the message says why (for the analyst)."""


class QueryFailed(RuntimeError):
    """DuckDB could not run an allowed query (a typo, a missing table, ...)."""


# --- Checking the text --------------------------------------------------------------------------

_PARSER = threading.local()


def _parser() -> duckdb.DuckDBPyConnection:
    """A bare in-memory connection per thread, used only to parse (nothing is executed on it
    but `json_serialize_sql`, which parses without binding)."""
    con = getattr(_PARSER, "con", None)
    if con is None:
        con = duckdb.connect(":memory:", config={"enable_external_access": False})
        _PARSER.con = con
    return con


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def check_query(sql: str) -> str:
    """The one read-only statement of `sql`, or QueryRefused with the reason.

    Uses DuckDB's parser twice: `extract_statements` (how many statements, of which type) and
    `json_serialize_sql` (the whole tree: a DELETE inside a WITH is a SELECT to the first).
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryFailed(f"the query does not parse: {exc}") from None
    if not statements:
        raise QueryRefused("there is no statement to run")
    if len(statements) > 1:
        raise QueryRefused(
            f"one statement at a time: found {len(statements)} (separated by `;`); "
            "run them one by one"
        )
    statement = statements[0]
    kind = statement.type.name
    if kind != "SELECT":
        why = WHY_REFUSED.get(kind, f"{kind} is not a read")
        raise QueryRefused(f"refused: {why}. The workbench only runs read-only SELECT queries.")
    text = statement.query.strip().rstrip(";")
    tree = json.loads(_parser().execute("SELECT json_serialize_sql(?)", [text]).fetchall()[0][0])
    if tree.get("error"):
        raise QueryRefused(
            f"refused: only plain SELECT queries are allowed ({tree.get('error_message', '')})"
        )
    for node in _walk(tree):
        node_type = node.get("type")
        if (
            isinstance(node_type, str)
            and node_type.endswith("_NODE")
            and node_type not in READ_NODES
        ):
            verb = node_type.removesuffix("_QUERY_NODE").removesuffix("_NODE")
            raise QueryRefused(
                f"refused: the query hides a data-changing {verb} (e.g. inside WITH); "
                "the workbench only reads"
            )
        name = node.get("function_name")
        if isinstance(name, str) and name.lower() in FILE_FUNCTIONS:
            raise QueryRefused(
                f"refused: {name}() reads files or the environment outside the warehouse; "
                "the workbench only reads the warehouse's own tables and views"
            )
    return text
