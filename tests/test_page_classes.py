"""Each class of issue 15 across the pages, under AppTest, on hand-made banks:

- a bank whose data runs past a month end shows that month on every page (and says how fresh
  its data is);
- an alert with one month chosen takes its baseline from before that month, and does not fire
  without one;
- a recommended time to call is never a slot a rule set in force forbids, and says which rule
  sets it respected;
- text from a link, a file or a user is shown as text: never a link, never an image;
- a second champion/challenger experiment over the same accounts is warned about, and a started
  one shows at once; a work-queue row opens its account.

The bank past a month end is the dashboard bank a day into March (dashboard_bank.py's
NEXT_MONTH_FILES: month ends Jan 31 and Feb 29, payments to Mar 1) with, on Mar 1, a day the
bank's holidays file declares a public holiday (its name an attack), and on it:

    attempt  account  agent  when (Shanghai)     channel  party  outcome     breaks
    k7       A3       AG2    Fri 1 Mar 23:30     call     none   no_answer   bank.non_working_day,
                                                                              china.quiet_hours
    promise pr4: A3, made 1 Mar 10:00, 300.00 due 5 Mar, nothing paid: pending on Mar 1.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import TINY_FILES, rebuild_copy, write_inbox
from dashboard_bank import BREACH_FILES, DASHBOARD_FILES, NEXT_MONTH_FILES
from markdown_it import MarkdownIt
from rendered import shown
from streamlit.testing.v1 import AppTest

from warehouse.app.access import User
from warehouse.app.demo_mode import create_demo_warehouse
from warehouse.app.settings_versions import read_settings
from warehouse.app.store import AppStore
from warehouse.app.users import UsersFile
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader, copy_warehouse

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
MANAGER = User("demo-manager", "manager", "Demo manager")

EVIL = "x** [Your session expired](https://evil.example/login) ![t](https://evil.example/t.png)"
EVIL_ID = "x**[Session](https://evil.example/a)"
PAST_MONTH_END_FILES = {
    **NEXT_MONTH_FILES,
    "holidays_20240101.csv": f"date,kind,name\n2024-03-01,holiday,{EVIL}\n",
    "contacts_20240301.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,outcome\n"
        "k7,A3,AG2,call,2024-03-01 23:30:00,13700001111,none,no_answer\n"
    ),
    "promises_20240301.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "pr4,A3,,AG2,2024-03-01 10:00:00,2024-03-05,300.00\n"
    ),
    "accounts_20240301.csv": (
        "account_id,customer_id,national_id,customer_name,card_no,mobile,product,branch,"
        "open_date,credit_limit\n"
        f"{EVIL_ID},C9,110105199001019999,赵六,6225880212349999,13812349999,Gold,Shanghai,"
        "2021-01-01,1000\n"
    ),
}
COLLECTIONS_PAGES = ("today", "portfolio", "migration", "contacts", "promises", "compliance",
                     "accounts", "glossary")  # fmt: skip


def loaded(folder: Path, files: dict[str, str]) -> Path:
    db = folder / "warehouse.duckdb"
    create_demo_warehouse(db)  # the pages sign in as a demo user: only a demo warehouse allows it
    summary = load_inbox(write_inbox(folder / "inbox", files), db=db)
    assert summary.refused == 0, summary
    UsersFile(folder / "users.json").ensure_demo_users(db)
    return db


@pytest.fixture(scope="module")
def past_month_end(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded(tmp_path_factory.mktemp("past-month-end"), PAST_MONTH_END_FILES)


def open_page(db: Path, page: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    """The page as a link opens it, signed in as a manager."""
    monkeypatch.setenv("COLLECTIONS_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=180)
    app.session_state["user"] = MANAGER
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


def markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown text the page sent: titles, headings, captions, texts, alerts, metrics."""
    sources = [
        element.value
        for kind in (
            at.title,
            at.header,
            at.subheader,
            at.caption,
            at.markdown,
            at.warning,
            at.info,
            at.error,
            at.success,
        )  # fmt: skip
        for element in kind
    ]
    sources += [part for metric in at.metric for part in (metric.label, metric.value)]
    return [str(source) for source in sources]


# --- Today is visible ----------------------------------------------------------------------------


