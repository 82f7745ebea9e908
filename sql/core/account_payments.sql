-- core.account_payments
-- Purpose: the money collected from each account each month, net of reversals: the one
--          definition of "collected" (催回金额) the marts share. A reversal cancels the payment it
--          names, whenever it arrives, so a reversed payment counts as never made (as for promises
--          kept) and the month of the original payment is restated when its reversal lands; the
--          reversal row itself is not money.
-- Grain:   one row per account per month with at least one payment that stands.
-- Measures: the month is the calendar month of `paid_at` in the bank's time zone
--          (settings.bank_timezone). payments / collected = the payments that stand (count, yuan).
-- Refresh: incremental by month (warehouse/marts.py).
-- Joins: the smaller side of each join is on the right (DuckDB builds its hash tables there).
CREATE OR REPLACE TABLE core.account_payments AS
WITH reversed AS (
    SELECT DISTINCT reverses_payment_id AS payment_id
    FROM raw.payments
    WHERE coalesce(is_reversal, FALSE) AND reverses_payment_id IS NOT NULL
),

payments AS (
    SELECT
        p.account_id,
        p.amount,
        CAST(date_trunc('month', p.paid_at AT TIME ZONE bank.timezone) AS DATE) AS month
    FROM raw.payments AS p
    CROSS JOIN settings.bank_timezone AS bank
    LEFT JOIN reversed AS r ON p.payment_id = r.payment_id
    WHERE
        NOT coalesce(p.is_reversal, FALSE)
        AND r.payment_id IS NULL
        -- a day either side of the months: the exact month is taken in the bank's zone below
        AND p.paid_at >= $first_month - INTERVAL 1 DAY
        AND p.paid_at < last_day($last_month) + INTERVAL 2 DAY
)

SELECT
    month,
    account_id,
    count(*) AS payments,
    -- a sum of DECIMAL(18,2) amounts can pass DECIMAL(18,2)'s range: keep the sum's own width
    CAST(sum(amount) AS DECIMAL(38, 2)) AS collected
FROM payments
WHERE month BETWEEN $first_month AND $last_month
GROUP BY month, account_id;
