"""`collections`: the command line of the collections warehouse.

Every command that touches the warehouse takes `--db`; without it `COLLECTIONS_DB`, else
`data/warehouse.duckdb`. Exit status: 0 all good, 1 when a file was refused (or a check
failed), 2 for a usage error.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from warehouse.config import PROJECT_ROOT, warehouse_path

if TYPE_CHECKING:
    import duckdb

app = typer.Typer(
    help=(
        "Credit-card collections warehouse: generate a demo bank, land a bank's daily extract "
        "files into DuckDB (masked, checked, exactly once) and serve the dashboard.\n\n"
        "Typical first run:  collections demo   (generate + load + serve)."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Warehouse file. Default: $COLLECTIONS_DB, else data/warehouse.duckdb.",
        show_default=False,
    ),
]


def _setup_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("COLLECTIONS_LOG_LEVEL", "INFO"),
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM, got {value!r}") from None


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        transient=False,
    )


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the extract files into (an inbox).")
    ],
    accounts: Annotated[int, typer.Option(min=10, help="Accounts open at the start.")] = 5000,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 7,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2024-11",
    file_format: Annotated[str, typer.Option("--format", help="csv, csv.gz or parquet.")] = "csv",
    then_days: Annotated[
        int,
        typer.Option(
            "--then-days",
            min=0,
            help="Then simulate this many more calendar days, each into DAYS_OUT/<YYYYMMDD>/.",
        ),
    ] = 0,
    days_out: Annotated[
        Path | None,
        typer.Option(
            "--days-out", help="Folder for the following days' inboxes (with --then-days)."
        ),
    ] = None,
) -> None:
    """Write a synthetic bank's daily extracts (accounts, snapshots, payments, contacts, ...)."""
    from warehouse.demo import generate_bank

    if file_format not in ("csv", "csv.gz", "parquet"):
        raise typer.BadParameter("--format must be csv, csv.gz or parquet")
    if then_days and days_out is None:
        raise typer.BadParameter("--then-days needs --days-out, the folder for the days' inboxes")
    first = _month(start)
    with _progress() as bar:
        task = bar.add_task("generating", total=months, current="")

        def report(label: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, current=label)

        summary = generate_bank(
            out,
            accounts=accounts,
            months=months,
            seed=seed,
            start=first,
            file_format=file_format,
            progress=report,
            then_days=then_days,
            days_out=days_out,
        )
    table = Table(title=f"Demo bank in {out}")
    table.add_column("extract")
    table.add_column("rows", justify="right")
    for extract, rows in summary.rows_by_extract.items():
        table.add_row(extract, f"{rows:,}")
    table.add_row("[bold]files", f"[bold]{summary.files:,}")
    console.print(table)
    if summary.following_days:
        days = Table(title=f"Following days in {days_out}")
        days.add_column("business date", no_wrap=True)
        days.add_column("files", justify="right")
        days.add_column("rows", justify="right")
        days.add_column("rows by extract")
        for day in summary.following_days:
            by_extract = ", ".join(f"{e} {n:,}" for e, n in day.rows_by_extract.items() if n)
            days.add_row(
                f"{day.business_date:%Y-%m-%d}",
                f"{day.files:,}",
                f"{sum(day.rows_by_extract.values()):,}",
                by_extract,
            )
        console.print(days)


