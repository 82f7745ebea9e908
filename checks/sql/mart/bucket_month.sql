-- checks: mart.bucket_month
-- Purpose: the aggregate frame of mart.bucket_month's suite: per month, how far its accounts
--          and balance (summed over the buckets) are from mart.account_month's.
-- Grain:   one row per month of either mart.
--          From `$since`: the first month the load rebuilt (every month for `collections check`).
-- Columns:
--   month       the month.
--   difference  |accounts - accounts| + |balance - balance|; must be 0.
WITH buckets AS (
    SELECT month, sum(accounts) AS accounts, sum(balance) AS balance
    FROM mart.bucket_month WHERE month >= $since GROUP BY month
),

accounts AS (
    SELECT month, count(*) AS accounts, sum(balance) AS balance
    FROM mart.account_month WHERE month >= $since GROUP BY month
)

SELECT
    coalesce(a.month, b.month) AS month,
    CAST(abs(coalesce(a.accounts, 0) - coalesce(b.accounts, 0))
    + abs(coalesce(a.balance, 0) - coalesce(b.balance, 0)) AS DOUBLE) AS difference
FROM accounts AS a
FULL OUTER JOIN buckets AS b ON a.month = b.month
ORDER BY 1
