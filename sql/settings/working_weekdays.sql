-- settings.working_weekdays
-- Purpose: the ordinary working week of the holiday calendar. A day is a working day when its
--          weekday is a working weekday and it is not a public holiday, or when it is a make-up
--          working day (a weekend the state declares worked). Holidays and make-up days come from
--          the `holidays` extract (raw.holidays); this table only says which weekdays are worked.
-- Grain:   one row per ISO weekday (1 = Monday ... 7 = Sunday).
-- Default: Monday to Friday are working days (China's five-day week).
CREATE TABLE IF NOT EXISTS settings.working_weekdays (
    iso_weekday INTEGER PRIMARY KEY,
    weekday_name VARCHAR NOT NULL,
    is_working BOOLEAN NOT NULL
);

INSERT INTO settings.working_weekdays
SELECT * FROM (
    VALUES
        (1, 'Mon', true),
        (2, 'Tue', true),
        (3, 'Wed', true),
        (4, 'Thu', true),
        (5, 'Fri', true),
        (6, 'Sat', false),
        (7, 'Sun', false)
) AS defaults (iso_weekday, weekday_name, is_working)
WHERE NOT EXISTS (SELECT 1 FROM settings.working_weekdays);
