-- settings.delinquency_thresholds
-- Purpose: the "30+ / 60+ / 90+" delinquency ratios a manager watches: an account counts towards
--          a ratio when its days past due are at least `min_days_past_due`. "30+" means more
--          than 30 days past due, so at least 31 (M1 is 1-30 days: 30+ is M2 and worse); "60+"
--          at least 61 (M3+), "90+" at least 91 (M4+). Edit a row to move a ratio's bound.
-- Grain:   one row per ratio.
CREATE TABLE IF NOT EXISTS settings.delinquency_thresholds (
    measure VARCHAR PRIMARY KEY,
    min_days_past_due INTEGER NOT NULL
);

INSERT INTO settings.delinquency_thresholds
SELECT * FROM (VALUES ('30+', 31), ('60+', 61), ('90+', 91)) AS defaults (measure, min_days_past_due)
WHERE NOT EXISTS (SELECT 1 FROM settings.delinquency_thresholds);
