-- mart.vintage_curves_by_segment
-- Purpose: vintage (账龄) curves by product and branch, so the Portfolio page can draw them for
--          the slice of the sidebar: for each cohort of accounts opened in the same month, the
--          accounts 30+ / 60+ / 90+ days past due at each month on book. Summed over products
--          and branches it is mart.vintage_curves.
-- Grain:   one row per vintage (open month, first day) x month (a complete month end at or after
--          the open month) x measure of settings.delinquency_thresholds x product x branch (as the
--          accounts record gives them; empty when it gives none).
-- Refresh: incremental by month, reaching back 1 month (a new month-end file completes the month
--          before it).
-- Measures (counts add up over products and branches; divide after adding):
--   months_on_book      whole months from the open month to the month.
--   cohort_accounts     accounts of the segment opened in the vintage month (core.accounts): the
--                       denominator throughout, so paid-off and written-off accounts stay in it.
--   delinquent_accounts live accounts of the cohort at the measure's days past due or more at that
--                       month end, plus every account of the cohort written off at or before it.
--   written_off_accounts that second part.
--   delinquent_ratio    delinquent_accounts / cohort_accounts (for this row only).
CREATE OR REPLACE TABLE mart.vintage_curves_by_segment AS
WITH cohorts AS (
    SELECT
        CAST(date_trunc('month', open_date) AS DATE) AS vintage,
        product,
        branch,
        count(*) AS cohort_accounts
    FROM core.accounts
    WHERE open_date IS NOT NULL
    GROUP BY CAST(date_trunc('month', open_date) AS DATE), product, branch
),

months AS (
    SELECT month
    FROM mart.months
    WHERE is_complete AND month BETWEEN $first_month AND $last_month
),

write_offs AS (
    SELECT
        a.account_id,
        a.vintage,
        c.product,
        c.branch,
        min(a.month) AS written_off_month
    FROM mart.account_month AS a
    INNER JOIN core.accounts AS c ON a.account_id = c.account_id
    WHERE a.status = 'charged_off' AND a.vintage IS NOT NULL
    GROUP BY a.account_id, a.vintage, c.product, c.branch
),

written_off_by_month AS (
    SELECT
        m.month,
        w.vintage,
        w.product,
        w.branch,
        count(*) AS written_off_accounts
    FROM months AS m
    INNER JOIN write_offs AS w ON w.written_off_month <= m.month
    GROUP BY m.month, w.vintage, w.product, w.branch
),

live AS (
    SELECT
        a.month,
        a.vintage,
        c.product,
        c.branch,
        a.days_past_due
    FROM mart.account_month AS a
    INNER JOIN months AS m ON a.month = m.month
    INNER JOIN settings.buckets AS b ON a.bucket = b.bucket
    INNER JOIN core.accounts AS c ON a.account_id = c.account_id
    WHERE b.status IS NULL AND a.vintage IS NOT NULL
),

live_delinquent AS (
    SELECT
        l.month,
        l.vintage,
        l.product,
        l.branch,
        t.measure,
        count(*) AS live_delinquent_accounts
    FROM live AS l
    INNER JOIN settings.delinquency_thresholds AS t ON l.days_past_due >= t.min_days_past_due
    GROUP BY l.month, l.vintage, l.product, l.branch, t.measure
),

grid AS (
    SELECT
        c.vintage,
        c.product,
        c.branch,
        m.month,
        t.measure,
        c.cohort_accounts
    FROM cohorts AS c
    INNER JOIN months AS m ON c.vintage <= m.month
    CROSS JOIN settings.delinquency_thresholds AS t
)

SELECT
    g.vintage,
    g.month,
    (year(g.month) - year(g.vintage)) * 12 + month(g.month) - month(g.vintage)
        AS months_on_book,
    g.measure,
    g.product,
    g.branch,
    g.cohort_accounts,
    coalesce(d.live_delinquent_accounts, 0) + coalesce(w.written_off_accounts, 0)
        AS delinquent_accounts,
    coalesce(w.written_off_accounts, 0) AS written_off_accounts,
    CAST(coalesce(d.live_delinquent_accounts, 0) + coalesce(w.written_off_accounts, 0) AS DOUBLE)
    / g.cohort_accounts AS delinquent_ratio
FROM grid AS g
LEFT JOIN live_delinquent AS d
    ON
        g.vintage = d.vintage
        AND g.month = d.month
        AND g.measure = d.measure
        AND g.product IS NOT DISTINCT FROM d.product
        AND g.branch IS NOT DISTINCT FROM d.branch
LEFT JOIN written_off_by_month AS w
    ON
        g.vintage = w.vintage
        AND g.month = w.month
        AND g.product IS NOT DISTINCT FROM w.product
        AND g.branch IS NOT DISTINCT FROM w.branch;
