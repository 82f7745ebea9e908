"""The marts the pages read at their own grain, and the reads over them, on two small banks of
tests/dashboard_bank.py (NEXT_MONTH_FILES, BREACH_FILES): every expected number worked out by
hand in the comments beside it."""

# ruff: noqa: E501  (expected rows are kept whole, as a reader checks them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import query, write_inbox
from dashboard_bank import BREACH_FILES, NEXT_MONTH_FILES

from dashboard.reads import combine, compliance, contacts, promises
from dashboard.reads.connection import WarehouseVersion, warehouse_version
from dashboard.reads.filters import Filters
from warehouse import marts
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
D = Decimal


def load(folder: Path, files: dict[str, str]) -> Path:
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", files), db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


@pytest.fixture(scope="module")
def next_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load(tmp_path_factory.mktemp("next-month"), NEXT_MONTH_FILES)


@pytest.fixture(scope="module")
def breach_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load(tmp_path_factory.mktemp("breaches"), BREACH_FILES)


def version_of(db: Path) -> WarehouseVersion:
    version = warehouse_version(db)
    assert version is not None
    return version


# --- How rows combine ---------------------------------------------------------------------------


def test_a_rate_over_rows_is_a_sum_over_a_sum() -> None:
    # Two agents: 1 RPC in 1 attempt (100%) and 0 in 3 (0%). Over both: 1 / 4 = 25%, not the
    # 50% an average of their rates would say; a team without attempts has no rate (NULL).
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE league AS SELECT * FROM (VALUES "
        "('Early', 'AG1', 1, 1), ('Early', 'AG2', 3, 0), ('Late', 'AG3', 0, 0)) "
        "AS t(team, agent_id, attempts, right_party_contacts)"
    )
    rpc = combine.Rate("rpc_rate", "right_party_contacts", "attempts")
    columns = combine.select_list(combine.counts("attempts"), combine.sum_over_sum(rpc))
    assert con.execute(
        f"SELECT team, {columns} FROM league GROUP BY team ORDER BY team"
    ).fetchall() == [("Early", 4, 0.25), ("Late", 0, None)]
    # Within a group: each agent's attempts over the team's (1 / 4 and 3 / 4).
    share = combine.Rate("share", "attempts", "attempts")
    assert con.execute(
        f"SELECT agent_id, {combine.sum_over_sum(share, within=('team',))} FROM league "
        "WHERE team = 'Early' GROUP BY team, agent_id ORDER BY agent_id"
    ).fetchall() == [("AG1", 0.25), ("AG2", 0.75)]


# --- Contacts -----------------------------------------------------------------------------------


def test_contact_funnel_is_by_month_team_and_channel(next_month: Path) -> None:
    rows = query(
        next_month,
        "SELECT month, team, channel, attempts, connects, right_party_contacts, promises, "
        "promised_amount, amount_paid_within_window, promises_kept FROM mart.contact_funnel ORDER BY ALL",
    )
    assert rows == [
        # Early (AG1) calls k1, k2 to A2: both reached the debtor, k2 promised pr1 (500), which
        # Y1 (500 on 7 Feb, last touch k2) kept; pr1 falls due on 8 Feb.
        (FEB, "Early", "call", 2, 2, 2, 1, D("500.00"), D("500.00"), 1),
        # k5, the SMS to A1: nobody answered.
        (FEB, "Early", "sms", 1, 0, 0, 0, D("0.00"), D("0.00"), 0),
        # Late (AG2) calls k3 (no answer), k4 (pr2, 200) and k6 (pr3, 100): Y2 (50) is k4's,
        # Y3 (100 on 1 Mar) k6's. pr2 is partial; pr3 is kept but falls due in March.
        (FEB, "Late", "call", 3, 2, 2, 2, D("300.00"), D("150.00"), 0),
        # March holds pr3's kept promise alone, on the channel of k6, the call that made it.
        (MAR, "Late", "call", 0, 0, 0, 0, D("0.00"), D("0.00"), 1),
    ]


