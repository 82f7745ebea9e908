-- settings.bank_timezone
-- Purpose: the bank's own time zone (an IANA name), the one place it is set. The loader reads
--          timestamps without an offset in it; a debtor whose account has no zone of its own is
--          judged in it; promise, payment and plan dates are calendar dates in it; the pages show
--          times in it. A change applies to files landed after it (landed instants stay as read).
-- Grain:   one row.
-- Default: Asia/Shanghai (DOMAIN.md).
CREATE TABLE IF NOT EXISTS settings.bank_timezone (
    timezone VARCHAR NOT NULL
);

INSERT INTO settings.bank_timezone
SELECT * FROM (VALUES ('Asia/Shanghai')) AS defaults (timezone)
WHERE NOT EXISTS (SELECT 1 FROM settings.bank_timezone);
