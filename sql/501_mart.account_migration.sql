-- mart.account_migration
-- Purpose: the accounts behind each cell of the bucket migration matrix (迁徙明细), so a manager
--          can click a cell and see who moved: the per-account rows that
--          mart.bucket_migration_by_segment adds up, with the same rules for `New`, `Gone` and
--          the absorbing buckets (see that file). Filter it by month and buckets: a view.
-- Grain:   one row per pair of consecutive complete months (the from month) x account that has
--          a picture in either month.
-- Measures:
--   from_bucket / to_bucket  as in mart.bucket_migration (`New`, `Gone` included).
--   balance / to_balance     the account's balance at the from month and at the next.
--   product, branch, risk_grade  the account's segments (risk grade at the from month, else the
--          next month's), as in mart.bucket_migration_by_segment.
CREATE OR REPLACE VIEW mart.account_migration AS
WITH complete_months AS (
    SELECT month FROM mart.months WHERE is_complete
),

pairs AS (
    SELECT
        f.month AS from_month,
        t.month AS to_month
    FROM complete_months AS f
    INNER JOIN complete_months AS t ON t.month = CAST(f.month + INTERVAL 1 MONTH AS DATE)
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
)

SELECT
    x.month,
    x.account_id,
    x.from_bucket,
    x.to_bucket,
    x.balance,
    x.to_balance,
    a.product,
    a.branch,
    x.risk_grade
FROM transitions AS x
LEFT JOIN core.accounts AS a ON x.account_id = a.account_id
