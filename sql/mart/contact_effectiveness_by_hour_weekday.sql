-- mart.contact_effectiveness_by_hour_weekday
-- Purpose: when to call each bucket (最佳致电时间, best time to call): contact effectiveness by
--          the debtor's local weekday and hour, with each slot ranked within its bucket and channel.
-- Grain:   one row per bucket x channel x weekday (ISO, 1 = Monday) x hour, over all days held.
-- Measures: as mart.contact_effectiveness (attempts, connects, right_party_contacts, promises,
--          amount_paid_within_window, alias amount_paid_7d, and their rates), plus
--   rpc_rate_rank  1 = the slot with the highest RPC rate for its bucket and channel (then the
--                  higher promise rate, then more attempts); only slots with at least
--                  `best_time_min_attempts` attempts are ranked (settings.measure_parameters),
--                  so a lucky slot with three calls does not win.
CREATE OR REPLACE VIEW mart.contact_effectiveness_by_hour_weekday AS
WITH params AS (
    SELECT CAST(value AS INTEGER) AS min_attempts
    FROM settings.measure_parameters
    WHERE parameter = 'best_time_min_attempts'
),

slots AS (
    SELECT
        bucket,
        channel,
        weekday,
        hour,
        sum(attempts) AS attempts,
        sum(connects) AS connects,
        sum(right_party_contacts) AS right_party_contacts,
        sum(promises) AS promises,
        sum(amount_paid_within_window) AS amount_paid_within_window
    FROM mart.contact_effectiveness
    GROUP BY bucket, channel, weekday, hour
),

rated AS (
    SELECT
        s.*,
        CAST(s.connects AS DOUBLE) / s.attempts AS connect_rate,
        CAST(s.right_party_contacts AS DOUBLE) / s.attempts AS rpc_rate,
        CAST(s.promises AS DOUBLE) / nullif(s.right_party_contacts, 0) AS promise_rate,
        s.attempts >= p.min_attempts AS is_ranked
    FROM slots AS s
    CROSS JOIN params AS p
)

SELECT
    bucket,
    channel,
    weekday,
    hour,
    attempts,
    connects,
    right_party_contacts,
    promises,
    amount_paid_within_window,
    amount_paid_within_window AS amount_paid_7d,
    connect_rate,
    rpc_rate,
    promise_rate,
    CASE
        WHEN is_ranked THEN rank() OVER (
            PARTITION BY bucket, channel, is_ranked
            ORDER BY rpc_rate DESC, promise_rate DESC NULLS LAST, attempts DESC
        )
    END AS rpc_rate_rank
FROM rated;
