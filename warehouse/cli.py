"""`collections`: the command line of the collections warehouse.

Every command that touches the warehouse takes `--db`; without it `COLLECTIONS_DB`, else
`data/warehouse.duckdb`. Exit status: 0 all good, 1 when a file was refused (or a check
failed, or another job holds the warehouse), 2 for a usage error, 3 for an unexpected error
(the command says what failed and where; nothing is published).
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
import webbrowser
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from warehouse.config import (
    PROJECT_ROOT,
    lake_path,
    owner_only,
    owner_only_umask,
    warehouse_path,
)
from warehouse.contract.personal import scrub_text

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


def _safe(text: object) -> str:
    """Text that comes from the data (file names, messages, samples, errors) as the console
    shows it: personal numbers masked (`warehouse.contract.personal`), Rich markup escaped (a
    `[/]` in a file must not break the output, or style it)."""
    return escape(scrub_text(str(text)))


class _ScrubLog(logging.Filter):
    """Every log line goes out scrubbed, whatever a module put in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub_text(record.getMessage()), None
        return True


def _setup_logging() -> None:
    handler = RichHandler(console=console, show_path=False)
    handler.addFilter(_ScrubLog())
    logging.basicConfig(
        level=os.environ.get("COLLECTIONS_LOG_LEVEL", "INFO"),
        format="%(message)s",
        handlers=[handler],
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


EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="What computes the marts: duckdb (this machine) or spark (see docs/scale.md).",
    ),
]
MasterOption = Annotated[
    str | None,
    typer.Option(
        "--master",
        help="Spark master URL (local[4], spark://host:7077, yarn) or Spark Connect "
        "(sc://host:15002). Default: spark-submit's, else local[*].",
        show_default=False,
    ),
]


def _check_engine(engine: str) -> None:
    from warehouse.jobs.build import ENGINES

    if engine not in ENGINES:
        raise typer.BadParameter(f"--engine must be one of {', '.join(ENGINES)}")


