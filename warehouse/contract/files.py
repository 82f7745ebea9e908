"""The files an inbox may hold: `<extract>_<YYYYMMDD>.csv` (or `.csv.gz`, `.parquet`).

One file per extract per business date (CONTRACT.md). A name that does not follow the pattern,
or names a date that does not exist, is refused whole with a message naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

FILE_NAME = re.compile(
    r"^(?P<extract>[a-z][a-z_]*?)_(?P<date>\d{8})\.(?P<format>csv|csv\.gz|parquet)$"
)
FORMATS = ("csv", "csv.gz", "parquet")


class FileRefused(Exception):
    """The whole file cannot be landed; the message says why, naming the file."""


@dataclass(frozen=True)
class FileName:
    extract: str
    business_date: date
    format: str


def file_name(extract: str, business_date: date, file_format: str = "csv") -> str:
    """The name the contract gives an extract's file for a business date."""
    if file_format not in FORMATS:
        raise ValueError(f"file format must be one of {', '.join(FORMATS)}; found {file_format!r}")
    return f"{extract}_{business_date:%Y%m%d}.{file_format}"


def parse_file_name(path: Path) -> FileName:
    """`<extract>_<YYYYMMDD>.csv|.csv.gz|.parquet`, or a FileRefused saying what was expected."""
    match = FILE_NAME.match(path.name)
    if not match:
        raise FileRefused(
            f"{path.name}: file name does not follow <extract>_<YYYYMMDD>.csv "
            "(or .csv.gz, .parquet)"
        )
    try:
        business_date = datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        raise FileRefused(
            f"{path.name}: {match['date']} in the file name is not a real date"
        ) from None
    return FileName(match["extract"], business_date, match["format"])
