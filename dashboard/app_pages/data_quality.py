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
from dashboard import data_docs, tables
from dashboard import format as fmt
from dashboard.app_pages import current_version, provenance_caption, seed_from_url, write_to_url
from dashboard.i18n import escape, t, text
from dashboard.reads import operations as reads
from dashboard.reads.connection import bank_timezone

SEVERITY = {"error": "dq.severity_error", "warn": "dq.severity_warn"}  # data value -> key


def raw_columns(rows: pl.DataFrame) -> dict[str, tables.Column]:
    """Headers for the landed rows of a raw table: the glossary's label where the column is
    known, else the file's own column name, said to be one ("file column statement_day")."""
    return {
        name: tables.Column("dq.raw_column", fields=(("name", name),))
        for name in rows.columns
        if name not in tables.COLUMNS
    }


def severity(value: str) -> str:
    """The severity as words of the current language (the data value itself if unknown)."""
    return text(SEVERITY[value]) if value in SEVERITY else value


version = current_version()
zone = bank_timezone(version)

st.title(t("page.data_quality"))
provenance_caption(version, operator=True)

if not reads.has_dq(version):
    st.info(
        t("dq.no_results"),
        icon=":material/fact_check:",
    )
    st.stop()

runs = reads.dq_runs(version)
if runs.is_empty():
    st.info(t("dq.no_runs"), icon=":material/fact_check:")
    st.stop()

st.subheader(t("dq.latest_runs"))
tables.show(
    runs,
    zone=zone,
    key="dq_runs",
    columns={
        "kind": tables.code("dq.kind", "dq_kind"),
        "load_id": tables.Column("dq.load", "integer"),
        "status": tables.code("dq.status", "run_status"),
        "seconds": tables.Column("dq.seconds", "seconds"),
        "files_refused": tables.count("dq.files_refused"),
        "message": tables.Column("dq.note"),
    },
)

run_ids = runs["run_id"].to_list()
seed_from_url("run", run_ids)
run_id = st.selectbox(
    t("dq.run"),
    run_ids,
    index=0,
    key="run",
    format_func=lambda chosen: (
        text("dq.run_latest", run=chosen) if chosen == run_ids[0] else text("dq.run_n", run=chosen)
    ),
    persist_state="session",
    width=240,
)
write_to_url("run", run_id, run_ids[0])
run = runs.filter(pl.col("run_id") == run_id).row(0, named=True)

cards = st.columns(5)
cards[0].metric(t("dq.status"), escape(fmt.code("run_status", run["status"])), border=True)
cards[1].metric(t("dq.expectations"), fmt.count(run["expectations"]), border=True)
cards[2].metric(t("dq.error_findings"), fmt.count(run["failed_errors"]), border=True)
cards[3].metric(t("dq.warn_findings"), fmt.count(run["failed_warnings"]), border=True)
cards[4].metric(t("dq.files_refused"), fmt.count(run["files_refused"]), border=True)
what = t("dq.what_load", load=run["load_id"]) if run["load_id"] is not None else t("dq.what_check")
st.caption(t("dq.run_checked", run=run_id, what=what) + " " + escape(run["message"] or ""))

# --- Failing expectations -----------------------------------------------------------------------

st.subheader(t("dq.failing_of_run", run=run_id))
by_expectation = reads.dq_failures_by_expectation(version, run_id)
failures = reads.dq_failures(version, run_id)
if by_expectation.is_empty():
    if run["status"] == "skipped":
        st.warning(t("dq.skipped"), icon=":material/skip_next:")
    else:
        st.success(t("dq.all_held", run=run_id), icon=":material/check_circle:")
else:
    tables.show(
        by_expectation, key="dq_by_expectation", columns={"files": tables.count("dq.files")}
    )

# --- Trend ---------------------------------------------------------------------------------------

st.subheader(t("dq.trend"))
trend = reads.dq_trend(version)
if trend.filter(pl.col("failures") > 0).is_empty():
    st.caption(t("dq.no_failure_recent"))
else:
    shown_runs = sorted(set(trend["run_id"].to_list()))
    fig = px.bar(
        trend.filter(pl.col("failures") > 0).sort("run_id", "suite").to_pandas(),
        x="run_id",
        y="failures",
        color="suite",
        pattern_shape="severity",
        pattern_shape_map={"error": "x", "warn": ""},
        labels={
            "failures": text("dq.failed_findings"),
            "run_id": "",
            "suite": text("dq.suite_axis"),
        },
        height=320,
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend_title_text="")
    # Every recent run has its place on the axis, those without a failure too.
    fig.update_xaxes(
        tickmode="array",
        tickvals=shown_runs,
        ticktext=[text("dq.run_tick", run=n) for n in shown_runs],
        range=[shown_runs[0] - 0.5, shown_runs[-1] + 0.5],
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})
    st.caption(t("dq.trend_note"))

