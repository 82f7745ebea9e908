-- mart.promise_outcomes
-- Purpose: what became of every promise to pay (承诺还款), under the grace days and tolerance in
--          force (settings.measure_parameters; defaults 3 calendar days inclusive, tolerance 0).
-- Grain:   one row per promise.
-- Columns / measures:
--   paid_by          promised date + grace days: the last (bank calendar) day money counts
--   paid_amount      yuan this promise received: payments that stand (a reversed payment never
--                    counts) made from the promise's creation to `paid_by`; when promises on an
--                    account overlap, they share the money earliest promised date first and no
--                    yuan counts twice (core.promise_allocations explains the rule)
--   paid_in_window   all money paid in the promise's own window, shared or not
--   status           kept / partial / broken / pending (core.promise_statuses), as of `as_of_date`,
--                    the warehouse's latest business date (core.as_of_date)
--   bucket           the account's bucket on the day the promise was made
--   month            the month of the promised date (the month the promise falls due)
CREATE OR REPLACE TABLE mart.promise_outcomes AS
SELECT
    s.promise_id,
    s.account_id,
    s.agent_id,
    ag.agent_name,
    ag.team,
    ag.agency,
    s.attempt_id,
    s.created_at,
    s.created_date,
    s.promised_date,
    CAST(date_trunc('month', s.promised_date) AS DATE) AS month,
    s.promised_amount,
    s.grace_days,
    s.tolerance_share,
    s.paid_by,
    s.paid_amount,
    s.paid_in_window,
    s.arrangement_id,
    s.arrangement_promises,
    s.status,
    s.as_of_date,
    b.bucket
FROM core.promise_statuses AS s
LEFT JOIN raw.agents AS ag ON s.agent_id = ag.agent_id
LEFT JOIN core.account_day_buckets AS b ON s.account_id = b.account_id AND s.created_date = b.day
WHERE s.is_in_force;
