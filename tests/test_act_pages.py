"""The acting pages under Streamlit's AppTest, over the tiny bank (conftest.py): sign-in, the
navigation by role, Strategy (preview, save, diff, rollback), Work queue (export), Champion /
challenger (arm assignment) and the SQL workbench (ordinary queries and refusals).

February 2024 in the tiny bank: A2 (45 days past due, medium) and A3 (75, high) are delinquent.
Lowering the `high` grade's days past due from 61 to 31 moves A2 to high: one grade change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import TINY_FILES, write_inbox
from rendered import shown
from streamlit.testing.v1 import AppTest

from warehouse.app.access import User
from warehouse.app.settings_versions import read_settings
from warehouse.app.store import AppStore
from warehouse.app.users import UsersFile
from warehouse.storage import connect_reader, copy_warehouse

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
MANAGER = User("demo-manager", "manager", "Demo manager")
ANALYST = User("demo-analyst", "analyst", "Demo analyst")
COMPLIANCE = User("demo-compliance", "compliance")
ADMIN = User("demo-admin", "admin")


PASSWORDS = {u.username: f"{u.username} passphrase" for u in (MANAGER, ANALYST, COMPLIANCE, ADMIN)}


def write_users(path: Path) -> None:
    """The four users of these tests (cheap hashes: test_redteam_signin.py tests the real)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("warehouse.app.users.SCRYPT_N", 2**14)
        users = UsersFile(path)
        for user in (MANAGER, ANALYST, COMPLIANCE, ADMIN):
            users.add(user.username, PASSWORDS[user.username], user.role,
                      display_name=user.display_name)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_template(tiny_published: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bank as published (conftest.py), with its users; each test works on a copy."""
    folder = tmp_path_factory.mktemp("act_template")
    db = copy_warehouse(tiny_published, folder / "warehouse.duckdb")
    write_users(folder / "users.json")
    return db


@pytest.fixture
def tiny_warehouse(tiny_template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    copy_warehouse(tiny_template, db)
    return db


@pytest.fixture
def warehouse(tiny_warehouse: Path, tiny_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLLECTIONS_DB", str(tiny_warehouse))
    monkeypatch.delenv("COLLECTIONS_DEMO_USER", raising=False)
    monkeypatch.delenv("COLLECTIONS_KIOSK", raising=False)
    monkeypatch.setattr("warehouse.app.users.SCRYPT_N", 2**14)
    shutil.copyfile(tiny_template.parent / "users.json", tiny_warehouse.parent / "users.json")
    return tiny_warehouse


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bank in a warehouse created as a demo, with the demo's users."""
    from warehouse.app.demo_mode import create_demo_warehouse
    from warehouse.jobs.load import load_inbox

    folder = tmp_path_factory.mktemp("act_demo")
    db = folder / "warehouse.duckdb"
    create_demo_warehouse(db)
    load_inbox(write_inbox(folder / "inbox", TINY_FILES), db=db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("warehouse.app.users.SCRYPT_N", 2**14)
        UsersFile(folder / "users.json").ensure_demo_users(db)
    return db


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Background rebuilds the pages start (recorded, not run: test_act_core runs rebuild)."""
    started: list[Path] = []
    monkeypatch.setattr(
        "warehouse.app.settings_versions.start_background_rebuild", lambda db: started.append(db)
    )
    return started


def open_page(user: User | None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if user is not None:
        at.session_state["user"] = user
    at.run()
    if page is not None:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def texts(at: AppTest) -> str:
    parts = [x.value for kind in (at.error, at.warning, at.info, at.success, at.caption)
             for x in kind]  # fmt: skip
    return shown("\n".join(str(p) for p in parts))


# --- Sign-in and navigation ---------------------------------------------------------------------


def test_a_users_file_asks_for_a_password(warehouse: Path) -> None:
    at = open_page(None)
    assert at.title[0].value == "Sign in"
    at.text_input(key="login_username").set_value("demo-manager")
    at.text_input(key="login_password").set_value("wrong")
    at.button[0].click().run()
    assert "wrong password" in shown(at.error[0].value)
    at.text_input(key="login_password").set_value(PASSWORDS["demo-manager"])
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Since the last load"  # the app's first page
    assert "Signed in as Demo manager (manager)" in texts(at)
    trail = AppStore.beside(warehouse).audit_trail()
    assert [(e["action"], e["outcome"], e["username"]) for e in trail] == [
        ("login", "ok", "demo-manager"), ("login", "failed", "demo-manager"),
    ]  # fmt: skip


def test_the_demo_opens_straight_into_a_session(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "warehouse.duckdb"
    copy_warehouse(demo_template, db)
    shutil.copyfile(demo_template.parent / "users.json", tmp_path / "users.json")
    monkeypatch.setenv("COLLECTIONS_DB", str(db))
    monkeypatch.delenv("COLLECTIONS_KIOSK", raising=False)
    monkeypatch.setenv("COLLECTIONS_DEMO_USER", "demo-manager")
    at = open_page(None)
    assert at.title[0].value == "Since the last load"  # the app's first page
    assert "Signed in as Demo manager (manager)" in texts(at)
    assert "Numbers reflect the settings as loaded" in texts(at)
    button(at, "sign_out").click().run()
    assert at.title[0].value == "Sign in"
    assert "passphrase" not in texts(at) and "password = user name" not in texts(at)


def test_the_demo_user_is_refused_on_a_real_warehouse(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLECTIONS_DEMO_USER", "demo-admin")
    at = open_page(None)
    assert at.title[0].value == "Sign in"
    assert "not created as a demo" in texts(at)


def test_without_users_nobody_gets_in(
    tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLECTIONS_DB", str(tiny_warehouse))
    monkeypatch.delenv("COLLECTIONS_KIOSK", raising=False)
    at = open_page(None)
    assert at.title[0].value == "Sign in"
    assert "Nobody can sign in yet" in texts(at)
    assert not at.text_input  # no form: there is nobody to sign in as


def test_a_kiosk_is_a_read_only_viewer(
    tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLECTIONS_DB", str(tiny_warehouse))
    monkeypatch.setenv("COLLECTIONS_KIOSK", "1")
    at = open_page(None, "strategy")
    assert at.title[0].value == "Strategy"
    assert "Only a manager or an admin may save" in texts(at)
    assert button(at, "sg_save").disabled


@pytest.mark.parametrize(
    ("user", "page", "allowed"),
    [
        (MANAGER, "sql_workbench", False),
        (COMPLIANCE, "sql_workbench", False),
        (ANALYST, "sql_workbench", True),
        (ADMIN, "sql_workbench", True),
        (ANALYST, "strategy", True),
        (COMPLIANCE, "work_queue", True),
    ],
)
def test_pages_follow_the_role(warehouse: Path, user: User, page: str, allowed: bool) -> None:
    """The navigation offers a page only to the roles that may see it; the page itself refuses
    anyone else even when reached directly."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["user"] = user
    at.run()
    if allowed:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception
    else:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"app_pages/{page}.py")
    direct = AppTest.from_file(
        str(Path(APP).parent / "app_pages" / f"{page}.py"), default_timeout=180
    )
    direct.session_state["user"] = user
    direct.run()
    refused = any("may not open this page" in e.value for e in direct.error)
    assert refused is not allowed


# --- Strategy -----------------------------------------------------------------------------------


def test_strategy_preview_save_diff_and_rollback(warehouse: Path, rebuilds: list[Path]) -> None:
    at = open_page(MANAGER, "strategy")
    assert "In force: version 1 by system" in texts(at)
    at.number_input(key="sg_high_min_days_past_due").set_value(31.0).run()
    assert "1 change(s) against the published settings" in texts(at)
    button(at, "sg_run_preview").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Delinquent accounts"] == "2"
    assert metrics["Change grade"] == "1"
    assert metrics["Change treatment"] == "1"
    matrix = next(d.value for d in at.dataframe if list(d.value.columns) == ["risk_grade", "high"])
    assert matrix.to_dict("records") == [
        {"risk_grade": "Medium", "high": 1}, {"risk_grade": "High", "high": 1},
    ]  # fmt: skip
    button(at, "sg_run_replay").click().run()
    assert not at.exception
    at.text_input(key="sg_reason").set_value("M2 accounts are high risk").run()
    button(at, "sg_save").click().run()
    assert "Saved as version 2" in texts(at)
    assert rebuilds == [warehouse.resolve()]
    store = AppStore.beside(warehouse)
    saved = store.settings_version(2)
    assert (saved.author, saved.reason, saved.based_on) == (
        "demo-manager",
        "M2 accounts are high risk",
        1,
    )
    high = next(r for r in saved.settings["settings.risk_grades"] if r["risk_grade"] == "high")
    assert high["min_days_past_due"] == 31
    # History: the diff of 1 -> 2, then a rollback to 1 as version 3.
    at = open_page(MANAGER, "strategy")
    assert "Version 2 is saved" in texts(at) or "version 2" in texts(at)
    diff = next(d.value for d in at.dataframe if "column" in d.value.columns)
    assert diff[["row", "column", "before", "after"]].to_dict("records") == [
        {"row": "high", "column": "min_days_past_due", "before": "61", "after": "31"}
    ]
    at.selectbox(key="sg_rollback_to").set_value(1)
    at.text_input(key="sg_rollback_reason").set_value("too many calls").run()
    button(at, "sg_rollback").click().run()
    assert "Version 3 restores version 1" in texts(at)
    assert store.in_force().settings == store.settings_version(1).settings
    assert len(rebuilds) == 2


def test_strategy_save_is_refused_for_an_analyst(warehouse: Path, rebuilds: list[Path]) -> None:
    at = open_page(ANALYST, "strategy")
    assert button(at, "sg_save").disabled
    # Server side, whatever the UI: the store refuses and records it.
    con = connect_reader(warehouse)
    settings = read_settings(con)
    con.close()
    from warehouse.app.access import Forbidden

    with pytest.raises(Forbidden):
        AppStore.beside(warehouse).save_settings(ANALYST, settings, reason="x", based_on=1)
    assert rebuilds == []


# --- Work queue ---------------------------------------------------------------------------------


def test_work_queue_ranks_and_exports_per_team(warehouse: Path) -> None:
    at = open_page(MANAGER, "work_queue")
    queue = at.dataframe[0].value
    assert queue["account_id"].tolist() == ["A2", "A3"]
    assert queue["treatment"].tolist() == ["Negotiate a plan", "Restructure"]  # glossary labels
    at.selectbox(key="wq_team").set_value("(unassigned)").run()
    assert not at.exception
    labels = [shown(b.label) for b in at.get("download_button")]
    assert labels == ["Export (unassigned)'s queue (CSV)", "Export (unassigned)'s queue (Excel)"]
    # Built (and audited) only when downloaded: looking is not exporting.
    assert not [
        e for e in AppStore.beside(warehouse).audit_trail() if e["action"] == "queue.export"
    ]


def test_work_queue_export_is_not_offered_to_an_analyst(warehouse: Path) -> None:
    at = open_page(ANALYST, "work_queue")
    at.selectbox(key="wq_team").set_value("(unassigned)").run()
    assert not at.get("download_button")
    assert "Exports are for managers" in texts(at)


# --- Champion / challenger ----------------------------------------------------------------------


def test_assigning_arms_starts_an_experiment(warehouse: Path) -> None:
    con = connect_reader(warehouse)
    settings = read_settings(con)
    con.close()
    store = AppStore.beside(warehouse)
    store.ensure_baseline(settings)
    store.save_settings(MANAGER, settings, reason="challenger copy", based_on=1)
    at = open_page(MANAGER, "champion_challenger")
    assert "No experiment yet" in texts(at)
    at.selectbox(key="cc_challenger").set_value(1)  # version 2 is in force: 1 is the challenger
    at.selectbox(key="cc_month").set_value(at.selectbox(key="cc_month").options[0])
    button(at, "cc_assign").click().run()
    assert not at.exception
    assert "Experiment #1 started: 2 accounts" in texts(at)
    experiment = store.experiments()[0]
    assert (experiment.champion_version, experiment.challenger_version, experiment.accounts) == (
        2,
        1,
        2,
    )
    at = open_page(MANAGER, "champion_challenger")
    arms = next(d.value for d in at.dataframe if "arm" in d.value.columns)
    assert sorted(arms["arm"]) == ["Challenger", "Champion"] and arms["accounts"].sum() == 2
    # The work queue shows each account's arm while the experiment runs.
    queue = open_page(MANAGER, "work_queue").dataframe[0].value
    assert set(queue["arm"]) <= {"Champion", "Challenger"}


def test_starting_a_challenger_is_not_offered_to_an_analyst(warehouse: Path) -> None:
    at = open_page(ANALYST, "champion_challenger")
    assert "Only a manager or an admin may start a challenger" in texts(at)
    assert not [b for b in at.button if b.key == "cc_assign"]


# --- SQL workbench ------------------------------------------------------------------------------


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="wb_sql").set_value(sql)
    return button(at, "wb_run").click().run()


