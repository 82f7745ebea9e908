"""SQL workbench (analysts and admins): strictly read-only queries over the published warehouse,
a schema browser with column descriptions, example queries per `mart` view, saved queries, a
row cap and a time limit, and export to CSV and Parquet.

Every query runs through `warehouse.app.workbench.run_as`: the role is checked there, the text
is checked on DuckDB's parse tree, and it runs in a worker process of its own (address-space
limit, killed at the deadline, result capped in rows and bytes), so no query can take the
dashboard down. Every query is audited; refusals and stops say why in the user's language.
Text that came from the user (a name in a refusal, a saved query's name) is shown as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import export, session
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import t, text
from dashboard.reads import acting
from warehouse.app import workbench
from warehouse.app.access import Forbidden
from warehouse.app.store import SavedQuery

PAGE = "sql_workbench"
SQL_KEY = "wb_sql"
RESULT_KEY = "wb_result"
MESSAGE_KEY = "wb_message"
MAX_ROWS_LIMIT = 100_000
MAX_SECONDS_LIMIT = 120
TICKS = re.compile(r"`+")


def plain(text: object) -> str:
    """`text` as an inline code span, so it shows as typed: no link, image, emphasis or
    directive in it is ever rendered (the fence is longer than any run of backticks inside)."""
    body = " ".join(str(text).split())
    if not body:
        return ""
    fence = "`" * (max((len(run) for run in TICKS.findall(body)), default=0) + 1)
    return f"{fence} {body} {fence}"


def load_into_editor(sql: str) -> None:
    st.session_state[SQL_KEY] = sql
    st.session_state.pop(RESULT_KEY, None)
    st.session_state.pop(MESSAGE_KEY, None)


def _mb(size: object) -> str:
    return f"{int(str(size)) / 2**20:g}" if str(size).isdigit() else str(size)


def refusal(exc: workbench.QueryRefused) -> str:
    """Why the query was refused, in the user's language."""
    params = {name: plain(value) for name, value in exc.params.items()}
    if exc.code == "statement":
        kind = str(exc.params.get("statement", ""))
        why = t(f"sec.stmt.{kind.lower()}")
        if why == f"sec.stmt.{kind.lower()}":
            why = t("sec.stmt.other")
        # Values already made safe (plain: a code span; why: a template) go in as they are.
        return text("sec.why.statement", statement=plain(kind), why=why)
    key = f"sec.why.{exc.code}"
    said = text(key, **params) if params else t(key)
    return said if said != key else plain(str(exc).removeprefix("refused: "))


def stop_reason(exc: workbench.QueryStopped) -> str:
    """Which limit stopped the query, in the user's language."""
    params = dict(exc.params)
    if exc.limit == "bytes":
        params["limit"] = _mb(params.get("limit", ""))
    key = f"sec.stop.{exc.limit}"
    said = t(key, **params) if params else t(key)
    return said if said != key else plain(str(exc))


def run(sql: str, limits: workbench.Limits) -> None:
    """Run the editor's query; the result or the message goes into the session."""
    st.session_state.pop(RESULT_KEY, None)
    try:
        st.session_state[RESULT_KEY] = workbench.run_as(
            session.current_user(), Path(version.path), sql, store=store, limits=limits
        )
        st.session_state[MESSAGE_KEY] = None
    except Forbidden as exc:
        st.session_state[MESSAGE_KEY] = ("error", plain(exc))
    except workbench.QueryRefused as exc:
        st.session_state[MESSAGE_KEY] = ("error", text("wb.refused", reason=refusal(exc)))
    except workbench.QueryStopped as exc:
        st.session_state[MESSAGE_KEY] = ("warning", text("sec.stopped", reason=stop_reason(exc)))
    except workbench.QueryFailed as exc:
        st.session_state[MESSAGE_KEY] = ("error", text("wb.failed", reason=plain(exc)))


def show_message() -> None:
    found = st.session_state.get(MESSAGE_KEY)
    if not found:
        return
    kind, text = found
    if kind == "warning":
        st.warning(text, icon=":material/timer_off:")
    else:
        st.error(text, icon=":material/block:")


def result_download(result: workbench.QueryResult, sql: str, kind: str) -> Callable[[], bytes]:
    """The result as CSV or Parquet, built when downloaded; the export is audited."""

    def write(frame: pl.DataFrame) -> bytes:
        return workbench.to_csv(frame) if kind == "csv" else workbench.to_parquet(frame)

    return export.audited(
        lambda: result.frame, write, store=store, user=session.current_user(),
        action="workbench.export", what="workbench",
        detail=f"format={kind}; query={sql[:500]}",
    )  # fmt: skip


