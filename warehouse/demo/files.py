"""Writing extract files exactly as CONTRACT.md names and shapes them.

Names, columns and money columns come from the contract (`warehouse.contract`): the writer refuses
a frame whose columns differ from the extract's declaration.

Frames arrive with money as Float64 yuan, dates as Date, timestamps as naive Datetime in the
bank's zone (or, for CSV, text already formatted). CSV gets `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`
and 2-decimal money; Parquet gets Date, Datetime and DECIMAL(18,2). Output is byte-for-byte
deterministic (gzip without a timestamp).
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import polars as pl

from warehouse.contract import EXTRACTS as CONTRACT
from warehouse.contract.files import FORMATS, file_name
from warehouse.contract.schema import Kind

# Each extract's columns in the contract's order, and its money columns (DECIMAL in Parquet).
COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(column.name for column in extract.columns) for name, extract in CONTRACT.items()
}
EXTRACTS = tuple(COLUMNS)
MONEY: dict[str, tuple[str, ...]] = {
    name: tuple(column.name for column in extract.columns if column.kind is Kind.MONEY)
    for name, extract in CONTRACT.items()
}

CSV_OPTIONS: dict = {
    "float_precision": 2,
    "datetime_format": "%Y-%m-%d %H:%M:%S",
    "date_format": "%Y-%m-%d",
    "line_terminator": "\n",
}
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
ISO_OFFSET_FORMAT = "%Y-%m-%dT%H:%M:%S+08:00"


class ExtractWriter:
    """Writes `<extract>_<YYYYMMDD>.<ext>` files into one folder and counts what it wrote."""

    def __init__(self, out_dir: Path, file_format: str = "csv") -> None:
        if file_format not in FORMATS:
            raise ValueError(f"file_format must be one of {FORMATS}, not {file_format!r}")
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.file_format = file_format
        self.files = 0
        self.rows: dict[str, int] = {name: 0 for name in EXTRACTS}

    def path(self, extract: str, day: date) -> Path:
        return self.out_dir / file_name(extract, day, self.file_format)

    def write(self, extract: str, day: date, frame: pl.DataFrame) -> None:
        """Write one file. Money columns arrive as Float64 yuan (2 decimals at most)."""
        expected = COLUMNS[extract]
        if tuple(frame.columns) != expected:
            raise ValueError(
                f"{extract}: columns {frame.columns} differ from the contract {expected}"
            )
        target = self.path(extract, day)
        if self.file_format == "parquet":
            money = MONEY[extract]
            if money:
                frame = frame.with_columns(
                    [pl.col(c).round(2).cast(pl.Decimal(18, 2)).alias(c) for c in money]
                )
            frame.write_parquet(target, compression="zstd", statistics=False)
        elif self.file_format == "csv":
            frame.write_csv(target, **CSV_OPTIONS)
        else:
            data = frame.write_csv(None, **CSV_OPTIONS).encode("utf-8")
            target.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
        self.files += 1
        self.rows[extract] += frame.height
