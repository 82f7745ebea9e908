-- settings.contact_windows
-- Purpose: the permitted local hours of each `window` rule (settings.compliance_rules), by day
--          type. A rule judges an attempt only on the day types it has windows for ('any' = every
--          day); the attempt breaches it when no window of that day type covers the debtor's
--          local time. Times are 'HH:MM:SS' text: a window runs from `starts_at` (inclusive) to
--          `ends_at` (exclusive, or inclusive when `ends_inclusive`).
-- Grain:   one row per permitted window.
-- Defaults: bank procedure 09:00-12:00 and 14:00-18:00 on working days (non-working days are the
--          non_working_day rule's); China 08:00-22:00 every day (so 21:59:59 is allowed and 22:00:00
--          is not); Regulation F 08:00-21:00 every day, 21:00:00 itself allowed ("after 9 p.m.").
CREATE TABLE IF NOT EXISTS settings.contact_windows (
    rule_set VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    day_type VARCHAR NOT NULL,  -- working, non_working or any
    starts_at VARCHAR NOT NULL,
    ends_at VARCHAR NOT NULL,
    ends_inclusive BOOLEAN NOT NULL
);

INSERT INTO settings.contact_windows
SELECT * FROM (
    VALUES
        ('bank', 'calling_hours', 'working', '09:00:00', '12:00:00', false),
        ('bank', 'calling_hours', 'working', '14:00:00', '18:00:00', false),
        ('china', 'quiet_hours', 'any', '08:00:00', '22:00:00', false),
        ('reg_f', 'inconvenient_time', 'any', '08:00:00', '21:00:00', true)
) AS defaults (rule_set, rule, day_type, starts_at, ends_at, ends_inclusive)
WHERE NOT EXISTS (SELECT 1 FROM settings.contact_windows);
