-- core.snapshot_buckets
-- Purpose: every snapshot (month-end and daily) with its delinquency bucket, so a contact or a
--          promise can be placed in the bucket the account was in on its day (not only at month
--          end). Buckets as in mart.account_month: a charged-off or closed snapshot is in its
--          state bucket whatever its days past due, else the day range of settings.buckets.
-- Grain:   one row per account per snapshot date.
CREATE OR REPLACE VIEW core.snapshot_buckets AS
WITH snapshots AS (
    SELECT account_id, as_of_date, days_past_due, status, balance FROM raw.snapshots
),

state_buckets AS (
    SELECT bucket, sort_order, status FROM settings.buckets WHERE status IS NOT NULL
),

day_buckets AS (
    SELECT bucket, sort_order, min_days_past_due, max_days_past_due
    FROM settings.buckets
    WHERE status IS NULL
)

SELECT
    s.account_id,
    s.as_of_date,
    s.days_past_due,
    s.status,
    s.balance,
    coalesce(st.bucket, d.bucket) AS bucket,
    coalesce(st.sort_order, d.sort_order) AS bucket_order
FROM snapshots AS s
LEFT JOIN state_buckets AS st ON s.status = st.status
LEFT JOIN day_buckets AS d
    ON st.bucket IS NULL
    AND s.days_past_due >= d.min_days_past_due
    AND (d.max_days_past_due IS NULL OR s.days_past_due <= d.max_days_past_due);
