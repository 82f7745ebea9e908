-- core.contact_attempts
-- Purpose: every contact attempt with what the contact and compliance marts need to know about
--          it, worked out once: the debtor's local clock and calendar, the agent's team, the
--          account's flags and bucket on the day, what the outcome means, and the money it
--          brought in.
-- Grain:   one row per contact attempt.
-- Refresh: incremental by month (the debtor's local month of the attempt). A payment credits an
--          attempt up to `paid_within_days` before it, so a month's payments reach back into the
--          months those days span (plus a day for the zones between bank and debtor):
-- Reach: SELECT CAST(ceil((max(CAST(value AS DOUBLE)) + 1) / 28) AS INTEGER) FROM settings.measure_parameters WHERE parameter = 'paid_within_days'
-- Sorted by: account_id
-- Rebuild: one month at a time (each month's file written sorted as it is computed: at
--          1,000,000 accounts six months took 45.3 s this way, 61.0 s as one range split by
--          month and each file sorted again)
-- Columns / measures, in plain words:
--   day_type / day_note    `working` when the debtor's local date is a working weekday that is
--                          not a public holiday, or a make-up working day; else `non_working`
--                          (holidays and make-up days: raw.holidays; weekdays:
--                          settings.working_weekdays). The one holiday calendar (the bank's)
--                          applies to every debtor, on the debtor's local date.
--   do_not_contact, third_party_authorized   the account's flags in the accounts record in
--                          force on the attempt's bank date (core.account_versions, through
--                          core.contacts_local, which finds that record for the debtor's zone)
--   bucket                 the account's bucket on the attempt's bank date
--                          (core.account_day_buckets)
--   risk_grade, delinquency_cause, treatment   the strategy the account was under: the one
--                          mart.account_month assigned at the last month end before the
--                          attempt (a month's own grade and cause use that month's contacts,
--                          so they are the attempt's outcome, not its strategy); empty in an
--                          account's first month
--   is_connect             someone answered: `party` is debtor, third_party or unknown; when
--                          the party is not recorded, the outcome decides
--                          (settings.contact_outcomes)
--   is_right_party         the debtor was reached (party debtor, or by outcome as above)
--   is_conversation        a telephone conversation with the debtor: a `call` that reached the
--                          right party (the Regulation F rule counts from these)
--   is_third_party         a third party was reached or aimed at (party third_party or a
--                          third-party relation recorded)
--   has_promise            the attempt produced a promise to pay: a promise names it
--                          (raw.promises.attempt_id) or its outcome is promise_to_pay
--   amount_paid_within     net payments (reversed ones never count) credited to this attempt:
--                          each payment goes to the latest attempt on its account that started
--                          before it, if it arrived within `paid_within_days` (x 24 hours;
--                          settings.measure_parameters) of that attempt. Last touch: a yuan is
--                          credited to one attempt only, so sums over attempts add up.
CREATE OR REPLACE TABLE core.contact_attempts AS
WITH contacts AS (
    SELECT * FROM core.contacts_local
    WHERE
        local_date BETWEEN $first_month AND last_day($last_month)
        -- The same months as instants, with two days to spare for the zones (a local date is
        -- at most 14 hours from the UTC one): a bound on a column of the files, which skips
        -- the files and row groups of other months (a bound on the local date alone reads
        -- every attempt ever made: 36 million at 1,000,000 accounts).
        AND started_at >= CAST($first_month AS TIMESTAMPTZ) - INTERVAL 2 DAY
        AND started_at < CAST(last_day($last_month) AS TIMESTAMPTZ) + INTERVAL 2 DAY
),

params AS (
    SELECT CAST(value AS INTEGER) AS paid_within_days
    FROM settings.measure_parameters
    WHERE parameter = 'paid_within_days'
),

promises_by_attempt AS (
    SELECT
        attempt_id,
        count(*) AS promises,
        sum(promised_amount) AS promised_amount
    FROM raw.promises
    WHERE attempt_id IS NOT NULL
    GROUP BY attempt_id
),

-- Last-touch credit: attempts and payments of an account on one timeline; each payment takes
-- the latest attempt before it (an attempt at the same instant counts as before). The attempts
-- computed take part, and the later ones that can still take a payment from them: a payment
-- within `paid_within_days` of an attempt computed goes to a later attempt if one came between
-- (the months computed may end before the latest month). A payment whose latest attempt came
-- earlier credits none of them, so the earlier attempts (and the payments before the first
-- attempt computed) can stay out; so can what comes after the last day a payment can credit an
-- attempt computed (three days past the window cover the zones between bank and debtor).
horizon AS (
    SELECT last_day($last_month) + paid_within_days + 3 AS last_day_credited FROM params
),

touches AS (
    SELECT
        c.account_id,
        c.started_at AS touched_at,
        0 AS is_payment,
        c.attempt_id,
        c.started_at AS attempt_started_at,
        CAST(NULL AS DECIMAL(18, 2)) AS amount
    FROM raw.contacts AS c
    -- Bounded as instants only, with two days to spare for the zones on either side: the
    -- debtor's local date is not needed here (nor the accounts records it takes), and every
    -- attempt between an attempt computed and a payment it may take is inside the bounds.
    -- The last one in a subquery (one value), which reaches the file scan where a join with
    -- `horizon` would read every later attempt.
    WHERE
        c.started_at >= CAST($first_month AS TIMESTAMPTZ) - INTERVAL 2 DAY
        AND c.started_at < (
            SELECT CAST(last_day_credited AS TIMESTAMPTZ) + INTERVAL 2 DAY FROM horizon
        )
    UNION ALL
    SELECT
        p.account_id,
        p.paid_at AS touched_at,
        1 AS is_payment,
        CAST(NULL AS VARCHAR) AS attempt_id,
        CAST(NULL AS TIMESTAMPTZ) AS attempt_started_at,
        p.amount
    FROM core.payments_net AS p
    CROSS JOIN horizon AS h
    WHERE
        p.paid_at >= CAST($first_month AS TIMESTAMPTZ) - INTERVAL 2 DAY
        AND p.paid_at < CAST(h.last_day_credited AS TIMESTAMPTZ)
),

credited AS (
    SELECT
        is_payment,
        touched_at,
        amount,
        last_value(attempt_id IGNORE NULLS) OVER timeline AS credited_attempt_id,
        last_value(attempt_started_at IGNORE NULLS) OVER timeline AS credited_attempt_started_at
    FROM touches
    WINDOW timeline AS (
        PARTITION BY account_id
        ORDER BY touched_at, is_payment, attempt_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

paid_after AS (
    SELECT
        cr.credited_attempt_id AS attempt_id,
        sum(cr.amount) AS amount_paid_within
    FROM credited AS cr
    CROSS JOIN params AS p
    WHERE
        cr.is_payment = 1
        AND cr.credited_attempt_id IS NOT NULL
        AND epoch(cr.touched_at) - epoch(cr.credited_attempt_started_at)
        <= p.paid_within_days * 86400
    GROUP BY cr.credited_attempt_id
),

enriched AS (
    SELECT
        c.*,
        ag.agent_name,
        ag.team,
        ag.agency,
        CASE
            WHEN h.kind = 'makeup_workday' THEN 'working'
            WHEN h.kind = 'holiday' THEN 'non_working'
            WHEN w.is_working THEN 'working'
            ELSE 'non_working'
        END AS day_type,
        CASE
            WHEN h.kind = 'holiday' THEN 'public holiday' || coalesce(' (' || h.name || ')', '')
            WHEN h.kind = 'makeup_workday'
                THEN 'make-up working day' || coalesce(' (' || h.name || ')', '')
            WHEN NOT w.is_working THEN 'weekend'
        END AS day_note,
        b.bucket,
        strategy.risk_grade,
        strategy.delinquency_cause,
        strategy.treatment,
        CASE
            WHEN c.party IS NOT NULL THEN c.party IN ('debtor', 'third_party', 'unknown')
            ELSE coalesce(o.is_connect, false)
        END AS is_connect,
        CASE
            WHEN c.party IS NOT NULL THEN c.party = 'debtor'
            ELSE coalesce(o.is_right_party, false)
        END AS is_right_party,
        coalesce(c.party = 'third_party', false) OR c.third_party_relation IS NOT NULL
            AS is_third_party,
        coalesce(pr.promises, 0) > 0 OR c.outcome = 'promise_to_pay' AS has_promise,
        coalesce(pr.promised_amount, 0) AS promised_amount,
        coalesce(pa.amount_paid_within, 0) AS amount_paid_within
    FROM contacts AS c
    LEFT JOIN raw.holidays AS h ON c.local_date = h.date
    LEFT JOIN settings.working_weekdays AS w ON c.local_weekday = w.iso_weekday
    -- The agent's name, team and agency on the attempt's date (core.agent_versions).
    LEFT JOIN core.agent_versions AS ag
        ON c.agent_id = ag.agent_id
        AND (ag.in_force_from IS NULL OR c.bank_date >= ag.in_force_from)
        AND (ag.in_force_until IS NULL OR c.bank_date < ag.in_force_until)
    -- (The bounds on the month folders of the two tables read only the months the attempts
    -- computed can match: their bank dates lie within two days of the months computed.)
    LEFT JOIN core.account_day_buckets AS b
        ON c.account_id = b.account_id
        AND c.bank_date = b.day
        AND b.month BETWEEN CAST($first_month - INTERVAL 1 MONTH AS DATE)
        AND CAST($last_month + INTERVAL 1 MONTH AS DATE)
    LEFT JOIN mart.account_month AS strategy
        ON c.account_id = strategy.account_id
        AND CAST(CAST(date_trunc('month', c.bank_date) AS DATE) - INTERVAL 1 MONTH AS DATE)
        = strategy.month
        AND strategy.month BETWEEN CAST($first_month - INTERVAL 2 MONTH AS DATE) AND $last_month
    LEFT JOIN settings.contact_outcomes AS o ON c.outcome = o.outcome
    LEFT JOIN promises_by_attempt AS pr ON c.attempt_id = pr.attempt_id
    LEFT JOIN paid_after AS pa ON c.attempt_id = pa.attempt_id
)

SELECT
    attempt_id,
    account_id,
    agent_id,
    agent_name,
    team,
    agency,
    channel,
    outcome,
    party,
    third_party_relation,
    started_at,
    duration_s,
    contact_number_masked,
    contact_number_hash,
    debtor_timezone,
    local_time,
    local_date,
    CAST(date_trunc('month', local_date) AS DATE) AS month,
    local_hour,
    local_clock,
    local_weekday,
    bank_date,
    day_type,
    day_note,
    do_not_contact,
    third_party_authorized,
    account_record_date,
    bucket,
    risk_grade,
    delinquency_cause,
    treatment,
    is_connect,
    is_right_party,
    channel = 'call' AND is_right_party AS is_conversation,
    is_third_party,
    has_promise,
    promised_amount,
    amount_paid_within
FROM enriched;
