-- core.payments_net
-- Purpose: the money that really arrived. A reversal cancels the payment it names, so a reversed
--          payment counts as never made and the reversal row is not money either (DOMAIN.md).
--          `paid_date` is the payment's calendar date in the bank's zone, the date promises and
--          plans are judged by.
-- Grain:   one row per payment that no reversal cancels.
-- Dialect: `AT TIME ZONE`, see core.contacts_local.
CREATE OR REPLACE VIEW core.payments_net AS
-- raw.payments is read twice rather than through one CTE, which DuckDB would hold in memory
-- whole (every column of every payment) between the two reads.
WITH reversed AS (
    SELECT DISTINCT reverses_payment_id AS payment_id
    FROM raw.payments
    WHERE is_reversal AND reverses_payment_id IS NOT NULL
)

SELECT
    p.payment_id,
    p.account_id,
    p.paid_at,
    CAST(p.paid_at AT TIME ZONE bank.timezone AS DATE) AS paid_date,
    p.amount,
    p.channel
FROM raw.payments AS p
CROSS JOIN settings.bank_timezone AS bank
LEFT JOIN reversed AS r ON p.payment_id = r.payment_id
WHERE NOT coalesce(p.is_reversal, false) AND r.payment_id IS NULL;
