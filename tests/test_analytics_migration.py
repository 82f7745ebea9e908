"""Bucket migration, roll rates, flow rates, expected loss, vintage curves, and the incremental
refresh, on the small hand-made bank of `analytics_bank` (every number below is worked out by
hand from its table):

    account  Jan-31          Feb-29               Mar-31         Apr-10 (daily)
    A         0 / 1000        15 / 1100            45 / 1200      55 / 1210
    B        20 / 2000         0 / 1500             0 / 1400
    C        40 / 3000        50 / 3100            80 / 3200      90 / 3250
    D       170 / 5000       180 / 5100 charged off  (gone)
    E         0 /  100         0 /    0 closed       (gone)
    F         0 /  600        (missing)             0 /  650
    G        (opens Feb 10)    0 /  700            10 /  750
    H        10 /  400        (missing)            (missing)

Buckets (DOMAIN.md defaults): 0 Current, 1-30 M1, 31-60 M2, 61-90 M3, ... 151-180 M6.
"""

# ruff: noqa: E501  (expected rows are kept whole, one per line, as a reader checks them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from analytics_bank import SMALL_BANK
from conftest import query, write_inbox

from warehouse import marts
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader, copy_warehouse, in_place

JAN, FEB, MAR, APR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
D = Decimal


def rebuild_with(db: Path, *statements: str) -> None:
    with in_place(db) as lake:
        for statement in statements:
            lake.con.execute(statement)
        marts.build(lake)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small bank, landed by the real loader (the data-quality suites are not under test)."""
    folder = tmp_path_factory.mktemp("small_bank")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", SMALL_BANK), db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


MATRIX = """
    SELECT from_bucket, to_bucket, accounts, balance, to_balance,
           round(share_of_accounts, 4), round(share_of_balance, 4)
    FROM mart.bucket_migration WHERE month = DATE '{month}'
    ORDER BY from_bucket_order, to_bucket_order
