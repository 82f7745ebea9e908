"""The morning briefing (`collections report`): self-contained HTML and a PDF, in either language,
with the same figures as the pages, checked cell by cell on a hand-made bank.

The bank: yesterday the dashboard bank (tests/dashboard_bank.py), today Mar 1's files, as in
test_page_classes.py: A1 new in M1 (5 dpd, ¥1,150.00), A2 cured (missing from the file of
delinquents, ¥2,100.00 the day before), A3 rolled back from M3 to M2 (¥3,000.00); k7 at 23:30
on a Friday breaks the bank's calling hours and China's quiet hours; pr5 (A1, ¥80.00) is due
on Mar 2, the morning after the data's latest business date.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import write_inbox
from dashboard_bank import DASHBOARD_FILES
from rendered import shown
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from warehouse.app import report
from warehouse.app.access import User
from warehouse.app.demo_mode import create_demo_warehouse
from warehouse.app.users import UsersFile
from warehouse.cli import app as cli
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
HEADER = (
    "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
)
TODAY = {
    "snapshots_20240301.csv": HEADER
    + "2024-03-01,A1,5,1150.00,110.00,5,1,open\n2024-03-01,A3,20,3000.00,310.00,50,2,open\n",
    "contacts_20240301.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,outcome\n"
        "k7,A3,AG2,call,2024-03-01 23:30:00,13700001111,none,no_answer\n"
    ),
    "promises_20240301.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "pr5,A1,,AG1,2024-03-01 09:00:00,2024-03-02,80.00\n"
    ),
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-bank")
    db = folder / "warehouse.duckdb"
    create_demo_warehouse(db)  # the pages sign in as a demo user
    load_inbox(write_inbox(folder / "yesterday", DASHBOARD_FILES), db=db)
    load_inbox(write_inbox(folder / "today", TODAY), db=db)
    UsersFile(folder / "users.json").ensure_demo_users(db)
    return db


class Cells(HTMLParser):
    """The briefing's cards (label -> value) and tables (rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, str] = {}
        self.tables: list[list[list[str]]] = []
        self._class: list[str] = []
        self._label = ""
        self._text = ""
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._class.append(dict(attrs).get("class") or "")
        self._text = ""
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        kind = self._class.pop() if self._class else ""
        if kind == "label":
            self._label = self._text.strip()
        elif kind == "value":
            self.cards[self._label] = self._text.strip()
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(self._text.strip())
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        if tag in ("td", "th", "div"):
            self._text = ""

    def handle_data(self, data: str) -> None:
        self._text += data


def briefing_of(bank: Path, lang: str) -> tuple[str, Cells]:
    con = connect_reader(bank)
    try:
        page = report.render_html(report.gather(con), lang=lang)
    finally:
        con.close()
    cells = Cells()
    cells.feed(page)
    return page, cells


def test_the_briefing_cell_by_cell(bank: Path) -> None:
    page, cells = briefing_of(bank, "en")
    assert "Data through 1 Mar 2024" in html.unescape(page)
    # The book: the latest picture, March so far (Mar 1's file of delinquents: A1 5 dpd ¥1,150,
    # A3 50 dpd ¥3,000), whole book, as the Portfolio page shows it; 30+ = 3,000 / 4,150.
    assert "Mar 2024 (so far)" in html.unescape(page)
    assert cells.cards["Accounts"] == "2"
    assert cells.cards["Balance"] == "¥4,150.00"
    assert cells.cards["Delinquent balance (M1+)"] == "¥4,150.00"
    assert cells.cards["30+ ratio (balance)"] == "72.3%"
    # Since the last load.
    assert cells.cards["New delinquents"] == "1"
    assert cells.cards["Cured"] == "1"
    assert cells.cards["Rolled forward"] == "0"
    assert cells.cards["Rolled back"] == "1"
    assert cells.cards["Promises due 2024-03-02"] == "1"
    assert cells.cards["Promises broken"] == "0"
    assert cells.cards["New breaches"] == "2"
    moves, worst, due, breaches = cells.tables
    assert moves == [
        ["Account", "Change", "Bucket", "Balance"],
        ["A1", "New delinquent", "Current → M1", "¥1,150.00"],
        ["A2", "Cured", "M2 → Current", "¥2,100.00"],
        ["A3", "Rolled back", "M3 → M2", "¥3,000.00"],
    ]
    # Roll-forwards Jan -> Feb (the latest complete pair): M1 (A2) and M2 (A3) both rolled.
    assert [row[:4] + row[5:] for row in worst] == [
        ["Bucket", "Accounts", "Accounts rolled forward", "Roll-forward rate", "Cure rate"],
        ["M1", "1", "1", "100.0%", "0.0%"],
        ["M2", "1", "1", "100.0%", "0.0%"],
    ]
    assert due == [
        ["Promise", "Account", "Agent", "Promised date", "Promised"],
        ["pr5", "A1", "Li", "2024-03-02", "¥80.00"],
    ]
    assert breaches[1:] == [
        ["Bank procedure", "Calling hours", "Wang", "A3", "2024-03-01 23:30 (Asia/Shanghai)"],
        ["China collection rules", "Quiet hours (22:00–08:00)", "Wang", "A3",
         "2024-03-01 23:30 (Asia/Shanghai)"],
    ]  # fmt: skip


