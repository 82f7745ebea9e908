"""Portfolio health and the amounts collected, on the small hand-made bank of `analytics_bank`:

    account  product  branch    Jan-31          Feb-29               Mar-31         Apr-10 (daily)
    A        Gold     Shanghai   0 / 1000        15 / 1100            45 / 1200      55 / 1210
    B        Gold     Shanghai  20 / 2000         0 / 1500             0 / 1400
    C        Classic  Beijing   40 / 3000        50 / 3100            80 / 3200      90 / 3250
    D        Classic  Beijing  170 / 5000       180 / 5100 charged off  (gone)
    E        Gold     Beijing    0 /  100         0 /    0 closed       (gone)
    F        Classic  Shanghai   0 /  600        (missing)             0 /  650
    G        Gold     Shanghai  (opens Feb 10)    0 /  700            10 /  750
    H        Classic  Shanghai  10 /  400        (missing)            (missing)

Payments (Shanghai time): A 100 on Jan 15, reversed on Feb 2; A 50 on Feb 3; B 500 on Feb 1 at
03:00 (Jan 31 in UTC); D 300 on Mar 12 after its write-off; G 20 on Mar 5.
Delinquency ratios (settings.delinquency_thresholds): 30+ = 31 days or more, 60+ = 61, 90+ = 91.
"""

# ruff: noqa: E501  (expected rows are kept whole, one per line, as a reader checks them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from analytics_bank import SMALL_BANK
from conftest import query, write_inbox

from warehouse.jobs.load import load_inbox

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
D = Decimal


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small_bank")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", SMALL_BANK), db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


def test_collected_is_net_of_reversals_in_the_banks_month(bank: Path) -> None:
    assert query(
        bank,
        "SELECT month, account_id, payments, collected FROM core.account_payments ORDER BY 1, 2",
    ) == [
        # A's January payment was reversed in February: January keeps nothing of it (no row).
        (FEB, "A", 1, D("50.00")),
        # 03:00 on Feb 1 in Shanghai is Jan 31 in UTC: a February payment for the bank.
        (FEB, "B", 1, D("500.00")),
        (MAR, "D", 1, D("300.00")),
        (MAR, "G", 1, D("20.00")),
    ]


TOTALS = """
    SELECT month,
           CAST(sum(accounts) AS INTEGER), sum(balance),
           CAST(sum(live_accounts) AS INTEGER), sum(live_balance),
           CAST(sum(delinquent_accounts) AS INTEGER), sum(delinquent_balance),
           sum(dpd30_balance), sum(dpd60_balance), sum(dpd90_balance),
           sum(collected), sum(recovered),
           CAST(sum(newly_written_off_accounts) AS INTEGER), sum(written_off)
    FROM mart.portfolio_health GROUP BY month ORDER BY month
"""


def test_portfolio_totals_by_month(bank: Path) -> None:
    assert query(bank, TOTALS) == [
        # January: 7 accounts, 12,100 yuan, all live. M1+ = B 2000 + C 3000 + D 5000 + H 400.
        # 30+ = C (40 days) + D (170); 60+ and 90+ = D. Nothing collected (A's payment reversed).
        (
            JAN,
            7,
            D("12100.00"),
            7,
            D("12100.00"),
            4,
            D("10400.00"),
            D("8000.00"),
            D("5000.00"),
            D("5000.00"),
            D("0.00"),
            D("0.00"),
            0,
            D("0.00"),
        ),
        # February: A B C D E G (F and H missing) = 11,500; live without D (written off) and
        # E (closed) = 6,400. M1+ = A 1100 + C 3100; 30+ = C. Collected A 50 + B 500.
        # D is written off for the first time: 5,100.
        (
            FEB,
            6,
            D("11500.00"),
            4,
            D("6400.00"),
            2,
            D("4200.00"),
            D("3100.00"),
            D("0.00"),
            D("0.00"),
            D("550.00"),
            D("0.00"),
            1,
            D("5100.00"),
        ),
        # March: A B C F G = 7,200. M1+ = A 1200 + C 3200 + G 750; 30+ = A + C; 60+ = C.
        # Collected G 20 + D 300, and D's 300 is a recovery (written off in February).
        (
            MAR,
            5,
            D("7200.00"),
            5,
            D("7200.00"),
            3,
            D("5150.00"),
            D("4400.00"),
            D("3200.00"),
            D("0.00"),
            D("320.00"),
            D("300.00"),
            0,
            D("0.00"),
        ),
    ]
    # April is unfinished (a daily file of delinquent accounts only): no row.


