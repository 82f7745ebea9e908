"""What the "Since the last load" page reads: `warehouse.app.briefing` on the version the page
shows, cached on it (the morning briefing computes the same figures with the same functions).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.reads.connection import WarehouseVersion, cursor
from warehouse.app import briefing


@st.cache_data(show_spinner=False, max_entries=16)
def load_window(version: WarehouseVersion) -> briefing.Window:
    with cursor(version) as con:
        return briefing.load_window(con)


@st.cache_data(show_spinner=False, max_entries=16)
def day_changes(version: WarehouseVersion, window: briefing.Window) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.day_changes(con, window)


@st.cache_data(show_spinner=False, max_entries=16)
def promises_due(version: WarehouseVersion, day: date | None) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.promises_due(con, day)


@st.cache_data(show_spinner=False, max_entries=16)
def promises_broken(version: WarehouseVersion, window: briefing.Window) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.promises_broken(con, window)


@st.cache_data(show_spinner=False, max_entries=16)
def new_breaches(version: WarehouseVersion, window: briefing.Window) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.new_breaches(con, window)
