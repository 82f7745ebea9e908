"""Parse and check a file's text columns against its extract's declaration, vectorised.

Every value gets one parse and one set of checks; a row with any problem is quarantined with
the first column at fault and a reason a person understands (all problems, in column order).
Personal values are masked inside messages too. The clean rows come back typed and masked,
ready to land.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from warehouse.loaders.reading import LINE, RawBatch
from warehouse.loaders.schema import PERSONAL, Column, Extract, Kind
from warehouse.masking import (
    KeyedHasher,
    mask_card_no,
    mask_email,
    mask_name,
    mask_national_id,
    mask_phone,
    normalize_card_no,
    normalize_national_id,
    normalize_phone,
    scrub_numbers,
)

TRUE_WORDS = ("true", "1", "y", "yes", "t")
FALSE_WORDS = ("false", "0", "n", "no", "f")
PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
ANY_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
MONEY_LIMIT = 10**16  # DECIMAL(18,2) holds up to 16 digits before the point

_MASKERS = {
    Kind.NATIONAL_ID: (normalize_national_id, mask_national_id),
    Kind.CARD_NO: (normalize_card_no, mask_card_no),
    Kind.PHONE: (normalize_phone, mask_phone),
}
_PATTERNS = {
    Kind.NATIONAL_ID: (r"^(\d{17}[\dX]|\d{15})$", "is not a national ID number (18 characters, or 15 digits)"),
    Kind.CARD_NO: (r"^\d{13,19}$", "is not a card number (13 to 19 digits)"),
    Kind.PHONE: (r"^\d{5,15}$", "is not a phone number (5 to 15 digits)"),
}


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@dataclass
class Validated:
    clean: pl.DataFrame  # typed, masked, with LINE; columns = extract.stored_columns()
    quarantine: pl.DataFrame  # line_number, column_name, reason, raw_record
    duplicates: int


def _shown(column: Column) -> pl.Expr:
    """How a raw value appears in a message: quoted, personal values masked."""
    raw = pl.col(column.name)
    if column.kind in _MASKERS:
        normalise, mask = _MASKERS[column.kind]
        raw = mask(normalise(raw))
    elif column.kind == Kind.PERSON_NAME:
        raw = mask_name(raw)
    elif column.kind == Kind.EMAIL:
        raw = mask_email(raw)
    elif column.kind == Kind.FREE_TEXT:
        raw = scrub_numbers(raw)
    return pl.lit("'") + raw.str.slice(0, 60) + pl.lit("'")


CLEAN_MONEY = r"^-?\d{1,16}(\.\d{1,2})?$"
NAIVE_TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def _naive_timestamp(raw: pl.Expr, bank_timezone: str, fmt: str) -> pl.Expr:
    return (
        raw.str.to_datetime(fmt, strict=False, time_unit="us")
        .dt.replace_time_zone(bank_timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def _clean_column_checks(extract: Extract, bank_timezone: str) -> dict[str, pl.Expr]:
    """Per column, True when every value is in the common clean form (the fast path applies)."""
    checks: dict[str, pl.Expr] = {}
    for column in extract.columns:
        raw = pl.col(column.name)
        if column.kind == Kind.MONEY:
            checks[column.name] = (raw.is_null() | raw.str.contains(CLEAN_MONEY)).all()
        elif column.kind == Kind.TIMESTAMP:
            parsed = _naive_timestamp(raw, bank_timezone, NAIVE_TIMESTAMP)
            checks[column.name] = (raw.is_null() | parsed.is_not_null()).all()
    return checks


def _parse(column: Column, bank_timezone: str, *, clean: bool = False) -> tuple[pl.Expr, pl.Expr | None]:
    """(parsed value, expression of the problem message or null) for one column.

    `clean` says every value of the column is already in its common form (checked beforehand
    for the whole column), so the cheap parse alone is exact and cannot fail.
    """
    raw = pl.col(column.name)
    shown = _shown(column)
    kind = column.kind
    if clean and kind == Kind.MONEY:
        return raw.cast(pl.Decimal(18, 2)), None
    if clean and kind == Kind.TIMESTAMP:
        return _naive_timestamp(raw, bank_timezone, NAIVE_TIMESTAMP), None
    if kind == Kind.INTEGER:
        parsed = raw.str.to_integer(strict=False)
        bad = raw.is_not_null() & parsed.is_null()
        return parsed, pl.when(bad).then(shown + pl.lit(" is not a whole number"))
    if kind == Kind.MONEY:
        parsed = raw.cast(pl.Decimal(18, 2), strict=False)
        as_float = raw.cast(pl.Float64, strict=False)
        not_number = raw.is_not_null() & ~raw.str.contains(ANY_NUMBER)
        overflow = raw.is_not_null() & ~not_number & (as_float.abs() >= MONEY_LIMIT)
        plain_fraction = raw.str.extract(r"\.(\d*)$", 1).str.strip_chars_end("0").str.len_chars()
        too_precise = (
            raw.str.contains(PLAIN_NUMBER) & (plain_fraction.fill_null(0) > 2)
        ) | (
            ~raw.str.contains(PLAIN_NUMBER)
            & ((as_float * 100 - (as_float * 100).round(0)).abs() > 1e-6)
        )
        message = (
            pl.when(not_number)
            .then(shown + pl.lit(" is not an amount (expected a number like 1234.50)"))
            .when(overflow)
            .then(shown + pl.lit(" is too large for DECIMAL(18,2) (overflow)"))
            .when(raw.is_not_null() & too_precise.fill_null(False))
            .then(shown + pl.lit(" has more than 2 decimal places"))
            .when(raw.is_not_null() & parsed.is_null())
            .then(shown + pl.lit(" is not a valid amount"))
        )
        return parsed, message
    if kind == Kind.DATE:
        parsed = raw.str.to_date("%Y-%m-%d", strict=False)
        bad = raw.is_not_null() & parsed.is_null()
        shaped = raw.str.contains(r"^\d{4}-\d{2}-\d{2}$")
        message = (
            pl.when(bad & shaped)
            .then(shown + pl.lit(" is not a real calendar date"))
            .when(bad)
            .then(shown + pl.lit(" is not a date (expected YYYY-MM-DD)"))
        )
        return parsed, message
    if kind == Kind.TIMESTAMP:
        text = raw.str.replace("T", " ").str.replace(r"[zZ]$", "+00:00")
        with_offset = text.str.contains(r"[+-]\d{2}:?\d{2}$")
        aware = text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", strict=False, time_zone="UTC", time_unit="us")
        naive = _naive_timestamp(text, bank_timezone, "%Y-%m-%d %H:%M:%S%.f")
        parsed = pl.when(with_offset).then(aware).otherwise(naive)
        bad = raw.is_not_null() & parsed.is_null()
        return parsed, pl.when(bad).then(
            shown + pl.lit(" is not a timestamp (expected YYYY-MM-DD HH:MM:SS, or ISO 8601 with an offset)")
        )
    if kind == Kind.BOOLEAN:
        lowered = raw.str.to_lowercase()
        parsed = (
            pl.when(lowered.is_in(TRUE_WORDS))
            .then(True)
            .when(lowered.is_in(FALSE_WORDS))
            .then(False)
            .otherwise(None)
        )
        bad = raw.is_not_null() & parsed.is_null()
        if column.default is not None:
            parsed = pl.when(raw.is_null()).then(column.default).otherwise(parsed)
        return parsed, pl.when(bad).then(shown + pl.lit(" is not true/false (or 1/0, Y/N, yes/no)"))
    if kind == Kind.CODE:
        lowered = raw.str.to_lowercase()
        bad = raw.is_not_null() & ~lowered.is_in(column.codes)
        return lowered, pl.when(bad).then(
            shown + pl.lit(f" is not one of: {', '.join(column.codes)}")
        )
    if kind == Kind.TIMEZONE:
        bad = raw.is_not_null() & ~raw.is_in(_zones())
        return raw, pl.when(bad).then(shown + pl.lit(" is not an IANA time zone (e.g. Asia/Shanghai)"))
    if kind in _PATTERNS:
        normalise, _ = _MASKERS[kind]
        pattern, what = _PATTERNS[kind]
        normalised = normalise(raw)
        bad = raw.is_not_null() & ~normalised.str.contains(pattern)
        return normalised, pl.when(bad).then(shown + pl.lit(f" {what}"))
    if kind == Kind.EMAIL:
        bad = raw.is_not_null() & ~raw.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
        return raw, pl.when(bad).then(shown + pl.lit(" is not an e-mail address"))
    return raw, None


def _range_message(column: Column, parsed: pl.Expr) -> pl.Expr | None:
    checks: list[pl.Expr] = []
    if column.minimum is not None:
        low = parsed <= column.minimum if column.exclusive_minimum else parsed < column.minimum
        word = "must be greater than" if column.exclusive_minimum else "is below the minimum"
        checks.append(pl.when(low).then(pl.lit(f" {word} {column.minimum:g}")))
    if column.maximum is not None:
        checks.append(pl.when(parsed > column.maximum).then(pl.lit(f" is above the maximum {column.maximum:g}")))
    if not checks:
        return None
    return pl.coalesce(checks)


def validate(
    batch: RawBatch, extract: Extract, *, hasher: KeyedHasher, bank_timezone: str
) -> Validated:
    frame = batch.frame
    present = set(frame.columns)
    # Optional columns the file does not carry are simply empty.
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(c.name) for c in extract.columns if c.name not in present
    )
    parsed_exprs: list[pl.Expr] = []
    problem_exprs: list[tuple[str, pl.Expr]] = []
    checks = _clean_column_checks(extract, bank_timezone)
    clean_columns = (
        {name for name, ok in frame.select(**checks).row(0, named=True).items() if ok}
        if checks and frame.height
        else set()
    )
    for column in extract.columns:
        parsed, problem = _parse(column, bank_timezone, clean=column.name in clean_columns)
        parsed_exprs.append(parsed.alias(column.name))
        if column.required or column.key:
            missing = pl.when(pl.col(column.name).is_null()).then(pl.lit("a required value is missing"))
            problem = missing if problem is None else pl.coalesce([missing, problem])
        if problem is not None:
            problem_exprs.append((column.name, problem))

    # Pass 1: parse and flag format problems; pass 2: range checks on the parsed values.
    work = frame.with_columns(
        *[p.alias(f"__v_{c.name}") for p, c in zip(parsed_exprs, extract.columns, strict=True)],
        *[expr.alias(f"__e_{name}") for name, expr in problem_exprs],
    )
    range_exprs: list[tuple[str, pl.Expr]] = []
    for column in extract.columns:
        message = _range_message(column, pl.col(f"__v_{column.name}"))
        if message is not None:
            shown = _shown(column)
            range_exprs.append((column.name, pl.when(message.is_not_null()).then(shown + message)))
    names = [c.name for c in extract.columns]
    problem_cols = {name for name, _ in problem_exprs}
    final_problem: list[tuple[str, pl.Expr]] = []
    for name in names:
        parts = []
        if name in problem_cols:
            parts.append(pl.col(f"__e_{name}"))
        parts.extend(expr for rname, expr in range_exprs if rname == name)
        if parts:
            final_problem.append((name, pl.coalesce(parts) if len(parts) > 1 else parts[0]))

    # Cross-column rules of the extract, written on the parsed values.
    def parsed_value(name: str) -> pl.Expr:
        return pl.col(f"__v_{name}")

    for rule in extract.extra_rules:
        broken = rule.check(parsed_value)  # type: ignore[operator]
        final_problem.append((rule.column, pl.when(broken).then(pl.lit(rule.message))))

    reason_parts = [
        pl.when(expr.is_not_null()).then(pl.lit(f"{name}: ") + expr) for name, expr in final_problem
    ]
    first_column = pl.coalesce(
        [pl.when(expr.is_not_null()).then(pl.lit(name)) for name, expr in final_problem]
    ) if final_problem else pl.lit(None, dtype=pl.String)
    work = work.with_columns(
        (pl.concat_str(reason_parts, separator="; ", ignore_nulls=True) if reason_parts else pl.lit(None, dtype=pl.String)).alias("__reason"),
        first_column.alias("__column"),
    ).with_columns(pl.when(pl.col("__reason") == "").then(None).otherwise(pl.col("__reason")).alias("__reason"))

    bad_rows = work.filter(pl.col("__reason").is_not_null())
    good = work.filter(pl.col("__reason").is_null())

    # Duplicate keys inside the file: the first good row lands, repeats are quarantined.
    key_cols = [f"__v_{k}" for k in extract.key]
    good = good.with_columns(
        pl.col(LINE).min().over(key_cols).alias("__first_line"),
    )
    duplicate_mask = pl.col(LINE) != pl.col("__first_line")
    key_text = pl.concat_str(
        [pl.lit(f"{k}=") + pl.col(k) for k in extract.key], separator=", "
    )
    dupes = good.filter(duplicate_mask).with_columns(
        (
            pl.lit("duplicate key (")
            + key_text
            + pl.lit(") already on line ")
            + pl.col("__first_line").cast(pl.String)
        ).alias("__reason"),
        pl.lit(extract.key[0]).alias("__column"),
    )
    good = good.filter(~duplicate_mask)

    quarantine = pl.concat(
        [_quarantine_rows(rows, extract, batch.columns) for rows in (bad_rows, dupes)]
        + [_bad_record_rows(batch)],
        how="vertical",
    )
    clean = _stored(good, extract, hasher)
    return Validated(clean=clean, quarantine=quarantine, duplicates=dupes.height)


def _raw_record(extract: Extract, columns_in_file: list[str]) -> pl.Expr:
    """The quarantined row as JSON text, personal values masked and long numbers scrubbed."""
    fields = []
    known = {c.name: c for c in extract.columns}
    for name in columns_in_file:
        column = known.get(name)
        if column is not None and (column.is_personal or column.kind == Kind.FREE_TEXT):
            fields.append(_shown(column).str.strip_chars("'").alias(name))
        else:
            fields.append(scrub_numbers(pl.col(name)).alias(name) if column is None else pl.col(name))
    return pl.struct(fields).struct.json_encode()


def _quarantine_rows(rows: pl.DataFrame, extract: Extract, columns_in_file: list[str]) -> pl.DataFrame:
    return rows.select(
        pl.col(LINE).alias("line_number"),
        pl.col("__column").alias("column_name"),
        pl.col("__reason").alias("reason"),
        _raw_record(extract, columns_in_file).alias("raw_record"),
    )


def _bad_record_rows(batch: RawBatch) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line_number": [b.line_number for b in batch.bad_records],
            "column_name": [None] * len(batch.bad_records),
            "reason": [b.reason for b in batch.bad_records],
            "raw_record": [b.raw_record for b in batch.bad_records],
        },
        schema={"line_number": pl.Int64, "column_name": pl.String, "reason": pl.String, "raw_record": pl.String},
    )


def _stored(good: pl.DataFrame, extract: Extract, hasher: KeyedHasher) -> pl.DataFrame:
    """Typed values in the raw table's shape: personal columns masked and hashed."""
    out: list[pl.Expr] = []
    hashes: dict[str, tuple[str, str]] = {}
    for column in extract.columns:
        value = pl.col(f"__v_{column.name}")
        if column.kind in _MASKERS:
            _, mask = _MASKERS[column.kind]
            out.append(mask(value).alias(f"{column.name}_masked"))
            hashes[f"{column.name}_hash"] = (PERSONAL[column.kind] or "", f"__v_{column.name}")
        elif column.kind == Kind.PERSON_NAME:
            out.append(mask_name(value).alias(f"{column.name}_masked"))
        elif column.kind == Kind.EMAIL:
            out.append(mask_email(value).alias(f"{column.name}_masked"))
        elif column.kind == Kind.FREE_TEXT:
            out.append(scrub_numbers(value).alias(column.name))
        else:
            out.append(value.alias(column.name))
    stored = good.select(*out, pl.col(LINE))
    for name, (domain, source) in hashes.items():
        stored = stored.with_columns(hasher.hash_series(domain, good.get_column(source)).alias(name))
    order = [name for name, _, _ in extract.stored_columns()] + [LINE]
    return stored.select(order)