"""


def test_migration_january_to_february(bank: Path) -> None:
    # From Current (A, E, F: 3 accounts, 1000 + 100 + 600 = 1700 yuan): A rolls to M1, E closes,
    # F is missing from the February month end (Gone). From M1 (B, H: 2400): B cures, H is gone.
    # C stays in M2 (40 -> 50 days). D is charged off from M6. G opened in February: New.
    assert query(bank, MATRIX.format(month=JAN)) == [
        ("New", "Current", 1, None, D("700.00"), 1.0, None),
        ("Current", "M1", 1, D("1000.00"), D("1100.00"), 0.3333, round(1000 / 1700, 4)),
        ("Current", "Closed", 1, D("100.00"), D("0.00"), 0.3333, round(100 / 1700, 4)),
        ("Current", "Gone", 1, D("600.00"), None, 0.3333, round(600 / 1700, 4)),
        ("M1", "Current", 1, D("2000.00"), D("1500.00"), 0.5, round(2000 / 2400, 4)),
        ("M1", "Gone", 1, D("400.00"), None, 0.5, round(400 / 2400, 4)),
        ("M2", "M2", 1, D("3000.00"), D("3100.00"), 1.0, 1.0),
        ("M6", "Written off", 1, D("5000.00"), D("5100.00"), 1.0, 1.0),
    ]


def test_migration_february_to_march_absorbing_and_returning(bank: Path) -> None:
    # Written off and Closed are absorbing: D and E have no March snapshot, yet they stay where
    # they were (not Gone) and keep their last balance. F, missing from February, comes back:
    # from Gone, not New (it was seen in January). From Current (B 1500, G 700): B stays, G rolls.
    assert query(bank, MATRIX.format(month=FEB)) == [
        ("Current", "Current", 1, D("1500.00"), D("1400.00"), 0.5, round(1500 / 2200, 4)),
        ("Current", "M1", 1, D("700.00"), D("750.00"), 0.5, round(700 / 2200, 4)),
        ("M1", "M2", 1, D("1100.00"), D("1200.00"), 1.0, 1.0),
        ("M2", "M3", 1, D("3100.00"), D("3200.00"), 1.0, 1.0),
        ("Written off", "Written off", 1, D("5100.00"), D("5100.00"), 1.0, 1.0),
        ("Closed", "Closed", 1, D("0.00"), D("0.00"), 1.0, None),  # no balance to share
        ("Gone", "Current", 1, None, D("650.00"), 1.0, None),
    ]


def test_unfinished_month_is_not_compared(bank: Path) -> None:
    # April holds one daily file (Apr-10): incomplete, so there is no March -> April matrix,
    # although mart.account_month shows April's picture so far.
    assert query(
        bank, "SELECT month, last_snapshot_date, is_complete FROM mart.months ORDER BY 1"
    ) == [
        (JAN, date(2024, 1, 31), True),
        (FEB, date(2024, 2, 29), True),
        (MAR, date(2024, 3, 31), True),
        (APR, date(2024, 4, 10), False),
    ]
    assert query(bank, "SELECT DISTINCT month FROM mart.bucket_migration ORDER BY 1") == [
        (JAN,),
        (FEB,),
    ]
    assert query(
        bank, "SELECT count(*) FROM mart.account_month WHERE month = DATE '2024-04-01'"
    ) == [(2,)]


def test_every_account_is_on_both_sides(bank: Path) -> None:
    # Nothing silently dropped: the from side of a month's matrix is that month's accounts, the to
    # side the next month's (plus the absorbed ones), and shares add up to 1 per from bucket.
    rows = query(
        bank,
        """
        SELECT month,
               CAST(sum(accounts) FILTER (WHERE from_bucket NOT IN ('New', 'Gone')) AS INTEGER),
               CAST(sum(accounts) FILTER (WHERE to_bucket <> 'Gone') AS INTEGER)
        FROM mart.bucket_migration GROUP BY month ORDER BY month
        """,
    )
    # Jan -> Feb: 7 January accounts on the from side; on the to side February's 6 (A B C D E G).
    # Feb -> Mar: February's 6 on the from side; March's 5 (A B C F G) plus D and E absorbed.
    assert rows == [(JAN, 7, 6), (FEB, 6, 7)]
    sums = query(
        bank,
        "SELECT max(abs(total - 1)) FROM (SELECT sum(share_of_accounts) AS total "
        "FROM mart.bucket_migration GROUP BY month, from_bucket)",
    )
    assert sums[0][0] < 1e-9


def test_migration_by_segment_adds_up_to_the_whole(bank: Path) -> None:
    # The segmented matrix summed over its segments is the whole-portfolio matrix.
    whole = "SELECT month, from_bucket, to_bucket, accounts, balance, to_balance FROM mart.bucket_migration ORDER BY ALL"
    summed = """
        SELECT month, from_bucket, to_bucket, CAST(sum(accounts) AS BIGINT), sum(balance), sum(to_balance)
        FROM mart.bucket_migration_by_segment GROUP BY ALL ORDER BY ALL
    """
    assert query(bank, summed) == query(bank, whole)
    # Segments are the from month's: in January, Gold/Shanghai holds A (Current -> M1, opened
    # 2023, low risk), B (M1 -> Current, 2022, medium: 20 days past due).
    assert query(
        bank,
        """
        SELECT from_bucket, to_bucket, risk_grade, vintage_year, accounts, share_of_accounts
        FROM mart.bucket_migration_by_segment
        WHERE month = DATE '2024-01-01' AND product = 'Gold' AND branch = 'Shanghai'
        ORDER BY ALL
        """,
    ) == [
        ("Current", "M1", "low", 2023, 1, 1.0),
        ("M1", "Current", "medium", 2022, 1, 1.0),
        # G is new in February: its segments are February's (low risk, opened 2024).
        ("New", "Current", "low", 2024, 1, 1.0),
    ]


ROLL = """
    SELECT bucket, accounts, roll_forward_rate, cure_rate, stay_rate, partial_cure_rate,
           written_off_rate, closed_rate, gone_rate, next_bucket, next_bucket_balance,
           flow_rate, write_off_flow_rate, net_flow_balance
    FROM mart.roll_rates WHERE month = DATE '{month}' ORDER BY bucket_order
