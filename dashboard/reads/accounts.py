"""What the Accounts page reads: accounts found by id or by the tail of a masked number
(core.accounts), and one account's latest month end (mart.account_month), its month ends and its
whole story (mart.account_timeline). Only masked values are compared and returned.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.reads.connection import MAX_ROWS, Capped, WarehouseVersion, capped, query


@st.cache_data(show_spinner=False, max_entries=64)
def find_accounts(version: WarehouseVersion, text: str, *, limit: int = 50) -> Capped:
    """Accounts whose id is `text`, or whose masked national ID, card or phone ends with it (a
    tail of 4 digits) or equals it: only masked values are compared and returned."""
    wanted = text.strip()
    if not wanted:
        return Capped(pl.DataFrame(), False)
    return capped(
        version,
        """
        SELECT
            account_id, customer_name_masked, national_id_masked, card_no_masked, mobile_masked,
            product, branch, open_date
        FROM core.accounts
        WHERE account_id = $text
            OR national_id_masked = $text OR card_no_masked = $text OR mobile_masked = $text
            OR (length($text) >= 4 AND (
                ends_with(national_id_masked, $text)
                OR ends_with(card_no_masked, $text)
                OR ends_with(mobile_masked, $text)
            ))
        ORDER BY account_id
        """,
        {"text": wanted},
        limit,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_header(version: WarehouseVersion, account_id: str) -> pl.DataFrame:
    """The account's masked identity and its latest month end (bucket, grade, treatment)."""
    return query(
        version,
        """
        SELECT
            a.account_id, a.customer_name_masked, a.national_id_masked, a.card_no_masked,
            a.mobile_masked, a.product, a.branch, a.open_date, a.credit_limit,
            m.month, m.bucket, m.balance, m.days_past_due, m.risk_grade, m.delinquency_cause,
            m.treatment
        FROM core.accounts AS a
        LEFT JOIN mart.account_month AS m ON a.account_id = m.account_id
        WHERE a.account_id = ?
        ORDER BY m.month DESC NULLS LAST
        LIMIT 1
        """,
        [account_id],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_timeline(version: WarehouseVersion, account_id: str) -> Capped:
    """The account's whole story, oldest first (mart.account_timeline)."""
    return capped(
        version,
        """
        SELECT event_date, event_at, kind, reference, status, amount, detail, agent_id
        FROM mart.account_timeline
        WHERE account_id = ?
        ORDER BY event_date, event_at NULLS FIRST, kind, reference
        """,
        [account_id],
        MAX_ROWS,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_months(version: WarehouseVersion, account_id: str) -> pl.DataFrame:
    """Balance, bucket, risk grade and treatment at each month end (mart.account_month)."""
    return query(
        version,
        """
        SELECT month, bucket, bucket_order, balance, days_past_due, risk_grade, treatment
        FROM mart.account_month WHERE account_id = ? ORDER BY month
        """,
        [account_id],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_strategy(version: WarehouseVersion, account_id: str) -> pl.DataFrame:
    """The account's treatment in full at its latest month end (mart.account_strategy): grade,
    cause, treatment, its channels, contacts a week, script focus and next step."""
    return query(
        version,
        """
        SELECT
            month, risk_grade, delinquency_cause, treatment, channels, contacts_per_week,
            script_focus, next_step
        FROM mart.account_strategy
        WHERE account_id = ?
        ORDER BY month DESC
        LIMIT 1
        """,
        [account_id],
    )
