"""Every file the product hands a user (CSV, Excel), written one way: `to_csv` and `to_excel`.

The compliance export, the work queue's and the workbench's all go through here, so a rule
about exported files holds for each of them:

* **No formula reaches a spreadsheet.** A text cell (or a column name) that starts with `=`,
  `+`, `-`, `@`, a tab, a carriage return or a line feed (or their full-width forms, which
  some spreadsheet locales read the same way) is written with a leading `'`, so Excel,
  LibreOffice and Google Sheets show it as text instead of running `=HYPERLINK(...)` or
  `=cmd|'/c calc'!A1` (OWASP, "CSV Injection"). Numbers stay numbers: -5 is not neutralised.
* **CSV** is UTF-8 with a byte-order mark (Excel then reads Chinese text correctly), numbers
  plain (no exponent, no thousands separator), nested values (lists, structs) as JSON text.
* **Excel** (xlsxwriter) stores every text as a text cell, never as a formula; the neutralised
  forms are not needed there, so text is kept exactly.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import polars as pl

FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name
BOM = b"\xef\xbb\xbf"


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it as text: with a leading `'` when it starts like a
    formula."""
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def _as_json(value: Any) -> str:
    if isinstance(value, pl.Series):  # a list or array cell arrives as a Series
        value = value.to_list()
    return json.dumps(value, default=str, ensure_ascii=False)


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns (lists, arrays, structs) as their JSON text; the rest as it is."""
    nested = [name for name, kind in frame.schema.items() if kind.is_nested()]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(_as_json, return_dtype=pl.String, skip_nulls=True)
        for name in nested
    )


def _is_text(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.String | pl.Categorical | pl.Enum)


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell and every column name neutralised (see `neutralise`)."""
    frame = flat(frame)
    starts = sorted(FORMULA_STARTS)
    frame = frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.slice(0, 1).is_in(starts))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name, dtype in frame.schema.items()
        if _is_text(dtype)
    )
    return frame.rename({name: neutralise(name) for name in frame.columns})


def to_csv(frame: pl.DataFrame, *, datetime_format: str | None = None) -> bytes:
    """The CSV every export writes (BOM, plain numbers, no formulas; see the module's text)."""
    text = neutralised(frame).write_csv(datetime_format=datetime_format, float_scientific=False)
    return BOM + text.encode("utf-8")


def to_excel(
    frame: pl.DataFrame,
    *,
    sheet: str,
    dtype_formats: dict[Any, str] | None = None,
) -> bytes:
    """One worksheet with a header row, filters and frozen panes; text stays text."""
    buffer = io.BytesIO()
    flat(frame).write_excel(
        buffer,
        worksheet=SHEET_UNSAFE.sub("_", sheet).strip("'")[:31] or "export",
        autofilter=True,
        freeze_panes=(1, 0),
        autofit=True,
        dtype_formats=dtype_formats,
    )
    return buffer.getvalue()
