-- core.account_versions
-- Purpose: the account flags that compliance judges "as of the contact date": do-not-contact and
--          third-party authorisation change over time, and a contact is judged by the accounts
--          record in force on its (bank) date.
-- Grain:   one row per account per business date of an accounts record the warehouse holds.
-- Columns: in_force_from   the record's business date; NULL for an account's first record,
--                          which also stands for the time before it (contacts older than any
--                          record the warehouse holds are judged by the oldest one)
--          in_force_until  the next record's business date (exclusive); NULL = still in force
-- Sources: raw.account_history (every accounts record the loader landed, one per account and
--          business date) together with raw.accounts (the latest record per account): a
--          warehouse loaded before the history existed has only the latest records, and is
--          judged by them as before. For one account and date raw.accounts' record wins (the
--          loader lands the same record in both), then the latest load's.
CREATE OR REPLACE VIEW core.account_versions AS
WITH history AS (
    SELECT
        account_id,
        _business_date AS business_date,
        do_not_contact,
        third_party_authorized,
        1 AS source_rank,
        _load_id,
        _line_number
    FROM raw.account_history
),

latest AS (
    SELECT
        account_id,
        _business_date AS business_date,
        do_not_contact,
        third_party_authorized,
        0 AS source_rank,
        _load_id,
        _line_number
    FROM raw.accounts
),

records AS (
    SELECT
        account_id,
        business_date,
        coalesce(do_not_contact, false) AS do_not_contact,
        coalesce(third_party_authorized, false) AS third_party_authorized,
        row_number() OVER (
            PARTITION BY account_id, business_date
            ORDER BY source_rank, _load_id DESC, _line_number DESC
        ) AS record_rank
    FROM (
        SELECT * FROM history
        UNION ALL
        SELECT * FROM latest
    ) AS both_sources
),

versions AS (
    SELECT
        account_id,
        business_date,
        do_not_contact,
        third_party_authorized,
        row_number() OVER (PARTITION BY account_id ORDER BY business_date) AS version_number,
        lead(business_date) OVER (PARTITION BY account_id ORDER BY business_date) AS in_force_until
    FROM records
    WHERE record_rank = 1
)

SELECT
    account_id,
    version_number,
    business_date,
    CASE WHEN version_number > 1 THEN business_date END AS in_force_from,
    in_force_until,
    do_not_contact,
    third_party_authorized
FROM versions;
