-- mart.contact_effectiveness
-- Purpose: which channels, hours, weekdays, agents, teams, agencies and buckets make contact
--          work: how many attempts reach someone, reach the debtor, produce a promise and bring
--          money in. The rollups (mart.contact_effectiveness_by_hour_weekday,
--          mart.best_time_to_call, mart.agent_league, mart.agency_league) add these counts up.
-- Grain:   one row per day x channel x hour x agent x bucket x treatment (day, hour and
--          weekday are the debtor's local ones; agent empty for automated SMS and IVR; bucket =
--          the account's bucket on the attempt's day, core.account_day_buckets; treatment = the
--          strategy assigned at the last month end before the attempt, core.contact_attempts,
--          empty when there is none).
-- Refresh: incremental by month.
-- Measures:
--   attempts              contact attempts, failed ones included
--   connects              attempts where someone answered (接通)
--   right_party_contacts  attempts that reached the debtor (本人接通, RPC)
--   promises              attempts that produced a promise to pay
--   promised_amount       yuan promised in those attempts
--   connect_rate          connects / attempts
--   rpc_rate              right_party_contacts / attempts
--   promise_rate          promises / right_party_contacts (promise rate per RPC)
--   amount_paid_within_window  net payments credited to these attempts: each payment goes to
--                         the latest attempt on its account before it, when it arrives within
--                         `paid_within_days` (default 7) x 24 hours (settings.measure_parameters);
--                         reversed payments never count. Sums over rows add up (no yuan twice).
--   amount_paid_7d        the same column under its contract v1 name (a compatibility alias,
--                         whatever `paid_within_days` is; new readers use the name above)
--   Rates are empty (NULL) when their denominator is 0; to combine rows add the counts, then divide.
CREATE OR REPLACE TABLE mart.contact_effectiveness AS
WITH attempts AS (
    SELECT * FROM core.contact_attempts
    WHERE month BETWEEN $first_month AND $last_month
),

counted AS (
    SELECT
        local_date AS day,
        month,
        local_weekday AS weekday,
        local_hour AS hour,
        channel,
        agent_id,
        agent_name,
        team,
        agency,
        bucket,
        treatment,
        count(*) AS attempts,
        count(*) FILTER (WHERE is_connect) AS connects,
        count(*) FILTER (WHERE is_right_party) AS right_party_contacts,
        count(*) FILTER (WHERE has_promise) AS promises,
        sum(promised_amount) AS promised_amount,
        sum(amount_paid_within) AS amount_paid_within_window
    FROM attempts
    GROUP BY
        local_date, month, local_weekday, local_hour, channel, agent_id, agent_name, team, agency,
        bucket, treatment
)

SELECT
    day,
    month,
    weekday,
    hour,
    channel,
    agent_id,
    agent_name,
    team,
    agency,
    bucket,
    treatment,
    attempts,
    connects,
    right_party_contacts,
    promises,
    promised_amount,
    amount_paid_within_window,
    amount_paid_within_window AS amount_paid_7d,
    CAST(connects AS DOUBLE) / attempts AS connect_rate,
    CAST(right_party_contacts AS DOUBLE) / attempts AS rpc_rate,
    CAST(promises AS DOUBLE) / nullif(right_party_contacts, 0) AS promise_rate
FROM counted;
