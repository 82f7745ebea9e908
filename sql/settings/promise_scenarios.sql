-- settings.promise_scenarios
-- Purpose: the grace-day and tolerance combinations for which mart.promise_kept_sensitivity
--          recomputes the promise-kept rate, so a manager sees how much the rate depends on them
--          before changing settings.measure_parameters.
-- Grain:   one row per (grace_days, tolerance_share) scenario.
-- Defaults: grace 0 to 7 calendar days x tolerance 0, 1%, 5% and 10% of the promised amount.
CREATE TABLE IF NOT EXISTS settings.promise_scenarios (
    grace_days INTEGER NOT NULL,
    tolerance_share DECIMAL(6, 4) NOT NULL,
    PRIMARY KEY (grace_days, tolerance_share)
);

INSERT INTO settings.promise_scenarios
SELECT g.grace_days, t.tolerance_share
FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7)) AS g (grace_days)
CROSS JOIN (VALUES (0.0), (0.01), (0.05), (0.10)) AS t (tolerance_share)
WHERE NOT EXISTS (SELECT 1 FROM settings.promise_scenarios);
