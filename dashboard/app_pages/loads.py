"""Loads: what the daily loads did, for the data/IT owner.

The recent `collections load` runs; for one load (the latest unless `?load=N`), what happened to
each file (landed, replaced, unchanged, refused, with counts and the loader's message), and how
many rows it quarantined by file, column and reason. Counts only: the quarantined records stay
in `ops.quarantine`, already masked.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data
from dashboard import format as fmt
from dashboard.app_pages import current_version, provenance_caption, seed_from_url, write_to_url
from warehouse.config import bank_timezone

REFUSALS_SHOWN = 20

version = current_version()
zone = bank_timezone()

st.title("Loads")
provenance_caption(version)

runs = data.load_runs(version)
if runs.is_empty():
    st.info("No load has run against this warehouse yet: `collections load INBOX`.")
    st.stop()

st.subheader("Recent load runs")
st.dataframe(
    runs.with_columns(
        pl.col("started_at", "finished_at").dt.convert_time_zone(zone).dt.replace_time_zone(None)
    ),
    hide_index=True,
    column_config={
        "load_id": st.column_config.NumberColumn("Load", format="%d"),
        "status": st.column_config.TextColumn("Status"),
        "started_at": st.column_config.DatetimeColumn(
            f"Started ({zone})", format="YYYY-MM-DD HH:mm:ss"
        ),
        "finished_at": st.column_config.DatetimeColumn(
            f"Finished ({zone})", format="YYYY-MM-DD HH:mm:ss"
        ),
        "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
        "files": st.column_config.NumberColumn("Files", format="%,d"),
        "files_refused": st.column_config.NumberColumn("Refused", format="%,d"),
        "rows_read": st.column_config.NumberColumn("Rows read", format="%,d"),
        "rows_landed": st.column_config.NumberColumn("Landed", format="%,d"),
        "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="%,d"),
        "inbox": st.column_config.TextColumn("Inbox"),
    },
)

load_ids = runs["load_id"].to_list()
seed_from_url("load", load_ids)
load_id = st.selectbox(
    "Load",
    load_ids,
    index=0,
    key="load",
    format_func=lambda chosen: f"Load {chosen}" + (" (latest)" if chosen == load_ids[0] else ""),
    persist_state="session",
    width=240,
)
write_to_url("load", load_id, load_ids[0])

files = data.loaded_files(version, load_id)
run = runs.filter(pl.col("load_id") == load_id).row(0, named=True)
cards = st.columns(4)
cards[0].metric("Files", fmt.count(run["files"]), border=True)
cards[1].metric("Refused", fmt.count(run["files_refused"]), border=True)
cards[2].metric("Rows landed", fmt.count(run["rows_landed"]), border=True)
cards[3].metric("Rows quarantined", fmt.count(run["rows_quarantined"]), border=True)

st.subheader(f"Files of load {load_id}")
st.dataframe(
    files,
    hide_index=True,
    column_config={
        "file_name": st.column_config.TextColumn("File"),
        "extract": st.column_config.TextColumn("Extract"),
        "business_date": st.column_config.DateColumn("Business date", format="YYYY-MM-DD"),
        "status": st.column_config.TextColumn("Status"),
        "rows_read": st.column_config.NumberColumn("Read", format="%,d"),
        "rows_landed": st.column_config.NumberColumn("Landed", format="%,d"),
        "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="%,d"),
        "rows_replaced": st.column_config.NumberColumn("Replaced", format="%,d"),
        "message": st.column_config.TextColumn("Message", width="large"),
    },
)

refused = files.filter(pl.col("status") == "refused")
if not refused.is_empty():
    shown = refused.head(REFUSALS_SHOWN)
    st.error(
        f"**{refused.height:,} file(s) refused whole** (nothing of them landed):\n\n"
        + "\n".join(f"- {message}" for message in shown["message"].to_list())
        + (
            f"\n- … and {refused.height - shown.height:,} more"
            if refused.height > shown.height
            else ""
        ),
        icon=":material/block:",
    )

st.subheader(f"Quarantine of load {load_id}")
reasons = data.quarantine_reasons(version, load_id)
if reasons.is_empty():
    st.success(f"Load {load_id} quarantined no rows.", icon=":material/check_circle:")
else:
    by_file = data.quarantine_by_file(version, load_id)
    st.markdown("**Top reasons**")
    st.dataframe(
        reasons,
        hide_index=True,
        column_order=["column_name", "rows", "files", "reason"],
        column_config={
            "column_name": st.column_config.TextColumn("Column"),
            "rows": st.column_config.NumberColumn("Rows", format="%,d"),
            "files": st.column_config.NumberColumn("Files", format="%,d"),
            "reason": st.column_config.TextColumn("Reason", width="large"),
        },
    )
    st.markdown("**By file and column**")
    st.dataframe(
        by_file,
        hide_index=True,
        column_config={
            "file_name": st.column_config.TextColumn("File"),
            "column_name": st.column_config.TextColumn("Column"),
            "rows": st.column_config.NumberColumn("Rows", format="%,d"),
            "first_line": st.column_config.NumberColumn("First line", format="%d"),
            "example_reason": st.column_config.TextColumn("Example reason", width="large"),
        },
    )
    st.caption(
        "Line 1 is the header. The rejected records themselves (personal values masked) are in "
        "`ops.quarantine` for the analyst; this page shows counts only."
    )
