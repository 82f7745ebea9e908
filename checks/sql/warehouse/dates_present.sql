-- checks: raw.<extract> business_dates_present / month_ends_present (the daily extracts)
-- Purpose: completeness of a daily extract: a file for every calendar day (or every month end,
--          for snapshots) between the extract's first and last business dates. Any file that
--          was loaded counts, even one that changed nothing.
-- Grain:   one row per calendar day (or month end) of the extract's span.
-- Parameters:
--   $extract          the extract, as the contract names it.
--   $month_ends_only  whether only month ends are expected (snapshots).
-- Columns:
--   business_date  the day.
--   file_name      a file of the extract for that day; NULL: the day's file is missing.
WITH landed AS (
    SELECT business_date, min(file_name) AS file_name
    FROM ops.loaded_files
    WHERE extract = $extract AND status IN ('landed', 'replaced', 'unchanged')
    GROUP BY business_date
),

span AS (
    SELECT min(business_date) AS first_date, max(business_date) AS last_date FROM landed
),

days AS (
    SELECT CAST(unnest(generate_series(first_date, last_date, INTERVAL 1 DAY)) AS DATE)
        AS business_date
    FROM span
)

SELECT d.business_date, l.file_name
FROM days AS d
LEFT JOIN landed AS l ON l.business_date = d.business_date
WHERE NOT $month_ends_only OR d.business_date = last_day(d.business_date)
ORDER BY d.business_date
