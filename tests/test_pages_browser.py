"""The classes of issue 15 as a user sees them: served by Streamlit, driven in headless Chromium.

One server over the bank past a month end of test_page_classes.py (month ends Jan and Feb, the
data running to Mar 1, a holiday on Mar 1 whose name is an attack, an account whose id is one)
plus three Sunday-evening calls that answer best and that the bank's rules forbid:

- the current month is on the slider and its breaches list from a link, and every page says
  how fresh its data is;
- a shared link, a holiday name and an account id from the bank's files render no link and
  fetch no image (every request the browser makes is watched);
- the best time to call is never a slot a rule forbids;
- the pages speak Chinese, rule names and all.
"""

from __future__ import annotations

import urllib.parse
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
from playwright.sync_api import BrowserContext, Page, Request, expect, sync_playwright
from test_page_classes import EVIL, EVIL_ID, PAST_MONTH_END_FILES, SUNDAY_CALLS

from warehouse.jobs.load import load_inbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

WAIT_MS = 120_000
FILES = {**PAST_MONTH_END_FILES, "contacts_20240211.csv": SUNDAY_CALLS["contacts_20240211.csv"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("pages-browser")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", FILES), db=db)
    assert summary.refused == 0
    with serve_dashboard(db, folder / "streamlit.log") as running:
        yield running


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1440, "height": 1000},
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[tuple[Page, list[str]]]:
    """A page, and every URL it requested outside the local server."""
    opened = context.new_page()
    outside: list[str] = []

    def watch(request: Request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            outside.append(request.url)

    opened.on("request", watch)
    opened.set_default_timeout(WAIT_MS)
    yield opened, outside
    opened.close()


def open_app(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    expect(page.locator(IDLE)).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(300)
    expect(page.locator(IDLE)).to_be_visible(timeout=WAIT_MS)
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_evil_link_or_image(page: Page, outside: list[str]) -> None:
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src*="evil.example"]').count() == 0
    assert [url for url in outside if "evil.example" in url] == []


def test_a_shared_link_renders_no_link_and_fetches_no_image(
    page: tuple[Page, list[str]], server: Server
) -> None:
    browser, outside = page
    open_app(browser, f"{server.url}/accounts?account={urllib.parse.quote(EVIL)}")
    main = browser.locator('[data-testid="stMain"]')
    # The link's text is shown as it is, brackets and all (a bare address carries an invisible
    # word joiner, so it reads the same and is never a link).
    shown = main.get_by_text("[Your session expired](", exact=False).first
    expect(shown).to_be_visible()
    assert "evil.example/login" in shown.inner_text().replace("\u2060", "")
    no_evil_link_or_image(browser, outside)
    screenshot(browser, "attack-shared-link")


def test_a_holiday_name_and_an_account_id_from_the_files_stay_text(
    page: tuple[Page, list[str]], server: Server
) -> None:
    browser, outside = page
    open_app(browser, f"{server.url}/compliance?from=2024-03&breach=k7")
    main = browser.locator('[data-testid="stMain"]')
    holiday = main.get_by_text("public holiday (x** [Your session expired](", exact=False).first
    expect(holiday).to_be_visible()
    assert f"public holiday ({EVIL})" in holiday.inner_text().replace("\u2060", "")
    no_evil_link_or_image(browser, outside)
    open_app(browser, f"{server.url}/accounts?account={urllib.parse.quote(EVIL_ID)}")
    heading = main.get_by_text("Account x**[Session](", exact=False).first
    expect(heading).to_be_visible()
    assert heading.inner_text().replace("\u2060", "") == f"Account {EVIL_ID}"
    no_evil_link_or_image(browser, outside)
    screenshot(browser, "attack-account-id")


def test_the_current_month_shows_and_every_page_says_how_fresh_it_is(
    page: tuple[Page, list[str]], server: Server
) -> None:
    browser, _ = page
    main = browser.locator('[data-testid="stMain"]')
    open_app(browser, f"{server.url}/compliance?from=2024-03")
    expect(
        browser.locator('[data-testid="stSidebar"]').get_by_text("Mar 2024 (so far)").first
    ).to_be_visible()
    expect(main.get_by_text("Data through 1 Mar 2024", exact=False)).to_be_visible()
    # March's breaches: k7, the bank's non-working day and China's quiet hours.
    breaches = main.locator('[data-testid="stMetric"]').filter(has_text="Breaches").first
    expect(breaches).to_contain_text("2")
    screenshot(browser, "compliance-march")
    for path in ("/", "/portfolio", "/migration", "/contacts", "/promises", "/accounts?account=A3",
                 "/glossary"):  # fmt: skip
        open_app(browser, f"{server.url}{path}")
        expect(main.get_by_text("Data through 1 Mar 2024", exact=False)).to_be_visible()
        assert "warehouse.duckdb" not in main.inner_text(), path
    open_app(browser, f"{server.url}/promises")
    pending = main.locator('[data-testid="stMetric"]').filter(has_text="Pending now").first
    expect(pending).to_contain_text("1")


def test_a_forbidden_slot_is_never_recommended(
    page: tuple[Page, list[str]], server: Server
) -> None:
    browser, _ = page
    open_app(browser, f"{server.url}/contacts")
    main = browser.locator('[data-testid="stMain"]')
    best = main.get_by_text("Best slot:", exact=False).first
    expect(best).to_be_visible()
    text = best.inner_text()
    assert "Sun" not in text, text  # Sunday 20:00 answers best; the bank forbids weekend calls
    assert "rule sets in force allow" in text
    expect(main.get_by_text("Grey slots are forbidden", exact=False)).to_be_visible()
    screenshot(browser, "contacts-permitted-slots")


def test_the_pages_speak_chinese(page: tuple[Page, list[str]], server: Server) -> None:
    browser, _ = page
    main = browser.locator('[data-testid="stMain"]')
    open_app(browser, f"{server.url}/compliance?lang=zh&from=2024-03&breach=k7")
    expect(main.get_by_text("数据截至2024年3月1日", exact=False)).to_be_visible()
    # The breach's rules by their Chinese names, not `non_working_day` / `quiet_hours`.
    expect(
        main.get_by_text("节假日/周末致电", exact=False).filter(visible=True).first
    ).to_be_visible()
    expect(main.get_by_text("夜间催收", exact=False).filter(visible=True).first).to_be_visible()
    assert "non_working_day" not in main.inner_text()
    screenshot(browser, "compliance-zh")
    open_app(browser, f"{server.url}/?lang=zh")
    expect(main.locator("h1").first).to_contain_text("自上次加载以来")
    screenshot(browser, "today-zh")
    open_app(browser, f"{server.url}/glossary?lang=zh&term=rpc_rate")
    expect(main.get_by_text("本人接通率", exact=False).filter(visible=True).first).to_be_visible()
    screenshot(browser, "glossary-zh")


def test_screenshots_of_the_new_pages(page: tuple[Page, list[str]], server: Server) -> None:
    browser, _ = page
    for name, path in (("today", "/"), ("portfolio-vintages", "/portfolio"),
                       ("migration-worst", "/migration"), ("promises-open", "/promises"),
                       ("accounts-story", "/accounts?account=A3"),
                       ("data-quality-docs", "/data-quality")):  # fmt: skip
        open_app(browser, f"{server.url}{path}")
        screenshot(browser, name)
    assert Path(ARTIFACTS / "today.png").exists()