"""


def test_roll_cure_stay_and_flow(bank: Path) -> None:
    rows = query(bank, ROLL.format(month=JAN))
    assert rows == [
        # Current (A, E, F): A rolls forward, E closes, F is gone; no cure rate for Current.
        # Flow to M1: M1's February balance (A 1100) over Current's January balance (1700).
        # Net flow: 1000 rolled forward, nothing cured.
        (
            "Current",
            3,
            1 / 3,
            None,
            0.0,
            0.0,
            0.0,
            1 / 3,
            1 / 3,
            "M1",
            D("1100.00"),
            1100 / 1700,
            0.0,
            D("1000.00"),
        ),
        # M1 (B, H): B cures, H is gone. Flow: M2 in February (C 3100) over M1 in January (2400),
        # above 1 because C did not come from M1: flow rates compare buckets, not accounts.
        # Net flow: nothing rolled forward, B's 2000 cured.
        (
            "M1",
            2,
            0.0,
            0.5,
            0.0,
            0.0,
            0.0,
            0.0,
            0.5,
            "M2",
            D("3100.00"),
            3100 / 2400,
            0.0,
            D("-2000.00"),
        ),
        # M2 (C) stays; nobody is in M3 in February.
        ("M2", 1, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, "M3", D("0.00"), 0.0, 0.0, D("0.00")),
        # M6 (D) is written off: a roll forward; 5100 written off from a 5000 balance.
        (
            "M6",
            1,
            1.0,
            0.0,
            0.0,
            0.0,
            1.0,
            0.0,
            0.0,
            "M7+",
            D("0.00"),
            0.0,
            5100 / 5000,
            D("5000.00"),
        ),
    ]
    rows = query(bank, ROLL.format(month=FEB))
    assert rows == [
        # Current (B 1500, G 700): B stays, G rolls to M1; flow: G's 750 in March over 2200.
        (
            "Current",
            2,
            0.5,
            None,
            0.5,
            0.0,
            0.0,
            0.0,
            0.0,
            "M1",
            D("750.00"),
            750 / 2200,
            0.0,
            D("700.00"),
        ),
        (
            "M1",
            1,
            1.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            "M2",
            D("1200.00"),
            1200 / 1100,
            0.0,
            D("1100.00"),
        ),
        (
            "M2",
            1,
            1.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            "M3",
            D("3200.00"),
            3200 / 3100,
            0.0,
            D("3100.00"),
        ),
    ]


def test_expected_loss_from_chained_flow_rates(bank: Path, tmp_path: Path) -> None:
    # Three day buckets make the chain short enough to follow by hand: Current, M1 (1-30) and
    # M2 (31 and over). Then D (170 days) sits in M2 in January and is written off from there.
    db = tmp_path / "three_buckets.duckdb"
    copy_warehouse(bank, db)
    rebuild_with(
        db,
        "DELETE FROM settings.buckets WHERE bucket IN ('M3', 'M4', 'M5', 'M6', 'M7+')",
        "UPDATE settings.buckets SET max_days_past_due = NULL WHERE bucket = 'M2'",
    )
    # Flows seen (from month: numerator / denominator):
    #   Current -> M1: Jan 1100 / 1700 (A), Feb 750 / 2200 (G)         -> 1850 / 3900
    #   M1 -> M2:      Jan 3100 / 2400 (C in Feb), Feb 4400 / 1100 (A 1200 + C 3200 in Mar)
    #                                                                  -> 7500 / 3500
    #   M2 written off: Jan 5100 / 8000 (D; C 3000 + D 5000), Feb 0 / 3100 -> 5100 / 11100
    # March is valued with both months (flow_rate_months = 6 reaches back past January).
    current, m1, written_off = 1850 / 3900, 7500 / 3500, 5100 / 11100
    rows = query(
        db,
        "SELECT bucket, balance, flow_rate, write_off_rate, loss_rate, expected_loss, months_averaged "
        "FROM mart.expected_loss WHERE month = DATE '2024-03-01' ORDER BY bucket_order",
    )
    # March balances: Current B 1400 + F 650; M1 G 750; M2 A 1200 + C 3200.
    assert rows == [
        (
            "Current",
            D("2050.00"),
            pytest.approx(current),
            0.0,
            pytest.approx(current * m1 * written_off),
            pytest.approx(2050 * current * m1 * written_off),
            2,
        ),
        (
            "M1",
            D("750.00"),
            pytest.approx(m1),
            0.0,
            pytest.approx(m1 * written_off),
            pytest.approx(750 * m1 * written_off),
            2,
        ),
        (
            "M2",
            D("4400.00"),
            None,
            pytest.approx(written_off),
            pytest.approx(written_off),
            pytest.approx(4400 * written_off),
            2,
        ),
    ]
    # With the default buckets nothing has ever flowed M3 -> M4 -> M5: the chain to the
    # write-offs of M6 is broken, so no balance is expected to be lost yet.
    assert query(bank, "SELECT DISTINCT loss_rate FROM mart.expected_loss") == [(0.0,)]


def test_vintage_curves(bank: Path) -> None:
    rows = query(
        bank,
        """
        SELECT vintage, month, months_on_book, measure, cohort_accounts, delinquent_accounts, written_off_accounts
        FROM mart.vintage_curves
        WHERE vintage IN (DATE '2021-07-01', DATE '2023-01-01', DATE '2024-02-01') AND measure IN ('30+', '90+')
        ORDER BY vintage, measure, month
        """,
    )
    assert rows == [
        # D's cohort (opened July 2021): 170 days in January, then written off: it stays bad.
        (date(2021, 7, 1), JAN, 30, "30+", 1, 1, 0),
        (date(2021, 7, 1), FEB, 31, "30+", 1, 1, 1),
        (date(2021, 7, 1), MAR, 32, "30+", 1, 1, 1),
        (date(2021, 7, 1), JAN, 30, "90+", 1, 1, 0),
        (date(2021, 7, 1), FEB, 31, "90+", 1, 1, 1),
        (date(2021, 7, 1), MAR, 32, "90+", 1, 1, 1),
        # A and C (January 2023): 30+ (31 days or more) is C in Jan and Feb, both in March.
        (date(2023, 1, 1), JAN, 12, "30+", 2, 1, 0),
        (date(2023, 1, 1), FEB, 13, "30+", 2, 1, 0),
        (date(2023, 1, 1), MAR, 14, "30+", 2, 2, 0),
        (date(2023, 1, 1), JAN, 12, "90+", 2, 0, 0),
        (date(2023, 1, 1), FEB, 13, "90+", 2, 0, 0),
        (date(2023, 1, 1), MAR, 14, "90+", 2, 0, 0),
        # G (February 2024) starts at 0 months on book; never before it opened; not in April.
        (date(2024, 2, 1), FEB, 0, "30+", 1, 0, 0),
        (date(2024, 2, 1), MAR, 1, "30+", 1, 0, 0),
        (date(2024, 2, 1), FEB, 0, "90+", 1, 0, 0),
        (date(2024, 2, 1), MAR, 1, "90+", 1, 0, 0),
    ]


# --- Refreshing only what changed ---------------------------------------------------------------

# Every relation this part of the issue publishes, compared row for row.
RELATIONS = (
    "mart.months",
    "core.account_payments",
    "mart.account_month",
    "mart.bucket_migration_by_segment",
    "mart.bucket_migration",
    "mart.roll_rates",
    "mart.expected_loss",
    "mart.vintage_curves",
    "mart.vintage_curves_by_segment",
    "mart.portfolio_health",
    "mart.account_strategy",
)


def snapshot_of(db: Path) -> dict[str, list[tuple]]:
    con = connect_reader(db)
    try:
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in RELATIONS
        }
    finally:
        con.close()


def assert_same_as_full_rebuild(db: Path, tmp_path: Path) -> None:
    full = tmp_path / "full.duckdb"
    copy_warehouse(db, full)
    with in_place(full) as lake:
        marts.build(lake)  # everything from scratch
    incremental, rebuilt = snapshot_of(db), snapshot_of(full)
    for name in RELATIONS:
        assert incremental[name] == rebuilt[name], f"{name} differs from a full rebuild"


def modes(db: Path) -> dict[str, tuple[str, date | None]]:
    rows = query(db, "SELECT model, mode, first_month FROM ops.mart_builds")
    return {model: (mode, first) for model, mode, first in rows}


def land(db: Path, folder: Path, names: list[str], replace: dict[str, str] | None = None) -> None:
    files = {name: SMALL_BANK[name] for name in names} | (replace or {})
    summary = load_inbox(write_inbox(folder, files), db=db, run_checks=False)
    assert summary.refused == 0


def test_daily_loads_refresh_only_what_changed(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    # January and February as they arrive: month-end files with accounts files (an accounts file
    # changes segments in every month, so those loads rebuild the account marts whole).
    land(
        db,
        tmp_path / "jan",
        ["accounts_20240131.csv", "snapshots_20240131.csv", "payments_20240115.csv"],
    )
    land(
        db,
        tmp_path / "feb",
        [
            "payments_20240201.csv",
            "payments_20240202.csv",
            "payments_20240203.csv",
            "accounts_20240229.csv",
            "snapshots_20240229.csv",
        ],
    )

    # A day in March: payments only (G on Mar 5). Nothing before March changes.
    land(db, tmp_path / "mar5", ["payments_20240305.csv"])
    built = modes(db)
    assert built["core.account_payments"] == ("incremental", MAR)
    assert built["mart.account_month"] == ("incremental", MAR)
    # A month's migration needs the next month, and a new month completes the one before it:
    # the matrix is recomputed from two months back, the health and vintage tables from one.
    assert built["mart.bucket_migration_by_segment"] == ("incremental", JAN)
    assert built["mart.portfolio_health"] == ("incremental", FEB)
    assert_same_as_full_rebuild(db, tmp_path)

    # The March month end (and D's recovery), then April's first daily file.
    land(db, tmp_path / "mar31", ["payments_20240312.csv", "snapshots_20240331.csv"])
    assert_same_as_full_rebuild(db, tmp_path)
    land(db, tmp_path / "apr10", ["snapshots_20240410.csv"])
    built = modes(db)
    assert built["mart.account_month"] == ("incremental", APR)
    assert built["core.account_payments"] == ("skipped", None)
    assert built["mart.vintage_curves_by_segment"] == ("incremental", MAR)
    assert_same_as_full_rebuild(db, tmp_path)

    # A corrected February month end (B was really 35 days past due): February and everything
    # after it are recomputed, January is not.
    corrected = SMALL_BANK["snapshots_20240229.csv"].replace(
        "2024-02-29,B,1500.00,0,open", "2024-02-29,B,1500.00,35,open"
    )
    land(db, tmp_path / "fix", [], replace={"snapshots_20240229.csv": corrected})
    built = modes(db)
    assert built["mart.account_month"] == ("incremental", FEB)
    assert query(
        db,
        "SELECT bucket FROM mart.account_month WHERE account_id = 'B' AND month = DATE '2024-02-01'",
    ) == [("M2",)]
    assert_same_as_full_rebuild(db, tmp_path)

    # The same files again: nothing changed, nothing is recomputed (nor published).
    before = query(db, "SELECT * FROM ops.mart_builds ORDER BY model")
    again = load_inbox(
        write_inbox(
            tmp_path / "again", {"snapshots_20240410.csv": SMALL_BANK["snapshots_20240410.csv"]}
        ),
        db=db,
        run_checks=False,
    )
    assert not again.published
    assert query(db, "SELECT * FROM ops.mart_builds ORDER BY model") == before
    # And a build told that nothing changed recomputes no table.
    with in_place(db) as lake:
        marts.build(lake, changed={})
    built = modes(db)
    assert all(built[name][0] in ("skipped", "view") for name in RELATIONS)


def test_a_settings_edit_rebuilds_on_the_next_load(tmp_path: Path) -> None:
    # A bank edits a setting between loads: the next load's refresh notices and recomputes the
    # marts that read it whole (the result equals a full rebuild).
    db = tmp_path / "warehouse.duckdb"
    land(db, tmp_path / "all", [name for name in SMALL_BANK if name != "snapshots_20240410.csv"])
    with in_place(db) as lake:
        lake.con.execute("UPDATE settings.buckets SET max_days_past_due = 10 WHERE bucket = 'M1'")
        lake.con.execute("UPDATE settings.buckets SET min_days_past_due = 11 WHERE bucket = 'M2'")
    land(db, tmp_path / "apr10", ["snapshots_20240410.csv"])
    assert modes(db)["mart.account_month"] == ("full", marts.FIRST_MONTH)
    # H's 10 days stay M1; B's 20 days in January are M2 now.
    assert query(
        db,
        "SELECT account_id, bucket FROM mart.account_month WHERE month = DATE '2024-01-01' AND account_id IN ('B', 'H') ORDER BY 1",
    ) == [("B", "M2"), ("H", "M1")]
    assert_same_as_full_rebuild(db, tmp_path)