def test_the_briefing_is_self_contained_and_in_chinese_too(bank: Path) -> None:
    page, cells = briefing_of(bank, "zh")
    assert "数据截至2024年3月1日" in html.unescape(page)
    assert cells.cards["新增逾期"] == "1" and cells.cards["新增违规"] == "2"
    assert cells.tables[0][1] == ["A1", "新增逾期", "正常 → M1", "¥1,150.00"]
    # Nothing is fetched from anywhere: no script, no link, no remote image or font.
    lowered = page.lower()
    assert "<script" not in lowered and "<link" not in lowered
    assert "http://" not in lowered and "https://" not in lowered


def test_same_figures_as_the_pages(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, cells = briefing_of(bank, "en")
    monkeypatch.setenv("COLLECTIONS_DB", str(bank))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["user"] = User("demo-manager", "manager")
    at.run()
    page = {shown(m.label): shown(m.value) for m in at.metric}
    for label in ("New delinquents", "Cured", "Rolled forward", "Rolled back", "New breaches",
                  "Promises due 2024-03-02"):  # fmt: skip
        assert page[label] == cells.cards[label], label
    at.switch_page("app_pages/portfolio.py").run()
    assert not at.exception
    book = {shown(m.label): shown(m.value) for m in at.metric}
    for label in ("Accounts", "Balance", "Delinquent balance (M1+)", "30+ ratio (balance)",
                  "60+ ratio (balance)", "90+ ratio (balance)"):  # fmt: skip
        assert book[label] == cells.cards[label], label


def test_collections_report_writes_html_and_pdf_in_both_languages(
    bank: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["report", "--out", str(tmp_path), "--db", str(bank), "--lang", "both"]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "briefing_2024-03-01.en.html",
        "briefing_2024-03-01.en.pdf",
        "briefing_2024-03-01.zh.html",
        "briefing_2024-03-01.zh.pdf",
    ]
    for name in ("briefing_2024-03-01.en.pdf", "briefing_2024-03-01.zh.pdf"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 5_000
    bad = CliRunner().invoke(cli, ["report", "--out", str(tmp_path), "--db", str(bank),
                                   "--lang", "fr"])  # fmt: skip
    assert bad.exit_code == 2


def test_values_from_the_files_are_text_in_the_briefing() -> None:
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from warehouse.app import briefing

    evil = "<a href='https://evil.example'>x</a><img src=https://evil.example/t.png>"
    changes = pl.DataFrame(
        {"as_of_date": [date(2024, 3, 1)], "account_id": [evil], "change": ["cure"],
         "from_bucket": ["M1"], "to_bucket": ["Current"], "balance": [Decimal("1.00")]},
    )  # fmt: skip
    empty = pl.DataFrame(schema={"promised_amount": pl.Decimal(18, 2)})
    figures = report.Briefing(
        window=briefing.Window(date(2024, 3, 1), date(2024, 3, 1), 1, date(2024, 3, 1)),
        changes=changes,
        counted=briefing.change_counts(changes),
        due=empty,
        broken=empty,
        breaches=pl.DataFrame(),
        book=None,
        worst=pl.DataFrame(),
        quality=briefing.Quality(None, 0, 0, 0, 0),
        bank_timezone="Asia/Shanghai",
    )
    page = report.render_html(figures, lang="en")
    assert "<a " not in page and "<img" not in page
    assert html.escape(evil, quote=False) in page
