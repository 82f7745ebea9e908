-- settings.buckets
-- Purpose: the delinquency buckets (DOMAIN.md), by days past due at the snapshot date. A setting,
--          not a constant: a bank edits these rows and the marts follow on the next rebuild.
-- Grain:   one row per bucket. `max_days_past_due` NULL means "and above".
-- Defaults: Current = 0, M1 = 1-30, M2 = 31-60, ... M6 = 151-180, M7+ = over 180. Written off and
--          Closed are states (snapshot status), not day ranges; they sort after the day buckets.
CREATE TABLE IF NOT EXISTS settings.buckets (
    bucket VARCHAR PRIMARY KEY,
    sort_order INTEGER NOT NULL,
    min_days_past_due INTEGER,
    max_days_past_due INTEGER,
    status VARCHAR  -- set for the state buckets: the snapshot status that puts an account here
);

INSERT INTO settings.buckets
SELECT * FROM (
    VALUES
        ('Current', 0, 0, 0, NULL),
        ('M1', 1, 1, 30, NULL),
        ('M2', 2, 31, 60, NULL),
        ('M3', 3, 61, 90, NULL),
        ('M4', 4, 91, 120, NULL),
        ('M5', 5, 121, 150, NULL),
        ('M6', 6, 151, 180, NULL),
        ('M7+', 7, 181, NULL, NULL),
        ('Written off', 8, NULL, NULL, 'charged_off'),
        ('Closed', 9, NULL, NULL, 'closed')
) AS defaults (bucket, sort_order, min_days_past_due, max_days_past_due, status)
WHERE NOT EXISTS (SELECT 1 FROM settings.buckets);