@app.command()
def load(
    inbox: Annotated[
        Path,
        typer.Argument(help="Folder of extract files: <extract>_<YYYYMMDD>.csv|.csv.gz|.parquet"),
    ],
    db: DbOption = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files, e.g. gbk.")] = "utf-8",
    no_checks: Annotated[
        bool,
        typer.Option(
            "--no-checks",
            help=(
                "Skip the data-quality checks (benchmarks, emergencies); "
                "the run is recorded as skipped."
            ),
        ),
    ] = False,
) -> None:
    """Land every file of INBOX into the warehouse, then publish it atomically.

    Bad rows are quarantined (ops.quarantine) and the rest of their file lands; a file that
    cannot be read, misses a required column or is empty is refused whole (exit status 1).
    Loading the same file again changes nothing; a corrected file replaces its date's rows.
    Every batch and then the whole warehouse run through the data-quality checks: a file that
    fails an `error` expectation is refused (exit status 1); an `error` on the warehouse as a
    whole publishes nothing (exit status 1); `warn` failures are published and flagged.
    """
    from checks import ChecksFailed
    from warehouse.jobs.load import load_inbox
    from warehouse.storage.publication import LoadInProgress

    _setup_logging()
    if not inbox.is_dir():
        console.print(f"[red]inbox {inbox} is not a folder")
        raise typer.Exit(2)
    target = warehouse_path(db)
    try:
        with _progress() as bar:
            task = bar.add_task("loading", total=None, current="")

            def report(label: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, current=label)

            summary = load_inbox(
                inbox, db=target, encoding=encoding, progress=report, run_checks=not no_checks
            )
    except LoadInProgress as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from None
    except ChecksFailed as exc:
        _print_dq_failures(exc.summary.failed, title="Data-quality expectations that failed")
        console.print(f"[red]{str(exc).splitlines()[0]}; the published warehouse is unchanged.")
        if exc.summary.docs_index:
            console.print(f"Data Docs: {exc.summary.docs_index}")
        raise typer.Exit(1) from None
    except LookupError as exc:  # an unknown --encoding
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from None

    published = _published_facts(target, summary.load_id)
    # A file refused before, unchanged since (same content), is said once, not on every load.
    again = [
        f
        for f in summary.files
        if f.status == "refused" and (f.file_name, f.sha256) in published.refused_before
    ]
    problems = [
        f
        for f in summary.files
        if (f.status == "refused" or f.rows_quarantined or f.status == "replaced")
        and f not in again
    ]
    if again:
        first = min(published.refused_before[(f.file_name, f.sha256)] for f in again)
        console.print(
            f"[yellow]{len(again):,} file(s) refused again, unchanged since an earlier load "
            f"(first refused in load {first}); ops.loaded_files has their reasons."
        )
    if problems:
        reasons = published.reasons
        detail = Table(title="Files that need a look")
        for column in ("file", "status", "quarantined", "top quarantine reasons", "message"):
            detail.add_column(column, overflow="fold")
        for f in problems[:50]:
            detail.add_row(
                f.file_name,
                f.status,
                f"{f.rows_quarantined:,}",
                reasons.get(f.file_name, ""),
                f.message,
            )
        if len(problems) > 50:
            detail.add_row(f"... {len(problems) - 50} more", "", "", "", "see ops.loaded_files")
        console.print(detail)
    table = Table(title=f"Load {summary.load_id} into {target}")
    for column in (
        "files",
        "landed",
        "replaced",
        "unchanged",
        "refused",
        "rows read",
        "rows landed",
        "rows quarantined",
        "seconds",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        f"{len(summary.files):,}",
        f"{summary.count('landed'):,}",
        f"{summary.count('replaced'):,}",
        f"{summary.count('unchanged'):,}",
        f"{summary.refused:,}",
        f"{summary.rows_read:,}",
        f"{summary.rows_landed:,}",
        f"{summary.rows_quarantined:,}",
        # The load's duration as ops.load_runs records it (the Loads page shows the same).
        f"{published.seconds if published.seconds is not None else summary.seconds:.1f}",
    )
    console.print(table)
    if summary.dq is None:
        console.print("[yellow]Data-quality checks skipped (--no-checks); recorded in dq.runs.")
    else:
        if summary.dq.failed:
            _print_dq_failures(summary.dq.failed, title="Data-quality expectations that failed")
        console.print(_dq_line(summary.dq))
    if summary.refused:
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Published:
    """What the warehouse just published says about a load, for its printed summary."""

    seconds: float | None = None  # finished_at - started_at of ops.load_runs
    reasons: dict[str, str] = field(default_factory=dict)  # file -> its top quarantine reasons
    # (file, sha256) refused by an earlier load -> the first such load
    refused_before: dict[tuple[str, str | None], int] = field(default_factory=dict)


def _published_facts(target: Path, load_id: int) -> _Published:
    """The load's duration, each file's top quarantine reasons and the files an earlier load
    already refused unchanged, read from the published warehouse (empty when the load's checks
    stopped the publication, or for an older warehouse)."""
    from warehouse.storage import connect_reader

    try:
        con = connect_reader(target)
    except FileNotFoundError:
        return _Published()
    try:
        rows = con.execute(
            "SELECT epoch(finished_at - started_at) FROM ops.load_runs WHERE load_id = ?",
            [load_id],
        ).fetchall()
        seconds = float(rows[0][0]) if rows and rows[0][0] is not None else None
        refused = con.execute(
            """
            SELECT file_name, sha256, min(load_id)
            FROM ops.loaded_files
            WHERE status = 'refused' AND load_id < ?
            GROUP BY file_name, sha256
            """,
            [load_id],
        ).fetchall()
        return _Published(
            seconds,
            _top_quarantine_reasons(con, load_id),
            {(name, sha): int(first) for name, sha, first in refused},
        )
    except Exception:  # an older warehouse without these columns: the summary as the load saw it
        return _Published()
    finally:
        con.close()


