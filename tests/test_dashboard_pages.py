"""The collections pages (Migration, Contacts, Promises and plans, Compliance, Accounts) run
headless by AppTest over the dashboard bank (tests/dashboard_bank.py), numbers worked out by hand.

Migration, Jan -> Feb 2024 (conftest.py): A1 Current -> Current (1000 -> 1100), A2 M1 -> M2
(2000 -> 2100), A3 M2 -> M3 (3000 -> 3100): every share is 100%.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import write_inbox
from dashboard_bank import DASHBOARD_FILES
from rendered import shown
from streamlit.testing.v1 import AppTest

from dashboard import export
from dashboard.reads import compliance, migration
from dashboard.reads.connection import warehouse_version
from dashboard.reads.filters import Filters
from warehouse.jobs.load import load_inbox

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ("migration", "contacts", "promises", "compliance", "accounts")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard-bank")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", DASHBOARD_FILES), db=db)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


@pytest.fixture
def app(bank: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("COLLECTIONS_DB", str(bank))
    return AppTest.from_file(APP, default_timeout=180)


def open_page(app: AppTest, page: str, **params: str) -> AppTest:
    """The page as a link opens it (`/<page>?key=value`): the language on the first run, the
    rest as the page opens (the app's first page, Since the last load, has no filters)."""
    if "lang" in params:
        app.query_params["lang"] = params.pop("lang")
    at = app.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cards(at: AppTest) -> dict[str, str]:
    return {shown(metric.label): shown(metric.value) for metric in at.metric}


def frame(at: AppTest, first: str, *others: str) -> pl.DataFrame:
    """The table whose first column is `first` and that has `others` (tables carry no key)."""
    for table in at.dataframe:
        columns = list(table.value.columns)
        if columns and columns[0] == first and set(others) <= set(columns):
            return pl.from_pandas(table.value)
    raise AssertionError(f"no table starting with {first!r}")


# --- Migration -------------------------------------------------------------------------------


def test_migration_cell_lists_its_accounts_and_opens_one(app: AppTest) -> None:
    at = open_page(app, "migration")
    assert at.title[0].value == "Bucket migration"
    assert at.subheader[0].value == "Migration matrix, Jan 2024 → Feb 2024"
    at.selectbox(key="mig_from").set_value("M1").run()
    at.selectbox(key="mig_to").set_value("M2").run()
    behind = frame(at, "account_id", "to_balance")
    assert behind["account_id"].to_list() == ["A2"]
    assert [float(v) for v in behind["balance"]] == [2000.0]
    assert [float(v) for v in behind["to_balance"]] == [2100.0]
    assert at.query_params["mig_from"] == "M1" and at.query_params["mig_to"] == "M2"
    # From the cell to the account's story.
    at.selectbox(key="mig_account").set_value("A2").run()
    at.button(key="mig_open_account").click().run()
    assert not at.exception
    assert at.title[0].value == "Account story"
    assert at.subheader[0].value == "Account A2"
    assert at.query_params["account"] == "A2"


def test_migration_deep_link_and_modes(app: AppTest) -> None:
    at = open_page(app, "migration", mig_from="M2", mig_to="M3", mig_measure="balance")
    assert at.segmented_control(key="mig_measure").value == "balance"
    assert frame(at, "account_id", "to_balance")["account_id"].to_list() == ["A3"]
    at.segmented_control(key="mig_value").set_value("count").run()
    assert at.query_params["mig_value"] == "count"
    assert not at.exception


def test_migration_matrix_query(bank: Path) -> None:
    version = warehouse_version(bank)
    assert version is not None
    filters = Filters(date(2024, 1, 1), date(2024, 2, 1))
    matrix = migration.migration_matrix(version, filters, date(2024, 1, 1))
    moves = {(r["from_bucket"], r["to_bucket"]): r for r in matrix.iter_rows(named=True)}
    assert set(moves) == {("Current", "Current"), ("M1", "M2"), ("M2", "M3")}
    assert all(r["share_of_accounts"] == 1.0 for r in moves.values())
    classic = migration.migration_matrix(
        version,
        Filters(date(2024, 1, 1), date(2024, 2, 1), products=("Gold",)),
        date(2024, 1, 1),
    )
    assert classic.select("from_bucket", "to_bucket", "accounts").rows() == [
        ("Current", "Current", 1)
    ]


# --- Contacts --------------------------------------------------------------------------------


def test_contacts_funnel_and_tables(app: AppTest) -> None:
    at = open_page(app, "contacts")
    assert at.title[0].value == "Contact effectiveness"
    # 5 attempts, 3 connects, 3 RPC, 2 promises (dashboard_bank.py).
    assert cards(at) == {
        "Attempts": "5",
        "Connect rate": "60.0%",
        "RPC rate": "60.0%",
        "Promise rate": "66.7%",
    }
    funnel = pl.from_pandas(at.dataframe[0].value)
    calls = funnel.filter(pl.col("channel") == "Call").row(0, named=True)
    assert (calls["attempts"], calls["connects"], calls["right_party_contacts"]) == (4, 3, 3)
    assert (calls["promises"], calls["promises_kept"]) == (2, 1)
    assert calls["rpc_rate"] == pytest.approx(0.75)
    agents = frame(at, "agent_id", "attempts")
    assert agents.select("agent_id", "attempts", "breaches").rows() == [
        ("AG1", 3, 0),
        ("AG2", 2, 2),
    ]
    # The best slot: Monday 10:00, two calls both reaching the debtor.
    assert any(
        "Best slot: Mon 10:00, RPC rate 100.0% over 2 attempts." in shown(c.value)
        for c in at.caption
    )
    # The thin-rate alert says why it fired.
    assert any("fewer than 30" in shown(w.value) for w in at.warning)


def test_contacts_team_filter(app: AppTest) -> None:
    at = open_page(app, "contacts", team="Early")
    assert at.multiselect(key="f_team").value == ["Early"]
    # Team Early = AG1: k1, k2 (debtor), k5 (sms, nobody): 3 attempts, 2 RPC.
    assert cards(at)["Attempts"] == "3"
    assert cards(at)["RPC rate"] == "66.7%"
    assert at.query_params["team"] == "Early"
    at.segmented_control(key="league_by").set_value("team").run()
    assert frame(at, "team", "attempts")["team"].to_list() == ["Early"]
    assert at.query_params["league_by"] == "team"


# --- Promises and plans ----------------------------------------------------------------------


def test_promises_and_plans(app: AppTest) -> None:
    at = open_page(app, "promises")
    # pr1 kept, pr2 partial: 1 / 2 resolved.
    assert cards(at) == {
        "Promises": "2",
        "Promise-kept rate": "50.0%",
        "Broken rate": "0.0%",
        "Pending now": "0",
    }
    by_agent = frame(at, "agent_id", "kept")
    assert by_agent.select("agent_id", "kept", "partial").rows() == [("AG1", 1, 0), ("AG2", 0, 1)]
    at.segmented_control(key="promise_by").set_value("bucket").run()
    # pr1 was taken on A2 (M1 until Feb 15's daily M1 at 30 dpd), pr2 on A3 (M2).
    by_bucket = frame(at, "bucket", "kept")
    assert by_bucket["promises"].sum() == 2
    assert any(
        "In force: 3 grace days, tolerance 0.0%: kept rate 50.0%." in shown(c.value)
        for c in at.caption
    )
    plans = pl.from_pandas(at.dataframe[-1].value)
    assert plans.select("plan_type", "plans", "active").rows() == [("Instalment", 1, 1)]


# --- Compliance ------------------------------------------------------------------------------


def test_compliance_breaches_filters_and_drill_to_the_account(app: AppTest) -> None:
    at = open_page(app, "compliance")
    assert cards(at) == {"Breaches": "2", "Attempts in breach": "1", "Accounts": "1"}
    by_rule = frame(at, "rule_set", "breaches")
    # Rule sets and rules by their glossary labels.
    assert by_rule.select("rule_set", "rule", "breaches").rows() == [
        ("Bank procedure", "Calling hours", 1),
        ("China collection rules", "Quiet hours (22:00–08:00)", 1),
    ]
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Download CSV", "Download Excel"]
    at.selectbox(key="rule_set").set_value("china").run()
    assert cards(at)["Breaches"] == "1"
    assert at.query_params["rule_set"] == "china"
    # Drill: the attempt behind the breach, then the account's timeline.
    at.selectbox(key="breach").set_value("k3").run()
    attempt = frame(at, "attempt_id", "party").row(0, named=True)
    assert attempt["attempt_id"] == "k3" and attempt["contact_number_masked"] == "137****1111"
    at.button(key="breach_open_account").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Account A3"


def test_exported_breaches_open_and_hold_the_filtered_rows(bank: Path) -> None:
    version = warehouse_version(bank)
    assert version is not None
    filters = Filters(date(2024, 1, 1), date(2024, 2, 1))
    listed = compliance.breaches(version, filters, compliance.BreachFilter(rule_set="china"))
    assert listed.rows["rule"].to_list() == ["quiet_hours"] and not listed.capped

    csv = export.to_csv(listed.rows, "Asia/Shanghai")
    assert csv.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(io.BytesIO(csv[3:]))
    assert back.height == 1
    assert back.row(0, named=True)["started_at (Asia/Shanghai)"].startswith("2024-02-05 23:00:00")
    assert back["attempt_id"].to_list() == ["k3"]

    xlsx = export.to_excel(listed.rows, "Asia/Shanghai", sheet="breaches")
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert len(re.findall(r"<row ", sheet)) == 2  # the header and the one breach
    assert "quiet_hours" in strings and "calling_hours" not in strings
    assert "137****1111" not in strings  # no number at all in the breach rows; masked anyway


# --- Accounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "account"),
    [("A3", "A3"), ("4444", "A3"), ("5678", "A1"), ("139****4321", "A2"), ("2345", "A2")],
)
def test_find_an_account_by_masked_values(app: AppTest, text: str, account: str) -> None:
    at = open_page(app, "accounts")
    at.text_input(key="account_search").input(text).run()
    assert not at.exception
    assert at.subheader[0].value == f"Account {account}"
    assert at.query_params["account"] == account


