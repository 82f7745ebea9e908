"""Workbench results as files to download: CSV (through the one export helper,
`warehouse.app.exports`: BOM, plain numbers, no formula reaches a spreadsheet, nested values as
JSON text) and Parquet (typed; nothing in it is run by a spreadsheet)."""

from __future__ import annotations

import io

import polars as pl

from warehouse.app import exports


def to_csv(frame: pl.DataFrame) -> bytes:
    return exports.to_csv(frame)


def to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