def test_the_month_so_far_is_on_the_slider_and_every_page_says_how_fresh_it_is(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "compliance", monkeypatch)
    months = at.select_slider(key="f_months")
    # March has no snapshot yet, but its contacts, payments and promises are there.
    assert months.options == ["Jan 2024", "Feb 2024", "Mar 2024 (so far)"]
    assert months.value == (date(2024, 1, 1), date(2024, 3, 1))
    for page in COLLECTIONS_PAGES:
        at = open_page(past_month_end, page, monkeypatch)
        assert "Data through 1 Mar 2024" in shown(at.caption[0].value), page
        # The server's file path is for the operator's pages only.
        assert str(past_month_end) not in " ".join(markdown_sources(at)), page
    at = open_page(past_month_end, "loads", monkeypatch)
    assert str(past_month_end) in shown(at.caption[0].value)


def test_this_months_breaches_are_listed_from_a_link(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "compliance", monkeypatch, **{"from": "2024-03"})
    assert at.select_slider(key="f_months").value == (date(2024, 3, 1), date(2024, 3, 1))
    # k7: the bank's non-working day (a public holiday) and China's quiet hours.
    assert cards(at)["Breaches"] == "2"
    assert cards(at)["Attempts in breach"] == "1"
    listed = at.dataframe[1].value
    assert sorted(listed["rule"]) == ["Non-working day", "Quiet hours (22:00–08:00)"]


def test_promises_due_this_week_are_pending_now(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "promises", monkeypatch)
    assert cards(at)["Pending now"] == "1"
    pending = next(t.value for t in at.dataframe if "promise_id" in t.value.columns)
    assert pending["promise_id"].tolist() == ["pr4"]
    assert float(pending["promised_amount"][0]) == 300.0


def test_the_portfolio_says_the_month_has_no_snapshot_yet(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "portfolio", monkeypatch)
    assert any(
        "No snapshot for Mar 2024 has arrived yet: the figures below are Feb 2024's"
        in shown(i.value)
        for i in at.info
    )
    assert at.subheader[0].value == "Feb 2024 at a glance"


def test_a_month_the_warehouse_does_not_hold_is_said_not_dropped(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "portfolio", monkeypatch, **{"from": "2030-01"})
    warned = " ".join(shown(w.value) for w in at.sidebar.warning)
    assert "The link asks for 2030-01, which this warehouse does not hold" in warned
    assert at.select_slider(key="f_months").value == (date(2024, 1, 1), date(2024, 3, 1))


def test_since_the_last_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Yesterday's load: the dashboard bank. Today's: Mar 1's files (test_page_marts.py's daily
    # bank tells the moves): A1 new in M1, A2 cured, A3 rolled back; k7 breaks two rules.
    db = loaded(tmp_path, DASHBOARD_FILES)
    header = (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,"
        "status\n"
    )
    load_inbox(
        write_inbox(
            tmp_path / "today",
            {
                "snapshots_20240301.csv": header + "2024-03-01,A1,5,1150.00,110.00,5,1,open\n"
                "2024-03-01,A3,20,3000.00,310.00,50,2,open\n",
                "contacts_20240301.csv": PAST_MONTH_END_FILES["contacts_20240301.csv"],
                "promises_20240301.csv": (
                    "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,"
                    "promised_amount\npr5,A1,,AG1,2024-03-01 09:00:00,2024-03-02,80.00\n"
                ),
            },
        ),
        db=db,
    )
    at = open_page(db, "today", monkeypatch)
    assert "What load 2 brought: business date 1 Mar 2024." in shown(at.caption[1].value)
    assert cards(at) == {
        "New delinquents": "1",
        "Cured": "1",
        "Rolled forward": "0",
        "Rolled back": "1",
        "Promises due 2024-03-02": "1",
        "New breaches": "2",
    }
    moves = at.dataframe[0].value
    assert moves[["account_id", "change"]].values.tolist() == [
        ["A1", "New delinquent"],
        ["A2", "Cured"],
        ["A3", "Rolled back"],
    ]
    # A row opens its account.
    at.session_state["today_changes_account"] = "A2"
    at.run()
    at.button(key="today_changes_open").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Account A2"


# --- Alerts against a baseline before the period ---------------------------------------------


@pytest.fixture(scope="module")
def breach_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded(tmp_path_factory.mktemp("breach-bank"), BREACH_FILES)


def spikes(at: AppTest) -> list[str]:
    return [shown(w.value) for w in at.warning if "breaches in" in shown(w.value)]


