"""The published marts on the tiny bank, every number worked out by hand from the conftest table:

    account  product  branch    Jan-31 dpd / balance    Feb-15 (daily)   Feb-29 dpd / balance
    A1       Gold     Shanghai   0 / 1000.00                               0 / 1100.00
    A2       Classic  Beijing   15 / 2000.00            30 / 2050.00     45 / 2100.00
    A3       Classic  Shanghai  45 / 3000.00            60 / 3050.00     75 / 3100.00

Credit scores (accounts file): A1 720, A2 610, A3 540.
"""

# ruff: noqa: E501  (expected messages, SQL and CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TINY_FILES, query, write_inbox

from warehouse import marts
from warehouse.jobs.load import load_inbox
from warehouse.storage import in_place

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def rebuild_with(db: Path, *statements: str) -> None:
    """Edit settings on a writer connection and rebuild the marts (nobody else has the file open)."""
    with in_place(db) as lake:
        for statement in statements:
            lake.con.execute(statement)
        marts.build(lake)


def test_account_month_rows(tiny_warehouse: Path) -> None:
    rows = query(
        tiny_warehouse,
        "SELECT month, account_id, as_of_date, bucket, balance, days_past_due, product, branch "
        "FROM mart.account_month ORDER BY month, account_id",
    )
    # One row per account per month: its latest snapshot in the month. Feb for A2 and A3 is the
    # Feb-29 month end, not the Feb-15 daily file. Buckets: 0 Current, 15 M1, 45 M2, 75 M3.
    assert rows == [
        (JAN, "A1", date(2024, 1, 31), "Current", Decimal("1000.00"), 0, "Gold", "Shanghai"),
        (JAN, "A2", date(2024, 1, 31), "M1", Decimal("2000.00"), 15, "Classic", "Beijing"),
        (JAN, "A3", date(2024, 1, 31), "M2", Decimal("3000.00"), 45, "Classic", "Shanghai"),
        (FEB, "A1", date(2024, 2, 29), "Current", Decimal("1100.00"), 0, "Gold", "Shanghai"),
        (FEB, "A2", date(2024, 2, 29), "M2", Decimal("2100.00"), 45, "Classic", "Beijing"),
        (FEB, "A3", date(2024, 2, 29), "M3", Decimal("3100.00"), 75, "Classic", "Shanghai"),
    ]
    # `month` is a DATE (first day of the month), as the contract says.
    assert query(
        tiny_warehouse,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_schema = 'mart' AND table_name = 'account_month' "
        "AND column_name = 'month'",
    ) == [("DATE",)]


def test_segments_vintage_and_months_on_book(tiny_warehouse: Path) -> None:
    rows = query(
        tiny_warehouse,
        "SELECT account_id, vintage, months_on_book, credit_score, credit_limit FROM mart.account_month "
        "WHERE month = DATE '2024-02-01' ORDER BY 1",
    )
    # Opened 2020-01-15, 2022-06-01, 2023-03-10: Feb 2024 is 49, 20 and 11 months later.
    assert rows == [
        ("A1", date(2020, 1, 1), 49, 720, Decimal("50000.00")),
        ("A2", date(2022, 6, 1), 20, 610, Decimal("20000.00")),
        ("A3", date(2023, 3, 1), 11, 540, Decimal("10000.00")),
    ]


def test_bucket_boundaries(tmp_path: Path) -> None:
    # One account per boundary value of the default buckets (DOMAIN.md), all on 2024-01-31.
    dpd_bucket = {
        0: "Current",
        1: "M1",
        30: "M1",
        31: "M2",
        60: "M2",
        61: "M3",
        90: "M3",
        91: "M4",
        120: "M4",
        121: "M5",
        150: "M5",
        151: "M6",
        180: "M6",
        181: "M7+",
        999: "M7+",
    }
    rows = "".join(f"2024-01-31,X{d},1.00,{d},open\n" for d in dpd_bucket)
    inbox = write_inbox(
        tmp_path / "inbox",
        {"snapshots_20240131.csv": "as_of_date,account_id,balance,days_past_due,status\n" + rows},
    )
    load_inbox(inbox, db=tmp_path / "w.duckdb")
    got = dict(query(tmp_path / "w.duckdb", "SELECT days_past_due, bucket FROM mart.account_month"))
    assert got == dpd_bucket


