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
--   cohort_accounts     accounts of the segment opened in the vintage month, by the accounts record
--                       in force at the month end (core.account_versions): the denominator
--                       throughout, so paid-off and written-off accounts stay in it.
--   delinquent_accounts live accounts of the cohort at the measure's days past due or more at that
--                       month end (its segment then, mart.account_month), plus every account of
--                       the cohort written off at or before it (in the segment of the month it was
--                       first written off: a write-off stays bad, the curve does not dip).
--   written_off_accounts that second part.
--   delinquent_ratio    delinquent_accounts / cohort_accounts (for this row only).
CREATE OR REPLACE TABLE mart.vintage_curves_by_segment AS
WITH months AS (
    SELECT month
    FROM mart.months
    WHERE is_complete AND month BETWEEN $first_month AND $last_month
),

-- Each month's cohorts by segment: the accounts opened in the vintage month, by the accounts
-- record in force at that month end (core.account_versions).
cohorts AS (
    SELECT
        m.month,
        CAST(date_trunc('month', v.open_date) AS DATE) AS vintage,
        v.product,
        v.branch,
        count(*) AS cohort_accounts
    FROM months AS m
    INNER JOIN core.account_versions AS v
        ON (v.in_force_from IS NULL OR last_day(m.month) >= v.in_force_from)
        AND (v.in_force_until IS NULL OR last_day(m.month) < v.in_force_until)
    WHERE v.open_date IS NOT NULL
    GROUP BY ALL
),

-- The month each account was first written off, over its whole history, and its segment then.
write_offs AS (
    SELECT
        account_id,
        vintage,
        arg_min(product, month) AS product,
        arg_min(branch, month) AS branch,
        min(month) AS written_off_month
    FROM mart.account_month
    WHERE status = 'charged_off' AND vintage IS NOT NULL
    GROUP BY account_id, vintage
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
    GROUP BY ALL
),

live_delinquent AS (
    SELECT
        a.month,
        a.vintage,
        a.product,
        a.branch,
        t.measure,
        count(*) AS live_delinquent_accounts
    FROM mart.account_month AS a
    INNER JOIN months AS m ON a.month = m.month
    INNER JOIN settings.buckets AS b ON a.bucket = b.bucket
    INNER JOIN settings.delinquency_thresholds AS t ON a.days_past_due >= t.min_days_past_due
    WHERE b.status IS NULL AND a.vintage IS NOT NULL
    GROUP BY ALL
),

-- Every (vintage, month, segment) any part names, so the parts add up to the whole book even
-- when an account's segment changed after it was written off.
grid AS (
    SELECT
        k.vintage,
        k.month,
        k.product,
        k.branch,
        t.measure
    FROM (
        SELECT vintage, month, product, branch FROM cohorts
        UNION
        SELECT vintage, month, product, branch FROM written_off_by_month
    ) AS k
    CROSS JOIN settings.delinquency_thresholds AS t
    WHERE k.vintage <= k.month
    UNION
    SELECT vintage, month, product, branch, measure FROM live_delinquent WHERE vintage <= month
)

SELECT
    g.vintage,
    g.month,
    (year(g.month) - year(g.vintage)) * 12 + month(g.month) - month(g.vintage)
        AS months_on_book,
    g.measure,
    g.product,
    g.branch,
    coalesce(c.cohort_accounts, 0) AS cohort_accounts,
    coalesce(d.live_delinquent_accounts, 0) + coalesce(w.written_off_accounts, 0)
        AS delinquent_accounts,
    coalesce(w.written_off_accounts, 0) AS written_off_accounts,
    CAST(coalesce(d.live_delinquent_accounts, 0) + coalesce(w.written_off_accounts, 0) AS DOUBLE)
    / nullif(c.cohort_accounts, 0) AS delinquent_ratio
FROM grid AS g
LEFT JOIN cohorts AS c
    ON
        g.vintage = c.vintage
        AND g.month = c.month
        AND g.product IS NOT DISTINCT FROM c.product
        AND g.branch IS NOT DISTINCT FROM c.branch
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
