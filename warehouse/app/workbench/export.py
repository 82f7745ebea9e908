"""Workbench results as files to download: CSV (nested values as JSON text) and Parquet."""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl


def _as_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no nested values: lists and structs become their text."""
    nested = [name for name, kind in frame.schema.items() if kind.is_nested()]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(_as_json, return_dtype=pl.String) for name in nested
    )


def to_csv(frame: pl.DataFrame) -> bytes:
    return _flat(frame).write_csv().encode("utf-8")


def to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
