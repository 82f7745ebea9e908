-- core.promise_statuses
-- Purpose: the status of every promise under the grace days and tolerance in force and under each
--          scenario of settings.promise_scenarios; the one place the status rule is written.
-- Grain:   one row per (grace_days, tolerance_share) setting x promise; `is_in_force` marks the
--          setting of settings.measure_parameters.
-- Status, in plain words (DOMAIN.md; as of core.as_of_date, the warehouse's latest business date):
--   kept     the promise received at least its amount less the tolerance
--            (paid_amount >= promised_amount x (1 - tolerance_share)), whenever that happened
--   pending  not (yet) kept and its window is still open: as_of_date < paid_by (the as-of
--            date's payments are in, so a window ending on it is complete)
--   partial  the window has closed with some money received, but not enough
--   broken   the window has closed with nothing received
CREATE OR REPLACE VIEW core.promise_statuses AS
WITH in_force AS (
    SELECT
        max(CASE WHEN parameter = 'promise_grace_days' THEN CAST(value AS INTEGER) END)
            AS grace_days,
        max(CASE WHEN parameter = 'promise_tolerance_share' THEN value END) AS tolerance_share
    FROM settings.measure_parameters
),

settings_judged AS (
    SELECT grace_days, tolerance_share, true AS is_in_force FROM in_force
    UNION ALL
    SELECT s.grace_days, s.tolerance_share, false AS is_in_force
    FROM settings.promise_scenarios AS s
    CROSS JOIN in_force AS f
    WHERE NOT (s.grace_days = f.grace_days AND s.tolerance_share = f.tolerance_share)
)

SELECT
    s.grace_days,
    s.tolerance_share,
    s.is_in_force,
    a.promise_id,
    a.account_id,
    a.attempt_id,
    a.agent_id,
    a.created_at,
    a.created_date,
    a.promised_date,
    a.promised_amount,
    a.paid_by,
    a.arrangement_id,
    a.arrangement_promises,
    a.paid_amount,
    a.paid_in_window,
    d.as_of_date,
    CASE
        WHEN a.paid_amount > 0 AND a.paid_amount >= a.promised_amount * (1 - s.tolerance_share)
            THEN 'kept'
        WHEN d.as_of_date IS NULL OR d.as_of_date < a.paid_by THEN 'pending'
        WHEN a.paid_amount > 0 THEN 'partial'
        ELSE 'broken'
    END AS status
FROM core.promise_allocations AS a
INNER JOIN settings_judged AS s ON a.grace_days = s.grace_days
CROSS JOIN core.as_of_date AS d;