def test_workbench_runs_an_ordinary_query_and_saves_it(warehouse: Path) -> None:
    at = open_page(ANALYST, "sql_workbench")
    run_sql(
        at,
        "SELECT account_id, risk_grade FROM mart.account_month "
        "WHERE month = '2024-02-01' ORDER BY 1",
    )
    assert not at.exception
    result = at.main.dataframe[-1].value
    assert result.to_dict("records") == [
        {"account_id": "A1", "risk_grade": "low"}, {"account_id": "A2", "risk_grade": "medium"},
        {"account_id": "A3", "risk_grade": "high"},
    ]  # fmt: skip
    assert len(at.get("download_button")) == 2
    at.text_input(key="wb_save_name").set_value("grades in Feb")
    button(at, "wb_save").click().run()
    assert "Saved as “` grades in Feb `”" in texts(at)  # shown as text, not Markdown
    assert [q.name for q in AppStore.beside(warehouse).saved_queries()] == ["grades in Feb"]


def test_workbench_row_cap(warehouse: Path) -> None:
    at = open_page(ANALYST, "sql_workbench")
    at.number_input(key="wb_cap").set_value(2)
    run_sql(at, "SELECT * FROM mart.account_month")
    assert "cut at the row cap of 2" in texts(at)
    assert len(at.main.dataframe[-1].value) == 2


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("COPY mart.account_month TO '/tmp/out.csv'", "COPY"),
        ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("SET memory_limit = '64GB'", "SET"),
        ("DROP TABLE mart.account_month", "DROP"),
        ("WITH d AS (DELETE FROM raw.accounts RETURNING *) SELECT * FROM d", "data-changing"),
        ("SELECT 1; SELECT 2", "one statement"),
    ],
)
def test_workbench_refusals_say_why(warehouse: Path, sql: str, expected: str) -> None:
    at = open_page(ANALYST, "sql_workbench")
    run_sql(at, sql)
    assert not at.exception
    refusal = shown(at.error[0].value) if at.error else ""
    assert expected in refusal and refusal.startswith("Refused")
    events = AppStore.beside(warehouse).audit_trail()
    assert events[0]["action"] == "workbench.query" and not events[0]["allowed"]


