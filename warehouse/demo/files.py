"""Writing extract files exactly as CONTRACT.md names and shapes them.

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

COLUMNS: dict[str, tuple[str, ...]] = {
    "holidays": ("date", "kind", "name"),
    "agents": ("agent_id", "agent_name", "team", "agency", "role", "active"),
    "accounts": (
        "account_id",
        "customer_id",
        "national_id",
        "customer_name",
        "card_no",
        "mobile",
        "email",
        "city",
        "province",
        "product",
        "branch",
        "open_date",
        "credit_limit",
        "credit_score",
        "employment_type",
        "do_not_contact",
        "third_party_authorized",
        "timezone",
    ),
    "snapshots": (
        "as_of_date",
        "account_id",
        "statement_day",
        "due_date",
        "balance",
        "min_due",
        "overdue_principal",
        "overdue_interest",
        "overdue_fees",
        "days_past_due",
        "cycles_delinquent",
        "status",
    ),
    "payments": (
        "payment_id",
        "account_id",
        "paid_at",
        "amount",
        "channel",
        "is_reversal",
        "reverses_payment_id",
    ),
    "contacts": (
        "attempt_id",
        "account_id",
        "agent_id",
        "channel",
        "started_at",
        "duration_s",
        "contact_number",
        "party",
        "third_party_relation",
        "outcome",
        "notes",
    ),
    "promises": (
        "promise_id",
        "account_id",
        "attempt_id",
        "agent_id",
        "created_at",
        "promised_date",
        "promised_amount",
    ),
    "plans": (
        "plan_id",
        "account_id",
        "plan_type",
        "requested_at",
        "approved_by",
        "approved_at",
        "start_date",
        "instalments",
        "instalment_amount",
        "fee",
        "status",
    ),
}
EXTRACTS = tuple(COLUMNS)

MONEY: dict[str, tuple[str, ...]] = {
    "accounts": ("credit_limit",),
    "snapshots": ("balance", "min_due", "overdue_principal", "overdue_interest", "overdue_fees"),
    "payments": ("amount",),
    "promises": ("promised_amount",),
    "plans": ("instalment_amount", "fee"),
}

FORMATS = ("csv", "csv.gz", "parquet")
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
        return self.out_dir / f"{extract}_{day:%Y%m%d}.{self.file_format}"

    def write(self, extract: str, day: date, frame: pl.DataFrame) -> None:
        """Write one file. Money columns arrive as Float64 yuan (2 decimals at most)."""
        expected = COLUMNS[extract]
        if tuple(frame.columns) != expected:
            raise ValueError(
                f"{extract}: columns {frame.columns} differ from the contract {expected}"
            )
        target = self.path(extract, day)
        if self.file_format == "parquet":
            money = MONEY.get(extract, ())
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
