"""The dashboard as a user sees it: served by Streamlit, driven in headless Chromium.

One server over the dashboard bank (tests/dashboard_bank.py: the tiny bank of conftest.py with
a collections February) for the module. The tests check real numbers on the
screen, visit every page, keep a screenshot of each in `test-artifacts/`, and prove the
publication rule: a load that publishes while the app is open shows on the next interaction,
and the app never errors while the load runs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    EXCEPTION,
    IDLE,
    Server,
    serve_dashboard,
)
from conftest import write_inbox
from dashboard_bank import DASHBOARD_FILES
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from warehouse.jobs.load import LoadSummary, load_inbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

WAIT_MS = 120_000
MARCH_FILES = {
    "snapshots_20240331.csv": (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
        "2024-03-31,A1,5,1200.00,120.00,0,0,open\n"
        "2024-03-31,A2,10,2150.00,215.00,75,3,open\n"
        "2024-03-31,A3,20,3150.00,315.00,105,4,open\n"
    ),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "warehouse.duckdb"
    load_inbox(write_inbox(folder / "inbox", DASHBOARD_FILES), db=db)
    return db


@pytest.fixture(scope="module")
def server(warehouse: Path) -> Iterator[Server]:
    with serve_dashboard(warehouse, warehouse.with_name("streamlit.log")) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1440, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


# Two kinds of console error are not the app's: the sandbox has no internet, so a resource
# outside the local server fails to resolve; and Streamlit's front end, opened on a page's own
# path (/migration), first probes /migration/_stcore/health and host-config for a base path and
# gets a 404 before it finds /_stcore/. Everything else is an error.
OFFLINE = "net::ERR_NAME_NOT_RESOLVED"
BASE_PATH_PROBE = re.compile(r"^http://127\.0\.0\.1:\d+/[\w-]+/_stcore/(health|host-config)$")


def console_error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type != "error":
        return
    where = message.location.get("url", "")
    if OFFLINE in message.text and not where.startswith("http://127.0.0.1"):
        return
    if "404" in message.text and BASE_PATH_PROBE.match(where):
        return
    errors.append(f"console: {message.text} at {where}")


@pytest.fixture
def page(browser_context: BrowserContext, server: Server) -> Iterator[Page]:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: console_error(message, errors))
    page.set_default_timeout(WAIT_MS)
    yield page
    page.close()
    assert not errors, f"errors in the page: {errors}\nserver log:\n{server.output()}"


def settle(page: Page) -> None:
    """Wait until the script has finished its run, and fail on any exception it showed."""
    page.wait_for_selector(IDLE, timeout=WAIT_MS)
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, exceptions.first.inner_text()


def open_app(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    expect(page.locator(IDLE)).to_be_visible(timeout=WAIT_MS)
    settle(page)


def stable_box(page: Page, selector: str) -> dict[str, float]:
    """The first match's box once it has stopped moving: a chart lays itself out again after it
    first draws (to the width of its column), and a click measured before that can miss."""
    locator = page.locator(selector).first
    expect(locator).to_be_visible(timeout=WAIT_MS)
    last = None
    for _ in range(100):
        box = locator.bounding_box()
        if box is not None and box == last:
            return box
        last = box
        page.wait_for_timeout(200)
    raise AssertionError(f"{selector} kept moving for 20 s: last box {last}")


def screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its own container, so grow the window to fit."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(height, size["height"]), 5000)}
    )
    page.wait_for_timeout(500)  # charts re-lay out to the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def test_portfolio_shows_real_numbers(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/portfolio")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Feb 2024 at a glance")).to_be_visible()
    for shown in ("¥6,300.00", "+¥300.00", "¥5,200.00", "82.5%", "49.2%", "+32.5 pp"):
        expect(main.get_by_text(shown, exact=True).filter(visible=True).first).to_be_visible()
    # Book by bucket, ratios, collected and written off, vintage curves.
    expect(page.locator(".js-plotly-plot")).to_have_count(4)
    expect(main.get_by_text("(version 1, load 1)", exact=False)).to_be_visible()
    expect(main.get_by_text("Data through 29 Feb 2024", exact=False)).to_be_visible()
    screenshot(page, "portfolio")


def test_filters_are_a_deep_link(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/portfolio?product=Classic")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("¥5,200.00", exact=True).filter(visible=True).first).to_be_visible()
    # A chart toggle joins the link as soon as it is used.
    main.get_by_role("radio", name="Accounts", exact=True).click()
    expect(page).to_have_url(f"{server.url}/portfolio?product=Classic&bucket_view=accounts")
    settle(page)
    screenshot(page, "portfolio-classic-accounts")


def test_every_page(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/portfolio?product=Classic")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("¥5,200.00", exact=True).filter(visible=True).first).to_be_visible()

    page.get_by_role("link", name="Loads").click()
    # The portfolio filters do not apply to the Loads page and leave its link.
    expect(page).to_have_url(f"{server.url}/loads")
    expect(main.get_by_text("Files of load 1")).to_be_visible()
    expect(main.get_by_text("Load 1 quarantined no rows.")).to_be_visible()
    settle(page)
    screenshot(page, "loads")

    # Back on the portfolio, the filters (and their link) are as the user left them.
    page.get_by_role("link", name="Portfolio").click()
    expect(page).to_have_url(f"{server.url}/portfolio?product=Classic")
    expect(main.get_by_text("Feb 2024 at a glance")).to_be_visible()
    expect(main.get_by_text("¥5,200.00", exact=True).filter(visible=True).first).to_be_visible()
    settle(page)


PAGES = {  # page: (path and query, title in English, title in Chinese)
    "today": ("/", "Since the last load", "自上次加载以来"),
    "portfolio": ("/portfolio", "Portfolio health", "资产质量"),
    "glossary": ("/glossary?term=rpc_rate", "Glossary", "术语表"),
    "migration": ("/migration?mig_from=M1&mig_to=M2", "Bucket migration", "迁徙分析"),
    "contacts": ("/contacts", "Contact effectiveness", "催收联系效果"),
    "promises": ("/promises", "Promises and plans", "承诺还款与还款计划"),
    "compliance": ("/compliance?breach=k3", "Compliance breaches", "合规违规"),
    "accounts": ("/accounts?account=A3", "Account story", "账户查询"),
    "loads": ("/loads", "Loads", "数据加载"),
    "data-quality": ("/data-quality", "Data quality", "数据质量"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_in_both_languages(page: Page, server: Server, lang: str) -> None:
    """Each page loads without an exception or a console error; a screenshot of each is kept."""
    main = page.locator('[data-testid="stMain"]')
    for name, (path, english, chinese) in PAGES.items():
        joiner = "&" if "?" in path else "?"
        open_app(page, f"{server.url}{path}" + (f"{joiner}lang=zh" if lang == "zh" else ""))
        expect(main.locator("h1").first).to_contain_text(chinese if lang == "zh" else english)
        settle(page)
        screenshot(page, f"{name}-{lang}")
    # Nothing personal on any page: the masked card of A3, never the full number.
    open_app(page, f"{server.url}/accounts?account=A3")
    expect(main.get_by_text("622588******4444").filter(visible=True).first).to_be_visible()
    assert "6225880255554444" not in page.content()


def test_clicking_a_matrix_cell_lists_its_accounts(page: Page, server: Server) -> None:
    open_app(page, f"{server.url}/migration")
    # Jan -> Feb: Current -> Current, M1 -> M2, M2 -> M3 (the diagonal of a 3 x 3 grid); click
    # the middle cell, M1 -> M2.
    area = stable_box(page, ".js-plotly-plot .nsewdrag")
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    # The address changes once the rerun the click starts has finished: on a busy machine that
    # takes longer than Playwright's default 5 s.
    expect(page).to_have_url(f"{server.url}/migration?mig_from=M1&mig_to=M2", timeout=WAIT_MS)
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("1 accounts moved from M1 to M2", exact=False)).to_be_visible()
    screenshot(page, "migration-cell")


def test_a_publication_shows_without_a_restart(page: Page, server: Server, warehouse: Path) -> None:
    """Run last in this module: it adds March to the served warehouse."""
    open_app(page, f"{server.url}/portfolio")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Feb 2024 at a glance")).to_be_visible()

    inbox = write_inbox(warehouse.parent / "march", MARCH_FILES)
    outcome: dict[str, LoadSummary | BaseException] = {}

    def load() -> None:
        try:
            outcome["summary"] = load_inbox(inbox, db=warehouse)
        except BaseException as exc:  # reported by the test below
            outcome["error"] = exc

    loader = threading.Thread(target=load)
    loader.start()
    # Keep the app busy while the load runs: every rerun must succeed, old version or new.
    for click in range(12):
        main.get_by_role(
            "radio", name="Accounts" if click % 2 == 0 else "Balance", exact=True
        ).click()
        settle(page)
        if not loader.is_alive():
            break
    loader.join(timeout=600)
    assert not loader.is_alive(), "the load did not finish within 600 s"
    assert "error" not in outcome, outcome.get("error")

    # The next interaction in the same session reads the new version.
    main.get_by_role("radio", name="By accounts", exact=True).click()
    expect(main.get_by_text("Mar 2024 at a glance")).to_be_visible()
    settle(page)
    expect(main.get_by_text("¥6,500.00", exact=True).filter(visible=True).first).to_be_visible()
    expect(main.get_by_text("(version 2, load 2)", exact=False)).to_be_visible()
    screenshot(page, "portfolio-after-publication")

    # A fresh visit sees it too.
    open_app(page, f"{server.url}/portfolio")
    expect(main.get_by_text("Mar 2024 at a glance")).to_be_visible()
