"""Files users take away (compliance breaches, the work queue, workbench results, the audit trail):
CSV and Excel, written by the one export helper (`warehouse.app.exports`) and audited.

Only what the page shows (already masked in the warehouse) goes into a file. Instants are
written in the bank's zone without an offset, because Excel has no time-zone-aware cells;
the column header names the zone so nobody has to guess. A CSV cell that would start a formula
(`=`, `+`, `-`, `@`, tab, CR) is written as text; Excel files store text as text.

`audited` wraps the building of a file for a download button: when the user downloads it, the
role is checked and one audit row says who took what (the filter) and how many rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from warehouse.app import exports
from warehouse.app.access import User
from warehouse.app.store import AppStore

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def local_times(frame: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Every time-zone-aware column converted to `zone` and renamed `<name> (<zone>)`."""
    aware = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone(zone).dt.replace_time_zone(None).alias(f"{name} ({zone})")
        for name in aware
    ).select([f"{name} ({zone})" if name in aware else name for name in frame.columns])


def to_csv(frame: pl.DataFrame, zone: str) -> bytes:
    """UTF-8 with a byte-order mark (Excel opens Chinese text correctly), plain numbers, no
    formulas (`warehouse.app.exports.to_csv`)."""
    return exports.to_csv(local_times(frame, zone), datetime_format="%Y-%m-%d %H:%M:%S")


def to_excel(frame: pl.DataFrame, zone: str, *, sheet: str) -> bytes:
    """One worksheet with a header row, filters and frozen panes; text stays text."""
    return exports.to_excel(
        local_times(frame, zone),
        sheet=sheet,
        dtype_formats={pl.Datetime: "yyyy-mm-dd hh:mm:ss", pl.Date: "yyyy-mm-dd"},
    )


def describe_filter(parts: Mapping[str, Any]) -> str:
    """`name=value; ...` of the filter parts that narrow anything (the audit row's detail)."""
    shown = []
    for name, value in parts.items():
        if value is None or value == () or value == [] or value == "":
            continue
        if isinstance(value, list | tuple | set | frozenset):
            value = ",".join(str(v) for v in value)
        shown.append(f"{name}={value}")
    return "; ".join(shown) or "everything"


def audited(
    build: Callable[[], pl.DataFrame],
    write: Callable[[pl.DataFrame], bytes],
    *,
    store: AppStore,
    user: User | None,
    action: str,
    what: str,
    detail: str,
) -> Callable[[], bytes]:
    """A zero-argument callable for `st.download_button(data=...)`: on download it checks that
    `user` may take `action` (refusals are audited), builds the rows, writes the file and adds
    one audit row (who, `what` was exported, the filter `detail`, how many rows)."""

    def make() -> bytes:
        actor = store.authorise(user, action, detail, target=what)
        frame = build()
        payload = write(frame)
        store.audit(actor, action, allowed=True, target=what, detail=detail, rows=frame.height)
        return payload

    return make
