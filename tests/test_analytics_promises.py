"""Promises to pay (mart.promise_outcomes, mart.promise_kept_rates, the sensitivity) and repayment
plans (mart.plan_performance) on a tiny hand-made bank.

The warehouse's latest business date (the as-of date) is 2024-03-31, the date of its payments
file. Defaults: grace 3 calendar days (inclusive), tolerance 0. Times are bank time (Shanghai).

    promise  account agent  made     promised        payments that stand
    PK       P1      AG1    Mar-01   500 by Mar-10   500 on Mar-13 23:00 (the last day of grace);
                                                     200 on Feb-28, before the promise
    PL       P2      AG1    Mar-01   500 by Mar-10   500 on Mar-14 00:30 (a day late; 16:30 UTC on
                                                     the 13th, but the bank's date is the 14th)
    PP       P3      AG1    Mar-01  1000 by Mar-10   600 on Mar-08 (a partial promise)
    PR       P4      AG1    Mar-01   500 by Mar-10   500 on Mar-05 reversed on Mar-07; 300 on Mar-09
    PT       P5      AG1    Mar-01  1000 by Mar-10   960 on Mar-09 (4% short: tolerance decides)
    PA, PB   P6      AG2    Mar-01   500 by Mar-10   500 on Mar-09, 300 on Mar-18
                            Mar-08   500 by Mar-20   (PB was made while PA's window was open)
    PC, PD   P7      AG2    Mar-01   300 by Mar-10   600 on Mar-05 (both paid at once)
                            Mar-02   300 by Mar-15
    P8       P8      AG2    Mar-25   400 by Mar-30   nothing (the window runs to Apr-02)
    P9       P9      AG2    Mar-20   400 by Mar-28   nothing (the window ended on Mar-31)

Buckets when the promise was made: P1-P5 M1 and P6-P7 M2 (Feb-29 month end), P9 M3 (Feb-29),
P8 M4 (a daily snapshot of Mar-20).
"""

# ruff: noqa: E501  (CSV rows and expected rows are kept whole, as a reader sees them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query, rebuild_copy, write_inbox

from warehouse.jobs.load import load_inbox

MARCH = date(2024, 3, 1)

ACCOUNTS = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "Q1", "Q2", "Q3", "Q4"]