def test_ratios_and_buckets_of_a_month(bank: Path) -> None:
    rows = query(
        bank,
        """
        SELECT sum(accounts_current), sum(accounts_m1), sum(accounts_m2), sum(accounts_m6),
               sum(accounts_written_off), sum(balance_written_off), sum(accounts_closed),
               sum(dpd30_balance) / sum(live_balance), sum(dpd60_balance) / sum(live_balance)
        FROM mart.portfolio_health WHERE month = DATE '2024-02-01'
        """,
    )
    # February: Current = B, G; M1 = A; M2 = C; Written off = D; Closed = E.
    # 30+ ratio = C's 3100 over the live 6400; 60+ = 0.
    assert rows == [(2, 1, 1, 0, 1, D("5100.00"), 1, pytest.approx(3100 / 6400), 0.0)]
    # The ratio columns of one row are that row's own balances divided.
    assert query(
        bank,
        "SELECT dpd30_ratio, dpd60_ratio, dpd90_ratio FROM mart.portfolio_health "
        "WHERE month = DATE '2024-01-01' AND product = 'Classic' AND branch = 'Beijing' AND risk_grade = 'high'",
    ) == [(1.0, 1.0, 1.0)]  # D alone: 170 days, high risk


def test_segments_and_the_recovery(bank: Path) -> None:
    rows = query(
        bank,
        """
        SELECT month, product, branch, risk_grade, vintage_year, accounts, balance,
               accounts_written_off, newly_written_off_accounts, written_off, collected, recovered
        FROM mart.portfolio_health
        WHERE product = 'Classic' AND branch = 'Beijing'
        ORDER BY month, risk_grade NULLS LAST
        """,
    )
    assert rows == [
        # C (600 score, self-employed, 40 days: medium) and D (unemployed, 170 days: high).
        (
            JAN,
            "Classic",
            "Beijing",
            "high",
            2021,
            1,
            D("5000.00"),
            0,
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        (
            JAN,
            "Classic",
            "Beijing",
            "medium",
            2023,
            1,
            D("3000.00"),
            0,
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        # D is written off in February.
        (
            FEB,
            "Classic",
            "Beijing",
            "high",
            2021,
            1,
            D("5100.00"),
            1,
            1,
            D("5100.00"),
            D("0.00"),
            D("0.00"),
        ),
        (
            FEB,
            "Classic",
            "Beijing",
            "medium",
            2023,
            1,
            D("3100.00"),
            0,
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        # March: C is 80 days past due (high). D has no March picture: its 300 yuan recovery is
        # filed under its own product, branch and vintage, with no risk grade (not graded).
        (
            MAR,
            "Classic",
            "Beijing",
            "high",
            2023,
            1,
            D("3200.00"),
            0,
            0,
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        (
            MAR,
            "Classic",
            "Beijing",
            None,
            2021,
            0,
            D("0.00"),
            0,
            0,
            D("0.00"),
            D("300.00"),
            D("300.00"),
        ),
    ]


def test_live_and_delinquent_books_follow_the_bucket_settings(bank: Path) -> None:
    # The live book is every bucket with a day range; delinquent (M1+) starts at 1 day: the
    # view owns these definitions, the dashboard only sums them.
    jan = query(
        bank,
        "SELECT sum(live_accounts), sum(delinquent_accounts), "
        "sum(accounts_current + accounts_m1 + accounts_m2 + accounts_m3 + accounts_m4 + accounts_m5 + accounts_m6 + accounts_m7_plus) "
        "FROM mart.portfolio_health WHERE month = DATE '2024-01-01'",
    )
    assert jan == [(7, 4, 7)]
