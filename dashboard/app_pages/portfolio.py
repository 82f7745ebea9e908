"""Portfolio health: the book by delinquency bucket and its 30+/60+/90+ ratios over time.

For the collection manager: headline numbers of the latest month in range against the month
before, where the accounts and balance sit by bucket, how the delinquency ratios trend, and the
latest month by bucket. Everything follows the sidebar filters.
"""

from __future__ import annotations

from decimal import Decimal

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.colors import sample_colorscale
from streamlit.delta_generator import DeltaGenerator

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
    seed_from_url,
    show_alerts,
    url_segmented,
    write_to_url,
)
from dashboard.i18n import t, text
from dashboard.reads import portfolio as reads
from dashboard.reads.filters import SEGMENTS, month_facts

# From a healthy green through amber to a dark red for the worst live bucket; written-off and
# closed accounts are out of the live book and drawn in greys.
RISK_RAMP = [
    [0.0, "#2e7d32"],
    [0.14, "#fbc02d"],
    [0.3, "#fb8c00"],
    [0.45, "#f4511e"],
    [0.6, "#d32f2f"],
    [0.8, "#8e1414"],
    [1.0, "#4a0505"],
]
STATE_GREYS = ["#757575", "#bdbdbd", "#9e9e9e", "#616161"]
RATIO_RAMP = [[0.0, "#f9a825"], [0.5, "#e65100"], [1.0, "#8e0000"]]

BUCKET_VIEWS = {"balance": "portfolio.view.balance", "accounts": "portfolio.view.accounts"}
BUCKET_SCOPES = {"all": "portfolio.scope.all", "delinquent": "portfolio.scope.delinquent"}
RATIO_BASES = {"balance": "portfolio.basis.balance", "accounts": "portfolio.basis.accounts"}
SEGMENT_VIEWS = {
    "product": "col.product",
    "branch": "col.branch",
    "risk_grade": "col.risk_grade",
    "vintage_year": "portfolio.vintage",
}
VINTAGE_SEGMENTS = ("product", "branch")  # the segments mart.vintage_curves_by_segment carries


def bucket_colours(settings: pl.DataFrame) -> dict[str, str]:
    """Each bucket's colour, keyed by its label in the page's language (the legend's names)."""
    live = [fmt.code("bucket", b) for b in settings.filter(pl.col("live"))["bucket"].to_list()]
    states = [fmt.code("bucket", b) for b in settings.filter(~pl.col("live"))["bucket"].to_list()]
    steps = [i / max(len(live) - 1, 1) for i in range(len(live))]
    colours = dict(zip(live, sample_colorscale(RISK_RAMP, steps), strict=True))
    colours.update({b: STATE_GREYS[i % len(STATE_GREYS)] for i, b in enumerate(states)})
    return colours


def ratio_colours(measures: list[str]) -> dict[str, str]:
    steps = [i / max(len(measures) - 1, 1) for i in range(len(measures))]
    return dict(zip(measures, sample_colorscale(RATIO_RAMP, steps), strict=True))


def _month_axis(fig: go.Figure, month_count: int, *, height: int) -> None:
    every = "M1" if month_count <= 12 else ("M3" if month_count <= 36 else "M6")
    fig.update_xaxes(title=None, tickformat=fmt.month_tickformat(), dtick=every, showgrid=False)
    fig.update_layout(
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "title": None},
        hovermode="x unified",
        height=height,
    )


def _card(
    column: DeltaGenerator,
    label: str,
    value: str,
    *,
    change: float | Decimal | int | None,
    change_text: str | None,
    versus: str | None,
    worse_when_up: bool,
    explain: str,
) -> None:
    column.metric(
        label,
        value,
        delta=change_text if change is not None else None,
        delta_color="inverse" if worse_when_up and change else "off",
        delta_description=versus if change is not None else None,
        delta_arrow="off" if not change else "auto",
        border=True,
        help=explain,
    )


