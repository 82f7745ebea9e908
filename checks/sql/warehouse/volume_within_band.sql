-- checks: raw.<extract> volume_within_band (every extract)
-- Purpose: each landed file's rows against the median of the trailing files of its kind of
--          day. Kinds of day: working day, non-working day (a weekend or a public holiday of
--          raw.holidays; a make-up working day counts as working) and, with month_end_apart
--          (snapshots, whose month-end files hold every account), month end. One file per
--          business date counts (the latest load's). A file is judged once enough earlier files
--          of its kind exist and their median is large enough; the band itself (low, high) is
--          applied to volume_ratio by the expectation.
-- Grain:   one row per business date of the extract with a landed file.
-- Parameters (thresholds of settings.dq_rules, raw.<extract> volume_within_band):
--   $extract              the extract, as the contract names it.
--   $trailing_files       how many earlier files of the same kind of day make the median.
--   $min_history          how many of them there must be before a file is judged.
--   $min_trailing_median  the median (rows) below which a file is not judged.
--   $month_end_apart      whether month ends are a kind of day of their own.
-- Columns:
--   file_name, load_id  the file and the load that landed it.
--   day_kind            `working day`, `non-working day` or `month end`.
--   trailing_median     median rows of the trailing files of its kind of day.
--   volume_ratio        rows_read / trailing_median; NULL when the file is not judged.
WITH files AS (
    SELECT file_name, load_id, business_date, rows_read
    FROM ops.loaded_files
    WHERE extract = $extract AND status IN ('landed', 'replaced')
    QUALIFY row_number() OVER (
        PARTITION BY business_date ORDER BY load_id DESC, loaded_at DESC
    ) = 1
),

calendar AS (
    SELECT date, any_value(kind) AS kind FROM raw.holidays GROUP BY date
),

classified AS (
    SELECT
        f.*,
        CASE
            WHEN $month_end_apart AND f.business_date = last_day(f.business_date)
                THEN 'month end'
            WHEN c.kind = 'makeup_workday' THEN 'working day'
            WHEN c.kind = 'holiday' OR dayofweek(f.business_date) IN (0, 6)
                THEN 'non-working day'
            ELSE 'working day'
        END AS day_kind
    FROM files AS f
    LEFT JOIN calendar AS c ON c.date = f.business_date
),

with_history AS (
    SELECT
        *,
        median(rows_read) OVER history AS trailing_median,
        count(*) OVER history AS history_files
    FROM classified
    WINDOW history AS (
        PARTITION BY day_kind ORDER BY business_date
        ROWS BETWEEN $trailing_files PRECEDING AND 1 PRECEDING
    )
)

SELECT
    file_name,
    load_id,
    day_kind,
    CAST(trailing_median AS DOUBLE) AS trailing_median,
    CASE
        WHEN history_files >= $min_history AND trailing_median >= $min_trailing_median
            AND trailing_median > 0
            THEN rows_read / trailing_median
    END AS volume_ratio
FROM with_history
