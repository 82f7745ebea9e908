-- settings.bank_timezone
-- Purpose: the bank's own time zone (an IANA name). A debtor whose account has no zone of its own
--          is judged in it, and promise, payment and plan dates are calendar dates in it. Keep it
--          equal to COLLECTIONS_TIMEZONE, the zone the loader reads offset-less timestamps in.
-- Grain:   one row.
-- Default: Asia/Shanghai (DOMAIN.md).
CREATE TABLE IF NOT EXISTS settings.bank_timezone (
    timezone VARCHAR NOT NULL
);

INSERT INTO settings.bank_timezone
SELECT * FROM (VALUES ('Asia/Shanghai')) AS defaults (timezone)
WHERE NOT EXISTS (SELECT 1 FROM settings.bank_timezone);
