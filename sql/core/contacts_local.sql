-- core.contacts_local
-- Purpose: every contact attempt with its clock in the debtor's local time: compliance windows
--          and "best time to call" are judged in the debtor's zone, not the bank's. This view and
--          its two siblings (core.payments_net, core.promises_local) are the only places where an
--          instant becomes a wall-clock time.
-- Grain:   one row per contact attempt (raw.contacts).
-- Columns: debtor_timezone  the account's `timezone` in the accounts record in force on the
--                           attempt's bank date (core.account_versions), else the bank's
--                           (settings.bank_timezone); an attempt on an account the warehouse
--                           does not know yet is judged in the bank's zone
--          local_time       the wall-clock time the debtor saw (TIMESTAMP, no zone)
--          local_date, local_hour, local_clock ('HH:MM:SS'), local_weekday (ISO, 1 = Monday)
--          bank_date        the attempt's calendar date in the bank's zone (the card system's
--                           business dates are in it)
--          do_not_contact, third_party_authorized   the account's flags in that same accounts
--                           record (false when there is none)
--          account_record_date   that record's business date (empty when there is none)
-- Dialect: `<timestamptz> AT TIME ZONE <zone>` is written for Spark by sqlglot as
--          from_utc_timestamp(), which means the same only with the Spark session zone at UTC.
CREATE OR REPLACE VIEW core.contacts_local AS
WITH contacts AS (
    SELECT * FROM raw.contacts
),

-- The debtor's zone is the one of the accounts record in force on the attempt's (bank) date.
zoned AS (
    SELECT
        c.*,
        coalesce(a.timezone, bank.timezone) AS debtor_timezone,
        coalesce(a.do_not_contact, false) AS do_not_contact,
        coalesce(a.third_party_authorized, false) AS third_party_authorized,
        a.business_date AS account_record_date,
        bank.timezone AS bank_timezone
    FROM contacts AS c
    CROSS JOIN settings.bank_timezone AS bank
    LEFT JOIN core.account_versions AS a
        ON c.account_id = a.account_id
        AND (
            a.in_force_from IS NULL
            OR CAST(c.started_at AT TIME ZONE bank.timezone AS DATE) >= a.in_force_from
        )
        AND (
            a.in_force_until IS NULL
            OR CAST(c.started_at AT TIME ZONE bank.timezone AS DATE) < a.in_force_until
        )
),

clocked AS (
    SELECT
        *,
        started_at AT TIME ZONE debtor_timezone AS local_time,
        CAST(started_at AT TIME ZONE bank_timezone AS DATE) AS bank_date
    FROM zoned
)

SELECT
    attempt_id,
    account_id,
    agent_id,
    channel,
    started_at,
    duration_s,
    contact_number_masked,
    contact_number_hash,
    party,
    third_party_relation,
    outcome,
    debtor_timezone,
    local_time,
    CAST(local_time AS DATE) AS local_date,
    hour(local_time) AS local_hour,
    strftime(local_time, '%H:%M:%S') AS local_clock,
    -- ISO weekday by arithmetic from a known Monday (1970-01-05): portable to Spark, whose
    -- weekday functions count from Sunday
    (date_diff('day', DATE '1970-01-05', CAST(local_time AS DATE)) % 7 + 7) % 7 + 1
        AS local_weekday,
    bank_date,
    do_not_contact,
    third_party_authorized,
    account_record_date
FROM clocked;
