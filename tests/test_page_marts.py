"""The marts the pages added, on hand-made banks with the expected rows written out.

The tiny bank (conftest.py) has snapshot files on Jan 31, Feb 15 (A2 and A3 only: a bank's
daily file holds its delinquent accounts) and Feb 29. Two more daily files here:

    date     A1                  A2                  A3
    Jan 31   0 dpd  Current      15  M1              45  M2
    Feb 15   (absent: Current)   30  M1              60  M2
    Feb 29   0      Current      45  M2              75  M3
    Mar 1    5      M1           (absent: Current)   50  M2
    Mar 2    (absent: Current)   (absent)            charged off: Written off

so mart.account_day_changes holds, date by date:
    Feb 29   A2 M1 -> M2 roll_forward, A3 M2 -> M3 roll_forward
    Mar 1    A1 Current -> M1 new_delinquent, A2 M2 -> Current cure (missing from the file of
             delinquents), A3 M3 -> M2 roll_back
    Mar 2    A1 M1 -> Current cure, A3 M2 -> Written off roll_forward
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import TINY_FILES, query, write_inbox

from warehouse.jobs.load import load_inbox

SNAPSHOT_HEADER = (
    "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
)
DAILY_FILES = {
    **TINY_FILES,
    "snapshots_20240301.csv": SNAPSHOT_HEADER
    + "2024-03-01,A1,5,1150.00,110.00,5,1,open\n2024-03-01,A3,20,3000.00,310.00,50,2,open\n",
    "snapshots_20240302.csv": SNAPSHOT_HEADER
    + "2024-03-02,A3,20,3000.00,310.00,80,3,charged_off\n",
}


@pytest.fixture(scope="module")
def daily_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("daily-bank")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", DAILY_FILES), db=db)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


def test_day_changes_name_every_move_of_the_delinquent_book(daily_bank: Path) -> None:
    rows = query(
        daily_bank,
        "SELECT as_of_date, previous_date, account_id, from_bucket, to_bucket, change, balance "
        "FROM mart.account_day_changes ORDER BY as_of_date, account_id",
    )
    feb29, mar1, mar2, feb15 = (date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 2),
                                date(2024, 2, 15))  # fmt: skip
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        (feb29, feb15, "A2", "M1", "M2", "roll_forward"),
        (feb29, feb15, "A3", "M2", "M3", "roll_forward"),
        (mar1, feb29, "A1", "Current", "M1", "new_delinquent"),
        (mar1, feb29, "A2", "M2", "Current", "cure"),
        (mar1, feb29, "A3", "M3", "M2", "roll_back"),
        (mar2, mar1, "A1", "M1", "Current", "cure"),
        (mar2, mar1, "A3", "M2", "Written off", "roll_forward"),
    ]
    # The balance of the day (the previous one for an account missing from the file).
    assert [float(r[6]) for r in rows if r[0] == mar1] == [1150.0, 2100.0, 3000.0]


def test_reporting_months_run_to_the_as_of_month(daily_bank: Path) -> None:
    rows = query(
        daily_bank,
        "SELECT month, has_picture, is_complete, is_current, as_of_date "
        "FROM mart.reporting_months ORDER BY month",
    )
    # March has pictures (the two daily files) but no month end: it is the month so far.
    assert rows == [
        (date(2024, 1, 1), True, True, False, date(2024, 3, 2)),
        (date(2024, 2, 1), True, True, False, date(2024, 3, 2)),
        (date(2024, 3, 1), True, False, True, date(2024, 3, 2)),
    ]


def test_permitted_slots_follow_the_rule_sets_in_force(daily_bank: Path) -> None:
    def slot(channel: str, weekday: int, hour: int) -> tuple:
        found = query(
            daily_bank,
            "SELECT is_permitted, forbidden_by, rule_sets FROM mart.permitted_contact_slots "
            "WHERE channel = ? AND weekday = ? AND hour = ?",
            [channel, weekday, hour],
        )
        assert len(found) == 1
        return found[0]

    # Calls on a working day: the bank's 09-12 and 14-18 (12:00 itself breaches).
    assert slot("call", 1, 10)[:2] == (True, None)
    assert slot("call", 1, 12)[:2] == (False, "bank.calling_hours")
    assert slot("call", 1, 17)[:2] == (True, None)
    assert slot("call", 1, 18)[:2] == (False, "bank.calling_hours")
    # 21:00 is after Regulation F's 21:00 (the whole hour must be allowed), 23:00 is China's
    # quiet hours too.
    assert slot("call", 2, 21)[1] == "bank.calling_hours, reg_f.inconvenient_time"
    assert slot("call", 2, 23)[1] == (
        "bank.calling_hours, china.quiet_hours, reg_f.inconvenient_time"
    )
    # Sunday 20:00: no call at all on a non-working day.
    assert slot("call", 7, 20)[:2] == (False, "bank.non_working_day")
    # SMS: the bank's calling hours do not bind it, China's quiet hours do.
    assert slot("sms", 7, 20) == (True, None, "china, reg_f")  # no bank rule binds an SMS slot
    assert slot("sms", 7, 22)[:2] == (False, "china.quiet_hours, reg_f.inconvenient_time")
    assert slot("call", 1, 10)[2] == "bank, china, reg_f"


def test_permitted_slots_leave_out_a_rule_set_not_in_force(
    daily_bank: Path, tmp_path: Path
) -> None:
    from conftest import rebuild_copy

    db = rebuild_copy(
        daily_bank,
        tmp_path / "no_bank.duckdb",
        "UPDATE settings.compliance_rule_sets SET in_force = false WHERE rule_set = 'bank'",
    )
    rows = query(
        db,
        "SELECT is_permitted, forbidden_by, rule_sets FROM mart.permitted_contact_slots "
        "WHERE channel = 'call' AND weekday = 7 AND hour = 20",
    )
    assert rows == [(True, None, "china, reg_f")]


def test_vintage_curves_by_segment_add_up_to_the_whole_book(daily_bank: Path) -> None:
    # Cohorts: A1 Gold/Shanghai Jan 2020, A2 Classic/Beijing Jun 2022, A3 Classic/Shanghai
    # Mar 2023 (one account each); complete months Jan and Feb 2024.
    by_segment = query(
        daily_bank,
        "SELECT vintage, month, measure, product, branch, cohort_accounts, delinquent_accounts "
        "FROM mart.vintage_curves_by_segment WHERE measure = '30+' ORDER BY vintage, month",
    )
    assert by_segment == [
        (date(2020, 1, 1), date(2024, 1, 1), "30+", "Gold", "Shanghai", 1, 0),
        (date(2020, 1, 1), date(2024, 2, 1), "30+", "Gold", "Shanghai", 1, 0),
        (date(2022, 6, 1), date(2024, 1, 1), "30+", "Classic", "Beijing", 1, 0),
        (date(2022, 6, 1), date(2024, 2, 1), "30+", "Classic", "Beijing", 1, 1),
        (date(2023, 3, 1), date(2024, 1, 1), "30+", "Classic", "Shanghai", 1, 1),
        (date(2023, 3, 1), date(2024, 2, 1), "30+", "Classic", "Shanghai", 1, 1),
    ]
    whole = query(
        daily_bank,
        "SELECT vintage, month, measure, cohort_accounts, delinquent_accounts "
        "FROM mart.vintage_curves ORDER BY ALL",
    )
    summed = query(
        daily_bank,
        "SELECT vintage, month, measure, sum(cohort_accounts), sum(delinquent_accounts) "
        "FROM mart.vintage_curves_by_segment GROUP BY ALL ORDER BY ALL",
    )
    assert summed == whole


def test_a_long_window_lists_its_worst_moves_and_counts_every_one(daily_bank: Path) -> None:
    """One load brought every file, as a first load brings years: the "Since the last load" page
    lists the first rows only (worst news first) and has the warehouse count them all. The 7
    moves above: 3 roll forwards (A2 and A3 on Feb 29, A3 on Mar 2), 1 new delinquent, 2 cures,
    1 roll back."""
    from warehouse.app import briefing
    from warehouse.storage import connect_reader

    con = connect_reader(daily_bank)
    try:
        window = briefing.load_window(con)
        every = briefing.day_changes(con, window)
        listed = briefing.day_changes(con, window, limit=2)
        totals = briefing.change_totals(con, window)
        breaches = briefing.new_breaches(con, window)
        assert briefing.breach_count(con, window) == breaches.height
        assert briefing.broken_count(con, window) == briefing.promises_broken(con, window).height
        assert briefing.new_breaches(con, window, limit=0).height == 0
    finally:
        con.close()
    assert every.height == 7
    assert listed.rows() == every.head(2).rows()
    assert listed["change"].to_list() == ["roll_forward", "roll_forward"]
    assert {change: accounts for change, (accounts, _) in totals.items()} == {
        "roll_forward": 3,
        "new_delinquent": 1,
        "cure": 2,
        "roll_back": 1,
    }
    assert totals == briefing.change_counts(every)  # the same sums, to the cent
