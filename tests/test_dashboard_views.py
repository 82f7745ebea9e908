"""The views the dashboard added (sql/500-502) on the dashboard bank (tests/dashboard_bank.py),
expected rows worked out by hand."""

# ruff: noqa: E501  (expected rows are kept whole, as a reader checks them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query, write_inbox
from dashboard_bank import DASHBOARD_FILES

from warehouse.jobs.load import load_inbox


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("views")
    db = folder / "warehouse.duckdb"
    load_inbox(write_inbox(folder / "inbox", DASHBOARD_FILES), db=db, run_checks=False)
    return db


def test_account_timeline_of_a2(bank: Path) -> None:
    rows = query(
        bank,
        """
        SELECT event_date, kind, reference, status, amount, detail, agent_id
        FROM mart.account_timeline WHERE account_id = 'A2'
        ORDER BY event_date, event_at NULLS FIRST, kind
        """,
    )
    d = date
    assert rows == [
        (d(2024, 1, 31), "grade", None, "medium", None, "forgetful · reminder_and_call", None),
        (d(2024, 1, 31), "snapshot", None, "M1", Decimal("2000.00"), "15 dpd · open", None),
        (d(2024, 2, 5), "contact", "k1", "right_party", None, "call · debtor · 139****4321", "AG1"),
        (
            d(2024, 2, 5),
            "contact",
            "k2",
            "promise_to_pay",
            None,
            "call · debtor · 139****4321",
            "AG1",
        ),
        (
            d(2024, 2, 5),
            "promise",
            "pr1",
            "kept",
            Decimal("500.00"),
            "due 2024-02-08 · paid 500.00",
            "AG1",
        ),
        (d(2024, 2, 7), "payment", "Y1", "app", Decimal("500.00"), None, None),
        (d(2024, 2, 15), "snapshot", None, "M1", Decimal("2050.00"), "30 dpd · open", None),
        # Grade, cause and treatment as mart.account_month has them (tested there).
        (d(2024, 2, 29), "grade", None, "medium", None, "unable · negotiate_plan", None),
        (d(2024, 2, 29), "snapshot", None, "M2", Decimal("2100.00"), "45 dpd · open", None),
    ]


def test_account_timeline_holds_breaches_and_plans(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT kind, reference, status FROM mart.account_timeline "
        "WHERE account_id = 'A3' AND kind IN ('breach', 'plan') ORDER BY kind, status",
    )
    assert rows == [
        ("breach", "k3", "bank.calling_hours"),
        ("breach", "k3", "china.quiet_hours"),
        ("plan", "PL1", "active"),
    ]


def test_account_migration_adds_up_to_the_matrix(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT month, account_id, from_bucket, to_bucket, balance, to_balance, product "
        "FROM mart.account_migration ORDER BY account_id",
    )
    jan = date(2024, 1, 1)
    assert rows == [
        (jan, "A1", "Current", "Current", Decimal("1000.00"), Decimal("1100.00"), "Gold"),
        (jan, "A2", "M1", "M2", Decimal("2000.00"), Decimal("2100.00"), "Classic"),
        (jan, "A3", "M2", "M3", Decimal("3000.00"), Decimal("3100.00"), "Classic"),
    ]
    # The same cells, counted, as mart.bucket_migration.
    assert (
        query(
            bank,
            "SELECT from_bucket, to_bucket, count(*) FROM mart.account_migration GROUP BY ALL "
            "EXCEPT SELECT from_bucket, to_bucket, accounts FROM mart.bucket_migration",
        )
        == []
    )


def test_alert_thresholds_have_defaults(bank: Path) -> None:
    assert dict(query(bank, "SELECT threshold, value FROM settings.alert_thresholds")) == {
        "min_accounts_for_rate": Decimal("30.0000"),
        "divergence_min_change": Decimal("0.0200"),
        "breach_spike_factor": Decimal("2.0000"),
        "breach_spike_min_breaches": Decimal("5.0000"),
        "breach_spike_baseline_months": Decimal("3.0000"),
    }
