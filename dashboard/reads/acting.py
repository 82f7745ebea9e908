"""What the acting pages (Strategy, Work queue, Champion / challenger, SQL workbench) read. The
logic lives in `warehouse.app`; this module gives it a cursor on the version the page shows
(`connection.cursor`) and caches the answers on that version, like every other read.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard.reads.connection import WarehouseVersion, cursor, query
from warehouse.app import experiments, settings_versions, strategy_preview, work_queue, workbench
from warehouse.app.store import Settings


@st.cache_data(show_spinner=False, max_entries=16)
def published_settings_version(version: WarehouseVersion) -> int | None:
    with cursor(version) as con:
        return settings_versions.published_settings_version(con)


@st.cache_data(show_spinner=False, max_entries=16)
def warehouse_settings(version: WarehouseVersion) -> Settings:
    with cursor(version) as con:
        return settings_versions.read_settings(con)


@st.cache_data(show_spinner=False, max_entries=16)
def graded_months(version: WarehouseVersion) -> list[date]:
    """The month ends graded (mart.account_month), oldest first: the months a preview can take."""
    frame = query(version, "SELECT DISTINCT month FROM mart.account_month ORDER BY month")
    return frame["month"].to_list()


def preview(
    version: WarehouseVersion, month: date, current: Settings, candidate: Settings
) -> strategy_preview.Preview:
    with cursor(version) as con:
        return strategy_preview.preview(con, month, current, candidate)


def replay(
    version: WarehouseVersion, current: Settings, candidate: Settings, since: date
) -> pl.DataFrame:
    with cursor(version) as con:
        return strategy_preview.replay_breaches(con, current, candidate, since=since)


@st.cache_data(show_spinner=False, max_entries=8, ttl=300)
def queue(
    version: WarehouseVersion,
    now: datetime,
    experiment: tuple[int, int, float, dict] | None = None,
) -> work_queue.Queue:
    """The queue at `now` (rounded to the minute by the caller); `experiment` = (seed,
    start-month ordinal, share, challenger settings) puts the challenger arm on its treatment."""
    with cursor(version) as con:
        arms = None
        if experiment is not None:
            seed, month_ordinal, share, challenger = experiment
            month = con.execute("SELECT max(month) FROM mart.account_strategy").fetchall()[0][0]
            ids = experiments.population(con, month)
            if ids:
                assigned = experiments.assign(ids, seed=seed, share=share)
                arms = experiments.challenger_treatments(con, month, challenger, assigned)
        return work_queue.build_queue(con, now=now, arms=arms)


@st.cache_data(show_spinner=False, max_entries=16)
def population(version: WarehouseVersion, month: date) -> list[str]:
    with cursor(version) as con:
        return experiments.population(con, month)


@st.cache_data(show_spinner=False, max_entries=16)
def comparison(
    version: WarehouseVersion, start_month: date, seed: int, share: float
) -> experiments.ArmComparison:
    with cursor(version) as con:
        return experiments.compare(con, start_month=start_month, seed=seed, share=share)


@st.cache_data(show_spinner=False, max_entries=4)
def schema_columns(version: WarehouseVersion) -> pl.DataFrame:
    return workbench.schema_columns(Path(version.path))
