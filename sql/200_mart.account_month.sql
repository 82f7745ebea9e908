-- mart.account_month
-- Purpose: the month-end picture of every account: its latest snapshot within each calendar
--          month, its delinquency bucket, risk grade and the segments managers slice by.
-- Grain:   one row per account per calendar month in which it has a snapshot.
-- Measures:
--   bucket      from days_past_due and settings.buckets; a charged-off snapshot is `Written off`,
--               a closed one `Closed`, whatever its days past due.
--   risk_grade  `high` when days past due reach its threshold or the credit score is below its
--               threshold (settings.risk_grades), else `medium` on its thresholds, else `low`.
--   months_on_book  whole months from the open month to this month.
CREATE OR REPLACE TABLE mart.account_month AS
WITH snapshots AS (
    SELECT
        *,
        CAST(date_trunc('month', as_of_date) AS DATE) AS month
    FROM raw.snapshots
),

latest_in_month AS (
    SELECT *
    FROM (
        SELECT
            *,
            row_number() OVER (PARTITION BY account_id, month ORDER BY as_of_date DESC) AS recency
        FROM snapshots
    ) AS ranked
    WHERE recency = 1
),

state_buckets AS (
    SELECT bucket, sort_order, status FROM settings.buckets WHERE status IS NOT NULL
),

day_buckets AS (
    SELECT
        bucket,
        sort_order,
        min_days_past_due,
        coalesce(max_days_past_due, 2147483647) AS max_days_past_due
    FROM settings.buckets
    WHERE status IS NULL
),

bucketed AS (
    SELECT
        s.*,
        coalesce(st.bucket, d.bucket) AS bucket,
        coalesce(st.sort_order, d.sort_order) AS bucket_order
    FROM latest_in_month AS s
    LEFT JOIN state_buckets AS st ON s.status = st.status
    LEFT JOIN day_buckets AS d
        ON st.bucket IS NULL
        AND s.days_past_due BETWEEN d.min_days_past_due AND d.max_days_past_due
),

with_account AS (
    SELECT
        s.month,
        s.account_id,
        s.as_of_date,
        s.bucket,
        s.bucket_order,
        s.status,
        s.balance,
        s.min_due,
        coalesce(s.overdue_principal, 0) + coalesce(s.overdue_interest, 0)
        + coalesce(s.overdue_fees, 0) AS overdue_amount,
        s.days_past_due,
        s.cycles_delinquent,
        a.product,
        a.branch,
        a.province,
        a.city,
        a.employment_type,
        a.credit_score,
        a.credit_limit,
        CAST(date_trunc('month', a.open_date) AS DATE) AS vintage,
        (year(s.month) - year(a.open_date)) * 12 + month(s.month) - month(a.open_date)
            AS months_on_book
    FROM bucketed AS s
    LEFT JOIN core.accounts AS a ON s.account_id = a.account_id
),

-- The grades are the procedure's three (low / medium / high); their thresholds are settings.
grade_thresholds AS (
    SELECT
        max(min_days_past_due) FILTER (WHERE risk_grade = 'high') AS high_min_dpd,
        max(below_credit_score) FILTER (WHERE risk_grade = 'high') AS high_below_score,
        max(min_days_past_due) FILTER (WHERE risk_grade = 'medium') AS medium_min_dpd,
        max(below_credit_score) FILTER (WHERE risk_grade = 'medium') AS medium_below_score
    FROM settings.risk_grades
)

SELECT
    w.*,
    CASE
        WHEN w.days_past_due >= t.high_min_dpd OR w.credit_score < t.high_below_score THEN 'high'
        WHEN w.days_past_due >= t.medium_min_dpd OR w.credit_score < t.medium_below_score
            THEN 'medium'
        ELSE 'low'
    END AS risk_grade
FROM with_account AS w
CROSS JOIN grade_thresholds AS t;
