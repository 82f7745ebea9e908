-- mart.delinquency_ratios
-- Purpose: the 30+ / 60+ / 90+ delinquency ratios by month (thresholds from
--          settings.delinquency_thresholds).
-- Grain:   one row per month x measure x product x branch x risk grade.
-- Refresh: incremental by month.
-- Measures: the denominator is the live book: accounts not written off or closed (`Written off`
--          and `Closed` have no day range in settings.buckets). account_ratio = delinquent
--          accounts / live accounts; balance_ratio = their balance / live balance. The ratios are
--          for one slice; to combine slices, add the counts and balances, not the ratios.
CREATE OR REPLACE TABLE mart.delinquency_ratios AS
WITH live AS (
    SELECT a.*
    FROM mart.account_month AS a
    INNER JOIN settings.buckets AS b ON a.bucket = b.bucket
    WHERE b.status IS NULL AND a.month BETWEEN $first_month AND $last_month
)

SELECT
    l.month,
    t.measure,
    l.product,
    l.branch,
    l.risk_grade,
    count(*) AS live_accounts,
    sum(l.balance) AS live_balance,
    count(*) FILTER (WHERE l.days_past_due >= t.min_days_past_due) AS delinquent_accounts,
    coalesce(sum(l.balance) FILTER (WHERE l.days_past_due >= t.min_days_past_due), 0)
        AS delinquent_balance,
    delinquent_accounts / live_accounts AS account_ratio,
    CASE WHEN live_balance <> 0 THEN delinquent_balance / live_balance END AS balance_ratio
FROM live AS l
CROSS JOIN settings.delinquency_thresholds AS t
GROUP BY ALL;
