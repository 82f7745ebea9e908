-- mart.account_migration
-- Purpose: the accounts behind each cell of the bucket migration matrix (迁徙明细), so a manager
--          can click a cell and see who moved: core.account_transitions (which defines `New`,
--          `Gone` and the absorbing buckets, and which mart.bucket_migration_by_segment adds
--          up) with the account's segments. Filter it by month and buckets: a view.
-- Grain:   one row per pair of consecutive complete months (the from month) x account that has
--          a picture in either month.
-- Measures:
--   from_bucket / to_bucket  as in mart.bucket_migration (`New`, `Gone` included).
--   balance / to_balance     the account's balance at the from month and at the next.
--   product, branch, risk_grade  the account's segments at the from month (else the next
--          month's), as in mart.bucket_migration_by_segment.
CREATE OR REPLACE VIEW mart.account_migration AS
SELECT
    x.month,
    x.account_id,
    x.from_bucket,
    x.to_bucket,
    x.balance,
    x.to_balance,
    x.product,
    x.branch,
    x.risk_grade
FROM core.account_transitions AS x