def test_contact_slots_are_by_month_team_channel_weekday_and_hour(next_month: Path) -> None:
    rows = query(
        next_month,
        "SELECT month, team, channel, weekday, hour, attempts, right_party_contacts, promises "
        "FROM mart.contact_slots ORDER BY ALL",
    )
    # 5 Feb 2024 is a Monday (weekday 1), so 6 Feb is 2 and 29 Feb a Thursday (4).
    assert rows == [
        (FEB, "Early", "call", 1, 10, 2, 2, 1),  # k1 10:00, k2 10:30
        (FEB, "Early", "sms", 2, 9, 1, 0, 0),  # k5 09:30
        (FEB, "Late", "call", 1, 23, 1, 0, 0),  # k3 23:00
        (FEB, "Late", "call", 2, 11, 1, 1, 1),  # k4 11:00
        (FEB, "Late", "call", 4, 15, 1, 1, 1),  # k6 15:00
    ]


def test_the_contacts_reads_add_up_the_slice(next_month: Path) -> None:
    version = version_of(next_month)
    both = Filters(FEB, MAR)
    funnel = contacts.contact_funnel(version, both)
    # Calls over February and March: 2 + 3 attempts, 2 + 2 connects and RPC, 1 + 2 promises,
    # 500 + 150 yuan, kept pr1 (Feb) + pr3 (Mar); RPC rate 4 / 5, promise rate 3 / 4. The SMS:
    # no RPC, so no promise rate.
    assert funnel.rows() == [
        ("call", 5, 4, 4, 3, D("650.00"), 2, 0.8, 0.75),
        ("sms", 1, 0, 0, 0, D("0.00"), 0, 0.0, None),
    ]
    assert contacts.funnel_totals(version, both) == {
        "attempts": 6,
        "connects": 4,
        "right_party_contacts": 4,
        "promises": 3,
        "connect_rate": pytest.approx(4 / 6),
        "rpc_rate": pytest.approx(4 / 6),
        "promise_rate": 0.75,
    }
    # March alone has a kept promise but no attempt: no channel to draw.
    assert contacts.contact_funnel(version, Filters(MAR, MAR)).is_empty()
    # Team Late's calls by slot: k3 (Mon 23:00) missed, k4 (Tue 11:00) and k6 (Thu 15:00) reached.
    grid = contacts.hour_weekday(version, Filters(FEB, MAR, teams=("Late",)), "call")
    assert grid.rows() == [(1, 23, 1, 0, 0.0), (2, 11, 1, 1, 1.0), (4, 15, 1, 1, 1.0)]


def test_the_best_slot_needs_enough_attempts_when_some_slot_has_them() -> None:
    grid = pl.DataFrame(
        {"weekday": [1, 2, 3], "hour": [10, 11, 15], "attempts": [2, 40, 35]}
    ).with_columns(rpc_rate=pl.Series([1.0, 0.5, 0.6]))
    # Slot 1 10:00 has the best rate but only 2 attempts: with 30 needed, 3 15:00 (60%) wins.
    assert contacts.best_slot(grid, least_attempts=30)["hour"] == 15
    # When no slot has enough, the best rate wins anyway (then the most attempts).
    assert contacts.best_slot(grid, least_attempts=100)["hour"] == 10
    assert contacts.best_slot(grid.clear(), least_attempts=30) is None


# --- Promises and plans -------------------------------------------------------------------------


