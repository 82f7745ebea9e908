-- core.promise_outcome_counts
-- Purpose: the promises of mart.promise_outcomes counted by outcome, once per build, so that
--          mart.promise_kept_rates (and the Promises page through it) adds up thousands of rows
--          instead of every promise.
-- Grain:   one row per month (of the promised date) x agent x bucket (the account's bucket when
--          the promise was made).
-- Refresh: incremental by month.
-- Measures (every count and amount adds up over rows):
--   promises                      promises falling due in the month
--   kept, partial, broken, pending   counted by status (mart.promise_outcomes)
--   resolved                      kept + partial + broken: promises whose outcome is known
--   promised_amount, paid_amount  yuan promised and yuan the promises received
--   resolved_promised_amount, resolved_paid_amount   the same over the resolved promises
CREATE OR REPLACE TABLE core.promise_outcome_counts AS
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
    count(*) FILTER (WHERE status IN ('kept', 'partial', 'broken')) AS resolved,
    sum(promised_amount) AS promised_amount,
    sum(paid_amount) AS paid_amount,
    sum(promised_amount) FILTER (WHERE status <> 'pending') AS resolved_promised_amount,
    sum(paid_amount) FILTER (WHERE status <> 'pending') AS resolved_paid_amount
FROM mart.promise_outcomes
WHERE month BETWEEN $first_month AND $last_month
GROUP BY month, agent_id, agent_name, team, agency, bucket;
