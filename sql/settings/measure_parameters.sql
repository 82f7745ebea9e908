-- settings.measure_parameters
-- Purpose: the single-valued parameters of the contact, promise and plan measures (DOMAIN.md
--          defaults); docs/metrics.md explains each measure they feed.
-- Grain:   one row per parameter. A parameter missing here (a warehouse older than it) gets its
--          default on the next load; a value a user edited is kept.
CREATE TABLE IF NOT EXISTS settings.measure_parameters (
    parameter VARCHAR PRIMARY KEY,
    value DECIMAL(18, 4) NOT NULL,
    description VARCHAR
);

INSERT INTO settings.measure_parameters (parameter, value, description)
SELECT * FROM (
    VALUES
        (
            'paid_within_days', 7,
            'contact effectiveness: a payment is credited to the last contact attempt on its '
            || 'account when it arrives within this many days (x 24 hours) after it'
        ),
        (
            'promise_grace_days', 3,
            'promises: a promise may be paid up to its promised date plus this many calendar days '
            || '(inclusive)'
        ),
        (
            'promise_tolerance_share', 0,
            'promises: the share of the promised amount that may be missing for the promise still '
            || 'to count as kept (0 = the full amount)'
        ),
        (
            'plan_cure_within_months', 3,
            'plans: a plan cures when its account is back to Current within this many months of '
            || 'the plan''s start'
        ),
        (
            'best_time_min_attempts', 30,
            'best time to call: an hour-and-weekday slot needs at least this many attempts to be '
            || 'ranked'
        ),
        (
            'best_time_slots', 3,
            'best time to call: how many of the best slots per bucket and channel to show'
        )
) AS defaults (parameter, value, description)
WHERE NOT EXISTS (
    SELECT 1 FROM settings.measure_parameters AS s WHERE s.parameter = defaults.parameter
);
