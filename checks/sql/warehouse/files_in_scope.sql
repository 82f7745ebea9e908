-- checks: the landed files of one extract that a run looks at (the rows of its files frame)
-- Purpose: the files whose rows are in the warehouse (status `landed` or `replaced`), against
--          which the per-file measures (this folder) and the volume band are counted; during a
--          load only the files of this load.
-- Grain:   one row per landed file of the extract (file_name, load_id).
-- Parameters:
--   $extract   the extract, as the contract names it (`snapshots`, `payments`, ...).
--   $load_id   this load; NULL during `collections check` (the files of every load).
-- Columns:
--   file_name, load_id  the file and the load that landed it.
--   business_date       the date the file is for.
--   rows_read           data rows in the file.
--   rows_landed         those that landed (the others are in ops.quarantine).
SELECT file_name, load_id, business_date, rows_read, rows_landed
FROM ops.loaded_files
WHERE
    extract = $extract
    AND status IN ('landed', 'replaced')
    AND ($load_id IS NULL OR load_id = $load_id)
ORDER BY business_date, file_name, load_id
