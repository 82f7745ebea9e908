-- core.promises_local
-- Purpose: every promise to pay with the date it was made in the bank's zone (promised dates are
--          bank calendar dates, so a promise's window is judged on that calendar).
-- Grain:   one row per promise (raw.promises).
-- Dialect: `AT TIME ZONE`, see core.contacts_local.
CREATE OR REPLACE VIEW core.promises_local AS
SELECT
    p.promise_id,
    p.account_id,
    p.attempt_id,
    p.agent_id,
    p.created_at,
    CAST(p.created_at AT TIME ZONE bank.timezone AS DATE) AS created_date,
    p.promised_date,
    p.promised_amount
FROM raw.promises AS p
CROSS JOIN settings.bank_timezone AS bank;
