-- mart.account_day_changes
-- Purpose: what each snapshot file changed in the delinquent book since the file before it: the
--          accounts that became delinquent, cured, rolled forward (written off included) or
--          rolled back to a better delinquent bucket. The "since yesterday" view of the
--          dashboard and the morning briefing read the latest dates of it.
-- Grain:   one row per snapshot date (after the warehouse's first) x account whose bucket
--          changed between the previous snapshot date held and this one, and that was
--          delinquent on one of the two dates.
-- Refresh: incremental by month (the month of as_of_date; a date's previous date may lie in an
--          earlier month, which is read, not recomputed).
-- Measures:
--   previous_date   the snapshot date held before as_of_date (any snapshots file).
--   from_bucket, to_bucket  the account's bucket on the two dates (core.snapshot_buckets). An
--                   account missing from one of the two files was not delinquent on that date:
--                   every snapshots file holds at least every delinquent account (data contract),
--                   so it is taken as `Current` there (the day bucket with the lowest sort order).
--   change          new_delinquent (from Current to a delinquent bucket), cure (from a
--                   delinquent bucket to Current), roll_forward (to a worse bucket, Written off
--                   included), roll_back (to a better delinquent bucket). A move to a state bucket
--                   other than Written off (Closed) is left out: it is no collections outcome.
--   balance         the balance on as_of_date (on previous_date for an account missing today).
--   product, branch the account's segments (core.accounts).
CREATE OR REPLACE TABLE mart.account_day_changes AS
WITH snapshot_dates AS (
    SELECT DISTINCT as_of_date FROM raw.snapshots
),

dates AS (
    SELECT
        as_of_date,
        lag(as_of_date) OVER (ORDER BY as_of_date) AS previous_date
    FROM snapshot_dates
),

in_range AS (
    SELECT
        as_of_date,
        previous_date
    FROM dates
    WHERE
        previous_date IS NOT NULL
        AND as_of_date BETWEEN $first_month AND last_day($last_month)
),

current_bucket AS (
    SELECT
        bucket,
        sort_order
    FROM settings.buckets
    WHERE status IS NULL
    ORDER BY sort_order
    LIMIT 1
),

buckets AS (
    SELECT
        b.bucket,
        b.sort_order,
        b.status,
        b.status IS NULL AND b.sort_order > c.sort_order AS is_delinquent
    FROM settings.buckets AS b
    CROSS JOIN current_bucket AS c
),

today AS (
    SELECT
        d.as_of_date,
        d.previous_date,
        s.account_id,
        s.bucket,
        s.bucket_order,
        s.balance
    FROM core.snapshot_buckets AS s
    INNER JOIN in_range AS d ON s.as_of_date = d.as_of_date
),

yesterday AS (
    SELECT
        d.as_of_date,
        d.previous_date,
        s.account_id,
        s.bucket,
        s.bucket_order,
        s.balance
    FROM core.snapshot_buckets AS s
    INNER JOIN in_range AS d ON s.as_of_date = d.previous_date
),

paired AS (
    SELECT
        coalesce(t.as_of_date, y.as_of_date) AS as_of_date,
        coalesce(t.previous_date, y.previous_date) AS previous_date,
        coalesce(t.account_id, y.account_id) AS account_id,
        coalesce(y.bucket, c.bucket) AS from_bucket,
        coalesce(y.bucket_order, c.sort_order) AS from_order,
        coalesce(t.bucket, c.bucket) AS to_bucket,
        coalesce(t.bucket_order, c.sort_order) AS to_order,
        coalesce(t.balance, y.balance) AS balance
    FROM today AS t
    FULL OUTER JOIN yesterday AS y
        ON t.as_of_date = y.as_of_date AND t.account_id = y.account_id
    CROSS JOIN current_bucket AS c
),

classified AS (
    SELECT
        p.*,
        CASE
            WHEN tb.status IS NOT NULL AND tb.status <> 'charged_off' THEN NULL
            WHEN fb.status IS NOT NULL THEN NULL
            WHEN NOT fb.is_delinquent AND tb.is_delinquent THEN 'new_delinquent'
            WHEN fb.is_delinquent AND p.to_order = c.sort_order THEN 'cure'
            WHEN fb.is_delinquent AND p.to_order > p.from_order THEN 'roll_forward'
            WHEN fb.is_delinquent AND p.to_order < p.from_order THEN 'roll_back'
        END AS change
    FROM paired AS p
    INNER JOIN buckets AS fb ON p.from_bucket = fb.bucket
    INNER JOIN buckets AS tb ON p.to_bucket = tb.bucket
    CROSS JOIN current_bucket AS c
    WHERE p.from_bucket <> p.to_bucket
)

SELECT
    CAST(date_trunc('month', c.as_of_date) AS DATE) AS month,
    c.as_of_date,
    c.previous_date,
    c.account_id,
    c.from_bucket,
    c.to_bucket,
    c.change,
    c.balance,
    a.product,
    a.branch
FROM classified AS c
LEFT JOIN core.accounts AS a ON c.account_id = a.account_id
WHERE c.change IS NOT NULL;