BANK_FILES: dict[str, str] = {
    "agents_20240301.csv": "agent_id,team\nAG1,Early\nAG2,Mid\n",
    "accounts_20231130.csv": (
        "account_id,national_id,card_no,open_date,credit_limit\n"
        + "".join(
            f"{a},1101051990010{n:05d},62258802{n:08d},2020-01-01,10000\n"
            for n, a in enumerate(ACCOUNTS, start=1)
        )
    ),
    "snapshots_20231231.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n"
        "2023-12-31,Q1,1000.00,40,open\n"
        "2023-12-31,Q2,1000.00,45,open\n"
        "2023-12-31,Q3,1000.00,50,open\n"
    ),
    "snapshots_20240131.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n"
        "2024-01-31,Q1,900.00,0,open\n"
        "2024-01-31,Q2,1000.00,75,open\n"
        "2024-01-31,Q3,1000.00,80,frozen\n"
    ),
    "snapshots_20240229.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n"
        + "".join(f"2024-02-29,{a},1000.00,15,open\n" for a in ["P1", "P2", "P3", "P4", "P5"])
        + "2024-02-29,P6,1000.00,45,open\n"
        "2024-02-29,P7,1000.00,45,open\n"
        "2024-02-29,P8,1000.00,70,open\n"
        "2024-02-29,P9,1000.00,70,open\n"
        "2024-02-29,Q1,900.00,0,open\n"
        "2024-02-29,Q2,1000.00,105,frozen\n"
        "2024-02-29,Q3,700.00,0,open\n"
        "2024-02-29,Q4,1000.00,35,open\n"
    ),
    "snapshots_20240320.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n2024-03-20,P8,1000.00,91,frozen\n"
    ),
    "promises_20240325.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "PK,P1,,AG1,2024-03-01 10:00:00,2024-03-10,500.00\n"
        "PL,P2,,AG1,2024-03-01 10:00:00,2024-03-10,500.00\n"
        "PP,P3,,AG1,2024-03-01 10:00:00,2024-03-10,1000.00\n"
        "PR,P4,,AG1,2024-03-01 10:00:00,2024-03-10,500.00\n"
        "PT,P5,,AG1,2024-03-01 10:00:00,2024-03-10,1000.00\n"
        "PA,P6,,AG2,2024-03-01 10:00:00,2024-03-10,500.00\n"
        "PB,P6,,AG2,2024-03-08 10:00:00,2024-03-20,500.00\n"
        "PC,P7,,AG2,2024-03-01 10:00:00,2024-03-10,300.00\n"
        "PD,P7,,AG2,2024-03-02 10:00:00,2024-03-15,300.00\n"
        "P8,P8,,AG2,2024-03-25 10:00:00,2024-03-30,400.00\n"
        "P9,P9,,AG2,2024-03-20 10:00:00,2024-03-28,400.00\n"
    ),
    "payments_20240331.csv": (
        "payment_id,account_id,paid_at,amount,is_reversal,reverses_payment_id\n"
        "Y01,P1,2024-02-28 10:00:00,200.00,false,\n"
        "Y02,P1,2024-03-13 23:00:00,500.00,false,\n"
        "Y03,P2,2024-03-14 00:30:00,500.00,false,\n"
        "Y04,P3,2024-03-08 10:00:00,600.00,false,\n"
        "Y05,P4,2024-03-05 10:00:00,500.00,false,\n"
        "Y06,P4,2024-03-07 10:00:00,500.00,true,Y05\n"
        "Y07,P4,2024-03-09 10:00:00,300.00,false,\n"
        "Y08,P5,2024-03-09 10:00:00,960.00,false,\n"
        "Y09,P6,2024-03-09 10:00:00,500.00,false,\n"
        "Y10,P6,2024-03-18 10:00:00,300.00,false,\n"
        "Y11,P7,2024-03-05 10:00:00,600.00,false,\n"
    ),
    # Plans: Q1 and Q3 are back to 0 days past due at Jan-31 and Feb-29; Q2 never.
    "plans_20240331.csv": (
        "plan_id,account_id,plan_type,requested_at,approved_at,start_date,status\n"
        "QP1,Q1,instalment,2023-11-25 10:00:00,2023-11-28 10:00:00,2023-12-01,completed\n"
        "QP2,Q2,instalment,2023-11-25 10:00:00,2023-11-28 10:00:00,2023-12-01,broken\n"
        "QP6,Q2,instalment,2023-12-20 10:00:00,,,cancelled\n"
        "QP3,Q3,extension,2023-12-10 10:00:00,2023-12-12 10:00:00,2023-12-15,active\n"
        "QP4,Q4,extension,2024-03-20 10:00:00,,,proposed\n"
        "QP5,Q4,min_payment_reduction,2024-01-25 10:00:00,2024-01-30 10:00:00,2024-02-01,active\n"
    ),
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("promises")
    inbox = write_inbox(folder / "inbox", BANK_FILES)
    db = folder / "warehouse.duckdb"
    summary = load_inbox(inbox, db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_promise_outcomes(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT promise_id, account_id, agent_id, promised_date, promised_amount, paid_by, "
        "paid_amount, paid_in_window, status, bucket, as_of_date FROM mart.promise_outcomes "
        "ORDER BY promise_id",
    )
    mar10, mar13, as_of = d("2024-03-10"), d("2024-03-13"), d("2024-03-31")
    assert rows == [
        (
            "P8",
            "P8",
            "AG2",
            d("2024-03-30"),
            Decimal("400.00"),
            d("2024-04-02"),
            Decimal("0.00"),
            Decimal("0.00"),
            "pending",
            "M4",
            as_of,
        ),
        # Its window ends on the as-of date itself, whose payments are in: broken.
        (
            "P9",
            "P9",
            "AG2",
            d("2024-03-28"),
            Decimal("400.00"),
            d("2024-03-31"),
            Decimal("0.00"),
            Decimal("0.00"),
            "broken",
            "M3",
            as_of,
        ),
        # PA and PB overlap: the 500 of Mar-09 keeps PA; it does not count for PB too, which gets
        # only the 300 of Mar-18 (after PA's window closed). PB's own window saw 800.
        (
            "PA",
            "P6",
            "AG2",
            mar10,
            Decimal("500.00"),
            mar13,
            Decimal("500.00"),
            Decimal("500.00"),
            "kept",
            "M2",
            as_of,
        ),
        (
            "PB",
            "P6",
            "AG2",
            d("2024-03-20"),
            Decimal("500.00"),
            d("2024-03-23"),
            Decimal("300.00"),
            Decimal("800.00"),
            "partial",
            "M2",
            as_of,
        ),
        # One payment of 600 covers both 300 promises: the surplus over PC flows on to PD.
        (
            "PC",
            "P7",
            "AG2",
            mar10,
            Decimal("300.00"),
            mar13,
            Decimal("300.00"),
            Decimal("600.00"),
            "kept",
            "M2",
            as_of,
        ),
        (
            "PD",
            "P7",
            "AG2",
            d("2024-03-15"),
            Decimal("300.00"),
            d("2024-03-18"),
            Decimal("300.00"),
            Decimal("600.00"),
            "kept",
            "M2",
            as_of,
        ),
        # Paid on the last day of grace (the Feb-28 payment predates the promise).
        (
            "PK",
            "P1",
            "AG1",
            mar10,
            Decimal("500.00"),
            mar13,
            Decimal("500.00"),
            Decimal("500.00"),
            "kept",
            "M1",
            as_of,
        ),
        # Paid a day after the grace period: nothing in the window.
        (
            "PL",
            "P2",
            "AG1",
            mar10,
            Decimal("500.00"),
            mar13,
            Decimal("0.00"),
            Decimal("0.00"),
            "broken",
            "M1",
            as_of,
        ),
        (
            "PP",
            "P3",
            "AG1",
            mar10,
            Decimal("1000.00"),
            mar13,
            Decimal("600.00"),
            Decimal("600.00"),
            "partial",
            "M1",
            as_of,
        ),
        # The reversed 500 counts as never paid; the 300 after it stands.
        (
            "PR",
            "P4",
            "AG1",
            mar10,
            Decimal("500.00"),
            mar13,
            Decimal("300.00"),
            Decimal("300.00"),
            "partial",
            "M1",
            as_of,
        ),
        # 960 of 1000 with tolerance 0: partial.
        (
            "PT",
            "P5",
            "AG1",
            mar10,
            Decimal("1000.00"),
            mar13,
            Decimal("960.00"),
            Decimal("960.00"),
            "partial",
            "M1",
            as_of,
        ),
    ]


def test_promise_kept_rates(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT month, agent_id, bucket, promises, kept, partial, broken, pending, kept_rate "
        "FROM mart.promise_kept_rates ORDER BY agent_id, bucket",
    )
    assert rows == [
        (MARCH, "AG1", "M1", 5, 1, 3, 1, 0, 1 / 5),  # PK kept; PP, PR, PT partial; PL broken
        (MARCH, "AG2", "M2", 4, 3, 1, 0, 0, 3 / 4),  # PA, PC, PD kept; PB partial
        (MARCH, "AG2", "M3", 1, 0, 0, 1, 0, 0.0),  # P9 broken
        (MARCH, "AG2", "M4", 1, 0, 0, 0, 1, None),  # P8 pending: no rate yet
    ]


def test_kept_rate_sensitivity(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT grace_days, CAST(tolerance_share AS DOUBLE), is_in_force, promises, kept, partial, broken, pending, kept_rate "
        "FROM mart.promise_kept_sensitivity WHERE month = DATE '2024-03-01' "
        "AND (grace_days, CAST(tolerance_share AS DOUBLE)) IN ((0, 0.0), (3, 0.0), (3, 0.01), (3, 0.05), (4, 0.0), (7, 0.10)) "
        "ORDER BY 1, 2",
    )
    assert rows == [
        # No grace: PK (paid on day +3) and PL are broken; P8's and P9's windows have closed.
        (0, 0.0, False, 11, 3, 4, 4, 0, 3 / 11),
        # The setting in force (the same numbers as mart.promise_kept_rates).
        (3, 0.0, True, 11, 4, 4, 2, 1, 4 / 10),
        # 1% tolerance needs 990 of PT's 1000: still partial; 5% needs 950: kept.
        (3, 0.01, False, 11, 4, 4, 2, 1, 4 / 10),
        (3, 0.05, False, 11, 5, 3, 2, 1, 5 / 10),
        # Four days: PL (day +4) is kept; P9's window now runs to Apr-01: pending.
        (4, 0.0, False, 11, 5, 4, 0, 2, 5 / 9),
        (7, 0.10, False, 11, 6, 3, 0, 2, 6 / 9),
    ]
    # Every scenario of settings.promise_scenarios (8 x 4), the one in force among them.
    assert query(
        bank,
        "SELECT count(*), count(*) FILTER (WHERE is_in_force) FROM mart.promise_kept_sensitivity",
    ) == [(32, 1)]


def test_grace_and_tolerance_are_settings(bank: Path, tmp_path: Path) -> None:
    edited = rebuild_copy(
        bank,
        tmp_path / "edited.duckdb",
        "UPDATE settings.measure_parameters SET value = 0 WHERE parameter = 'promise_grace_days'",
        "UPDATE settings.measure_parameters SET value = 0.05 WHERE parameter = 'promise_tolerance_share'",
    )
    statuses = dict(query(edited, "SELECT promise_id, status FROM mart.promise_outcomes"))
    # Without grace PK, PL, P8 and P9 break; with 5% tolerance PT is kept.
    assert statuses == {
        "PK": "broken",
        "PL": "broken",
        "PP": "partial",
        "PR": "partial",
        "PT": "kept",
        "PA": "kept",
        "PB": "partial",
        "PC": "kept",
        "PD": "kept",
        "P8": "broken",
        "P9": "broken",
    }


def test_plan_performance(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT plan_type, month, plans, proposed, cancelled, approved, active, completed, broken, "
        "kept_rate, broken_rate, matured, cured, cure_rate FROM mart.plan_performance ORDER BY 1, 2",
    )
    dec, feb = d("2023-12-01"), d("2024-02-01")
    assert rows == [
        # QP3 started Dec-15; its 3 months end Mar-15, before the as-of date: matured, and Q3 was
        # at 0 days past due on Feb-29: cured.
        ("extension", dec, 1, 0, 0, 1, 1, 0, 0, None, 0.0, 1, 1, 1.0),
        # QP4 is only proposed (month of its request).
        ("extension", MARCH, 1, 1, 0, 0, 0, 0, 0, None, None, 0, 0, None),
        # QP1 completed (Q1 Current on Jan-31: cured), QP2 broken (Q2 never cured), QP6 cancelled
        # (no start: the month of its request).
        ("instalment", dec, 3, 0, 1, 2, 0, 1, 1, 0.5, 0.5, 2, 1, 0.5),
        # QP5 started Feb-01: its 3 months run to May-01, not over yet.
        ("min_payment_reduction", feb, 1, 0, 0, 1, 1, 0, 0, None, 0.0, 0, 0, None),
    ]
