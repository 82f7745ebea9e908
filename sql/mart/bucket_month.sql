-- mart.bucket_month
-- Purpose: the portfolio by delinquency bucket over time, for the Portfolio page.
-- Grain:   one row per month x bucket x product x branch x risk grade (small enough to filter in
--          the dashboard without touching account-level rows).
-- Refresh: incremental by month.
-- Measures: accounts = number of accounts; balance = sum of their month-end balances (yuan).
CREATE OR REPLACE TABLE mart.bucket_month AS
SELECT
    month,
    bucket,
    bucket_order,
    product,
    branch,
    risk_grade,
    count(*) AS accounts,
    sum(balance) AS balance
FROM mart.account_month
WHERE month BETWEEN $first_month AND $last_month
GROUP BY ALL;
