"""The Spark engine computes every mart exactly as DuckDB does (issue 11).

A small generated bank (300 accounts, 3 months, then one more day) is loaded with DuckDB; a copy
is rebuilt whole by a real local Spark session (`collections build --engine spark`), and every
relation of `sql/` read through the catalog equals DuckDB's row for row (money to the cent,
rates to 1e-9). The next day is then loaded into both, the marts refreshed month by month on
each engine from the same change detection: equal again. Hand-made rows in the generated files
put a payment 7 days minus 0.4 s and another 7 days plus 0.4 s after a contact (the
`paid_within_days` window of core.contact_attempts, the one model using `epoch`). Each
transpilation rule has its test.

One Spark session for the module (`local[2]`, 2 shuffle partitions, no UI). Skipped, saying so,
when no Java is installed.
"""

from __future__ import annotations

import math
import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from conftest import query

from warehouse import marts
from warehouse.jobs.build import build_marts
from warehouse.jobs.load import load_inbox
from warehouse.marts.spark import (
    SparkEngine,
    group_by_all,
    java_missing,
    parameters,
    relation_names,
    spark_type,
    sub_second_epoch,
    timezone_function,
    to_spark,
)
from warehouse.storage import connect_reader, copy_warehouse

pytestmark = [
    pytest.mark.spark,
    # The budget is 90 s on a quiet 2-core machine; a machine shared with other jobs can take
    # many times that (the module's Spark build is one fixture), so the timeout is generous.
    pytest.mark.timeout(1800),
    pytest.mark.skipif(java_missing() is not None, reason=java_missing() or ""),
]

MODELS = [m for m in marts.models() if not m.is_settings]


@pytest.fixture(scope="module")
def spark():
    from checks import run as checks_run
    from warehouse.marts.spark import session

    # Great Expectations imported after pyspark runs pyspark's Connect module, which exits the
    # process (SystemExit 0) where __main__ has no file, as in an xdist worker: the loads of the
    # test files this worker runs after this one would fail. So the checks' own import (pyspark
    # hidden) comes first, as a load's would.
    checks_run.preload()
    deadline = time.monotonic() + 600
    while not checks_run.ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checks_run.ready(), "Great Expectations did not import"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    active = session("local[2]", app_name="collections-tests", shuffle_partitions=2)
    yield active
    active.stop()


def rows_of(db: Path, relation: str) -> tuple[list[tuple[str, str]], list[tuple]]:
    con = connect_reader(db)
    try:
        columns = [
            (r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        ]
        return columns, con.execute(f"SELECT * FROM {relation} ORDER BY ALL").fetchall()
    finally:
        con.close()


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b  # Decimal money compares to the cent (and exactly)


def assert_same_marts(duckdb_db: Path, spark_db: Path) -> None:
    differ = []
    for m in MODELS:
        columns, expected = rows_of(duckdb_db, m.name)
        spark_columns, got = rows_of(spark_db, m.name)
        assert spark_columns == columns, f"{m.name}: columns or types differ"
        if len(got) != len(expected):
            differ.append(f"{m.name}: {len(got)} rows on Spark, {len(expected)} on DuckDB")
            continue
        for want, have in zip(expected, got, strict=True):
            bad = [
                f"{name}={have[i]!r} (DuckDB {want[i]!r})"
                for i, (name, _) in enumerate(columns)
                if not same(want[i], have[i])
            ]
            if bad:
                differ.append(f"{m.name}: {', '.join(bad[:3])}")
                break
    assert not differ, "\n".join(differ)


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory, spark) -> dict[str, Path]:
    """The generated bank loaded by DuckDB, and a copy rebuilt whole on Spark."""
    from warehouse.demo import generate_bank

    folder = tmp_path_factory.mktemp("spark-bank")
    generate_bank(
        folder / "inbox",
        accounts=300,
        months=3,
        seed=11,
        start=date(2024, 11, 1),
        then_days=1,
        days_out=folder / "days",
    )
    add_sub_second_edge(folder / "inbox")
    on_duckdb = folder / "duckdb" / "warehouse.duckdb"
    summary = load_inbox(folder / "inbox", db=on_duckdb, run_checks=False)
    assert summary.refused == 0
    on_spark = copy_warehouse(on_duckdb, folder / "spark" / "warehouse.duckdb")
    build_marts(on_spark, engine="spark", spark=spark)
    (day,) = sorted((folder / "days").iterdir())
    return {"duckdb": on_duckdb, "spark": on_spark, "day": day}


