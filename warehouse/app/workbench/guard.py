"""What the workbench lets run: exactly one read-only SELECT, decided from DuckDB's own parse.

`check_query` uses DuckDB's parser twice: `extract_statements` (how many statements, of which
type) and `json_serialize_sql` (the whole tree: a DELETE inside a WITH is a SELECT to the
first). The tree is then walked against **allow-lists**, not a list of bad names:

* every query node is a SELECT, a set operation or a CTE (anything else changes data);
* every table reference is a table or view by its plain name, a subquery, a join, VALUES,
  PIVOT/UNPIVOT, DESCRIBE/SUMMARIZE, or a call of one of ALLOWED_TABLE_FUNCTIONS (ranges,
  `unnest`, the catalogue's own `duckdb_*` functions): no table function that reads a file, runs
  SQL from a string (`json_execute_serialized_sql`, `query`), or reaches the environment;
* a table named by a path (`FROM 'x.csv'`, `FROM "/etc/passwd"`) is refused: DuckDB would read
  the file (a replacement scan);
* the few scalar functions that read the environment or plan SQL from text are refused.

So no query reads a file, the warehouse's own included (DuckDB lets a read-only connection read
the file it attached). A refusal is a `QueryRefused` with a `code` and its `params`, so the
dashboard can say it in the user's language; its English text is what the audit trail keeps.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import duckdb

MAX_QUERY_CHARS = 100_000  # the audit trail keeps a query's text whole, up to this
MAX_TREE_NODES = 200_000

# Table functions a query may call: they make rows from their arguments or describe the
# warehouse's own catalogue. Every other one (read_csv, read_blob, glob, query,
# json_execute_serialized_sql, parquet_metadata, duckdb_settings, ...) is refused.
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "repeat_row",
        "json_each",
        "json_tree",
        "duckdb_columns",
        "duckdb_tables",
        "duckdb_views",
        "duckdb_schemas",
        "duckdb_types",
        "duckdb_functions",
        "duckdb_keywords",
        "duckdb_constraints",
        "duckdb_indexes",
        "duckdb_sequences",
        "pragma_table_info",
    }  # fmt: skip
)
# Scalar functions refused wherever they appear: the environment, secrets, and planning SQL
# from a string (which binds file-reading functions inside it).
REFUSED_FUNCTIONS = frozenset(
    {"getenv", "which_secret", "json_serialize_plan", "json_execute_serialized_sql"}
)
# Query-node types of a read: anything else in the tree (DELETE/INSERT/UPDATE_QUERY_NODE, ...)
# changes data, wherever it hides.
READ_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
TABLE_REFS = frozenset(
    {
        "BASE_TABLE",
        "TABLE_FUNCTION",
        "SUBQUERY",
        "JOIN",
        "EMPTY",
        "EXPRESSION_LIST",
        "PIVOT",
        "SHOW_REF",
    }  # fmt: skip
)
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# Kept for callers of the first version: the names refused outright before the allow-list.
FILE_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "parquet_scan",
        "read_json",
        "read_json_auto",
        "read_text",
        "read_blob",
        "glob",
        "sniff_csv",
        "query",
        "query_table",
        "getenv",
    }  # fmt: skip
)

WHY_REFUSED = {
    "COPY": "COPY reads or writes files",
    "COPY_DATABASE": "COPY FROM DATABASE writes a database",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH changes the attached databases",
    "EXTENSION": "INSTALL/LOAD adds code to the engine",
    "LOAD": "INSTALL/LOAD adds code to the engine",
    "UPDATE_EXTENSIONS": "UPDATE EXTENSIONS changes the engine",
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
    "EXPLAIN": "EXPLAIN is not offered; run the query itself",
    "CHECKPOINT": "CHECKPOINT writes the warehouse",
    "LOGICAL_PLAN": "this statement is not a query",
    "RELATION": "this statement is not a query",
    "UNKNOWN": "this statement is not a query (e.g. UPDATE EXTENSIONS changes the engine)",
}
PIVOT_ADVICE = (
    "a PIVOT that first looks up its columns' values is two statements here; name the values "
    "and it is one: PIVOT <table> ON <column> IN ('a', 'b', ...) USING sum(<measure>) "
    "(it may be wrapped, e.g. SELECT * FROM (PIVOT ...) WHERE ...)"
)


class QueryRefused(ValueError):
    """The workbench will not run this text. `code` and `params` name the reason (the
    dashboard's catalogue says it in the user's language); the text says it in English."""

    def __init__(self, code: str, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class QueryFailed(RuntimeError):
    """DuckDB could not run an allowed query (a typo, a missing table, ...)."""

    code = "failed"


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


def _refuse_statement(kind: str) -> QueryRefused:
    why = WHY_REFUSED.get(kind, f"{kind} is not a read")
    return QueryRefused(
        "statement",
        f"refused: {why}. The workbench only runs read-only SELECT queries.",
        statement=kind,
    )


def _tree(text: str) -> dict[str, Any]:
    raw = _parser().execute("SELECT json_serialize_sql(?)", [text]).fetchall()[0][0]
    try:
        tree = json.loads(raw)
    except RecursionError:
        raise QueryRefused(
            "too_deep", "refused: the query is nested too deeply to check; simplify it"
        ) from None
    if not isinstance(tree, dict):
        raise QueryRefused("construct", "refused: the query could not be checked", construct="?")
    return tree


def _check_name(table: dict[str, Any]) -> None:
    for part in ("catalog_name", "schema_name", "table_name"):
        name = table.get(part) or ""
        if name and not PLAIN_NAME.match(name):
            raise QueryRefused(
                "file_table",
                f"refused: {name!r} is not the name of a table or view; a path or URL named as "
                "a table would be read as a file, and the workbench reads only the warehouse's "
                "own tables and views (outside the warehouse: refused)",
                name=name,
            )


def _check_node(node: dict[str, Any]) -> None:
    """One dict of the tree: an expression (it has a `class`), a query node (a `cte_map`, or a
    type ending in _NODE), a table reference (an `alias` and a `query_location`), or a detail
    (an ORDER BY term, a modifier, a type) that decides nothing."""
    node_type = node.get("type")
    if "class" in node:
        if node.get("class") == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name in REFUSED_FUNCTIONS:
                raise QueryRefused(
                    "function",
                    f"refused: {name}() reaches the environment or runs SQL from text; the "
                    "workbench only reads the warehouse's own tables and views",
                    name=name,
                )
        return
    if "cte_map" in node or (isinstance(node_type, str) and node_type.endswith("_NODE")):
        if node_type not in READ_NODES:
            verb = str(node_type).removesuffix("_QUERY_NODE").removesuffix("_NODE")
            raise QueryRefused(
                "data_changing",
                f"refused: the query hides a data-changing {verb} (e.g. inside WITH); "
                "the workbench only reads",
                verb=verb,
            )
        return
    if not ("alias" in node and "query_location" in node):
        return
    if node_type not in TABLE_REFS:
        raise QueryRefused(
            "construct",
            f"refused: {node_type} is not a construct the workbench knows to be a read",
            construct=str(node_type),
        )
    if node_type == "BASE_TABLE":
        _check_name(node)
    elif node_type == "TABLE_FUNCTION":
        function = node.get("function") or {}
        name = str(function.get("function_name", "")).lower()
        qualified = function.get("schema") or function.get("catalog")
        if name not in ALLOWED_TABLE_FUNCTIONS or qualified:
            raise QueryRefused(
                "table_function",
                f"refused: {name}() is not one of the table functions the workbench allows "
                f"({', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))}); it may read files, run SQL "
                "from text or reach outside the warehouse",
                name=name,
            )


def _walk_and_check(tree: dict[str, Any]) -> None:
    """Every dict of the tree through `_check_node`, iteratively (a deep tree cannot blow the
    stack), at most MAX_TREE_NODES of them."""
    stack: list[Any] = [tree]
    seen = 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            seen += 1
            if seen > MAX_TREE_NODES:
                raise QueryRefused("too_deep", "refused: the query is too large to check")
            _check_node(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _without_tail(text: str) -> str:
    """The statement without what may trail it (comments, `;`), so it can be wrapped."""
    while True:
        tokens = duckdb.tokenize(text)
        cut = len(text)
        for position, kind in reversed(tokens):
            if kind != duckdb.token_type.comment:
                break
            cut = position
        text = text[:cut].rstrip()
        if not text.endswith(";"):
            return text
        text = text[:-1].rstrip()


def check_query(sql: str) -> str:
    """The one read-only statement of `sql`, or QueryRefused with the reason (QueryFailed when
    it does not parse at all)."""
    if len(sql) > MAX_QUERY_CHARS:
        raise QueryRefused(
            "too_long",
            f"refused: the query has {len(sql):,} characters; the workbench takes at most "
            f"{MAX_QUERY_CHARS:,}",
            chars=len(sql),
            limit=MAX_QUERY_CHARS,
        )
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.ParserException as exc:
        if "expression depth" in str(exc):
            raise QueryRefused(
                "too_deep", "refused: the query is nested too deeply to check; simplify it"
            ) from None
        raise QueryFailed(f"the query does not parse: {exc}") from None
    except duckdb.Error as exc:
        raise QueryFailed(f"the query does not parse: {exc}") from None
    if not statements:
        raise QueryRefused("empty", "there is no statement to run")
    if len(statements) > 1:
        raise QueryRefused(
            "several",
            f"one statement at a time: found {len(statements)} (separated by `;`); "
            "run them one by one",
            count=len(statements),
        )
    statement = statements[0]
    try:
        kind = statement.type.name
    except ValueError:  # a statement type the Python client has no name for (UPDATE EXTENSIONS)
        raise _refuse_statement("UNKNOWN") from None
    if kind == "MULTI":
        raise QueryRefused("pivot", f"refused: {PIVOT_ADVICE}")
    if kind != "SELECT":
        raise _refuse_statement(kind)
    text = _without_tail(statement.query)
    tree = _tree(text)
    if tree.get("error"):
        raise QueryRefused(
            "construct",
            f"refused: only plain SELECT queries are allowed ({tree.get('error_message', '')})",
            construct=str(tree.get("error_message", "")),
        )
    _walk_and_check(tree)
    return text
