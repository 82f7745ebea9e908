-- mart.contact_funnel
-- Purpose: the contact funnel of the Contacts page, attempt -> connect -> right-party contact ->
--          promise -> kept promise, per channel, at the grain the page filters on (a month range
--          and teams), so the page adds up a few rows instead of every attempt and promise.
-- Grain:   one row per month x team x channel with at least one attempt or one kept promise
--          (team empty for automated SMS and IVR, which have no agent).
-- Refresh: incremental by month.
-- Measures (every count and amount adds up over rows):
--   attempts              contact attempts of the month (the debtor's local date) by the team's
--                         agents on the channel, failed ones included (mart.contact_effectiveness)
--   connects              those where someone answered
--   right_party_contacts  those that reached the debtor
--   promises              those that produced a promise to pay
--   promised_amount       yuan promised in them
--   amount_paid_within_window  net payments credited to them (mart.contact_effectiveness says
--                         how; `amount_paid_7d` is its compatibility alias)
--   promises_kept         promises kept (mart.promise_outcomes) falling due in the month (their
--                         promised date), taken by the team's agents, on the channel of the attempt
--                         that made them; a promise naming no attempt the warehouse holds has no
--                         channel and is left out
--   connect_rate          connects / attempts
--   rpc_rate              right_party_contacts / attempts
--   promise_rate          promises / right_party_contacts
--   The rates are for one row; over several rows add the numerators and the denominators, then
--   divide (empty when the denominator is 0).
CREATE OR REPLACE TABLE mart.contact_funnel AS
WITH effort AS (
    SELECT
        month,
        team,
        channel,
        CAST(sum(attempts) AS BIGINT) AS attempts,
        CAST(sum(connects) AS BIGINT) AS connects,
        CAST(sum(right_party_contacts) AS BIGINT) AS right_party_contacts,
        CAST(sum(promises) AS BIGINT) AS promises,
        sum(promised_amount) AS promised_amount,
        sum(amount_paid_within_window) AS amount_paid_within_window
    FROM mart.contact_effectiveness
    WHERE month BETWEEN $first_month AND $last_month
    GROUP BY month, team, channel
),

kept AS (
    SELECT
        o.month,
        o.team,
        a.channel,
        count(*) AS promises_kept
    FROM mart.promise_outcomes AS o
    INNER JOIN core.contact_attempts AS a ON o.attempt_id = a.attempt_id
    WHERE o.status = 'kept' AND o.month BETWEEN $first_month AND $last_month
    GROUP BY o.month, o.team, a.channel
),

cells AS (
    SELECT month, team, channel FROM effort
    UNION
    SELECT month, team, channel FROM kept
)

SELECT
    c.month,
    c.team,
    c.channel,
    coalesce(e.attempts, 0) AS attempts,
    coalesce(e.connects, 0) AS connects,
    coalesce(e.right_party_contacts, 0) AS right_party_contacts,
    coalesce(e.promises, 0) AS promises,
    coalesce(e.promised_amount, 0) AS promised_amount,
    coalesce(e.amount_paid_within_window, 0) AS amount_paid_within_window,
    coalesce(e.amount_paid_within_window, 0) AS amount_paid_7d,
    coalesce(k.promises_kept, 0) AS promises_kept,
    CAST(e.connects AS DOUBLE) / nullif(e.attempts, 0) AS connect_rate,
    CAST(e.right_party_contacts AS DOUBLE) / nullif(e.attempts, 0) AS rpc_rate,
    CAST(e.promises AS DOUBLE) / nullif(e.right_party_contacts, 0) AS promise_rate
FROM cells AS c
LEFT JOIN effort AS e
    ON
        c.month = e.month
        AND c.channel = e.channel
        AND (c.team = e.team OR (c.team IS NULL AND e.team IS NULL))
LEFT JOIN kept AS k
    ON
        c.month = k.month
        AND c.channel = k.channel
        AND (c.team = k.team OR (c.team IS NULL AND k.team IS NULL));
