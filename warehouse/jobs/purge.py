"""`collections purge --before DATE`: drop the records older than a date, within the law.

A bank keeps its detailed records only as long as it must: the contacts, payments, promises and
snapshots dated before `DATE` (each extract's `dated_by` column, the business date) are dropped
from the lake, the quarantined rows of those business dates with them, and every mart is rebuilt
from what is left, in one publication (`warehouse.storage.publication.publishing`: a crash
publishes nothing).

What the law protects is refused, not trimmed: China's collection guideline keeps a record of
every collection contact for at least 2 years (DOMAIN.md, "Compliance rules"), so a `DATE` later
than 2 years before the warehouse's as-of date (or today, whichever is earlier) refuses the
whole purge with the earliest date allowed. A promise is the outcome of a contact, so it is kept
as long. Master data (accounts, agents, plans, holidays) is not purged: current accounts need it.

What was dropped goes to the audit trail (`warehouse.app.store`), relation by relation, and to
`ops.purges`, which the Compliance page reads to say how far back its records go.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from warehouse import marts
from warehouse.app.store import AppStore
from warehouse.contract import EXTRACTS
from warehouse.contract.sql import quote_identifier
from warehouse.storage.lake import Lake
from warehouse.storage.publication import publishing

# Extracts whose rows may be purged by business date, and the years the law keeps each (0: no
# rule). Contacts: China's 2-year rule; promises are made in a contact and kept as long.
PURGEABLE: dict[str, int] = {"contacts": 2, "promises": 2, "payments": 0, "snapshots": 0}


class PurgeRefused(ValueError):
    """The date would drop records a retention rule protects."""


@dataclass(frozen=True)
class PurgeResult:
    before: date
    dropped: dict[str, int]  # relation -> rows dropped (quarantine included as ops.quarantine)
    published: int | None  # the publication, None for a dry run or when nothing was older
    seconds: float


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 Feb becomes 28 Feb)."""
    year = day.year - years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def earliest_allowed(as_of: date | None, today: date) -> date:
    """The latest `--before` date the retention rules allow: 2 years before the earlier of the
    warehouse's as-of date and today (so a warehouse behind the calendar is not cut early)."""
    reference = today if as_of is None else min(as_of, today)
    years = max(PURGEABLE.values())
    return _years_before(reference, years)


def _as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    rows = con.execute("SELECT max(as_of_date) FROM core.as_of_date").fetchall()
    return rows[0][0] if rows and rows[0][0] is not None else None


def _older(lake: Lake, relation: str, column: str, before: date) -> dict[str, int]:
    """The relation's files holding rows dated before `before`, with how many each holds. A
    late file can carry old rows, so every file is asked (one column, pruned by statistics)."""
    paths = [f.path for f in lake.files(relation)]
    if not paths:
        return {}
    by_absolute = {lake.absolute(p): p for p in paths}
    rows = lake.con.execute(
        f"SELECT filename, count(*) FROM {lake.scan(paths, filename=True)} "
        f"WHERE CAST({quote_identifier(column)} AS DATE) < ? GROUP BY filename",
        [before],
    ).fetchall()
    return {by_absolute[name]: int(count) for name, count in rows}


def _drop_older(lake: Lake, relation: str, column: str, before: date, files: list[str]) -> None:
    """Replace the files holding older rows by files of their other rows (written into the
    months they came from); every other file of the relation is untouched."""
    kept = lake.write_rows(
        relation,
        f"SELECT * FROM {lake.scan(files)} WHERE CAST({quote_identifier(column)} AS DATE) >= ?",
        [before],
        order_by=("account_id",),  # as landing sorts them: per-account reads stay pruned
    )
    lake.swap(relation, remove=files, add=kept)


class _NothingToPublish(Exception):
    """Raised inside the publication to leave it unpublished (a dry run, nothing older)."""


def purge(
    db: Path, before: date, *, dry_run: bool = False, today: date | None = None
) -> PurgeResult:
    """Drop what is dated before `before` (see the module's docstring) and publish; a dry run,
    or a date older than every record, publishes nothing and says what would go. Raises
    PurgeRefused, publishing nothing, when a retention rule protects some of it."""
    db = Path(db)
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    store = AppStore.beside(db)
    dropped: dict[str, int] = {}
    published: int | None = None
    try:
        with publishing(db, must_exist=True) as staging:
            lake, con = staging.lake, staging.con
            limit = earliest_allowed(_as_of(con), today)
            if before > limit:
                raise PurgeRefused(
                    f"contact records are kept at least 2 years: purge may cut before "
                    f"{limit.isoformat()} at the latest (asked: {before.isoformat()}); "
                    "nothing was purged"
                )
            older: dict[str, dict[str, int]] = {}
            for name in PURGEABLE:
                column = EXTRACTS[name].dated_by
                assert column is not None  # every purgeable extract is dated
                found = _older(lake, f"raw.{name}", column, before)
                if found:
                    older[name] = found
                    dropped[f"raw.{name}"] = sum(found.values())
            quarantined = int(
                con.execute(
                    "SELECT count(*) FROM ops.quarantine WHERE business_date < ?", [before]
                ).fetchall()[0][0]
            )
            if quarantined:
                dropped["ops.quarantine"] = quarantined
            if dry_run or not dropped:
                raise _NothingToPublish
            for name, found in older.items():
                column = EXTRACTS[name].dated_by
                assert column is not None
                _drop_older(lake, f"raw.{name}", column, before, sorted(found))
            con.execute("DELETE FROM ops.quarantine WHERE business_date < ?", [before])
            marts.build(lake, changed=None)  # every mart from what is left
            now = datetime.now(UTC)
            con.executemany(
                "INSERT INTO ops.purges VALUES (?, ?, ?, ?)",
                [[now, before, relation, rows] for relation, rows in dropped.items()],
            )
            published = staging.record_publication(staging.latest_load_id(), now)
    except _NothingToPublish:
        pass
    except PurgeRefused as refused:
        store.audit(None, "purge", allowed=False, target=f"before {before.isoformat()}",
                    detail=str(refused))  # fmt: skip
        raise
    if published is not None:
        store.audit(
            None, "purge", allowed=True, target=f"before {before.isoformat()}",
            detail="; ".join(f"{relation}: {rows:,} rows" for relation, rows in dropped.items()),
            rows=sum(dropped.values()),
        )  # fmt: skip
    return PurgeResult(before, dropped, published, time.perf_counter() - started)
