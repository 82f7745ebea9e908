-- checks: raw.snapshots month_end_complete
-- Purpose: every account open at the previous month end appears at this month end. An account
--          is open unless its status is a state bucket of settings.buckets (written off, closed).
-- Grain:   one row per month-end file of raw.snapshots with missing accounts, among the files
--          the run looks at.
-- Parameters:
--   $load_id  this load's month-end files; NULL during `collections check` (every file).
-- Columns:
--   file_name, load_id  the month-end file.
--   offending           the accounts open at the month end before and missing from it.
--   lines               empty: a missing account has no line.
--   sample              the first 5 of them, `missing account_id=...`.
WITH month_end_files AS (
    SELECT DISTINCT r._file_name, r._load_id, r.as_of_date
    FROM raw.snapshots AS r
    WHERE ($load_id IS NULL OR r._load_id = $load_id) AND r.as_of_date = last_day(r.as_of_date)
),

missing AS (
    SELECT f._file_name, f._load_id, p.account_id
    FROM month_end_files AS f
    INNER JOIN raw.snapshots AS p
        ON p.as_of_date = last_day(CAST(f.as_of_date - INTERVAL 1 MONTH AS DATE))
    WHERE
        p.status NOT IN (SELECT status FROM settings.buckets WHERE status IS NOT NULL)
        AND NOT EXISTS (
            SELECT 1 FROM raw.snapshots AS s
            WHERE s.as_of_date = f.as_of_date AND s.account_id = p.account_id
        )
)

SELECT
    _file_name AS file_name,
    _load_id AS load_id,
    count(*) AS offending,
    CAST([] AS BIGINT[]) AS lines,
    list('missing account_id=' || account_id ORDER BY account_id)[1:5] AS sample
FROM missing
GROUP BY ALL
