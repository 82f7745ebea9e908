-- mart.bucket_migration_by_segment
-- Purpose: the bucket migration (迁徙率) matrix by segment: where the accounts of each bucket at one
--          month end sit at the next, by product, branch, risk grade and vintage year.
--          mart.bucket_migration is this table summed over the segments.
-- Grain:   one row per month (the *from* month, first day) x from_bucket x to_bucket x product x
--          branch x risk_grade x vintage_year with at least one account.
-- Refresh: incremental by month, reaching back 2 months: a month's row needs the next month, and
--          a new month-end file completes the month before it (mart.months).
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
--   accounts   accounts making the move.
--   balance    their balance at the from month (empty for `New` and returning accounts).
--   to_balance their balance at the next month (empty for `Gone`; an absorbed account missing
--              from the next month end keeps its last balance).
--   segments   product, branch, vintage_year (year of the open date) and risk_grade at the from
--              month (the next month's for accounts without a from month).
--   share_of_accounts / share_of_balance  accounts / balance over those of the same from bucket
--              within the same segment.
CREATE OR REPLACE TABLE mart.bucket_migration_by_segment AS
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
        a.risk_grade
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
        a.risk_grade
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
        coalesce(f.risk_grade, t.risk_grade) AS risk_grade
    FROM from_side AS f
    FULL OUTER JOIN to_side AS t ON f.account_id = t.account_id AND f.from_month = t.from_month
    LEFT JOIN absorbing AS ab ON f.bucket = ab.bucket
),

-- Product, branch and open date are the account's (core.accounts), the same in both months.
segmented AS (
    SELECT
        x.*,
        a.product,
        a.branch,
        year(a.open_date) AS vintage_year
    FROM transitions AS x
    LEFT JOIN core.accounts AS a ON x.account_id = a.account_id
),

matrix AS (
    SELECT
        month,
        from_bucket,
        to_bucket,
        product,
        branch,
        risk_grade,
        vintage_year,
        count(*) AS accounts,
        sum(balance) AS balance,
        sum(to_balance) AS to_balance
    FROM segmented
    GROUP BY month, from_bucket, to_bucket, product, branch, risk_grade, vintage_year
)

SELECT
    month,
    from_bucket,
    to_bucket,
    product,
    branch,
    risk_grade,
    vintage_year,
    accounts,
    balance,
    to_balance,
    CAST(accounts AS DOUBLE) / sum(accounts) OVER (
        PARTITION BY month, from_bucket, product, branch, risk_grade, vintage_year
    ) AS share_of_accounts,
    CAST(balance AS DOUBLE) / nullif(
        sum(balance) OVER (
            PARTITION BY month, from_bucket, product, branch, risk_grade, vintage_year
        ),
        0
    ) AS share_of_balance
FROM matrix;