def kpi_cards(
    current: reads.MonthKpis, previous: reads.MonthKpis | None, measures: list[str]
) -> None:
    """Three book cards, then one card per delinquency ratio; each against the month before."""
    versus = t("common.versus", month=fmt.month(previous.month)) if previous else None
    top = st.columns(3)
    accounts_change = current.accounts - previous.accounts if previous else None
    _card(
        top[0],
        t("portfolio.kpi.accounts"),
        fmt.count(current.accounts),
        change=accounts_change,
        change_text=fmt.count(accounts_change, signed=True),
        versus=versus,
        worse_when_up=False,
        explain=glossary_help(t("portfolio.kpi.accounts_help"), "live_book"),
    )
    balance_change = current.balance - previous.balance if previous else None
    _card(
        top[1],
        t("portfolio.kpi.balance"),
        fmt.money(current.balance),
        change=balance_change,
        change_text=fmt.money(balance_change, signed=True),
        versus=versus,
        worse_when_up=False,
        explain=glossary_help(t("portfolio.kpi.balance_help"), "live_book"),
    )
    overdue_change = current.delinquent_balance - previous.delinquent_balance if previous else None
    _card(
        top[2],
        t("portfolio.kpi.delinquent_balance"),
        fmt.money(current.delinquent_balance),
        change=overdue_change,
        change_text=fmt.money(overdue_change, signed=True),
        versus=versus,
        worse_when_up=True,
        explain=glossary_help(t("portfolio.kpi.delinquent_balance_help"), "delinquent_book"),
    )
    for column, measure in zip(st.columns(max(len(measures), 1)), measures, strict=False):
        now = current.balance_ratios.get(measure)
        before = previous.balance_ratios.get(measure) if previous else None
        ratio_change = now - before if now is not None and before is not None else None
        _card(
            column,
            t("portfolio.kpi.ratio", measure=measure),
            fmt.percent(now),
            change=ratio_change,
            change_text=fmt.points(ratio_change),
            versus=versus,
            worse_when_up=True,
            explain=glossary_help(t("portfolio.kpi.ratio_help", measure=measure), "dpd_ratio"),
        )


def bucket_chart(
    buckets: pl.DataFrame, settings: pl.DataFrame, view: str, month_count: int
) -> go.Figure:
    frame = buckets.with_columns(
        pl.col("balance").cast(pl.Float64),
        pl.col("bucket").map_elements(lambda b: fmt.code("bucket", b), return_dtype=pl.String),
    )
    order = [fmt.code("bucket", b) for b in settings["bucket"].to_list()]
    fig = px.bar(
        frame,
        x="month",
        y=view,
        color="bucket",
        category_orders={"bucket": order},
        color_discrete_map=bucket_colours(settings),
    )
    if view == "balance":
        fig.update_traces(hovertemplate="%{fullData.name}: ¥%{y:,.2f}<extra></extra>")
        fig.update_yaxes(title=text("portfolio.axis.balance"), tickprefix="¥", tickformat=",.0f")
    else:
        fig.update_traces(hovertemplate="%{fullData.name}: %{y:,d}<extra></extra>")
        fig.update_yaxes(title=text("portfolio.axis.accounts"), tickformat=",d")
        tallest = frame.group_by("month").agg(pl.col("accounts").sum())["accounts"].max()
        if isinstance(tallest, int) and tallest <= 10:  # whole accounts only on a small book's axis
            fig.update_yaxes(dtick=1)
    fig.update_layout(barmode="stack", bargap=0.25, legend_title_text="")
    _month_axis(fig, month_count, height=400)
    return fig


