"""Risk grading, delinquency cause and treatment (procedure step 1), and the preview of candidate
settings, on a hand-made bank of twelve accounts in February 2024 (January is their history):

    account  employment  score  limit   Jan dpd   Feb dpd / balance   what February shows
    S1       salaried     720   10000      0       10 /  1200          first slip, no signs       -> forgetful
    S2       student      720   10000      0       20 /  1000          no regular income          -> unable
    S3       salaried     700   10000      0       45 /  2000          paid 100, still past due   -> unable
    S4       salaried     700   10000      0       40 /  2000          refused to pay on a call   -> wilful
    S5       salaried     700   10000      0       75 /  2000          reached, paid nothing      -> wilful
    S6       salaried     720   50000      0       15 / 12500          12,000 overdue             -> forgetful
    S7       salaried     720   10000     40        0 /   800          cured, 40 days in January  -> (current)
    S8       salaried     760   10000      0        0 /   500          nothing                    -> (current)
    S9       salaried     720   10000      0       25 /  9800          98% of the limit used      -> unable
    S10      salaried     700   10000    170      180 /  5000 charged off                         -> (written off)
    S11      unemployed   700   10000      0        0 /   100          no job                     -> (current)
    S12      salaried     540   10000      0        5 /   300          low score                  -> forgetful

Default thresholds (DOMAIN.md step 1, settings.risk_grades): high = 61+ days past due, 10,000
overdue, score below 550, 3 past delinquencies (month ends at 31+ days in the last 12) or
unemployed; medium = 1+ days past due, score below 650, 1 past delinquency, self-employed or
student; else low.
"""

# ruff: noqa: E501  (expected rows are kept whole, one per line, as a reader checks them)

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import write_inbox

from warehouse import marts
from warehouse.app.strategy import candidate_tables, compare_grades, grade_accounts
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader, copy_warehouse, in_place

FEB = date(2024, 2, 1)

ACCOUNTS = (
    "account_id,national_id,card_no,open_date,credit_limit,credit_score,employment_type\n"
    + "".join(
        f"{account},11010519900101{index:04d},62258802{index:08d},2023-01-01,{limit},{score},{employment}\n"
        for index, (account, limit, score, employment) in enumerate(
            [
                ("S1", 10000, 720, "salaried"),
                ("S2", 10000, 720, "student"),
                ("S3", 10000, 700, "salaried"),
                ("S4", 10000, 700, "salaried"),
                ("S5", 10000, 700, "salaried"),
                ("S6", 50000, 720, "salaried"),
                ("S7", 10000, 720, "salaried"),
                ("S8", 10000, 760, "salaried"),
                ("S9", 10000, 720, "salaried"),
                ("S10", 10000, 700, "salaried"),
                ("S11", 10000, 700, "unemployed"),
                ("S12", 10000, 540, "salaried"),
            ]
        )
    )
)

SNAPSHOTS = "as_of_date,account_id,balance,overdue_principal,days_past_due,status\n"
JANUARY = {"S7": (1000, 40), "S10": (4900, 170)}
FEBRUARY = {
    "S1": (1200, 0, 10, "open"),
    "S2": (1000, 0, 20, "open"),
    "S3": (2000, 0, 45, "open"),
    "S4": (2000, 0, 40, "open"),
    "S5": (2000, 0, 75, "open"),
    "S6": (12500, 12000, 15, "open"),
    "S7": (800, 0, 0, "open"),
    "S8": (500, 0, 0, "open"),
    "S9": (9800, 0, 25, "open"),
    "S10": (5000, 0, 180, "charged_off"),
    "S11": (100, 0, 0, "open"),
    "S12": (300, 0, 5, "open"),
}

