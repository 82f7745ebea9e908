-- mart.compliance_daily
-- Purpose: the compliance trend (违规趋势): breaches per day, rule and team, against the day's
--          attempts, so a compliance officer sees when and where rules are broken.
-- Grain:   one row per day (the debtor's local date) x team x rule set x rule with at least one
--          breach. Attempts without an agent (automated SMS and IVR) have no team.
-- Measures:
--   breaches            breach rows (mart.compliance_breaches) = attempts breaking this rule
--   agents, accounts    distinct agents who made them, distinct accounts they touched
--   team_attempts       all attempts of the team that day (whatever the rule)
--   breach_rate         breaches / team_attempts
CREATE OR REPLACE VIEW mart.compliance_daily AS
WITH breaches AS (
    SELECT
        local_date AS day,
        team,
        rule_set,
        rule,
        count(*) AS breaches,
        count(DISTINCT agent_id) AS agents,
        count(DISTINCT account_id) AS accounts
    FROM mart.compliance_breaches
    GROUP BY local_date, team, rule_set, rule
),

attempts AS (
    SELECT
        local_date AS day,
        team,
        count(*) AS team_attempts
    FROM core.contact_attempts
    GROUP BY local_date, team
)

SELECT
    b.day,
    b.team,
    b.rule_set,
    r.rule_set_name,
    b.rule,
    b.breaches,
    b.agents,
    b.accounts,
    a.team_attempts,
    CAST(b.breaches AS DOUBLE) / a.team_attempts AS breach_rate
FROM breaches AS b
LEFT JOIN attempts AS a
    ON b.day = a.day AND (b.team = a.team OR (b.team IS NULL AND a.team IS NULL))
LEFT JOIN settings.compliance_rule_sets AS r ON b.rule_set = r.rule_set;
