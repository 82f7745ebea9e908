-- checks: mart.account_month
-- Purpose: the aggregate frame of mart.account_month's suite: per month, rows that repeat an
--          account, rows without a bucket or a known risk grade, and accounts that have a
--          snapshot that month but no row. Months of either side are kept (a full join).
-- Grain:   one row per month (first day) of mart.account_month or of raw.snapshots, from
--          `$since` (the first month the load rebuilt; every month for `collections check`).
-- Columns (each must be 0):
--   month               the month.
--   duplicate_rows      rows beyond one per account.
--   without_bucket      rows whose bucket is NULL.
--   without_risk_grade  rows whose risk grade is not in settings.risk_grades.
--   missing_accounts    accounts with a snapshot in the month, less those with a row.
WITH mart AS (
    SELECT
        m.month,
        count(*) AS account_months,
        count(DISTINCT m.account_id) AS accounts,
        count(*) FILTER (WHERE m.bucket IS NULL) AS without_bucket,
        count(*) FILTER (WHERE g.risk_grade IS NULL) AS without_risk_grade
    FROM mart.account_month AS m
    LEFT JOIN settings.risk_grades AS g ON m.risk_grade = g.risk_grade
    WHERE m.month >= $since
    GROUP BY m.month
),

snapshots AS (
    SELECT
        CAST(date_trunc('month', as_of_date) AS DATE) AS month,
        count(DISTINCT account_id) AS accounts
    FROM raw.snapshots
    WHERE as_of_date >= $since
    GROUP BY 1
)

SELECT
    coalesce(mart.month, snapshots.month) AS month,
    coalesce(mart.account_months, 0) - coalesce(mart.accounts, 0) AS duplicate_rows,
    coalesce(mart.without_bucket, 0) AS without_bucket,
    coalesce(mart.without_risk_grade, 0) AS without_risk_grade,
    greatest(coalesce(snapshots.accounts, 0) - coalesce(mart.accounts, 0), 0)
        AS missing_accounts
FROM mart
FULL OUTER JOIN snapshots ON mart.month = snapshots.month
ORDER BY 1
