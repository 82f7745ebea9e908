-- mart.account_month
-- Purpose: the month-end picture of every account: its latest snapshot within each calendar
--          month, its delinquency bucket, risk grade and the segments managers slice by.
-- Grain:   one row per account per calendar month in which it has a snapshot.
-- Measures:
--   bucket      from days_past_due and settings.buckets; a charged-off snapshot is `Written off`,
--               a closed one `Closed`, whatever its days past due.
--   risk_grade  the most severe grade in settings.risk_grades whose conditions the month meets.
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

bucketed AS (
    SELECT
        s.*,
        b.bucket,
        b.sort_order AS bucket_order
    FROM latest_in_month AS s
    INNER JOIN settings.buckets AS b
        ON (b.status IS NOT NULL AND s.status = b.status)
        OR (
            b.status IS NULL
            AND s.status NOT IN (SELECT status FROM settings.buckets WHERE status IS NOT NULL)
            AND s.days_past_due >= b.min_days_past_due
            AND (b.max_days_past_due IS NULL OR s.days_past_due <= b.max_days_past_due)
        )
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

graded AS (
    SELECT
        w.month,
        w.account_id,
        g.risk_grade,
        row_number() OVER (PARTITION BY w.account_id, w.month ORDER BY g.severity DESC) AS pick
    FROM with_account AS w
    INNER JOIN settings.risk_grades AS g
        ON (g.min_days_past_due IS NULL AND g.below_credit_score IS NULL)
        OR w.days_past_due >= g.min_days_past_due
        OR w.credit_score < g.below_credit_score
)

SELECT
    w.*,
    g.risk_grade
FROM with_account AS w
LEFT JOIN graded AS g ON w.account_id = g.account_id AND w.month = g.month AND g.pick = 1;
