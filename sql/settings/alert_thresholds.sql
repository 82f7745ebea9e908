-- settings.alert_thresholds
-- Purpose: when the dashboard raises an alert for a manager (dashboard/alerts.py): the smallest
--          number of accounts (or promises, attempts) a rate must rest on before it is trusted,
--          how far a roll rate and the net flow may diverge, and what counts as a spike in
--          breaches for one agent or team. A bank edits the values; the alerts follow on the
--          next interaction.
-- Grain:   one row per threshold.
CREATE TABLE IF NOT EXISTS settings.alert_thresholds (
    threshold VARCHAR PRIMARY KEY,
    value DECIMAL(18, 4) NOT NULL,
    description VARCHAR
);

INSERT INTO settings.alert_thresholds (threshold, value, description)
SELECT * FROM (
    VALUES
        (
            'min_accounts_for_rate', 30,
            'a rate over fewer accounts (promises, attempts) than this is flagged as too thin'
        ),
        (
            'divergence_min_change', 0.02,
            'roll rate and net flow rate diverge when they move in opposite directions month on '
            || 'month, each by at least this much (2 percentage points)'
        ),
        (
            'breach_spike_factor', 2,
            'a spike: an agent''s or team''s breaches in the latest month at least this many '
            || 'times its average of the months before'
        ),
        (
            'breach_spike_min_breaches', 5,
            'a spike needs at least this many breaches in the latest month'
        ),
        (
            'breach_spike_baseline_months', 3,
            'the months before the latest whose average is the baseline of a spike'
        )
) AS defaults (threshold, value, description)
WHERE NOT EXISTS (SELECT 1 FROM settings.alert_thresholds);