def test_account_timeline_tells_the_whole_story(app: AppTest) -> None:
    at = open_page(app, "accounts", account="A3")
    assert cards(at)["Card"] == "622588******4444"
    assert cards(at)["Bucket, Feb 2024"] == "M3"
    assert cards(at)["Balance"] == "¥3,100.00"
    story = frame(at, "event_date")
    counts = dict(story.group_by("kind").len().rows())
    # Snapshots Jan 31, Feb 15, Feb 29; grades at the two month ends; k3 and k4; k3's two
    # breaches; pr2; PL1; the 50 yuan payment.
    assert counts == {
        "Snapshot": 3,
        "Risk grade": 2,
        "Contact": 2,
        "Breach": 2,
        "Promise": 1,
        "Plan": 1,
        "Payment": 1,
    }
    promise = story.filter(pl.col("kind") == "Promise").row(0, named=True)
    assert promise["status"] == "Partly kept"
    assert promise["detail"] == "due 2024-02-09 · paid ¥50.00"
    # No full number anywhere on the page.
    every = " ".join(str(v) for v in story.to_pandas().to_numpy().ravel())
    assert "13700001111" not in every and "6225880255554444" not in every


def test_an_unknown_account_says_so(app: AppTest) -> None:
    at = open_page(app, "accounts")
    at.text_input(key="account_search").input("nobody").run()
    assert "No account matches “nobody”." in shown(at.warning[0].value)


