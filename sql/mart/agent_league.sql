-- mart.agent_league
-- Purpose: the agent league table: each collector's month side by side with the others' (contact
--          effectiveness, promises kept, money brought in, compliance), ranked.
-- Grain:   one row per month x agent (agents with at least one attempt or promise that month).
-- Refresh: incremental by month.
-- Measures:
--   attempts, connects, right_party_contacts, promises, amount_paid_within_window (alias
--                          amount_paid_7d)   as
--                          mart.contact_effectiveness, for the agent's attempts in the month
--   connect_rate, rpc_rate, promise_rate   as there
--   promises_due, promises_kept, promises_resolved   the agent's promises falling due in the
--                          month (mart.promise_outcomes) and how many were kept / are resolved
--   promise_kept_rate      promises_kept / promises_resolved
--   breaches, attempts_in_breach   compliance breach rows and distinct attempts with at least one
--   breach_rate            attempts_in_breach / attempts
--   rank_amount_paid       1 = the most money brought in (amount_paid_within_window) that month
--   rank_in_team           the same rank within the agent's team
CREATE OR REPLACE TABLE mart.agent_league AS
WITH contacts AS (
    SELECT
        month,
        agent_id,
        sum(attempts) AS attempts,
        sum(connects) AS connects,
        sum(right_party_contacts) AS right_party_contacts,
        sum(promises) AS promises,
        sum(amount_paid_within_window) AS amount_paid_within_window
    FROM mart.contact_effectiveness
    WHERE agent_id IS NOT NULL AND month BETWEEN $first_month AND $last_month
    GROUP BY month, agent_id
),

promises AS (
    SELECT
        month,
        agent_id,
        count(*) AS promises_due,
        count(*) FILTER (WHERE status = 'kept') AS promises_kept,
        count(*) FILTER (WHERE status <> 'pending') AS promises_resolved
    FROM mart.promise_outcomes
    WHERE agent_id IS NOT NULL AND month BETWEEN $first_month AND $last_month
    GROUP BY month, agent_id
),

breaches AS (
    SELECT
        month,
        agent_id,
        count(*) AS breaches,
        count(DISTINCT attempt_id) AS attempts_in_breach
    FROM mart.compliance_breaches
    WHERE agent_id IS NOT NULL AND month BETWEEN $first_month AND $last_month
    GROUP BY month, agent_id
),

agent_months AS (
    SELECT month, agent_id FROM contacts
    UNION
    SELECT month, agent_id FROM promises
),

combined AS (
    SELECT
        m.month,
        m.agent_id,
        ag.agent_name,
        ag.team,
        ag.agency,
        coalesce(c.attempts, 0) AS attempts,
        coalesce(c.connects, 0) AS connects,
        coalesce(c.right_party_contacts, 0) AS right_party_contacts,
        coalesce(c.promises, 0) AS promises,
        coalesce(c.amount_paid_within_window, 0) AS amount_paid_within_window,
        coalesce(p.promises_due, 0) AS promises_due,
        coalesce(p.promises_kept, 0) AS promises_kept,
        coalesce(p.promises_resolved, 0) AS promises_resolved,
        coalesce(b.breaches, 0) AS breaches,
        coalesce(b.attempts_in_breach, 0) AS attempts_in_breach
    FROM agent_months AS m
    -- The agent's name, team and agency at the month end (core.agent_versions).
    LEFT JOIN core.agent_versions AS ag
        ON m.agent_id = ag.agent_id
        AND (ag.in_force_from IS NULL OR last_day(m.month) >= ag.in_force_from)
        AND (ag.in_force_until IS NULL OR last_day(m.month) < ag.in_force_until)
    LEFT JOIN contacts AS c ON m.month = c.month AND m.agent_id = c.agent_id
    LEFT JOIN promises AS p ON m.month = p.month AND m.agent_id = p.agent_id
    LEFT JOIN breaches AS b ON m.month = b.month AND m.agent_id = b.agent_id
)

SELECT
    month,
    agent_id,
    agent_name,
    team,
    agency,
    attempts,
    connects,
    right_party_contacts,
    promises,
    amount_paid_within_window,
    amount_paid_within_window AS amount_paid_7d,
    CAST(connects AS DOUBLE) / nullif(attempts, 0) AS connect_rate,
    CAST(right_party_contacts AS DOUBLE) / nullif(attempts, 0) AS rpc_rate,
    CAST(promises AS DOUBLE) / nullif(right_party_contacts, 0) AS promise_rate,
    promises_due,
    promises_kept,
    promises_resolved,
    CAST(promises_kept AS DOUBLE) / nullif(promises_resolved, 0) AS promise_kept_rate,
    breaches,
    attempts_in_breach,
    CAST(attempts_in_breach AS DOUBLE) / nullif(attempts, 0) AS breach_rate,
    rank() OVER (PARTITION BY month ORDER BY amount_paid_within_window DESC) AS rank_amount_paid,
    rank() OVER (PARTITION BY month, team ORDER BY amount_paid_within_window DESC) AS rank_in_team
FROM combined;
