"""The checks' SQL: one query per file in `checks/sql/`, each opening with its purpose, grain
and columns, run as a frame for Great Expectations.

`sql/warehouse/` holds the warehouse-wide measures (a row per landed file, per calendar day,
per number screened), `sql/mart/` the aggregate frame of each mart suite.

What a run varies goes in as DuckDB named parameters (`$load_id`, `$tolerance`, ...): the run's
scope and the thresholds of settings.dq_rules, a table the bank edits. The only text spliced in
(`{{ raw_table }}`, `{{ row_names }}`) is derived from the contract's declarations and checked
here; never from settings or from a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.contract import EXTRACTS

SQL_FOLDER = Path(__file__).parent / "sql"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@cache
def text(name: str) -> str:
    """The query of `checks/sql/<name>.sql` (`warehouse/account_known`)."""
    path = SQL_FOLDER / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no query {path}")
    return path.read_text(encoding="utf-8")


def render(name: str, spliced: Mapping[str, str] | None = None) -> str:
    """The query with its `{{ ... }}` placeholders filled; each must have a value."""
    values = dict(spliced or {})

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{name}.sql: no value for {{{{ {key} }}}}")
        return values[key]

    return PLACEHOLDER.sub(fill, text(name))


def frame(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    spliced: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Run one query of `checks/sql/` with its named parameters, as a Polars frame."""
    relation = con.sql(render(name, spliced), params=dict(params) if params else None)
    assert relation is not None, "a frame comes from a SELECT"
    return relation.pl()


def _identifier(name: str, *, what: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} is not a plain SQL name")
    return name


def raw_table(extract: str) -> str:
    """The raw table of an extract the contract declares (`raw.payments`)."""
    declared = EXTRACTS.get(extract)
    if declared is None:
        raise ValueError(f"no extract {extract!r} in the contract")
    schema, _, table = declared.table.partition(".")
    return f"{_identifier(schema, what='schema')}.{_identifier(table, what='table')}"


def row_names(extract: str, *shown: str) -> str:
    """SQL text naming a raw row `r` by the extract's key and a few more stored columns:
    `account_id=A1, payment_id=P1` (a missing value as NULL)."""
    declared = EXTRACTS[extract]
    stored = {name for name, _, _ in declared.stored_columns()}
    columns = list(dict.fromkeys([*declared.key, *shown]))
    for column in columns:
        if column not in stored:
            raise ValueError(f"{declared.table} has no stored column {column!r}")
        _identifier(column, what="column")
    parts = [f"'{c}=' || coalesce(CAST(r.{c} AS VARCHAR), 'NULL')" for c in columns]
    return " || ', ' || ".join(parts)


def number(value: float) -> Decimal | float:
    """A threshold as a parameter DuckDB types as it would the number written out: `0.01` as an
    exact DECIMAL (money keeps its cents), `1e-05` and infinities as DOUBLE."""
    written = str(value)
    if not math.isfinite(value) or "e" in written:
        return value
    return Decimal(written)
