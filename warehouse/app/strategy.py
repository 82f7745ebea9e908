"""Procedure step 1 under *candidate* settings: grade, cause and treatment, nothing saved.

A manager adjusting the risk-grading or strategy thresholds wants to see what the change would do
before saving it. The rules are defined once, in `sql/mart/account_month.sql`; this module runs
that same query for one month with some of the settings tables it reads replaced by candidate
rows. The candidate rows are registered on the connection (a read-only dashboard connection will
do) and unregistered afterwards: nothing is written, and there is no second copy of the rules.

    from warehouse.app.strategy import grade_accounts, compare_grades
    candidate = {"risk_grades": [...rows of settings.risk_grades with the new thresholds...]}
    preview = grade_accounts(con, date(2024, 2, 1), candidate)   # one row per account
    compare_grades(con, date(2024, 2, 1), candidate)             # saved grade x candidate grade
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import duckdb
import polars as pl

from warehouse import marts

MODEL = "mart.account_month"

# A candidate: settings table (`risk_grades` or `settings.risk_grades`) -> its complete new rows,
# as dicts or a Polars frame with the table's columns. Tables left out keep their saved rows.
Candidate = Mapping[str, Sequence[Mapping[str, Any]] | pl.DataFrame]


def candidate_tables() -> list[str]:
    """The settings tables a candidate may replace: those the grading query reads."""
    return sorted(name for name in marts.model(MODEL).inputs if name.startswith("settings."))


def typed_candidate(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]] | pl.DataFrame
) -> tuple[str, str]:
    """Register the candidate rows; returns (registered name, a typed subquery over them)."""
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    expected = [name for name, *_ in columns]
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows))
    found = frame.columns
    if frame.height and sorted(found) != sorted(expected):
        raise ValueError(
            f"candidate rows for {table} must have exactly its columns: expected "
            f"{', '.join(expected)}; found {', '.join(found) or 'none'}"
        )
    name = f"__candidate_{table.replace('.', '_')}_{uuid.uuid4().hex[:8]}"
    if not frame.height:
        # No rows: a typed empty relation (the setting is switched off entirely).
        typed = ", ".join(f"CAST(NULL AS {kind}) AS {col}" for col, kind, *_ in columns)
        con.register(name, pl.DataFrame({"_": []}))
        return name, f"(SELECT {typed} FROM {name} WHERE FALSE)"
    con.register(name, frame)
    typed = ", ".join(f"CAST({col} AS {kind}) AS {col}" for col, kind, *_ in columns)
    return name, f"(SELECT {typed} FROM {name})"


def grade_accounts(
    con: duckdb.DuckDBPyConnection, month: date, candidate: Candidate | None = None
) -> pl.DataFrame:
    """Every account of `month` as mart.account_month would grade it under `candidate`.

    Returns mart.account_month's columns for that month (risk_grade, risk_factors,
    delinquency_cause, treatment and the inputs behind them). Without a candidate the result
    equals what the warehouse holds for the month.
    """
    month = date(month.year, month.month, 1)
    model = marts.model(MODEL)
    allowed = set(candidate_tables())
    tables: dict[str, Sequence[Mapping[str, Any]] | pl.DataFrame] = {}
    for key, rows in (candidate or {}).items():
        table = key if key.startswith("settings.") else f"settings.{key}"
        if table not in allowed:
            raise ValueError(
                f"{key!r} is not a setting of the grading rules; candidates may replace "
                f"{', '.join(sorted(allowed))}"
            )
        tables[table] = rows
    with substituted(con, model.select_sql(), tables) as query:
        values = marts.month_range(month, month)
        with marts.planned(con, model):
            return con.sql(query, params=marts.parameters_for(query, values)).pl()


@contextmanager
def substituted(
    con: duckdb.DuckDBPyConnection,
    query: str,
    candidate: Mapping[str, Sequence[Mapping[str, Any]] | pl.DataFrame],
) -> Iterator[str]:
    """`query` with each settings table of `candidate` read from its candidate rows instead.

    The rows are registered on `con` (a read-only connection will do) for the duration of the
    block and unregistered afterwards: nothing is written, and the rules stay in their model.
    """
    registered: list[str] = []
    try:
        for table, rows in candidate.items():
            name, relation = typed_candidate(con, table, rows)
            registered.append(name)
            query = re.sub(rf"\b{re.escape(table)}\b", relation, query)
        yield query
    finally:
        for name in registered:
            con.unregister(name)


def compare_grades(
    con: duckdb.DuckDBPyConnection, month: date, candidate: Candidate
) -> pl.DataFrame:
    """What the candidate would change in `month`: accounts and balance by saved grade and
    treatment x candidate grade and treatment (unchanged pairs included, for the totals)."""
    month = date(month.year, month.month, 1)
    preview = grade_accounts(con, month, candidate).select(
        "account_id",
        pl.col("risk_grade").alias("candidate_risk_grade"),
        pl.col("delinquency_cause").alias("candidate_delinquency_cause"),
        pl.col("treatment").alias("candidate_treatment"),
    )
    saved = con.sql(
        "SELECT account_id, risk_grade, delinquency_cause, treatment, balance "
        "FROM mart.account_month WHERE month = ?",
        params=[month],
    ).pl()
    keys = [
        "risk_grade",
        "candidate_risk_grade",
        "delinquency_cause",
        "candidate_delinquency_cause",
        "treatment",
        "candidate_treatment",
    ]
    return (
        saved.join(preview, on="account_id", how="full", coalesce=True)
        .group_by(keys)
        .agg(pl.len().alias("accounts"), pl.col("balance").sum().alias("balance"))
        .sort(keys, nulls_last=True)
    )
