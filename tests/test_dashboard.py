"""The dashboard, run headless by Streamlit's AppTest over the tiny bank (see conftest.py).

The tiny bank at its month ends (the Feb-15 daily snapshot is not a month end):

    account  product  Jan-31 dpd / balance / bucket    Feb-29 dpd / balance / bucket
    A1       Gold      0 / 1000.00 / Current             0 / 1100.00 / Current
    A2       Classic  15 / 2000.00 / M1                 45 / 2100.00 / M2
    A3       Classic  45 / 3000.00 / M2                 75 / 3100.00 / M3

So in Feb 2024: 3 live accounts, balance 6300.00 (Jan 6000.00: +300.00); delinquent (M1+)
balance 2100 + 3100 = 5200.00 (Jan 2000 + 3000 = 5000.00: +200.00). The 30+ ratio counts
accounts at 31+ days past due (settings.delinquency_thresholds): Feb (2100 + 3100) / 6300 =
82.5% (Jan 3000 / 6000 = 50.0%: +32.5 pp); 60+ (61+ days) 3100 / 6300 = 49.2% (Jan 0%);
90+ (91+ days) 0%.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import write_inbox
from rendered import shown
from streamlit.testing.v1 import AppTest

from warehouse.jobs.load import load_inbox

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")

# A third month end, with one row the contract refuses (balance is not a number). March:
# A1 0 dpd / 1200, A2 75 dpd / 2150 (M3), A3 105 dpd / 3150 (M4): balance 6500.00;
# 30+ = 60+ = (2150 + 3150) / 6500 = 81.5%; 90+ = 3150 / 6500 = 48.5%.
MARCH_FILES = {
    "snapshots_20240331.csv": (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
        "2024-03-31,A1,5,1200.00,120.00,0,0,open\n"
        "2024-03-31,A2,10,2150.00,215.00,75,3,open\n"
        "2024-03-31,A3,20,3150.00,315.00,105,4,open\n"
        "2024-03-31,A4,20,lots,315.00,0,0,open\n"
    ),
}


@pytest.fixture
def app(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("COLLECTIONS_DB", str(tiny_warehouse))
    return AppTest.from_file(APP, default_timeout=180)


def portfolio(app: AppTest, **params: str) -> AppTest:
    """The Portfolio page as a link opens it (`/portfolio?product=...`): the app's first page is
    "Since the last load", so the link's parameters are set as the Portfolio page is opened."""
    at = app.run()
    for key, value in params.items():
        at.query_params[key] = value
    return at.switch_page("app_pages/portfolio.py").run()


def tiny_path(app: AppTest) -> str:
    import os

    return os.environ["COLLECTIONS_DB"]


def cards(at: AppTest) -> dict[str, tuple[str, str | None]]:
    """KPI cards by label: (value, change; "" when there is nothing to compare with)."""
    return {shown(metric.label): (metric.value, metric.delta) for metric in at.metric}


def test_the_first_page_is_since_the_last_load(app: AppTest) -> None:
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Since the last load"


def test_portfolio_shows_the_tiny_banks_february(app: AppTest) -> None:
    at = portfolio(app)
    assert not at.exception
    assert at.title[0].value == "Portfolio health"
    assert at.subheader[0].value == "Feb 2024 at a glance"
    assert cards(at) == {
        "Accounts": ("3", "+0"),
        "Balance": ("¥6,300.00", "+¥300.00"),
        "Delinquent balance (M1+)": ("¥5,200.00", "+¥200.00"),
        "30+ ratio (balance)": ("82.5%", "+32.5 pp"),
        "60+ ratio (balance)": ("49.2%", "+49.2 pp"),
        "90+ ratio (balance)": ("0.0%", "+0.0 pp"),
    }
    assert "Data through 29 Feb 2024" in shown(at.caption[0].value)
    assert "(version 1, load 1)" in shown(at.caption[0].value)
    assert str(tiny_path(app)) not in at.caption[0].value  # the path is for the operator's pages
    # Defaults leave the link clean.
    assert at.query_params == {}


def test_latest_month_by_bucket_table(app: AppTest) -> None:
    at = portfolio(app)
    table = at.dataframe[0].value.set_index("bucket")
    assert list(table.index) == [
        "Current",
        "M1",
        "M2",
        "M3",
        "M4",
        "M5",
        "M6",
        "M7+",
        "Written off",
        "Closed",
    ]
    assert table.loc["Current", "accounts"] == 1 and table.loc["Current", "balance"] == 1100
    assert table.loc["M2", "balance"] == 2100 and table.loc["M3", "balance"] == 3100
    assert table.loc["M1", "accounts"] == 0
    assert table["balance_share"].sum() == pytest.approx(1.0)


def test_product_filter_and_its_link(app: AppTest) -> None:
    at = portfolio(app)
    at.multiselect(key="f_product").set_value(["Classic"]).run()
    assert not at.exception
    # Classic = A2 + A3: 2100 + 3100 in Feb, 2000 + 3000 in Jan.
    assert cards(at)["Accounts"] == ("2", "+0")
    assert cards(at)["Balance"] == ("¥5,200.00", "+¥200.00")
    assert cards(at)["30+ ratio (balance)"][0] == "100.0%"
    assert at.query_params == {"product": "Classic"}


