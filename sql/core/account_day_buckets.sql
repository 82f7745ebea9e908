-- core.account_day_buckets
-- Purpose: the bucket an account was in on a day a contact was tried or a promise was made: the
--          bucket of its latest snapshot on or before that (bank) date. With daily snapshot files
--          that is the day's own state; with month ends only, the state at the last month end.
--          A day before the account's first snapshot has no bucket (NULL).
-- Grain:   one row per account x day that has a contact attempt or a promise.
-- Refresh: incremental by month (of the day): a month's days need the snapshots of the month and
--          the latest one before it, which the latest earlier month-end picture gives
--          (mart.account_month: an account's latest snapshot of each month).
-- How:     one sort per account of snapshots and wanted days together, carrying the last
--          snapshot's bucket forward (an as-of join without a fan-out), started from the
--          account's latest picture before the months computed.
CREATE OR REPLACE TABLE core.account_day_buckets AS
WITH wanted AS (
    SELECT account_id, bank_date AS day FROM core.contacts_local
    WHERE
        bank_date BETWEEN $first_month AND last_day($last_month)
        -- The same days as instants, two days to spare for the bank's zone: a bound on a
        -- column of the files skips the other months' files (the bank date alone reads all).
        AND started_at >= CAST($first_month AS TIMESTAMPTZ) - INTERVAL 2 DAY
        AND started_at < CAST(last_day($last_month) AS TIMESTAMPTZ) + INTERVAL 2 DAY
    UNION
    SELECT account_id, created_date AS day FROM core.promises_local
    WHERE
        created_date BETWEEN $first_month AND last_day($last_month)
        AND created_at >= CAST($first_month AS TIMESTAMPTZ) - INTERVAL 2 DAY
        AND created_at < CAST(last_day($last_month) AS TIMESTAMPTZ) + INTERVAL 2 DAY
),

-- Where each account stood before the first month computed: its latest month-end picture.
before AS (
    SELECT
        account_id,
        arg_max(bucket, as_of_date) AS bucket,
        max(as_of_date) AS bucket_as_of
    FROM mart.account_month
    WHERE month < $first_month
    GROUP BY account_id
),

timeline AS (
    SELECT
        account_id,
        bucket_as_of AS day,
        0 AS is_wanted,
        bucket,
        bucket_as_of
    FROM before
    UNION ALL
    SELECT
        account_id,
        as_of_date AS day,
        0 AS is_wanted,
        bucket,
        as_of_date AS bucket_as_of
    FROM core.snapshot_buckets
    WHERE as_of_date BETWEEN $first_month AND last_day($last_month)
    UNION ALL
    SELECT
        account_id,
        day,
        1 AS is_wanted,
        CAST(NULL AS VARCHAR) AS bucket,
        CAST(NULL AS DATE) AS bucket_as_of
    FROM wanted
),

carried AS (
    SELECT
        account_id,
        day,
        is_wanted,
        last_value(bucket IGNORE NULLS) OVER by_day AS bucket,
        last_value(bucket_as_of IGNORE NULLS) OVER by_day AS bucket_as_of
    FROM timeline
    WINDOW by_day AS (
        PARTITION BY account_id
        ORDER BY day, is_wanted
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
)

SELECT
    CAST(date_trunc('month', day) AS DATE) AS month,
    account_id,
    day,
    bucket,
    bucket_as_of
FROM carried
WHERE is_wanted = 1;