# --- Both languages --------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_chinese(app: AppTest, page: str) -> None:
    at = open_page(app, page, lang="zh", account="A3")
    titles = {
        "migration": "迁徙分析",
        "contacts": "催收联系效果",
        "promises": "承诺还款与还款计划",
        "compliance": "合规违规",
        "accounts": "账户查询",
    }
    assert at.title[0].value == titles[page]
    assert at.query_params["lang"] == "zh"


# --- Portfolio additions ---------------------------------------------------------------------


def test_portfolio_collected_and_by_segment(app: AppTest) -> None:
    at = open_page(app, "portfolio")
    assert not at.exception
    by_product = frame(at, "segment", "live_accounts")
    # Feb 2024: Classic = A2 2100 (M2, 45 dpd) + A3 3100 (M3, 75 dpd): 30+ = 100%,
    # 60+ = 3100 / 5200 = 59.6%; collected 500 (A2) + 50 (A3). Gold = A1 1100, current.
    rows = {r["segment"]: r for r in by_product.iter_rows(named=True)}
    assert rows["Classic"]["live_accounts"] == 2 and rows["Gold"]["live_accounts"] == 1
    assert rows["Classic"]["dpd30_ratio"] == pytest.approx(1.0)
    assert rows["Classic"]["dpd60_ratio"] == pytest.approx(3100 / 5200)
    assert float(rows["Classic"]["collected"]) == 550.0
    assert any("fewer than 30 for Classic (2), Gold (1)" in shown(w.value) for w in at.warning)
    at.segmented_control(key="segment").set_value("risk_grade").run()
    assert sorted(frame(at, "segment", "live_accounts")["segment"]) == ["High", "Low", "Medium"]
    assert at.query_params["segment"] == "risk_grade"


