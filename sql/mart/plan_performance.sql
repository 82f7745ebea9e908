-- mart.plan_performance
-- Purpose: how each kind of repayment plan performs (procedure step 3: extension, instalments,
--          temporary reduction of the minimum payment): how many are kept or broken, and how
--          many bring the account back to Current within N months.
-- Grain:   one row per plan type x start month (the plan's start date, else the date it was
--          approved, else requested, else the business date of the plans file that holds it;
--          bank calendar). Plans hold their latest state.
-- Refresh: incremental by month (of the start), reaching back over the cure window: a snapshot
--          of month M decides the cure of plans started up to N months before it, and the as-of
--          date, moving on, matures the plans started N months before it. A plans file changes
--          every month (plans are not dated).
-- Reach: SELECT CAST(value AS INTEGER) FROM settings.measure_parameters WHERE parameter = 'plan_cure_within_months'
-- Measures:
--   plans                 every plan, whatever its state
--   proposed, cancelled   not (yet) approved / withdrawn
--   approved              plans that went ahead: active + completed + broken
--   active, completed, broken   by current status
--   ended                 completed + broken: approved plans that ended
--   kept_rate             completed / ended: among approved plans that ended
--   broken_rate           broken / approved
--   matured               approved plans whose start is at least `plan_cure_within_months`
--                         (settings.measure_parameters, default 3) months before the
--                         warehouse's as-of date, so their cure window is over
--   cured                 matured plans whose account had a snapshot in the `Current` bucket
--                         after the start and within those months
--   cure_rate             cured / matured
CREATE OR REPLACE TABLE mart.plan_performance AS
WITH params AS (
    SELECT CAST(value AS INTEGER) AS cure_months
    FROM settings.measure_parameters
    WHERE parameter = 'plan_cure_within_months'
),

plans AS (
    SELECT
        p.plan_id,
        p.account_id,
        p.plan_type,
        p.status,
        p.status IN ('active', 'completed', 'broken') AS is_approved,
        coalesce(
            p.start_date,
            CAST(p.approved_at AT TIME ZONE bank.timezone AS DATE),
            CAST(p.requested_at AT TIME ZONE bank.timezone AS DATE),
            p._business_date
        ) AS plan_start
    FROM raw.plans AS p
    CROSS JOIN settings.bank_timezone AS bank
),

computed AS (
    SELECT * FROM plans
    WHERE plan_start BETWEEN $first_month AND last_day($last_month)
),

windows AS (
    SELECT
        p.*,
        p.plan_start + params.cure_months * INTERVAL 1 MONTH AS cure_window_end,
        p.is_approved AND p.plan_start + params.cure_months * INTERVAL 1 MONTH <= d.as_of_date
            AS is_matured
    FROM computed AS p
    CROSS JOIN params
    CROSS JOIN core.as_of_date AS d
),

cured AS (
    SELECT DISTINCT w.plan_id
    FROM windows AS w
    INNER JOIN core.snapshot_buckets AS s
        ON w.account_id = s.account_id
        AND s.as_of_date > w.plan_start
        AND s.as_of_date <= w.cure_window_end
    WHERE w.is_matured AND s.bucket = 'Current' AND s.as_of_date > $first_month
),

counted AS (
    SELECT
        w.plan_type,
        CAST(date_trunc('month', w.plan_start) AS DATE) AS month,
        count(*) AS plans,
        count(*) FILTER (WHERE w.status = 'proposed') AS proposed,
        count(*) FILTER (WHERE w.status = 'cancelled') AS cancelled,
        count(*) FILTER (WHERE w.is_approved) AS approved,
        count(*) FILTER (WHERE w.status = 'active') AS active,
        count(*) FILTER (WHERE w.status = 'completed') AS completed,
        count(*) FILTER (WHERE w.status = 'broken') AS broken,
        count(*) FILTER (WHERE w.is_matured) AS matured,
        count(c.plan_id) AS cured
    FROM windows AS w
    LEFT JOIN cured AS c ON w.plan_id = c.plan_id
    GROUP BY w.plan_type, CAST(date_trunc('month', w.plan_start) AS DATE)
)

SELECT
    plan_type,
    month,
    plans,
    proposed,
    cancelled,
    approved,
    active,
    completed,
    broken,
    CAST(completed AS DOUBLE) / nullif(completed + broken, 0) AS kept_rate,
    CAST(broken AS DOUBLE) / nullif(approved, 0) AS broken_rate,
    matured,
    cured,
    CAST(cured AS DOUBLE) / nullif(matured, 0) AS cure_rate,
    completed + broken AS ended
FROM counted;
