-- core.account_day_buckets
-- Purpose: the bucket an account was in on a day a contact was tried or a promise was made: the
--          bucket of its latest snapshot on or before that (bank) date. With daily snapshot files
--          that is the day's own state; with month ends only, the state at the last month end.
--          A day before the account's first snapshot has no bucket (NULL).
-- Grain:   one row per account x day that has a contact attempt or a promise.
-- How:     equality joins on small keys, no sort of the snapshots. Most days have the account's
--          own snapshot (daily files hold every delinquent account): matched on (account, date).
--          For the other days the latest earlier snapshot is the latest of (a) the account's
--          snapshots earlier in the same month, matched on (account, month), and (b) its month-end
--          pictures of earlier months (mart.account_month: the latest snapshot of each month), then
--          its bucket is read from that snapshot.
CREATE OR REPLACE TABLE core.account_day_buckets AS
WITH wanted AS (
    SELECT account_id, bank_date AS day FROM core.contacts_local
    UNION
    SELECT account_id, created_date AS day FROM core.promises_local
),

snapshots AS (
    SELECT account_id, as_of_date, bucket FROM core.snapshot_buckets
),

same_day AS (
    SELECT
        w.account_id,
        w.day,
        s.bucket,
        s.as_of_date AS bucket_as_of
    FROM wanted AS w
    INNER JOIN snapshots AS s ON w.account_id = s.account_id AND w.day = s.as_of_date
),

other_days AS (
    SELECT
        w.account_id,
        w.day,
        CAST(date_trunc('month', w.day) AS DATE) AS month
    FROM wanted AS w
    LEFT JOIN same_day AS d ON w.account_id = d.account_id AND w.day = d.day
    WHERE d.account_id IS NULL
),

earlier_candidates AS (
    SELECT
        o.account_id,
        o.day,
        s.as_of_date
    FROM other_days AS o
    INNER JOIN snapshots AS s
        ON o.account_id = s.account_id
        AND o.month = CAST(date_trunc('month', s.as_of_date) AS DATE)
    WHERE s.as_of_date < o.day
    UNION ALL
    SELECT
        o.account_id,
        o.day,
        am.as_of_date
    FROM other_days AS o
    INNER JOIN mart.account_month AS am ON o.account_id = am.account_id
    WHERE am.month < o.month
),

latest_earlier AS (
    SELECT
        o.account_id,
        o.day,
        max(c.as_of_date) AS bucket_as_of
    FROM other_days AS o
    LEFT JOIN earlier_candidates AS c ON o.account_id = c.account_id AND o.day = c.day
    GROUP BY o.account_id, o.day
)

SELECT account_id, day, bucket, bucket_as_of
FROM same_day
UNION ALL
SELECT
    l.account_id,
    l.day,
    s.bucket,
    l.bucket_as_of
FROM latest_earlier AS l
LEFT JOIN snapshots AS s ON l.account_id = s.account_id AND l.bucket_as_of = s.as_of_date;
