-- mart.promise_outcomes
-- Purpose: what became of every promise to pay (承诺还款), under the grace days and tolerance in
--          force (settings.measure_parameters; defaults 3 calendar days inclusive, tolerance 0).
-- Grain:   one row per promise (stored by month in core.promise_outcome_rows).
-- Columns / measures:
--   paid_by          promised date + grace days: the last (bank calendar) day money counts
--   paid_amount      yuan this promise received: payments that stand (a reversed payment never
--                    counts) made from the promise's creation to `paid_by`; when promises on an
--                    account overlap, each payment goes to the promises made by then, earliest
--                    promised date first, and no yuan counts twice (core.promise_allocations
--                    explains the rule)
--   paid_in_window   all money paid in the promise's own window, shared or not
--   status           kept / partial / broken / pending (core.promise_statuses), as of `as_of_date`,
--                    the warehouse's latest business date (core.as_of_date)
--   bucket           the account's bucket on the day the promise was made
--   month            the month of the promised date (the month the promise falls due)
CREATE OR REPLACE VIEW mart.promise_outcomes AS
SELECT
    o.promise_id,
    o.account_id,
    o.agent_id,
    o.agent_name,
    o.team,
    o.agency,
    o.attempt_id,
    o.created_at,
    o.created_date,
    o.promised_date,
    o.month,
    o.promised_amount,
    o.grace_days,
    o.tolerance_share,
    o.paid_by,
    o.paid_amount,
    o.paid_in_window,
    o.arrangement_id,
    o.arrangement_promises,
    o.status,
    d.as_of_date,
    o.bucket
FROM core.promise_outcome_rows AS o
CROSS JOIN core.as_of_date AS d;
