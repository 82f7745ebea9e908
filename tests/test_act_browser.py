"""The acting pages in a real browser: served by Streamlit as `make demo` serves them (a demo
admin signed in), each page loaded in English and in Chinese with no exception on screen or in
the page, and a workbench refusal drawn as a message, not an error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, EXCEPTION, IDLE, Server, serve_dashboard
from conftest import TINY_FILES, write_inbox
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from warehouse.app.demo_mode import create_demo_warehouse
from warehouse.app.users import UsersFile
from warehouse.jobs.load import load_inbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

WAIT_MS = 120_000
PAGES = {  # url path -> title in English, in Chinese
    "strategy": ("Strategy", "策略"),
    "work-queue": ("Work queue", "工作队列"),
    "experiments": ("Champion / challenger", "冠军/挑战者"),
    "sql": ("SQL workbench", "SQL 工作台"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("act_browser")
    db = folder / "warehouse.duckdb"
    create_demo_warehouse(db)  # demo sign-in works only on a warehouse created as a demo
    load_inbox(write_inbox(folder / "inbox", TINY_FILES), db=db)
    UsersFile(folder / "users.json").ensure_demo_users(db)
    previous = os.environ.get("COLLECTIONS_DEMO_USER")
    os.environ["COLLECTIONS_DEMO_USER"] = "demo-admin"
    try:
        with serve_dashboard(db, folder / "streamlit.log") as running:
            yield running
    finally:
        if previous is None:
            os.environ.pop("COLLECTIONS_DEMO_USER", None)
        else:
            os.environ["COLLECTIONS_DEMO_USER"] = previous


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-act")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1440, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext, server: Server) -> Iterator[Page]:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(WAIT_MS)
    yield page
    page.close()
    assert not errors, f"errors in the page: {errors}\nserver log:\n{server.output()}"


def settle(page: Page) -> None:
    page.wait_for_selector(IDLE, timeout=WAIT_MS)
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, exceptions.first.inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_acting_page_loads_in_both_languages(page: Page, server: Server, lang: str) -> None:
    for path, titles in PAGES.items():
        page.goto(f"{server.url}/{path}?lang={lang}", wait_until="domcontentloaded")
        expect(page.locator(IDLE)).to_be_visible(timeout=WAIT_MS)
        settle(page)
        title = titles[0] if lang == "en" else titles[1]
        main = page.locator('[data-testid="stMain"]')
        expect(main.get_by_role("heading", name=title).first).to_be_visible()
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(
            sidebar.get_by_text("Demo admin", exact=False).filter(visible=True).first
        ).to_be_visible()


def test_a_workbench_refusal_is_a_message(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/sql", wait_until="domcontentloaded")
    expect(page.locator(IDLE)).to_be_visible(timeout=WAIT_MS)
    settle(page)
    editor = page.get_by_role("textbox", name="Query")
    editor.fill("COPY mart.account_month TO '/tmp/stolen.csv'")
    editor.press("Control+Enter")  # a text area applies its value on Ctrl+Enter
    page.get_by_role("button", name="Run", exact=True).click()
    settle(page)
    expect(page.get_by_text("Refused: COPY reads or writes files", exact=False)).to_be_visible()
    assert not Path("/tmp/stolen.csv").exists()
