"""Contacts: which channels, hours and people reach debtors and bring promises and money.

The funnel attempt -> connect -> right-party contact -> promise -> kept promise per channel;
the right-party-contact rate by the debtor's local weekday and hour (the best time to call);
and the agent, team and agency tables. The month range and team filters apply; product,
branch and risk grade do not (the contact marts are not cut by them) and the page says so.
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
    url_select,
)
from dashboard.i18n import t, text
from dashboard.reads import contacts as reads
from dashboard.reads.connection import missing_objects
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
            name=fmt.chart_text(fmt.code("channel", row["channel"])),
            y=[text(label) for label in STAGES.values()],
            x=[row[stage] for stage in STAGES],
            textinfo="value+percent initial",
        )
    fig.update_layout(height=360, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


def heat_figure(grid: pl.DataFrame, permitted: pl.DataFrame) -> go.Figure:
    """RPC rate per slot; the slots the rules in force forbid are greyed (their rate is not
    coloured, so a forbidden hour never looks like a good time to call)."""
    hours = list(range(24))
    cells = {(r["weekday"], r["hour"]): r for r in grid.iter_rows(named=True)}
    forbidden = {
        (r["weekday"], r["hour"]): r["forbidden_by"]
        for r in permitted.iter_rows(named=True)
        if not r["is_permitted"]
    }
    z = [
        [
            None if (day, hour) in forbidden else cells.get((day, hour), {}).get("rpc_rate")
            for hour in hours
        ]
        for day in range(1, 8)
    ]
    custom = [
        [cells.get((day, hour), {}).get("attempts", 0) for hour in hours] for day in range(1, 8)
    ]
    x = [f"{h:02d}" for h in hours]
    y = [text(f"contacts.weekday.{d}") for d in WEEKDAYS]
    fig = go.Figure(
        go.Heatmap(
            z=[[1 if (day, hour) in forbidden else None for hour in hours] for day in range(1, 8)],
            x=x,
            y=y,
            colorscale=[[0, "#d6d6d6"], [1, "#d6d6d6"]],
            showscale=False,
            customdata=[[forbidden.get((day, hour), "") for hour in hours] for day in range(1, 8)],
            hovertemplate=text("contacts.heat_forbidden") + "<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.add_heatmap(
        z=z,
        x=x,
        y=y,
        customdata=custom,
        colorscale="Greens",
        zmin=0,
        hovertemplate=text("contacts.heat_hover") + "<extra></extra>",
        colorbar={"tickformat": ".0%"},
        xgap=1,
        ygap=1,
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=text("contacts.hour"), type="category")
    fig.update_layout(height=330, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return fig


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
    help=glossary_help(t("contacts.rpc_help"), "rpc_rate"),
)
cards[3].metric(
    t("col.promise_rate"),
    fmt.percent(totals["promise_rate"]),
    border=True,
    help=glossary_help(t("contacts.promise_help"), "promise_rate"),
)

st.subheader(t("contacts.funnel"))
st.plotly_chart(funnel_figure(funnel), config={"displaylogo": False}, key="contact_funnel")
tables.show(funnel, width="content", key="contact_funnel_table")
show_alerts(
    alerts.thin_rates(
        funnel.with_columns(
            pl.col("channel").map_elements(
                lambda channel: fmt.code("channel", channel), return_dtype=pl.String
            )
        ),
        subject="channel",
        base="attempts",
        rate="col.rpc_rate",
        thresholds=thresholds,
    )
)

st.subheader(t("contacts.best_time"))
channels = funnel["channel"].to_list()
channel = url_select(
    t("col.channel"),
    channels,
    key="heat_channel",
    default="call" if "call" in channels else None,
    format_func=lambda code: fmt.code("channel", code),
)
grid = reads.hour_weekday(version, filters, channel)
permitted = (
    reads.permitted_slots(version, channel)
    if "mart.permitted_contact_slots" not in missing_objects(version)
    else None
)
st.plotly_chart(
    heat_figure(grid, permitted if permitted is not None else grid.clear()),
    config={"displaylogo": False},
    key="contact_heat",
)
top = reads.best_slot(grid, least_attempts=thresholds.min_accounts_for_rate, permitted=permitted)
respected = reads.rule_sets_respected(permitted) if permitted is not None else []
rule_sets = ", ".join(fmt.code("rule_set", name) for name in respected) or fmt.MISSING
if top is not None:
    st.caption(
        t(
            "contacts.best_slot",
            day=text(f"contacts.weekday.{WEEKDAYS[top['weekday'] - 1]}"),
            hour=f"{top['hour']:02d}:00",
            rate=fmt.percent(top["rpc_rate"]),
            attempts=fmt.count(top["attempts"]),
        )
        + " "
        + t("contacts.best_slot_rules", rule_sets=rule_sets)
    )
elif not grid.is_empty():
    st.caption(t("contacts.no_permitted_slot", rule_sets=rule_sets))
if permitted is not None:
    st.caption(t("contacts.heat_note", rule_sets=rule_sets))

st.subheader(t("contacts.tables"))
by = url_segmented(t("contacts.by"), TABLES, key="league_by", default="agent")
league = reads.agent_table(version, filters, by)
tables.show(league, key=f"league_{by}", hide=("promises_kept", "promises_resolved"))
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