def test_promise_counts_carry_the_kept_rates_denominator(next_month: Path) -> None:
    rows = query(
        next_month,
        "SELECT month, agent_id, bucket, promises, kept, partial, broken, pending, resolved, kept_rate "
        "FROM mart.promise_kept_rates ORDER BY ALL",
    )
    # pr1 (AG1, A2 in M1 when made, due 8 Feb) kept; pr2 (AG2, A3 in M2, due 9 Feb) partial;
    # pr3 (AG2, A2 in M2 on 29 Feb, due 4 Mar) kept. Each is resolved: known outcome.
    assert rows == [
        (FEB, "AG1", "M1", 1, 1, 0, 0, 0, 1, 1.0),
        (FEB, "AG2", "M2", 1, 0, 1, 0, 0, 1, 0.0),
        (MAR, "AG2", "M2", 1, 1, 0, 0, 0, 1, 1.0),
    ]
    # The same counts are the table behind the view.
    assert query(
        next_month,
        "SELECT month, agent_id, bucket, promises, kept, partial, broken, pending, resolved "
        "FROM core.promise_outcome_counts ORDER BY ALL",
    ) == [row[:-1] for row in rows]
    # Under the setting in force (3 grace days, tolerance 0), by month: February 2 promises,
    # 1 kept + 1 partial resolved; March pr3 alone.
    assert query(
        next_month,
        "SELECT month, promises, kept, partial, resolved FROM mart.promise_kept_sensitivity "
        "WHERE is_in_force ORDER BY month",
    ) == [(FEB, 2, 1, 1, 2), (MAR, 1, 1, 0, 1)]
    # In every scenario, resolved = kept + partial + broken.
    assert query(
        next_month,
        "SELECT count(*) FROM mart.promise_kept_sensitivity WHERE resolved <> kept + partial + broken",
    ) == [(0,)]


def test_plans_carry_the_kept_rates_denominator(next_month: Path) -> None:
    rows = query(
        next_month,
        "SELECT plan_type, month, plans, approved, completed, broken, ended, kept_rate "
        "FROM mart.plan_performance ORDER BY ALL",
    )
    # PL2 (extension) completed: 1 ended, kept. PL1 (active) and PL3 (broken) instalments: only
    # PL3 ended, and broke: kept rate 0 / 1.
    assert rows == [
        ("extension", FEB, 1, 1, 1, 0, 1, 1.0),
        ("instalment", FEB, 2, 2, 0, 1, 1, 0.0),
    ]


def test_the_promise_reads_add_up_the_slice(next_month: Path) -> None:
    version = version_of(next_month)
    both = Filters(FEB, MAR)
    # By month: February 1 kept + 1 partial of 2 resolved; March 1 kept of 1.
    by_month = promises.promise_rates(version, both, "month")
    assert by_month.select(
        "month", "promises", "kept", "partial", "kept_rate", "partial_rate", "resolved"
    ).rows() == [(FEB, 2, 1, 1, 0.5, 0.5, 2), (MAR, 1, 1, 0, 1.0, 0.0, 1)]
    # Over both months: 2 kept of 3 resolved; none broken.
    totals = promises.promise_totals(version, both)
    assert (totals["promises"], totals["kept"], totals["resolved"]) == (3, 2, 3)
    assert totals["kept_rate"] == pytest.approx(2 / 3) and totals["broken_rate"] == 0.0
    # Team Late = AG2: pr2 (partial) and pr3 (kept).
    late = promises.promise_totals(version, Filters(FEB, MAR, teams=("Late",)))
    assert (late["promises"], late["kept_rate"], late["partial_rate"]) == (2, 0.5, 0.5)
    # Plans: the extension kept 1 / 1; the instalments broke 1 of 2 approved, kept 0 of 1 ended;
    # none has matured (3 months after a February start is past the as-of date, 1 March).
    plans = promises.plan_performance(version, both)
    assert plans.select(
        "plan_type", "plans", "approved", "kept_rate", "broken_rate", "matured", "cure_rate"
    ).rows() == [
        ("extension", 1, 1, 1.0, 0.0, 0, None),
        ("instalment", 2, 2, 0.0, 0.5, 0, None),
    ]


# --- Compliance ---------------------------------------------------------------------------------


