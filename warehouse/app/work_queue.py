"""Today's work queue: delinquent accounts ranked by expected recovery, not by days past due.

For the latest month of mart.account_strategy (the accounts' latest pictures), every live
account at least one day past due, with:

* **probability of curing** (back to Current at the next month end), estimated from the
  warehouse's own migration (mart.bucket_migration_by_segment) over the last `flow_rate_months`
  complete months (settings.analytics_parameters), by segment = bucket x product x risk grade.
  A small segment borrows strength from its bucket: p = (cured + k * p_bucket) / (accounts + k)
  with k = `PRIOR_ACCOUNTS` (a beta prior centred on the bucket's cure rate), so a segment of
  three accounts does not claim a 0% or 100% cure rate.
* **expected recovery** = balance x probability of curing; the queue is sorted by it.
* **treatment** (settings.treatments via mart.account_strategy): channels, contacts per week,
  script focus, next step; accounts flagged do-not-contact are listed with no window.
* **team**: the team that made most of the attempts on the account's bucket and first channel
  over the same months (mart.contact_effectiveness).
* **contact windows left today**: per channel, the local hours every rule in force permits
  (settings.compliance_rules of kind `window` with their settings.contact_windows, for the
  rule sets whose time-zone pattern covers the debtor; none on a non-working day for channels
  under a `non_working_day` rule), from the debtor's local time now to the end of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from warehouse.months import add_months

PRIOR_ACCOUNTS = 20.0
NO_WINDOW = "none left today"

Interval = tuple[int, int]  # minutes from local midnight, [start, end)


@dataclass(frozen=True)
class Queue:
    month: date
    now: datetime
    frame: pl.DataFrame


def _minutes(clock: str) -> int:
    hours, minutes, *seconds = (int(part) for part in clock.split(":"))
    return hours * 60 + minutes + (1 if seconds and seconds[0] else 0)


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    found = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo < hi:
                found.append((lo, hi))
    return sorted(found)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe_windows(intervals: list[Interval]) -> str:
    return ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in intervals) or NO_WINDOW


class ContactRules:
    """The contact-window rules in force, read once, judged per time zone, channel and instant."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.bank_zone = (
            con.execute("SELECT max(timezone) FROM settings.bank_timezone").fetchall()[0] or ["UTC"]
        )[0] or "UTC"
        self.rules = con.sql(
            """
            SELECT r.rule_set, r.rule, r.check_kind, s.applies_to_timezones AS pattern, c.channel
            FROM settings.compliance_rules AS r
            JOIN settings.compliance_rule_sets AS s USING (rule_set)
            JOIN settings.compliance_rule_channels AS c USING (rule_set, rule)
            WHERE r.in_force AND s.in_force AND r.check_kind IN ('window', 'non_working_day')
            """
        ).fetchall()
        self.windows: dict[tuple[str, str], list[tuple[str, str, str, bool]]] = {}
        for rule_set, rule, day_type, starts, ends, inclusive in con.execute(
            "SELECT rule_set, rule, day_type, starts_at, ends_at, ends_inclusive "
            "FROM settings.contact_windows"
        ).fetchall():
            self.windows.setdefault((rule_set, rule), []).append(
                (day_type, starts, ends, inclusive)
            )
        self.working = {
            int(day): bool(is_working)
            for day, is_working in con.execute(
                "SELECT iso_weekday, is_working FROM settings.working_weekdays"
            ).fetchall()
        }
        self.exceptions = {
            day: kind for day, kind in con.execute("SELECT date, kind FROM raw.holidays").fetchall()
        }

    def is_working_day(self, day: date) -> bool:
        kind = self.exceptions.get(day)
        if kind == "holiday":
            return False
        if kind == "makeup_workday":
            return True
        return self.working.get(day.isoweekday(), True)

    def windows_left(self, zone: str | None, channel: str, now: datetime) -> list[Interval]:
        """The intervals of today (debtor's local day) still ahead of `now` for this channel."""
        tz = ZoneInfo(zone or self.bank_zone)
        local = now.astimezone(tz)
        day_type = "working" if self.is_working_day(local.date()) else "non_working"
        allowed: list[Interval] = [(0, 24 * 60)]
        for rule_set, rule, kind, pattern, rule_channel in self.rules:
            if rule_channel != channel or not _like(zone or self.bank_zone, pattern):
                continue
            if kind == "non_working_day":
                if day_type == "non_working":
                    return []
                continue
            rows = self.windows.get((rule_set, rule), [])
            todays = [r for r in rows if r[0] in (day_type, "any")]
            if not todays:
                if any(r[0] != day_type for r in rows) and rows:
                    continue  # the rule has no windows for this day type: it does not judge it
                continue
            permitted = [
                (_minutes(starts), _minutes(ends) + (1 if inclusive else 0))
                for _, starts, ends, inclusive in todays
            ]
            allowed = _intersect(allowed, permitted)
        minute_now = local.hour * 60 + local.minute + (1 if local.second else 0)
        return [(max(a, minute_now), b) for a, b in allowed if b > minute_now]


