-- mart.bucket_migration
-- Purpose: the bucket migration (迁徙率) matrix of the whole portfolio: the share of the accounts,
--          and of the balance, in bucket i at one month end that sit in bucket j at the next.
--          The managers' roll-rate matrix; mart.roll_rates summarises it per bucket.
-- Grain:   one row per month (the *from* month, first day) x from_bucket x to_bucket with at
--          least one account.
-- Refresh: incremental by month (it follows mart.bucket_migration_by_segment).
-- Measures: mart.bucket_migration_by_segment summed over its segments (that file defines `New`,
--          `Gone` and the absorbing `Written off` / `Closed`).
--   accounts, balance (from month), to_balance (next month).
--   share_of_accounts = accounts / accounts of the same from bucket and month;
--   share_of_balance  = balance / balance of the same from bucket and month (empty for `New`).
--   from_bucket_order / to_bucket_order  sort_order of settings.buckets, `New` first and `Gone`
--          last, for drawing the matrix.
CREATE OR REPLACE TABLE mart.bucket_migration AS
WITH source AS (
    SELECT *
    FROM mart.bucket_migration_by_segment
    WHERE month BETWEEN $first_month AND $last_month
),

matrix AS (
    SELECT
        month,
        from_bucket,
        to_bucket,
        CAST(sum(accounts) AS BIGINT) AS accounts,
        sum(balance) AS balance,
        sum(to_balance) AS to_balance
    FROM source
    GROUP BY month, from_bucket, to_bucket
),

bucket_order AS (
    SELECT bucket, sort_order FROM settings.buckets
    UNION ALL
    SELECT 'New' AS bucket, min(sort_order) - 1 AS sort_order FROM settings.buckets
    UNION ALL
    SELECT 'Gone' AS bucket, max(sort_order) + 1 AS sort_order FROM settings.buckets
)

SELECT
    m.month,
    m.from_bucket,
    m.to_bucket,
    m.accounts,
    m.balance,
    m.to_balance,
    CAST(m.accounts AS DOUBLE) / sum(m.accounts) OVER (PARTITION BY m.month, m.from_bucket)
        AS share_of_accounts,
    CAST(m.balance AS DOUBLE)
    / nullif(sum(m.balance) OVER (PARTITION BY m.month, m.from_bucket), 0) AS share_of_balance,
    f.sort_order AS from_bucket_order,
    t.sort_order AS to_bucket_order
FROM matrix AS m
LEFT JOIN bucket_order AS f ON m.from_bucket = f.bucket
LEFT JOIN bucket_order AS t ON m.to_bucket = t.bucket;
