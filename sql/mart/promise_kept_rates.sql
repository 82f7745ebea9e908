-- mart.promise_kept_rates
-- Purpose: the promise-kept rate (承诺还款兑现率) by month, agent and bucket.
-- Grain:   one row per month (of the promised date) x agent x bucket (the account's bucket when
--          the promise was made).
-- Measures (counted in core.promise_outcome_counts, from mart.promise_outcomes):
--   promises                      promises falling due in the month
--   kept, partial, broken, pending   counted by status (mart.promise_outcomes)
--   promised_amount, paid_amount  yuan promised and yuan the promises received
--   kept_rate                     kept / resolved: among promises whose outcome is known;
--                                 pending ones wait until their window closes
--   amount_kept_rate              paid_amount / promised_amount over the same resolved promises
--   resolved                      kept + partial + broken, the kept rate's denominator (and the
--                                 partial and broken rates'); over several rows add kept and
--                                 resolved, then divide
CREATE OR REPLACE VIEW mart.promise_kept_rates AS
SELECT
    month,
    agent_id,
    agent_name,
    team,
    agency,
    bucket,
    promises,
    kept,
    partial,
    broken,
    pending,
    promised_amount,
    paid_amount,
    CAST(kept AS DOUBLE) / nullif(resolved, 0) AS kept_rate,
    CAST(resolved_paid_amount AS DOUBLE) / nullif(resolved_promised_amount, 0) AS amount_kept_rate,
    resolved
FROM core.promise_outcome_counts;
