"""Promises and plans: are promises to pay kept, by whom and in which bucket, and do plans hold.

Kept / partial / broken rates among resolved promises per month, agent and bucket; how the kept
rate would move with other grace days and tolerances (settings.promise_scenarios); repayment
plans by type. Month range and team filters apply (team: the agent who took the promise).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import alerts
from dashboard import format as fmt
from dashboard.app_pages import (
    alert_thresholds,
    current_filters,
    current_version,
    ignored_filters_note,
    needs_load,
    provenance_caption,
    show_alerts,
    url_segmented,
)
from dashboard.i18n import t
from dashboard.reads import promises as reads
from dashboard.reads.filters import TEAM

BY = {"agent": "col.agent", "bucket": "col.bucket"}
OUTCOMES = {
    "kept_rate": ("promises.kept", "#2e7d32"),
    "partial_rate": ("promises.partial", "#f9a825"),
    "broken_rate": ("promises.broken", "#c62828"),
}


def rate_config() -> dict[str, Any]:
    return {
        "month": st.column_config.DateColumn(t("col.month"), format="YYYY-MM"),
        "agent_id": st.column_config.TextColumn(t("col.agent_id")),
        "agent_name": st.column_config.TextColumn(t("col.agent")),
        "team": st.column_config.TextColumn(t("col.team")),
        "bucket": st.column_config.TextColumn(t("col.bucket")),
        "promises": st.column_config.NumberColumn(t("col.promises"), format="%,d"),
        "kept": st.column_config.NumberColumn(t("promises.kept"), format="%,d"),
        "partial": st.column_config.NumberColumn(t("promises.partial"), format="%,d"),
        "broken": st.column_config.NumberColumn(t("promises.broken"), format="%,d"),
        "pending": st.column_config.NumberColumn(t("promises.pending"), format="%,d"),
        "kept_rate": st.column_config.NumberColumn(t("col.kept_rate"), format="percent"),
        "partial_rate": st.column_config.NumberColumn(t("promises.partial_rate"), format="percent"),
        "broken_rate": st.column_config.NumberColumn(t("promises.broken_rate"), format="percent"),
        "resolved": None,  # the thin-rate alert's base, not a column of the table
    }


def trend_figure(trend: pl.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, (label, colour) in OUTCOMES.items():
        fig.add_bar(
            x=trend["month"].to_list(),
            y=trend[column].to_list(),
            name=t(label),
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
    fig.update_xaxes(tickformat="%Y-%m", dtick="M1" if trend.height <= 12 else "M3")
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
            hovertemplate=t("promises.sensitivity_hover") + "<extra></extra>",
        )
    )
    fig.update_xaxes(title=t("promises.tolerance"), type="category")
    fig.update_yaxes(title=t("promises.grace_days"), type="category")
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
if trend.is_empty():
    st.info(t("promises.none"))
else:
    total = reads.promise_totals(version, filters)
    cards = st.columns(4)
    cards[0].metric(t("col.promises"), fmt.count(total["promises"]), border=True)
    cards[1].metric(
        t("col.kept_rate"),
        fmt.percent(total["kept_rate"]),
        border=True,
        help=t("promises.kept_help"),
    )
    cards[2].metric(t("promises.broken_rate"), fmt.percent(total["broken_rate"]), border=True)
    cards[3].metric(t("promises.pending"), fmt.count(total["pending"]), border=True)

    st.subheader(t("promises.trend"))
    st.plotly_chart(trend_figure(trend), config={"displaylogo": False}, key="promise_trend")

    st.subheader(t("promises.breakdown"))
    by = url_segmented(t("contacts.by"), BY, key="promise_by", default="agent")
    breakdown = reads.promise_rates(version, filters, by)
    st.dataframe(breakdown, hide_index=True, column_config=rate_config(), key=f"promise_{by}")
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
    st.dataframe(
        plans.with_columns(
            pl.col("plan_type").map_elements(
                lambda kind: t(f"promises.plan.{kind}"), return_dtype=pl.String
            )
        ),
        hide_index=True,
        width="content",
        column_config={
            "plan_type": st.column_config.TextColumn(t("promises.plan_type")),
            "plans": st.column_config.NumberColumn(t("promises.plan_count"), format="%,d"),
            "approved": st.column_config.NumberColumn(t("promises.approved"), format="%,d"),
            "active": st.column_config.NumberColumn(t("promises.active"), format="%,d"),
            "completed": st.column_config.NumberColumn(t("promises.completed"), format="%,d"),
            "broken": st.column_config.NumberColumn(t("promises.broken"), format="%,d"),
            "kept_rate": st.column_config.NumberColumn(
                t("promises.plan_kept_rate"), format="percent"
            ),
            "broken_rate": st.column_config.NumberColumn(
                t("promises.plan_broken_rate"), format="percent"
            ),
            "matured": st.column_config.NumberColumn(t("promises.matured"), format="%,d"),
            "cured": st.column_config.NumberColumn(t("promises.cured"), format="%,d"),
            "cure_rate": st.column_config.NumberColumn(t("migration.rate.cure"), format="percent"),
        },
    )
    st.caption(t("promises.plans_note"))