def schema_browser(columns: pl.DataFrame) -> None:
    """Every table and view with its description; the chosen one's columns and theirs."""
    with st.sidebar.expander(t("wb.schema"), expanded=False):
        tables = (
            columns.select("schema_name", "table_name", "kind", "table_description")
            .unique(maintain_order=True)
            .with_columns((pl.col("schema_name") + "." + pl.col("table_name")).alias("name"))
        )
        chosen = st.selectbox(t("wb.schema_table"), tables["name"].to_list(), index=None,
                              key="wb_schema_table", placeholder=t("wb.pick"))  # fmt: skip
        if chosen is None:
            st.caption(t("wb.schema_count", tables=tables.height))
            return
        row = tables.filter(pl.col("name") == chosen).row(0, named=True)
        st.caption(f"{row['kind']} · {row['table_description'] or ''}")
        schema, _, table = chosen.partition(".")
        st.dataframe(
            columns.filter(
                (pl.col("schema_name") == schema) & (pl.col("table_name") == table)
            ).select("column_name", "data_type", "description"),
            hide_index=True,
        )


def saved_label(query: SavedQuery | None) -> str:
    return t("wb.saved_label", name=query.name, author=query.author) if query else t("wb.pick")


session.require_page(PAGE)
version = current_version()
st.title(t("page.sql_workbench"))
provenance_caption(version)
st.caption(t("wb.help"))
st.caption(t("sec.wb_limits"))
columns = acting.schema_columns(version)
schema_browser(columns)
store = session.store()

views = sorted({f"{s}.{n}" for s, n in columns.select("schema_name", "table_name").unique().rows()})
examples = workbench.example_queries(views)
saved = store.saved_queries()
left, right = st.columns(2)
example = left.selectbox(t("wb.examples"), [None, *examples], key="wb_example",
                         format_func=lambda v: v or t("wb.pick"))  # fmt: skip
if example and left.button(t("wb.load_example"), key="wb_load_example"):
    load_into_editor(examples[example])
chosen = right.selectbox(t("wb.saved"), [None, *saved], key="wb_saved_pick",
                         format_func=saved_label)  # fmt: skip
if chosen and right.button(t("wb.load_saved"), key="wb_load_saved"):
    load_into_editor(chosen.sql)
user = session.current_user()
owns = chosen is not None and user is not None and user.username == chosen.author
if (
    chosen
    and user
    and (owns or user.role == "admin")
    and right.button(t("sec.delete_saved"), key="wb_delete_saved", icon=":material/delete:")
):
    try:
        store.delete_query(user, chosen.query_id)
    except (Forbidden, KeyError) as exc:
        st.error(plain(exc))
    else:
        st.session_state.pop("wb_saved_pick", None)
        st.rerun()

st.session_state.setdefault(
    SQL_KEY, "SELECT month, bucket, cure_rate\nFROM mart.roll_rates\nLIMIT 20"
)
sql = st.text_area(t("wb.query"), key=SQL_KEY, height=180, max_chars=workbench.MAX_QUERY_CHARS)
cap_col, time_col = st.columns(2)
max_rows = cap_col.number_input(t("wb.row_cap"), 1, MAX_ROWS_LIMIT, 10_000, step=1000, key="wb_cap")
seconds = time_col.number_input(t("wb.time_limit"), 1, MAX_SECONDS_LIMIT, 30, key="wb_seconds")

if st.button(t("wb.run"), type="primary", key="wb_run"):
    with st.spinner(t("sec.running")):
        run(sql, workbench.Limits(max_rows=int(max_rows), seconds=float(seconds)))
show_message()

result: workbench.QueryResult | None = st.session_state.get(RESULT_KEY)
if result is not None:
    if result.cut_by == "bytes":
        st.warning(t("sec.cut_bytes", rows=result.frame.height, limit=_mb(result.max_bytes)))
    elif result.truncated:
        st.warning(t("wb.truncated", rows=result.frame.height, cap=result.max_rows))
    else:
        st.caption(t("wb.rows", rows=result.frame.height, seconds=f"{result.seconds:.2f}"))
    st.dataframe(result.frame, hide_index=True)
    if session.can("workbench.export"):
        csv_col, parquet_col = st.columns(2)
        csv_col.download_button(
            t("wb.export_csv"), result_download(result, sql, "csv"), file_name="query.csv",
            mime=export.CSV_MIME, key="wb_csv", on_click="ignore",
        )  # fmt: skip
        parquet_col.download_button(
            t("wb.export_parquet"), result_download(result, sql, "parquet"),
            file_name="query.parquet", mime="application/vnd.apache.parquet",
            key="wb_parquet", on_click="ignore",
        )  # fmt: skip

with st.expander(t("wb.save_title")):
    name = st.text_input(t("wb.save_name"), key="wb_save_name", max_chars=200)
    if st.button(t("wb.save"), key="wb_save"):
        try:
            store.save_query(session.current_user(), name, sql)
        except Forbidden as exc:
            st.error(plain(exc))
        except ValueError as exc:
            st.warning(plain(exc))
        else:
            st.success(t("wb.saved_ok", name=plain(name)))