def test_compliance_breach_counts_count_each_attempt_and_account_once_per_scope(
    breach_bank: Path,
) -> None:
    rows = query(
        breach_bank,
        """
        SELECT local_date, month, agent_id, team, rule_set, rule, breaches,
               attempts_breaking_rule_set, attempts_in_breach
        FROM mart.compliance_breach_counts ORDER BY ALL
        """,
    )
    # Columns after the rule: breaches | attempts for the rule set | attempts for every rule. An
    # attempt counts on its first rule (by rule set, then rule; within a set by rule).
    # fmt: off
    assert rows == [
        # b5, January.
        (date(2024, 1, 10), JAN, "AG2", "Late", "bank", "calling_hours", 1, 1, 1),
        # b1 breaks a bank rule and a China rule: one attempt, counted on bank.calling_hours.
        (date(2024, 2, 5), FEB, "AG1", "Early", "bank", "calling_hours", 1, 1, 1),
        (date(2024, 2, 5), FEB, "AG1", "Early", "china", "quiet_hours", 1, 1, 0),
        # b2 and b8: two more attempts on A2 by AG1.
        (date(2024, 2, 6), FEB, "AG1", "Early", "bank", "calling_hours", 2, 2, 2),
        # b3: A2 again, by AG2.
        (date(2024, 2, 6), FEB, "AG2", "Late", "bank", "calling_hours", 1, 1, 1),
        # b4 breaks two bank and two China rules: once per rule set on its first rule by name
        # (calling_hours, quiet_hours), once in all on bank.calling_hours.
        (date(2024, 2, 7), FEB, "AG2", "Late", "bank", "calling_hours", 1, 1, 1),
        (date(2024, 2, 7), FEB, "AG2", "Late", "bank", "unauthorised_third_party", 1, 0, 0),
        (date(2024, 2, 7), FEB, "AG2", "Late", "china", "quiet_hours", 1, 1, 0),
        (date(2024, 2, 7), FEB, "AG2", "Late", "china", "unrelated_third_party", 1, 0, 0),
        # b7, the automated SMS: no agent, no team.
        (date(2024, 2, 8), FEB, None, None, "china", "quiet_hours", 1, 1, 1),
    ]
    # fmt: on
    # The breaches add up to the 11 rows of mart.compliance_breaches.
    assert query(
        breach_bank,
        "SELECT sum(breaches), (SELECT count(*) FROM mart.compliance_breaches) "
        "FROM mart.compliance_breach_counts",
    ) == [(11, 11)]


def test_the_compliance_reads_pick_the_columns_of_the_rules_in_the_slice(
    breach_bank: Path,
) -> None:
    version = version_of(breach_bank)
    february = Filters(FEB, FEB)
    every_rule = compliance.BreachFilter()
    # February: 10 breaches by 6 attempts (b1, b2, b8, b3, b4, b7) on 3 accounts, each once:
    # A2 (b1, b2, b8 by AG1 and b3 by AG2), A3 (b4), A1 (b7).
    assert compliance.breach_totals(version, february, every_rule) == {
        "breaches": 10,
        "attempts": 6,
        "accounts": 3,
    }
    # January and February: b5 adds a breach and an attempt, on A3, already counted.
    assert compliance.breach_totals(version, Filters(JAN, FEB), every_rule) == {
        "breaches": 11,
        "attempts": 7,
        "accounts": 3,
    }
    # The bank's rules: b1, b2, b8, b3 once each, b4 twice = 6 breaches by 5 attempts on A2 and A3.
    assert compliance.breach_totals(
        version, february, compliance.BreachFilter(rule_set="bank")
    ) == {"breaches": 6, "attempts": 5, "accounts": 2}
    # China's: b1, b4 twice, b7 = 4 breaches by 3 attempts on A2 (AG1), A3 (AG2), A1 (none).
    assert compliance.breach_totals(
        version, february, compliance.BreachFilter(rule_set="china")
    ) == {"breaches": 4, "attempts": 3, "accounts": 3}
    # One rule: an attempt breaks it once, so attempts = breaches (b1, b2, b8, b3 on A2; b4 on A3).
    assert compliance.breach_totals(
        version, february, compliance.BreachFilter(rule="calling_hours")
    ) == {"breaches": 5, "attempts": 5, "accounts": 2}
    # Team Late (AG2): b3 and b4 = 5 breaches, 2 attempts, A2 and A3.
    assert compliance.breach_totals(version, Filters(FEB, FEB, teams=("Late",)), every_rule) == {
        "breaches": 5,
        "attempts": 2,
        "accounts": 2,
    }
    # By rule (most breaches first, then by name): each row is one rule.
    assert compliance.breach_counts(version, february, every_rule, "rule").rows() == [
        ("bank", "calling_hours", 5, 5, 2),
        ("china", "quiet_hours", 3, 3, 3),
        ("bank", "unauthorised_third_party", 1, 1, 1),
        ("china", "unrelated_third_party", 1, 1, 1),
    ]
    # By agent: AG2 5 breaches (b3, b4 x 4) by 2 attempts on 2 accounts; AG1 4 (b1 x 2, b2, b8)
    # by 3 attempts on A2; the SMS without an agent.
    assert compliance.breach_counts(version, february, every_rule, "agent").rows() == [
        ("AG2", "Wang", "Late", 5, 2, 2),
        ("AG1", "Li", "Early", 4, 3, 1),
        (None, None, None, 1, 1, 1),
    ]
    # By day, for the trend: 5 Feb b1 (2), 6 Feb b2, b8, b3 (3), 7 Feb b4 (4), 8 Feb b7 (1).
    days = compliance.breach_counts(version, february, every_rule, "day")
    assert days.select("local_date", "breaches").rows() == [
        (date(2024, 2, 5), 2),
        (date(2024, 2, 6), 3),
        (date(2024, 2, 7), 4),
        (date(2024, 2, 8), 1),
    ]


