"""Data quality: what the checks found, for the data owner and everyone who relies on the numbers.

The latest data-quality runs (each load, each `collections check`); for one run (the latest
unless `?run=N`): its failing expectations by severity, a drill from one failure (`?finding=N`)
to the offending rows, the quarantined rows of its load with their reasons; the trend of
failures per extract over the recent runs; and the Great Expectations Data Docs of the latest
run. Everything shown is already masked in the warehouse.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import plotly.express as px
import polars as pl
import streamlit as st

from checks import docs as dq_docs
from dashboard import data
from dashboard import format as fmt
from dashboard.app_pages import current_version, provenance_caption, seed_from_url, write_to_url
from warehouse.config import bank_timezone

version = current_version()
zone = bank_timezone()

st.title("Data quality")
provenance_caption(version)

if not data.has_dq(version):
    st.info(
        "This warehouse holds no data-quality results yet. The next `collections load` runs the "
        "checks; `collections check` runs them on the warehouse as it is.",
        icon=":material/fact_check:",
    )
    st.stop()

runs = data.dq_runs(version)
if runs.is_empty():
    st.info("No data-quality run recorded yet: `collections check`.", icon=":material/fact_check:")
    st.stop()

st.subheader("Latest runs")
st.dataframe(
    runs.with_columns(pl.col("started_at").dt.convert_time_zone(zone).dt.replace_time_zone(None)),
    hide_index=True,
    column_config={
        "run_id": st.column_config.NumberColumn("Run", format="%d"),
        "kind": st.column_config.TextColumn("Kind"),
        "load_id": st.column_config.NumberColumn("Load", format="%d"),
        "status": st.column_config.TextColumn("Status"),
        "started_at": st.column_config.DatetimeColumn(
            f"Started ({zone})", format="YYYY-MM-DD HH:mm:ss"
        ),
        "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
        "expectations": st.column_config.NumberColumn("Expectations", format="%,d"),
        "failed_errors": st.column_config.NumberColumn("Error findings", format="%,d"),
        "failed_warnings": st.column_config.NumberColumn("Warn findings", format="%,d"),
        "files_refused": st.column_config.NumberColumn("Files refused", format="%,d"),
        "gx_version": st.column_config.TextColumn("Great Expectations"),
        "message": st.column_config.TextColumn("Note"),
    },
)

run_ids = runs["run_id"].to_list()
seed_from_url("run", run_ids)
run_id = st.selectbox(
    "Run",
    run_ids,
    index=0,
    key="run",
    format_func=lambda chosen: f"Run {chosen}" + (" (latest)" if chosen == run_ids[0] else ""),
    persist_state="session",
    width=240,
)
write_to_url("run", run_id, run_ids[0])
run = runs.filter(pl.col("run_id") == run_id).row(0, named=True)

cards = st.columns(5)
cards[0].metric("Status", run["status"], border=True)
cards[1].metric("Expectations", fmt.count(run["expectations"]), border=True)
cards[2].metric("Error findings", fmt.count(run["failed_errors"]), border=True)
cards[3].metric("Warn findings", fmt.count(run["failed_warnings"]), border=True)
cards[4].metric("Files refused", fmt.count(run["files_refused"]), border=True)
what = f"load {run['load_id']}" if run["load_id"] is not None else "`collections check`"
st.caption(f"Run {run_id} checked {what}. {run['message'] or ''}")

# --- Failing expectations -----------------------------------------------------------------------

st.subheader(f"Failing expectations of run {run_id}")
by_expectation = data.dq_failures_by_expectation(version, run_id)
failures = data.dq_failures(version, run_id)
if by_expectation.is_empty():
    if run["status"] == "skipped":
        st.warning(
            "The checks were skipped in this run (`--no-checks`).", icon=":material/skip_next:"
        )
    else:
        st.success(f"Every expectation of run {run_id} held.", icon=":material/check_circle:")
else:
    st.dataframe(
        by_expectation,
        hide_index=True,
        column_config={
            "severity": st.column_config.TextColumn("Severity"),
            "suite": st.column_config.TextColumn("Suite"),
            "expectation": st.column_config.TextColumn("Expectation"),
            "files": st.column_config.NumberColumn("Files", format="%,d"),
            "offending": st.column_config.NumberColumn("Offending rows", format="%,d"),
            "action": st.column_config.TextColumn("Action"),
            "description": st.column_config.TextColumn("What it expects", width="large"),
        },
    )

# --- Trend ---------------------------------------------------------------------------------------

st.subheader("Failures per extract over the latest runs")
trend = data.dq_trend(version)
if trend.filter(pl.col("failures") > 0).is_empty():
    st.caption("No failure in the latest runs.")
else:
    shown_runs = sorted(set(trend["run_id"].to_list()))
    fig = px.bar(
        trend.filter(pl.col("failures") > 0).sort("run_id", "suite").to_pandas(),
        x="run_id",
        y="failures",
        color="suite",
        pattern_shape="severity",
        pattern_shape_map={"error": "x", "warn": ""},
        labels={"failures": "failed findings", "run_id": "", "suite": "suite"},
        height=320,
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend_title_text="")
    # Every recent run has its place on the axis, those without a failure too.
    fig.update_xaxes(
        tickmode="array",
        tickvals=shown_runs,
        ticktext=[f"run {n}" for n in shown_runs],
        range=[shown_runs[0] - 0.5, shown_runs[-1] + 0.5],
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})
    st.caption(
        "A finding is one failed expectation on one file (or on the whole relation); "
        "hatched = error."
    )

# --- Drill down ----------------------------------------------------------------------------------

if not failures.is_empty():
    st.subheader("From a failure to the rows behind it")
    numbers = failures["finding"].to_list()
    labels = {
        row["finding"]: (
            f"#{row['finding']} {row['severity']} · {row['suite']} / {row['expectation']}"
            + (f" · {row['file_name']}" if row["file_name"] else "")
        )
        for row in failures.iter_rows(named=True)
    }
    seed_from_url("finding", numbers)
    finding_no = st.selectbox(
        "Failure",
        numbers,
        index=0,
        key="finding",
        format_func=labels.__getitem__,
        persist_state="session",
    )
    write_to_url("finding", finding_no, numbers[0])
    finding = failures.filter(pl.col("finding") == finding_no).row(0, named=True)
    st.markdown(
        f"**{finding['suite']} / {finding['expectation']}** ({finding['severity']}, "
        f"{finding['stage']}): {finding['description']}  \n"
        f"Observed: {finding['observed_value'] or fmt.MISSING} · "
        f"action: {finding['action'] or fmt.MISSING}"
        + (
            f" · file `{finding['file_name']}`"
            if finding["file_name"]
            else f" · on `{finding['target']}`"
        )
    )
    if finding["sample"]:
        st.code(finding["sample"].replace("; ", "\n"), language=None)
    lines = tuple(finding["sample_lines"] or ())
    if finding["file_name"]:
        verdicts = data.landed_file_status(version, finding["file_name"])
        refused = not verdicts.is_empty() and verdicts["status"][0] == "refused"
        rows = data.offending_rows(version, finding["target"], finding["file_name"], lines)
        if not rows.is_empty():
            st.markdown(
                f"**The offending rows in `{finding['target']}`** (first {len(lines)} lines)"
            )
            st.dataframe(rows, hide_index=True)
        elif refused:
            st.error(
                f"`{finding['file_name']}` was refused: none of its rows are in the warehouse. "
                + (f"Offending lines: {', '.join(str(n) for n in lines)}." if lines else ""),
                icon=":material/block:",
            )
        elif lines:
            st.info("Those rows are no longer in the warehouse (a later file replaced them).")
        st.markdown("**What each load did with this file**")
        st.dataframe(verdicts, hide_index=True)

# --- Quarantine ----------------------------------------------------------------------------------

if run["load_id"] is not None:
    load_id = int(run["load_id"])
    st.subheader(f"Quarantined rows of load {load_id}")
    quarantined = data.quarantined_rows(version, load_id)
    if quarantined.is_empty():
        st.success(f"Load {load_id} quarantined no rows.", icon=":material/check_circle:")
    else:
        files = sorted(set(quarantined["file_name"].to_list()))
        chosen = st.selectbox("File", ["All files", *files], key="quarantine_file")
        if chosen != "All files":
            quarantined = data.quarantined_rows(version, load_id, file_name=chosen)
        st.dataframe(
            quarantined,
            hide_index=True,
            column_config={
                "file_name": st.column_config.TextColumn("File"),
                "line_number": st.column_config.NumberColumn("Line", format="%d"),
                "column_name": st.column_config.TextColumn("Column"),
                "reason": st.column_config.TextColumn("Reason", width="large"),
                "file_status": st.column_config.TextColumn("File"),
                "raw_record": st.column_config.TextColumn("Record (masked)", width="large"),
            },
        )
        st.caption(
            "Line 1 is the header. Personal values in the records are masked; at most 500 rows "
            "are shown (all of them are in `ops.quarantine`)."
        )

# --- Data Docs ---------------------------------------------------------------------------------

st.subheader("Great Expectations Data Docs")
folder = dq_docs.docs_folder(Path(version.path))
pages = dq_docs.pages(folder)
if not pages:
    st.caption(f"No Data Docs at `{folder}` yet: they are written by the next load or check.")
else:
    about = dq_docs.read_about(folder) or {}
    published = "" if about.get("published", True) else " (that load was refused: not published)"
    st.caption(
        f"The pages describe the latest run on this machine: run {about.get('run_id', '?')}, "
        f"{about.get('kind', '?')}{published}, {about.get('status', '?')}. Folder: `{folder}`."
    )

    def page_label(relative_path: str) -> str:
        parts = Path(relative_path).with_suffix("").parts
        if parts[0] == "index":
            return "Index (its tables need internet access)"
        if parts[0] == "validations" and len(parts) > 4:  # <suite...>/<run>/<time>/<batch>
            return f"Validation: {'.'.join(parts[1:-3])} · {parts[-1]}"
        return f"Suite: {'.'.join(parts[1:])}"

    shown = st.selectbox(
        "Page",
        [str(page.relative_to(folder)) for page in pages],
        format_func=page_label,
        key="docs_page",
    )

    @st.cache_data(show_spinner=False, max_entries=4)
    def zipped(folder_name: str, stamp: int) -> bytes:
        buffer = io.BytesIO()
        root = Path(folder_name)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, Path(root.name) / path.relative_to(root))
        return buffer.getvalue()

    st.download_button(
        "Download the Data Docs (zip, open index.html)",
        zipped(str(folder), (folder / "index.html").stat().st_mtime_ns),
        file_name="dq_docs.zip",
        mime="application/zip",
        icon=":material/download:",
    )
    st.iframe(dq_docs.page_without_scripts(folder / shown), height=700)
    st.caption(
        "Shown without its scripts (they only add tooltips); links inside the page do not "
        "navigate here: pick pages above, or download the site and open index.html."
    )