def test_a_link_to_an_account_wins_over_an_old_search(app: AppTest) -> None:
    at = open_page(app, "accounts")
    at.text_input(key="account_search").input("5678").run()
    assert at.subheader[0].value == "Account A1"
    at.switch_page("app_pages/compliance.py").run()
    at.selectbox(key="breach").set_value("k3").run()
    at.button(key="breach_open_account").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Account A3"


def test_a_warehouse_published_before_the_dashboards_views(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until its next load, an older warehouse lacks sql/500-502: pages say so, never fail."""
    from warehouse.storage import connect_writer, copy_warehouse

    older = tmp_path / "older.duckdb"
    copy_warehouse(bank, older)
    con = connect_writer(older)
    con.execute("DROP VIEW mart.account_timeline")
    con.execute("DROP VIEW mart.account_migration")
    con.execute("DROP TABLE settings.alert_thresholds")
    con.close()
    monkeypatch.setenv("COLLECTIONS_DB", str(older))
    for page, params in (
        ("migration", {"mig_from": "M1", "mig_to": "M2"}),
        ("accounts", {"account": "A3"}),
    ):
        at = open_page(AppTest.from_file(APP, default_timeout=180), page, **params)
        assert any("next `collections load`" in shown(i.value) for i in at.info)
    at = open_page(AppTest.from_file(APP, default_timeout=180), "contacts")
    assert any("alerts are off until the next load" in c.value for c in at.caption)
    assert not at.warning  # no alert fires


def test_a_filter_a_page_cannot_apply_is_named(app: AppTest) -> None:
    # The Portfolio: cut by product, branch and risk grade, not by team.
    at = open_page(app, "portfolio", team="Early")
    assert any(
        c.value == "Not applied on this page (its figures have no such column): Team."
        for c in at.caption
    )


def test_a_warehouse_published_before_the_page_grain_marts(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until its next load, an older warehouse lacks the marts at the pages' grain and the new
    denominator columns: Contacts, Promises and Compliance say which, and stop, never fail."""
    from warehouse.storage import connect_writer, copy_warehouse

    older = tmp_path / "older.duckdb"
    copy_warehouse(bank, older)
    con = connect_writer(older)
    # (tables of the marts are views over the lake's files)
    con.execute("DROP VIEW mart.contact_funnel")
    con.execute("DROP VIEW mart.compliance_breach_counts")
    # mart.promise_kept_rates as it was, without `resolved`.
    con.execute(
        "CREATE OR REPLACE VIEW mart.promise_kept_rates AS "
        "SELECT * EXCLUDE (resolved) FROM core.promise_outcome_counts"
    )
    con.close()
    monkeypatch.setenv("COLLECTIONS_DB", str(older))
    for page, missing in (
        ("contacts", "mart.contact_funnel"),
        ("promises", "mart.promise_kept_rates.resolved"),
        ("compliance", "mart.compliance_breach_counts"),
    ):
        at = open_page(AppTest.from_file(APP, default_timeout=180), page)
        assert any(
            missing in shown(i.value) and "next `collections load`" in i.value for i in at.info
        )
        assert not at.metric
