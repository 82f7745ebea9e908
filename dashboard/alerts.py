"""Alerts where a manager would want them, each with the reason it fired.

Pure functions over small frames the pages already hold, so they are tested on hand-made rows
(`tests/test_alerts.py`) and never query anything themselves. Their thresholds come from
`settings.alert_thresholds` (`Thresholds.from_settings`), never from literals here:

- **divergence**: a bucket's roll-forward rate and its net flow rate moved in opposite
  directions from one month to the next, each by at least `divergence_min_change`: usually they
  move together, so cures, write-offs or balances behave unusually.
- **thin rate**: a rate shown on the page rests on fewer than `min_accounts_for_rate` accounts
  (attempts, promises): do not trust it alone.
- **breach spike**: an agent's or a team's breaches in the period's latest month reach
  `breach_spike_min_breaches` and at least `breach_spike_factor` times their average over the
  `breach_spike_baseline_months` months before it (a month without breaches counts as 0). The
  baseline is always the months *before* the month judged, read whatever the month filter (the
  page passes them), and an alert without a baseline does not fire: when the warehouse holds no
  contacts for one of those months, there is nothing to compare with.

Each alert holds a catalogue key and its fields; `message()` words it in the page's language.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from dashboard import format as fmt
from dashboard.i18n import t


@dataclass(frozen=True)
class Thresholds:
    """The alert settings of one warehouse version (settings.alert_thresholds)."""

    min_accounts_for_rate: int
    divergence_min_change: float
    breach_spike_factor: float
    breach_spike_min_breaches: int
    breach_spike_baseline_months: int

    @classmethod
    def off(cls) -> Thresholds:
        """No alert fires (a warehouse without settings.alert_thresholds yet)."""
        never = float("inf")
        return cls(0, never, never, 2**62, 1)

    @classmethod
    def from_settings(cls, values: Mapping[str, float]) -> Thresholds:
        missing = [name for name in cls.__dataclass_fields__ if name not in values]
        if missing:
            raise KeyError(f"settings.alert_thresholds lacks {missing}; found {sorted(values)}")
        return cls(
            min_accounts_for_rate=int(values["min_accounts_for_rate"]),
            divergence_min_change=float(values["divergence_min_change"]),
            breach_spike_factor=float(values["breach_spike_factor"]),
            breach_spike_min_breaches=int(values["breach_spike_min_breaches"]),
            breach_spike_baseline_months=int(values["breach_spike_baseline_months"]),
        )


@dataclass(frozen=True)
class Alert:
    kind: str  # divergence | thin_rate | breach_spike
    subject: str  # the bucket, agent or team it is about
    key: str  # catalogue key of the message
    fields: dict[str, object] = field(default_factory=dict)

    def message(self) -> str:
        """The alert in the page's language; months are worded at the last moment."""
        worded = {
            name: fmt.month(value) if isinstance(value, date) else value
            for name, value in self.fields.items()
        }
        return t(self.key, **worded)


def roll_flow_divergence(roll_rates: pl.DataFrame, thresholds: Thresholds) -> list[Alert]:
    """Buckets whose roll-forward rate and net flow rate moved apart in the latest month.

    `roll_rates`: month, bucket, roll_forward_rate, net_flow_rate (mart.roll_rates rows).
    """
    alerts: list[Alert] = []
    months = sorted(roll_rates["month"].unique().to_list())
    if len(months) < 2:
        return alerts
    previous, latest = months[-2], months[-1]
    both = (
        roll_rates.filter(pl.col("month") == latest)
        .join(roll_rates.filter(pl.col("month") == previous), on="bucket", suffix="_before")
        .drop_nulls(["roll_forward_rate", "roll_forward_rate_before"])
        .drop_nulls(["net_flow_rate", "net_flow_rate_before"])
    )
    least = thresholds.divergence_min_change
    for row in both.iter_rows(named=True):
        roll_change = row["roll_forward_rate"] - row["roll_forward_rate_before"]
        flow_change = row["net_flow_rate"] - row["net_flow_rate_before"]
        if roll_change * flow_change < 0 and min(abs(roll_change), abs(flow_change)) >= least:
            alerts.append(
                Alert(
                    "divergence",
                    row["bucket"],
                    "alerts.divergence",
                    {
                        "bucket": row["bucket"],
                        "roll_change": fmt.points(roll_change),
                        "flow_change": fmt.points(flow_change),
                        "previous": previous,
                        "month": latest,
                        "least": fmt.points(least),
                    },
                )
            )
    return alerts


def thin_rates(
    frame: pl.DataFrame,
    *,
    subject: str,
    base: str,
    rate: str,
    thresholds: Thresholds,
) -> list[Alert]:
    """One alert naming every row whose rate rests on 0 < `base` < min_accounts_for_rate.

    `subject` names the row (a bucket, agent, channel), `base` the count under the rate, `rate`
    the rate's catalogue label key (said in the message). One alert, not one per row, so a small
    slice does not bury the page in warnings.
    """
    least = thresholds.min_accounts_for_rate
    thin = frame.filter((pl.col(base) > 0) & (pl.col(base) < least))
    if thin.is_empty():
        return []
    named = ", ".join(f"{row[subject]} ({row[base]:,})" for row in thin.iter_rows(named=True))
    return [
        Alert(
            "thin_rate",
            ", ".join(str(value) for value in thin[subject].to_list()),
            "alerts.thin_rate",
            {"rate": t(rate), "subjects": named, "least": least},
        )
    ]


def _months_before(month: date, count: int) -> list[date]:
    months = []
    year, number = month.year, month.month
    for _ in range(count):
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
        months.append(date(year, number, 1))
    return months


def baseline_months(month: date, thresholds: Thresholds) -> list[date]:
    """The months a breach spike in `month` is compared with (the page reads them)."""
    return _months_before(month, thresholds.breach_spike_baseline_months)


def breach_spikes(
    counts: pl.DataFrame,
    *,
    subject: str,
    thresholds: Thresholds,
    month: date,
    held_months: Collection[date],
) -> list[Alert]:
    """Agents or teams whose breaches jumped in `month` (the period's latest) against the months
    before it.

    `counts`: `subject`, month, breaches (mart.compliance_breach_counts added up per subject and
    month), for `month` and its baseline months, read whatever the page's month filter.
    `held_months`: the months the warehouse holds contacts for; unless it holds every baseline
    month, there is no baseline and nothing fires.
    """
    if counts.is_empty():
        return []
    latest = month
    baseline_months = _months_before(latest, thresholds.breach_spike_baseline_months)
    if not baseline_months or any(m not in held_months for m in baseline_months):
        return []
    alerts: list[Alert] = []
    for name, rows in counts.group_by(subject, maintain_order=True):
        now = int(rows.filter(pl.col("month") == latest)["breaches"].sum())
        before = rows.filter(pl.col("month").is_in(baseline_months))["breaches"].sum()
        baseline = float(before) / len(baseline_months) if baseline_months else 0.0
        if (
            now >= thresholds.breach_spike_min_breaches
            and now >= thresholds.breach_spike_factor * baseline
        ):
            who = name[0] if isinstance(name, tuple) else name
            alerts.append(
                Alert(
                    "breach_spike",
                    str(who),
                    "alerts.breach_spike" if baseline else "alerts.breach_spike_from_none",
                    {
                        "subject": who,
                        "breaches": now,
                        "month": latest,
                        "baseline": f"{baseline:.1f}",
                        "months": len(baseline_months),
                        "factor": f"{thresholds.breach_spike_factor:g}",
                    },
                )
            )
    return alerts
