-- mart.promise_kept_sensitivity
-- Purpose: how much the promise-kept rate depends on the grace days and the tolerance: the rate
--          recomputed under every scenario of settings.promise_scenarios (default grace 0-7 days x
--          tolerance 0, 1%, 5%, 10%) and under the setting in force, same rule otherwise.
-- Grain:   one row per grace_days x tolerance_share x month (of the promised date).
-- Refresh: incremental by month, reaching back over the longest grace (as mart.promise_outcomes):
-- Reach: SELECT CAST(ceil(max(grace_days) / 28.0) AS INTEGER) FROM (SELECT CAST(value AS INTEGER) AS grace_days FROM settings.measure_parameters WHERE parameter = 'promise_grace_days' UNION ALL SELECT grace_days FROM settings.promise_scenarios) AS g
-- Measures: promises, kept, partial, broken, pending, resolved and kept_rate as
--          mart.promise_kept_rates; `is_in_force` marks the setting the other promise views use.
--          To see the whole book, add the counts over months, then divide (kept / resolved).
--   resolved   kept + partial + broken: the denominator of the kept, partial and broken rates
CREATE OR REPLACE TABLE mart.promise_kept_sensitivity AS
WITH counted AS (
    SELECT
        grace_days,
        tolerance_share,
        is_in_force,
        CAST(date_trunc('month', promised_date) AS DATE) AS month,
        count(*) AS promises,
        count(*) FILTER (WHERE status = 'kept') AS kept,
        count(*) FILTER (WHERE status = 'partial') AS partial,
        count(*) FILTER (WHERE status = 'broken') AS broken,
        count(*) FILTER (WHERE status = 'pending') AS pending,
        count(*) FILTER (WHERE status IN ('kept', 'partial', 'broken')) AS resolved
    FROM core.promise_statuses
    WHERE promised_date BETWEEN $first_month AND last_day($last_month)
    GROUP BY grace_days, tolerance_share, is_in_force, CAST(date_trunc('month', promised_date) AS DATE)
)

SELECT
    grace_days,
    tolerance_share,
    is_in_force,
    month,
    promises,
    kept,
    partial,
    broken,
    pending,
    CAST(kept AS DOUBLE) / nullif(resolved, 0) AS kept_rate,
    resolved
FROM counted;