def test_written_off_and_closed_states(tiny_inbox: Path, tmp_path: Path) -> None:
    # March: A1 closed (0 dpd), A2 charged off at 200 dpd, A3 frozen at 95 dpd, A9 (an account the
    # accounts file does not know yet) open at 181 dpd.
    (tiny_inbox / "snapshots_20240331.csv").write_text(
        "as_of_date,account_id,balance,days_past_due,status\n"
        "2024-03-31,A1,0.00,0,closed\n"
        "2024-03-31,A2,2200.00,200,charged_off\n"
        "2024-03-31,A3,3200.00,95,frozen\n"
        "2024-03-31,A9,10.00,181,open\n"
    )
    db = tmp_path / "w.duckdb"
    load_inbox(tiny_inbox, db=db)
    rows = query(
        db,
        "SELECT account_id, bucket, product FROM mart.account_month WHERE month = DATE '2024-03-01' ORDER BY 1",
    )
    # The states win over days past due; frozen is not a state bucket, so 95 dpd is M4; the
    # unknown account is kept (with no segment) rather than dropped.
    assert rows == [
        ("A1", "Closed", "Gold"),
        ("A2", "Written off", "Classic"),
        ("A3", "M4", "Classic"),
        ("A9", "M7+", None),
    ]
    # Closed and written-off accounts are outside the live book of the delinquency ratios:
    # March live = A3 (3200, 95 dpd) + A9 (10, 181 dpd) = 3210; 90+ = both.
    ratios = query(
        db,
        "SELECT measure, sum(live_accounts), sum(live_balance), sum(delinquent_balance) "
        "FROM mart.delinquency_ratios WHERE month = DATE '2024-03-01' GROUP BY 1 ORDER BY 1",
    )
    assert ratios == [
        ("30+", 2, Decimal("3210.00"), Decimal("3210.00")),
        ("60+", 2, Decimal("3210.00"), Decimal("3210.00")),
        ("90+", 2, Decimal("3210.00"), Decimal("3210.00")),
    ]


def test_changing_bucket_bounds_moves_accounts(tiny_warehouse: Path) -> None:
    # M1 becomes 1-10 days and M2 11-60: A2's 15 days in January move from M1 to M2.
    rebuild_with(
        tiny_warehouse,
        "UPDATE settings.buckets SET max_days_past_due = 10 WHERE bucket = 'M1'",
        "UPDATE settings.buckets SET min_days_past_due = 11 WHERE bucket = 'M2'",
    )
    assert query(
        tiny_warehouse,
        "SELECT account_id, bucket FROM mart.account_month WHERE month = DATE '2024-01-01' ORDER BY 1",
    ) == [
        ("A1", "Current"),
        ("A2", "M2"),
        ("A3", "M2"),
    ]
    # The edited setting survives the next load (settings tables keep rows a user edited).
    inbox = write_inbox(
        tiny_warehouse.parent / "more",
        {
            "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n2024-03-31,A2,1.00,12,open\n"
        },
    )
    load_inbox(inbox, db=tiny_warehouse)
    assert query(
        tiny_warehouse, "SELECT max_days_past_due FROM settings.buckets WHERE bucket = 'M1'"
    ) == [(10,)]
    assert query(
        tiny_warehouse, "SELECT bucket FROM mart.account_month WHERE month = DATE '2024-03-01'"
    ) == [("M2",)]


def test_bucket_month(tiny_warehouse: Path) -> None:
    rows = query(
        tiny_warehouse,
        "SELECT month, bucket, sum(accounts), sum(balance) FROM mart.bucket_month "
        "GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert rows == [
        (JAN, "Current", 1, Decimal("1000.00")),
        (JAN, "M1", 1, Decimal("2000.00")),
        (JAN, "M2", 1, Decimal("3000.00")),
        (FEB, "Current", 1, Decimal("1100.00")),
        (FEB, "M2", 1, Decimal("2100.00")),
        (FEB, "M3", 1, Decimal("3100.00")),
    ]


def ratios(db: Path, month: date) -> dict[str, tuple[float, float]]:
    """measure -> (balance ratio, account ratio) over the whole book (slices added, not averaged)."""
    rows = query(
        db,
        f"""
        SELECT measure, sum(delinquent_balance) / sum(live_balance), sum(delinquent_accounts) / sum(live_accounts)
        FROM mart.delinquency_ratios WHERE month = DATE '{month}' GROUP BY 1
    """,
    )
    return {measure: (float(b), float(a)) for measure, b, a in rows}