def test_deep_link_reproduces_the_view(app: AppTest) -> None:
    at = portfolio(app, product="Classic", to="2024-01", bucket_view="accounts")
    assert not at.exception
    assert at.multiselect(key="f_product").value == ["Classic"]
    assert at.select_slider(key="f_months").value == (date(2024, 1, 1), date(2024, 1, 1))
    assert at.segmented_control(key="bucket_view").value == "accounts"
    # Classic in Jan 2024: A2 2000 (M1) + A3 3000 (M2), no month before to compare with.
    assert at.subheader[0].value == "Jan 2024 at a glance"
    assert cards(at)["Accounts"] == ("2", "")
    assert cards(at)["Balance"] == ("¥5,000.00", "")
    assert cards(at)["30+ ratio (balance)"] == ("60.0%", "")
    # The link stays as it was opened.
    assert at.query_params == {"product": "Classic", "to": "2024-01", "bucket_view": "accounts"}


def test_an_empty_slice_says_so(app: AppTest) -> None:
    # A1, the only Gold account, is low risk
    at = portfolio(app, product="Gold", risk_grade="high")
    assert not at.exception
    assert "No account in this slice in Feb 2024" in at.warning[0].value
    assert not at.metric


def test_loads_page(app: AppTest) -> None:
    at = app.run()
    at.switch_page("app_pages/loads.py").run()
    assert not at.exception
    assert at.title[0].value == "Loads"
    # One load of 4 files: 3 accounts + 3 + 2 + 3 snapshots = 11 rows, nothing quarantined.
    assert cards(at) == {
        "Files": ("4", ""),
        "Refused": ("0", ""),
        "Rows landed": ("11", ""),
        "Rows quarantined": ("0", ""),
    }
    files = at.dataframe[1].value
    assert sorted(files["file_name"]) == [
        "accounts_20240131.csv",
        "snapshots_20240131.csv",
        "snapshots_20240215.csv",
        "snapshots_20240229.csv",
    ]
    assert at.success[0].value == "Load 1 quarantined no rows."
    # The portfolio filters do not apply here, and leave the link.
    assert "f_product" not in [w.key for w in at.multiselect]


def test_no_warehouse_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTIONS_DB", str(tmp_path / "nothing-here.duckdb"))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    message = at.info[0].value
    assert "collections load INBOX" in message and "make demo" in message
    assert not at.metric


def test_a_new_publication_shows_on_the_next_rerun(
    app: AppTest, tiny_warehouse: Path, tmp_path: Path
) -> None:
    at = portfolio(app)
    assert at.subheader[0].value == "Feb 2024 at a glance"

    load_inbox(write_inbox(tmp_path / "march", MARCH_FILES), db=tiny_warehouse)

    at.run()  # the same session, no restart
    assert not at.exception
    assert at.subheader[0].value == "Mar 2024 at a glance"
    assert cards(at)["Balance"] == ("¥6,500.00", "+¥200.00")
    assert cards(at)["Delinquent balance (M1+)"] == ("¥5,300.00", "+¥100.00")
    assert cards(at)["30+ ratio (balance)"][0] == "81.5%"
    assert cards(at)["90+ ratio (balance)"] == ("48.5%", "+48.5 pp")
    assert "(version 2, load 2)" in shown(at.caption[0].value)
    assert "Data through 31 Mar 2024" in shown(at.caption[0].value)
    # The range that ended at the latest month follows it to March.
    months = at.select_slider(key="f_months")
    assert months.options == ["Jan 2024", "Feb 2024", "Mar 2024"]
    assert months.value == (date(2024, 1, 1), date(2024, 3, 1))

    at.switch_page("app_pages/loads.py").run()
    assert cards(at)["Rows quarantined"] == ("1", "")
    reasons = at.dataframe[2].value
    assert list(reasons["column_name"]) == ["balance"] and list(reasons["rows"]) == [1]


def test_chinese_from_the_link_and_the_switch(app: AppTest) -> None:
    app.query_params["lang"] = "zh"
    at = app.run()
    assert at.title[0].value == "自上次加载以来"
    at.switch_page("app_pages/portfolio.py").run()
    assert not at.exception
    assert at.title[0].value == "资产质量"
    assert at.subheader[0].value == "2024年2月概览"
    assert cards(at)["逾期率 30+（余额）"] == ("82.5%", "+32.5 pp")
    assert at.multiselect(key="f_team").label == "催收团队"
    assert at.query_params == {"lang": "zh"}
    # Back to English with the switch; the default language leaves the link clean.
    at.segmented_control(key="lang").set_value("en").run()
    assert at.title[0].value == "Portfolio health"
    assert at.query_params == {}


def test_team_filter_is_in_the_sidebar(app: AppTest) -> None:
    at = portfolio(app, team="Nobody")  # a team the warehouse does not know is dropped
    assert not at.exception
    # The tiny bank has no agents file: the team filter is there, with nothing to choose.
    assert at.multiselect(key="f_team").options == []
    assert at.multiselect(key="f_team").value == []
    assert at.query_params == {}
