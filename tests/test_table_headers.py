"""Every table header on every page, in both languages, is a label from the glossary, never a
raw column name (`risk_grade`, `days_past_due`): AppTest opens each page as a user who may see
it, over the dashboard bank a week into March (tests/dashboard_bank.py), and reads each table's
headers from what the page sent (the column configuration's label, else the column's name).

The SQL workbench is left out: its result table shows the analyst's own query, named as the
analyst wrote it.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import write_inbox
from dashboard_bank import NEXT_MONTH_FILES
from streamlit.testing.v1 import AppTest

from warehouse.app.access import User
from warehouse.app.demo_mode import create_demo_warehouse
from warehouse.app.settings_versions import read_settings
from warehouse.app.store import AppStore
from warehouse.app.users import UsersFile
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
ADMIN = User("demo-admin", "admin", "Demo admin")
PAGES = (
    "today",
    "portfolio",
    "migration",
    "contacts",
    "promises",
    "compliance",
    "accounts",
    "glossary",
    "loads",
    "data_quality",
    "strategy",
    "work_queue",
    "champion_challenger",
)
# What a page needs to show its tables (a drill-down opened, an account chosen).
PARAMS = {
    "migration": {"mig_from": "M1", "mig_to": "M2"},
    "compliance": {"breach": "k3"},
    "accounts": {"account": "A2"},
}
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^[a-z]+$")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("headers-bank")
    db = folder / "warehouse.duckdb"
    create_demo_warehouse(db)  # the pages sign in as a demo user
    summary = load_inbox(write_inbox(folder / "inbox", NEXT_MONTH_FILES), db=db)
    assert summary.refused == 0
    UsersFile(folder / "users.json").ensure_demo_users(db)
    # A running experiment, so the Champion / challenger page has its tables.
    con = connect_reader(db)
    settings = read_settings(con)
    con.close()
    store = AppStore.beside(db)
    store.ensure_baseline(settings)
    store.save_settings(ADMIN, settings, reason="challenger copy", based_on=1)
    store.start_experiment(
        ADMIN, name="firmer medium", champion_version=2, challenger_version=1,
        challenger_share=0.5, seed=7, start_month=date(2024, 1, 1), accounts=3,
        challenger_accounts=1,
    )  # fmt: skip
    return db


def headers(at: AppTest) -> list[list[str]]:
    """Each table's visible headers: its column configuration's label, else the column name."""
    shown = []
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        names = [str(name) for name in table.value.columns]
        visible = []
        for name in names:
            column = config.get(name, {})
            if column.get("hidden"):
                continue
            visible.append(column.get("label") or name)
        shown.append(visible)
    return shown


def raw_names(at: AppTest) -> list[str]:
    """Headers that are column names (identifiers), not labels."""
    found = []
    for table, columns in zip(at.dataframe, headers(at), strict=True):
        names = {str(name) for name in table.value.columns}
        found += [h for h in columns if h in names and IDENTIFIER.match(h)]
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_table_header_is_a_label(
    bank: Path, monkeypatch: pytest.MonkeyPatch, page: str, lang: str
) -> None:
    monkeypatch.setenv("COLLECTIONS_DB", str(bank))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["user"] = ADMIN
    at.query_params["lang"] = lang
    for key, value in PARAMS.get(page, {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    raw = raw_names(at)
    assert raw == [], f"{page} ({lang}) shows raw column names: {raw}"
    if page not in ("glossary",):
        assert at.dataframe, f"{page} shows no table to check"
