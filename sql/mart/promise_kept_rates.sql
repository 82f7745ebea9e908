-- mart.promise_kept_rates
-- Purpose: the promise-kept rate (承诺还款兑现率) by month, agent and bucket.
-- Grain:   one row per month (of the promised date) x agent x bucket (the account's bucket when
--          the promise was made).
-- Measures:
--   promises                      promises falling due in the month
--   kept, partial, broken, pending   counted by status (mart.promise_outcomes)
--   promised_amount, paid_amount  yuan promised and yuan the promises received
--   kept_rate                     kept / (kept + partial + broken): among promises whose outcome
--                                 is known; pending ones wait until their window closes
--   amount_kept_rate              paid_amount / promised_amount over the same resolved promises
CREATE OR REPLACE VIEW mart.promise_kept_rates AS
WITH counted AS (
    SELECT
        month,
        agent_id,
        agent_name,
        team,
        agency,
        bucket,
        count(*) AS promises,
        count(*) FILTER (WHERE status = 'kept') AS kept,
        count(*) FILTER (WHERE status = 'partial') AS partial,
        count(*) FILTER (WHERE status = 'broken') AS broken,
        count(*) FILTER (WHERE status = 'pending') AS pending,
        sum(promised_amount) AS promised_amount,
        sum(paid_amount) AS paid_amount,
        sum(promised_amount) FILTER (WHERE status <> 'pending') AS resolved_promised_amount,
        sum(paid_amount) FILTER (WHERE status <> 'pending') AS resolved_paid_amount
    FROM mart.promise_outcomes
    GROUP BY month, agent_id, agent_name, team, agency, bucket
)

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
    CAST(kept AS DOUBLE) / nullif(kept + partial + broken, 0) AS kept_rate,
    CAST(resolved_paid_amount AS DOUBLE) / nullif(resolved_promised_amount, 0) AS amount_kept_rate
FROM counted;
