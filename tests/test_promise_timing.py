"""When money pays a promise, and when a promise's window is over (issue 14, parts 1 and 2).

A hand-made bank of three accounts in June 2024 (bank time, Shanghai; defaults: grace 3 calendar
days inclusive, tolerance 0):

    promise  account  made          promised          payments that stand
    PA1      A        Jun-02 10:00  100.00 by Jun-10  100.00 on Jun-03 12:00
    PA2      A        Jun-05 10:00  100.00 by Jun-08  (none after Jun-05)
    PB       B        Jun-15 10:00  100.00 by Jun-20   40.00 on Jun-16 10:00
    PC       C        Jun-15 10:00  100.00 by Jun-20  nothing

Part 1: a promise is paid only by money paid after it was made. PA1 and PA2 overlap (PA2 was made
while PA1's window, to Jun-13, was open): one arrangement. The 100.00 of Jun-03 was paid before
PA2 existed, so it can only pay PA1: PA1 kept (100.00), PA2 broken (0.00) once its window closes
on Jun-11. (Sharing all money since the arrangement began by due date would give the 100.00 to
PA2, due earlier, and break PA1.)

Part 2: a day with nothing to report still moves the calendar. The first load ends with the
payments file of Jun-20 (the as-of date). PB's and PC's windows run to Jun-23: pending. The
bank then sends header-only payments and contacts files for Jun-21, Jun-22 and Jun-23 (days with
nothing to report). The as-of date becomes Jun-23, the last day of both windows: PB is partial
(40.00 of 100.00), PC broken; the refresh after the header-only days must see that.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query, write_inbox

from warehouse import marts
from warehouse.jobs.load import load_inbox
from warehouse.storage import copy_warehouse, in_place

PAYMENTS_HEADER = "payment_id,account_id,paid_at,amount,channel\n"
CONTACTS_HEADER = "attempt_id,account_id,agent_id,channel,started_at,party,outcome\n"

FIRST_FILES: dict[str, str] = {
    "accounts_20240531.csv": (
        "account_id,national_id,card_no,open_date,credit_limit\n"
        "A,110105199001010001,6225880200000001,2020-01-01,10000\n"
        "B,110105199001010002,6225880200000002,2020-01-01,10000\n"
        "C,110105199001010003,6225880200000003,2020-01-01,10000\n"
    ),
    "snapshots_20240531.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n"
        "2024-05-31,A,1000.00,15,open\n"
        "2024-05-31,B,1000.00,15,open\n"
        "2024-05-31,C,1000.00,15,open\n"
    ),
    "promises_20240615.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "PA1,A,,,2024-06-02 10:00:00,2024-06-10,100.00\n"
        "PA2,A,,,2024-06-05 10:00:00,2024-06-08,100.00\n"
        "PB,B,,,2024-06-15 10:00:00,2024-06-20,100.00\n"
        "PC,C,,,2024-06-15 10:00:00,2024-06-20,100.00\n"
    ),
    "payments_20240620.csv": (
        PAYMENTS_HEADER
        + "Y1,A,2024-06-03 12:00:00,100.00,app\n"
        + "Y2,B,2024-06-16 10:00:00,40.00,app\n"
    ),
}

# Days with nothing to report: a header and no rows (CONTRACT.md: a normal day).
QUIET_DAYS: dict[str, str] = {
    f"{extract}_202406{day}.csv": header
    for day in ("21", "22", "23")
    for extract, header in (("payments", PAYMENTS_HEADER), ("contacts", CONTACTS_HEADER))
}

OUTCOMES = (
    "SELECT promise_id, paid_by, paid_amount, paid_in_window, status, as_of_date "
    "FROM mart.promise_outcomes ORDER BY promise_id"
)


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple], list[tuple]]:
    """The warehouse after both loads, and the promise outcomes after the first and the second."""
    folder = tmp_path_factory.mktemp("promise-timing")
    db = folder / "warehouse.duckdb"
    first = load_inbox(write_inbox(folder / "first", FIRST_FILES), db=db, run_checks=False)
    assert first.refused == 0 and first.rows_quarantined == 0
    before = query(db, OUTCOMES)
    quiet = load_inbox(write_inbox(folder / "quiet", QUIET_DAYS), db=db, run_checks=False)
    assert quiet.refused == 0 and quiet.rows_landed == 0
    return db, before, query(db, OUTCOMES)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_a_promise_is_paid_only_by_money_paid_after_it_was_made(
    loads: tuple[Path, list[tuple], list[tuple]],
) -> None:
    _, before, _ = loads
    as_of = d("2024-06-20")
    assert before[:2] == [
        # The 100.00 of Jun-03 came after PA1 was made (Jun-02) and before PA2 (Jun-05).
        ("PA1", d("2024-06-13"), Decimal("100.00"), Decimal("100.00"), "kept", as_of),
        # Nothing was paid in PA2's window (Jun-05 10:00 to Jun-11): broken.
        ("PA2", d("2024-06-11"), Decimal("0.00"), Decimal("0.00"), "broken", as_of),
    ]


def test_a_day_with_nothing_to_report_moves_the_as_of_date(
    loads: tuple[Path, list[tuple], list[tuple]],
) -> None:
    db, before, after = loads
    # Before the quiet days the as-of date is Jun-20: PB's and PC's windows (to Jun-23) are open.
    assert before[2:] == [
        ("PB", d("2024-06-23"), Decimal("40.00"), Decimal("40.00"), "pending", d("2024-06-20")),
        ("PC", d("2024-06-23"), Decimal("0.00"), Decimal("0.00"), "pending", d("2024-06-20")),
    ]
    # Header-only files of Jun-21 to Jun-23: the as-of date is Jun-23, the windows' last day.
    as_of = d("2024-06-23")
    assert query(db, "SELECT as_of_date FROM core.as_of_date") == [(as_of,)]
    assert after[2:] == [
        ("PB", as_of, Decimal("40.00"), Decimal("40.00"), "partial", as_of),
        ("PC", as_of, Decimal("0.00"), Decimal("0.00"), "broken", as_of),
    ]
    assert query(
        db,
        "SELECT kept, partial, broken, pending FROM mart.promise_kept_rates "
        "WHERE month = DATE '2024-06-01'",
    ) == [(1, 1, 2, 0)]


def test_the_refresh_after_quiet_days_equals_a_full_rebuild(
    loads: tuple[Path, list[tuple], list[tuple]], tmp_path: Path
) -> None:
    db, _, after = loads
    full = copy_warehouse(db, tmp_path / "full.duckdb")
    with in_place(full) as lake:
        marts.build(lake)
    assert query(full, OUTCOMES) == after
    assert query(full, "SELECT * FROM mart.promise_kept_sensitivity ORDER BY ALL") == query(
        db, "SELECT * FROM mart.promise_kept_sensitivity ORDER BY ALL"
    )
