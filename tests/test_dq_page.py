"""The Data quality page, run headless by Streamlit's AppTest (and once in a real browser).

The bank: the tiny bank (conftest.py) plus, in a second load, a payments file with one
implausible amount (a `warn`: it lands and is flagged) and a contacts file with a call dated
in the future (an `error`: the file is refused) that also has one row the contract quarantines.
"""

# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import TINY_FILES, write_inbox
from rendered import shown
from streamlit.testing.v1 import AppTest

from warehouse.jobs.load import load_inbox
from warehouse.storage import copy_warehouse

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGE = "app_pages/data_quality.py"

FUTURE = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
SECOND_LOAD = {
    "payments_20240301.csv": "payment_id,account_id,paid_at,amount\nP1,A1,2024-03-01 10:00:00,5000000\nP2,A2,2024-03-01 11:00:00,20\n",
    "contacts_20240301.csv": (
        "attempt_id,account_id,channel,started_at,outcome\n"
        "T1,A1,call,2024-03-01 10:00:00,no_answer\n"
        f"T2,A2,call,{FUTURE},no_answer\n"
        "T3,A3,pigeon,2024-03-01 10:00:00,no_answer\n"
    ),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny bank after its first load, and after the second (each with its Data Docs)."""
    folder = tmp_path_factory.mktemp("dq-page")
    tiny = folder / "tiny" / "warehouse.duckdb"
    load_inbox(write_inbox(folder / "inbox", TINY_FILES), db=tiny)
    flagged = folder / "flagged" / "warehouse.duckdb"
    flagged.parent.mkdir()
    copy_warehouse(tiny, flagged)
    summary = load_inbox(write_inbox(folder / "second", SECOND_LOAD), db=flagged)
    assert summary.refused == 1 and summary.dq.status == "failed"
    return {"tiny": tiny, "flagged": flagged}


@pytest.fixture
def tiny_warehouse(published: dict[str, Path]) -> Path:
    return published["tiny"]


@pytest.fixture
def flagged_warehouse(published: dict[str, Path]) -> Path:
    return published["flagged"]


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("COLLECTIONS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def cards(at: AppTest) -> dict[str, str]:
    return {shown(metric.label): shown(metric.value) for metric in at.metric}


def test_a_clean_load(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tiny_warehouse, monkeypatch)
    assert at.title[0].value == "Data quality"
    assert cards(at) == {
        "Status": "Passed",
        "Expectations": cards(at)["Expectations"],
        "Error findings": "0",
        "Warn findings": "0",
        "Files refused": "0",
    }
    assert int(cards(at)["Expectations"]) > 40
    assert "Every expectation of run 1 held." in shown(at.success[0].value)
    assert "Load 1 quarantined no rows." in shown(at.success[1].value)
    runs = at.dataframe[0].value
    assert list(runs["run_id"]) == [1] and list(runs["kind"]) == ["Load"]


def test_failures_by_severity_and_the_trend(
    flagged_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(flagged_warehouse, monkeypatch)
    assert cards(at)["Status"] == "Failed"
    assert (
        cards(at)["Error findings"],
        cards(at)["Warn findings"],
        cards(at)["Files refused"],
    ) == ("1", "1", "1")
    failing = at.dataframe[1].value
    assert list(
        zip(
            failing["severity"],
            failing["suite"],
            failing["expectation"],
            failing["files"],
            failing["offending"],
            strict=True,
        )
    ) == [
        ("Error", "raw.contacts", "started_at_not_in_future", 1, 1),
        ("Warning", "raw.payments", "amount_plausible", 1, 1),
    ]
    assert list(failing["action"]) == ["file refused", "flagged"]
    # The trend covers both runs; the second has the two failures.
    assert len(at.get("plotly_chart")) == 1


def test_drill_to_a_landed_offending_row(
    flagged_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(flagged_warehouse, monkeypatch, finding="2")
    assert at.selectbox(key="finding").value == 2
    assert any("raw.payments / amount_plausible" in shown(m.value) for m in at.markdown)
    rows = at.dataframe[2].value
    assert list(rows["payment_id"]) == ["P1"] and list(rows["_line_number"]) == [2]
    assert not any(c.endswith("_hash") for c in rows.columns)


def test_drill_to_a_refused_file_and_its_quarantine(
    flagged_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(flagged_warehouse, monkeypatch)
    assert at.selectbox(key="finding").value == 1  # errors first
    assert "contacts_20240301.csv` was refused" in shown(at.error[0].value)
    assert "Offending lines: 3." in shown(at.error[0].value)
    verdicts = at.dataframe[2].value
    assert list(verdicts["status"]) == ["Refused"]
    # The quarantine of load 2: the row with a channel outside the contract, file refused.
    quarantine = at.dataframe[3].value
    assert list(
        zip(
            quarantine["file_name"],
            quarantine["line_number"],
            quarantine["column_name"],
            quarantine["file_status"],
            strict=True,
        )
    ) == [("contacts_20240301.csv", 4, "channel", "Refused")]
    assert "pigeon" in quarantine["reason"][0]


def test_an_earlier_run_by_link(flagged_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(flagged_warehouse, monkeypatch, run="1")
    assert at.selectbox(key="run").value == 1
    assert cards(at)["Status"] == "Passed"
    assert at.query_params["run"] == ["1"] or at.query_params["run"] == "1"


def test_data_docs_are_offered(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tiny_warehouse, monkeypatch)
    pages = at.selectbox(key="docs_page")
    labels = pages.options  # as the page shows them
    assert pages.value == str(
        Path("validations/mart/account_month/load-1") / pages.value.split("load-1/")[1]
    )
    assert labels[0] == "Validation: mart.account_month · mart"
    assert "Validation: raw.snapshots.batch · batch-2" in labels
    assert labels[-1] == "Index (its tables need internet access)"
    assert len(at.get("download_button")) == 1
    assert len(at.get("iframe")) == 1


def test_a_warehouse_without_results(
    tiny_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = tmp_path / "warehouse.duckdb"  # a warehouse from before the checks
    copy_warehouse(tiny_warehouse, older)
    con = duckdb.connect(str(older))
    con.execute("DROP SCHEMA dq CASCADE")
    con.close()
    at = open_page(older, monkeypatch)
    assert "holds no data-quality results yet" in shown(at.info[0].value)


def test_the_page_in_chinese(flagged_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(flagged_warehouse, monkeypatch, lang="zh")
    assert at.title[0].value == "数据质量"
    headings = [subheader.value for subheader in at.subheader]
    assert "最近的校验运行" in headings
    assert "运行 2 未通过的校验规则" in headings
    assert "Great Expectations 数据文档" in headings
    assert cards(at)["状态"] == "失败"  # the run's status by its glossary label
    assert at.selectbox(key="finding").label == "校验失败项"
    assert "已被拒收" in shown(at.error[0].value)
    assert at.query_params["lang"] == "zh" or at.query_params["lang"] == ["zh"]


# --- In a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from browser_support import serve_dashboard

    folder = tmp_path_factory.mktemp("dq-browser")
    db = folder / "warehouse.duckdb"
    load_inbox(write_inbox(folder / "inbox", TINY_FILES), db=db)
    load_inbox(write_inbox(folder / "second", SECOND_LOAD), db=db)
    with serve_dashboard(db, folder / "streamlit.log") as server:
        yield server.url


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_and_its_data_docs_in_chromium(served: str) -> None:
    from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, EXCEPTION, IDLE
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{served}/data-quality", wait_until="domcontentloaded")
        expect(page.locator(IDLE)).to_be_visible(timeout=120_000)
        main = page.locator('[data-testid="stMain"]')
        expect(
            main.get_by_text("Data quality", exact=True).filter(visible=True).first
        ).to_be_visible()
        expect(
            main.get_by_text("raw.contacts / started_at_not_in_future").filter(visible=True).first
        ).to_be_visible()
        assert page.locator(EXCEPTION).count() == 0
        # A Data Docs page renders inside the page (offline too: its content is plain HTML).
        frame = page.frame_locator("iframe").first
        expect(frame.get_by_text("Overview").filter(visible=True).first).to_be_visible(
            timeout=120_000
        )
        expect(frame.get_by_text("mart.account_month").filter(visible=True).first).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        page.set_viewport_size({"width": 1440, "height": min(max(height, 1000), 5000)})
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "data-quality.png"))
        browser.close()
        assert not errors, errors
