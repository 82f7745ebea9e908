-- core.accounts
-- Purpose: each account as the card system last described it (accounts files are full records;
--          the latest business date wins, then the latest load, then the last line).
-- Grain:   one row per account.
-- Months:  every (today's record stands for every month: a table that reads it, such as
--          mart.account_day_changes for its segments, recomputes every month when an accounts
--          record changes, whatever its date; a month judged by the record in force then reads
--          core.account_versions)
CREATE OR REPLACE VIEW core.accounts AS
WITH source AS (
    SELECT * FROM raw.accounts
),

ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY account_id
            ORDER BY _business_date DESC, _load_id DESC, _line_number DESC
        ) AS version_rank
    FROM source
)

SELECT * EXCLUDE (version_rank) FROM ranked WHERE version_rank = 1;