def _top_quarantine_reasons(
    con: duckdb.DuckDBPyConnection, load_id: int, *, per_file: int = 3
) -> dict[str, str]:
    """Per file of the load, its most frequent quarantine reasons with their row counts
    ("3 x balance: not a number; 1 x ...")."""
    rows = con.execute(
        """
        SELECT file_name, column_name, reason, rows FROM (
            SELECT
                file_name, column_name, reason, count(*) AS rows,
                row_number() OVER (PARTITION BY file_name ORDER BY count(*) DESC, reason) AS rank
            FROM ops.quarantine
            WHERE load_id = ?
            GROUP BY file_name, column_name, reason
        )
        WHERE rank <= ?
        ORDER BY file_name, rank
        """,
        [load_id, per_file],
    ).fetchall()
    found: dict[str, list[str]] = {}
    for file_name, column, reason, count in rows:
        where = f"{column}: " if column and not str(reason).startswith(f"{column}:") else ""
        found.setdefault(file_name, []).append(f"{count:,} x {where}{reason}")
    return {name: "; ".join(parts) for name, parts in found.items()}


def _print_dq_failures(failed: list, *, title: str) -> None:
    """Failed expectations, errors first (checks.store.Finding rows)."""
    if not failed:
        return
    ordered = sorted(
        failed, key=lambda f: (f.severity != "error", f.suite, f.expectation, f.file_name or "")
    )
    detail = Table(title=title)
    for column in ("severity", "suite", "expectation", "file or target", "observed", "sample"):
        detail.add_column(column, overflow="fold")
    for f in ordered[:40]:
        colour = "red" if f.severity == "error" else "yellow"
        detail.add_row(
            f"[{colour}]{f.severity}",
            f.suite,
            f.expectation,
            f.file_name or f.target,
            f.observed_value or "",
            (f.sample or "")[:160],
        )
    if len(ordered) > 40:
        detail.add_row("", f"... {len(ordered) - 40} more", "", "", "see dq.results", "")
    console.print(detail)


def _dq_line(dq) -> str:  # checks.RunSummary
    errors, warnings = len(dq.errors), len(dq.warnings)
    colour = {"passed": "green", "warned": "yellow"}.get(dq.status, "red")
    docs = f"; Data Docs: {dq.docs_index}" if dq.docs_index else ""
    return (
        f"[{colour}]Data quality run {dq.run_id}: {dq.status}[/] — {dq.expectations} expectations, "
        f"{errors} error and {warnings} warn finding(s), {dq.files_refused} file(s) refused"
        f" ({dq.seconds:.1f} s){docs}"
    )


@app.command()
def check(db: DbOption = None) -> None:
    """Re-run every data-quality suite on the published warehouse and publish the results.

    The landed-file suites run over the raw tables, then the warehouse-wide and mart suites.
    Results go to dq.runs / dq.results (published like a load) and Data Docs beside the
    warehouse. Exit status 1 when an `error` expectation fails, 0 otherwise (warnings included).
    """
    from warehouse.jobs.check import check_warehouse
    from warehouse.storage.publication import LoadInProgress

    _setup_logging()
    target = warehouse_path(db)
    if not target.exists():
        console.print(f"[red]no warehouse at {target}: run `collections load INBOX` first")
        raise typer.Exit(1)
    try:
        with console.status("checking data quality"):
            summary = check_warehouse(target)
    except LoadInProgress as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from None
    _print_dq_failures(summary.failed, title=f"Data-quality expectations that failed in {target}")
    console.print(_dq_line(summary))
    if summary.errors:
        raise typer.Exit(1)


