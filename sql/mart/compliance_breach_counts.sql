-- mart.compliance_breach_counts
-- Purpose: the breaches of mart.compliance_breaches counted at the grain the Compliance page
--          filters on (a month range, teams, a rule set, a rule, an agent) and draws by (rule,
--          agent, team, day, month), so the page adds up these rows instead of every breach.
-- Grain:   one row per day (the debtor's local date) x agent x rule set x rule with at least one
--          breach; month, agent_name, team and agency ride along (automated SMS and IVR have no
--          agent and no team).
-- Refresh: incremental by month.
-- Measures. Breaches add up over any rows. Attempts and accounts in breach are distinct counts,
-- which do not: an attempt may break several rules, an account may be breached on several days,
-- by several agents. So each is counted once on one row of its scope (the row of its first rule,
-- or of its first breach of the month), and the column to add up depends on the rules a slice
-- covers: one rule (the breaches and accounts_breaking_rule columns), every rule of one rule set
-- (the _rule_set columns), every rule (the _in_breach columns). What the page shows: attempts
-- in breach exactly, for any days, agents and teams (an attempt has one day and one agent);
-- accounts once per month and agent: exact for one month and one agent, while over several
-- months or agents an account counts once in each (account-months).
--   breaches                    breach rows: the agent's attempts that day breaking the rule (an
--                               attempt breaks a rule at most once)
--   accounts_breaking_rule      accounts those breaches touched, each counted once per month and
--                               agent, on the day of its first breach of the rule that month
--   attempts_breaking_rule_set  attempts breaking at least one rule of the rule set, each counted
--                               once, on the row of the first such rule (by name)
--   accounts_breaking_rule_set  accounts breached under the rule set, each counted once per
--                               month and agent, on the row of its first breach of the set
--   attempts_in_breach          attempts breaking at least one rule, each counted once, on the
--                               row of its first rule (by rule set, then rule)
--   accounts_in_breach          accounts breached, each counted once per month and agent, on the
--                               row of its first breach of the month
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
            PARTITION BY month, agent_id, account_id, rule_set, rule
            ORDER BY started_at, attempt_id
        ) = 1 AS is_first_for_account_and_rule,
        row_number() OVER (
            PARTITION BY attempt_id, rule_set
            ORDER BY rule
        ) = 1 AS is_first_of_attempt_in_rule_set,
        row_number() OVER (
            PARTITION BY month, agent_id, account_id, rule_set
            ORDER BY started_at, attempt_id, rule
        ) = 1 AS is_first_for_account_in_rule_set,
        row_number() OVER (
            PARTITION BY attempt_id
            ORDER BY rule_set, rule
        ) = 1 AS is_first_of_attempt,
        row_number() OVER (
            PARTITION BY month, agent_id, account_id
            ORDER BY started_at, attempt_id, rule_set, rule
        ) = 1 AS is_first_for_account
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
    count(*) FILTER (WHERE is_first_for_account_and_rule) AS accounts_breaking_rule,
    count(*) FILTER (WHERE is_first_of_attempt_in_rule_set) AS attempts_breaking_rule_set,
    count(*) FILTER (WHERE is_first_for_account_in_rule_set) AS accounts_breaking_rule_set,
    count(*) FILTER (WHERE is_first_of_attempt) AS attempts_in_breach,
    count(*) FILTER (WHERE is_first_for_account) AS accounts_in_breach
FROM breaches
GROUP BY local_date, month, agent_id, agent_name, team, agency, rule_set, rule;
