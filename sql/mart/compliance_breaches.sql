-- mart.compliance_breaches
-- Purpose: every contact attempt that broke a compliance rule (违规), for the compliance officer:
--          each attempt is judged against every rule of every rule set in force
--          (settings.compliance_rule_sets / compliance_rules) whose scope covers the debtor and
--          whose channels include the attempt's (settings.compliance_rule_channels). Times and
--          days are the debtor's local ones (core.contacts_local); account flags are those of the
--          accounts record in force on the attempt's date (core.account_versions).
-- Grain:   one row per breached rule per attempt (an attempt may break several rules, and the
--          same behaviour may break a rule of each rule set).
-- Refresh: incremental by month (of the attempt's local date). A month's attempts are judged with
--          the attempts of the `period_days` before them that a cap or a conversation counts
--          (settings.frequency_caps), read alongside.
-- Sorted by: account_id
-- The checks (`check_kind`), in plain words:
--   window              no permitted window of the rule covers the local time, on a day type the
--                       rule has windows for (settings.contact_windows: start inclusive, end
--                       exclusive unless `ends_inclusive`)
--   non_working_day     the local date is not a working day: a public holiday, or a weekend that
--                       is not a make-up working day
--   number_cap          the attempt is the (max_attempts + 1)-th or later to the same number
--                       (keyed hash; across accounts) within `period_days` local days (1 = that
--                       day) with no answer in between: "6 attempts a day to the same unanswered
--                       number" counts the attempts since the number last answered, and an
--                       answer starts the count again (the attempt that is answered still counts)
--   rolling_cap         the call is at least the (max_attempts + 1)-th call to the debtor about
--                       this account within `period_days` consecutive local days (Reg F: the 8th
--                       call in 7 days breaches, the 7th does not); attempts aimed at third
--                       parties are not calls to the debtor
--   after_conversation  a call to the debtor within `period_days` consecutive days after a
--                       telephone conversation with them (a call that reached the right party);
--                       the conversation's local date is day 1 (12 CFR 1006.14(b)(2)(i)(B)), so
--                       with 7: a call later that day or 1-6 days later breaches, 7 days later
--                       does not
--   do_not_contact      any attempt on an account flagged do-not-contact
--   third_party         a third party was reached or aimed at (party third_party, or a relation
--                       recorded) while the customer had not authorised third-party contact
CREATE OR REPLACE TABLE mart.compliance_breaches AS
-- Every check reads core.contact_attempts itself (a table: only the columns it needs), not a
-- shared CTE that would hold every attempt's columns at once. A check of the attempt alone reads
-- the months judged; the caps and the conversation rule read from the earliest day a rule can
-- look back to from the first month judged (in a one-value subquery, which reaches the file
-- scan where a join would read every month), and no later than the last month judged: every
-- rule counts earlier attempts only.
WITH lookback AS (
    SELECT
        CAST($first_month AS DATE) - CAST(coalesce(max(period_days), 0) AS INTEGER) AS since
    FROM settings.frequency_caps
),

-- The rules in force, with the channels each binds and the debtors its rule set covers.
rules AS (
    SELECT
        r.rule_set,
        r.rule,
        r.check_kind,
        c.channel,
        s.applies_to_timezones
    FROM settings.compliance_rules AS r
    INNER JOIN settings.compliance_rule_sets AS s ON r.rule_set = s.rule_set
    INNER JOIN settings.compliance_rule_channels AS c
        ON r.rule_set = c.rule_set AND r.rule = c.rule
    WHERE r.in_force AND s.in_force
),

caps AS (
    SELECT
        r.rule_set,
        r.rule,
        r.check_kind,
        r.channel,
        r.applies_to_timezones,
        f.max_attempts,
        f.period_days
    FROM rules AS r
    INNER JOIN settings.frequency_caps AS f ON r.rule_set = f.rule_set AND r.rule = f.rule
),

-- Window rules: the permitted windows per rule and day type, and their text for the detail.
day_types AS (
    SELECT 'working' AS day_type
    UNION ALL
    SELECT 'non_working' AS day_type
),

windows AS (
    SELECT
        w.rule_set,
        w.rule,
        d.day_type,
        w.starts_at,
        w.ends_at,
        w.ends_inclusive
    FROM settings.contact_windows AS w
    INNER JOIN day_types AS d ON w.day_type = 'any' OR w.day_type = d.day_type
),

window_rules AS (
    SELECT
        r.rule_set,
        r.rule,
        r.channel,
        r.applies_to_timezones,
        w.day_type,
        array_to_string(array_sort(array_agg(w.starts_at || '-' || w.ends_at)), ', ') AS permitted
    FROM rules AS r
    INNER JOIN windows AS w ON r.rule_set = w.rule_set AND r.rule = w.rule
    WHERE r.check_kind = 'window'
    GROUP BY r.rule_set, r.rule, r.channel, r.applies_to_timezones, w.day_type
),

window_breaches AS (
    SELECT
        a.attempt_id,
        r.rule_set,
        r.rule,
        a.channel || ' at ' || strftime(a.local_time, '%a %Y-%m-%d %H:%M:%S')
        || ' local time (' || a.debtor_timezone || '), a ' || replace(a.day_type, '_', '-')
        || ' day; permitted ' || r.permitted AS detail
    FROM core.contact_attempts AS a
    INNER JOIN window_rules AS r
        ON a.channel = r.channel
        AND a.day_type = r.day_type
        AND (r.applies_to_timezones IS NULL OR a.debtor_timezone LIKE r.applies_to_timezones)
    LEFT JOIN windows AS w
        ON r.rule_set = w.rule_set
        AND r.rule = w.rule
        AND a.day_type = w.day_type
        AND a.local_clock >= w.starts_at
        AND (a.local_clock < w.ends_at OR (w.ends_inclusive AND a.local_clock = w.ends_at))
    WHERE
        a.month BETWEEN $first_month AND $last_month
        AND w.rule IS NULL
),

non_working_day_breaches AS (
    SELECT
        a.attempt_id,
        r.rule_set,
        r.rule,
        a.channel || ' on ' || strftime(a.local_time, '%a %Y-%m-%d') || ' at '
        || strftime(a.local_time, '%H:%M:%S') || ' local time (' || a.debtor_timezone || '), '
        || coalesce(a.day_note, 'a non-working day') AS detail
    FROM core.contact_attempts AS a
    INNER JOIN rules AS r
        ON a.channel = r.channel
        AND (r.applies_to_timezones IS NULL OR a.debtor_timezone LIKE r.applies_to_timezones)
    WHERE
        a.month BETWEEN $first_month AND $last_month
        AND r.check_kind = 'non_working_day' AND a.day_type = 'non_working'
),

-- Number caps. Only numbers that can break the cap are numbered: more than `max_attempts`
-- within `period_days` days needs, on some day, at least (max_attempts + 1) / period_days of
-- them (a cheap filter that keeps the window functions below small).
number_days AS (
    SELECT
        c.rule_set,
        c.rule,
        a.contact_number_hash,
        a.local_date,
        max(c.max_attempts) AS max_attempts,
        max(c.period_days) AS period_days,
        count(*) AS attempts_that_day
    FROM core.contact_attempts AS a
    INNER JOIN caps AS c
        ON a.channel = c.channel
        AND (c.applies_to_timezones IS NULL OR a.debtor_timezone LIKE c.applies_to_timezones)
    WHERE
        a.local_date >= (SELECT since FROM lookback)
        AND a.month <= $last_month
        AND c.check_kind = 'number_cap' AND a.contact_number_hash IS NOT NULL
    GROUP BY c.rule_set, c.rule, a.contact_number_hash, a.local_date
),

busy_numbers AS (
    SELECT DISTINCT rule_set, rule, contact_number_hash
    FROM number_days
    WHERE attempts_that_day * period_days > max_attempts
),

-- The attempts to busy numbers only (read from the table again rather than kept from above:
-- every attempt's row would be held in memory between the two steps).
number_attempts_all AS (
    SELECT
        a.attempt_id,
        c.rule_set,
        c.rule,
        a.contact_number_hash,
        a.contact_number_masked,
        a.started_at,
        a.local_time,
        a.local_date,
        a.is_connect,
        c.max_attempts,
        c.period_days
    FROM core.contact_attempts AS a
    INNER JOIN caps AS c
        ON a.channel = c.channel
        AND (c.applies_to_timezones IS NULL OR a.debtor_timezone LIKE c.applies_to_timezones)
    INNER JOIN busy_numbers AS b
        ON c.rule_set = b.rule_set
        AND c.rule = b.rule
        AND a.contact_number_hash = b.contact_number_hash
    WHERE
        a.local_date >= (SELECT since FROM lookback)
        AND a.month <= $last_month
        AND c.check_kind = 'number_cap' AND a.contact_number_hash IS NOT NULL
),

-- Runs of attempts to one number since it last answered, numbered in order.
number_attempts AS (
    SELECT
        n.*,
        coalesce(
            sum(CASE WHEN n.is_connect THEN 1 ELSE 0 END) OVER (
                PARTITION BY n.rule_set, n.rule, n.contact_number_hash
                ORDER BY n.started_at, n.attempt_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ),
            0
        ) AS answered_before
    FROM number_attempts_all AS n
),

number_runs AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY rule_set, rule, contact_number_hash, answered_before
            ORDER BY started_at, attempt_id
        ) AS attempt_in_run
    FROM number_attempts
),

