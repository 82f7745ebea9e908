-- mart.reporting_months
-- Purpose: the months a page or a report can show: every month the warehouse holds data for, up
--          to the month of its as-of date, the unfinished current month included (its figures
--          so far). mart.months has only the months with an account picture; a bank that sends
--          snapshots at month ends only has contacts, payments and promises after the last one.
-- Grain:   one row per month, from the first month with any data to the as-of date's month.
--          A table (rebuilt whole at each load that changes its inputs, 0.4 s at 1,000,000
--          accounts), not a view: every page reads it first, and as a view it grouped every
--          account month (mart.months) and every promise on each read (0.3-0.5 s).
-- Measures:
--   has_picture         the month has account pictures (mart.months): the portfolio pages can
--                       show it (a month that is not complete shows its latest snapshots so far).
--   is_complete         mart.months.is_complete: the month's month-end file (or a later one) is
--                       held, so migration, roll rates and vintage curves include it.
--   last_snapshot_date  the month's latest snapshot date (empty without a picture).
--   as_of_date          the warehouse's latest business date (core.as_of_date), on every row.
--   is_current          the month of the as-of date: the month so far.
CREATE OR REPLACE TABLE mart.reporting_months AS
WITH as_of AS (
    SELECT
        as_of_date,
        CAST(date_trunc('month', as_of_date) AS DATE) AS as_of_month
    FROM core.as_of_date
),

held AS (
    SELECT month FROM mart.months
    UNION
    SELECT month FROM mart.contact_funnel
    UNION
    SELECT month FROM mart.compliance_breach_counts
    UNION
    SELECT month FROM mart.promise_outcomes
    UNION
    SELECT as_of_month AS month FROM as_of WHERE as_of_month IS NOT NULL
)

SELECT
    h.month,
    m.month IS NOT NULL AS has_picture,
    coalesce(m.is_complete, FALSE) AS is_complete,
    m.last_snapshot_date,
    a.as_of_date,
    h.month = a.as_of_month AS is_current
FROM held AS h
CROSS JOIN as_of AS a
LEFT JOIN mart.months AS m ON h.month = m.month
WHERE a.as_of_month IS NULL OR h.month <= a.as_of_month;
