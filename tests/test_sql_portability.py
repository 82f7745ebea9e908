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
