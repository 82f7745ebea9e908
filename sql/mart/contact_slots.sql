-- mart.contact_slots
-- Purpose: when debtors answer: contact effectiveness by the debtor's local weekday and hour (a
--          slot), at the grain the Contacts page filters its best-time-to-call grid on (a month
--          range, teams, a channel). mart.contact_effectiveness_by_hour_weekday has the same
--          slots by bucket over all days, ranked.
-- Grain:   one row per month x team x channel x weekday (ISO, 1 = Monday) x hour (0-23) with at
--          least one attempt (team empty for automated SMS and IVR, which have no agent).
-- Refresh: incremental by month.
-- Measures (every count and amount adds up over rows), as mart.contact_effectiveness:
--   attempts              contact attempts made in the slot, failed ones included
--   connects              those where someone answered
--   right_party_contacts  those that reached the debtor
--   promises              those that produced a promise to pay
--   amount_paid_within_window  net payments credited to them (`amount_paid_7d`: its alias)
--   connect_rate          connects / attempts
--   rpc_rate              right_party_contacts / attempts
--   promise_rate          promises / right_party_contacts
--   The rates are for one row; over several rows add the numerators and the denominators, then
--   divide (empty when the denominator is 0).
CREATE OR REPLACE TABLE mart.contact_slots AS
WITH slots AS (
    SELECT
        month,
        team,
        channel,
        weekday,
        hour,
        CAST(sum(attempts) AS BIGINT) AS attempts,
        CAST(sum(connects) AS BIGINT) AS connects,
        CAST(sum(right_party_contacts) AS BIGINT) AS right_party_contacts,
        CAST(sum(promises) AS BIGINT) AS promises,
        sum(amount_paid_within_window) AS amount_paid_within_window
    FROM mart.contact_effectiveness
    WHERE month BETWEEN $first_month AND $last_month
    GROUP BY month, team, channel, weekday, hour
)

SELECT
    month,
    team,
    channel,
    weekday,
    hour,
    attempts,
    connects,
    right_party_contacts,
    promises,
    amount_paid_within_window,
    amount_paid_within_window AS amount_paid_7d,
    CAST(connects AS DOUBLE) / nullif(attempts, 0) AS connect_rate,
    CAST(right_party_contacts AS DOUBLE) / nullif(attempts, 0) AS rpc_rate,
    CAST(promises AS DOUBLE) / nullif(right_party_contacts, 0) AS promise_rate
FROM slots;
