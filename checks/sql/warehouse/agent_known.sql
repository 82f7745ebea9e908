-- checks: raw.<extract> agent_known (contacts, promises)
-- Purpose: a row's agent is in an agents file (raw.agents). A `warn` by default: the contract
--          lets extracts arrive in any order.
-- Grain:   one row per landed file of the extract with offending rows, among the rows the run
--          looks at.
-- Parameters:
--   $load_id  this load's rows; NULL during `collections check` (every row).
-- Spliced (from the contract, checked): raw_table, the extract's raw table; row_names, the
--          text naming a row by the extract's key and its agent_id.
-- Columns:
--   file_name, load_id  the landed file.
--   offending           its rows whose agent is in no agents file.
--   lines               the first 20 of their line numbers (1 = the header).
--   sample              the first 5 of them as `line N: <row_names>`, masked values only.
SELECT
    r._file_name AS file_name,
    r._load_id AS load_id,
    count(*) AS offending,
    list(r._line_number ORDER BY r._line_number)[1:20] AS lines,
    list('line ' || r._line_number || ': ' || {{ row_names }} ORDER BY r._line_number)[1:5]
        AS sample
FROM {{ raw_table }} AS r
WHERE
    ($load_id IS NULL OR r._load_id = $load_id)
    AND r.agent_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM raw.agents AS g WHERE g.agent_id = r.agent_id)
GROUP BY ALL
