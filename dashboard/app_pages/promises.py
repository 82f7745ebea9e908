"""Promises and plans: are promises to pay kept, by whom and in which bucket, and do plans hold.

Kept / partial / broken rates among resolved promises per month, agent and bucket; how the kept
rate would move with other grace days and tolerances (settings.promise_scenarios); repayment
plans by type. Month range and team filters apply (team: the agent who took the promise).
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import alerts, tables
from dashboard import format as fmt
from dashboard.app_pages import (
    alert_thresholds,
    current_filters,
    current_version,
    glossary_help,
    ignored_filters_note,
    needs_load,
    provenance_caption,
    show_alerts,
    url_segmented,
)
from dashboard.i18n import t, text
from dashboard.reads import connection
from dashboard.reads import promises as reads
from dashboard.reads.filters import TEAM

BY = {"agent": "col.agent", "bucket": "col.bucket"}
OUTCOMES = {
    "kept_rate": ("promises.kept", "#2e7d32"),
    "partial_rate": ("promises.partial", "#f9a825"),
    "broken_rate": ("promises.broken", "#c62828"),
}


def trend_figure(trend: pl.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, (label, colour) in OUTCOMES.items():
        fig.add_bar(
            x=trend["month"].to_list(),
            y=trend[column].to_list(),
            name=text(label),
            marker_color=colour,
            hovertemplate="%{y:.1%}",
        )
    fig.update_layout(
        barmode="stack",
        height=320,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_xaxes(tickformat=fmt.month_tickformat(), dtick="M1" if trend.height <= 12 else "M3")
    return fig


def sensitivity_figure(scenarios: pl.DataFrame) -> go.Figure:
    graces = sorted(scenarios["grace_days"].unique().to_list())
    tolerances = sorted(scenarios["tolerance_share"].unique().to_list())
    cells = {
        (r["grace_days"], r["tolerance_share"]): r["kept_rate"]
        for r in scenarios.iter_rows(named=True)
    }
    z = [[cells.get((g, tol)) for tol in tolerances] for g in graces]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[fmt.percent(tol) for tol in tolerances],
            y=[str(g) for g in graces],
            text=[[fmt.percent(v) for v in line] for line in z],
            texttemplate="%{text}",
            colorscale="Greens",
            showscale=False,
            hovertemplate=text("promises.sensitivity_hover") + "<extra></extra>",
        )
    )
    fig.update_xaxes(title=text("promises.tolerance"), type="category")
    fig.update_yaxes(title=text("promises.grace_days"), type="category")
    fig.update_layout(height=60 + 32 * len(graces), margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


version = current_version()
filters = current_filters()
st.title(t("promises.title"))
provenance_caption(version)
if filters is None:
    st.info(t("portfolio.no_snapshot"))
    st.stop()
ignored_filters_note(filters, TEAM)
if needs_load(
    version,
    "mart.promise_kept_rates.resolved",
    "mart.promise_kept_sensitivity.resolved",
    "mart.plan_performance.ended",
):
    st.stop()
thresholds = alert_thresholds(version)

trend = reads.promise_rates(version, filters, "month")
pending = reads.open_promises(version, filters)
if trend.is_empty() and pending.is_empty():
    st.info(t("promises.none"))
else:
    total = reads.promise_totals(version, filters)
    cards = st.columns(4)
    cards[0].metric(t("col.promises"), fmt.count(total["promises"]), border=True)
    cards[1].metric(
        t("col.kept_rate"),
        fmt.percent(total["kept_rate"]),
        border=True,
        help=glossary_help(t("promises.kept_help"), "promise_kept_rate"),
    )
    cards[2].metric(t("promises.broken_rate"), fmt.percent(total["broken_rate"]), border=True)
    cards[3].metric(
        t("promises.pending_now"),
        fmt.count(pending.height),
        border=True,
        help=glossary_help(t("promises.pending_help"), "pending"),
    )

    st.subheader(t("promises.open"))
    through = connection.as_of_date(version)
    if pending.is_empty():
        st.caption(t("promises.open_none"))
    else:
        st.caption(t("promises.open_note", day=fmt.long_day(through)))
        tables.show(pending, key="promise_open")

    st.subheader(t("promises.trend"))
    st.plotly_chart(trend_figure(trend), config={"displaylogo": False}, key="promise_trend")

    st.subheader(t("promises.breakdown"))
    by = url_segmented(t("contacts.by"), BY, key="promise_by", default="agent")
    breakdown = reads.promise_rates(version, filters, by)
    tables.show(breakdown, key=f"promise_{by}", hide=("resolved",))
    subject = "agent_id" if by == "agent" else "bucket"
    show_alerts(
        alerts.thin_rates(
            breakdown.filter(pl.col(subject).is_not_null()),
            subject=subject,
            base="resolved",
            rate="col.kept_rate",
            thresholds=thresholds,
        )
    )

    st.subheader(t("promises.sensitivity"))
    scenarios = reads.kept_sensitivity(version, filters)
    if not scenarios.is_empty():
        st.plotly_chart(
            sensitivity_figure(scenarios), config={"displaylogo": False}, key="promise_sensitivity"
        )
        in_force = scenarios.filter(pl.col("is_in_force"))
        if not in_force.is_empty():
            row = in_force.row(0, named=True)
            st.caption(
                t(
                    "promises.in_force",
                    grace=row["grace_days"],
                    tolerance=fmt.percent(row["tolerance_share"]),
                    rate=fmt.percent(row["kept_rate"]),
                )
            )

st.subheader(t("promises.plans"))
plans = reads.plan_performance(version, filters)
if plans.is_empty():
    st.caption(t("promises.no_plans"))
else:
    tables.show(
        plans,
        width="content",
        key="promise_plans",
        columns={
            "kept_rate": tables.rate("promises.plan_kept_rate"),
            "broken_rate": tables.rate("promises.plan_broken_rate"),
        },
    )
    st.caption(t("promises.plans_note"))
