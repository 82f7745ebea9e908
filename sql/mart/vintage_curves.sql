-- mart.vintage_curves
-- Purpose: vintage (账龄) curves: for each cohort of accounts opened in the same month, the share
--          that is 30+ / 60+ / 90+ days past due at each month on book, so cohorts of different
--          ages can be compared at the same age.
-- Grain:   one row per vintage (open month, first day) x month (a complete month end at or after
--          the open month) x measure of settings.delinquency_thresholds.
-- Refresh: incremental by month, reaching back 1 month (a new month-end file completes the month
--          before it).
-- Measures:
--   months_on_book      whole months from the open month to the month.
--   cohort_accounts     accounts opened in the vintage month (by the accounts record in force at
--                       the month end, core.account_versions): the denominator
--                       throughout, so paid-off and written-off accounts stay in it.
--   delinquent_accounts live accounts of the cohort at the measure's days past due or more at that
--                       month end, plus every account of the cohort written off at or before it
--                       (a write-off stays bad: the curve does not dip when balances are charged
--                       off). written_off_accounts is that second part.
--   delinquent_ratio    delinquent_accounts / cohort_accounts.
CREATE OR REPLACE TABLE mart.vintage_curves AS
WITH months AS (
    SELECT month
    FROM mart.months
    WHERE is_complete AND month BETWEEN $first_month AND $last_month
),

-- Each month's cohorts: the accounts opened in the vintage month, by the accounts record in
-- force at that month end (core.account_versions).
cohorts AS (
    SELECT
        m.month,
        CAST(date_trunc('month', v.open_date) AS DATE) AS vintage,
        count(*) AS cohort_accounts
    FROM months AS m
    INNER JOIN core.account_versions AS v
        ON (v.in_force_from IS NULL OR last_day(m.month) >= v.in_force_from)
        AND (v.in_force_until IS NULL OR last_day(m.month) < v.in_force_until)
    WHERE v.open_date IS NOT NULL
    GROUP BY m.month, CAST(date_trunc('month', v.open_date) AS DATE)
),

-- The month each account was first written off, over its whole history.
write_offs AS (
    SELECT
        account_id,
        vintage,
        min(month) AS written_off_month
    FROM mart.account_month
    WHERE status = 'charged_off' AND vintage IS NOT NULL
    GROUP BY account_id, vintage
),

written_off_by_month AS (
    SELECT
        m.month,
        w.vintage,
        count(*) AS written_off_accounts
    FROM months AS m
    INNER JOIN write_offs AS w ON w.written_off_month <= m.month
    GROUP BY m.month, w.vintage
),

live AS (
    SELECT
        a.month,
        a.vintage,
        a.days_past_due
    FROM mart.account_month AS a
    INNER JOIN months AS m ON a.month = m.month
    INNER JOIN settings.buckets AS b ON a.bucket = b.bucket
    WHERE b.status IS NULL AND a.vintage IS NOT NULL
),

live_delinquent AS (
    SELECT
        l.month,
        l.vintage,
        t.measure,
        count(*) AS live_delinquent_accounts
    FROM live AS l
    INNER JOIN settings.delinquency_thresholds AS t ON l.days_past_due >= t.min_days_past_due
    GROUP BY l.month, l.vintage, t.measure
),

grid AS (
    SELECT
        c.vintage,
        c.month,
        t.measure,
        c.cohort_accounts
    FROM cohorts AS c
    CROSS JOIN settings.delinquency_thresholds AS t
    WHERE c.vintage <= c.month
)

SELECT
    g.vintage,
    g.month,
    (year(g.month) - year(g.vintage)) * 12 + month(g.month) - month(g.vintage)
        AS months_on_book,
    g.measure,
    g.cohort_accounts,
    coalesce(d.live_delinquent_accounts, 0) + coalesce(w.written_off_accounts, 0)
        AS delinquent_accounts,
    coalesce(w.written_off_accounts, 0) AS written_off_accounts,
    CAST(coalesce(d.live_delinquent_accounts, 0) + coalesce(w.written_off_accounts, 0) AS DOUBLE)
    / g.cohort_accounts AS delinquent_ratio
FROM grid AS g
LEFT JOIN live_delinquent AS d
    ON g.vintage = d.vintage AND g.month = d.month AND g.measure = d.measure
LEFT JOIN written_off_by_month AS w ON g.vintage = w.vintage AND g.month = w.month;
