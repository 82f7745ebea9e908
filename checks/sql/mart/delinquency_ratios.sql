-- checks: mart.delinquency_ratios
-- Purpose: the aggregate frame of mart.delinquency_ratios' suite: every ratio, and how many
--          delinquent accounts a slice has beyond its live accounts.
-- Grain:   one row per row of mart.delinquency_ratios (month x measure x product x branch x
--          From `$since`: the first month the load rebuilt (every month for `collections check`).
--          risk grade).
-- Columns:
--   month, measure, product, branch, risk_grade  the slice.
--   account_ratio         the slice's account ratio; must be between 0 and 1.
--   delinquent_over_live  delinquent accounts beyond the live ones; must be 0.
SELECT
    month,
    measure,
    product,
    branch,
    risk_grade,
    CAST(account_ratio AS DOUBLE) AS account_ratio,
    greatest(delinquent_accounts - live_accounts, 0) AS delinquent_over_live
FROM mart.delinquency_ratios
WHERE month >= $since
ORDER BY ALL
