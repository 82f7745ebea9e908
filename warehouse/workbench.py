"""The analysts' SQL workbench: strictly read-only queries over the published warehouse.

`read_only` alone is not enough on DuckDB 2.0.1: a read-only connection still reads any file
(`read_csv('/etc/passwd')`), writes files (`COPY ... TO`), attaches other databases, raises
`memory_limit`, scans Python variables by name, runs every statement of a string of several, and
types `WITH d AS (DELETE ...) SELECT ...` as a SELECT. So every query gets a connection of its
own, locked down before the query text is ever seen:

* an in-memory database with the published file ATTACHed `READ_ONLY` (a fresh instance per
  query, so a publication shows on the next query; see `warehouse.db.connect_reader`);
* `temp_directory=''` (nothing spills to disk), `enable_external_access=false` (no file, URL or
  database outside the warehouse), extension auto-install and auto-load off,
  `python_enable_replacements=false` (no Python variable is a table), `memory_limit`, `threads`,
  `max_execution_time`, then `lock_configuration=true` (no SET/RESET/PRAGMA may undo any of it).

And every query text passes `check_query` first, which uses DuckDB's own parser: exactly one
statement; its type SELECT; its parse tree (`json_serialize_sql`) free of any data-changing node
(the CTE trick) and of calls to the functions that read files or the environment. A refusal is a
`QueryRefused` whose message says what was refused and why. A query runs under a wall-clock timer
that interrupts it (`con.interrupt()`), and at most `max_rows` rows come back; a longer result is
cut there and says so.

The core never imports Streamlit: the dashboard page only draws what this module returns.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from warehouse.db import CATALOG

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


class QueryTimedOut(RuntimeError):
    """The query ran past the time limit and was stopped."""


class QueryFailed(RuntimeError):
    """DuckDB could not run an allowed query (a typo, a missing table, ...)."""


@dataclass(frozen=True)
class Limits:
    """What one workbench query may use. Defaults suit a 2-core machine shared with the app."""

    max_rows: int = 10_000
    seconds: float = 30.0
    memory_limit: str = "1GB"
    threads: int = 1


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool  # more rows existed than max_rows: `frame` holds the first max_rows
    max_rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        shown = f"{self.frame.height:,} row(s) in {self.seconds:.2f} s"
        if self.truncated:
            return (
                f"{shown}: the result had more rows and was cut at the row cap of {self.max_rows:,}"
            )
        return shown


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
    tree = json.loads(_parser().execute("SELECT json_serialize_sql(?)", [text]).fetchone()[0])
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


# --- The locked-down connection -----------------------------------------------------------------


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect_locked(path: Path, limits: Limits = Limits()) -> duckdb.DuckDBPyConnection:
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
        con.execute(f"ATTACH {_quote(str(path))} AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
        # Order matters: temp_directory cannot be changed once external access is off.
        for setting, value in (
            ("TimeZone", "'UTC'"),
            ("temp_directory", "''"),
            ("enable_external_access", "false"),
            ("memory_limit", _quote(limits.memory_limit)),
            ("threads", str(int(limits.threads))),
            ("max_execution_time", str(max(1, int(limits.seconds * 1000)))),  # milliseconds
            ("lock_configuration", "true"),
        ):
            con.execute(f"SET {setting} = {value}")
    except BaseException:
        con.close()
        raise
    return con


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    return unique


def run_query(path: Path, sql: str, *, limits: Limits = Limits()) -> QueryResult:
    """Run one read-only query on the published warehouse within `limits`.

    Raises QueryRefused (not a read, or it reached outside the warehouse), QueryTimedOut
    (stopped by the timer) or QueryFailed (DuckDB's own error, e.g. an unknown column).
    """
    text = check_query(sql)
    started = time.perf_counter()
    con = connect_locked(path, limits)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(limits.seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        relation = con.sql(text)
        if relation is None:  # not a query after all (check_query lets none through)
            raise QueryRefused("refused: the statement returns no rows")
        reader = relation.to_arrow_reader(min(limits.max_rows + 1, 100_000))
        batches: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            if rows > limits.max_rows:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise QueryTimedOut(
            f"stopped after {limits.seconds:g} s: the workbench's time limit; "
            "narrow the query (filter a month, aggregate) and try again"
        ) from None
    except duckdb.PermissionException as exc:
        raise QueryRefused(
            "refused: the query tried to reach a file, directory, extension or database "
            f"outside the warehouse ({str(exc).splitlines()[0]})"
        ) from None
    except duckdb.Error as exc:
        message = str(exc)
        if timed_out.is_set() or "maximum execution time" in message:
            raise QueryTimedOut(
                f"stopped after {limits.seconds:g} s: the workbench's time limit"
            ) from None
        if "configuration has been locked" in message or "lock_configuration" in message:
            raise QueryRefused("refused: the workbench's settings are locked") from None
        if "read-only" in message.lower() or "attached in read-only mode" in message:
            raise QueryRefused(f"refused: the warehouse is read-only here ({message})") from None
        raise QueryFailed(message) from None
    finally:
        timer.cancel()
        con.close()
    truncated = table.num_rows > limits.max_rows
    if truncated:
        table = table.slice(0, limits.max_rows)
    table = table.rename_columns(_unique_names(table.column_names))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return QueryResult(frame, truncated, limits.max_rows, time.perf_counter() - started)


def run_as(
    user: Any, path: Path, sql: str, *, store: Any = None, limits: Limits = Limits()
) -> QueryResult:
    """`run_query` for a user whose role may use the workbench (warehouse.access), refused
    otherwise; with an app store (warehouse.app_store.AppStore) every query, refusal and
    failure is written to the audit trail."""
    from warehouse import access

    if store is not None:
        store.authorise(user, "workbench.query", sql[:200])
    else:
        access.require(user, "workbench.query")
    try:
        result = run_query(path, sql, limits=limits)
    except (QueryRefused, QueryTimedOut, QueryFailed) as exc:
        if store is not None:
            store.audit(user, "workbench.query", allowed=isinstance(exc, QueryFailed),
                        detail=f"{type(exc).__name__}: {exc}; {sql[:200]}")  # fmt: skip
        raise
    if store is not None:
        store.audit(user, "workbench.query", allowed=True,
                    detail=f"{result.frame.height} rows; {sql[:200]}")  # fmt: skip
    return result


# --- Export -------------------------------------------------------------------------------------


def _as_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no nested values: lists and structs become their text."""
    nested = [name for name, kind in frame.schema.items() if kind.is_nested()]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(_as_json, return_dtype=pl.String) for name in nested
    )


