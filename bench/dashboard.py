"""Dashboard benchmark (not a test): each page's server-side time and its time to rendered.

    .venv/bin/python bench/dashboard.py --db /tmp/marts1m/warehouse.duckdb [--runs 5] [--copy]

For every page of the dashboard, in both measurements a page is opened with the view a manager
would open (the latest months, a matrix cell, a breach, one account):

1. **server side** (Streamlit's AppTest, in this process): the page's script run, first (cold:
   nothing cached for this warehouse version) and then `--runs` more (warm: the cache keyed on
   the published version answers); prints the cold time and the warm p50.
2. **to rendered** in headless Chromium (Debian's `chromium`, fresh `--user-data-dir`, the
   flags of the browser tests): from navigation until the script has finished
   (`data-test-script-state="notRunning"`) and every Plotly chart has drawn its SVG; first visit
   and p50 of `--runs` more, each in a fresh tab.

Targets (issue 5): p50 <= 300 ms server side and <= 2 s to rendered for every page.

The warehouse is opened read-only. One published before the dashboard's views (sql/5xx) lacks
them until its next load: its pages then run without alerts, matrix-cell lists and timelines.
So that those are measured too, the bench times the views' own queries on it (the account
timeline of one account, the accounts of one matrix cell), defining the views in memory over
the read-only file. `--copy` instead copies the warehouse to a temporary folder and adds the
views there, as the next load would (needs free disk for the whole file).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from warehouse import marts  # noqa: E402
from warehouse.storage import connect_reader, connect_writer  # noqa: E402

APP = str(ROOT / "dashboard" / "app.py")
RENDERED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const plots = document.querySelectorAll('.js-plotly-plot');
    return Array.from(plots).every(p => p.querySelector('.main-svg'));
}"""


# The models the dashboard added (a warehouse published before them lacks them until its next load).
DASHBOARD_MODELS = ("mart.account_timeline", "mart.account_migration", "settings.alert_thresholds")


def dashboard_views_missing(db: Path) -> list[str]:
    con = connect_reader(db)
    try:
        names = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
            ).fetchall()
        }
    finally:
        con.close()
    return [name for name in DASHBOARD_MODELS if name not in names]


def add_dashboard_views(db: Path) -> None:
    """Run the dashboard's own models (views and a settings table; no mart is rebuilt)."""
    con = connect_writer(db)
    try:
        for model in marts.models():
            if model.name in DASHBOARD_MODELS:
                con.execute(model.sql)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def time_dashboard_views(db: Path, views: dict[str, str], runs: int) -> None:
    """The queries behind a timeline and a matrix cell, on views defined in memory over `db`."""
    con = connect_reader(db)
    try:
        con.execute("CREATE SCHEMA memory.dash")
        for model in marts.models():
            if model.name not in DASHBOARD_MODELS or model.is_settings:
                continue
            sql = re.sub(r"\b(mart|core|raw|settings)\.", r"wh.\1.", model.sql)
            sql = sql.replace(
                f"VIEW wh.{model.name}", f"VIEW memory.dash.{model.name.split('.')[1]}"
            )
            con.execute(sql)
        month = con.execute("SELECT max(month) FROM wh.mart.bucket_migration").fetchone()[0]
        checks = {
            "account timeline (one account)": (
                "SELECT * FROM memory.dash.account_timeline WHERE account_id = ? "
                "ORDER BY event_date, event_at NULLS FIRST, kind, reference LIMIT 100001",
                [views["account"]],
            ),
            "matrix cell accounts (M1 -> M2)": (
                "SELECT account_id, balance, to_balance FROM memory.dash.account_migration "
                "WHERE month = ? AND from_bucket = 'M1' AND to_bucket = 'M2' "
                "ORDER BY balance DESC NULLS LAST, account_id LIMIT 1001",
                [month],
            ),
        }
        for label, (sql, params) in checks.items():
            times = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                rows = len(con.execute(sql, params).fetchall())
                times.append(time.perf_counter() - started)
            print(
                f"  view    {label:<32} first {times[0] * 1000:7.0f} ms   p50 "
                f"{statistics.median(times[1:]) * 1000:7.0f} ms   ({rows:,} rows)",
                flush=True,
            )
    finally:
        con.close()