def test_delinquency_ratios(tiny_warehouse: Path) -> None:
    # Feb live balance 1100 + 2100 + 3100 = 6300. 30+ (over 30 dpd): A2 (45) + A3 (75) = 5200;
    # 60+: A3 = 3100; 90+: none. By accounts: 2/3, 1/3, 0.
    feb = ratios(tiny_warehouse, FEB)
    assert feb["30+"] == pytest.approx((5200 / 6300, 2 / 3))
    assert feb["60+"] == pytest.approx((3100 / 6300, 1 / 3))
    assert feb["90+"] == pytest.approx((0.0, 0.0))
    # Jan live balance 6000. 30+: A3 (45 dpd, 3000); 60+ and 90+: none.
    jan = ratios(tiny_warehouse, JAN)
    assert jan["30+"] == pytest.approx((3000 / 6000, 1 / 3))
    assert jan["60+"] == pytest.approx((0.0, 0.0))
    # Per slice, the ratio columns agree with the counts: Feb Classic/Shanghai (A3 alone) is 100%.
    assert query(
        tiny_warehouse,
        "SELECT account_ratio, balance_ratio FROM mart.delinquency_ratios "
        "WHERE month = DATE '2024-02-01' AND measure = '60+' AND branch = 'Shanghai' "
        "AND product = 'Classic'",
    ) == [(1.0, 1.0)]


def test_risk_grades(tiny_warehouse: Path) -> None:
    grades = "SELECT month, account_id, risk_grade FROM mart.account_month ORDER BY 1, 2"
    # Defaults: high = 61+ dpd or score < 550 (or 10,000 overdue, 3 past delinquencies,
    # unemployed); medium = 1+ dpd or score < 650 (or 1 past delinquency, self-employed or
    # student); else low. A1 (720, 0 dpd, salaried) low; A2 (610, self-employed) medium both
    # months; A3 (540, unemployed) high both months.
    assert query(tiny_warehouse, grades) == [
        (JAN, "A1", "low"),
        (JAN, "A2", "medium"),
        (JAN, "A3", "high"),
        (FEB, "A1", "low"),
        (FEB, "A2", "medium"),
        (FEB, "A3", "high"),
    ]
    # New thresholds: high from 40 dpd (A2's 45 in Feb), medium only from 20 dpd or score < 600
    # (A2's 15 dpd and 610 in Jan no longer qualify: low). Issue 4 added employment stability to
    # the grade: self-employment alone would keep A2 medium in Jan, so that rule goes too.
    rebuild_with(
        tiny_warehouse,
        "UPDATE settings.risk_grades SET min_days_past_due = 40 WHERE risk_grade = 'high'",
        "UPDATE settings.risk_grades SET min_days_past_due = 20, below_credit_score = 600 WHERE risk_grade = 'medium'",
        "UPDATE settings.employment_risk SET risk_grade = NULL WHERE employment_type = 'self_employed'",
    )
    assert query(tiny_warehouse, grades) == [
        (JAN, "A1", "low"),
        (JAN, "A2", "low"),
        (JAN, "A3", "high"),
        (FEB, "A1", "low"),
        (FEB, "A2", "high"),
        (FEB, "A3", "high"),
    ]


def test_core_accounts_latest_wins(tiny_inbox: Path, tmp_path: Path) -> None:
    # A later accounts file moves A1 to another branch: the marts follow it (latest business date).
    (tiny_inbox / "accounts_20240229.csv").write_text(
        TINY_FILES["accounts_20240131.csv"].splitlines()[0] + "\n"
        "A1,C1,110105199001011234,张伟,6225880212345678,13812345678,Gold,Hangzhou,2020-01-15,50000,720,salaried\n"
    )
    db = tmp_path / "w.duckdb"
    load_inbox(tiny_inbox, db=db)
    assert query(db, "SELECT account_id, branch FROM core.accounts ORDER BY 1") == [
        ("A1", "Hangzhou"),
        ("A2", "Beijing"),
        ("A3", "Shanghai"),
    ]
    assert query(
        db,
        "SELECT branch FROM mart.account_month WHERE account_id = 'A1' AND month = DATE '2024-02-01'",
    ) == [("Hangzhou",)]