def to_csv(frame: pl.DataFrame) -> bytes:
    return _flat(frame).write_csv().encode("utf-8")


def to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


# --- Schema browser and examples ----------------------------------------------------------------


def schema_columns(path: Path) -> pl.DataFrame:
    """Every column of every table and view, with its description (the schema browser).

    Descriptions come from the warehouse's COMMENTs (raw and ops tables) and, for the views of
    `sql/`, from their file's header: `Purpose:` for the view, and a header line that starts with
    a column's name for the column.
    """
    from warehouse import marts

    con = connect_locked(path, Limits(seconds=10))
    try:
        frame = con.sql(
            """
            SELECT c.schema_name, c.table_name, c.column_name, c.data_type, c.column_index,
                   c.comment AS column_comment,
                   coalesce(t.comment, v.comment) AS table_comment,
                   CASE WHEN v.view_name IS NULL THEN 'table' ELSE 'view' END AS kind
            FROM duckdb_columns() AS c
            LEFT JOIN duckdb_tables() AS t
              ON t.database_name = c.database_name AND t.schema_name = c.schema_name
             AND t.table_name = c.table_name
            LEFT JOIN duckdb_views() AS v
              ON v.database_name = c.database_name AND v.schema_name = c.schema_name
             AND v.view_name = c.table_name
            WHERE c.database_name = ?
            ORDER BY c.schema_name, c.table_name, c.column_index
            """,
            params=[CATALOG],
        ).pl()
    finally:
        con.close()
    headers = {m.name: header_descriptions(m.sql) for m in marts.models()}
    table_text, column_text = [], []
    for row in frame.iter_rows(named=True):
        purpose, columns = headers.get(f"{row['schema_name']}.{row['table_name']}", ("", {}))
        table_text.append(row["table_comment"] or purpose or "")
        column_text.append(row["column_comment"] or columns.get(row["column_name"], ""))
    return frame.with_columns(
        pl.Series("table_description", table_text, dtype=pl.String),
        pl.Series("description", column_text, dtype=pl.String),
    ).select(
        "schema_name", "table_name", "kind", "table_description", "column_name", "data_type",
        "description",
    )  # fmt: skip


