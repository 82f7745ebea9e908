-- core.account_transitions
-- Purpose: where each account moved between two consecutive complete month ends: the per-account
--          rows behind the bucket migration (迁徙率) matrix, with its rules for accounts that
--          enter or leave, written once. mart.bucket_migration_by_segment adds them up by segment;
--          mart.account_migration lists them for a matrix cell.
-- Grain:   one row per pair of consecutive complete months (the *from* month, first day) x account
--          with a picture (mart.account_month) in either month.
-- Refresh: incremental by month, reaching back 2 months: a month's row needs the next month, and
--          a new month-end file completes the month before it (mart.months).
-- Sorted by: from_bucket, to_bucket, account_id
-- Joins: the smaller side of each join is on the right (DuckDB builds its hash tables there).
-- Measures: only pairs of consecutive complete months (mart.months) are compared.
--   from_bucket / to_bucket  the account's bucket (mart.account_month) at the from month and
--          at the next. Accounts that enter or leave are shown, not dropped:
--          `New`   from: the account's first month in the warehouse is the next month;
--          `Gone`  to: the account is missing from the next month end without having been
--                  written off or closed; from: an account missing from the from month that comes
--                  back (it appeared before), so a missing month end is one `Gone` out and one
--                  `Gone` in, never a false `New`;
--          `Written off`, `Closed` are absorbing: once there, the account stays there in the
--                  next month whatever (or whether) the card system reports.
--   balance    the account's balance at the from month (empty for `New` and returning accounts).
--   to_balance its balance at the next month (empty for `Gone`; an absorbed account missing
--              from the next month end keeps its last balance).
--   risk_grade, product, branch, vintage_year  the account's at the from month (the next month's
--              without a from month): its picture's, from the accounts record in force then.
CREATE OR REPLACE TABLE core.account_transitions AS
WITH complete_months AS (
    SELECT month FROM mart.months WHERE is_complete
),

pairs AS (
    SELECT
        f.month AS from_month,
        t.month AS to_month
    FROM complete_months AS f
    INNER JOIN complete_months AS t ON t.month = CAST(f.month + INTERVAL 1 MONTH AS DATE)
    WHERE f.month BETWEEN $first_month AND $last_month
),

absorbing AS (
    SELECT bucket FROM settings.buckets WHERE status IS NOT NULL
),

from_side AS (
    SELECT
        p.from_month,
        a.account_id,
        a.bucket,
        a.balance,
        a.risk_grade,
        a.product,
        a.branch,
        year(a.vintage) AS vintage_year
    FROM mart.account_month AS a
    INNER JOIN pairs AS p ON a.month = p.from_month
),

-- The first month each account has a picture: an account absent from the from month is `New`
-- only when the next month is its first.
first_seen AS (
    SELECT
        account_id,
        min(month) AS first_month
    FROM mart.account_month
    GROUP BY account_id
),

to_side AS (
    SELECT
        p.from_month,
        a.account_id,
        a.bucket,
        a.balance,
        f.first_month = a.month AS is_first_month,
        a.risk_grade,
        a.product,
        a.branch,
        year(a.vintage) AS vintage_year
    FROM mart.account_month AS a
    INNER JOIN pairs AS p ON a.month = p.to_month
    LEFT JOIN first_seen AS f ON a.account_id = f.account_id
),

transitions AS (
    SELECT
        coalesce(f.from_month, t.from_month) AS month,
        coalesce(f.account_id, t.account_id) AS account_id,
        CASE
            WHEN f.account_id IS NOT NULL THEN f.bucket
            WHEN t.is_first_month THEN 'New'
            ELSE 'Gone'
        END AS from_bucket,
        CASE
            WHEN ab.bucket IS NOT NULL THEN f.bucket
            WHEN t.account_id IS NULL THEN 'Gone'
            ELSE t.bucket
        END AS to_bucket,
        f.balance,
        CASE WHEN t.account_id IS NULL AND ab.bucket IS NOT NULL THEN f.balance ELSE t.balance END
            AS to_balance,
        coalesce(f.risk_grade, t.risk_grade) AS risk_grade,
        CASE WHEN f.account_id IS NOT NULL THEN f.product ELSE t.product END AS product,
        CASE WHEN f.account_id IS NOT NULL THEN f.branch ELSE t.branch END AS branch,
        CASE WHEN f.account_id IS NOT NULL THEN f.vintage_year ELSE t.vintage_year END
            AS vintage_year
    FROM from_side AS f
    FULL OUTER JOIN to_side AS t ON f.account_id = t.account_id AND f.from_month = t.from_month
    LEFT JOIN absorbing AS ab ON f.bucket = ab.bucket
)

SELECT
    month,
    account_id,
    from_bucket,
    to_bucket,
    balance,
    to_balance,
    risk_grade,
    product,
    branch,
    vintage_year
FROM transitions;
