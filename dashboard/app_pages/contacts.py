"""Contacts: which channels, hours and people reach debtors and bring promises and money.

The funnel attempt -> connect -> right-party contact -> promise -> kept promise per channel;
the right-party-contact rate by the debtor's local weekday and hour (the best time to call);
and the agent, team and agency tables. The month range and team filters apply; product,
branch and risk grade do not (the contact marts are not cut by them) and the page says so.
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
    url_select,
)
from dashboard.i18n import t
from dashboard.reads import contacts as reads
from dashboard.reads.filters import TEAM

STAGES = {
    "attempts": "col.attempts",
    "connects": "col.connects",
    "right_party_contacts": "col.rpc",
    "promises": "col.promises",
    "promises_kept": "contacts.kept",
}
TABLES = {"agent": "col.agent", "team": "col.team", "agency": "col.agency"}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def funnel_figure(funnel: pl.DataFrame) -> go.Figure:
    fig = go.Figure()
    for row in funnel.iter_rows(named=True):
        fig.add_funnel(
            name=row["channel"],
            y=[t(label) for label in STAGES.values()],
            x=[row[stage] for stage in STAGES],
            textinfo="value+percent initial",
        )
    fig.update_layout(height=360, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


def heat_figure(grid: pl.DataFrame) -> go.Figure:
    hours = list(range(24))
    cells = {(r["weekday"], r["hour"]): r for r in grid.iter_rows(named=True)}
    z = [[cells.get((day, hour), {}).get("rpc_rate") for hour in hours] for day in range(1, 8)]
    custom = [
        [cells.get((day, hour), {}).get("attempts", 0) for hour in hours] for day in range(1, 8)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{h:02d}" for h in hours],
            y=[t(f"contacts.weekday.{d}") for d in WEEKDAYS],
            customdata=custom,
            colorscale="Greens",
            zmin=0,
            hovertemplate=t("contacts.heat_hover") + "<extra></extra>",
            colorbar={"tickformat": ".0%"},
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=t("contacts.hour"), type="category")
    fig.update_layout(height=330, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


LEAGUE_COLUMNS = {
    "agent_id": st.column_config.TextColumn("agent_id"),
    "attempts": "%,d",
    "connects": "%,d",
    "right_party_contacts": "%,d",
    "promises": "%,d",
    "amount_paid_within_window": "¥%,.2f",
    "rpc_rate": "percent",
    "promise_rate": "percent",
    "promise_kept_rate": "percent",
    "breaches": "%,d",
}
LEAGUE_LABELS = {
    "agent_id": "col.agent_id",
    "agent_name": "col.agent",
    "team": "col.team",
    "agency": "col.agency",
    "attempts": "col.attempts",
    "connects": "col.connects",
    "right_party_contacts": "col.rpc",
    "promises": "col.promises",
    "amount_paid_within_window": "col.amount_paid_within_window",
    "rpc_rate": "col.rpc_rate",
    "promise_rate": "col.promise_rate",
    "promise_kept_rate": "col.kept_rate",
    "breaches": "col.breaches",
}


def league_config() -> dict[str, Any]:
    config: dict[str, Any] = {}
    for column, label in LEAGUE_LABELS.items():
        number = LEAGUE_COLUMNS.get(column)
        config[column] = (
            st.column_config.NumberColumn(t(label), format=number)
            if isinstance(number, str)
            else st.column_config.TextColumn(t(label))
        )
    config["promises_kept"] = None
    config["promises_resolved"] = None
    return config


version = current_version()
filters = current_filters()
st.title(t("contacts.title"))
provenance_caption(version)
if filters is None:
    st.info(t("portfolio.no_snapshot"))
    st.stop()
ignored_filters_note(filters, TEAM)
if needs_load(version, "mart.contact_funnel", "mart.contact_slots"):
    st.stop()
thresholds = alert_thresholds(version)

funnel = reads.contact_funnel(version, filters)
if funnel.is_empty():
    st.info(t("contacts.none"))
    st.stop()

totals = reads.funnel_totals(version, filters)
cards = st.columns(4)
cards[0].metric(t("col.attempts"), fmt.count(totals["attempts"]), border=True)
cards[1].metric(t("col.connect_rate"), fmt.percent(totals["connect_rate"]), border=True)
cards[2].metric(
    t("col.rpc_rate"),
    fmt.percent(totals["rpc_rate"]),
    border=True,
    help=t("contacts.rpc_help"),
)
cards[3].metric(
    t("col.promise_rate"),
    fmt.percent(totals["promise_rate"]),
    border=True,
    help=t("contacts.promise_help"),
)

st.subheader(t("contacts.funnel"))
st.plotly_chart(funnel_figure(funnel), config={"displaylogo": False}, key="contact_funnel")
st.dataframe(
    funnel,
    hide_index=True,
    width="content",
    column_config={
        "channel": st.column_config.TextColumn(t("col.channel")),
        **{k: v for k, v in league_config().items() if k in funnel.columns or k.endswith("_rate")},
        "promises_kept": st.column_config.NumberColumn(t("contacts.kept"), format="%,d"),
    },
)
show_alerts(
    alerts.thin_rates(
        funnel, subject="channel", base="attempts", rate="col.rpc_rate", thresholds=thresholds
    )
)

st.subheader(t("contacts.best_time"))
channels = funnel["channel"].to_list()
channel = url_select(
    t("col.channel"),
    channels,
    key="heat_channel",
    default="call" if "call" in channels else None,
)
grid = reads.hour_weekday(version, filters, channel)
st.plotly_chart(heat_figure(grid), config={"displaylogo": False}, key="contact_heat")
top = reads.best_slot(grid, least_attempts=thresholds.min_accounts_for_rate)
if top is not None:
    st.caption(
        t(
            "contacts.best_slot",
            day=t(f"contacts.weekday.{WEEKDAYS[top['weekday'] - 1]}"),
            hour=f"{top['hour']:02d}:00",
            rate=fmt.percent(top["rpc_rate"]),
            attempts=fmt.count(top["attempts"]),
        )
    )

st.subheader(t("contacts.tables"))
by = url_segmented(t("contacts.by"), TABLES, key="league_by", default="agent")
league = reads.agent_table(version, filters, by)
st.dataframe(
    league,
    hide_index=True,
    column_config=league_config(),
    key=f"league_{by}",
)
subject = {"agent": "agent_id", "team": "team", "agency": "agency"}[by]
show_alerts(
    alerts.thin_rates(
        league.filter(pl.col(subject).is_not_null()),
        subject=subject,
        base="attempts",
        rate="col.rpc_rate",
        thresholds=thresholds,
    )
)
st.caption(t("contacts.tables_note"))