def header_descriptions(sql: str) -> tuple[str, dict[str, str]]:
    """(purpose, {column: description}) from a model file's leading comment block."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].rstrip())
    purpose: list[str] = []
    columns: dict[str, str] = {}
    in_purpose = False
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("Purpose:"):
            in_purpose = True
            purpose.append(stripped.removeprefix("Purpose:").strip())
            continue
        if in_purpose and line.startswith("         ") and not stripped.endswith(":"):
            purpose.append(stripped)
            continue
        in_purpose = False
        words = stripped.split(None, 1)
        if (
            len(words) == 2
            and words[0].isidentifier()
            and line.startswith(("   ", " "))
            and (len(line) - len(line.lstrip()) <= 4)
        ):
            current = words[0]
            for name in current.split("/"):
                columns[name] = words[1].strip()
        elif current and stripped and len(line) - len(line.lstrip()) > 4:
            columns[current] += " " + stripped
    return " ".join(purpose), columns


EXAMPLES: dict[str, str] = {
    "mart.roll_rates": (
        "-- cure and roll-forward rates of the latest 6 months, by bucket\n"
        "SELECT month, bucket, roll_forward_rate, cure_rate, stay_rate, flow_rate\n"
        "FROM mart.roll_rates\n"
        "WHERE month >= (SELECT max(month) FROM mart.roll_rates) - INTERVAL 5 MONTH\n"
        "ORDER BY month, bucket"
    ),
    "mart.bucket_migration": (
        "-- where last month's M1 balance went\n"
        "SELECT to_bucket, accounts, balance, share_of_balance\nFROM mart.bucket_migration\n"
        "WHERE from_bucket = 'M1'\n  AND month = (SELECT max(month) FROM mart.bucket_migration)\n"
        "ORDER BY share_of_balance DESC"
    ),
    "mart.portfolio_health": (
        "-- 30+/60+/90+ ratios by month, whole book\n"
        "SELECT month, sum(accounts) AS accounts, sum(balance) AS balance,\n"
        "       avg(dpd30_ratio) AS dpd30_ratio_mean_of_segments\n"
        "FROM mart.portfolio_health GROUP BY month ORDER BY month"
    ),
    "mart.contact_effectiveness": (
        "-- right-party-contact and promise rates by channel\n"
        "SELECT channel, sum(attempts) AS attempts,\n"
        "       sum(right_party_contacts) / nullif(sum(attempts), 0) AS rpc_rate,\n"
        "       sum(promises) / nullif(sum(right_party_contacts), 0) AS promise_rate,\n"
        "       sum(amount_paid_7d) AS amount_paid_7d\n"
        "FROM mart.contact_effectiveness GROUP BY channel ORDER BY attempts DESC"
    ),
    "mart.promise_outcomes": (
        "-- promises by status\n"
        "SELECT status, count(*) AS promises, sum(promised_amount) AS promised,\n"
        "       sum(paid_amount) AS paid\nFROM mart.promise_outcomes GROUP BY status"
    ),
    "mart.promise_kept_rates": (
        "-- the agents with the best kept rate (at least 20 promises)\n"
        "SELECT agent_id, sum(promises) AS promises, sum(kept) / sum(promises) AS kept_rate\n"
        "FROM mart.promise_kept_rates GROUP BY agent_id HAVING sum(promises) >= 20\n"
        "ORDER BY kept_rate DESC LIMIT 20"
    ),
    "mart.compliance_breaches": (
        "-- breaches by rule set and rule in the latest month\n"
        "SELECT rule_set, rule, count(*) AS breaches, count(DISTINCT agent_id) AS agents\n"
        "FROM mart.compliance_breaches\n"
        "WHERE started_at >= date_trunc('month',\n"
        "    (SELECT max(started_at) FROM mart.compliance_breaches))\n"
        "GROUP BY rule_set, rule ORDER BY breaches DESC"
    ),
    "mart.account_month": (
        "-- accounts and balance by risk grade in the latest month\n"
        "SELECT risk_grade, count(*) AS accounts, sum(balance) AS balance\n"
        "FROM mart.account_month WHERE month = (SELECT max(month) FROM mart.account_month)\n"
        "GROUP BY risk_grade ORDER BY accounts DESC"
    ),
}


def example_queries(view_names: list[str]) -> dict[str, str]:
    """An example per published `mart` view: a worked one where we have it, else a first look."""
    return {
        name: EXAMPLES.get(name, f"-- a first look at {name}\nSELECT *\nFROM {name}\nLIMIT 100")
        for name in sorted(view_names)
        if name.startswith("mart.")
    }