# --- Drill down ----------------------------------------------------------------------------------

if not failures.is_empty():
    st.subheader(t("dq.drill"))
    numbers = failures["finding"].to_list()
    labels = {
        row["finding"]: (
            f"#{row['finding']} {severity(row['severity'])} · {row['suite']} / {row['expectation']}"
            + (f" · {row['file_name']}" if row["file_name"] else "")
        )
        for row in failures.iter_rows(named=True)
    }
    seed_from_url("finding", numbers)
    finding_no = st.selectbox(
        t("dq.failure"),
        numbers,
        index=0,
        key="finding",
        format_func=labels.__getitem__,
        persist_state="session",
    )
    write_to_url("finding", finding_no, numbers[0])
    finding = failures.filter(pl.col("finding") == finding_no).row(0, named=True)
    # Every value of a finding is data (a file name, an observed value): escaped, never Markdown.
    st.markdown(
        f"**{escape(finding['suite'])} / {escape(finding['expectation'])}** "
        f"({escape(severity(finding['severity']))}, {escape(finding['stage'])}): "
        f"{escape(finding['description'])}  \n"
        + t(
            "dq.observed",
            observed=finding["observed_value"] or fmt.MISSING,
            action=finding["action"] or fmt.MISSING,
        )
        + (
            t("dq.on_file", file=finding["file_name"])
            if finding["file_name"]
            else t("dq.on_target", target=finding["target"])
        )
    )
    if finding["sample"]:
        st.code(finding["sample"].replace("; ", "\n"), language=None)
    lines = tuple(finding["sample_lines"] or ())
    if finding["file_name"]:
        verdicts = reads.landed_file_status(version, finding["file_name"])
        refused = not verdicts.is_empty() and verdicts["status"][0] == "refused"
        rows = reads.offending_rows(version, finding["target"], finding["file_name"], lines)
        if not rows.is_empty():
            st.markdown(t("dq.offending_rows_in", target=finding["target"], lines=len(lines)))
            tables.show(rows, key="dq_offending", columns=raw_columns(rows))
        elif refused:
            st.error(
                t("dq.file_refused", file=finding["file_name"])
                + (
                    t("dq.offending_lines", lines=", ".join(str(n) for n in lines)) if lines else ""
                ),
                icon=":material/block:",
            )
        elif lines:
            st.info(t("dq.rows_replaced"))
        st.markdown(t("dq.what_each_load_did"))
        tables.show(
            verdicts, key="dq_verdicts", columns={"status": tables.code("dq.status", "file_status")}
        )

# --- Quarantine ----------------------------------------------------------------------------------

if run["load_id"] is not None:
    load_id = int(run["load_id"])
    st.subheader(t("dq.quarantine_of", load=load_id))
    quarantined = reads.quarantined_rows(version, load_id)
    if quarantined.is_empty():
        st.success(t("dq.no_quarantine", load=load_id), icon=":material/check_circle:")
    else:
        files = sorted(set(quarantined["file_name"].to_list()))
        all_files = t("dq.all_files")
        chosen = st.selectbox(t("dq.file"), [all_files, *files], key="quarantine_file")
        if chosen != all_files:
            quarantined = reads.quarantined_rows(version, load_id, file_name=chosen)
        tables.show(quarantined, key="dq_quarantine")
        st.caption(t("dq.quarantine_note"))

# --- Data Docs ---------------------------------------------------------------------------------

st.subheader(t("dq.data_docs"))
folder = dq_docs.docs_folder(Path(version.path))
pages = dq_docs.pages(folder)
if not pages:
    st.caption(t("dq.no_docs", folder=folder))
else:
    about = dq_docs.read_about(folder) or {}
    published = "" if about.get("published", True) else t("dq.not_published")
    st.caption(
        t(
            "dq.docs_about",
            run=about.get("run_id", "?"),
            kind=about.get("kind", "?"),
            published=published,
            status=about.get("status", "?"),
            folder=folder,
        )
    )

    def page_label(relative_path: str) -> str:
        parts = Path(relative_path).with_suffix("").parts
        if parts[0] == "index":
            return text("dq.docs_index")
        if parts[0] == "validations" and len(parts) > 4:  # <suite...>/<run>/<time>/<batch>
            return text("dq.docs_validation", suite=".".join(parts[1:-3]), batch=parts[-1])
        return text("dq.docs_suite", suite=".".join(parts[1:]))

    shown = st.selectbox(
        t("dq.docs_page"),
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
        t("dq.docs_download"),
        zipped(str(folder), (folder / "index.html").stat().st_mtime_ns),
        file_name="dq_docs.zip",
        mime="application/zip",
        icon=":material/download:",
    )
    st.iframe(data_docs.for_dashboard(dq_docs.page_without_scripts(folder / shown)), height=700)
    st.caption(t("dq.docs_note"))
