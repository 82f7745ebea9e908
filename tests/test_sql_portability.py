"""Every file of `sql/` must transpile from DuckDB to Spark SQL (a bank that outgrows one machine
runs the same definitions on Apache Spark), with sqlglot raising on anything it cannot express.

A file that has to use a DuckDB-only construct says so in its header, with the reason:

    -- dialect: duckdb-only because <reason>

and is listed here by that header, not skipped silently.
"""

from __future__ import annotations

import re

import pytest
import sqlglot

from warehouse import marts

DUCKDB_ONLY = re.compile(
    r"^--\s*dialect:\s*duckdb-only because \S.*$", re.IGNORECASE | re.MULTILINE
)
MENTIONS_DUCKDB_ONLY = re.compile(r"^--\s*dialect:.*duckdb-only", re.IGNORECASE | re.MULTILINE)
MODELS = marts.models()


def is_duckdb_only(model: marts.SqlModel) -> bool:
    return bool(DUCKDB_ONLY.search(model.sql))


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
def test_transpiles_to_spark(model: marts.SqlModel) -> None:
    if is_duckdb_only(model):
        pytest.skip(f"{model.file} is DuckDB-only: {DUCKDB_ONLY.search(model.sql)[0]}")
    spark = sqlglot.transpile(
        model.sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE
    )
    assert spark, f"{model.file}: nothing transpiled"


def test_duckdb_only_files_say_why() -> None:
    # (Today no file needs the exemption.) A header that mentions duckdb-only must give a reason.
    for model in MODELS:
        mentions = MENTIONS_DUCKDB_ONLY.search(model.sql)
        assert not mentions or is_duckdb_only(model), (
            f"{model.file}: write `-- dialect: duckdb-only because <reason>`"
        )


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
def test_the_runner_reads_the_inputs_the_parse_tree_names(model: marts.SqlModel) -> None:
    # The runner finds a model's inputs by name (fast, no parse); sqlglot's parse tree must agree.
    from sqlglot import exp

    parsed: set[str] = set()
    for statement in sqlglot.parse(model.sql, read="duckdb"):
        if statement is None:
            continue
        for table in statement.find_all(exp.Table):
            if table.db and table.name:
                parsed.add(f"{table.db}.{table.name}".lower())
    parsed.discard(model.name)
    assert model.inputs == frozenset(parsed)


# --- the rule iterated_recursion, run on DuckDB -------------------------------------------------
# A hand-made pour of the kind core.promise_allocations does: two payments, 60.00 then 70.00,
# fill two promises in due order, P1 (needs 50.00, due first) and P2 (needs 100.00). Payment 1:
# P1 takes its 50.00, the 10.00 left flows to P2. Payment 2: P1 has no room, P2 takes 70.00
# (80.00 in all). The recursive step's share is a running sum (a window over the rows of the
# round before), which Spark refuses in a recursive CTE; the rule evaluates it one round at a
# time. Run on DuckDB, the rule's steps must give what DuckDB's own recursion gives.
POUR = """
WITH RECURSIVE payments AS (
    SELECT * FROM (VALUES (1, 60.00), (2, 70.00)) AS t(n, amount)
),
poured AS (
    SELECT name, due, need, CAST(0 AS DECIMAL(18, 2)) AS got, 0 AS step
    FROM (VALUES ('P1', 1, 50.00), ('P2', 2, 100.00)) AS p(name, due, need)
    UNION ALL
    SELECT name, due, need, CAST(got + least(room, greatest(0, amount - coalesce(sum(room) OVER (
        ORDER BY due ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS DECIMAL(18, 2)),
        step
    FROM (
        SELECT q.name, q.due, q.need, q.got, q.need - q.got AS room, pay.amount, pay.n AS step
        FROM poured AS q INNER JOIN payments AS pay ON pay.n = q.step + 1
    ) AS next_payment
)
SELECT name, arg_max(got, step) AS got FROM poured GROUP BY name ORDER BY name
"""


def run_steps_on_duckdb(con, query: str) -> list[tuple]:
    from warehouse.marts.spark import iterated_recursion

    steps, rest = iterated_recursion(sqlglot.parse_one(query, read="duckdb"), "t", "duckdb")
    for step in steps:
        con.execute(f"CREATE TEMP TABLE {step.view} AS {step.sql}")
        if step.repeat:
            names = ", ".join(r[0] for r in con.execute(f"DESCRIBE {step.view}").fetchall())
            con.execute(f"CREATE TEMP TABLE {step.previous} AS SELECT * FROM {step.view}")
            for _ in range(100):
                con.execute(
                    f"CREATE TEMP TABLE round AS SELECT * FROM ({step.repeat}) AS r({names})"
                )
                if not con.execute("SELECT count(*) FROM round").fetchone()[0]:
                    con.execute("DROP TABLE round")
                    break
                con.execute(f"INSERT INTO {step.view} SELECT * FROM round")
                con.execute(f"DROP TABLE {step.previous}")
                con.execute(f"ALTER TABLE round RENAME TO {step.previous}")
    return con.execute(rest.sql(dialect="duckdb")).fetchall()


def test_a_recursive_cte_evaluated_round_by_round_gives_what_duckdb_gives() -> None:
    from decimal import Decimal

    import duckdb

    con = duckdb.connect()
    expected = [("P1", Decimal("50.00")), ("P2", Decimal("80.00"))]
    assert con.execute(POUR).fetchall() == expected
    assert run_steps_on_duckdb(con, POUR) == expected


def test_a_query_without_a_recursive_cte_has_no_steps() -> None:
    from warehouse.marts.spark import iterated_recursion

    plain = sqlglot.parse_one("WITH RECURSIVE a AS (SELECT 1 AS x) SELECT x FROM a", read="duckdb")
    assert iterated_recursion(plain, "t") == ([], plain)


def test_promise_allocations_is_the_one_model_iterated() -> None:
    # If another model gains a recursive CTE, the Spark equivalence test covers it; this names
    # which models go through the rule today.
    from warehouse.marts.spark import iterated_recursion, ruled

    values = marts.month_range(marts.FIRST_MONTH, marts.LAST_MONTH)
    iterated = [
        m.name
        for m in MODELS
        if not m.is_settings
        and not m.is_view
        and iterated_recursion(ruled(m.select_sql(), values), "t")[0]
    ]
    assert iterated == ["core.promise_allocations"]
