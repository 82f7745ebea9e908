"""Fixtures for the data-quality tests: valid rows of any extract, and landed batches.

`valid_rows` writes rows the loader lands cleanly (the key and every required column, from the
extract's schema), so a test can change the one value it is about. `landed_batch` turns CSV
text into the typed, masked frame a load would insert, with `_file_name` and `_line_number`,
so a suite can be handed a batch that breaks a rule the loader would have quarantined.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from warehouse.contract import EXTRACTS
from warehouse.contract.schema import Column, Kind
from warehouse.landing.masking import KeyedHasher
from warehouse.landing.reading import LINE, read_extract_file
from warehouse.landing.validation import validate

# The default of settings.bank_timezone (sql/settings/bank_timezone.sql).
BANK_TIMEZONE = "Asia/Shanghai"

ID_PREFIX = {
    "account_id": "A",
    "agent_id": "G",
    "attempt_id": "T",
    "payment_id": "P",
    "promise_id": "R",
    "plan_id": "L",
}

Value = str | Callable[[int], str]


def _value(column: Column, i: int, business_date: date, only_key: bool) -> str:
    if column.name in ID_PREFIX:
        return f"{ID_PREFIX[column.name]}{i}"
    if column.kind == Kind.DATE:
        if column.key and only_key:  # the date is the whole key: one per row
            return (business_date + timedelta(days=i)).isoformat()
        if column.name == "promised_date":
            return (business_date + timedelta(days=7)).isoformat()
        return business_date.isoformat() if column.key else "2020-01-15"
    if column.kind == Kind.TIMESTAMP:
        return f"{business_date.isoformat()} 10:00:00"
    if column.kind == Kind.MONEY:
        return "100.00"
    if column.kind == Kind.INTEGER:
        return str(int(column.minimum or 0))
    if column.kind == Kind.CODE:
        return column.codes[0]
    if column.kind == Kind.NATIONAL_ID:
        return f"11010519900101{i % 10000:04d}"
    if column.kind == Kind.CARD_NO:
        return f"62258802{i % 100000000:08d}"
    if column.kind == Kind.PHONE:
        return f"138{i % 100000000:08d}"
    return f"{column.name} {i}"


def valid_rows(
    extract: str,
    business_date: date,
    count: int,
    *,
    start: int = 1,
    extra: Mapping[str, Value] | None = None,
) -> str:
    """CSV text: a header and `count` rows the loader lands cleanly (keys and required columns;
    `extra` adds or overrides columns, as a value or a function of the row number)."""
    schema = EXTRACTS[extract]
    extra = dict(extra or {})
    columns = [c for c in schema.columns if c.key or c.required or c.name in extra]
    only_key = len(schema.key) == 1
    lines = [",".join(c.name for c in columns)]
    for i in range(start, start + count):
        values = []
        for column in columns:
            wanted = extra.get(column.name)
            if wanted is None:
                values.append(_value(column, i, business_date, only_key))
            else:
                values.append(wanted(i) if callable(wanted) else wanted)
        lines.append(",".join(values))
    return "\n".join(lines) + "\n"


def file_name(extract: str, business_date: date) -> str:
    return f"{extract}_{business_date:%Y%m%d}.csv"


def landed_batch(
    extract: str, csv_text: str, name: str, folder: Path, *, load_id: int = 1
) -> pl.DataFrame:
    """The frame a load would insert for this file: typed, masked, with lineage columns."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(csv_text, encoding="utf-8")
    schema = EXTRACTS[extract]
    checked = validate(
        read_extract_file(path), schema, hasher=KeyedHasher(), bank_timezone=BANK_TIMEZONE
    )
    assert checked.quarantine.is_empty(), checked.quarantine
    business_date = date(int(name[-12:-8]), int(name[-8:-6]), int(name[-6:-4]))
    return checked.clean.rename({LINE: "_line_number"}).with_columns(
        pl.lit(name).alias("_file_name"),
        pl.lit(business_date).alias("_business_date"),
        pl.lit(load_id, dtype=pl.Int64).alias("_load_id"),
    )