def vintage_chart(curves: pl.DataFrame) -> go.Figure:
    """One line per origination cohort: the measure's share of the cohort by months on book."""
    fig = go.Figure()
    for vintage, rows in curves.sort("months_on_book").group_by("vintage", maintain_order=True):
        cohort = vintage[0] if isinstance(vintage, tuple) else vintage
        fig.add_scatter(
            x=rows["months_on_book"].to_list(),
            y=rows["delinquent_ratio"].to_list(),
            name=fmt.month(cohort),
            mode="lines+markers",
            hovertemplate="%{fullData.name} · %{x}: %{y:.1%}<extra></extra>",
        )
    fig.update_xaxes(title=text("col.months_on_book"), dtick=3 if curves.height > 24 else 1)
    fig.update_yaxes(title=text("portfolio.vintage_share"), tickformat=".0%", rangemode="tozero")
    fig.update_layout(
        height=340,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={"title": {"text": text("col.vintage")}},
    )
    return fig


def ratio_chart(
    ratios: pl.DataFrame, measures: list[str], basis: str, month_count: int
) -> go.Figure:
    column = "balance_ratio" if basis == "balance" else "account_ratio"
    fig = px.line(
        ratios,
        x="month",
        y=column,
        color="measure",
        markers=True,
        category_orders={"measure": measures},
        color_discrete_map=ratio_colours(measures),
    )
    fig.update_traces(hovertemplate="%{fullData.name}: %{y:.1%}<extra></extra>")
    fig.update_layout(legend_title_text="")
    fig.update_yaxes(
        title=text("portfolio.axis.live_balance_share")
        if basis == "balance"
        else text("portfolio.axis.live_accounts_share"),
        tickformat=".0%",
        rangemode="tozero",
    )
    _month_axis(fig, month_count, height=340)
    return fig


version = current_version()
filters = current_filters()

st.title(t("portfolio.title"))
if filters is None:
    provenance_caption(version)
    st.info(t("portfolio.no_snapshot"))
    st.stop()

facts = month_facts(version)
all_months = facts.with_picture
in_range = [m for m in all_months if filters.start <= m <= filters.end]
# The latest picture in range: the month chosen, or the latest before it when the bank has sent
# no snapshot since (a bank sending snapshots at month ends only, early in a month).
pictured = [m for m in all_months if m <= filters.end]
latest = pictured[-1] if pictured else filters.end
before = [m for m in all_months if m < latest]
previous_month = before[-1] if before else None
query_filters = filters.widened_to(previous_month) if previous_month else filters

buckets = reads.bucket_series(version, query_filters)
ratios = reads.ratio_series(version, query_filters)
settings = reads.bucket_settings(version)
measures = reads.ratio_measures(version)

provenance_caption(version)
ignored_filters_note(filters, SEGMENTS)
if latest != filters.end:
    st.info(
        t("portfolio.no_picture_yet", month=fmt.month(filters.end), latest=fmt.month(latest)),
        icon=":material/event_upcoming:",
    )
elif latest == facts.current and latest not in facts.complete:
    st.caption(t("portfolio.month_so_far", month=fmt.month(latest)))
if buckets.filter(pl.col("month") == latest).is_empty():
    st.warning(t("common.empty_slice", month=fmt.month(latest)))
    st.stop()

current = reads.month_kpis(buckets, ratios, settings, latest)
previous = (
    reads.month_kpis(buckets, ratios, settings, previous_month)
    if previous_month is not None
    and not buckets.filter(pl.col("month") == previous_month).is_empty()
    else None
)

st.subheader(t("portfolio.at_a_glance", month=fmt.month(latest)))
kpi_cards(current, previous, measures)

shown_buckets = buckets.filter(pl.col("month") >= filters.start)
shown_ratios = ratios.filter(pl.col("month") >= filters.start)

st.subheader(t("portfolio.book_by_bucket"))
with st.container(horizontal=True, gap="medium"):
    view = url_segmented(t("common.show"), BUCKET_VIEWS, key="bucket_view", default="balance")
    scope = url_segmented(t("portfolio.buckets"), BUCKET_SCOPES, key="bucket_scope", default="all")
