"""What a load changed, in the terms the mart runner needs: per raw table, the first month whose
rows may differ from the last build.

How a row is dated is the contract's to say (`Extract.dated_by`, `Extract.cancels`): an extract
dated by a column changes the months of the rows the load landed (an instant's month in the
bank's zone), and a row that cancels another (a payment reversal) also changes the cancelled
row's month. Anything else (a corrected file whose rows may have moved month, an accounts,
agents, holidays, promises or plans file) counts as changing every month.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

import duckdb

from warehouse.contract import EXTRACTS, Extract
from warehouse.contract.schema import Kind
from warehouse.marts.models import FIRST_MONTH
from warehouse.months import month_of


class LandedFile(Protocol):
    """What `changes_from_load` needs of a load's file result (warehouse.landing.FileResult)."""

    extract: str | None
    business_date: date | None
    status: str
    rows_replaced: int


def _first_month(con: duckdb.DuckDBPyConnection, sql: str, load_id: int) -> date | None:
    value = con.execute(sql, [load_id]).fetchall()[0][0]
    if value is None:
        return None
    day = value.date() if hasattr(value, "date") else value
    return month_of(day)


def _dated_queries(extract: Extract, local: dict[Kind, str]) -> list[str]:
    """SQL for the earliest day the rows of load `?` date (and the rows they cancel)."""
    assert extract.dated_by is not None
    column = extract.column(extract.dated_by)
    earliest = local[column.kind].format(column=column.name, alias="")
    queries = [f"SELECT {earliest} FROM {extract.table} WHERE _load_id = ?"]
    if extract.cancels is not None:
        cancels = extract.cancels
        cancelled = local[column.kind].format(column=column.name, alias="p.")
        queries.append(
            f"""
            SELECT {cancelled}
            FROM {extract.table} AS r
            INNER JOIN {extract.table} AS p ON r.{cancels.column} = p.{cancels.key}
            WHERE r._load_id = ? AND r.{cancels.when}
            """
        )
    return queries


def changes_from_load(
    con: duckdb.DuckDBPyConnection, load_id: int, files: Iterable[LandedFile]
) -> dict[str, date]:
    """Per raw table, the first month whose rows this load changed (FIRST_MONTH: any month).

    A corrected file of an extract dated by a key column (snapshots) changes its business date's
    month; a corrected file of another dated extract, or rows replacing earlier ones, may have
    moved a row to another month, so every month counts as changed.
    """
    changed: dict[str, date] = {}
    dated: set[str] = set()  # extracts whose changed months come from the rows landed

    def note(table: str, month: date | None) -> None:
        if month is not None:
            changed[table] = min(month, changed.get(table, month))

    for result in files:
        if result.status not in ("landed", "replaced") or result.extract is None:
            continue
        extract = EXTRACTS[result.extract]
        if extract.dated_by_key:
            if result.business_date is not None:
                note(extract.table, month_of(result.business_date))
            dated.add(extract.name)
        elif extract.dated_by is not None and not (
            result.status == "replaced" or result.rows_replaced
        ):
            dated.add(extract.name)
        else:
            note(extract.table, FIRST_MONTH)
        if extract.history is not None:
            note(extract.history.table, FIRST_MONTH)
    # An instant's month is the bank's (settings.bank_timezone); before that setting exists (the
    # first load rebuilds everything anyway) a day's margin covers any zone.
    has_zone = bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE schema_name = 'settings' AND table_name = 'bank_timezone'"
        ).fetchall()[0][0]
    )
    instant = (
        "CAST(min({alias}{column} AT TIME ZONE "
        "(SELECT max(timezone) FROM settings.bank_timezone)) AS DATE)"
        if has_zone
        else "min({alias}{column}) - INTERVAL 1 DAY"
    )
    local = {Kind.DATE: "min({alias}{column})", Kind.TIMESTAMP: instant}
    for name in dated:
        extract = EXTRACTS[name]
        for sql in _dated_queries(extract, local):
            note(extract.table, _first_month(con, sql, load_id))
    return changed
