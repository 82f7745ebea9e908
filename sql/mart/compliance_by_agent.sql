-- mart.compliance_by_agent
-- Purpose: who breaks which rules (per-agent compliance summary): each agent's breaches by month
--          and rule against all the attempts the agent made that month.
-- Grain:   one row per month (of the debtor's local date) x agent x rule set x rule with at least
--          one breach. Automated attempts (no agent) appear with an empty agent.
-- Measures:
--   breaches             the agent's attempts breaking this rule
--   accounts             distinct accounts they touched
--   agent_attempts       all the agent's attempts that month
--   breach_rate          breaches / agent_attempts
CREATE OR REPLACE VIEW mart.compliance_by_agent AS
WITH breaches AS (
    SELECT
        month,
        agent_id,
        rule_set,
        rule,
        count(*) AS breaches,
        count(DISTINCT account_id) AS accounts
    FROM mart.compliance_breaches
    GROUP BY month, agent_id, rule_set, rule
),

attempts AS (
    SELECT
        month,
        agent_id,
        max(agent_name) AS agent_name,
        max(team) AS team,
        max(agency) AS agency,
        count(*) AS agent_attempts
    FROM core.contact_attempts
    GROUP BY month, agent_id
)

SELECT
    b.month,
    b.agent_id,
    a.agent_name,
    a.team,
    a.agency,
    b.rule_set,
    b.rule,
    b.breaches,
    b.accounts,
    a.agent_attempts,
    CAST(b.breaches AS DOUBLE) / a.agent_attempts AS breach_rate
FROM breaches AS b
LEFT JOIN attempts AS a
    ON b.month = a.month
    AND (b.agent_id = a.agent_id OR (b.agent_id IS NULL AND a.agent_id IS NULL));
