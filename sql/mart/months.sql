-- mart.months
-- Purpose: the calendar months the warehouse holds, and which of them are complete. A month is
--          complete once the warehouse holds a snapshot dated on or after its last calendar day
--          (its month-end file, or any file of a later month). Until then its picture is partial
--          (between month ends a bank may send only its delinquent accounts), so migration, roll
--          rates, vintage curves and portfolio health leave it out; mart.account_month shows it.
-- Grain:   one row per month with at least one account picture (mart.account_month).
-- Measures: accounts = accounts with a picture in the month; last_snapshot_date = the latest
--          snapshot date within the month.
CREATE OR REPLACE VIEW mart.months AS
WITH source AS (
    SELECT
        month,
        max(as_of_date) AS last_snapshot_date,
        count(*) AS accounts
    FROM mart.account_month
    GROUP BY month
),

latest AS (
    SELECT max(last_snapshot_date) AS latest_snapshot_date FROM source
)

SELECT
    s.month,
    s.last_snapshot_date,
    s.accounts,
    last_day(s.month) <= l.latest_snapshot_date AS is_complete
FROM source AS s
CROSS JOIN latest AS l;
