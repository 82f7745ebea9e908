-- mart.agency_league
-- Purpose: the agency league table: the in-house teams and each outside agency side by side by
--          month (who is placed the late book and what they bring in, at what compliance cost).
-- Grain:   one row per month x agency (`in_house` or the vendor's name, raw.agents.agency).
-- Measures: the sums of mart.agent_league over the agency's agents (attempts, connects,
--          right_party_contacts, promises, amount_paid_within_window (alias amount_paid_7d),
--          promises_due / kept / resolved, breaches, attempts_in_breach) and the same rates recomputed from the sums, plus
--   agents                 agents of the agency active that month
--   amount_paid_per_agent  amount_paid_within_window / agents
--   rank_amount_paid       1 = the agency that brought in the most that month
CREATE OR REPLACE VIEW mart.agency_league AS
WITH summed AS (
    SELECT
        month,
        agency,
        count(*) AS agents,
        sum(attempts) AS attempts,
        sum(connects) AS connects,
        sum(right_party_contacts) AS right_party_contacts,
        sum(promises) AS promises,
        sum(amount_paid_within_window) AS amount_paid_within_window,
        sum(promises_due) AS promises_due,
        sum(promises_kept) AS promises_kept,
        sum(promises_resolved) AS promises_resolved,
        sum(breaches) AS breaches,
        sum(attempts_in_breach) AS attempts_in_breach
    FROM mart.agent_league
    GROUP BY month, agency
)

SELECT
    month,
    agency,
    agents,
    attempts,
    connects,
    right_party_contacts,
    promises,
    amount_paid_within_window,
    amount_paid_within_window AS amount_paid_7d,
    amount_paid_within_window / agents AS amount_paid_per_agent,
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
    rank() OVER (PARTITION BY month ORDER BY amount_paid_within_window DESC) AS rank_amount_paid
FROM summed;
