"""Acting on the dashboard, core side: roles, users, the app store, settings versions and their
publication, the strategy preview, the work queue and champion/challenger statistics.

The tiny bank (conftest.py) in February 2024: A1 0 dpd (no cause: not in any queue), A2 45 dpd
score 610 self-employed -> medium, A3 75 dpd score 540 unemployed -> high. Both A2 and A3 are
`unable` (A2 is past the forgetful 30 days; A3 has no regular income). Raising no threshold but
lowering the `high` row's days past due from 61 to 31 makes A2 high in February (45 >= 31), not
in January (15).
"""

from __future__ import annotations

import copy
import math
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import TINY_FILES, write_inbox
from typer.testing import CliRunner

from warehouse.app import users
from warehouse.app.access import ACTIONS, ROLES, Forbidden, User, can, can_see, require
from warehouse.app.experiments import (
    arm_of,
    assign,
    compare,
    difference,
    ratio_and_variance,
    wilson,
)
from warehouse.app.settings_versions import diff_settings, published_settings_version, read_settings
from warehouse.app.store import AppStore
from warehouse.app.strategy_preview import grade_matrix_wide, preview, replay_breaches
from warehouse.app.users import UsersFile, check_password, hash_password
from warehouse.app.work_queue import ContactRules, build_queue, cure_probabilities, describe_windows
from warehouse.jobs.rebuild import rebuild
from warehouse.storage import connect_reader

MANAGER = User("mia", "manager")
COMPLIANCE = User("cho", "compliance")
ANALYST = User("ann", "analyst")
ADMIN = User("root", "admin")


def high_from(settings: dict, days: int) -> dict:
    changed = copy.deepcopy(settings)
    for row in changed["settings.risk_grades"]:
        if row["risk_grade"] == "high":
            row["min_days_past_due"] = days
    return changed


# --- Roles --------------------------------------------------------------------------------------


def test_the_permission_table() -> None:
    assert can(MANAGER, "strategy.save") and can(ADMIN, "strategy.save")
    assert not can(ANALYST, "strategy.save") and not can(COMPLIANCE, "strategy.save")
    assert can(ANALYST, "workbench.query") and can(ADMIN, "workbench.query")
    assert not can(MANAGER, "workbench.query") and not can(COMPLIANCE, "workbench.query")
    assert can(MANAGER, "experiment.start") and not can(ANALYST, "experiment.start")
    assert not can(None, "strategy.preview")
    assert can_see(ANALYST, "sql_workbench") and not can_see(MANAGER, "sql_workbench")
    assert all(can_see(User("u", role), "portfolio") for role in ROLES)
    assert all(can(ADMIN, action) for action in ACTIONS)
    with pytest.raises(Forbidden, match="strategy.save is not permitted for role 'analyst'"):
        require(ANALYST, "strategy.save")
    with pytest.raises(ValueError, match="unknown role"):
        User("x", "superuser")


# --- Users --------------------------------------------------------------------------------------


