-- settings.delinquency_thresholds
-- Purpose: the "30+ / 60+ / 90+" delinquency ratios a manager watches: an account counts towards
--          a ratio when its days past due are at least `min_days_past_due`.
-- Grain:   one row per ratio.
CREATE TABLE IF NOT EXISTS settings.delinquency_thresholds (
    measure VARCHAR PRIMARY KEY,
    min_days_past_due INTEGER NOT NULL
);

INSERT INTO settings.delinquency_thresholds
SELECT * FROM (VALUES ('30+', 31), ('60+', 61), ('90+', 91)) AS defaults (measure, min_days_past_due)
WHERE NOT EXISTS (SELECT 1 FROM settings.delinquency_thresholds);