def _like(value: str, pattern: str | None) -> bool:
    if pattern is None:
        return True
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern.replace("%", "*").replace("_", "?"))


def cure_probabilities(con: duckdb.DuckDBPyConnection, month: date, months: int) -> pl.DataFrame:
    """Per bucket x product x risk grade: accounts, cured and the shrunk probability of curing."""
    first = add_months(month, -months)
    moves = con.sql(
        """
        SELECT from_bucket AS bucket, product, risk_grade,
               sum(accounts)::DOUBLE AS accounts,
               coalesce(sum(accounts) FILTER (WHERE to_bucket = 'Current'), 0)::DOUBLE AS cured
        FROM mart.bucket_migration_by_segment
        WHERE month >= ? AND month < ? AND from_bucket NOT IN ('New', 'Gone')
        GROUP BY ALL
        """,
        params=[first, month],
    ).pl()
    by_bucket = moves.group_by("bucket").agg(
        (pl.col("cured").sum() / pl.col("accounts").sum()).alias("bucket_cure_rate")
    )
    return moves.join(by_bucket, on="bucket", how="left").with_columns(
        (
            (pl.col("cured") + PRIOR_ACCOUNTS * pl.col("bucket_cure_rate"))
            / (pl.col("accounts") + PRIOR_ACCOUNTS)
        ).alias("cure_probability")
    )