def test_a_full_build_on_spark_equals_duckdb(banks: dict[str, Path]) -> None:
    modes = dict(query(banks["spark"], "SELECT model, mode FROM ops.mart_builds"))
    assert {modes[m.name] for m in MODELS if not m.is_view} == {"full"}
    assert_same_marts(banks["duckdb"], banks["spark"])


def test_spark_writes_the_lake_layout(banks: dict[str, Path]) -> None:
    # Every table Spark wrote is in the lake as DuckDB's are: month folders for a table keyed
    # by month, one `all` folder otherwise, each file listed in ops.lake_files.
    files = query(
        banks["spark"],
        "SELECT relation, month, path FROM ops.lake_files WHERE relation LIKE 'mart.%'",
    )
    assert files
    for _relation, month, path in files:
        folder = path.split("/")[2]
        assert folder == ("all" if month is None else f"month={month.isoformat()}"), path
        assert (banks["spark"].with_name("warehouse.lake") / path).exists()
    # The settings travel with the lake, as Parquet, for a cluster to read.
    exported = {r for (r,) in query(banks["spark"], "SELECT relation FROM ops.lake_files")}
    assert "settings.buckets" in exported and "settings.measure_parameters" in exported


def test_a_month_by_month_refresh_on_spark_equals_duckdb(
    banks: dict[str, Path], spark, tmp_path: Path
) -> None:
    # The next day lands on both; the same change detection decides which months each engine
    # recomputes; the marts stay equal (and DuckDB's incremental refresh equals its full one:
    # tests/test_incremental.py).
    duckdb_db = copy_warehouse(banks["duckdb"], tmp_path / "duckdb" / "warehouse.duckdb")
    spark_db = copy_warehouse(banks["spark"], tmp_path / "spark" / "warehouse.duckdb")
    load_inbox(banks["day"], db=duckdb_db, run_checks=False)
    load_inbox(
        banks["day"], db=spark_db, run_checks=False, engine=lambda lake: SparkEngine(lake, spark)
    )
    modes = dict(query(spark_db, "SELECT model, mode FROM ops.mart_builds"))
    assert "incremental" in modes.values()
    assert modes == dict(query(duckdb_db, "SELECT model, mode FROM ops.mart_builds"))
    assert_same_marts(duckdb_db, spark_db)


# --- the sub-second edge of the 7-day window ---------------------------------------------------
# Written into the generated bank (one build serves every comparison): an account with no
# contact at all and no payment from 4 to 12 December gets a call at 2024-12-04 10:00:00.300
# and two payments, EDGE-Y1 7 days minus 0.4 s later (inside the window: 100.00) and EDGE-Y2
# 7 days plus 0.4 s later (outside: 50.00). In whole seconds (UNIX_TIMESTAMP) EDGE-Y2 is exactly
# 7 days after the call, and would count: 150.00.
EDGE_CALL = "2024-12-04 10:00:00.300"
EDGE_PAYMENTS = (("EDGE-Y1", "2024-12-11 09:59:59.900", "100.00"),
                 ("EDGE-Y2", "2024-12-11 10:00:00.700", "50.00"))  # fmt: skip


