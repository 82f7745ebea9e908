"""Files a compliance officer takes away for an audit: the filtered rows as CSV and Excel.

Only what the page shows (already masked in the warehouse) goes into a file. Instants are
written in the bank's zone without an offset, because Excel has no time-zone-aware cells;
the column header names the zone so nobody has to guess.
"""

from __future__ import annotations

import io

import polars as pl


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
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    return b"\xef\xbb\xbf" + local_times(frame, zone).write_csv(
        datetime_format="%Y-%m-%d %H:%M:%S"
    ).encode("utf-8")


def to_excel(frame: pl.DataFrame, zone: str, *, sheet: str) -> bytes:
    """One worksheet with a header row, filters and frozen panes (xlsxwriter)."""
    buffer = io.BytesIO()
    local_times(frame, zone).write_excel(
        buffer,
        worksheet=sheet,
        autofilter=True,
        freeze_panes=(1, 0),
        autofit=True,
        dtype_formats={pl.Datetime: "yyyy-mm-dd hh:mm:ss", pl.Date: "yyyy-mm-dd"},
    )
    return buffer.getvalue()
