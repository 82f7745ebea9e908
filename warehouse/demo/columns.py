"""Expressions that turn the simulation's raw numpy columns into the contract's values.

The state arrays hold integers: codes, serial numbers, epoch days, epoch seconds, cents, with -1
for "none". One polars query per file turns them into labels, identifiers, dates, timestamps and
yuan in one pass, which keeps the per-day overhead small.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def label(column: str, labels: tuple[str, ...] | list[str]) -> pl.Expr:
    """Small integer codes -> labels; negative codes -> null."""
    codes = pl.col(column)
    return pl.lit(pl.Series(list(labels), dtype=pl.Utf8)).gather(pl.when(codes >= 0).then(codes))


def labels_of(values: tuple[str, ...] | list[str], codes: np.ndarray) -> pl.Series:
    """Labels for small integer codes; negative codes become nulls (for small monthly frames)."""
    codes = np.asarray(codes, dtype=np.int64)
    return pl.DataFrame({"c": codes}).select(label("c", values)).to_series()


def identifier(column: str, prefix: str, width: int) -> pl.Expr:
    """Serial numbers -> prefixed fixed-width identifiers; negative -> null."""
    text = pl.lit(prefix) + pl.col(column).cast(pl.Utf8).str.zfill(width)
    return pl.when(pl.col(column) >= 0).then(text)


def epoch_date(column: str) -> pl.Expr:
    """Epoch days -> Date; negative -> null."""
    return pl.when(pl.col(column) >= 0).then(pl.col(column).cast(pl.Int32).cast(pl.Date))


def wall_time(column: str) -> pl.Expr:
    """Epoch seconds of bank-local wall time -> naive Datetime; negative -> null."""
    return pl.when(pl.col(column) >= 0).then(pl.from_epoch(pl.col(column), time_unit="s"))


def yuan(column: str) -> pl.Expr:
    """Integer cents -> yuan (written with 2 decimals)."""
    return pl.col(column) / 100


def unless_negative(column: str) -> pl.Expr:
    """The value, or null where it is negative (the arrays' "none")."""
    return pl.when(pl.col(column) >= 0).then(pl.col(column))


def number_text(column: str) -> pl.Expr:
    """A number written as text (phone numbers); negative -> null."""
    return pl.when(pl.col(column) >= 0).then(pl.col(column).cast(pl.Utf8))
