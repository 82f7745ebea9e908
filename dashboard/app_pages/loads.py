"""Loads: what the daily loads did, for the data/IT owner.

The recent `collections load` runs; for one load (the latest unless `?load=N`), what happened to
each file (landed, replaced, unchanged, refused, with counts and the loader's message), and how
many rows it quarantined by file, column and reason. Counts only: the quarantined records stay
in `ops.quarantine`, already masked.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard import tables
from dashboard.app_pages import current_version, provenance_caption, seed_from_url, write_to_url
from dashboard.i18n import escape, t, text
from dashboard.reads import operations as reads
from dashboard.reads.connection import bank_timezone

REFUSALS_SHOWN = 20

version = current_version()
zone = bank_timezone(version)

st.title(t("page.loads"))
provenance_caption(version, operator=True)

runs = reads.load_runs(version)
if runs.is_empty():
    st.info(t("loads.none"))
    st.stop()

st.subheader(t("loads.recent_load_runs"))
tables.show(
    runs,
    zone=zone,
    key="load_runs",
    columns={
        "status": tables.code("loads.status", "run_status"),
    },
)

load_ids = runs["load_id"].to_list()
seed_from_url("load", load_ids)
load_id = st.selectbox(
    t("loads.load"),
    load_ids,
    index=0,
    key="load",
    format_func=lambda chosen: (
        text("loads.latest", load=chosen)
        if chosen == load_ids[0]
        else text("loads.load_n", load=chosen)
    ),
    persist_state="session",
    width=240,
)
write_to_url("load", load_id, load_ids[0])

files = reads.loaded_files(version, load_id)
run = runs.filter(pl.col("load_id") == load_id).row(0, named=True)
cards = st.columns(4)
cards[0].metric(t("loads.files"), fmt.count(run["files"]), border=True)
cards[1].metric(t("loads.refused"), fmt.count(run["files_refused"]), border=True)
cards[2].metric(t("loads.rows_landed"), fmt.count(run["rows_landed"]), border=True)
cards[3].metric(t("loads.rows_quarantined"), fmt.count(run["rows_quarantined"]), border=True)

st.subheader(t("loads.files_of", load=load_id))
st.caption(t("loads.files_order"))
tables.show(
    files,
    key="loaded_files",
    columns={
        "status": tables.code("loads.status", "file_status"),
        "rows_read": tables.count("loads.read"),
        "refused_before": tables.Column("loads.refused_before", "integer"),
    },
)

refused = files.filter((pl.col("status") == "refused") & pl.col("refused_before").is_null())
again = files.filter((pl.col("status") == "refused") & pl.col("refused_before").is_not_null())
if not again.is_empty():
    st.caption(
        t(
            "loads.refused_again",
            count=fmt.count(again.height),
            first=int(again["refused_before"].min()),  # type: ignore[arg-type]
        )
    )
if not refused.is_empty():
    shown = refused.head(REFUSALS_SHOWN)
    st.error(
        t("loads.refused_files", count=f"{refused.height:,}")
        + "\n".join(f"- {escape(message)}" for message in shown["message"].to_list())
        + (
            t("loads.more", count=f"{refused.height - shown.height:,}")
            if refused.height > shown.height
            else ""
        ),
        icon=":material/block:",
    )

missing = reads.missing_daily_files(version)
if not missing.is_empty():
    st.warning(
        t("loads.missing_daily", count=fmt.count(missing.height))
        + "\n".join(
            f"- {escape(fmt.code('extract', extract))}: {fmt.long_day(day)}"
            for extract, day in missing.head(REFUSALS_SHOWN).iter_rows()
        ),
        icon=":material/event_busy:",
    )

st.subheader(t("loads.quarantine_of", load=load_id))
reasons = reads.quarantine_reasons(version, load_id)
if reasons.is_empty():
    st.success(t("loads.no_quarantine", load=load_id), icon=":material/check_circle:")
else:
    by_file = reads.quarantine_by_file(version, load_id)
    st.markdown(t("loads.top_reasons"))
    tables.show(reasons.select("column_name", "rows", "files", "reason"), key="quarantine_reasons")
    st.markdown(t("loads.by_file_and_column"))
    tables.show(by_file, key="quarantine_by_file")
    st.caption(t("loads.quarantine_note"))
