"""The schema browser: every table and view with its description, and an example per mart view."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse import marts
from warehouse.app.workbench.connection import Limits, connect_locked
from warehouse.storage.connect import CATALOG


def schema_columns(path: Path) -> pl.DataFrame:
    """Every column of every table and view, with its description (the schema browser).

    Descriptions come from the warehouse's COMMENTs (raw and ops tables) and, for the views of
    `sql/`, from their file's header: `Purpose:` for the view, and a header line that starts with
    a column's name for the column.
    """
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
        "       sum(amount_paid_within_window) AS amount_paid_within_window\n"
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
