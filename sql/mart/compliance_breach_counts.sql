-- mart.compliance_breach_counts
-- Purpose: the breaches of mart.compliance_breaches counted at the grain the Compliance page
--          filters on (a month range, teams, a rule set, a rule, an agent) and draws by (rule,
--          agent, team, day, month), so the page adds up these rows instead of every breach.
-- Grain:   one row per day (the debtor's local date) x agent x rule set x rule with at least one
--          breach; month, agent_name, team and agency ride along (automated SMS and IVR have no
--          agent and no team).
-- Refresh: incremental by month.
-- Measures. Breaches add up over any rows. Attempts in breach are a distinct count, which does
-- not: an attempt may break several rules. So each attempt is counted once on one row of its
-- scope (the row of its first rule), and the column to add up depends on the rules a slice
-- covers: one rule (breaches: an attempt breaks a rule at most once), every rule of one rule set
-- (attempts_breaking_rule_set), every rule (attempts_in_breach). Accounts in breach are not
-- counted here: an account is breached on many days by many agents, so no per-row count adds up
-- to the accounts of a slice; the page counts them in mart.compliance_breaches.
--   breaches                    breach rows: the agent's attempts that day breaking the rule
--   attempts_breaking_rule_set  attempts breaking at least one rule of the rule set, each counted
--                               once, on the row of the first such rule (by name)
--   attempts_in_breach          attempts breaking at least one rule, each counted once, on the
--                               row of its first rule (by rule set, then rule)
CREATE OR REPLACE TABLE mart.compliance_breach_counts AS
WITH breaches AS (
    SELECT
        local_date,
        month,
        agent_id,
        agent_name,
        team,
        agency,
        rule_set,
        rule,
        row_number() OVER (
            PARTITION BY attempt_id, rule_set
            ORDER BY rule
        ) = 1 AS is_first_of_attempt_in_rule_set,
        row_number() OVER (
            PARTITION BY attempt_id
            ORDER BY rule_set, rule
        ) = 1 AS is_first_of_attempt
    FROM mart.compliance_breaches
    WHERE month BETWEEN $first_month AND $last_month
)

SELECT
    local_date,
    month,
    agent_id,
    agent_name,
    team,
    agency,
    rule_set,
    rule,
    count(*) AS breaches,
    count(*) FILTER (WHERE is_first_of_attempt_in_rule_set) AS attempts_breaking_rule_set,
    count(*) FILTER (WHERE is_first_of_attempt) AS attempts_in_breach
FROM breaches
GROUP BY local_date, month, agent_id, agent_name, team, agency, rule_set, rule;