@pytest.fixture
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper scrypt where the hash's strength is not what is tested (test_redteam_signin.py
    checks the real parameters and the rehash)."""
    monkeypatch.setattr(users, "SCRYPT_N", 2**14)


def test_users_file_hashes_and_checks_passwords(tmp_path: Path, fast_hashes: None) -> None:
    users_file = UsersFile(tmp_path / "users.json")
    users_file.add("alice", "s3cret passphrase", "manager", display_name="Alice",
                   email="Alice@Bank.cn")  # fmt: skip
    text = (tmp_path / "users.json").read_text()
    assert "s3cret" not in text and "scrypt$16384$8$1$" in text
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600
    assert users_file.authenticate("alice", "s3cret passphrase") == User(
        "alice", "manager", "Alice"
    )
    assert users_file.authenticate("alice", "wrong") is None
    assert users_file.authenticate("nobody", "s3cret passphrase") is None
    assert users_file.by_email("alice@bank.cn").username == "alice"
    with pytest.raises(ValueError, match="exists already"):
        users_file.add("alice", "another long passphrase", "admin")
    with pytest.raises(ValueError, match="unknown role"):
        users_file.add("bob", "another long passphrase", "boss")
    with pytest.raises(ValueError, match="at least 12 characters"):
        users_file.add("bob", "short", "analyst")
    stored = hash_password("pw", salt=b"\x00" * 16)
    assert stored != hash_password("pw") and check_password("pw", stored)
    assert not check_password("pw", "plain")


def test_demo_users_and_the_cli(tmp_path: Path, fast_hashes: None) -> None:
    from warehouse.app.demo_mode import create_demo_warehouse
    from warehouse.cli import app

    db = tmp_path / "warehouse.duckdb"
    create_demo_warehouse(db)
    created = UsersFile(tmp_path / "users.json").ensure_demo_users(db)
    assert sorted(created) == ["demo-admin", "demo-analyst", "demo-compliance", "demo-manager"]
    assert all(len(password) >= 12 for password in created.values())
    runner = CliRunner()
    secret = "a long enough passphrase"
    result = runner.invoke(
        app, ["users", "add", "carol", "--role", "analyst", "--password", secret, "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["users", "list", "--db", str(db)])
    assert listed.exit_code == 0
    users_file = UsersFile(tmp_path / "users.json")
    assert {r.username: r.role for r in users_file.records()} == {
        "carol": "analyst", "demo-admin": "admin", "demo-analyst": "analyst",
        "demo-compliance": "compliance", "demo-manager": "manager",
    }  # fmt: skip
    assert users_file.authenticate("demo-manager", created["demo-manager"]).role == "manager"
    bad = runner.invoke(app, ["users", "add", "dan", "--role", "boss", "--password", secret,
                              "--db", str(db)])  # fmt: skip
    assert bad.exit_code == 2
    new = "an entirely new passphrase"
    changed = runner.invoke(app, ["users", "passwd", "carol", "--password", new, "--db", str(db)])
    assert changed.exit_code == 0, changed.output
    assert users_file.authenticate("carol", secret) is None
    assert users_file.authenticate("carol", new).role == "analyst"
    removed = runner.invoke(app, ["users", "remove", "carol", "--db", str(db)])
    assert removed.exit_code == 0 and users_file.get("carol") is None
    assert runner.invoke(app, ["users", "remove", "carol", "--db", str(db)]).exit_code == 2
    trail = [(e["action"], e["target"]) for e in AppStore.beside(db).audit_trail()]
    assert trail[:3] == [("users.remove", "carol"), ("users.passwd", "carol"),
                         ("users.add", "carol")]  # fmt: skip


# --- The app store: every forbidden action is refused where it is performed ----------------------


@pytest.fixture
def store(tmp_path: Path) -> AppStore:
    return AppStore(tmp_path / "app_store.sqlite")


SETTINGS = {"settings.risk_grades": [{"risk_grade": "high", "min_days_past_due": 61}]}


def test_forbidden_actions_are_refused_by_the_store_and_audited(store: AppStore) -> None:
    base = store.ensure_baseline(SETTINGS)
    for user in (ANALYST, COMPLIANCE, None):
        with pytest.raises(Forbidden):
            store.save_settings(user, SETTINGS, reason="try", based_on=base.version)
        with pytest.raises(Forbidden):
            store.rollback(user, base.version, reason="try")
        with pytest.raises(Forbidden):
            store.start_experiment(user, name="x", champion_version=1, challenger_version=2,
                                   challenger_share=0.5, seed=1, start_month=date(2024, 1, 1),
                                   accounts=1, challenger_accounts=1)  # fmt: skip
    for user in (MANAGER, COMPLIANCE, None):
        with pytest.raises(Forbidden):
            store.save_query(user, "q", "SELECT 1")
    assert [v.version for v in store.settings_versions()] == [1]
    assert store.saved_queries() == []
    refusals = [e for e in store.audit_trail() if not e["allowed"]]
    assert len(refusals) == 12
    assert {e["action"] for e in refusals} == {
        "strategy.save", "strategy.rollback", "experiment.start", "workbench.save_query",
    }  # fmt: skip


def test_versions_history_and_rollback(store: AppStore) -> None:
    base = store.ensure_baseline(SETTINGS)
    assert store.ensure_baseline({"other": []}).version == base.version  # only once
    changed = {"settings.risk_grades": [{"risk_grade": "high", "min_days_past_due": 31}]}
    with pytest.raises(ValueError, match="reason"):
        store.save_settings(MANAGER, changed, reason="  ", based_on=1)
    v2 = store.save_settings(MANAGER, changed, reason="earlier high grade", based_on=1)
    assert (v2.version, v2.author, v2.kind, v2.based_on) == (2, "mia", "save", 1)
    assert store.in_force().settings == changed
    v3 = store.rollback(ADMIN, 1, reason="")
    assert (v3.version, v3.kind, v3.based_on, v3.reason) == (
        3,
        "rollback",
        1,
        "roll back to version 1",
    )
    assert store.in_force().settings == SETTINGS
    assert [v.version for v in store.settings_versions()] == [3, 2, 1]
    diff = diff_settings(v2.settings, v3.settings)
    assert diff.to_dicts() == [{"table": "settings.risk_grades", "row": "high",
                                "column": "min_days_past_due", "change": "changed",
                                "before": "31", "after": "61"}]  # fmt: skip


def test_saved_queries_and_experiments(store: AppStore) -> None:
    store.ensure_baseline(SETTINGS)
    store.save_settings(MANAGER, SETTINGS, reason="same again", based_on=1)
    store.save_query(ANALYST, "by grade", "SELECT 1")
    store.save_query(ANALYST, "by grade", "SELECT 2")  # same name: replaced
    assert [(q.name, q.sql, q.author) for q in store.saved_queries()] == [
        ("by grade", "SELECT 2", "ann")
    ]
    with pytest.raises(ValueError, match="different"):
        store.start_experiment(MANAGER, name="x", champion_version=1, challenger_version=1,
                               challenger_share=0.5, seed=1, start_month=date(2024, 1, 1),
                               accounts=2, challenger_accounts=1)  # fmt: skip
    started = store.start_experiment(MANAGER, name="", champion_version=1, challenger_version=2,
                                     challenger_share=0.25, seed=9, start_month=date(2024, 1, 1),
                                     accounts=2, challenger_accounts=1)  # fmt: skip
    assert started.running and started.name == "v2 vs v1"
    with pytest.raises(Forbidden):
        store.stop_experiment(ANALYST, started.experiment_id)
    assert not store.stop_experiment(MANAGER, started.experiment_id).running


def test_diff_lists_added_removed_and_changed_rows() -> None:
    old = {"settings.frequency_caps": [
        {"rule_set": "china", "rule": "a", "max_attempts": 6, "period_days": 1},
        {"rule_set": "reg_f", "rule": "b", "max_attempts": 7, "period_days": 7}]}  # fmt: skip
    new = {"settings.frequency_caps": [
        {"rule_set": "china", "rule": "a", "max_attempts": 5, "period_days": 1},
        {"rule_set": "reg_f", "rule": "c", "max_attempts": 1, "period_days": 1}]}  # fmt: skip
    diff = diff_settings(old, new)
    assert diff.select("row", "column", "change", "before", "after").rows() == [
        ("china / a", "max_attempts", "changed", "6", "5"),
        ("reg_f / b", None, "removed", diff["before"][1], None),
        ("reg_f / c", None, "added", None, diff["after"][2]),
    ]
    assert diff_settings(old, old).is_empty()


# --- Publication of a saved version -------------------------------------------------------------


def test_a_saved_version_reaches_the_marts(tiny_warehouse: Path) -> None:
    con = connect_reader(tiny_warehouse)
    current = read_settings(con)
    assert published_settings_version(con) is None
    con.close()
    store = AppStore.beside(tiny_warehouse)
    store.ensure_baseline(current)
    saved = store.save_settings(MANAGER, high_from(current, 31), reason="M2 is high", based_on=1)
    result = rebuild(tiny_warehouse)
    assert result.version == saved.version == 2
    con = connect_reader(tiny_warehouse)
    try:
        assert published_settings_version(con) == 2
        grades = con.execute(
            "SELECT month, account_id, risk_grade FROM mart.account_month ORDER BY ALL"
        ).fetchall()
        assert read_settings(con) == high_from(current, 31)
    finally:
        con.close()
    assert grades == [
        (date(2024, 1, 1), "A1", "low"), (date(2024, 1, 1), "A2", "medium"),
        (date(2024, 1, 1), "A3", "high"), (date(2024, 2, 1), "A1", "low"),
        (date(2024, 2, 1), "A2", "high"), (date(2024, 2, 1), "A3", "high"),
    ]  # fmt: skip
    store.rollback(MANAGER, 1, reason="back")
    rebuild(tiny_warehouse)
    con = connect_reader(tiny_warehouse)
    try:
        assert published_settings_version(con) == 3
        assert con.execute(
            "SELECT risk_grade FROM mart.account_month "
            "WHERE account_id = 'A2' AND month = '2024-02-01'"
        ).fetchall() == [("medium",)]
        assert con.execute("SELECT count(*) FROM ops.publications").fetchall()[0][0] == 3
    finally:
        con.close()


# --- The strategy preview -----------------------------------------------------------------------


def test_preview_matrix_on_the_tiny_bank(tiny_warehouse: Path) -> None:
    con = connect_reader(tiny_warehouse)
    try:
        current = read_settings(con)
        same = preview(con, date(2024, 2, 1), current, current)
        assert (same.accounts, same.grade_changes, same.treatment_changes) == (2, 0, 0)
        result = preview(con, date(2024, 2, 1), current, high_from(current, 31))
    finally:
        con.close()
    assert (result.accounts, result.grade_changes, result.treatment_changes) == (2, 1, 1)
    wide = grade_matrix_wide(result.matrix, ["low", "medium", "high"])
    assert wide.rows() == [("medium", 1), ("high", 1)] and wide.columns == ["risk_grade", "high"]
    # No contact history in the tiny bank: work goes to "(no history)" and yields nothing. A2 moves
    # from negotiate_plan (call, sms; 2 a week) to restructure (call, letter; 2 a week); A3 stays on
    # restructure. Per working day (5 a week): 2 / 2 channels / 5 = 0.2 per channel per account.
    workload = {(r["channel"]): (r["saved"], r["candidate"]) for r in result.workload.to_dicts()}
    assert workload == {"call": (pytest.approx(0.4), pytest.approx(0.4)),
                        "letter": (pytest.approx(0.2), pytest.approx(0.4)),
                        "sms": (pytest.approx(0.2), 0.0)}  # fmt: skip
    assert result.collections["candidate"].sum() == 0


CONTACTS = {
    # 2024-02-27 is a Tuesday (a working day): 13:00 is in the bank's midday gap, 10:00 is not.
    "contacts_20240227.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,outcome\n"
        "T1,A2,G1,call,2024-02-27 13:00:00,13987654321,none,no_answer\n"
        "T2,A2,G1,call,2024-02-27 10:00:00,13987654321,none,no_answer\n"
    )
}


def test_replay_of_contact_rules(tmp_path: Path) -> None:
    from warehouse.jobs.load import load_inbox

    db = tmp_path / "warehouse.duckdb"
    load_inbox(write_inbox(tmp_path / "inbox", {**TINY_FILES, **CONTACTS}), db=db)
    con = connect_reader(db)
    try:
        current = read_settings(con)
        wider = copy.deepcopy(current)
        for row in wider["settings.contact_windows"]:
            if row["rule"] == "calling_hours" and row["starts_at"] == "09:00:00":
                row["ends_at"] = "13:30:00"
        replay = replay_breaches(con, current, wider, since=date(2024, 2, 1))
        unchanged = replay_breaches(con, current, current, since=date(2024, 2, 1))
        # The same rules in another order: the SQL runs (on the recent attempts only) and
        # must find exactly the published breaches.
        reordered = copy.deepcopy(current)
        reordered["settings.contact_windows"].reverse()
        same = replay_breaches(con, current, reordered, since=date(2024, 2, 1))
    finally:
        con.close()
    calling = replay.filter(pl.col("rule") == "calling_hours").row(0, named=True)
    assert (calling["saved"], calling["candidate"], calling["change"]) == (1, 0, -1)
    assert (unchanged["change"] == 0).all()
    assert (same["change"] == 0).all() and same["saved"].sum() == replay["saved"].sum() > 0


# --- The work queue -----------------------------------------------------------------------------


def test_cure_probability_borrows_from_its_bucket() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA mart")
    con.execute(
        """CREATE TABLE mart.bucket_migration_by_segment AS SELECT * FROM (VALUES
        (DATE '2024-01-01', 'M1', 'Current', 'Gold', 'low', 30),
        (DATE '2024-01-01', 'M1', 'M2', 'Gold', 'low', 10),
        (DATE '2024-01-01', 'M1', 'M2', 'Classic', 'high', 40),
        (DATE '2024-01-01', 'M1', 'Current', 'Classic', 'high', 0),
        (DATE '2023-01-01', 'M1', 'Current', 'Classic', 'high', 999)
        ) AS t(month, from_bucket, to_bucket, product, risk_grade, accounts)"""
    )
    found = cure_probabilities(con, date(2024, 2, 1), 6).sort("product")
    # M1 over the window: 30 cured of 80 = 0.375. Gold/low: (30 + 20*0.375) / (40 + 20) = 0.625;
    # Classic/high: (0 + 7.5) / (40 + 20) = 0.125. The 2023 row is outside the 6 months.
    assert found["cure_probability"].to_list() == [pytest.approx(0.125), pytest.approx(0.625)]


def test_contact_windows_left_today(tiny_warehouse: Path) -> None:
    con = connect_reader(tiny_warehouse)
    try:
        rules = ContactRules(con)
        queue = build_queue(con, now=datetime(2024, 2, 27, 2, 30, tzinfo=UTC))  # 10:30 Shanghai
    finally:
        con.close()
    tuesday_1030 = datetime(2024, 2, 27, 2, 30, tzinfo=UTC)
    saturday = datetime(2024, 3, 2, 2, 30, tzinfo=UTC)
    assert (
        describe_windows(rules.windows_left(None, "call", tuesday_1030))
        == "10:30–12:00, 14:00–18:00"
    )
    assert describe_windows(rules.windows_left(None, "sms", tuesday_1030)) == "10:30–22:00"
    assert describe_windows(rules.windows_left(None, "call", saturday)) == "none left today"
    assert describe_windows(rules.windows_left(None, "sms", saturday)) == "10:30–22:00"
    # New York, 21:30 local: Reg F's 08:00-21:00 (21:00 itself allowed) has passed for SMS.
    late = datetime(2024, 2, 28, 2, 30, tzinfo=UTC)
    assert rules.windows_left("America/New_York", "sms", late) == []
    frame = queue.frame
    assert frame["account_id"].to_list() == ["A2", "A3"]  # no cures in history: ties by id
    assert frame["rank"].to_list() == [1, 2] and (frame["expected_recovery"] == 0).all()
    assert frame["treatment"].to_list() == ["negotiate_plan", "restructure"]
    assert frame["windows_left_today"][0] == "call: 10:30–12:00, 14:00–18:00; sms: 10:30–22:00"
    assert queue.month == date(2024, 2, 1)


# --- Champion / challenger ----------------------------------------------------------------------


def test_assignment_is_random_but_reproducible() -> None:
    ids = [f"A{i:05d}" for i in range(10_000)]
    arms = assign(ids, seed=42, share=0.2)
    share = (arms["arm"] == "challenger").mean()
    assert 0.18 < share < 0.22
    assert arms.equals(assign(ids, seed=42, share=0.2))
    assert not arms.equals(assign(ids, seed=43, share=0.2))
    assert arm_of(42, "A00000", 0.2) == arms["arm"][0]
    with pytest.raises(ValueError):
        assign(ids, seed=1, share=1.0)


def test_interval_formulas_by_hand() -> None:
    # Wilson, 5 of 10: centre (0.5 + 1.96²/20) / (1 + 1.96²/10) = 0.5; half-width
    # 1.96 * sqrt(0.025 + 1.96²/400) / 1.38415 = 0.26341.
    low, high = wilson(5, 10)
    assert (low, high) == (pytest.approx(0.236593, abs=1e-6), pytest.approx(0.763407, abs=1e-6))
    assert wilson(0, 0)[0] != wilson(0, 0)[0]  # nan without accounts
    # 50% of 100 vs 60% of 100: d = 0.1, se = sqrt(0.0025 + 0.0024) = 0.07
    d, lo, hi = difference(0.5, 100, 0.6, 100)
    assert (d, lo, hi) == (pytest.approx(0.1), pytest.approx(0.1 - 1.959964 * 0.07),
                           pytest.approx(0.1 + 1.959964 * 0.07))  # fmt: skip
    # Paid 10, 0, 20 of balances 100, 100, 100: R = 0.1; residuals 0, -10, 10; variance
    # 200 / (3 * 2 * 100²) = 1/300.
    r, variance = ratio_and_variance([10, 0, 20], [100, 100, 100])
    assert (r, variance) == (pytest.approx(0.1), pytest.approx(1 / 300))
    assert math.isnan(ratio_and_variance([1], [1])[0])


def test_compare_arms_on_the_tiny_bank(tiny_warehouse: Path) -> None:
    # January's delinquent accounts: A2 (M1) and A3 (M2); both roll at the February month end.
    seed = next(
        s
        for s in range(100)
        if {arm_of(s, "A2", 0.5), arm_of(s, "A3", 0.5)} == {"champion", "challenger"}
    )
    con = connect_reader(tiny_warehouse)
    try:
        result = compare(con, start_month=date(2024, 1, 1), seed=seed, share=0.5)
    finally:
        con.close()
    assert result.outcome_month == date(2024, 2, 1)
    assert result.arms.select("arm", "accounts", "cured", "rolled").rows() == [
        ("champion", 1, 0, 1), ("challenger", 1, 0, 1),
    ]  # fmt: skip
    cure = result.differences.row(0, named=True)
    assert cure["measure"] == "cure_rate" and cure["difference"] == 0


def test_fast_grades_equal_the_grading_sql(tiny_warehouse: Path) -> None:
    """The preview's fast path (grades from the stored factors) gives what the SQL gives."""
    from warehouse.app import strategy
    from warehouse.app.strategy_preview import fast_grades

    con = connect_reader(tiny_warehouse)
    try:
        current = read_settings(con)
        candidate = high_from(current, 31)
        for row in candidate["settings.risk_grades"]:
            if row["risk_grade"] == "medium":
                row["below_credit_score"] = 800  # A1 (720) would be medium, were it delinquent
        for row in candidate["settings.employment_risk"]:
            if row["employment_type"] == "salaried":
                row["risk_grade"] = "high"
        tables = {t: candidate[t] for t in ("settings.risk_grades", "settings.employment_risk")}
        for month in (date(2024, 1, 1), date(2024, 2, 1)):
            stored = con.sql(
                "SELECT account_id, risk_grade, delinquency_cause, treatment, days_past_due, "
                "overdue_amount, credit_score, past_delinquencies, employment_type "
                "FROM mart.account_month WHERE month = ?",
                params=[month],
            ).pl()
            fast = fast_grades(stored, candidate).select("account_id", "risk_grade", "treatment")
            slow = strategy.grade_accounts(con, month, tables).select(
                "account_id", "risk_grade", "treatment"
            )
            assert fast.sort("account_id").rows() == slow.sort("account_id").rows()
            assert "high" in fast["risk_grade"].to_list()
    finally:
        con.close()
