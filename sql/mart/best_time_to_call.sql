-- mart.best_time_to_call
-- Purpose: the few best weekday-and-hour slots to reach the debtor, per bucket and channel
--          (最佳致电时间): the top `best_time_slots` slots (settings.measure_parameters, default 3)
--          of mart.contact_effectiveness_by_hour_weekday by RPC rate, among slots with enough
--          attempts to judge.
-- Grain:   one row per bucket x channel x ranked slot (ties share a rank, so a bucket may show
--          more rows than the setting when slots tie).
CREATE OR REPLACE VIEW mart.best_time_to_call AS
WITH params AS (
    SELECT CAST(value AS INTEGER) AS slots
    FROM settings.measure_parameters
    WHERE parameter = 'best_time_slots'
)

SELECT
    s.bucket,
    s.channel,
    s.rpc_rate_rank,
    s.weekday,
    w.weekday_name,
    s.hour,
    s.attempts,
    s.right_party_contacts,
    s.rpc_rate,
    s.promise_rate,
    s.amount_paid_within_window,
    s.amount_paid_within_window AS amount_paid_7d
FROM mart.contact_effectiveness_by_hour_weekday AS s
CROSS JOIN params AS p
LEFT JOIN settings.working_weekdays AS w ON s.weekday = w.iso_weekday
WHERE s.rpc_rate_rank <= p.slots;
