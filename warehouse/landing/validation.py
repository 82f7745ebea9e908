"""Parse and check a file's text columns against its extract's declaration, vectorised.

Every value gets one parse and one set of checks; a row with any problem is quarantined with
the first column at fault and a reason a person understands (all problems, in column order).
Personal values are masked inside messages too. The clean rows come back typed and masked,
ready to land.

Before anything else, every value of a column that is not declared personal goes through the
scrubber (`warehouse.contract.personal`): a national ID, card or mobile number typed into a
city, a note or an amount is masked there, so the stored value, the quarantine's reason and
raw record and every message only ever see the masked form. Where masking cannot keep the
value's meaning (an identifier, which links rows; a number, date or code) the row is
quarantined instead. A value holding a NUL byte is quarantined too (a damaged file).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from warehouse.contract.schema import PERSONAL, Column, Extract, Kind
from warehouse.landing.masking import (
    KeyedHasher,
    could_hold_number,
    fold_column,
    mask_card_no,
    mask_email,
    mask_name,
    mask_national_id,
    mask_phone,
    normalize_card_no,
    normalize_national_id,
    normalize_phone,
    scrub_column,
    scrub_text,
)
from warehouse.landing.reading import LINE, RawBatch

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
    Kind.NATIONAL_ID: (
        r"^(\d{17}[\dX]|\d{15})$",
        "is not a national ID number (18 characters, or 15 digits)",
    ),
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
    # (every other column was scrubbed before validation: `_scrub_frame`)
    return pl.lit("'") + raw.str.slice(0, 60) + pl.lit("'")


def _found_column(name: str) -> str:
    """Per column: a problem `_scrub_frame` found in the value (the message), else null."""
    return f"__found_{name}"


_NUL = "\x00"
_NUL_SHOWN = "\\x00"


def _scrub_frame(frame: pl.DataFrame, extract: Extract) -> pl.DataFrame:
    """Every non-personal value scrubbed, personal values with ASCII digits, NUL bytes shown as
    `\\x00`; plus `_found_column(name)` for the rows to quarantine because of what was found.

    One pass tells which columns need any of it (most need none: the work is then a regex scan
    of each column); Python sees only the distinct values that could hold a number."""
    columns = [c for c in extract.columns if c.name in frame.columns]
    needs: list[pl.Expr] = []
    for column in columns:
        raw = pl.col(column.name)
        needs.append(raw.str.contains(_NUL, literal=True).any().alias(f"nul:{column.name}"))
        if column.kind in _MASKERS:
            needs.append(raw.str.contains(r"[^\x00-\x7F]").any().alias(f"fold:{column.name}"))
        elif not column.is_personal:
            free_text = column.kind == Kind.FREE_TEXT
            needs.append(
                could_hold_number(raw, free_text=free_text).any().alias(f"scrub:{column.name}")
            )
    need = frame.select(needs).row(0, named=True) if frame.height and needs else {}
    if not any(need.values()):
        return frame
    changed: list[pl.Series] = []
    for column in columns:
        name = column.name
        values = frame.get_column(name)
        messages: pl.Series | None = None
        if need.get(f"nul:{name}"):
            has_nul = values.str.contains(_NUL, literal=True).fill_null(False)
            values = values.str.replace_all(_NUL, _NUL_SHOWN, literal=True)
            messages = (
                pl.select(
                    pl.when(pl.lit(has_nul)).then(
                        pl.lit("holds a NUL byte (\\x00): the file is damaged here")
                    )
                )
                .to_series()
                .alias(name)
            )
        if need.get(f"fold:{name}"):
            values = fold_column(values)
        if need.get(f"scrub:{name}"):
            values, kinds = scrub_column(values, free_text=column.kind == Kind.FREE_TEXT)
            if column.identifier or column.kind not in (Kind.TEXT, Kind.FREE_TEXT):
                what = (
                    "an identifier never holds one (it would link rows by a person's number)"
                    if column.identifier
                    else "personal numbers are stored only in their own masked columns"
                )
                number = pl.select(
                    pl.when(pl.lit(kinds).is_not_null()).then(
                        pl.lit("'")
                        + pl.lit(values).str.slice(0, 60)
                        + pl.lit("' holds a ")
                        + pl.lit(kinds)
                        + pl.lit(f"; {what}")
                    )
                ).to_series()
                messages = number if messages is None else number.fill_null(messages)
        changed.append(values.alias(name))
        if messages is not None:
            changed.append(messages.alias(_found_column(name)))
    return frame.with_columns(changed)


CLEAN_MONEY = r"^-?\d{1,16}(\.\d{1,2})?$"
NAIVE_TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def _naive_timestamp(raw: pl.Expr, bank_timezone: str, fmt: str) -> pl.Expr:
    return (
        raw.str.to_datetime(fmt, strict=False, time_unit="us")
        .dt.replace_time_zone(bank_timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


@lru_cache(maxsize=64)
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


Problem = tuple[pl.Expr, pl.Expr]  # (row is bad, message text for such a row)


def _parse(
    column: Column, bank_timezone: str, *, clean: bool = False
) -> tuple[pl.Expr, list[Problem]]:
    """(parsed value, problems) for one column.

    Each problem is a cheap boolean flag plus the message for flagged rows; messages are only
    built for the few rows that have a problem. `clean` says every value of the column is
    already in its common form (checked beforehand for the whole column), so the cheap parse
    alone is exact and cannot fail.
    """
    raw = pl.col(column.name)
    shown = _shown(column)
    kind = column.kind
    present = raw.is_not_null()
    if clean and kind == Kind.MONEY:
        return raw.cast(pl.Decimal(18, 2)), []
    if clean and kind == Kind.TIMESTAMP:
        return _naive_timestamp(raw, bank_timezone, NAIVE_TIMESTAMP), []
    if kind == Kind.INTEGER:
        parsed = raw.str.to_integer(strict=False)
        # CONTRACT.md numbers may be written `30.0` or `1e+02`: fine when the value is whole.
        as_float = raw.cast(pl.Float64, strict=False)
        whole = (
            raw.str.contains(ANY_NUMBER)
            & (as_float == as_float.round(0))
            & (as_float.abs() < 2**53)
        )
        parsed = (
            pl.when(parsed.is_not_null() | raw.is_null())
            .then(parsed)
            .otherwise(pl.when(whole).then(as_float.cast(pl.Int64, strict=False)))
        )
        return parsed, [(present & parsed.is_null(), shown + pl.lit(" is not a whole number"))]
    if kind == Kind.MONEY:
        parsed = raw.cast(pl.Decimal(18, 2), strict=False)
        as_float = raw.cast(pl.Float64, strict=False)
        not_number = present & ~raw.str.contains(ANY_NUMBER)
        # Plain numbers by their digits (a float rounds 9999999999999999.99 up to the limit).
        whole_digits = raw.str.extract(r"^[+-]?0*(\d*)", 1).str.len_chars()
        overflow = (
            present
            & ~not_number
            & pl.when(raw.str.contains(PLAIN_NUMBER))
            .then(whole_digits > 16)
            .otherwise(as_float.abs() >= MONEY_LIMIT)
        )
        plain_fraction = raw.str.extract(r"\.(\d*)$", 1).str.strip_chars_end("0").str.len_chars()
        too_precise = (
            present
            & ~not_number
            & ~overflow
            & (
                (raw.str.contains(PLAIN_NUMBER) & (plain_fraction.fill_null(0) > 2))
                | (
                    ~raw.str.contains(PLAIN_NUMBER)
                    & ((as_float * 100 - (as_float * 100).round(0)).abs() > 1e-6)
                )
            ).fill_null(False)
        )
        invalid = present & ~not_number & ~overflow & ~too_precise & parsed.is_null()
        return parsed, [
            (not_number, shown + pl.lit(" is not an amount (expected a number like 1234.50)")),
            (overflow, shown + pl.lit(" is too large for DECIMAL(18,2) (overflow)")),
            (too_precise, shown + pl.lit(" has more than 2 decimal places")),
            (invalid, shown + pl.lit(" is not a valid amount")),
        ]
    if kind == Kind.DATE:
        parsed = raw.str.to_date("%Y-%m-%d", strict=False)
        bad = present & parsed.is_null()
        shaped = raw.str.contains(r"^\d{4}-\d{2}-\d{2}$")
        return parsed, [
            (bad & shaped, shown + pl.lit(" is not a real calendar date")),
            (bad & ~shaped, shown + pl.lit(" is not a date (expected YYYY-MM-DD)")),
        ]
    if kind == Kind.TIMESTAMP:
        text = raw.str.replace("T", " ").str.replace(r"[zZ]$", "+00:00")
        with_offset = text.str.contains(r"[+-]\d{2}:?\d{2}$")
        aware = text.str.to_datetime(
            "%Y-%m-%d %H:%M:%S%.f%#z", strict=False, time_zone="UTC", time_unit="us"
        )
        naive = _naive_timestamp(text, bank_timezone, "%Y-%m-%d %H:%M:%S%.f")
        parsed = pl.when(with_offset).then(aware).otherwise(naive)
        return parsed, [
            (
                present & parsed.is_null(),
                shown
                + pl.lit(
                    " is not a timestamp (expected YYYY-MM-DD HH:MM:SS, or ISO 8601 with an offset)"
                ),
            )
        ]
    if kind == Kind.BOOLEAN:
        lowered = raw.str.to_lowercase()
        parsed = (
            pl.when(lowered.is_in(TRUE_WORDS))
            .then(True)
            .when(lowered.is_in(FALSE_WORDS))
            .then(False)
            .otherwise(None)
        )
        bad = present & parsed.is_null()
        if column.default is not None:
            parsed = pl.when(raw.is_null()).then(column.default).otherwise(parsed)
        return parsed, [(bad, shown + pl.lit(" is not true/false (or 1/0, Y/N, yes/no)"))]
    if kind == Kind.CODE:
        lowered = raw.str.to_lowercase()
        return lowered, [
            (
                present & ~lowered.is_in(column.codes),
                shown + pl.lit(f" is not one of: {', '.join(column.codes)}"),
            )
        ]
    if kind == Kind.TIMEZONE:
        return raw, [
            (
                present & ~raw.is_in(_zones()),
                shown + pl.lit(" is not an IANA time zone (e.g. Asia/Shanghai)"),
            )
        ]
    if kind in _PATTERNS:
        normalise, _ = _MASKERS[kind]
        pattern, what = _PATTERNS[kind]
        normalised = normalise(raw)
        return normalised, [
            (present & ~normalised.str.contains(pattern), shown + pl.lit(f" {what}"))
        ]
    if kind == Kind.EMAIL:
        return raw, [
            (
                present & ~raw.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
                shown + pl.lit(" is not an e-mail address"),
            )
        ]
    return raw, []


def _range_problems(column: Column, parsed: pl.Expr) -> list[Problem]:
    shown = _shown(column)
    problems: list[Problem] = []
    if column.minimum is not None:
        low = parsed <= column.minimum if column.exclusive_minimum else parsed < column.minimum
        word = "must be greater than" if column.exclusive_minimum else "is below the minimum"
        problems.append((low.fill_null(False), shown + pl.lit(f" {word} {column.minimum:g}")))
    if column.maximum is not None:
        problems.append(
            (
                (parsed > column.maximum).fill_null(False),
                shown + pl.lit(f" is above the maximum {column.maximum:g}"),
            )
        )
    return problems


@dataclass(frozen=True)
class _Plan:
    """The expressions that check one extract, built once per (extract, clean columns, zone).

    Building Polars expressions costs more than running them on a typical daily file, so a load
    of thousands of files reuses them.
    """

    parsed: tuple[pl.Expr, ...]
    flags: tuple[pl.Expr, ...]
    any_problem: pl.Expr
    reason: pl.Expr
    first_column: pl.Expr
    stored: tuple[pl.Expr, ...]
    hashes: tuple[tuple[str, str, str], ...]  # (hash column, domain, parsed column)


@lru_cache(maxsize=256)
def _plan(extract: Extract, clean_columns: frozenset[str], bank_timezone: str) -> _Plan:
    # Phase 1, every row: parse each value, then flag problems with cheap booleans.
    parsed_exprs: list[pl.Expr] = []
    problems: list[tuple[str, pl.Expr, pl.Expr]] = []  # (column, flag, message)
    for column in extract.columns:
        parsed, column_problems = _parse(column, bank_timezone, clean=column.name in clean_columns)
        parsed_exprs.append(parsed.alias(f"__v_{column.name}"))
        # What the scrubber found (a personal number where none may be, a NUL byte) is the
        # value's one problem: its parse would only fail on the masked form.
        found = pl.col(_found_column(column.name))
        problems.append((column.name, found.is_not_null(), found))
        if column.required or column.key:
            problems.append(
                (column.name, pl.col(column.name).is_null(), pl.lit("a required value is missing"))
            )
        problems.extend(
            (column.name, flag & found.is_null(), message) for flag, message in column_problems
        )
        # Range checks run on the parsed value (flags on a value that did not parse are null).
        problems.extend(
            (column.name, flag & found.is_null(), message)
            for flag, message in _range_problems(column, pl.col(f"__v_{column.name}"))
        )

    def parsed_value(name: str) -> pl.Expr:
        return pl.col(f"__v_{name}")

    for rule in extract.extra_rules:
        broken = rule.check(parsed_value)  # type: ignore[operator]
        problems.append((rule.column, broken.fill_null(False), pl.lit(rule.message)))

    flags = tuple(flag.fill_null(False).alias(f"__f{i}") for i, (_, flag, _) in enumerate(problems))
    flag_names = [f"__f{i}" for i in range(len(problems))]
    any_problem = pl.any_horizontal(flag_names) if flag_names else pl.lit(False)
    # Phase 2, only for rows with a problem: say what is wrong, in column order.
    reason = (
        pl.concat_str(
            [
                pl.when(pl.col(f"__f{i}")).then(pl.lit(f"{name}: ") + message)
                for i, (name, _, message) in enumerate(problems)
            ],
            separator="; ",
            ignore_nulls=True,
        )
        if problems
        else pl.lit(None, dtype=pl.String)
    )
    first_column = (
        pl.coalesce(
            [
                pl.when(pl.col(f"__f{i}")).then(pl.lit(name))
                for i, (name, _, _) in enumerate(problems)
            ]
        )
        if problems
        else pl.lit(None, dtype=pl.String)
    )
    stored, hashes = _stored_exprs(extract)
    return _Plan(tuple(parsed_exprs), flags, any_problem, reason, first_column, stored, hashes)


def validate(
    batch: RawBatch, extract: Extract, *, hasher: KeyedHasher, bank_timezone: str
) -> Validated:
    frame = batch.frame
    present = set(frame.columns)
    # Optional columns the file does not carry are simply empty.
    missing = [c.name for c in extract.columns if c.name not in present]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in missing)
    frame = _scrub_frame(frame, extract)
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(_found_column(c.name))
        for c in extract.columns
        if _found_column(c.name) not in frame.columns
    )
    checks = _clean_column_checks(extract, bank_timezone)
    clean_columns = (
        frozenset(name for name, ok in frame.select(**checks).row(0, named=True).items() if ok)
        if checks and frame.height
        else frozenset()
    )
    plan = _plan(extract, clean_columns, bank_timezone)
    work = (
        frame.lazy()
        .with_columns(plan.parsed)
        .with_columns(plan.flags)
        .with_columns(plan.any_problem.alias("__bad"))
        .collect()
    )
    if work.select(pl.col("__bad").any()).item():
        good = work.filter(~pl.col("__bad"))
        bad_rows = work.filter(pl.col("__bad")).with_columns(
            plan.reason.alias("__reason"), plan.first_column.alias("__column")
        )
    else:
        good = work
        bad_rows = work.clear().with_columns(
            pl.lit(None, dtype=pl.String).alias("__reason"),
            pl.lit(None, dtype=pl.String).alias("__column"),
        )

    # Duplicate keys inside the file: the first good row lands, repeats are quarantined.
    key_cols = [f"__v_{k}" for k in extract.key]
    duplicated = (
        good.select(pl.struct(key_cols).is_duplicated().any()).item() if good.height else False
    )
    if duplicated:
        good = good.with_columns(pl.col(LINE).min().over(key_cols).alias("__first_line"))
        duplicate_mask = pl.col(LINE) != pl.col("__first_line")
        key_text = pl.concat_str([pl.lit(f"{k}=") + pl.col(k) for k in extract.key], separator=", ")
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
    else:
        dupes = good.clear().with_columns(
            pl.lit(None, dtype=pl.String).alias("__reason"),
            pl.lit(None, dtype=pl.String).alias("__column"),
        )

    quarantine = pl.concat(
        [_quarantine_rows(rows, extract, batch.columns) for rows in (bad_rows, dupes)]
        + [_bad_record_rows(batch, extract)],
        how="vertical",
    )
    clean = _stored(good, extract, plan, hasher)
    return Validated(clean=clean, quarantine=quarantine, duplicates=dupes.height)


def _raw_record(extract: Extract, columns_in_file: list[str]) -> pl.Expr:
    """The quarantined row as JSON text: personal values masked, the rest scrubbed already.

    Columns outside the contract are left out: they are not stored anywhere (they could hold
    personal data the masking does not know about)."""
    fields = []
    known = {c.name: c for c in extract.columns}
    for name in columns_in_file:
        column = known.get(name)
        if column is None:
            continue
        if column.is_personal:
            fields.append(_shown(column).str.strip_chars("'").alias(name))
        else:
            fields.append(pl.col(name))
    if not fields:
        return pl.lit("{}")
    return pl.struct(fields).struct.json_encode()


def _quarantine_rows(
    rows: pl.DataFrame, extract: Extract, columns_in_file: list[str]
) -> pl.DataFrame:
    return rows.select(
        pl.col(LINE).alias("line_number"),
        pl.col("__column").alias("column_name"),
        pl.col("__reason").alias("reason"),
        _raw_record(extract, columns_in_file).alias("raw_record"),
    )


def _hidden(value: str) -> str:
    """A value that may be personal, in a record whose columns are not trusted: 1st char, stars."""
    return value[:1] + "*" * min(len(value) - 1, 32) if value else value


def _masked_record(fields: list[str], header: list[str], extract: Extract) -> str:
    """A record with the wrong number of fields, as comma-joined text safe to keep.

    Its values may have shifted by up to the surplus or shortfall of fields, so every value that
    could come from a personal, free-text or out-of-contract column is hidden; the rest only have
    long numbers scrubbed."""
    known = {c.name: c for c in extract.columns}
    sensitive = [
        name not in known or known[name].is_personal or known[name].kind == Kind.FREE_TEXT
        for name in header
    ]
    shift = abs(len(fields) - len(header))
    shown = []
    for position, value in enumerate(fields):
        window = sensitive[max(0, position - shift) : position + shift + 1]
        value = value.replace(_NUL, _NUL_SHOWN)
        shown.append(_hidden(value) if any(window) else scrub_text(value))
    return ",".join(shown)[:2000]


def _bad_record_rows(batch: RawBatch, extract: Extract) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line_number": [b.line_number for b in batch.bad_records],
            "column_name": [None] * len(batch.bad_records),
            "reason": [b.reason for b in batch.bad_records],
            "raw_record": [
                _masked_record(b.fields, batch.columns, extract)
                if b.fields
                else "[record not shown]"
                for b in batch.bad_records
            ],
        },
        schema={
            "line_number": pl.Int64,
            "column_name": pl.String,
            "reason": pl.String,
            "raw_record": pl.String,
        },
    )


def _stored_exprs(extract: Extract) -> tuple[tuple[pl.Expr, ...], tuple[tuple[str, str, str], ...]]:
    """Typed values in the raw table's shape: personal columns masked (hashes added after)."""
    out: list[pl.Expr] = []
    hashes: list[tuple[str, str, str]] = []
    for column in extract.columns:
        value = pl.col(f"__v_{column.name}")
        if column.kind in _MASKERS:
            _, mask = _MASKERS[column.kind]
            out.append(mask(value).alias(f"{column.name}_masked"))
            hashes.append(
                (f"{column.name}_hash", PERSONAL[column.kind] or "", f"__v_{column.name}")
            )
        elif column.kind == Kind.PERSON_NAME:
            out.append(mask_name(value).alias(f"{column.name}_masked"))
        elif column.kind == Kind.EMAIL:
            out.append(mask_email(value).alias(f"{column.name}_masked"))
        else:  # free text and every other column were scrubbed before validation
            out.append(value.alias(column.name))
    return tuple(out), tuple(hashes)


def _stored(good: pl.DataFrame, extract: Extract, plan: _Plan, hasher: KeyedHasher) -> pl.DataFrame:
    """The clean rows as the raw table stores them: masked, hashed, in declared column order."""
    stored = good.select(*plan.stored, pl.col(LINE))
    if plan.hashes:
        stored = stored.with_columns(
            hasher.hash_series(domain, good.get_column(source)).alias(name)
            for name, domain, source in plan.hashes
        )
    order = [name for name, _, _ in extract.stored_columns()] + [LINE]
    return stored.select(order)
