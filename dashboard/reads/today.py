"""What the "Since the last load" page reads: `warehouse.app.briefing` on the version the page
shows, cached on it (the morning briefing computes the same figures with the same functions).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import streamlit as st

from dashboard.reads.connection import WarehouseVersion, cursor
from warehouse.app import briefing


@st.cache_data(show_spinner=False, max_entries=16)
def load_window(version: WarehouseVersion) -> briefing.Window:
    with cursor(version) as con:
        return briefing.load_window(con)


# A list shows at most this many rows; its totals are counted by the warehouse (a first load's
# window spans years: millions of moves, hundreds of thousands of breaches).
LISTED = 1_000


@st.cache_data(show_spinner=False, max_entries=16)
def day_changes(version: WarehouseVersion, window: briefing.Window) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.day_changes(con, window, limit=LISTED)


@st.cache_data(show_spinner=False, max_entries=16)
def change_totals(
    version: WarehouseVersion, window: briefing.Window
) -> dict[str, tuple[int, Decimal]]:
    with cursor(version) as con:
        return briefing.change_totals(con, window)


@st.cache_data(show_spinner=False, max_entries=16)
def promises_due(version: WarehouseVersion, day: date | None) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.promises_due(con, day)


@st.cache_data(show_spinner=False, max_entries=16)
def promises_broken(version: WarehouseVersion, window: briefing.Window) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.promises_broken(con, window, limit=LISTED)


@st.cache_data(show_spinner=False, max_entries=16)
def broken_count(version: WarehouseVersion, window: briefing.Window) -> int:
    with cursor(version) as con:
        return briefing.broken_count(con, window)


@st.cache_data(show_spinner=False, max_entries=16)
def new_breaches(version: WarehouseVersion, window: briefing.Window) -> pl.DataFrame:
    with cursor(version) as con:
        return briefing.new_breaches(con, window, limit=LISTED)


@st.cache_data(show_spinner=False, max_entries=16)
def breach_count(version: WarehouseVersion, window: briefing.Window) -> int:
    with cursor(version) as con:
        return briefing.breach_count(con, window)
