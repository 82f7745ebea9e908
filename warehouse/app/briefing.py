"""The morning's figures: what the last load changed, and the book at a glance.

One implementation for the dashboard's "Since the last load" page and the morning briefing
(`collections report`), so the two always say the same thing. Every function takes a read-only
connection on a published warehouse and reads the `mart` views (and `ops.*` for the loads):

- `load_window`   the business dates the latest load brought (its landed and replaced files'),
                  and the as-of date; "since yesterday" means these dates.
- `day_changes`   accounts that became delinquent, cured, rolled forward or back on those dates
                  (mart.account_day_changes).
- `promises_due`, `promises_broken`  pending promises due the day after the as-of date (the
                  morning the figures are read), and promises whose window closed on the as-of
                  date with nothing paid (mart.promise_outcomes).
- `new_breaches`  breaches on those dates (mart.compliance_breaches, the debtor's local date).
- `book`          the latest month's picture of the whole book: live accounts and balance,
                  delinquent balance and the 30+/60+/90+ ratios (as the Portfolio page adds them
                  up, from mart.bucket_month and mart.delinquency_ratios).
- `worst_rolling` the delinquent buckets of the latest complete month by roll-forward rate
                  (mart.roll_rates, as the Migration page ranks them).
- `data_quality`  the latest data-quality run and the latest load's refused files and
                  quarantined rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import polars as pl

CHANGES = ("new_delinquent", "cure", "roll_forward", "roll_back")


@dataclass(frozen=True)
class Window:
    """The business dates "since yesterday" covers."""

    first: date | None  # first business date the latest load brought
    last: date | None  # last one
    load_id: int | None  # the latest load that landed or replaced a file
    as_of: date | None  # the warehouse's as-of date (core.as_of_date)

    @property
    def today(self) -> date | None:
        """The morning the figures are read: the day after the as-of date."""
        return None if self.as_of is None else self.as_of + timedelta(days=1)


def _frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> pl.DataFrame:
    relation = con.sql(sql, params=params or [])
    assert relation is not None, "a briefing query is a SELECT"
    return relation.pl()


def _one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple | None:
    """The first row of `sql`, every row fetched (DuckDB keeps a half-read result open)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def _has(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, _, name = relation.partition(".")
    found = _one(
        con,
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?",
        [schema, name],
    )
    return bool(found and found[0])


def load_window(con: duckdb.DuckDBPyConnection) -> Window:
    """The latest load that landed or replaced a file, and the business dates of those files;
    without one (nothing new), the as-of date alone."""
    as_of_row = _one(con, "SELECT as_of_date FROM core.as_of_date")
    as_of = as_of_row[0] if as_of_row else None
    row = _one(
        con,
        """
        SELECT load_id, min(business_date), max(business_date)
        FROM ops.loaded_files
        WHERE status IN ('landed', 'replaced') AND business_date IS NOT NULL
            AND load_id = (
                SELECT max(load_id) FROM ops.loaded_files WHERE status IN ('landed', 'replaced')
            )
        GROUP BY load_id
        """,
    )
    if row is None:
        return Window(as_of, as_of, None, as_of)
    load_id, first, last = row
    if as_of is not None and last is not None and last > as_of:
        last = as_of
    return Window(first, last, int(load_id), as_of)


def _limited(sql: str, limit: int | None) -> str:
    return sql if limit is None else f"{sql}\nLIMIT {int(limit)}"


def day_changes(
    con: duckdb.DuckDBPyConnection, window: Window, limit: int | None = None
) -> pl.DataFrame:
    """Accounts whose bucket changed on the window's snapshot dates, worst news first (the first
    `limit` of them when given: a first load's window spans years, millions of moves)."""
    if window.first is None or not _has(con, "mart.account_day_changes"):
        return pl.DataFrame(
            schema={"as_of_date": pl.Date, "account_id": pl.String, "change": pl.String}
        )
    sql = """
        SELECT
            as_of_date, account_id, change, from_bucket, to_bucket, balance, product, branch
        FROM mart.account_day_changes
        WHERE as_of_date BETWEEN ? AND ?
        ORDER BY
            CASE change WHEN 'roll_forward' THEN 0 WHEN 'new_delinquent' THEN 1
                WHEN 'cure' THEN 2 ELSE 3 END,
            balance DESC NULLS LAST, account_id
        """
    return _frame(con, _limited(sql, limit), [window.first, window.last])


def change_totals(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, tuple[int, Decimal]]:
    """Accounts and balance per kind of change on the window's dates (every kind, zeros
    included), summed by the warehouse: the same figures as `change_counts` of every row."""
    counted: dict[str, tuple[int, Decimal]] = {change: (0, Decimal("0.00")) for change in CHANGES}
    if window.first is None or not _has(con, "mart.account_day_changes"):
        return counted
    rows = con.execute(
        """
        SELECT change, count(*), sum(balance)
        FROM mart.account_day_changes
        WHERE as_of_date BETWEEN ? AND ?
        GROUP BY change
        """,
        [window.first, window.last],
    ).fetchall()
    for change, accounts, balance in rows:
        if change in counted:
            counted[change] = (int(accounts), Decimal("0.00") if balance is None else balance)
    return counted


def change_counts(changes: pl.DataFrame) -> dict[str, tuple[int, Decimal]]:
    """Accounts and balance per kind of change (every kind, zeros included)."""
    counted: dict[str, tuple[int, Decimal]] = {change: (0, Decimal("0.00")) for change in CHANGES}
    if changes.is_empty() or "balance" not in changes.columns:
        return counted
    for change in CHANGES:
        rows = changes.filter(pl.col("change") == change)
        total = sum((v for v in rows["balance"].to_list() if v is not None), Decimal("0.00"))
        counted[change] = (rows.height, total)
    return counted


def promises_due(con: duckdb.DuckDBPyConnection, day: date | None) -> pl.DataFrame:
    """Pending promises due on `day` (the morning after the as-of date), largest first."""
    return _frame(
        con,
        """
        SELECT promise_id, account_id, agent_id, agent_name, team, promised_date,
            promised_amount, paid_amount, bucket
        FROM mart.promise_outcomes
        WHERE status = 'pending' AND promised_date = ?
        ORDER BY promised_amount DESC, promise_id
        """,
        [day],
    )


BROKEN_SQL = """
    SELECT promise_id, account_id, agent_id, agent_name, team, promised_date, paid_by,
        promised_amount, paid_amount, bucket
    FROM mart.promise_outcomes
    WHERE status = 'broken' AND paid_by BETWEEN ? AND ?
    ORDER BY promised_amount DESC, promise_id
    """

BREACHES_SQL = """
    SELECT started_at, local_time, timezone, rule_set, rule, attempt_id, account_id,
        agent_id, agent_name, team, channel, outcome, detail
    FROM mart.compliance_breaches
    WHERE local_date BETWEEN ? AND ?
    ORDER BY started_at DESC, attempt_id, rule_set, rule
    """


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    """How many rows `sql` returns, counted by the warehouse."""
    row = _one(con, f"SELECT count(*) FROM ({sql})", params)
    return int(row[0]) if row else 0


def promises_broken(
    con: duckdb.DuckDBPyConnection, window: Window, limit: int | None = None
) -> pl.DataFrame:
    """Promises whose window closed in the window's dates with nothing paid (broken), largest
    first (the first `limit` when given)."""
    return _frame(con, _limited(BROKEN_SQL, limit), [window.first, window.last])


def broken_count(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    """How many promises `promises_broken` lists without a limit."""
    return _count(con, BROKEN_SQL, [window.first, window.last])


def new_breaches(
    con: duckdb.DuckDBPyConnection, window: Window, limit: int | None = None
) -> pl.DataFrame:
    """Breaches on the window's dates (the debtor's local date), newest first (the first `limit`
    when given)."""
    return _frame(con, _limited(BREACHES_SQL, limit), [window.first, window.last])


def breach_count(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    """How many breaches `new_breaches` lists without a limit."""
    return _count(con, BREACHES_SQL, [window.first, window.last])


@dataclass(frozen=True)
class Book:
    month: date
    is_complete: bool
    accounts: int  # the live book
    balance: Decimal
    delinquent_balance: Decimal  # M1 and worse
    ratios: dict[str, float | None]  # measure -> delinquent balance / live balance


def book(con: duckdb.DuckDBPyConnection) -> Book | None:
    """The latest month with a picture, whole book (the Portfolio page without filters)."""
    latest = _one(con, "SELECT month, is_complete FROM mart.months ORDER BY month DESC LIMIT 1")
    if latest is None:
        return None
    month, complete = latest
    row = _one(
        con,
        """
        WITH b AS (
            SELECT
                m.bucket, sum(m.accounts) AS accounts, sum(m.balance) AS balance,
                s.status IS NULL AS live,
                s.status IS NULL AND coalesce(s.min_days_past_due, 0) >= 1 AS delinquent
            FROM mart.bucket_month AS m
            INNER JOIN settings.buckets AS s ON m.bucket = s.bucket
            WHERE m.month = ?
            GROUP BY m.bucket, s.status, s.min_days_past_due
        )
        SELECT
            CAST(coalesce(sum(accounts) FILTER (WHERE live), 0) AS BIGINT),
            coalesce(sum(balance) FILTER (WHERE live), 0),
            coalesce(sum(balance) FILTER (WHERE delinquent), 0)
        FROM b
        """,
        [month],
    )
    assert row is not None
    ratios = con.execute(
        """
        SELECT measure, sum(delinquent_balance) / nullif(sum(live_balance), 0)
        FROM mart.delinquency_ratios WHERE month = ?
        GROUP BY measure ORDER BY measure
        """,
        [month],
    ).fetchall()
    return Book(
        month=month,
        is_complete=bool(complete),
        accounts=int(row[0]),
        balance=Decimal(row[1]),
        delinquent_balance=Decimal(row[2]),
        ratios={measure: None if value is None else float(value) for measure, value in ratios},
    )


def worst_rolling(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The delinquent buckets of the latest from-month of mart.roll_rates, worst roll first."""
    return _frame(
        con,
        """
        SELECT r.month, r.bucket, r.accounts,
            CAST(round(r.roll_forward_rate * r.accounts) AS BIGINT) AS rolled_forward,
            r.roll_forward_rate, r.roll_forward_balance_rate, r.cure_rate, r.balance
        FROM mart.roll_rates AS r
        INNER JOIN settings.buckets AS s ON r.bucket = s.bucket
        WHERE r.month = (SELECT max(month) FROM mart.roll_rates)
            AND s.status IS NULL
            AND s.sort_order > (SELECT min(sort_order) FROM settings.buckets WHERE status IS NULL)
            AND r.accounts > 0
        ORDER BY r.roll_forward_rate DESC NULLS LAST, r.accounts DESC
        """,
    )


@dataclass(frozen=True)
class Quality:
    run_status: str | None
    failed_errors: int
    failed_warnings: int
    files_refused: int
    rows_quarantined: int


def data_quality(con: duckdb.DuckDBPyConnection) -> Quality:
    """The latest data-quality run's verdict and the latest load's refusals and quarantine."""
    run = (
        _one(
            con,
            "SELECT status, failed_errors, failed_warnings FROM dq.runs "
            "ORDER BY run_id DESC LIMIT 1",
        )
        if _has(con, "dq.runs")
        else None
    )
    load = _one(
        con,
        "SELECT files_refused, rows_quarantined FROM ops.load_runs ORDER BY load_id DESC LIMIT 1",
    )
    return Quality(
        run_status=None if run is None else str(run[0]),
        failed_errors=0 if run is None else int(run[1] or 0),
        failed_warnings=0 if run is None else int(run[2] or 0),
        files_refused=0 if load is None else int(load[0] or 0),
        rows_quarantined=0 if load is None else int(load[1] or 0),
    )