number_cap_breaches AS (
    SELECT
        n.attempt_id,
        n.rule_set,
        n.rule,
        'attempt to ' || coalesce(n.contact_number_masked, 'the same number') || ' on '
        || strftime(n.local_time, '%Y-%m-%d %H:%M:%S') || ' local time after '
        || CAST(n.max_attempts AS VARCHAR) || ' unanswered attempts since '
        || strftime(earlier.local_time, '%Y-%m-%d %H:%M:%S') || ' (at most '
        || CAST(n.max_attempts AS VARCHAR) || ' in ' || CAST(n.period_days AS VARCHAR)
        || ' day(s) while the number does not answer)' AS detail
    FROM number_runs AS n
    INNER JOIN number_runs AS earlier
        ON n.rule_set = earlier.rule_set
        AND n.rule = earlier.rule
        AND n.contact_number_hash = earlier.contact_number_hash
        AND n.answered_before = earlier.answered_before
        AND n.attempt_in_run - n.max_attempts = earlier.attempt_in_run
    WHERE date_diff('day', earlier.local_date, n.local_date) < n.period_days
),

-- Rolling caps: calls to the debtor about one account, numbered in order; the call
-- `max_attempts` places earlier being inside the period means this one is one too many. Only
-- accounts that can break the cap are numbered (the same filter as for numbers).
debtor_calls_all AS (
    SELECT
        a.attempt_id,
        c.rule_set,
        c.rule,
        a.account_id,
        a.channel,
        a.started_at,
        a.local_time,
        a.local_date,
        c.max_attempts,
        c.period_days
    FROM core.contact_attempts AS a
    INNER JOIN caps AS c
        ON a.channel = c.channel
        AND (c.applies_to_timezones IS NULL OR a.debtor_timezone LIKE c.applies_to_timezones)
    WHERE
        a.local_date >= (SELECT since FROM lookback)
        AND a.month <= $last_month
        AND c.check_kind = 'rolling_cap' AND NOT a.is_third_party
),

