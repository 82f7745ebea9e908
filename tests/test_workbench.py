"""The SQL workbench (warehouse/workbench.py): every way out of read-only is refused, clearly.

The warehouse here is a small DuckDB file with one `mart` view over one table; the attacks
are the ones DuckDB 2.0.1 lets through a plain `read_only=True` connection.
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.app.workbench import (
    Limits,
    QueryFailed,
    QueryRefused,
    QueryTimedOut,
    check_query,
    example_queries,
    header_descriptions,
    run_query,
    to_csv,
    to_parquet,
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("wb") / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA mart; CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.accounts AS SELECT 'A' || i AS account_id, i * 100.0 AS balance "
        "FROM range(1, 51) t(i)"
    )
    con.execute("COMMENT ON TABLE raw.accounts IS 'one row per account'")
    con.execute("COMMENT ON COLUMN raw.accounts.balance IS 'balance in yuan'")
    con.execute("CREATE VIEW mart.balances AS SELECT account_id, balance FROM raw.accounts")
    con.close()
    return db


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text("secret\nhunter2\n")
    return path


def refused(warehouse: Path, sql: str, *, limits: Limits | None = None) -> str:
    with pytest.raises(QueryRefused) as caught:
        run_query(warehouse, sql, limits=limits or Limits())
    return str(caught.value)


# --- Ordinary queries ---------------------------------------------------------------------------


def test_an_ordinary_query_answers(warehouse: Path) -> None:
    result = run_query(warehouse, "SELECT count(*) AS n, sum(balance) AS total FROM mart.balances")
    assert result.frame.to_dicts() == [{"n": 50, "total": pytest.approx(127500)}]
    assert not result.truncated


def test_ordinary_shapes_are_allowed(warehouse: Path) -> None:
    for sql in (
        "FROM mart.balances LIMIT 3",
        "WITH b AS (SELECT * FROM mart.balances) SELECT count(*) FROM b",
        "SELECT 1 AS x UNION ALL SELECT 2",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) "
        "SELECT sum(i) FROM n",
        "SELECT account_id, rank() OVER (ORDER BY balance DESC) FROM raw.accounts LIMIT 2",
        "DESCRIBE mart.balances",
        "SELECT * FROM (SELECT * FROM raw.accounts) "
        "WHERE balance > (SELECT avg(balance) FROM raw.accounts)",
        "SELECT * FROM duckdb_columns() WHERE schema_name = 'mart'",
        "select count(*) from mart.balances;  -- a trailing semicolon and comment",
    ):
        assert run_query(warehouse, sql).frame.height >= 1, sql


def test_duplicate_column_names_are_kept_apart(warehouse: Path) -> None:
    result = run_query(warehouse, "SELECT 1 AS a, 2 AS a")
    assert result.frame.columns == ["a", "a_2"]


def test_a_result_beyond_the_row_cap_is_cut_and_says_so(warehouse: Path) -> None:
    result = run_query(
        warehouse, "SELECT * FROM mart.balances ORDER BY balance", limits=Limits(max_rows=10)
    )
    assert result.frame.height == 10
    assert result.truncated
    assert "cut at the row cap of 10" in result.message
    assert result.frame["account_id"][0] == "A1"


def test_a_huge_result_is_cut_at_the_row_cap(warehouse: Path) -> None:
    result = run_query(
        warehouse, "SELECT * FROM range(10000000000) t(i)", limits=Limits(max_rows=1000)
    )
    assert result.frame.height == 1000 and result.truncated and result.cut_by == "rows"


def test_a_query_that_would_run_for_minutes_is_stopped_by_the_timer(warehouse: Path) -> None:
    with pytest.raises(QueryTimedOut, match="time limit") as caught:
        run_query(
            warehouse,
            "SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = -1",
            limits=Limits(seconds=1.0),
        )
    assert caught.value.limit == "time"


def test_a_typo_is_an_error_not_a_refusal(warehouse: Path) -> None:
    with pytest.raises(QueryFailed, match="nosuch"):
        run_query(warehouse, "SELECT * FROM mart.nosuch")


def test_exports_round_trip(warehouse: Path) -> None:
    frame = run_query(
        warehouse, "SELECT account_id, balance, [1, 2] AS l FROM mart.balances LIMIT 2"
    ).frame
    assert to_csv(frame).startswith(b"\xef\xbb\xbf")
    assert to_csv(frame).decode("utf-8-sig").splitlines()[0] == "account_id,balance,l"
    assert to_csv(frame).decode("utf-8-sig").splitlines()[1] == 'A1,100.0,"[1, 2]"'
    back = pl.read_parquet(io.BytesIO(to_parquet(frame)))
    assert back.height == 2 and back["l"].to_list() == [[1, 2], [1, 2]]


# --- Attacks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM read_csv('{secret}')", "read_csv"),
        ("SELECT * FROM read_csv_auto('{secret}')", "read_csv_auto"),
        ("SELECT * FROM read_parquet('{secret}')", "read_parquet"),
        ("SELECT * FROM read_text('/etc/passwd')", "read_text"),
        ("SELECT * FROM read_blob('/etc/hostname')", "read_blob"),
        ("SELECT * FROM glob('/etc/*')", "glob"),
        ("SELECT * FROM sniff_csv('/etc/passwd')", "sniff_csv"),
        ("SELECT * FROM read_json('/etc/passwd')", "read_json"),
        ("SELECT getenv('HOME')", "getenv"),
        ("SELECT * FROM query('SELECT 1')", "query"),
    ],
)
def test_file_and_environment_functions_are_refused(
    warehouse: Path, secret_file: Path, sql: str, expected: str
) -> None:
    assert expected in refused(warehouse, sql.format(secret=secret_file))


def test_a_file_named_as_a_table_is_refused(warehouse: Path, secret_file: Path) -> None:
    message = refused(warehouse, f"SELECT * FROM '{secret_file}'")
    assert "outside the warehouse" in message


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("COPY raw.accounts TO '{out}'", "COPY"),
        ("COPY (SELECT * FROM raw.accounts) TO '{out}' (FORMAT parquet)", "COPY"),
        ("COPY raw.accounts FROM '{out}'", "COPY"),
        ("EXPORT DATABASE '{dir}'", "EXPORT"),
        ("ATTACH '{dir}/other.duckdb' AS other", "ATTACH"),
        ("ATTACH ':memory:' AS scratch", "ATTACH"),
        ("DETACH wh", "DETACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("SET memory_limit = '100GB'", "SET"),
        ("SET lock_configuration = false", "SET"),
        ("RESET memory_limit", "SET"),
        ("SET enable_external_access = true", "SET"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("CREATE TABLE memory.main.x AS SELECT 1", "CREATE"),
        ("CREATE VIEW mart.v AS SELECT 1", "CREATE"),
        ("CREATE MACRO m(x) AS x + 1", "CREATE"),
        ("INSERT INTO raw.accounts VALUES ('Z', 1)", "INSERT"),
        ("UPDATE raw.accounts SET balance = 0", "UPDATE"),
        ("DELETE FROM raw.accounts", "DELETE"),
        ("DROP VIEW mart.balances", "DROP"),
        ("ALTER TABLE raw.accounts ADD COLUMN x INT", "ALTER"),
        ("CALL pragma_table_info('raw.accounts')", "CALL"),
        ("CHECKPOINT", "refused"),
        ("BEGIN TRANSACTION", "transactions"),
        ("VACUUM", "VACUUM"),
        ("PIVOT raw.accounts ON account_id USING sum(balance)", "IN ('a', 'b'"),
    ],
)
def test_statements_that_are_not_reads_are_refused(
    warehouse: Path, tmp_path: Path, sql: str, expected: str
) -> None:
    out = tmp_path / "out.csv"
    message = refused(warehouse, sql.format(out=out, dir=tmp_path))
    assert expected in message
    assert not out.exists()
    assert not list(tmp_path.iterdir()) or all(p.name != "other.duckdb" for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "sql",
    [
        "WITH d AS (DELETE FROM raw.accounts RETURNING *) SELECT * FROM d",
        "WITH u AS (UPDATE raw.accounts SET balance = 0 RETURNING *) SELECT count(*) FROM u",
        "WITH i AS (INSERT INTO raw.accounts VALUES ('Z', 1) RETURNING *) SELECT * FROM i",
        "SELECT * FROM (WITH d AS (DELETE FROM raw.accounts RETURNING *) SELECT * FROM d)",
    ],
)
def test_a_data_change_hidden_in_a_cte_is_refused(warehouse: Path, sql: str) -> None:
    assert duckdb.extract_statements(sql)[0].type.name == "SELECT"  # what the parser types it
    assert "data-changing" in refused(warehouse, sql)
    assert run_query(warehouse, "SELECT count(*) AS n FROM raw.accounts").frame["n"][0] == 50


def test_several_statements_are_refused_and_none_runs(warehouse: Path) -> None:
    message = refused(warehouse, "SELECT 1; DROP VIEW mart.balances")
    assert "one statement at a time: found 2" in message
    assert "one statement" in refused(warehouse, "SELECT 1; SELECT 2")
    assert run_query(warehouse, "SELECT count(*) FROM mart.balances").frame.height == 1


def test_an_empty_text_is_refused(warehouse: Path) -> None:
    assert "no statement" in refused(warehouse, "  -- nothing here\n")


def test_python_variables_are_not_tables(warehouse: Path) -> None:
    secret_frame = pl.DataFrame({"secret": ["hunter2"]})  # noqa: F841 (the replacement scan's bait)
    with pytest.raises(QueryFailed, match="secret_frame"):
        run_query(warehouse, "SELECT * FROM secret_frame")


def test_settings_cannot_be_raised_from_inside_a_select(warehouse: Path) -> None:
    # current_setting is a read; the locked connection reports the limits it was given.
    frame = run_query(
        warehouse,
        "SELECT current_setting('enable_external_access') AS ext, "
        "current_setting('lock_configuration') AS locked, current_setting('threads') AS threads",
        limits=Limits(threads=1),
    ).frame
    assert frame.row(0) == (False, True, 1)


def test_the_engine_guard_holds_without_the_text_check(warehouse: Path, secret_file: Path) -> None:
    """Defence in depth: were the text check fooled, the locked connection still refuses."""
    from warehouse.app.workbench import connect_locked

    con = connect_locked(warehouse)
    try:
        for sql in (
            f"SELECT * FROM read_csv('{secret_file}')",
            f"COPY raw.accounts TO '{secret_file}.out'",
            f"ATTACH '{secret_file}.db' AS x",
            "SET memory_limit = '64GB'",
            "SET lock_configuration = false",
            "INSTALL httpfs",
            "DELETE FROM raw.accounts",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
    assert not Path(f"{secret_file}.out").exists()


def test_check_query_returns_the_one_statement() -> None:
    assert check_query("SELECT 1;") == "SELECT 1"


def test_examples_and_header_descriptions() -> None:
    examples = example_queries(["mart.roll_rates", "mart.balances", "raw.accounts"])
    assert set(examples) == {"mart.roll_rates", "mart.balances"}
    assert "LIMIT 100" in examples["mart.balances"]
    purpose, columns = header_descriptions(
        "-- mart.x\n-- Purpose: what it is\n--          and more.\n-- Grain: one row.\n"
        "-- Measures:\n--   bucket   the bucket\n--            of the account.\nSELECT 1"
    )
    assert purpose == "what it is and more."
    assert columns["bucket"] == "the bucket of the account."
