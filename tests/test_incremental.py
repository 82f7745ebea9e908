"""Every mart refreshed day by day equals the same mart rebuilt from scratch.

A small generated bank (300 accounts) is landed as a bank lands it: two months at once, the
first 27 days of the third month together, then one business day at a time across the third
month's end into the fourth, with a corrected payments file for an earlier day on the way. After
the daily loads every table and view of `core` and `mart` is compared, row for row, with a copy
of the warehouse whose marts were rebuilt whole. Each daily load must also have refreshed its
tables by month (`incremental` in ops.mart_builds), never by a whole rebuild, unless a file that
changes every month (accounts, agents, holidays) came in.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import query, write_inbox

from warehouse import marts
from warehouse.config import lake_path
from warehouse.demo import generate_bank
from warehouse.jobs.load import load_inbox
from warehouse.marts import SqlModel
from warehouse.marts.build import DuckDBEngine
from warehouse.months import FIRST_MONTH, LAST_MONTH
from warehouse.storage import connect_reader, copy_warehouse, in_place
from warehouse.storage.lake import Lake, LakeFile

pytestmark = pytest.mark.slow

MONTHS = 2
THEN_DAYS = 36  # the third month (January 2025) and five days of the fourth


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("incremental")
    generate_bank(
        folder / "inbox",
        accounts=300,
        months=MONTHS,
        seed=11,
        start=date(2024, 11, 1),
        then_days=THEN_DAYS,
        days_out=folder / "days",
    )
    return folder / "inbox", folder / "days"


def relations(db: Path) -> list[str]:
    rows = query(
        db,
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_catalog = 'wh' AND table_schema IN ('core', 'mart') ORDER BY 1",
    )
    return [name for (name,) in rows]


class RecordingEngine(DuckDBEngine):
    """The default engine, noting the month range of each query it runs per table."""

    def __init__(self, lake: Lake) -> None:
        super().__init__(lake)
        self.ranges: dict[str, list[tuple[date | None, date | None]]] = {}

    def write_table(
        self, m: SqlModel, select: str, values: Mapping[str, Any], columns: list[tuple[str, str]]
    ) -> list[LakeFile]:
        months = (values.get("first_month"), values.get("last_month"))
        self.ranges.setdefault(m.name, []).append(months)
        return super().write_table(m, select, values, columns)


def contents(db: Path) -> dict[str, list[tuple]]:
    con = connect_reader(db)
    try:
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
            for name in relations(db)
        }
    finally:
        con.close()


def same(a: list[tuple], b: list[tuple]) -> bool:
    """Row for row equal: money, counts, dates and texts exactly; rates (floats) to 1e-9, as
    sums of floats taken in another order may differ in their last digits."""
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b, strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif x != y:
                return False
    return True


def table_modes(db: Path) -> dict[str, str]:
    rows = query(db, "SELECT model, mode FROM ops.mart_builds")
    return {model: mode for model, mode in rows if mode not in ("view", "unchanged")}


def test_daily_refreshes_equal_a_full_rebuild(
    bank: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, days = bank
    db = tmp_path / "warehouse.duckdb"
    assert load_inbox(inbox, db=db, run_checks=False).refused == 0
    folders = sorted(p for p in days.iterdir() if p.is_dir())
    # The first 27 days of January at once.
    early = tmp_path / "early-january"
    early.mkdir()
    for folder in folders[:27]:
        for path in folder.iterdir():
            shutil.copy(path, early / path.name)
    assert load_inbox(early, db=db, run_checks=False).refused == 0

    daily_modes: dict[str, set[str]] = {}
    month_end: dict[str, str] = {}
    for folder in folders[27:]:
        summary = load_inbox(folder, db=db, run_checks=False)
        assert summary.refused == 0, [f.message for f in summary.files if f.status == "refused"]
        if not summary.published:
            continue
        for model, mode in table_modes(db).items():
            daily_modes.setdefault(model, set()).add(mode)
        if folder.name == "20250131":
            month_end = table_modes(db)
            # The month end brings the accounts and agents extracts too.
            assert {"accounts", "snapshots"} <= {p.name.split("_")[0] for p in folder.iterdir()}
    # A day, month end included, recomputes months, never a table whole: an accounts or agents
    # record is in force from its date, so it changes the months from there on. The exceptions
    # change every month at the month end: a table showing today's segments on every row (it
    # reads core.accounts, `Months: every`), which an accounts file changes, and the plans by
    # start month (plans hold their latest state, undated), which a plans file changes.
    assert daily_modes, "no day was loaded"
    todays_segments = {"mart.account_day_changes", "mart.plan_performance"}
    # The tables without months (core.as_of_date: one row; mart.reporting_months: one row a
    # month; core.account_versions: one row per accounts record) are rebuilt whole whenever a
    # day changes their inputs, and only then: the accounts records come at the month end.
    assert daily_modes.pop("core.as_of_date") == {"full"}
    assert daily_modes.pop("mart.reporting_months") == {"full"}
    assert daily_modes.pop("core.account_versions") == {"full", "skipped"}
    assert month_end["core.account_versions"] == "full"
    assert {
        mode
        for model, modes in daily_modes.items()
        if model not in todays_segments
        for mode in modes
    } <= {"incremental", "skipped"}
    assert month_end["mart.account_day_changes"] == month_end["mart.plan_performance"] == "full"
    assert "incremental" in daily_modes["mart.plan_performance"]  # on an ordinary day
    for model in ("core.contact_attempts", "mart.compliance_breaches", "core.promise_allocations"):
        assert "incremental" in daily_modes[model], model
    assert month_end["mart.account_month"] == "incremental"

    # A corrected payments file for 20 January (one payment fewer) replaces that day's rows.
    original = folders[19] / "payments_20250120.csv"
    lines = original.read_text().splitlines(keepends=True)
    correction = tmp_path / "correction"
    correction.mkdir()
    (correction / original.name).write_text("".join(lines[:-1]))
    summary = load_inbox(correction, db=db, run_checks=False)
    assert [f.status for f in summary.files] == ["replaced"]

    full = copy_warehouse(db, tmp_path / "full.duckdb")
    with in_place(full) as lake:
        engine = RecordingEngine(lake)
        marts.build(lake, engine=engine)  # everything from scratch
    # The 4 landed months (November to February) fit one 6-month range, except for
    # core.contact_attempts, whose header asks for one month at a time: each month of December
    # and January is one query, written as one file, sorted by account.
    assert engine.ranges["mart.account_month"] == [(FIRST_MONTH, LAST_MONTH)]
    assert engine.ranges["core.contact_attempts"] == [
        (FIRST_MONTH, date(2024, 11, 1)),
        (date(2024, 12, 1), date(2024, 12, 1)),
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 2, 1), LAST_MONTH),
    ]
    files = query(
        full,
        "SELECT month, path FROM ops.lake_files WHERE relation = 'core.contact_attempts' "
        "ORDER BY month",
    )
    assert sorted({month for month, _ in files}) == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)
    ]  # fmt: skip
    for month, path in files:
        keys = [k for (k,) in query(full, f"SELECT account_id FROM '{lake_path(full) / path}'")]
        assert keys and keys == sorted(keys), month
    incremental, rebuilt = contents(db), contents(full)
    assert set(incremental) == set(rebuilt)
    for name in sorted(rebuilt):
        assert same(incremental[name], rebuilt[name]), f"{name} differs from a full rebuild"
    # The comparison is about something: the daily loads landed rows in every table.
    assert all(rebuilt[name] for name in ("core.contact_attempts", "mart.compliance_breaches"))

    # A whole rebuild computes each incremental table in month ranges (6 months by default, so
    # the 4 landed months, November to February, were one range above). One month per range
    # gives the same rows: the first range runs from the earliest month there can be, the last
    # to the latest, so every month is computed once.
    monkeypatch.setenv("COLLECTIONS_MARTS_CHUNK_MONTHS", "1")
    chunked = copy_warehouse(db, tmp_path / "chunked.duckdb")
    with in_place(chunked) as lake:
        assert marts.month_chunks(lake, 6) == [(FIRST_MONTH, LAST_MONTH)]
        assert marts.month_chunks(lake, 2) == [
            (FIRST_MONTH, date(2024, 12, 1)),
            (date(2025, 1, 1), LAST_MONTH),
        ]
        assert marts.month_chunks(lake, 1) == [
            (FIRST_MONTH, date(2024, 11, 1)),
            (date(2024, 12, 1), date(2024, 12, 1)),
            (date(2025, 1, 1), date(2025, 1, 1)),
            (date(2025, 2, 1), LAST_MONTH),
        ]
        marts.build(lake)
    by_month = contents(chunked)
    assert set(by_month) == set(rebuilt)
    for name in sorted(rebuilt):
        assert same(by_month[name], rebuilt[name]), f"{name} differs when built month by month"


def test_an_attempt_near_a_month_edge_is_computed_in_its_debtors_month_by_month_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month range reads the attempts by their instant, with two days to spare, before it
    keeps those of its local months: an attempt whose UTC day is in the next or the previous
    month still lands in its debtor's month. Two attempts, one month per range:

    K1  Pacific/Kiritimati (UTC+14)  2025-01-31 23:00 in Shanghai = 15:00 UTC = 1 Feb 05:00 local
    P1  Pacific/Pago_Pago (UTC-11)   2025-02-01 15:00 in Shanghai = 07:00 UTC = 31 Jan 20:00 local

    so K1 is February's (the range from 1 February) and P1 January's (the range to 31 January);
    a bound on the UTC or the bank's day without the margin would drop both.
    """
    monkeypatch.setenv("COLLECTIONS_MARTS_CHUNK_MONTHS", "1")
    inbox = write_inbox(
        tmp_path / "inbox",
        {
            "accounts_20250131.csv": (
                "account_id,national_id,card_no,open_date,credit_limit,timezone\n"
                "K1,110105199001010001,6225880200000001,2020-01-01,10000,Pacific/Kiritimati\n"
                "P1,110105199001010002,6225880200000002,2020-01-01,10000,Pacific/Pago_Pago\n"
            ),
            "snapshots_20250131.csv": (
                "as_of_date,account_id,balance,days_past_due,status\n"
                "2025-01-31,K1,1000.00,40,open\n"
                "2025-01-31,P1,2000.00,40,open\n"
            ),
            "contacts_20250131.csv": (
                "attempt_id,account_id,channel,started_at,outcome\n"
                "k1,K1,call,2025-01-31 23:00:00,no_answer\n"
            ),
            "contacts_20250201.csv": (
                "attempt_id,account_id,channel,started_at,outcome\n"
                "p1,P1,call,2025-02-01 15:00:00,no_answer\n"
            ),
        },
    )
    db = tmp_path / "warehouse.duckdb"
    load_inbox(inbox, db=db, run_checks=False)
    assert query(
        db,
        "SELECT attempt_id, month, local_date, bucket FROM core.contact_attempts ORDER BY 1",
    ) == [
        ("k1", date(2025, 2, 1), date(2025, 2, 1), "M2"),
        ("p1", date(2025, 1, 1), date(2025, 1, 31), "M2"),
    ]
    # The premise, checked after the rows were read from the load's own publication (opening
    # the warehouse in place writes to it): the build computed one month per range.
    with in_place(db) as lake:
        assert marts.month_chunks(lake, 1) == [
            (FIRST_MONTH, date(2025, 1, 1)),
            (date(2025, 2, 1), LAST_MONTH),
        ]