busy_accounts AS (
    SELECT DISTINCT rule_set, rule, account_id
    FROM (
        SELECT
            rule_set,
            rule,
            account_id,
            max(max_attempts) AS max_attempts,
            max(period_days) AS period_days,
            count(*) AS calls_that_day
        FROM debtor_calls_all
        GROUP BY rule_set, rule, account_id, local_date
    ) AS days
    WHERE calls_that_day * period_days > max_attempts
),

debtor_calls AS (
    SELECT
        d.*,
        row_number() OVER (
            PARTITION BY d.rule_set, d.rule, d.account_id
            ORDER BY d.started_at, d.attempt_id
        ) AS call_number
    FROM debtor_calls_all AS d
    INNER JOIN busy_accounts AS b
        ON d.rule_set = b.rule_set AND d.rule = b.rule AND d.account_id = b.account_id
),

rolling_cap_breaches AS (
    SELECT
        n.attempt_id,
        n.rule_set,
        n.rule,
        n.channel || ' on ' || strftime(n.local_time, '%Y-%m-%d %H:%M:%S')
        || ' local time is one of more than ' || CAST(n.max_attempts AS VARCHAR)
        || ' calls within ' || CAST(n.period_days AS VARCHAR) || ' consecutive days ('
        || CAST(n.max_attempts AS VARCHAR) || ' earlier since '
        || strftime(earlier.local_time, '%Y-%m-%d %H:%M:%S') || ')' AS detail
    FROM debtor_calls AS n
    INNER JOIN debtor_calls AS earlier
        ON n.rule_set = earlier.rule_set
        AND n.rule = earlier.rule
        AND n.account_id = earlier.account_id
        AND n.call_number - n.max_attempts = earlier.call_number
    WHERE date_diff('day', earlier.local_date, n.local_date) < n.period_days
),

-- After a conversation: for the debtors a rule covers, the latest conversation on the account
-- before each attempt (whichever channel the attempt used).
conversation_rules AS (
    SELECT DISTINCT rule_set, rule, applies_to_timezones, period_days
    FROM caps
    WHERE check_kind = 'after_conversation'
),