def test_workbench_schema_browser_examples_and_saved_queries(warehouse: Path) -> None:
    AppStore.beside(warehouse).save_query(ANALYST, "three", "SELECT 3 AS n")
    at = open_page(ANALYST, "sql_workbench")
    at.selectbox(key="wb_schema_table").set_value("mart.account_month").run()
    described = at.sidebar.dataframe[0].value.set_index("column_name")["description"]
    assert "latest snapshot" in at.sidebar.caption[-1].value or described["bucket"]
    assert described["bucket"].startswith("from days_past_due and settings.buckets")
    at.selectbox(key="wb_example").set_value("mart.roll_rates").run()
    button(at, "wb_load_example").click().run()
    assert "FROM mart.roll_rates" in at.text_area(key="wb_sql").value
    saved = at.selectbox(key="wb_saved_pick")
    saved.set_value(saved.options[1] if isinstance(saved.options[1], str) else saved.options[1])
    at.run()
    button(at, "wb_load_saved").click().run()
    assert at.text_area(key="wb_sql").value == "SELECT 3 AS n"
    button(at, "wb_run").click().run()
    assert at.main.dataframe[-1].value.to_dict("records") == [{"n": 3}]


# --- Under attack, through the pages (the red team's page-level attacks) ------------------------


def test_a_memory_bomb_on_the_workbench_page_is_stopped_and_said_in_chinese(
    warehouse: Path,
) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["user"] = ANALYST
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("app_pages/sql_workbench.py").run()
    at.number_input(key="wb_seconds").set_value(5)
    run_sql(at, "SELECT len(range(0, 150000000))")
    assert not at.exception
    stopped = " ".join(w.value for w in at.warning)
    assert "已停止" in stopped and ("内存" in stopped or "时间限制" in stopped)
    run_sql(at, "SELECT count(*) AS n FROM mart.account_month")  # the app goes on
    assert at.main.dataframe[-1].value.to_dict("records") == [{"n": 6}]
    outcomes = [e["outcome"] for e in AppStore.beside(warehouse).audit_trail()[:2]]
    assert outcomes == ["ok", "stopped"]