@app.command()
def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port of the dashboard on localhost.")] = 8501,
    headless: Annotated[bool, typer.Option(help="Do not open a browser window.")] = False,
    demo_user: Annotated[
        str | None,
        typer.Option(
            "--demo-user",
            help="Open every session signed in as this user of users.json (demos only).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard (Streamlit) over the published warehouse, read-only."""
    target = warehouse_path(db).resolve()
    if not target.exists():
        console.print(
            f"[red]no warehouse at {target}: run `collections load INBOX` "
            "or `collections demo` first"
        )
        raise typer.Exit(1)
    env = {**os.environ, "COLLECTIONS_DB": str(target)}
    if demo_user:
        env["COLLECTIONS_DEMO_USER"] = demo_user
    # Streamlit always runs headless: a non-headless first run stops to ask for an e-mail
    # address on the terminal. The browser is opened from here once the server answers.
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "dashboard" / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "localhost",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    url = f"http://localhost:{port}"
    console.print(f"Dashboard on {url}  (warehouse {target}); Ctrl+C stops it.")
    if not headless:
        threading.Thread(target=_open_browser_when_up, args=(url,), daemon=True).start()
    # From the project root, so that .streamlit/config.toml applies wherever this is started.
    raise typer.Exit(subprocess.call(command, env=env, cwd=PROJECT_ROOT))


def _open_browser_when_up(url: str, *, wait_seconds: float = 60.0) -> None:
    """Open the user's browser once the dashboard answers (bounded wait; no-op without one)."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    webbrowser.open(url)
                    return
        except OSError:
            pass
        time.sleep(0.5)


@app.command()
def demo(
    db: DbOption = None,
    accounts: Annotated[int, typer.Option(min=10, help="Accounts in the demo bank.")] = 5000,
    months: Annotated[int, typer.Option(min=1, help="Months of history.")] = 24,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    headless: Annotated[bool, typer.Option(help="Do not open a browser window.")] = False,
) -> None:
    """Generate the demo bank, load it and serve the dashboard: the whole product in one command."""
    target = warehouse_path(db)
    inbox = target.parent / "demo_inbox"
    generate(
        out=inbox, accounts=accounts, months=months, seed=7, start="2024-11", file_format="csv"
    )
    try:
        load(inbox=inbox, db=target, encoding="utf-8")
    except typer.Exit as exc:
        if exc.exit_code not in (0, None):
            raise
    from warehouse.app.users import UsersFile, users_path

    UsersFile(users_path(target)).ensure_demo_users()
    console.print(
        "Demo users (password = user name): demo-admin, demo-manager, demo-compliance, "
        "demo-analyst. The dashboard opens signed in as demo-manager; sign out to switch."
    )
    serve(db=target, port=port, headless=headless, demo_user="demo-manager")


@app.command()
def rebuild(
    db: DbOption = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for a running load or check to finish.")
    ] = 1800.0,
) -> None:
    """Rebuild the marts with the settings version in force (app_store.sqlite) and publish.

    The Strategy page starts this in the background after a save or a rollback. Same path as a
    load: exclusive lock, staging copy, atomic swap; the version is recorded in
    ops.settings_version, which every page shows.
    """
    from warehouse.jobs.rebuild import rebuild as rebuild_marts
    from warehouse.storage.publication import LoadInProgress

    _setup_logging()
    target = warehouse_path(db)
    try:
        result = rebuild_marts(target, wait_seconds=wait)
    except (LoadInProgress, FileNotFoundError) as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from None
    which = "as loaded" if result.version is None else f"settings version {result.version}"
    console.print(
        f"Published version {result.publication} of {target} with {which} ({result.seconds:.1f} s)"
    )


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the briefing into.")],
    db: DbOption = None,
    lang: Annotated[str, typer.Option(help="Language of the briefing: en, zh, or both.")] = "en",
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the PDF.")] = True,
) -> None:
    """Write the morning briefing: the day's one-page summary (the book, what the last load
    changed, roll-forwards, promises due and broken, new breaches, data quality) as a
    self-contained HTML file and a PDF, the same figures as the dashboard's pages.
    """
    from warehouse.app import report as briefing_report
    from warehouse.storage import connect_reader

    languages = briefing_report.LANGUAGES if lang == "both" else (lang,)
    if any(chosen not in briefing_report.LANGUAGES for chosen in languages):
        console.print(f"[red]--lang must be en, zh or both; found {lang!r}")
        raise typer.Exit(2)
    target = warehouse_path(db)
    try:
        con = connect_reader(target)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from None
    try:
        for chosen in languages:
            written = briefing_report.write(con, out, lang=chosen, pdf=pdf)
            for path in (written.html, written.pdf):
                if path is not None:
                    console.print(f"wrote {path}")
    finally:
        con.close()


users_app = typer.Typer(help="Local users of the dashboard (users.json beside the warehouse).")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="manager, compliance, analyst or admin.")],
    db: DbOption = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")] = "",
    email: Annotated[str | None, typer.Option(help="E-mail that an OIDC login maps to.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Password (asked for when left out; avoid it on shared shells)."),
    ] = None,
    replace: Annotated[bool, typer.Option(help="Replace an existing user.")] = False,
) -> None:
    """Add a user (the password is stored as a salted scrypt hash)."""
    from warehouse.app.users import UsersFile, users_path

    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    path = users_path(warehouse_path(db))
    try:
        UsersFile(path).add(
            username, secret, role, display_name=display_name, email=email, replace=replace
        )
    except ValueError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    console.print(f"user {username} ({role}) saved in {path}")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List the users and their roles (never their passwords)."""
    from warehouse.app.users import UsersFile, users_path

    path = users_path(warehouse_path(db))
    table = Table(title=f"Users in {path}")
    for column in ("user", "role", "name", "e-mail"):
        table.add_column(column)
    for record in UsersFile(path).records():
        table.add_row(record.username, record.role, record.display_name, record.email or "")
    Console().print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