def build_queue(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime | None = None,
    month: date | None = None,
    arms: pl.DataFrame | None = None,
) -> Queue:
    """The ranked queue (see the module docstring). `arms` (account_id, arm, treatment,
    channels, contacts_per_week) overrides the treatment of accounts in a challenger arm."""
    now = now or datetime.now(UTC)
    if month is None:
        month = con.execute("SELECT max(month) FROM mart.account_strategy").fetchall()[0][0]
    params = {
        name: float(value)
        for name, value in con.execute(
            "SELECT parameter, value FROM settings.analytics_parameters"
        ).fetchall()
    }
    months = int(params.get("flow_rate_months", 6))
    accounts = con.sql(
        """
        SELECT s.account_id, s.bucket, s.days_past_due, s.product, s.branch, s.risk_grade,
               s.delinquency_cause, s.treatment, s.channels, s.contacts_per_week, s.script_focus,
               s.next_step, m.balance, coalesce(a.do_not_contact, false) AS do_not_contact,
               a.timezone
        FROM mart.account_strategy AS s
        JOIN mart.account_month AS m USING (month, account_id)
        LEFT JOIN core.accounts AS a USING (account_id)
        WHERE s.month = ? AND s.delinquency_cause IS NOT NULL
        """,
        params=[month],
    ).pl()
    accounts = accounts.with_columns(pl.lit("champion").alias("arm"))
    if arms is not None and arms.height:
        accounts = (
            accounts.join(arms, on="account_id", how="left", suffix="_arm")
            .with_columns(
                pl.col("arm_arm").fill_null(pl.col("arm")).alias("arm"),
                *(
                    pl.coalesce(f"{c}_arm", c).alias(c)
                    for c in ("treatment", "channels", "contacts_per_week")
                ),
            )
            .drop(c for c in ("arm_arm", "treatment_arm", "channels_arm", "contacts_per_week_arm"))
        )
    cures = cure_probabilities(con, month, months)
    by_bucket = cures.group_by("bucket").agg(pl.col("bucket_cure_rate").first())
    ranked = (
        accounts.join(
            cures.select("bucket", "product", "risk_grade", "cure_probability"),
            on=["bucket", "product", "risk_grade"],
            how="left",
            nulls_equal=True,
        )
        .join(by_bucket, on="bucket", how="left")
        .with_columns(
            pl.coalesce("cure_probability", "bucket_cure_rate", pl.lit(0.0)).alias(
                "cure_probability"
            )
        )
        .with_columns(
            (pl.col("balance").cast(pl.Float64) * pl.col("cure_probability")).alias(
                "expected_recovery"
            )
        )
        .drop("bucket_cure_rate")
    )
    first = add_months(month, -(months - 1))
    teams = con.sql(
        """
        SELECT bucket, channel, arg_max(team, attempts) AS team
        FROM (
            SELECT bucket, channel, team, sum(attempts) AS attempts
            FROM mart.contact_effectiveness
            WHERE team IS NOT NULL AND month BETWEEN ? AND ?
            GROUP BY ALL
        )
        GROUP BY ALL
        """,
        params=[first, month],
    ).pl()
    by_bucket_team = teams.group_by("bucket").agg(pl.col("team").first().alias("bucket_team"))
    ranked = (
        ranked.with_columns(
            pl.col("channels").str.split(",").list.first().str.strip_chars().alias("first_channel")
        )
        .join(
            teams.rename({"channel": "first_channel"}), on=["bucket", "first_channel"], how="left"
        )
        .join(by_bucket_team, on="bucket", how="left")
        .with_columns(pl.coalesce("team", "bucket_team", pl.lit("(unassigned)")).alias("team"))
        .drop("bucket_team", "first_channel")
    )
    rules = ContactRules(con)
    cache: dict[tuple[Any, str], str] = {}

    def windows(row: dict[str, Any]) -> str:
        if row["do_not_contact"]:
            return "do not contact"
        parts = []
        for channel in (c.strip() for c in (row["channels"] or "").split(",") if c.strip()):
            key = (row["timezone"], channel)
            if key not in cache:
                cache[key] = describe_windows(rules.windows_left(row["timezone"], channel, now))
            parts.append(f"{channel}: {cache[key]}")
        return "; ".join(parts)

    ranked = ranked.with_columns(
        pl.struct("do_not_contact", "channels", "timezone")
        .map_elements(windows, return_dtype=pl.String)
        .alias("windows_left_today")
    )
    ranked = ranked.sort(
        ["do_not_contact", "expected_recovery", "account_id"], descending=[False, True, False]
    ).with_row_index("rank", offset=1)
    return Queue(month, now, ranked.select(
        "rank", "account_id", "team", "bucket", "days_past_due", "balance", "cure_probability",
        "expected_recovery", "risk_grade", "delinquency_cause", "arm", "treatment", "channels",
        "contacts_per_week", "windows_left_today", "script_focus", "next_step", "product",
        "branch", "do_not_contact",
    ))  # fmt: skip


def team_export(queue: pl.DataFrame, team: str) -> bytes:
    """One team's part of the queue as CSV, in queue order."""
    return queue.filter(pl.col("team") == team).write_csv().encode("utf-8")


def as_local(now: datetime, zone: str) -> time:
    return now.astimezone(ZoneInfo(zone)).time()