def test_a_refusal_shows_the_users_text_as_text(warehouse: Path) -> None:
    at = open_page(ANALYST, "sql_workbench")
    run_sql(at, 'SELECT * FROM "x](https://evil.example/login) ![t](https://evil.example/t.png)"')
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Refused")
    # The name the user typed is in a code span: no link or image is rendered from it.
    assert "` x](https://evil.example/login) ![t](https://evil.example/t.png) `" in message


def test_the_sign_in_page_locks_out_a_brute_force(warehouse: Path) -> None:
    at = open_page(None)
    for attempt in range(6):
        at.text_input(key="login_username").set_value("demo-admin")
        at.text_input(key="login_password").set_value(f"guess number {attempt}")
        at.button[0].click().run()
    at.text_input(key="login_password").set_value(PASSWORDS["demo-admin"])
    at.button[0].click().run()
    assert at.title[0].value == "Sign in"
    assert "locked" in at.error[0].value
    actions = [(e["action"], e["outcome"]) for e in AppStore.beside(warehouse).audit_trail()]
    assert actions[0] == ("login", "locked") and ("login.lockout", "locked") in actions


def test_an_account_timeline_view_is_audited_once(warehouse: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["user"] = COMPLIANCE
    at.run()
    at.switch_page("app_pages/accounts.py")
    at.query_params["account"] = "A3"
    at.run()
    assert not at.exception
    at.run()  # a rerun is not a second view
    views = [e for e in AppStore.beside(warehouse).audit_trail() if e["action"] == "account.view"]
    assert [(e["username"], e["target"]) for e in views] == [("demo-compliance", "A3")]


def test_the_audit_page_is_for_admins_and_filters(warehouse: Path) -> None:
    store = AppStore.beside(warehouse)
    store.audit(ANALYST, "workbench.query", allowed=True, query="SELECT 42", rows=1)
    store.audit(MANAGER, "strategy.save", allowed=True, target="v2", detail="M2 is high")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(ANALYST).switch_page("app_pages/audit.py")
    direct = AppTest.from_file(str(Path(APP).parent / "app_pages" / "audit.py"))
    direct.session_state["user"] = ANALYST
    direct.run()
    assert any("may not open this page" in e.value for e in direct.error)
    at = open_page(ADMIN, "audit")
    assert "Chain intact" in texts(at)
    shown = at.dataframe[0].value
    assert {"workbench.query", "strategy.save"} <= set(shown["action"])
    at.multiselect(key="audit_actions").set_value(["strategy.save"]).run()
    assert at.dataframe[0].value["target"].tolist() == ["v2"]
    at.text_input(key="audit_search").set_value("SELECT 42").run()
    assert at.info  # strategy.save rows do not hold that text
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download Excel"]
