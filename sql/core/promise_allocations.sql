-- core.promise_allocations
-- Purpose: how much of the money paid on an account each of its promises to pay receives, for
--          every grace-day setting that a view needs (the one in force and those of
--          settings.promise_scenarios), so the kept rate and its sensitivity share one rule.
-- Grain:   one row per grace_days x promise.
-- Refresh: incremental by month: `month` is the month of `paid_by`, the end of the promise's
--          window. A promise's money comes from payments made by then and from the promises of
--          its arrangement due no later, all dated by then, so a change dated on a day changes
--          only promises whose window ends on or after it. The promises of every account with
--          such a promise are judged again together (an arrangement may have started months
--          earlier); the months before are kept.
-- The rule, in plain words:
--   window        a promise can be paid from the moment it was made to the end of its promised
--                 date plus `grace_days` calendar days (bank calendar, inclusive): `paid_by`.
--                 Only money that stands counts (core.payments_net: a reversed payment never).
--   arrangement   promises on one account whose windows overlap (one made before an earlier
--                 one's window closed) are judged together as one arrangement.
--   allocation    within an arrangement, payments made since its first promise are poured into
--                 its promises in order of promised date (then the time made): a payment goes to
--                 the earliest-due promise still short of its amount whose window has not
--                 closed, any surplus flows on to the next, and no yuan counts for two promises.
--                 (So a second promise is not "kept" by the money that kept the first; money paid
--                 after the first promise's window closed goes to the later one.)
--   paid_amount   the yuan a promise received (at most its promised amount).
--   paid_in_window  all money paid within the promise's own window, shared or not (for audit).
-- How:     earliest-due-first allocation has a closed form per arrangement: with promises in
--          due order, the money the first k receive together is
--              cum_promised(k) + min(0, min over m <= k of (paid_by(m) - cum_promised(m)))
--          where paid_by(m) is the money paid from the arrangement's start to promise m's
--          `paid_by` date; a promise receives the difference to the previous one (window
--          functions only, no loop).
CREATE OR REPLACE TABLE core.promise_allocations AS
WITH grace_settings AS (
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
    WHERE p.promised_date + g.grace_days >= $first_month
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

-- The money each promise's windows hold. A payment counts from the arrangement's start to the
-- promise's `paid_by`; only payments of those (bank) months can, so each promise looks at its
-- account's payments month by month: an equality join on (account, month), not every payment
-- of the account.
payments AS (
    SELECT
        account_id,
        paid_at,
        paid_date,
        amount,
        year(paid_date) * 12 + month(paid_date) AS month_number
    FROM core.payments_net
),

promise_months AS (
    SELECT
        a.grace_days,
        a.promise_id,
        a.account_id,
        a.created_at,
        a.arrangement_started_at,
        a.paid_by,
        m.month_number
    FROM arranged AS a
    CROSS JOIN settings.bank_timezone AS bank
    CROSS JOIN
        UNNEST(
            generate_series(
                year(CAST(a.arrangement_started_at AT TIME ZONE bank.timezone AS DATE)) * 12
                + month(CAST(a.arrangement_started_at AT TIME ZONE bank.timezone AS DATE)),
                year(a.paid_by) * 12 + month(a.paid_by)
            )
        ) AS m (month_number)
),

paid_by_month AS (
    SELECT
        pm.grace_days,
        pm.promise_id,
        sum(pay.amount) AS paid_since_arrangement_start,
        sum(pay.amount) FILTER (WHERE pay.paid_at >= pm.created_at) AS paid_in_window
    FROM promise_months AS pm
    INNER JOIN payments AS pay
        ON pm.account_id = pay.account_id AND pm.month_number = pay.month_number
    WHERE pay.paid_at >= pm.arrangement_started_at AND pay.paid_date <= pm.paid_by
    GROUP BY pm.grace_days, pm.promise_id
),

paid AS (
    SELECT
        a.grace_days,
        a.promise_id,
        coalesce(p.paid_since_arrangement_start, 0) AS paid_since_arrangement_start,
        coalesce(p.paid_in_window, 0) AS paid_in_window
    FROM arranged AS a
    LEFT JOIN paid_by_month AS p ON a.grace_days = p.grace_days AND a.promise_id = p.promise_id
),

cumulated AS (
    SELECT
        a.*,
        p.paid_since_arrangement_start,
        p.paid_in_window,
        sum(a.promised_amount) OVER due_order AS cum_promised
    FROM arranged AS a
    INNER JOIN paid AS p ON a.grace_days = p.grace_days AND a.promise_id = p.promise_id
    WINDOW due_order AS (
        PARTITION BY a.grace_days, a.account_id, a.arrangement_number
        ORDER BY a.paid_by, a.created_at, a.promise_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

received_together AS (
    SELECT
        *,
        cum_promised + least(
            0,
            min(paid_since_arrangement_start - cum_promised) OVER due_order
        ) AS cum_received
    FROM cumulated
    WINDOW due_order AS (
        PARTITION BY grace_days, account_id, arrangement_number
        ORDER BY paid_by, created_at, promise_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
)

SELECT
    CAST(date_trunc('month', paid_by) AS DATE) AS month,
    grace_days,
    promise_id,
    account_id,
    attempt_id,
    agent_id,
    created_at,
    created_date,
    promised_date,
    promised_amount,
    paid_by,
    account_id || '/' || CAST(arrangement_number AS VARCHAR) AS arrangement_id,
    arrangement_promises,
    cum_received - coalesce(
        lag(cum_received) OVER (
            PARTITION BY grace_days, account_id, arrangement_number
            ORDER BY paid_by, created_at, promise_id
        ),
        0
    ) AS paid_amount,
    paid_in_window
FROM received_together
WHERE paid_by BETWEEN $first_month AND last_day($last_month);