def sample_view(db: Path) -> dict[str, str]:
    """Query parameters for the views a manager opens: a busy matrix cell, the newest breach,
    an account with a story."""
    con = connect_reader(db)
    try:
        breach = con.execute(
            "SELECT attempt_id, account_id FROM mart.compliance_breaches "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        account = (
            breach[1]
            if breach
            else con.execute("SELECT account_id FROM core.accounts LIMIT 1").fetchone()[0]
        )
    finally:
        con.close()
    views = {"account": account, "mig_from": "M1", "mig_to": "M2"}
    if breach:
        views["breach"] = breach[0]
    return views


PAGES: dict[str, tuple[str, tuple[str, ...]]] = {  # page: (script, its parameters)
    "portfolio": ("app_pages/portfolio.py", ()),
    "migration": ("app_pages/migration.py", ("mig_from", "mig_to")),
    "contacts": ("app_pages/contacts.py", ()),
    "promises": ("app_pages/promises.py", ()),
    "compliance": ("app_pages/compliance.py", ("breach",)),
    "accounts": ("app_pages/accounts.py", ("account",)),
    "loads": ("app_pages/loads.py", ()),
    "data-quality": ("app_pages/data_quality.py", ()),
}
URLS = {
    "portfolio": "/",
    "migration": "/migration",
    "contacts": "/contacts",
    "promises": "/promises",
    "compliance": "/compliance",
    "accounts": "/accounts",
    "loads": "/loads",
    "data-quality": "/data-quality",
}


def server_side(db: Path, views: dict[str, str], runs: int) -> dict[str, tuple[float, float]]:
    """(cold seconds, warm p50 seconds) per page, AppTest in this process."""
    from streamlit.testing.v1 import AppTest

    os.environ["COLLECTIONS_DB"] = str(db)
    results: dict[str, tuple[float, float]] = {}
    for name, (script, params) in PAGES.items():
        at = AppTest.from_file(APP, default_timeout=600)
        for param in params:
            if param in views:
                at.query_params[param] = views[param]
        at.run()  # the router's first run (the Portfolio page, the shared filters)
        started = time.perf_counter()
        at.switch_page(script).run()
        cold = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{name}: {at.exception[0].value}")
        warm = []
        for _ in range(runs):
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        results[name] = (cold, statistics.median(warm))
        print(
            f"  server  {name:<13} cold {cold * 1000:8.0f} ms   warm p50 "
            f"{statistics.median(warm) * 1000:8.0f} ms",
            flush=True,
        )
    return results


@contextmanager
def browser() -> Iterator[object]:
    from browser_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1440, "height": 1000},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def to_rendered(db: Path, views: dict[str, str], runs: int) -> dict[str, tuple[float, float]]:
    """(first visit seconds, p50 seconds of the next visits) per page, headless Chromium."""
    from urllib.parse import urlencode

    from browser_support import EXCEPTION, serve_dashboard

    results: dict[str, tuple[float, float]] = {}
    logs = tempfile.TemporaryDirectory(prefix="bench-streamlit-")
    log = Path(logs.name) / "streamlit.log"
    with logs, serve_dashboard(db, log, startup_timeout=120) as server, browser() as context:
        for name, (_, params) in PAGES.items():
            query = urlencode({p: views[p] for p in params if p in views})
            url = f"{server.url}{URLS[name]}" + (f"?{query}" if query else "")
            times = []
            for _ in range(runs + 1):
                page = context.new_page()  # type: ignore[attr-defined]
                started = time.perf_counter()
                page.goto(url, wait_until="domcontentloaded")
                page.wait_for_function(RENDERED, timeout=600_000, polling=50)
                times.append(time.perf_counter() - started)
                if page.locator(EXCEPTION).count():
                    raise RuntimeError(f"{name}: {page.locator(EXCEPTION).first.inner_text()}")
                page.close()
            results[name] = (times[0], statistics.median(times[1:]))
            print(
                f"  browser {name:<13} first {times[0] * 1000:7.0f} ms   p50 "
                f"{statistics.median(times[1:]) * 1000:8.0f} ms",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a published warehouse")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per page (p50 of them)")
    parser.add_argument("--copy", action="store_true", help="add missing sql/5xx views to a copy")
    parser.add_argument("--no-browser", action="store_true", help="server-side times only")
    args = parser.parse_args()

    db: Path = args.db.resolve()
    missing = dashboard_views_missing(db)
    workdir = None
    try:
        if missing and args.copy:
            workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
            copy = workdir / "warehouse.duckdb"
            started = time.perf_counter()
            shutil.copy(db, copy)
            add_dashboard_views(copy)
            print(
                f"copied {db} to {copy}, added {missing} in {time.perf_counter() - started:.0f} s"
            )
            db, missing = copy, []
        views = sample_view(db)
        con = connect_reader(db)
        accounts, months = con.execute(
            "SELECT count(DISTINCT account_id), count(DISTINCT month) FROM mart.account_month"
        ).fetchone()
        con.close()
        print(f"warehouse {args.db}: {accounts:,} accounts x {months} months; views {views}")
        if missing:
            print(f"  (published before {missing}: those are timed as queries below)")
            time_dashboard_views(db, views, args.runs)
        server = server_side(db, views, args.runs)
        rendered = {} if args.no_browser else to_rendered(db, views, args.runs)
        print(
            "\n| page | server cold (ms) | server warm p50 (ms) | rendered first (ms) | "
            "rendered p50 (ms) |"
        )
        print("|---|---:|---:|---:|---:|")
        for name in PAGES:
            cold, warm = server[name]
            first, p50 = rendered.get(name, (float("nan"), float("nan")))
            print(
                f"| {name} | {cold * 1000:.0f} | {warm * 1000:.0f} | {first * 1000:.0f} | "
                f"{p50 * 1000:.0f} |"
            )
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