FILES = {
    "accounts_20240131.csv": ACCOUNTS,
    "snapshots_20240131.csv": SNAPSHOTS
    + "".join(
        f"2024-01-31,{account},{JANUARY.get(account, (100, 0))[0]},0,{JANUARY.get(account, (100, 0))[1]},open\n"
        for account in FEBRUARY
    ),
    "snapshots_20240229.csv": SNAPSHOTS
    + "".join(
        f"2024-02-29,{account},{balance},{overdue},{dpd},{status}\n"
        for account, (balance, overdue, dpd, status) in FEBRUARY.items()
    ),
    "payments_20240215.csv": "payment_id,account_id,paid_at,amount\nP1,S3,2024-02-15 10:00:00,100.00\n",
    # S4 refuses to pay; S5 answers and asks for a callback; S1 does not answer (not reached).
    "contacts_20240212.csv": "attempt_id,account_id,channel,started_at,party,outcome\n"
    "K1,S4,call,2024-02-10 10:00:00,debtor,refused\n"
    "K2,S5,call,2024-02-12 10:00:00,debtor,callback\n"
    "K3,S1,call,2024-02-12 11:00:00,none,no_answer\n",
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("strategy_bank")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", FILES), db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


STRATEGY = """
    SELECT account_id, risk_grade, risk_factors, delinquency_cause, treatment
    FROM mart.account_strategy WHERE month = DATE '2024-02-01'
    ORDER BY length(account_id), account_id
"""


def test_grade_cause_and_treatment(bank: Path) -> None:
    con = connect_reader(bank)
    rows = con.execute(STRATEGY).fetchall()
    con.close()
    assert rows == [
        # First slip of a good customer: medium on days past due; forgetful -> reminders.
        ("S1", "medium", "days past due", "forgetful", "reminder_and_call"),
        # A student has no regular income: unable, whatever the days.
        ("S2", "medium", "days past due, employment", "unable", "negotiate_plan"),
        # Paid 100 this month and is still 45 days past due: willing, not able.
        ("S3", "medium", "days past due", "unable", "negotiate_plan"),
        # Refused to pay on a right-party call: wilful.
        ("S4", "medium", "days past due", "wilful", "escalate"),
        # 75 days (61+: high), reached this month, paid nothing, no sign of inability: wilful.
        ("S5", "high", "days past due", "wilful", "legal_track"),
        # 12,000 overdue (10,000+: high) on a 15-day first slip: firm reminder.
        ("S6", "high", "amount overdue", "forgetful", "firm_reminder"),
        # Current again, but 40 days at the January month end: one past delinquency, medium.
        # Not delinquent: no cause, no treatment.
        ("S7", "medium", "past delinquencies", None, None),
        ("S8", "low", None, None, None),
        # 9,800 of a 10,000 limit (95%+): unable.
        ("S9", "medium", "days past due", "unable", "negotiate_plan"),
        # Written off at 180 days: graded, but out of the collection strategy. Its one past
        # delinquency (170 days in January) is below the high grade's 3, so not a high factor.
        ("S10", "high", "days past due", None, None),
        # Unemployed: high, though current.
        ("S11", "high", "employment", None, None),
        # Score 540 (below 550): high on a 5-day slip.
        ("S12", "high", "credit score", "forgetful", "firm_reminder"),
    ]


def test_strategy_view_carries_the_treatment_details(bank: Path) -> None:
    con = connect_reader(bank)
    row = con.execute(
        "SELECT channels, contacts_per_week, next_step FROM mart.account_strategy "
        "WHERE month = DATE '2024-02-01' AND account_id = 'S5'"
    ).fetchall()
    con.close()
    assert row == [("call, letter, visit", 3, "outside agency placement or legal action")]


def test_preview_without_candidate_is_what_is_saved(bank: Path) -> None:
    con = connect_reader(bank)
    try:
        saved = con.sql("SELECT * FROM mart.account_month WHERE month = DATE '2024-02-01'").pl()
        preview = grade_accounts(con, FEB)
    finally:
        con.close()
    assert preview.sort("account_id").equals(saved.sort("account_id"))


def saved_rows(con, table: str) -> list[dict]:
    return con.sql(f"SELECT * FROM {table}").pl().to_dicts()


def test_preview_of_a_candidate_changes_nothing(bank: Path) -> None:
    # The manager tries "high from 40 days past due" on a read-only connection (as the
    # dashboard's): S3 (45 days) and S4 (40) would become high, with the high treatments.
    con = connect_reader(bank)
    try:
        grades = saved_rows(con, "settings.risk_grades")
        for row in grades:
            if row["risk_grade"] == "high":
                row["min_days_past_due"] = 40
        preview = grade_accounts(con, FEB, {"risk_grades": grades})
        changed = preview.filter(pl.col("account_id").is_in(["S3", "S4"])).sort("account_id")
        assert changed.select("account_id", "risk_grade", "treatment").rows() == [
            ("S3", "high", "restructure"),
            ("S4", "high", "legal_track"),
        ]
        # Saved vs candidate, by grade and treatment: only those two move (medium -> high).
        comparison = compare_grades(con, FEB, {"settings.risk_grades": grades})
        moved = comparison.filter(pl.col("risk_grade") != pl.col("candidate_risk_grade"))
        assert moved.select(
            "risk_grade", "candidate_risk_grade", "treatment", "candidate_treatment", "accounts"
        ).rows() == [
            ("medium", "high", "negotiate_plan", "restructure", 1),  # S3, unable
            ("medium", "high", "escalate", "legal_track", 1),  # S4, wilful
        ]
        assert comparison["accounts"].sum() == 12
        # Nothing was saved: the warehouse still grades S3 and S4 medium.
        assert con.execute(
            "SELECT risk_grade FROM mart.account_month WHERE month = DATE '2024-02-01' "
            "AND account_id IN ('S3', 'S4')"
        ).fetchall() == [("medium",), ("medium",)]
    finally:
        con.close()


def test_candidate_cause_and_treatment_settings(bank: Path) -> None:
    con = connect_reader(bank)
    try:
        # Forgetful only up to 5 days: S1 (10 days) and S6 (15) become unable; S12 (5) stays.
        parameters = saved_rows(con, "settings.analytics_parameters")
        for row in parameters:
            if row["parameter"] == "forgetful_max_days_past_due":
                row["value"] = 5
        preview = grade_accounts(con, FEB, {"analytics_parameters": parameters})
        causes = dict(preview.select("account_id", "delinquency_cause").rows())
        assert (causes["S1"], causes["S6"], causes["S12"]) == ("unable", "unable", "forgetful")
        # A renamed treatment shows at once; an emptied table leaves every account untreated.
        treatments = saved_rows(con, "settings.treatments")
        for row in treatments:
            if (row["risk_grade"], row["delinquency_cause"]) == ("medium", "forgetful"):
                row["treatment"] = "gentle_nudge"
        preview = grade_accounts(con, FEB, {"treatments": treatments})
        assert preview.filter(pl.col("account_id") == "S1")["treatment"].to_list() == [
            "gentle_nudge"
        ]
        assert grade_accounts(con, FEB, {"treatments": []})["treatment"].null_count() == 12
    finally:
        con.close()


def test_preview_equals_the_saved_result(bank: Path, tmp_path: Path) -> None:
    # The preview runs the mart's own SQL: saving the candidate and rebuilding gives the same rows.
    con = connect_reader(bank)
    try:
        grades = saved_rows(con, "settings.risk_grades")
        for row in grades:
            if row["risk_grade"] == "medium":
                row["below_credit_score"] = 710  # S3, S4, S5, S10, S11 (700) and S12 (540)
        preview = grade_accounts(con, FEB, {"risk_grades": grades})
    finally:
        con.close()
    db = tmp_path / "saved.duckdb"
    copy_warehouse(bank, db)
    with in_place(db) as lake:
        lake.con.execute(
            "UPDATE settings.risk_grades SET below_credit_score = 710 WHERE risk_grade = 'medium'"
        )
        marts.build(lake)
        saved = lake.con.sql(
            "SELECT * FROM mart.account_month WHERE month = DATE '2024-02-01'"
        ).pl()
    assert preview.sort("account_id").equals(saved.sort("account_id"))
    # S8 (760, current) stays low; S1 (720, 10 days) stays medium on days past due.
    assert dict(preview.select("account_id", "risk_grade").rows())["S8"] == "low"


def test_candidate_errors_say_what_was_expected(bank: Path) -> None:
    con = connect_reader(bank)
    try:
        with pytest.raises(ValueError, match="not a setting of the grading rules"):
            grade_accounts(con, FEB, {"contact_windows": []})
        with pytest.raises(ValueError, match="expected risk_grade, severity"):
            grade_accounts(con, FEB, {"risk_grades": [{"risk_grade": "high"}]})
    finally:
        con.close()
    assert candidate_tables() == [
        "settings.analytics_parameters",
        "settings.bank_timezone",
        "settings.buckets",
        "settings.employment_risk",
        "settings.risk_grades",
        "settings.treatments",
    ]