since_conversation AS (
    SELECT
        a.attempt_id,
        a.channel,
        a.local_time,
        a.local_date,
        a.is_third_party,
        r.rule_set,
        r.rule,
        r.period_days,
        last_value(CASE WHEN a.is_conversation THEN a.attempt_id END IGNORE NULLS)
            OVER earlier AS conversation_attempt_id,
        last_value(CASE WHEN a.is_conversation THEN a.local_date END IGNORE NULLS)
            OVER earlier AS conversation_date
    FROM core.contact_attempts AS a
    INNER JOIN conversation_rules AS r
        ON r.applies_to_timezones IS NULL OR a.debtor_timezone LIKE r.applies_to_timezones
    WHERE
        a.local_date >= (SELECT since FROM lookback)
        AND a.month <= $last_month
    WINDOW earlier AS (
        PARTITION BY r.rule_set, r.rule, a.account_id
        ORDER BY a.started_at, a.attempt_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    )
),

after_conversation_breaches AS (
    SELECT
        s.attempt_id,
        s.rule_set,
        s.rule,
        s.channel || ' on ' || strftime(s.local_time, '%Y-%m-%d %H:%M:%S') || ' local time, '
        || CAST(date_diff('day', s.conversation_date, s.local_date) AS VARCHAR)
        || ' day(s) after a conversation with the debtor on '
        || strftime(s.conversation_date, '%Y-%m-%d') || ' (attempt ' || s.conversation_attempt_id
        || '); no calls for ' || CAST(s.period_days AS VARCHAR)
        || ' days counting the conversation day' AS detail
    FROM since_conversation AS s
    INNER JOIN caps AS c
        ON s.rule_set = c.rule_set AND s.rule = c.rule AND s.channel = c.channel
    WHERE
        NOT s.is_third_party
        AND s.conversation_date IS NOT NULL
        AND date_diff('day', s.conversation_date, s.local_date) < s.period_days
),

do_not_contact_breaches AS (
    SELECT
        a.attempt_id,
        r.rule_set,
        r.rule,
        a.channel || ' on ' || strftime(a.local_time, '%Y-%m-%d %H:%M:%S')
        || ' local time to a do-not-contact account (accounts record of '
        || coalesce(strftime(a.account_record_date, '%Y-%m-%d'), 'unknown date') || ')'
            AS detail
    FROM core.contact_attempts AS a
    INNER JOIN rules AS r
        ON a.channel = r.channel
        AND (r.applies_to_timezones IS NULL OR a.debtor_timezone LIKE r.applies_to_timezones)
    WHERE
        a.month BETWEEN $first_month AND $last_month
        AND r.check_kind = 'do_not_contact' AND a.do_not_contact
),

third_party_breaches AS (
    SELECT
        a.attempt_id,
        r.rule_set,
        r.rule,
        a.channel || ' on ' || strftime(a.local_time, '%Y-%m-%d %H:%M:%S') || ' local time '
        || CASE WHEN a.party = 'third_party' THEN 'reached' ELSE 'aimed at' END
        || ' a third party (' || coalesce(a.third_party_relation, 'relation not recorded')
        || ') without the customer''s authorisation' AS detail
    FROM core.contact_attempts AS a
    INNER JOIN rules AS r
        ON a.channel = r.channel
        AND (r.applies_to_timezones IS NULL OR a.debtor_timezone LIKE r.applies_to_timezones)
    WHERE
        a.month BETWEEN $first_month AND $last_month
        AND r.check_kind = 'third_party' AND a.is_third_party AND NOT a.third_party_authorized
),

breaches AS (
    SELECT * FROM window_breaches
    UNION ALL
    SELECT * FROM non_working_day_breaches
    UNION ALL
    SELECT * FROM number_cap_breaches
    UNION ALL
    SELECT * FROM rolling_cap_breaches
    UNION ALL
    SELECT * FROM after_conversation_breaches
    UNION ALL
    SELECT * FROM do_not_contact_breaches
    UNION ALL
    SELECT * FROM third_party_breaches
)

SELECT
    a.attempt_id,
    a.account_id,
    a.agent_id,
    a.agent_name,
    a.team,
    a.agency,
    a.channel,
    a.outcome,
    a.started_at,
    a.local_time,
    a.local_date,
    a.month,
    a.debtor_timezone AS timezone,
    b.rule_set,
    b.rule,
    b.detail
FROM breaches AS b
INNER JOIN core.contact_attempts AS a ON b.attempt_id = a.attempt_id
WHERE a.month BETWEEN $first_month AND $last_month;
