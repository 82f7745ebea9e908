-- mart.bucket_migration_by_segment
-- Purpose: the bucket migration (迁徙率) matrix by segment: where the accounts of each bucket at one
--          month end sit at the next, by product, branch, risk grade and vintage year.
--          mart.bucket_migration is this table summed over the segments.
-- Grain:   one row per month (the *from* month, first day) x from_bucket x to_bucket x product x
--          branch x risk_grade x vintage_year with at least one account.
-- Refresh: incremental by month (core.account_transitions already reaches back for a new month).
-- Joins: the smaller side of each join is on the right (DuckDB builds its hash tables there).
-- Measures: the moves of core.account_transitions (which defines `New`, `Gone` and the absorbing
--          buckets), added up.
--   accounts   accounts making the move.
--   balance    their balance at the from month (empty for `New` and returning accounts).
--   to_balance their balance at the next month (empty for `Gone`; an absorbed account missing
--              from the next month end keeps its last balance).
--   segments   product, branch, vintage_year (year of the open date) and risk_grade at the from
--              month (the next month's for accounts without a from month), as
--              core.account_transitions has them from the month-end pictures.
--   share_of_accounts / share_of_balance  accounts / balance over those of the same from bucket
--              within the same segment.
CREATE OR REPLACE TABLE mart.bucket_migration_by_segment AS
WITH transitions AS (
    SELECT *
    FROM core.account_transitions
    WHERE month BETWEEN $first_month AND $last_month
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
    FROM transitions
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