@app.command()
def build(
    db: DbOption = None,
    engine: EngineOption = "duckdb",
    master: MasterOption = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for a running load or check to finish.")
    ] = 0.0,
    lake: Annotated[
        Path | None,
        typer.Option(
            "--lake",
            help="Build the warehouse whose lake folder is DIR (<name>.lake): its catalog "
            "<name>.duckdb beside it, restored first from DIR/_catalog.json when it is not "
            "there (a Spark driver that sees only the lake). With --db, that catalog must keep "
            "its lake at DIR.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rebuild every model of sql/ in dependency order on DuckDB or on Spark, and publish.

    Spark reads the lake's Parquet files and writes each table back into the lake as
    partitioned Parquet; the catalog (settings, ops, the dashboard's views) stays DuckDB's. The
    build is full; `collections load --engine spark` refreshes only the months a load changed.
    Every build also writes <lake>/_catalog.json, which `collections serve --lake` reads and
    from which `collections build --lake` restores a missing catalog (a full, writable one:
    later loads, checks and builds publish on it as on the original).
    """
    from warehouse.jobs.build import BuildResult, build_lake, build_marts
    from warehouse.storage.manifest import ManifestError, catalog_of_lake
    from warehouse.storage.publication import LoadInProgress

    _setup_logging()
    _check_engine(engine)
    try:
        target = warehouse_path(db) if lake is None else catalog_of_lake(lake, db)
    except ManifestError as exc:
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(1) from None
    result: BuildResult
    try:
        with _progress() as bar:
            task = bar.add_task(f"building on {engine}", total=None, current="")

            def report(name: str, mode: str, seconds: float) -> None:
                bar.update(task, current=f"{name} {mode}")

            if lake is None:
                result = build_marts(
                    target, engine=engine, master=master, wait_seconds=wait, on_model=report
                )
            else:
                result = build_lake(
                    lake, db=db, engine=engine, master=master, wait_seconds=wait, on_model=report
                )
    except (LoadInProgress, FileNotFoundError, ManifestError) as exc:
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(1) from None
    except Exception as exc:
        _unexpected(f"the build on {engine}", exc)
    if result.restored:
        console.print(f"Restored the catalog {target} from {lake}/_catalog.json")
    console.print(
        f"Published version {result.publication} of {target}: {len(result.timings)} models "
        f"built on {engine} in {result.seconds:.1f} s"
    )


@app.command()
def load(
    inbox: Annotated[
        Path,
        typer.Argument(help="Folder of extract files: <extract>_<YYYYMMDD>.csv|.csv.gz|.parquet"),
    ],
    db: DbOption = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files, e.g. gbk.")] = "utf-8",
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help=(
                "Hash every file, even one whose size and modification time match the file "
                "already landed (by default such a file is taken as unchanged unread)."
            ),
        ),
    ] = False,
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
    engine: EngineOption = "duckdb",
    master: MasterOption = None,
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
    from warehouse.jobs.build import engine_factory
    from warehouse.jobs.load import load_inbox
    from warehouse.storage.publication import LoadInProgress

    _setup_logging()
    if not inbox.is_dir():
        console.print(f"[red]inbox {_safe(inbox)} is not a folder")
        raise typer.Exit(2)
    _check_engine(engine)
    target = warehouse_path(db)
    try:
        with engine_factory(engine, master=master) as make_engine, _progress() as bar:
            task = bar.add_task("loading", total=None, current="")

            def report(label: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, current=_safe(label))

            summary = load_inbox(
                inbox,
                db=target,
                encoding=encoding,
                progress=report,
                run_checks=not no_checks,
                verify=verify,
                engine=make_engine,
            )
    except LoadInProgress as exc:
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(1) from None
    except ChecksFailed as exc:
        _print_dq_failures(exc.summary.failed, title="Data-quality expectations that failed")
        first = _safe(str(exc).splitlines()[0])
        console.print(f"[red]{first}; the published warehouse is unchanged.")
        if exc.summary.docs_index:
            console.print(f"Data Docs: {_safe(exc.summary.docs_index)}")
        raise typer.Exit(1) from None
    except LookupError as exc:  # an unknown --encoding
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(2) from None
    except Exception as exc:  # anything else: say what and where, publish nothing
        _unexpected("the load", exc)

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
        first_load = min(published.refused_before[(f.file_name, f.sha256)] for f in again)
        console.print(
            f"[yellow]{len(again):,} file(s) refused again, unchanged since an earlier load "
            f"(first refused in load {first_load}); ops.loaded_files has their reasons."
        )
    if problems:
        reasons = published.reasons
        detail = Table(title="Files that need a look")
        for column in ("file", "status", "quarantined", "top quarantine reasons", "message"):
            detail.add_column(column, overflow="fold")
        for f in problems[:50]:
            detail.add_row(
                _safe(f.file_name),
                f.status,
                f"{f.rows_quarantined:,}",
                _safe(reasons.get(f.file_name, "")),
                _safe(f.message),
            )
        if len(problems) > 50:
            detail.add_row(f"... {len(problems) - 50} more", "", "", "", "see ops.loaded_files")
        console.print(detail)
    title = (
        f"Load {summary.load_id} into {_safe(target)}"
        if summary.published
        else f"Nothing new for {_safe(target)}: every file is landed as it is; nothing published"
    )
    table = Table(title=title)
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
    if not summary.published:
        return
    if summary.dq is None:
        console.print("[yellow]Data-quality checks skipped (--no-checks); recorded in dq.runs.")
    else:
        if summary.dq.failed:
            _print_dq_failures(summary.dq.failed, title="Data-quality expectations that failed")
        console.print(_dq_line(summary.dq))
    if summary.refused:
        raise typer.Exit(1)


UNEXPECTED_ERROR = 3


def _unexpected(job: str, exc: Exception) -> NoReturn:
    """An error nobody planned for: what failed and where (the innermost frame of our code),
    with numbers scrubbed from the message, and its own exit status. The job ran inside a
    publication, so nothing was published."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if f"{os.sep}warehouse{os.sep}" in frame.filename
        or f"{os.sep}checks{os.sep}" in frame.filename
    ]
    where = ""
    if frames:
        frame = frames[-1]
        relative = Path(frame.filename).resolve()
        with contextlib.suppress(ValueError):
            relative = relative.relative_to(PROJECT_ROOT)
        where = f" (in {relative}:{frame.lineno}, {frame.name})"
    # An error's text is free text: every long run of digits goes, not only recognised numbers.
    first = str(exc).splitlines()[0] if str(exc) else ""
    message = escape(scrub_text(first, free_text=True))
    console.print(
        f"[red]{job} failed: {type(exc).__name__}: {message}{_safe(where)}[/]\n"
        "Nothing was published: the published warehouse is as it was. Set "
        "COLLECTIONS_LOG_LEVEL=DEBUG for the whole traceback."
    )
    logging.getLogger(__name__).debug("the whole traceback", exc_info=exc)
    raise typer.Exit(UNEXPECTED_ERROR) from None


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
            _safe(f.file_name or f.target),
            _safe(f.observed_value or ""),
            _safe((f.sample or "")[:160]),
        )
    if len(ordered) > 40:
        detail.add_row("", f"... {len(ordered) - 40} more", "", "", "see dq.results", "")
    console.print(detail)


def _dq_line(dq) -> str:  # checks.RunSummary
    errors, warnings = len(dq.errors), len(dq.warnings)
    colour = {"passed": "green", "warned": "yellow"}.get(dq.status, "red")
    docs = f"; Data Docs: {_safe(dq.docs_index)}" if dq.docs_index else ""
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
        console.print(f"[red]no warehouse at {_safe(target)}: run `collections load INBOX` first")
        raise typer.Exit(1)
    try:
        with console.status("checking data quality"):
            summary = check_warehouse(target)
    except LoadInProgress as exc:
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(1) from None
    except Exception as exc:
        _unexpected("the check", exc)
    _print_dq_failures(
        summary.failed, title=f"Data-quality expectations that failed in {_safe(target)}"
    )
    console.print(_dq_line(summary))
    if summary.errors:
        raise typer.Exit(1)


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _loud(text: str, *, title: str, colour: str = "red") -> None:
    """A warning nobody starting the dashboard can miss."""
    console.print(Panel(text, title=title, border_style=colour, title_align="left"))


def _oidc_configured() -> bool:
    secrets = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    try:
        return "[auth" in secrets.read_text(encoding="utf-8")
    except OSError:
        return False


def _tighten(target: Path) -> list[str]:
    """Make the warehouse, its lake, Data Docs, the app store and the users file owner-only;
    the paths whose permissions were wider."""
    from warehouse.app.store import store_path
    from warehouse.app.users import users_path

    store = store_path(target)
    candidates = [
        (target, False), (lake_path(target), True), (target.parent / "dq_docs", True),
        (store, False), (store.with_name(store.name + "-wal"), False),
        (store.with_name(store.name + "-shm"), False), (users_path(target), False),
    ]  # fmt: skip
    tightened = []
    for path, recursive in candidates:
        if path.exists() and path.stat().st_mode & 0o077:
            tightened.append(str(path))
        owner_only(path, recursive=recursive)
    return tightened


@app.command()
def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8501,
    address: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Default localhost: put the bank's reverse proxy in "
            "front (docs/security.md) rather than listening on every interface."
        ),
    ] = "localhost",
    headless: Annotated[bool, typer.Option(help="Do not open a browser window.")] = False,
    demo_user: Annotated[
        str | None,
        typer.Option(
            "--demo-user",
            help="Open every session signed in as this demo user (a demo warehouse only).",
        ),
    ] = None,
    kiosk: Annotated[
        bool,
        typer.Option(
            "--kiosk",
            help="Let anyone who reaches the dashboard read it without signing in (read-only).",
        ),
    ] = False,
    lake: Annotated[
        Path | None,
        typer.Option(
            "--lake",
            help="Serve a lake folder alone (its Parquet marts, as its last `collections build` "
            "left them): a catalog of views over it is made at --db, default "
            "<lake folder>/../<name>.served.duckdb.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the dashboard (Streamlit) over the published warehouse, read-only."""
    from warehouse.app import demo_mode
    from warehouse.app.users import DEMO_NAMES, UsersFile, users_path

    if lake is not None:
        from warehouse.storage.manifest import open_lake, served_catalog

        catalog = Path(db) if db else served_catalog(lake)
        try:
            with owner_only_umask():
                open_lake(lake, catalog)
        except (FileNotFoundError, ValueError) as exc:
            console.print(f"[red]{exc}")
            raise typer.Exit(1) from None
        console.print(f"Serving the lake {lake} through the catalog {catalog}")
        db = catalog
    target = warehouse_path(db).resolve()
    if not target.exists():
        console.print(
            f"[red]no warehouse at {target}: run `collections load INBOX` "
            "or `collections demo` first"
        )
        raise typer.Exit(1)
    env = {**os.environ, "COLLECTIONS_DB": str(target)}
    for inherited in ("COLLECTIONS_DEMO_USER", "COLLECTIONS_KIOSK"):
        env.pop(inherited, None)  # only this command's own flags turn these on
    if demo_user:
        if demo_user not in DEMO_NAMES or not demo_mode.is_demo(target):
            console.print(
                f"[red]--demo-user {demo_user} refused: automatic sign-in is only for a "
                f"warehouse created by `collections demo`, as one of its users "
                f"({', '.join(sorted(DEMO_NAMES))}); {target} is not one."
            )
            raise typer.Exit(2)
        env["COLLECTIONS_DEMO_USER"] = demo_user
        _loud(
            f"DEMO MODE: every visitor is signed in as {demo_user} without a password, on the "
            f"synthetic demo warehouse {target}.\nNever on a shared server, never with real "
            "data.",
            title="demo mode",
        )
    if kiosk:
        env["COLLECTIONS_KIOSK"] = "1"
        _loud(
            "KIOSK: anyone who reaches this dashboard reads every reading page (masked data "
            "included) and the compliance export without signing in. Views and exports are "
            "audited under the client's address.",
            title="anonymous read-only kiosk",
        )
    if not UsersFile(users_path(target)).exists() and not _oidc_configured() and not kiosk:
        _loud(
            f"Nobody can sign in: there is no users file ({users_path(target)}) and no OIDC "
            "([auth] in .streamlit/secrets.toml). Add a user: collections users add NAME "
            "--role admin",
            title="no users",
            colour="yellow",
        )
    if address not in LOOPBACK:
        _loud(
            f"Listening on {address}, reachable from the network. Put the bank's reverse proxy "
            "(TLS, OIDC) in front and bind to localhost instead: see docs/security.md.",
            title="not on localhost",
        )
    for path in _tighten(target):
        console.print(f"[yellow]made {_safe(path)} owner-only (it was readable by others)")
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
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    url = f"http://localhost:{port}"
    console.print(f"Dashboard on http://{address}:{port}  (warehouse {target}); Ctrl+C stops it.")
    if not headless:
        threading.Thread(target=_open_browser_when_up, args=(url,), daemon=True).start()
    # From the project root, so that .streamlit/config.toml applies wherever this is started;
    # under an owner-only umask, so what the dashboard creates (the app store, a rebuilt
    # warehouse) is its owner's only.
    with owner_only_umask():
        code = subprocess.call(command, env=env, cwd=PROJECT_ROOT)
    raise typer.Exit(code)


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
    """Generate the demo bank, load it and serve the dashboard: the whole product in one command.

    Only into a warehouse created as a demo (a new file, or one this command created before):
    an existing warehouse of a real bank is refused, and so is a folder whose users file holds
    anyone but the demo's users.
    """
    from warehouse.app import demo_mode
    from warehouse.app.users import UsersFile, users_path

    target = warehouse_path(db)
    users = UsersFile(users_path(target))
    if target.exists() and not demo_mode.is_demo(target):
        console.print(
            f"[red]{target} is not a demo warehouse: `collections demo` never writes into a "
            "real bank's warehouse. Give it a new file: collections demo --db DEMO_DIR/demo.duckdb"
        )
        raise typer.Exit(2)
    if not users.demo_users_only():
        console.print(
            f"[red]{users.path} holds users that are not the demo's: demo users go only into a "
            "demo warehouse's own folder. Give it a new folder: collections demo --db "
            "DEMO_DIR/demo.duckdb"
        )
        raise typer.Exit(2)
    with owner_only_umask():
        if demo_mode.create_demo_warehouse(target):
            console.print(f"created the demo warehouse {target} (marked as a demo inside it)")
        inbox = target.parent / "demo_inbox"
        generate(
            out=inbox, accounts=accounts, months=months, seed=7, start="2024-11",
            file_format="csv",
        )  # fmt: skip
        try:
            load(inbox=inbox, db=target, encoding="utf-8")
        except typer.Exit as exc:
            if exc.exit_code not in (0, None):
                raise
        created = users.ensure_demo_users(target)
    _audit_cli("users.add", *created, detail="demo users created by `collections demo`", db=target)
    if created:
        table = Table(title="Demo users (shown once; `collections users passwd NAME` sets another)")
        for column in ("user", "password"):
            table.add_column(column)
        for name, password in created.items():
            table.add_row(name, password)
        console.print(table)
    else:
        console.print("Demo users exist already (their passwords were shown when they were made).")
    console.print("The dashboard opens signed in as demo-manager; sign out to switch.")
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
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(1) from None
    except Exception as exc:
        _unexpected("the rebuild", exc)
    which = "as loaded" if result.version is None else f"settings version {result.version}"
    console.print(
        f"Published version {result.publication} of {target} with {which} ({result.seconds:.1f} s)"
    )


@app.command()
def purge(
    before: Annotated[
        str, typer.Option("--before", help="Drop records dated before this day (YYYY-MM-DD).")
    ],
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be dropped.")
    ] = False,
) -> None:
    """Drop the contacts, payments, promises and snapshots dated before a day, rebuild the
    marts from what is left, and publish; recorded in the audit trail and ops.purges.

    Refuses (exit 1, nothing dropped) a day that would drop contact records the law keeps:
    at least 2 years before the warehouse's as-of date.
    """
    from warehouse.jobs.purge import PurgeRefused
    from warehouse.jobs.purge import purge as purge_records
    from warehouse.storage.publication import LoadInProgress

    _setup_logging()
    target = warehouse_path(db)
    try:
        day = date.fromisoformat(before)
    except ValueError:
        console.print(f"[red]--before {_safe(before)!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None
    try:
        result = purge_records(target, day, dry_run=dry_run)
    except (PurgeRefused, LoadInProgress, FileNotFoundError) as exc:
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(1) from None
    except Exception as exc:
        _unexpected("the purge", exc)
    table = Table(title=f"Records dated before {day.isoformat()} in {_safe(target)}")
    table.add_column("relation")
    table.add_column("rows", justify="right")
    for relation, rows in result.dropped.items():
        table.add_row(relation, f"{rows:,}")
    console.print(table)
    if result.published is not None:
        console.print(
            f"Dropped and published version {result.published} ({result.seconds:.1f} s); "
            "recorded in the audit trail."
        )
    elif dry_run:
        console.print("Dry run: nothing was dropped.")
    else:
        console.print("Nothing is dated before that day: nothing was published.")


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

PasswordOption = Annotated[
    str | None,
    typer.Option(help="Password (asked for when left out; avoid it on shared shells)."),
]


def _audit_cli(action: str, *names: str, detail: str, db: Path) -> None:
    """A row per user changed at the command line, in the app store's audit trail."""
    from warehouse.app.store import AppStore

    store = AppStore.beside(warehouse_path(db))
    operator = getpass.getuser()
    for name in names:
        store.audit(None, action, allowed=True, role="operator", target=name,
                    client="cli", detail=f"{detail} (OS user {operator})")  # fmt: skip


def _new_password(given: str | None) -> str:
    from warehouse.app.users import MIN_PASSWORD_LENGTH

    return given or typer.prompt(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, '.', '_', '-').")],
    role: Annotated[str, typer.Option(help="manager, compliance, analyst or admin.")],
    db: DbOption = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")] = "",
    email: Annotated[str | None, typer.Option(help="E-mail that an OIDC login maps to.")] = None,
    password: PasswordOption = None,
    replace: Annotated[bool, typer.Option(help="Replace an existing user.")] = False,
) -> None:
    """Add a user (the password is stored as a salted scrypt hash)."""
    from warehouse.app.users import UsersFile, users_path

    path = users_path(warehouse_path(db))
    try:
        record = UsersFile(path).add(
            username, _new_password(password), role, display_name=display_name, email=email,
            replace=replace,
        )  # fmt: skip
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(2) from None
    _audit_cli("users.add", record.username, detail=f"role {role}", db=warehouse_path(db))
    console.print(f"user {record.username} ({role}) saved in {path}")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
    password: PasswordOption = None,
) -> None:
    """Give a user a new password (this also ends a lock-out)."""
    from warehouse.app.users import UsersFile, users_path

    path = users_path(warehouse_path(db))
    try:
        record = UsersFile(path).set_password(username, _new_password(password))
    except (KeyError, ValueError) as exc:
        console.print(f"[red]{_safe(str(exc).strip(chr(39)))}")
        raise typer.Exit(2) from None
    _audit_cli("users.passwd", record.username, detail="new password", db=warehouse_path(db))
    console.print(f"new password for {record.username} saved in {path}")


@users_app.command("remove")
def users_remove(
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """Remove a user: they can no longer sign in (the audit trail keeps what they did)."""
    from warehouse.app.users import UsersFile, normalise_username, users_path

    path = users_path(warehouse_path(db))
    if not UsersFile(path).remove(username):
        console.print(f"[red]no user {username!r} in {path}")
        raise typer.Exit(2)
    name = normalise_username(username)
    _audit_cli("users.remove", name, detail="removed", db=warehouse_path(db))
    console.print(f"user {name} removed from {path}")


@users_app.command("unlock")
def users_unlock(
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """End a user's sign-in lock-out now (it also ends by itself, 15 minutes after the last
    failure)."""
    from warehouse.app.users import UsersFile, users_path

    record = UsersFile(users_path(warehouse_path(db))).get(username)
    if record is None:
        console.print(f"[red]no user {username!r}")
        raise typer.Exit(2)
    _audit_cli("users.unlock", record.username, detail="lock-out ended", db=warehouse_path(db))
    console.print(f"{record.username} may sign in again")


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
