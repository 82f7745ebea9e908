-- core.as_of_date
-- Purpose: "today" for the measures that depend on time still running (a promise is pending while
--          its grace period runs; a plan's cure window must have passed): the warehouse's latest
--          business date, i.e. the latest business date of any payments, snapshots, contacts or
--          promises file it holds (ops.loaded_files), rows or not: a file with a header and no
--          rows is a day with nothing to report, and it still moves the calendar. The files of a
--          business date hold that whole day, so a window that ends on the as-of date is
--          complete; one that ends later is still open. (Rows landed without a file record,
--          as in a warehouse written before ops.loaded_files, count by their business date.)
-- Grain:   one row. A table (rebuilt whole at each load that changes its inputs), not a view:
--          every page and several views read it, and as a view it scanned four raw tables'
--          dates on every read (0.5 s at 1,000,000 accounts).
CREATE OR REPLACE TABLE core.as_of_date AS
WITH business_dates AS (
    SELECT max(business_date) AS business_date
    FROM ops.loaded_files
    WHERE
        status IN ('landed', 'replaced', 'unchanged')
        AND extract IN ('payments', 'snapshots', 'contacts', 'promises')
    UNION ALL
    SELECT max(_business_date) AS business_date FROM raw.payments
    UNION ALL
    SELECT max(_business_date) AS business_date FROM raw.snapshots
    UNION ALL
    SELECT max(_business_date) AS business_date FROM raw.contacts
    UNION ALL
    SELECT max(_business_date) AS business_date FROM raw.promises
)

SELECT max(business_date) AS as_of_date FROM business_dates;