if scope == "delinquent":
    shown_buckets = shown_buckets.filter(
        pl.col("bucket").is_in(settings.filter(pl.col("delinquent"))["bucket"].to_list())
    )
st.plotly_chart(
    bucket_chart(shown_buckets, settings, view, len(in_range)),
    config={"displaylogo": False},
    key="bucket_chart",
)

st.subheader(t("portfolio.ratios"))
basis = url_segmented(t("portfolio.basis"), RATIO_BASES, key="ratio_basis", default="balance")
st.plotly_chart(
    ratio_chart(shown_ratios, measures, basis, len(in_range)),
    config={"displaylogo": False},
    key="ratio_chart",
)
st.caption(t("portfolio.ratios_note"))

st.subheader(t("portfolio.by_bucket", month=fmt.month(latest)))
tables.show(
    reads.bucket_table(buckets.filter(pl.col("month") == latest), settings),
    width="content",
    key="bucket_table",
)
st.caption(t("portfolio.by_bucket_note"))

st.subheader(t("portfolio.flows"))
flows = reads.collected_and_written_off(version, filters).filter(pl.col("month") >= filters.start)
if not flows.is_empty():
    money = go.Figure()
    money.add_bar(
        x=flows["month"].to_list(),
        y=[float(v or 0) for v in flows["collected"].to_list()],
        name=text("portfolio.collected"),
        marker_color="#2e7d32",
        hovertemplate="¥%{y:,.2f}",
    )
    money.add_bar(
        x=flows["month"].to_list(),
        y=[float(v or 0) for v in flows["written_off"].to_list()],
        name=text("portfolio.written_off"),
        marker_color="#8e1414",
        hovertemplate="¥%{y:,.2f}",
    )
    money.update_yaxes(tickprefix="¥", tickformat=",.0f")
    _month_axis(money, len(in_range), height=300)
    st.plotly_chart(money, config={"displaylogo": False}, key="flow_chart")
    st.caption(t("portfolio.flows_note"))

st.subheader(t("portfolio.by_segment", month=fmt.month(latest)))
segment = url_segmented(t("portfolio.segment"), SEGMENT_VIEWS, key="segment", default="product")
by_segment = reads.portfolio_by_segment(version, filters, segment, latest)
if by_segment.is_empty() and latest not in facts.complete:
    st.caption(t("portfolio.segment_complete_only", month=fmt.month(latest)))
shown_segment = (
    by_segment.with_columns(
        pl.col("segment").map_elements(lambda g: fmt.code("risk_grade", g), return_dtype=pl.String)
    )
    if segment == "risk_grade"
    else by_segment
)
tables.show(
    shown_segment,
    width="content",
    key="segment_table",
    columns={"segment": tables.Column(SEGMENT_VIEWS[segment])},
)
show_alerts(
    alerts.thin_rates(
        by_segment.filter(pl.col("segment").is_not_null()),
        subject="segment",
        base="live_accounts",
        rate="portfolio.ratios",
        thresholds=alert_thresholds(version),
    )
)

st.subheader(t("portfolio.vintages"))
if not needs_load(version, "mart.vintage_curves_by_segment"):
    ignored_filters_note(filters, VINTAGE_SEGMENTS)
    seed_from_url("vintage_measure", measures)
    vintage_measure = (
        st.segmented_control(
            t("portfolio.vintage_measure"),
            measures,
            default=measures[0],
            key="vintage_measure",
            required=True,
            persist_state="session",
        )
        or measures[0]
    )
    write_to_url("vintage_measure", vintage_measure, measures[0])
    curves = reads.vintage_curves(version, filters, vintage_measure)
    if curves.is_empty():
        st.caption(t("portfolio.no_vintages"))
    else:
        st.plotly_chart(vintage_chart(curves), config={"displaylogo": False}, key="vintage_chart")
        st.caption(t("portfolio.vintages_note", measure=vintage_measure))
