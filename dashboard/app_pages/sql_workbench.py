"""SQL workbench (analysts and admins): strictly read-only queries over the published warehouse,
a schema browser with column descriptions, example queries per `mart` view, saved queries, a
row cap and a time limit, and export to CSV and Parquet.

Every query runs through `warehouse.workbench.run_as`: the role is checked there, the text is
checked on DuckDB's parse tree, and it runs on a locked-down connection of its own; refusals say
why and are written to the audit trail.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import session
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import t
from dashboard.reads import acting
from warehouse.app import workbench
from warehouse.app.access import Forbidden

PAGE = "sql_workbench"
SQL_KEY = "wb_sql"
RESULT_KEY = "wb_result"
MAX_ROWS_LIMIT = 100_000
MAX_SECONDS_LIMIT = 120


def load_into_editor(sql: str) -> None:
    st.session_state[SQL_KEY] = sql
    st.session_state.pop(RESULT_KEY, None)


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


session.require_page(PAGE)
version = current_version()
st.title(t("page.sql_workbench"))
provenance_caption(version)
st.caption(t("wb.help"))
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
                         format_func=lambda q: t("wb.saved_label", name=q.name, author=q.author)
                         if q else t("wb.pick"))  # fmt: skip
if chosen and right.button(t("wb.load_saved"), key="wb_load_saved"):
    load_into_editor(chosen.sql)

st.session_state.setdefault(
    SQL_KEY, "SELECT month, bucket, cure_rate\nFROM mart.roll_rates\nLIMIT 20"
)
sql = st.text_area(t("wb.query"), key=SQL_KEY, height=180)
cap_col, time_col = st.columns(2)
max_rows = cap_col.number_input(t("wb.row_cap"), 1, MAX_ROWS_LIMIT, 10_000, step=1000, key="wb_cap")
seconds = time_col.number_input(t("wb.time_limit"), 1, MAX_SECONDS_LIMIT, 30, key="wb_seconds")

if st.button(t("wb.run"), type="primary", key="wb_run"):
    limits = workbench.Limits(max_rows=int(max_rows), seconds=float(seconds))
    try:
        st.session_state[RESULT_KEY] = workbench.run_as(
            session.current_user(), Path(version.path), sql, store=store, limits=limits
        )
    except Forbidden as exc:
        st.session_state.pop(RESULT_KEY, None)
        st.error(str(exc), icon=":material/lock:")
    except workbench.QueryRefused as exc:
        st.session_state.pop(RESULT_KEY, None)
        st.error(
            t("wb.refused", reason=str(exc).removeprefix("refused: ")), icon=":material/block:"
        )
    except workbench.QueryTimedOut as exc:
        st.session_state.pop(RESULT_KEY, None)
        st.warning(t("wb.timed_out", reason=str(exc)), icon=":material/timer_off:")
    except workbench.QueryFailed as exc:
        st.session_state.pop(RESULT_KEY, None)
        st.error(t("wb.failed", reason=str(exc)))

result: workbench.QueryResult | None = st.session_state.get(RESULT_KEY)
if result is not None:
    if result.truncated:
        st.warning(t("wb.truncated", rows=result.frame.height, cap=result.max_rows))
    else:
        st.caption(t("wb.rows", rows=result.frame.height, seconds=f"{result.seconds:.2f}"))
    st.dataframe(result.frame, hide_index=True)
    if session.can("workbench.export"):
        csv_col, parquet_col = st.columns(2)
        csv_col.download_button(t("wb.export_csv"), workbench.to_csv(result.frame),
                                file_name="query.csv", mime="text/csv", key="wb_csv")  # fmt: skip
        parquet_col.download_button(t("wb.export_parquet"), workbench.to_parquet(result.frame),
                                    file_name="query.parquet",
                                    mime="application/vnd.apache.parquet",
                                    key="wb_parquet")  # fmt: skip

with st.expander(t("wb.save_title")):
    name = st.text_input(t("wb.save_name"), key="wb_save_name")
    if st.button(t("wb.save"), key="wb_save"):
        try:
            store.save_query(session.current_user(), name, sql)
        except Forbidden as exc:
            st.error(str(exc))
        except ValueError as exc:
            st.warning(str(exc))
        else:
            st.success(t("wb.saved_ok", name=name))
