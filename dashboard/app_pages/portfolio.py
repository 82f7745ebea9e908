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

from dashboard import alerts
from dashboard import format as fmt
from dashboard.app_pages import (
    alert_thresholds,
    current_filters,
    current_version,
    ignored_filters_note,
    provenance_caption,
    show_alerts,
    url_segmented,
)
from dashboard.i18n import t
from dashboard.reads import portfolio as reads
from dashboard.reads.filters import SEGMENTS, months

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


def bucket_colours(settings: pl.DataFrame) -> dict[str, str]:
    live = settings.filter(pl.col("live"))["bucket"].to_list()
    states = settings.filter(~pl.col("live"))["bucket"].to_list()
    steps = [i / max(len(live) - 1, 1) for i in range(len(live))]
    colours = dict(zip(live, sample_colorscale(RISK_RAMP, steps), strict=True))
    colours.update({b: STATE_GREYS[i % len(STATE_GREYS)] for i, b in enumerate(states)})
    return colours


def ratio_colours(measures: list[str]) -> dict[str, str]:
    steps = [i / max(len(measures) - 1, 1) for i in range(len(measures))]
    return dict(zip(measures, sample_colorscale(RATIO_RAMP, steps), strict=True))


def _month_axis(fig: go.Figure, month_count: int, *, height: int) -> None:
    every = "M1" if month_count <= 12 else ("M3" if month_count <= 36 else "M6")
    fig.update_xaxes(title=None, tickformat="%b %Y", dtick=every, showgrid=False)
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
        explain=t("portfolio.kpi.accounts_help"),
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
        explain=t("portfolio.kpi.balance_help"),
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
        explain=t("portfolio.kpi.delinquent_balance_help"),
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
            explain=t("portfolio.kpi.ratio_help", measure=measure),
        )


def bucket_chart(
    buckets: pl.DataFrame, settings: pl.DataFrame, view: str, month_count: int
) -> go.Figure:
    frame = buckets.with_columns(pl.col("balance").cast(pl.Float64))
    order = settings["bucket"].to_list()
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
        fig.update_yaxes(title=t("portfolio.axis.balance"), tickprefix="¥", tickformat=",.0f")
    else:
        fig.update_traces(hovertemplate="%{fullData.name}: %{y:,d}<extra></extra>")
        fig.update_yaxes(title=t("portfolio.axis.accounts"), tickformat=",d")
        tallest = frame.group_by("month").agg(pl.col("accounts").sum())["accounts"].max()
        if isinstance(tallest, int) and tallest <= 10:  # whole accounts only on a small book's axis
            fig.update_yaxes(dtick=1)
    fig.update_layout(barmode="stack", bargap=0.25)
    _month_axis(fig, month_count, height=400)
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
    fig.update_yaxes(
        title=t("portfolio.axis.live_balance_share")
        if basis == "balance"
        else t("portfolio.axis.live_accounts_share"),
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

all_months = months(version)
in_range = [m for m in all_months if filters.start <= m <= filters.end]
before = [m for m in all_months if m < filters.end]
previous_month = before[-1] if before else None
query_filters = filters.widened_to(previous_month) if previous_month else filters

buckets = reads.bucket_series(version, query_filters)
ratios = reads.ratio_series(version, query_filters)
settings = reads.bucket_settings(version)
measures = reads.ratio_measures(version)

latest = filters.end
provenance_caption(version)
ignored_filters_note(filters, SEGMENTS)
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

st.subheader(t("portfolio.by_bucket", month=fmt.month(latest)))
st.dataframe(
    reads.bucket_table(buckets.filter(pl.col("month") == latest), settings),
    hide_index=True,
    width="content",
    column_config={
        "bucket": st.column_config.TextColumn(t("col.bucket")),
        "accounts": st.column_config.NumberColumn(t("col.accounts"), format="%,d"),
        "account_share": st.column_config.NumberColumn(t("col.account_share"), format="percent"),
        "balance": st.column_config.NumberColumn(t("col.balance"), format="¥%,.2f"),
        "balance_share": st.column_config.NumberColumn(t("col.balance_share"), format="percent"),
    },
)
st.caption(t("portfolio.by_bucket_note"))

st.subheader(t("portfolio.flows"))
flows = reads.collected_and_written_off(version, filters).filter(pl.col("month") >= filters.start)
if not flows.is_empty():
    money = go.Figure()
    money.add_bar(
        x=flows["month"].to_list(),
        y=[float(v or 0) for v in flows["collected"].to_list()],
        name=t("portfolio.collected"),
        marker_color="#2e7d32",
        hovertemplate="¥%{y:,.2f}",
    )
    money.add_bar(
        x=flows["month"].to_list(),
        y=[float(v or 0) for v in flows["written_off"].to_list()],
        name=t("portfolio.written_off"),
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
st.dataframe(
    by_segment,
    hide_index=True,
    width="content",
    column_config={
        "segment": st.column_config.TextColumn(t(SEGMENT_VIEWS[segment])),
        "live_accounts": st.column_config.NumberColumn(t("portfolio.kpi.accounts"), format="%,d"),
        "live_balance": st.column_config.NumberColumn(t("portfolio.kpi.balance"), format="¥%,.2f"),
        "delinquent_balance": st.column_config.NumberColumn(
            t("portfolio.kpi.delinquent_balance"), format="¥%,.2f"
        ),
        "dpd30_ratio": st.column_config.NumberColumn("30+", format="percent"),
        "dpd60_ratio": st.column_config.NumberColumn("60+", format="percent"),
        "dpd90_ratio": st.column_config.NumberColumn("90+", format="percent"),
        "collected": st.column_config.NumberColumn(t("portfolio.collected"), format="¥%,.2f"),
        "written_off": st.column_config.NumberColumn(t("portfolio.written_off"), format="¥%,.2f"),
    },
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