def test_one_month_chosen_without_a_baseline_raises_no_alert(
    breach_bank: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # February chosen alone. The baseline is the 3 months before it (Nov to Jan): the warehouse
    # holds contacts for January only, so there is no baseline and nothing fires (a baseline
    # taken inside the filter would be 0.0 and everything would).
    at = open_page(breach_bank, "compliance", monkeypatch, **{"from": "2024-02", "to": "2024-02"})
    assert cards(at)["Breaches"] == "10"
    assert spikes(at) == []


def test_one_month_chosen_compares_with_the_months_before_it(
    breach_bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A one-month baseline and a low floor: February against January, which is held. AG2 broke
    # 1 rule in January (b5) and 5 in February (b3; b4 four rules): 5 >= 2 x 1.0, fires. AG1
    # none in January, 4 in February (b1 two rules, b2, b8): a spike from nothing.
    db = rebuild_copy(
        breach_bank,
        tmp_path / "warehouse.duckdb",
        "UPDATE settings.alert_thresholds SET value = 1 "
        "WHERE threshold = 'breach_spike_baseline_months'",
        "UPDATE settings.alert_thresholds SET value = 2 "
        "WHERE threshold = 'breach_spike_min_breaches'",
    )
    UsersFile(tmp_path / "users.json").ensure_demo_users(db)
    at = open_page(db, "compliance", monkeypatch, **{"from": "2024-02", "to": "2024-02"})
    fired = spikes(at)
    assert (
        "AG2: 5 breaches in Feb 2024, at least 2× the average of 1.0 a month over the 1 months "
        "before." in fired
    )
    assert (
        "AG1: 4 breaches in Feb 2024, none in the 1 months before (baseline 0.0 a month)." in fired
    )


# --- A recommended slot is one the rules allow -----------------------------------------------


SUNDAY_CALLS = {
    **DASHBOARD_FILES,
    # Sun 11 Feb 2024 20:00: three calls, every one answered by the debtor (100% RPC), against
    # the bank's own rule that nobody is called on a weekend.
    "contacts_20240211.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,outcome\n"
        "s1,A2,AG1,call,2024-02-11 20:00:00,13987654321,debtor,right_party\n"
        "s2,A3,AG2,call,2024-02-11 20:10:00,13700001111,debtor,right_party\n"
        "s3,A1,AG1,call,2024-02-11 20:20:00,13812345678,debtor,right_party\n"
    ),
}


@pytest.fixture(scope="module")
def sunday_calls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bank with Sunday calls, loaded once; its tests read it or rebuild a copy of it."""
    return loaded(tmp_path_factory.mktemp("sunday-calls"), SUNDAY_CALLS)


def test_a_slot_a_rule_forbids_is_never_recommended(
    sunday_calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(sunday_calls, "contacts", monkeypatch)
    best = next(shown(c.value) for c in at.caption if "Best slot" in shown(c.value))
    # Sunday 20:00 answers best (3 of 3) but the bank forbids weekend calls: the best allowed
    # slots, Mon 10:00 (k1, k2) and Tue 11:00 (k4), all answered; Mon has more attempts.
    assert best.startswith("Best slot: Mon 10:00, RPC rate 100.0% over 2 attempts.")
    assert "Sun" not in best
    assert best.endswith(
        "Only slots that the rule sets in force allow are recommended "
        "(Bank procedure, China collection rules, US Regulation F)."
    )
    # The heat map greys the forbidden slots, each naming the rule that forbids it.
    heat = [c for c in at.get("plotly_chart") if "bank.non_working_day" in c.proto.spec]
    assert heat


def test_recommendations_follow_the_rule_sets_in_force(
    sunday_calls: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the bank's procedure switched off, Sunday 20:00 is allowed (China's 08-22 and
    # Regulation F's 08-21 hold): it is recommended, and the caption says whose rules.
    db = rebuild_copy(
        sunday_calls,
        tmp_path / "no-bank.duckdb",
        "UPDATE settings.compliance_rule_sets SET in_force = false WHERE rule_set = 'bank'",
    )
    UsersFile(tmp_path / "users.json").ensure_demo_users(db)
    at = open_page(db, "contacts", monkeypatch)
    best = next(shown(c.value) for c in at.caption if "Best slot" in shown(c.value))
    assert best.startswith("Best slot: Sun 20:00, RPC rate 100.0% over 3 attempts.")
    assert "(China collection rules, US Regulation F)" in best


# --- Text from a link or a file is text ---------------------------------------------------------


def no_link_and_no_image(sources: list[str]) -> None:
    renderer = MarkdownIt("commonmark").enable("strikethrough")
    for source in sources:
        html = renderer.render(source)
        assert "<a " not in html and "<img" not in html, source
        assert "://" not in source, source  # escaped as \:\/\/ : no autolink either


def test_a_shared_link_renders_no_link_and_no_image(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "accounts", monkeypatch, account=EVIL)
    sources = markdown_sources(at)
    no_link_and_no_image(sources)
    # The text itself is shown, as text.
    assert any(f"No account matches “{EVIL}”." in shown(s) for s in sources)
    # Searching for it shows it as typed, too.
    at.text_input(key="account_search").input(EVIL).run()
    no_link_and_no_image(markdown_sources(at))


def test_an_account_id_and_a_holiday_name_from_the_files_stay_text(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "accounts", monkeypatch, account=EVIL_ID)
    assert shown(at.subheader[0].value) == f"Account {EVIL_ID}"
    no_link_and_no_image(markdown_sources(at))
    # k7 fell on the holiday named EVIL: the breach's detail names it, as text.
    at = open_page(past_month_end, "compliance", monkeypatch, **{"from": "2024-03"}, breach="k7")
    details = " ".join(shown(m.value) for m in at.markdown)
    assert f"public holiday ({EVIL})" in details
    no_link_and_no_image(markdown_sources(at))


MARKDOWN_CALLS = {"markdown", "caption", "write", "info", "warning", "error", "success",
                  "title", "header", "subheader", "metric", "button", "toast"}  # fmt: skip
SAFE_CALLS = {"t", "escape", "glossary_help", "message", "money", "count", "percent", "points",
              "month", "long_day", "day", "timestamp", "seconds", "join"}  # fmt: skip
# Not the dashboard's Streamlit calls (a zip archive's write), and the lines another engineer
# owns: the SQL workbench page, and the work queue's export button (its permission error).
NOT_MARKDOWN_RECEIVERS = {"archive"}
OWNED_ELSEWHERE = {"dashboard/app_pages/sql_workbench.py", "dashboard/app_pages/work_queue.py:94"}


def unsafe_parts(node: ast.AST) -> list[ast.AST]:
    """Parts of a Markdown argument that put data in unescaped: a subscript (`row["x"]`), a
    `str()` of anything, an f-string value that is not escaped or a catalogue text."""
    if isinstance(node, ast.Constant):
        return []
    if isinstance(node, ast.JoinedStr):
        found: list[ast.AST] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                found += unsafe_parts(value.value)
        return found
    if isinstance(node, ast.BinOp):
        return unsafe_parts(node.left) + unsafe_parts(node.right)
    if isinstance(node, ast.IfExp):
        return unsafe_parts(node.body) + unsafe_parts(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [part for value in node.values for part in unsafe_parts(value)]
    if isinstance(node, ast.Call):
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name == "join":  # "\n".join(<generator>): what it joins must be safe
            return [part for arg in node.args for part in unsafe_parts(arg)]
        return [] if name in SAFE_CALLS else [node]
    if isinstance(node, ast.GeneratorExp | ast.ListComp):
        return unsafe_parts(node.elt)
    if isinstance(node, ast.Subscript):
        return [node]
    return []  # a name: built from the above in the page (checked where it is built)


def test_pages_never_hand_data_to_markdown_unescaped() -> None:
    offending = []
    for source in sorted((ROOT / "dashboard").rglob("*.py")):
        name = str(source.relative_to(ROOT))
        if name in OWNED_ELSEWHERE:
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MARKDOWN_CALLS
                and getattr(node.func.value, "id", None) not in NOT_MARKDOWN_RECEIVERS
            ):
                continue
            for arg in node.args[:2]:
                for part in unsafe_parts(arg):
                    offending.append(f"{name}:{part.lineno}")
    assert [place for place in offending if place not in OWNED_ELSEWHERE] == []


def test_every_value_substituted_into_a_text_is_escaped() -> None:
    from dashboard.i18n import escape, t

    assert shown(escape(EVIL)) == EVIL
    rendered = MarkdownIt("commonmark").render(t("accounts.not_found", text=EVIL))
    assert "<a " not in rendered and "<img" not in rendered
    # Streamlit's own Markdown directives and math are text too.
    assert not re.search(r"(?<!\\):red\[", escape(":red[boo] $x$"))


# --- Champion / challenger and the work queue -----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bank in a demo warehouse, loaded once; `tiny_demo_copy` gives each test its own."""
    return loaded(tmp_path_factory.mktemp("tiny-demo"), TINY_FILES)


@pytest.fixture
def tiny_demo_copy(tiny_demo: Path, tmp_path: Path) -> Path:
    db = copy_warehouse(tiny_demo, tmp_path / "warehouse.duckdb")  # a demo still (its marker)
    UsersFile(tmp_path / "users.json").ensure_demo_users(db)
    return db


def test_a_second_experiment_over_the_same_accounts_is_warned_about(
    tiny_demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tiny_demo_copy
    con = connect_reader(db)
    settings = read_settings(con)
    con.close()
    store = AppStore.beside(db)
    store.ensure_baseline(settings)
    store.save_settings(MANAGER, settings, reason="challenger copy", based_on=1)
    at = open_page(db, "champion_challenger", monkeypatch)
    assert any("No experiment yet" in shown(i.value) for i in at.info)
    at.selectbox(key="cc_challenger").set_value(1)
    at.button(key="cc_assign").click().run()
    assert not at.exception
    # Started, and shown at once: no "No experiment yet" until a reload.
    assert not any("No experiment yet" in shown(i.value) for i in at.info)
    assert any("Experiment #1 started" in shown(s.value) for s in at.success)
    assert at.selectbox(key="cc_experiment").value.experiment_id == 1
    # A second one over the same accounts: warned, and only on purpose.
    assert any("is still running over the same delinquent accounts" in shown(w.value)
               for w in at.warning)  # fmt: skip
    assert at.button(key="cc_assign").disabled
    at.checkbox(key="cc_overlap_ok").check().run()
    assert not at.button(key="cc_assign").disabled


def test_a_work_queue_row_opens_its_account(
    tiny_demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tiny_demo_copy
    at = open_page(db, "work_queue", monkeypatch)
    queue = at.dataframe[0].value
    assert set(queue["account_id"]) == {"A2", "A3"}
    at.session_state["wq_account"] = "A3"
    at.run()
    at.button(key="wq_open_account").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Account A3"


# --- Migration: the worst-rolling buckets, and the trend opens on a delinquent bucket ---------


def test_worst_rolling_buckets_are_ranked_and_the_trend_opens_on_m1(
    past_month_end: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(past_month_end, "migration", monkeypatch)
    # Jan -> Feb: A2 M1 -> M2 and A3 M2 -> M3 both rolled forward (100%); Current is not a
    # delinquent bucket and is not ranked.
    worst = next(t.value for t in at.dataframe if "rolled_forward" in t.value.columns)
    # Ties at 100%: the order is by rate, then accounts (both 1): either bucket may lead.
    assert sorted(worst[["bucket", "accounts", "rolled_forward"]].values.tolist()) == [
        ["M1", 1, 1],
        ["M2", 1, 1],
    ]
    assert list(worst["roll_forward_rate"]) == [1.0, 1.0]
    assert at.selectbox(key="mig_bucket").value == "M1"
    assert any("Mar 2024 is not complete yet" in shown(c.value) for c in at.caption)


# --- The operator's view: what changed first, a refusal said once, reasons in the terminal ----


def test_a_refused_file_is_reported_once_and_the_terminal_names_the_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import warehouse.cli
    from warehouse.cli import app as cli

    # The command's console is made once per process: wide enough that no cell folds, whatever
    # width the process started with (COLUMNS below reaches only a console made afterwards).
    monkeypatch.setattr(warehouse.cli.console, "width", 240)
    files = {
        **TINY_FILES,
        "accounts_20240305.csv": "account_id,customer_id\nA1,C1\n",  # required columns missing
        "snapshots_20240304.csv": (
            "as_of_date,account_id,statement_day,balance,min_due,days_past_due,"
            "cycles_delinquent,status\n2024-03-04,A1,5,lots,1,0,0,open\n"
        ),
    }
    inbox = write_inbox(tmp_path / "inbox", files)
    db = tmp_path / "warehouse.duckdb"
    create_demo_warehouse(db)
    runner = CliRunner()
    first = runner.invoke(cli, ["load", str(inbox), "--db", str(db)], env={"COLUMNS": "240"})
    assert first.exit_code == 1  # a file was refused
    # The file's top quarantine reason, with its count, in the terminal's table.
    assert "1 x balance: 'lots' is not an" in first.output
    again = runner.invoke(cli, ["load", str(inbox), "--db", str(db)], env={"COLUMNS": "240"})
    assert "refused again, unchanged since an earlier load (first refused in load 1)" in (
        " ".join(again.output.split())
    )
    assert "accounts_20240305.csv: required column" not in again.output
    UsersFile(tmp_path / "users.json").ensure_demo_users(db)
    at = open_page(db, "loads", monkeypatch)
    assert any(
        "1 file(s) refused again, unchanged since load 1 refused them" in shown(c.value)
        for c in at.caption
    )
    assert not at.error  # no second list of the same refusal
    # The load's files: what it changed first (nothing here), then what it refused.
    at.selectbox(key="load").set_value(1).run()
    files_of_load = at.dataframe[1].value
    assert list(files_of_load["status"])[:2] == ["Landed", "Landed"]
    assert any("required column(s) missing" in shown(e.value) for e in at.error)
