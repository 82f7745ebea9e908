"""The data each suite looks at, as frames Great Expectations can read.

Great Expectations 1.x validates pandas (or Spark) DataFrames, not Polars, and its SQL
datasource does not work against DuckDB. So:

- a landed batch is first reduced to its witness rows (`witnesses`: per file, the rows that
  decide each expectation), which go Polars -> Arrow -> pandas, only the columns the suite
  reads, money as float (the checks are ranges; the warehouse keeps DECIMAL). GX on every row
  cost about 1.3 µs per row, as much as a quarter of the load itself; the witnesses cost a
  fraction of that and give the same verdict, and a failure's exact count and lines are then
  taken from the whole batch (`offending`);
- everything warehouse-wide is first reduced by DuckDB to a small frame (one row per file, per
  calendar day, per month...), which Great Expectations then validates. A 5-million-row table
  costs one SQL pass, not a pandas copy. The queries are the files of `checks/sql/`
  (`checks.queries`), with the run's scope and the thresholds as named parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from checks import queries
from checks.rules import FILE, Check, DatesPresent, FileMeasure, MartSuite
from warehouse.contract.sql import quote_identifier

# The first day of every month a bank can have, and a day after every one.
EVERY_MONTH = date(1900, 1, 1)
NO_MONTH = date(2999, 12, 1)

if TYPE_CHECKING:
    import pandas as pd


def to_pandas(
    frame: pl.DataFrame, columns: Iterable[str], *, categories: Iterable[str] = ()
) -> pd.DataFrame:
    """The named columns (those present) as a pandas frame indexed 0..n-1; `categories` (codes,
    a handful of values each) as pandas categories, which GX compares and hashes as integers."""
    categorical = {FILE, *categories}
    exprs = []
    for name in dict.fromkeys(columns):
        if name not in frame.columns:
            continue  # the expectation reports the missing column itself
        dtype = frame.schema[name]
        column = pl.col(name)
        if isinstance(dtype, pl.Decimal):
            column = column.cast(pl.Float64)
        elif name in categorical and dtype == pl.String:
            column = column.cast(pl.Categorical)
        exprs.append(column)
    if not exprs:  # a table-level expectation (row count) reads no column, but needs the rows
        exprs = [pl.col(frame.columns[0])] if frame.columns else []
    return frame.select(exprs).to_pandas()


def witnesses(batch: pl.DataFrame, checks: Iterable[Check]) -> pl.DataFrame:
    """The rows of a landed batch that decide every check, file by file.

    Per file: the rows holding the smallest and the largest value of each column a range
    reads, a row with a missing value for each column that must be present, one row per
    distinct combination of the code columns, and every row whose key repeats. A check fails
    on these rows exactly when it fails on the whole batch, so Great Expectations validates a
    few hundred real rows (with their files and lines) instead of every row: its cost per row
    is what made checking each landed row as dear as landing it.
    """
    rows = batch.with_row_index("__row")
    per_file: list[pl.Expr] = []
    codes: list[str] = []
    keys: list[str] = []
    for check in checks:
        column = check.column
        if column is not None and column not in batch.columns:
            continue  # the expectation reports the missing column itself
        if check.kind == "between" and column:
            per_file.append(pl.col("__row").get(pl.col(column).arg_min()))
            per_file.append(pl.col("__row").get(pl.col(column).arg_max()))
        elif check.kind in ("not_null", "match_regex") and column:
            per_file.append(pl.col("__row").filter(pl.col(column).is_null()).first())
            if check.kind == "match_regex":
                codes.append(column)
        elif check.kind == "in_set" and column:
            codes.append(column)
        elif check.kind == "unique_together":
            keys = [c for c in check.columns if c in batch.columns]
    chosen = [rows.group_by(FILE).agg(pl.col("__row").first().alias("__first"))["__first"]]
    if per_file:
        found = rows.group_by(FILE).agg([e.alias(f"__w{i}") for i, e in enumerate(per_file)])
        chosen += [found[f"__w{i}"] for i in range(len(per_file))]
    if codes:
        chosen.append(rows.unique(subset=[FILE, *codes], keep="first")["__row"])
    if keys and rows.select(pl.struct(keys).n_unique()).item() < rows.height:
        chosen.append(rows.filter(pl.struct(keys).is_duplicated())["__row"])
    picked = pl.concat([c.cast(pl.UInt32) for c in chosen]).drop_nulls().unique().sort()
    return batch[picked]


def offending(check: Check) -> pl.Expr:
    """True for the rows that break `check`: the exact count and lines behind a GX failure."""
    column = pl.col(check.column) if check.column else None
    if check.kind == "not_null" and column is not None:
        return column.is_null()
    if check.kind == "in_set" and column is not None:
        return column.is_not_null() & ~column.is_in(list(check.value_set))
    if check.kind == "between" and column is not None:
        low = pl.lit(False)
        if check.min_value is not None:
            low = (column <= check.min_value) if check.strict_min else (column < check.min_value)
        high = pl.lit(False) if check.max_value is None else column > check.max_value
        return (low | high).fill_null(False)
    if check.kind == "unique_together":
        return pl.struct(list(check.columns)).is_duplicated()
    if check.kind == "match_regex" and column is not None:
        return column.is_not_null() & ~column.str.contains(check.regex or "")
    raise ValueError(f"no row test for a {check.kind} check")


def volume_parameters(extract: str, thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """The named parameters of `sql/warehouse/volume_within_band.sql`, from the extract's
    thresholds in settings.dq_rules (its defaults where a threshold is missing)."""
    return {
        "extract": extract,
        "trailing_files": int(thresholds.get("trailing_files", 10)),
        "min_history": int(thresholds.get("min_history", 3)),
        "min_trailing_median": queries.number(float(thresholds.get("min_trailing_median", 0))),
        "month_end_apart": bool(thresholds.get("month_end_apart")),
    }


def files_frame(
    con: duckdb.DuckDBPyConnection,
    extract: str,
    measures: Sequence[tuple[FileMeasure, Mapping[str, Any]]],
    volume: Mapping[str, Any] | None,
    load_id: int | None,
) -> pl.DataFrame:
    """One row per landed file of the extract in scope, with a column per measure: the number
    of offending rows (`<name>`), up to 20 of their lines (`<name>__lines`) and a short sample
    (`<name>__sample`); plus `volume_ratio` when volume is checked."""
    frame = queries.frame(con, "warehouse/files_in_scope", {"extract": extract, "load_id": load_id})
    if frame.is_empty():
        return frame
    for measure, thresholds in measures:
        numbers = {
            name: queries.number(value) for name, value in measure.parameters(thresholds).items()
        }
        spliced = {
            "raw_table": queries.raw_table(measure.extract),
            "row_names": queries.row_names(measure.extract, *measure.shows),
        }
        found = queries.frame(con, measure.query, {"load_id": load_id, **numbers}, spliced).select(
            "file_name",
            "load_id",
            pl.col("offending").cast(pl.Int64).alias(measure.name),
            pl.col("lines").cast(pl.List(pl.Int64)).alias(f"{measure.name}__lines"),
            pl.col("sample").cast(pl.List(pl.String)).alias(f"{measure.name}__sample"),
        )
        frame = frame.join(found, on=["file_name", "load_id"], how="left").with_columns(
            pl.col(measure.name).fill_null(0)
        )
    if volume is not None:
        ratios = queries.frame(
            con, "warehouse/volume_within_band", volume_parameters(extract, volume)
        )
        frame = frame.join(ratios, on=["file_name", "load_id"], how="left")
    return frame


def dates_frame(con: duckdb.DuckDBPyConnection, dates: DatesPresent) -> pl.DataFrame:
    """One row per calendar day (or month end) between the extract's first and last business
    dates, with the file that covers it (NULL: missing)."""
    return queries.frame(
        con,
        "warehouse/dates_present",
        {"extract": dates.extract, "month_ends_only": dates.month_ends_only},
    )


def invalid_contact_points_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return queries.frame(con, "warehouse/invalid_contact_points")


def masked_numbers_frame(screened: pl.DataFrame) -> pl.DataFrame:
    """The frame of mart.invalid_contact_points' suite (`mart/invalid_contact_points.sql`) taken
    from the screening's frame of the same view in the same run (`invalid_contact_points_frame`):
    the view scans every contact, so a run computes it once (6 s at 1,000,000 accounts)."""
    return (
        screened.filter(pl.col("contact_number_masked").is_not_null())
        .select("contact_number_masked", "account_id")
        .sort("contact_number_masked", "account_id")
    )


def mart_frame(
    con: duckdb.DuckDBPyConnection, mart: MartSuite, *, since: date | None = None
) -> pl.DataFrame:
    """The suite's aggregate frame; a suite that follows a table sees its months from `since`
    (None: every month)."""
    if mart.follows is None:
        return queries.frame(con, mart.query)
    return queries.frame(con, mart.query, params={"since": since or EVERY_MONTH})


def other_mart_views(con: duckdb.DuckDBPyConnection, known: Iterable[str]) -> list[str]:
    """Published relations in schema `mart` that have no suite of their own."""
    names = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'mart' ORDER BY 1"
        ).fetchall()
    ]
    skip = set(known)
    return [name for name in names if name not in skip]


def views_frame(con: duckdb.DuckDBPyConnection, views: Iterable[str]) -> pl.DataFrame:
    """One row per view: `answers` 1 when it binds and runs (NULL, and the `error`, when not).

    `LIMIT 0` proves the view's SQL still matches the tables under it without computing it: a
    load has just built every view, and counting a large one would cost a full evaluation.
    """
    rows: list[tuple[str, int | None, str | None]] = []
    for view in views:
        try:
            con.execute(f"SELECT * FROM mart.{quote_identifier(view)} LIMIT 0").fetchall()
            rows.append((view, 1, None))
        except duckdb.Error as exc:
            rows.append((view, None, str(exc).splitlines()[0]))
    return pl.DataFrame(
        rows, schema={"view": pl.String, "answers": pl.Int64, "error": pl.String}, orient="row"
    )