# --- Refreshing a month alone -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "bank"),
    [
        ("mart.contact_funnel", "next_month"),
        ("mart.contact_slots", "next_month"),
        ("core.promise_outcome_counts", "next_month"),
        ("mart.compliance_breach_counts", "breach_bank"),
    ],
)
def test_a_month_computed_alone_equals_its_rows_of_a_full_build(
    name: str, bank: str, request: pytest.FixtureRequest
) -> None:
    """The runner refreshes an incremental table by recomputing its changed months only
    (warehouse/marts/build.py): each month computed alone must give that month's rows."""
    db: Path = request.getfixturevalue(bank)
    model = marts.model(name)
    assert model.incremental == 0
    select = model.select_sql()
    con = connect_reader(db)
    try:
        months = [row[0] for row in con.execute(f"SELECT DISTINCT month FROM {name}").fetchall()]
        assert months  # the bank has rows for every one of these tables
        for month in months:
            alone = con.execute(
                f"SELECT * FROM ({select}) ORDER BY ALL",
                marts.parameters_for(select, marts.month_range(month, month)),
            ).fetchall()
            built = con.execute(
                f"SELECT * FROM {name} WHERE month = ? ORDER BY ALL", [month]
            ).fetchall()
            assert alone == built, f"{name}, {month}"
    finally:
        con.close()


# --- Operations ---------------------------------------------------------------------------------


def test_a_business_date_without_an_extract_sent_daily_is_reported_missing(
    tmp_path: Path,
) -> None:
    """Five business dates (25-29 Jan 2024, each with a contacts file, header only). Snapshots
    arrive on 25-28 Jan: 4 of 5 dates, the 80% that makes an extract daily, so 29 Jan lacks one.
    Accounts arrive on 29 Jan only (1 of 5): not a daily extract, never reported missing."""
    from conftest import TINY_FILES

    from dashboard.reads import operations

    contacts = "attempt_id,account_id,channel,started_at,outcome\n"
    snapshots = "as_of_date,account_id,statement_day,balance,min_due,days_past_due,status\n"
    files = {f"contacts_202401{day}.csv": contacts for day in range(25, 30)}
    files |= {f"snapshots_202401{day}.csv": snapshots for day in range(25, 29)}
    files["accounts_20240129.csv"] = TINY_FILES["accounts_20240131.csv"]
    db = load(tmp_path, files)
    missing = operations.missing_daily_files.__wrapped__(version_of(db))
    assert missing.rows() == [("snapshots", date(2024, 1, 29))]
