"""`collections purge --before DATE` (issue 13 §4): records older than a day go, the 2-year
contact rule holds, the audit trail and ops.purges say what went, the Compliance page says how
far back the records go.

The bank: the tiny bank of conftest (snapshots of 31 Jan, 15 Feb and 29 Feb 2024) plus a month
end two years earlier (31 Dec 2021: a snapshot of A1..A3) and contacts:
  X1 2021-12-10 and X2 2021-12-20 (in the file of 31 Dec 2021),
  X3 2021-12-05 (a late record, in the file of 31 Jan 2024),
  X4 2024-02-20 (in the file of 29 Feb 2024).
The as-of date is 29 Feb 2024, so the rule protects every contact from 28 Feb 2022 on
(2024-02-29 minus 2 years; 2022 has no 29 Feb).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import TINY_FILES, query, write_inbox
from typer.testing import CliRunner

from warehouse.app.store import AppStore
from warehouse.cli import app
from warehouse.jobs.load import load_inbox
from warehouse.jobs.purge import PurgeRefused, earliest_allowed, purge
from warehouse.storage import copy_warehouse

HEADER = "attempt_id,account_id,agent_id,channel,started_at,duration_s,party,outcome,notes\n"
FILES = {
    **{name.replace("20240131", "20211231"): content for name, content in TINY_FILES.items()
       if name.startswith("accounts_")},
    "snapshots_20211231.csv": (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
        "2021-12-31,A1,5,900.00,90.00,0,0,open\n"
        "2021-12-31,A2,10,1900.00,190.00,0,0,open\n"
        "2021-12-31,A3,20,2900.00,290.00,35,1,open\n"
    ),
    "contacts_20211231.csv": HEADER
    + "X1,A3,,call,2021-12-10T10:00:00+08:00,60,debtor,right_party,\n"
    + "X2,A3,,call,2021-12-20T10:00:00+08:00,0,none,no_answer,\n",
    **TINY_FILES,
    "contacts_20240131.csv": HEADER + "X3,A2,,call,2021-12-05T10:00:00+08:00,0,none,no_answer,\n",
    "contacts_20240229.csv": HEADER + "X4,A3,,call,2024-02-20T10:00:00+08:00,30,debtor,refused,\n",
}  # fmt: skip
TODAY = date(2026, 12, 2)  # later than the as-of date: the as-of date decides


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("purge")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", FILES), db=db, run_checks=False)
    assert summary.rows_quarantined == 0 and summary.published
    return db


@pytest.fixture()
def bank(loaded: Path, tmp_path: Path) -> Path:
    """A copy of the loaded bank (catalog and lake) for each test to purge."""
    db = tmp_path / "warehouse.duckdb"
    copy_warehouse(loaded, db)
    return db


def contacts(db: Path) -> list[str]:
    return [r[0] for r in query(db, "SELECT attempt_id FROM raw.contacts ORDER BY 1")]


def test_the_limit_is_two_years_before_the_earlier_of_as_of_and_today() -> None:
    assert earliest_allowed(date(2024, 2, 29), TODAY) == date(2022, 2, 28)
    # A warehouse ahead of the calendar (a demo bank dated in the future) is cut from today.
    assert earliest_allowed(date(2030, 6, 30), date(2026, 12, 2)) == date(2024, 12, 2)
    assert earliest_allowed(None, date(2026, 12, 2)) == date(2024, 12, 2)


def test_a_day_the_rule_protects_is_refused_and_nothing_changes(bank: Path) -> None:
    before = query(bank, "SELECT max(version) FROM ops.publications")
    with pytest.raises(PurgeRefused, match="2022-02-28"):
        purge(bank, date(2022, 3, 1), today=TODAY)
    assert contacts(bank) == ["X1", "X2", "X3", "X4"]
    assert query(bank, "SELECT max(version) FROM ops.publications") == before
    trail = AppStore.beside(bank).audit_trail()
    assert (trail[0]["action"], trail[0]["outcome"]) == ("purge", "refused")


def test_a_dry_run_counts_and_publishes_nothing(bank: Path) -> None:
    before = query(bank, "SELECT max(version) FROM ops.publications")
    result = purge(bank, date(2021, 12, 15), dry_run=True, today=TODAY)
    # X1 (10 Dec) and the late X3 (5 Dec) are older than 15 Dec; X2 (20 Dec) is not; the
    # snapshot of 31 Dec is not either.
    assert result.dropped == {"raw.contacts": 2}
    assert result.published is None
    assert contacts(bank) == ["X1", "X2", "X3", "X4"]
    assert query(bank, "SELECT max(version) FROM ops.publications") == before


def test_a_purge_drops_what_is_older_everywhere_and_says_so(bank: Path) -> None:
    result = purge(bank, date(2022, 1, 1), today=TODAY)
    # X1, X2 and X3 (December 2021, X3 from a 2024 file) and the 3 snapshot rows of 31 Dec 2021.
    assert result.dropped == {"raw.contacts": 3, "raw.snapshots": 3}
    assert contacts(bank) == ["X4"]
    assert query(bank, "SELECT count(*) FROM raw.snapshots") == [(8,)]  # 3 + 2 + 3 of 2024
    # The marts were rebuilt from what is left: no month of 2021 is reported any more.
    assert query(bank, "SELECT min(month) FROM mart.account_month") == [(date(2024, 1, 1),)]
    assert query(bank, "SELECT relation, rows_dropped, before_date FROM ops.purges ORDER BY 1") == [
        ("raw.contacts", 3, date(2022, 1, 1)),
        ("raw.snapshots", 3, date(2022, 1, 1)),
    ]
    event = AppStore.beside(bank).audit_trail()[0]
    assert (event["action"], event["outcome"], event["rows"]) == ("purge", "ok", 6)
    assert "raw.contacts: 3 rows" in event["detail"]
    # No file the catalog names still holds an older row (the late X3's file was rewritten).
    assert query(bank, "SELECT count(*) FROM raw.contacts WHERE started_at < '2022-01-01'") == [
        (0,)
    ]


def test_the_compliance_page_says_how_far_back_records_go(bank: Path) -> None:
    from dashboard.reads.compliance import records_since
    from dashboard.reads.connection import warehouse_version

    assert records_since.__wrapped__(warehouse_version(bank)) == (date(2021, 12, 5), None)
    purge(bank, date(2022, 1, 1), today=TODAY)
    assert records_since.__wrapped__(warehouse_version(bank)) == (
        date(2024, 2, 20),
        date(2022, 1, 1),
    )


def test_the_command_refuses_with_exit_1_and_purges_with_exit_0(bank: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(app, ["purge", "--before", "2023-01-01", "--db", str(bank)])
    assert refused.exit_code == 1
    assert "kept at least 2 years" in " ".join(refused.output.split())
    bad = runner.invoke(app, ["purge", "--before", "soon", "--db", str(bank)])
    assert bad.exit_code == 2
    # The command's today is the real one (2026 or later): the as-of date 2024-02-29 decides.
    done = runner.invoke(app, ["purge", "--before", "2021-12-15", "--db", str(bank)])
    assert done.exit_code == 0, done.output
    assert "raw.contacts" in done.output
    assert contacts(bank) == ["X2", "X4"]
