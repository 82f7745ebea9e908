-- core.account_day_buckets
-- Purpose: the bucket an account was in on a day a contact was tried or a promise was made: the
--          bucket of its latest snapshot on or before that (bank) date. With daily snapshot files
--          that is the day's own state; with month ends only, the state at the last month end.
--          A day before the account's first snapshot has no bucket (NULL).
-- Grain:   one row per account x day that has a contact attempt or a promise.
-- How:     one sort per account of snapshots and wanted days together, carrying the last
--          snapshot's bucket forward (an as-of join without a fan-out).
CREATE OR REPLACE TABLE core.account_day_buckets AS
WITH wanted AS (
    SELECT account_id, bank_date AS day FROM core.contacts_local
    UNION
    SELECT account_id, created_date AS day FROM core.promises_local
),

timeline AS (
    SELECT
        account_id,
        as_of_date AS day,
        0 AS is_wanted,
        bucket,
        as_of_date AS bucket_as_of
    FROM core.snapshot_buckets
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

SELECT account_id, day, bucket, bucket_as_of
FROM carried
WHERE is_wanted = 1;