def add_sub_second_edge(inbox: Path) -> str:
    """Append the edge's call and payments to the generated files; returns the account."""
    import csv

    def rows(pattern: str) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        for path in sorted(inbox.glob(pattern)):
            with path.open(newline="", encoding="utf-8") as f:
                found.extend(csv.DictReader(f))
        return found

    contacted = {r["account_id"] for r in rows("contacts_*.csv")}
    paid_near = {
        r["account_id"]
        for r in rows("payments_*.csv")
        if "2024-12-04" <= r["paid_at"] < "2024-12-13"
    }
    accounts = [r["account_id"] for r in rows("accounts_20241130.csv")]
    quiet = [a for a in accounts if a not in contacted and a not in paid_near]
    assert quiet, "the generated bank has no account without contacts and December payments"
    account = quiet[0]

    def append(path: Path, values: dict[str, str]) -> None:
        with path.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
        with path.open("a", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerow([values.get(c, "") for c in header])

    append(
        inbox / "contacts_20241204.csv",
        {
            "attempt_id": "EDGE-C1", "account_id": account, "channel": "call",
            "started_at": EDGE_CALL, "duration_s": "60", "contact_number": "13800000001",
            "party": "debtor", "outcome": "right_party",
        },
    )  # fmt: skip
    for payment_id, paid_at, amount in EDGE_PAYMENTS:
        append(
            inbox / "payments_20241211.csv",
            {
                "payment_id": payment_id, "account_id": account, "paid_at": paid_at,
                "amount": amount, "channel": "app", "is_reversal": "false",
            },
        )  # fmt: skip
    return account


def test_a_payment_at_the_sub_second_edge_of_the_window(banks: dict[str, Path]) -> None:
    sql = "SELECT amount_paid_within FROM core.contact_attempts WHERE attempt_id = 'EDGE-C1'"
    assert query(banks["duckdb"], sql) == [(Decimal("100.00"),)]
    assert query(banks["spark"], sql) == [(Decimal("100.00"),)]


def test_epoch_keeps_its_sub_seconds_on_spark(spark) -> None:
    # The rule's reason, on Spark itself: sqlglot's UNIX_TIMESTAMP drops the 0.4 s.
    edge = (
        "SELECT epoch(TIMESTAMPTZ '2024-03-11 10:00:00.700+00') "
        "- epoch(TIMESTAMPTZ '2024-03-04 10:00:00.300+00') AS seconds"
    )
    plain = sqlglot.transpile(edge, read="duckdb", write="spark")[0]
    assert spark.sql(plain).collect()[0][0] == 7 * 86400
    tree = sub_second_epoch(sqlglot.parse_one(edge, read="duckdb"))
    assert tree.sql("spark").count("UNIX_MICROS(CAST(") == 2
    ruled = to_spark(edge)
    assert "UNIX_MICROS" in ruled and "UNIX_TIMESTAMP" not in ruled
    assert spark.sql(ruled).collect()[0][0] == pytest.approx(7 * 86400 + 0.4, abs=1e-6)


# --- the other rules ------------------------------------------------------------------------------


def test_relations_are_read_from_their_session_views() -> None:
    tree = relation_names(sqlglot.parse_one("SELECT * FROM core.accounts a JOIN t ON 1", "duckdb"))
    assert tree.sql("spark") == "SELECT * FROM core__accounts AS a JOIN t ON 1"


def test_parameters_become_dates() -> None:
    tree = sqlglot.parse_one(
        "SELECT * FROM t WHERE m BETWEEN $first_month AND $last_month", "duckdb"
    )
    done = parameters(tree, {"first_month": date(2024, 1, 1), "last_month": date(2024, 3, 1)})
    assert done.sql("spark") == (
        "SELECT * FROM t WHERE m BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-03-01' AS DATE)"
    )
    with pytest.raises(ValueError, match="first_month"):
        parameters(sqlglot.parse_one("SELECT $first_month", "duckdb"), {})


def test_timezone_function_is_at_time_zone(spark) -> None:
    tree = timezone_function(sqlglot.parse_one("SELECT timezone(z, ts) FROM t", "duckdb"))
    assert tree.sql("spark") == "SELECT FROM_UTC_TIMESTAMP(ts, z) FROM t"
    local = to_spark(
        "SELECT CAST(timezone('Asia/Shanghai', TIMESTAMPTZ '2024-01-31 19:00:00+00') AS DATE)"
    )
    assert spark.sql(local).collect()[0][0] == date(2024, 2, 1)


def test_group_by_all_names_its_keys_when_the_select_reads_its_aliases(spark) -> None:
    sql = "SELECT k, count(*) AS n, sum(x) AS s, s / n AS r FROM t GROUP BY ALL"
    assert group_by_all(sqlglot.parse_one(sql, "duckdb")).sql("spark") == (
        "SELECT k, COUNT(*) AS n, SUM(x) AS s, s / n AS r FROM t GROUP BY k"
    )
    plain = "SELECT k, count(*) AS n FROM t GROUP BY ALL"
    assert group_by_all(sqlglot.parse_one(plain, "duckdb")).sql("spark").endswith("GROUP BY ALL")
    ran = spark.sql(
        to_spark(
            "SELECT k, count(*) AS n, sum(x) AS s, s / n AS r "
            "FROM (VALUES ('a', 1.0), ('a', 3.0)) AS t (k, x) GROUP BY ALL"
        )
    ).collect()
    assert [tuple(r) for r in ran] == [("a", 2, 4.0, 2.0)]


def test_duckdb_types_map_to_spark_types() -> None:
    assert spark_type("DECIMAL(18,2)") == "DECIMAL(18,2)"
    assert spark_type("TIMESTAMP WITH TIME ZONE") == "TIMESTAMP"
    assert spark_type("TIMESTAMP") == "TIMESTAMP_NTZ"
    assert spark_type("VARCHAR[]") == "ARRAY<STRING>"
    with pytest.raises(ValueError, match="INTERVAL"):
        spark_type("INTERVAL")


def test_every_model_transpiles_with_the_rules() -> None:
    for m in MODELS:
        sql = m.select_sql() if not m.is_view else None
        text = (
            to_spark(sql, marts.month_range(marts.FIRST_MONTH, marts.LAST_MONTH)) if sql else None
        )
        assert text is None or "$" not in text, m.file


# --- serving the lake alone -------------------------------------------------------------------


def test_the_dashboard_reads_the_lake_alone(banks: dict[str, Path], tmp_path: Path) -> None:
    # `collections serve --lake`: a catalog made from the lake's _catalog.json alone serves
    # every relation as the warehouse does, and the pages' reads answer the same.
    from dashboard.reads import portfolio
    from dashboard.reads.connection import missing_objects, warehouse_version
    from dashboard.reads.filters import Filters
    from warehouse.storage.manifest import open_lake

    lake = banks["spark"].with_name("warehouse.lake")
    assert (lake / "_catalog.json").exists()
    served = open_lake(lake, tmp_path / "served" / "bank.served.duckdb")
    assert_same_marts(banks["duckdb"], served)
    assert query(served, "SELECT count(*) FROM settings.buckets") == query(
        banks["duckdb"], "SELECT count(*) FROM settings.buckets"
    )
    on_lake, on_duckdb = warehouse_version(served), warehouse_version(banks["duckdb"])
    assert on_lake is not None and on_duckdb is not None
    assert missing_objects(on_lake) == missing_objects(on_duckdb)
    filters = Filters(date(2024, 11, 1), date(2025, 1, 1))
    expected = portfolio.bucket_series(on_duckdb, filters)
    assert expected.height > 0
    assert portfolio.bucket_series(on_lake, filters).equals(expected)


def test_serve_lake_says_when_the_folder_has_no_manifest(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from warehouse.cli import app

    (tmp_path / "bare.lake").mkdir()
    result = CliRunner().invoke(
        app, ["serve", "--lake", str(tmp_path / "bare.lake")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "_catalog.json" in result.output and "collections build" in result.output


def test_spark_connect_without_its_client_says_what_to_install() -> None:
    import importlib.util

    from warehouse.marts.spark import session

    if importlib.util.find_spec("grpc") is not None:
        pytest.skip("pyspark's Connect client is installed here")
    with pytest.raises(RuntimeError, match=r"pyspark\[connect\]"):
        session("sc://localhost:15002")
