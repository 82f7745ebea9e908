-- core.promise_allocations
-- Purpose: how much of the money paid on an account each of its promises to pay receives, for
--          every grace-day setting that a view needs (the one in force and those of
--          settings.promise_scenarios), so the kept rate and its sensitivity share one rule.
-- Grain:   one row per grace_days x promise.
-- Refresh: incremental by month: `month` is the month of `paid_by`, the end of the promise's
--          window. A promise's money comes from payments made by then, shared in the order paid
--          with the promises of its arrangement made by then, so a change dated on a day (a
--          payment, a promise) changes only promises whose window ends on or after it. The promises of every account with
--          such a promise are judged again together (an arrangement may have started months
--          earlier); the months before are kept.
-- The rule, in plain words:
--   window        a promise can be paid from the moment it was made to the end of its promised
--                 date plus `grace_days` calendar days (bank calendar, inclusive): `paid_by`.
--                 Only money that stands counts (core.payments_net: a reversed payment never).
--   arrangement   promises on one account whose windows overlap (one made before an earlier
--                 one's window closed) are judged together as one arrangement.
--   allocation    a promise is paid only by money paid after it was made. Within an arrangement
--                 each payment, in the order paid, goes to the promises that existed when it was
--                 paid (created_at <= paid_at) and whose window has not closed (paid date <=
--                 paid_by), earliest promised date first (then the time made): the earliest-due
--                 such promise still short of its amount takes what it lacks, any surplus flows
--                 on to the next, and no yuan counts for two promises. Money no such promise can
--                 take pays none. (So a second promise is not "kept" by the money that kept the
--                 first, nor by money paid before it was made; money paid after the first
--                 promise's window closed goes to the later one.)
--   paid_amount   the yuan a promise received (at most its promised amount).
--   paid_in_window  all money paid within the promise's own window, shared or not (for audit).
-- How:     a recursive pour, one payment of every arrangement per step (`poured`: step n holds
--          what each promise has received after its arrangement's n-th payment); within a step
--          a payment's share is a running sum over the promises in due order (window functions).
--          The steps are as many as the most payments one arrangement saw.
CREATE OR REPLACE TABLE core.promise_allocations AS
WITH RECURSIVE grace_settings AS (
    SELECT CAST(value AS INTEGER) AS grace_days
    FROM settings.measure_parameters
    WHERE parameter = 'promise_grace_days'
    UNION
    SELECT grace_days FROM settings.promise_scenarios
),

-- The accounts with a promise whose window ends in the months computed.
accounts_judged AS (
    SELECT DISTINCT p.account_id
    FROM core.promises_local AS p
    CROSS JOIN grace_settings AS g
    WHERE p.promised_date + g.grace_days BETWEEN $first_month AND last_day($last_month)
),

promises AS (
    SELECT
        g.grace_days,
        p.*,
        p.promised_date + g.grace_days AS paid_by
    FROM core.promises_local AS p
    CROSS JOIN grace_settings AS g
    WHERE p.account_id IN (SELECT a.account_id FROM accounts_judged AS a)
),

-- A promise opens a new arrangement when it was made after every earlier promise's window closed.
opened AS (
    SELECT
        *,
        max(paid_by) OVER (
            PARTITION BY grace_days, account_id
            ORDER BY created_at, promise_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS earlier_windows_close
    FROM promises
),

numbered AS (
    SELECT
        *,
        sum(
            CASE
                WHEN earlier_windows_close IS NULL OR created_date > earlier_windows_close THEN 1
                ELSE 0
            END
        ) OVER (
            PARTITION BY grace_days, account_id
            ORDER BY created_at, promise_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS arrangement_number
    FROM opened
),

arranged AS (
    SELECT
        *,
        min(created_at) OVER (
            PARTITION BY grace_days, account_id, arrangement_number
        ) AS arrangement_started_at,
        count(*) OVER (
            PARTITION BY grace_days, account_id, arrangement_number
        ) AS arrangement_promises
    FROM numbered
),

-- The arrangements poured: those holding a promise whose window ends in the months computed
-- (the others' promises are neither written nor needed to judge these).
arrangements AS (
    SELECT
        grace_days,
        account_id,
        arrangement_number,
        min(created_at) AS started_at,
        max(paid_by) AS closes_on
    FROM arranged
    GROUP BY grace_days, account_id, arrangement_number
    HAVING count(*) FILTER (WHERE paid_by BETWEEN $first_month AND last_day($last_month)) > 0
),

-- The money that can pay one of them, from the first one's first promise to the close of the
-- last one's windows (two days to spare for the bank's zone). The bounds are one-value
-- subqueries on the view's own rows, which reach the file scan of raw.payments; written in the
-- join below, every payment ever made would be read (23 million at 1,000,000 accounts).
payments AS (
    SELECT * FROM core.payments_net
    WHERE
        paid_at >= (SELECT min(started_at) FROM arrangements)
        AND paid_at < (
            SELECT CAST(max(closes_on) AS TIMESTAMPTZ) + INTERVAL 2 DAY FROM arrangements
        )
),

-- That money, numbered per arrangement in the order it was paid: only payments from the
-- arrangement's first promise to the close of its last window can pay one of its promises.
arrangement_payments AS (
    SELECT
        a.grace_days,
        a.account_id,
        a.arrangement_number,
        pay.paid_at,
        pay.paid_date,
        pay.amount,
        row_number() OVER (
            PARTITION BY a.grace_days, a.account_id, a.arrangement_number
            ORDER BY pay.paid_at, pay.payment_id
        ) AS payment_number
    FROM arrangements AS a
    INNER JOIN payments AS pay
        ON a.account_id = pay.account_id
        AND pay.paid_at >= a.started_at
        AND pay.paid_date <= a.closes_on
),

-- All money paid within each promise's own window, shared or not (for audit).
in_window AS (
    SELECT
        a.grace_days,
        a.promise_id,
        sum(pay.amount) AS paid_in_window
    FROM arranged AS a
    INNER JOIN arrangement_payments AS pay
        ON a.grace_days = pay.grace_days
        AND a.account_id = pay.account_id
        AND a.arrangement_number = pay.arrangement_number
        AND pay.paid_at >= a.created_at
        AND pay.paid_date <= a.paid_by
    GROUP BY a.grace_days, a.promise_id
),

-- The money poured in, one payment of each arrangement at a time (step n = after its n-th
-- payment): a payment fills the promises it can pay (made by then, window still open, short of
-- their amount) earliest due first; what is left after the last of them pays no promise.
poured AS (
    SELECT
        a.grace_days,
        a.account_id,
        a.arrangement_number,
        a.promise_id,
        a.created_at,
        a.paid_by,
        a.promised_amount,
        CAST(0 AS BIGINT) AS step,
        CAST(0 AS DECIMAL(18, 2)) AS received
    FROM arranged AS a
    SEMI JOIN arrangements AS j
        ON a.grace_days = j.grace_days
        AND a.account_id = j.account_id
        AND a.arrangement_number = j.arrangement_number
    UNION ALL
    SELECT
        grace_days,
        account_id,
        arrangement_number,
        promise_id,
        created_at,
        paid_by,
        promised_amount,
        step,
        CAST(received + least(
            room,
            greatest(
                0,
                amount - coalesce(
                    sum(room) OVER (
                        PARTITION BY grace_days, account_id, arrangement_number
                        ORDER BY paid_by, created_at, promise_id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                    ),
                    0
                )
            )
        ) AS DECIMAL(18, 2)) AS received
    FROM (
        SELECT
            p.grace_days,
            p.account_id,
            p.arrangement_number,
            p.promise_id,
            p.created_at,
            p.paid_by,
            p.promised_amount,
            pay.payment_number AS step,
            p.received,
            pay.amount,
            CASE
                WHEN p.created_at <= pay.paid_at AND pay.paid_date <= p.paid_by
                    THEN p.promised_amount - p.received
                ELSE 0
            END AS room
        FROM poured AS p
        INNER JOIN arrangement_payments AS pay
            ON p.grace_days = pay.grace_days
            AND p.account_id = pay.account_id
            AND p.arrangement_number = pay.arrangement_number
            AND pay.payment_number = p.step + 1
    ) AS next_payment
),

received AS (
    SELECT
        grace_days,
        promise_id,
        arg_max(received, step) AS paid_amount
    FROM poured
    GROUP BY grace_days, promise_id
)

SELECT
    CAST(date_trunc('month', a.paid_by) AS DATE) AS month,
    a.grace_days,
    a.promise_id,
    a.account_id,
    a.attempt_id,
    a.agent_id,
    a.created_at,
    a.created_date,
    a.promised_date,
    a.promised_amount,
    a.paid_by,
    a.account_id || '/' || CAST(a.arrangement_number AS VARCHAR) AS arrangement_id,
    a.arrangement_promises,
    r.paid_amount,
    coalesce(w.paid_in_window, 0) AS paid_in_window
FROM arranged AS a
INNER JOIN received AS r ON a.grace_days = r.grace_days AND a.promise_id = r.promise_id
LEFT JOIN in_window AS w ON a.grace_days = w.grace_days AND a.promise_id = w.promise_id
WHERE a.paid_by BETWEEN $first_month AND last_day($last_month);
