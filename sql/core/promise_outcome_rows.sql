-- core.promise_outcome_rows
-- Purpose: the rows of mart.promise_outcomes, stored by month: what became of every promise to
--          pay under the grace days and tolerance in force, as of the latest business date.
--          The published view adds that date (it moves every day; the rows it decided do not).
-- Grain:   one row per promise.
-- Refresh: incremental by month (of the promised date). A promise's window ends its grace days
--          after the promised date, so a change dated on a day reaches back over the grace:
-- Sorted by: account_id
-- Reach: SELECT CAST(ceil(max(grace_days) / 28.0) AS INTEGER) FROM (SELECT CAST(value AS INTEGER) AS grace_days FROM settings.measure_parameters WHERE parameter = 'promise_grace_days' UNION ALL SELECT grace_days FROM settings.promise_scenarios) AS g
-- Columns / measures:
--   paid_by          promised date + grace days: the last (bank calendar) day money counts
--   paid_amount      yuan this promise received: payments that stand (a reversed payment never
--                    counts) made from the promise's creation to `paid_by`; when promises on an
--                    account overlap, each payment goes to the promises made by then, earliest
--                    promised date first, and no yuan counts twice (core.promise_allocations
--                    explains the rule)
--   paid_in_window   all money paid in the promise's own window, shared or not
--   status           kept / partial / broken / pending (core.promise_statuses), as of the
--                    warehouse's latest business date (core.as_of_date)
--   bucket           the account's bucket on the day the promise was made
--   month            the month of the promised date (the month the promise falls due)
CREATE OR REPLACE TABLE core.promise_outcome_rows AS
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
    b.bucket
FROM core.promise_statuses AS s
-- The agent's name, team and agency on the day the promise was made (core.agent_versions).
LEFT JOIN core.agent_versions AS ag
    ON s.agent_id = ag.agent_id
    AND (ag.in_force_from IS NULL OR s.created_date >= ag.in_force_from)
    AND (ag.in_force_until IS NULL OR s.created_date < ag.in_force_until)
LEFT JOIN core.account_day_buckets AS b ON s.account_id = b.account_id AND s.created_date = b.day
WHERE s.is_in_force AND s.promised_date BETWEEN $first_month AND last_day($last_month);
