"""Migration: where the accounts of each bucket went at the next month end, for the manager.

The migration matrix of one month (accounts or balance, shares or counts) as a heat map; a
click on a cell, or the two pickers under it, lists the accounts behind it, and a row opens
that account's story. Below: roll-forward, cure and flow rates per bucket over time and the
chained expected loss. Every choice is in the link.
"""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import alerts, tables
from dashboard import format as fmt
from dashboard.app_pages import (
    alert_thresholds,
    capped_note,
    current_filters,
    current_version,
    ignored_filters_note,
    needs_load,
    open_account,
    pick_from_table,
    provenance_caption,
    show_alerts,
    url_segmented,
    url_select,
)
from dashboard.i18n import t, text
from dashboard.reads import migration as reads
from dashboard.reads.filters import SEGMENTS, month_facts

MEASURES = {"accounts": "migration.measure.accounts", "balance": "migration.measure.balance"}
VALUES = {"share": "migration.value.share", "count": "migration.value.count"}
RATES = {
    "roll_forward_rate": "migration.rate.roll_forward",
    "cure_rate": "migration.rate.cure",
    "stay_rate": "migration.rate.stay",
    "flow_rate": "migration.rate.flow",
    "net_flow_rate": "migration.rate.net_flow",
}


def matrix_figure(matrix: pl.DataFrame, order: list[str], measure: str, value: str) -> go.Figure:
    """From buckets down, to buckets across, in bucket order; empty cells stay blank."""
    column = {
        ("accounts", "share"): "share_of_accounts",
        ("accounts", "count"): "accounts",
        ("balance", "share"): "share_of_balance",
        ("balance", "count"): "balance",
    }[(measure, value)]
    rows = [b for b in order if b in set(matrix["from_bucket"].to_list())]
    cols = [b for b in order if b in set(matrix["to_bucket"].to_list())]
    cells = {
        (r["from_bucket"], r["to_bucket"]): (None if r[column] is None else float(r[column]))
        for r in matrix.iter_rows(named=True)
    }
    z = [[cells.get((f, to)) for to in cols] for f in rows]
    if value == "share":
        cell_text = [[fmt.percent(v) if v is not None else "" for v in line] for line in z]
    elif measure == "balance":
        cell_text = [[fmt.money(v) if v is not None else "" for v in line] for line in z]
    else:
        cell_text = [[fmt.count(int(v)) if v is not None else "" for v in line] for line in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=rows,
            text=cell_text,
            texttemplate="%{text}",
            colorscale="OrRd",
            customdata=[
                [
                    [fmt.chart_text(fmt.code("bucket", f)), fmt.chart_text(fmt.code("bucket", to))]
                    for to in cols
                ]
                for f in rows
            ],
            hovertemplate=text("migration.hover") + "<extra></extra>",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    # Streamlit reports clicks on points, not on heat-map cells: one invisible square marker
    # per cell makes each cell clickable (selection_mode="points").
    cell_x = [to for f in rows for to in cols if cells.get((f, to)) is not None]
    cell_y = [f for f in rows for to in cols if cells.get((f, to)) is not None]
    fig.add_scatter(
        x=cell_x,
        y=cell_y,
        mode="markers",
        marker={"symbol": "square", "size": 36, "color": "rgba(0,0,0,0)"},
        hoverinfo="none",
        showlegend=False,
    )
    fig.update_yaxes(
        autorange="reversed",
        title=text("migration.from"),
        type="category",
        tickmode="array",
        tickvals=rows,
        ticktext=[fmt.chart_text(fmt.code("bucket", b)) for b in rows],
    )
    fig.update_xaxes(
        side="top",
        title=text("migration.to"),
        type="category",
        tickmode="array",
        tickvals=cols,
        ticktext=[fmt.chart_text(fmt.code("bucket", b)) for b in cols],
    )
    fig.update_layout(height=80 + 38 * len(rows), margin={"l": 8, "r": 8, "t": 60, "b": 8})
    return fig


def _next(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def pick_cell_from_click(event: object) -> None:
    """A click on a cell fills the two pickers (once per click, so the pickers stay usable)."""
    points = getattr(getattr(event, "selection", None), "points", None) or []
    if not points:
        return
    point = points[0]
    clicked = (str(point.get("y")), str(point.get("x")))
    if st.session_state.get("_mig_clicked") == clicked:
        return
    st.session_state["_mig_clicked"] = clicked
    st.session_state["mig_from"], st.session_state["mig_to"] = clicked


version = current_version()
filters = current_filters()
st.title(t("migration.title"))
provenance_caption(version)
if filters is None:
    st.info(t("portfolio.no_snapshot"))
    st.stop()

months = reads.migration_months(version, filters)
facts = month_facts(version)
if (
    facts.current is not None
    and facts.current not in facts.complete
    and filters.end >= facts.current
):
    st.caption(t("migration.current_incomplete", month=fmt.month(facts.current)))
if not months:
    st.info(t("migration.no_pairs"))
    st.stop()

with st.container(horizontal=True, gap="medium", vertical_alignment="bottom"):
    month: date | None = url_select(
        t("migration.month"), months, key="mig_month", default=months[-1], format_func=fmt.month
    )
    measure = url_segmented(t("common.show"), MEASURES, key="mig_measure", default="accounts")
    value = url_segmented(t("migration.value"), VALUES, key="mig_value", default="share")
month = month or months[-1]
order = reads.bucket_order(version)
matrix = reads.migration_matrix(version, filters, month)
st.subheader(t("migration.matrix", month=fmt.month(month), next=fmt.month(_next(month))))
if matrix.is_empty():
    st.warning(t("common.no_data"))
else:
    event = st.plotly_chart(
        matrix_figure(matrix, order, measure, value),
        config={"displaylogo": False},
        key="mig_heatmap",
        on_select="rerun",
        selection_mode="points",
    )
    pick_cell_from_click(event)
    st.caption(t("migration.matrix_note"))
    ignored_filters_note(filters, SEGMENTS)

st.subheader(t("migration.cell"))
present = set(matrix["from_bucket"].to_list()) | set(matrix["to_bucket"].to_list())
choices = [b for b in order if b in present]


def bucket_label(bucket: str) -> str:
    return fmt.code("bucket", bucket)


with st.container(horizontal=True, gap="medium"):
    from_bucket = url_select(t("migration.from"), choices, key="mig_from", format_func=bucket_label)
    to_bucket = url_select(t("migration.to"), choices, key="mig_to", format_func=bucket_label)
if from_bucket and to_bucket and not needs_load(version, "mart.account_migration"):
    behind = reads.cell_accounts(version, filters, month, from_bucket, to_bucket)
    st.caption(
        t(
            "migration.cell_count",
            count=fmt.count(behind.rows.height),
            frm=bucket_label(from_bucket),
            to=bucket_label(to_bucket),
        )
    )
    capped_note(behind.capped, behind.rows.height)
    picked = tables.show(
        behind.rows,
        key="mig_accounts",
        on_select="rerun",
        selection_mode="single-row",
        columns={"balance": tables.money("migration.balance_from")},
    )
    listed = behind.rows["account_id"].to_list()
    pick_from_table(picked, listed, key="mig_account")
    with st.container(horizontal=True, gap="medium", vertical_alignment="bottom"):
        account = url_select(t("col.account_id"), listed, key="mig_account")
        if (
            st.button(
                t("common.open_account"),
                key="mig_open_account",
                disabled=account is None,
                icon=":material/timeline:",
            )
            and account
        ):
            open_account(account)
else:
    st.caption(t("migration.cell_hint"))

st.subheader(t("migration.worst"))
rates = reads.roll_rates(version, filters)
ignored_filters_note(filters, ())
delinquent = reads.delinquent_buckets(version)
if rates.is_empty():
    st.caption(t("common.no_data"))
else:
    worst = reads.worst_rolling(rates, delinquent)
    worst_month = worst["month"].max()
    st.caption(
        t(
            "migration.worst_note",
            month=fmt.month(worst_month) if isinstance(worst_month, date) else fmt.MISSING,
        )
    )
    tables.show(worst.drop("month"), width="content", key="mig_worst")

st.subheader(t("migration.trends"))
live = [b for b in order if b in set(rates["bucket"].to_list())]
if not rates.is_empty():
    opening = next((b for b in live if b in delinquent), live[0])
    bucket = (
        url_select(
            t("col.bucket"), live, key="mig_bucket", default=opening, format_func=bucket_label
        )
        or opening
    )
    chosen = rates.filter(pl.col("bucket") == bucket)
    fig = go.Figure()
    for column, label in RATES.items():
        fig.add_scatter(
            x=chosen["month"].to_list(),
            y=chosen[column].to_list(),
            name=text(label),
            mode="lines+markers",
            hovertemplate="%{y:.1%}",
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(tickformat=fmt.month_tickformat(), dtick="M1" if chosen.height <= 12 else "M3")
    fig.update_layout(
        height=320,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
    )
    st.plotly_chart(fig, config={"displaylogo": False}, key="mig_rates")
    thresholds = alert_thresholds(version)
    latest_rates = rates.filter(pl.col("month") == rates["month"].max())
    # The divergence alert compares the period's latest month with the month before it, which
    # may lie before the period shown (one month chosen): read it whatever the range.
    show_alerts(
        alerts.roll_flow_divergence(reads.roll_rates_for_alerts(version, filters), thresholds)
        + alerts.thin_rates(
            latest_rates.with_columns(
                pl.col("bucket").map_elements(bucket_label, return_dtype=pl.String)
            ),
            subject="bucket",
            base="accounts",
            rate="migration.rate.roll_forward",
            thresholds=thresholds,
        )
    )

st.subheader(t("migration.expected_loss", month=fmt.month(filters.end)))
loss = reads.expected_loss(version, filters.end)
if loss.is_empty():
    st.caption(t("common.no_data"))
else:
    tables.show(loss.drop("bucket_order"), width="content", key="mig_loss")
    total = sum(v for v in loss["expected_loss"].to_list() if v is not None)
    st.metric(t("migration.expected_loss_total"), fmt.money(total), border=True)
    st.caption(t("migration.expected_loss_note"))
