-- mart.permitted_contact_slots
-- Purpose: which weekly slots (the debtor's local weekday x hour) the compliance rules in force
--          allow for each channel, so a recommended time to call never names a slot a rule set
--          forbids, and the heat map can grey the forbidden ones. Only the rules about *when*
--          are judged here (permitted windows and non-working days); caps, do-not-contact and
--          third parties depend on the attempt, not on the slot.
-- Grain:   one row per channel x ISO weekday (1 = Monday) x hour (0-23).
-- Measures:
--   day_type      working or non_working, from settings.working_weekdays (a holiday or a
--                 make-up working day falls on a date, not on a weekly slot: the breaches view
--                 judges those).
--   is_permitted  the whole hour lies inside a permitted window of every window rule in force
--                 that binds the channel and has windows for the day type (its rule set in force
--                 too), and no non-working-day rule in force binds the channel on a non-working
--                 day. A rule set scoped to some debtors' zones (settings.compliance_rule_sets.
--                 applies_to_timezones) is judged as if every debtor were in scope: the stricter
--                 reading.
--   forbidden_by  the rules that forbid the slot, `rule_set.rule`, comma separated (empty when
--                 permitted).
--   rule_sets     the rule sets in force whose rules were judged for the channel, comma
--                 separated: the ones a recommendation respects.
CREATE OR REPLACE VIEW mart.permitted_contact_slots AS
WITH hours AS (
    SELECT hour
    FROM (
        VALUES
            (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11),
            (12), (13), (14), (15), (16), (17), (18), (19), (20), (21), (22), (23)
    ) AS h (hour)
),

slots AS (
    SELECT
        c.channel,
        w.iso_weekday AS weekday,
        h.hour,
        CASE WHEN w.is_working THEN 'working' ELSE 'non_working' END AS day_type,
        lpad(CAST(h.hour AS VARCHAR), 2, '0') || ':00:00' AS slot_start,
        lpad(CAST(h.hour + 1 AS VARCHAR), 2, '0') || ':00:00' AS slot_end
    FROM (SELECT DISTINCT channel FROM settings.compliance_rule_channels) AS c
    CROSS JOIN settings.working_weekdays AS w
    CROSS JOIN hours AS h
),

rules AS (
    SELECT
        r.rule_set,
        r.rule,
        r.check_kind,
        ch.channel
    FROM settings.compliance_rules AS r
    INNER JOIN settings.compliance_rule_sets AS s ON r.rule_set = s.rule_set
    INNER JOIN settings.compliance_rule_channels AS ch
        ON r.rule_set = ch.rule_set AND r.rule = ch.rule
    WHERE r.in_force AND s.in_force AND r.check_kind IN ('window', 'non_working_day')
),

-- Window rules with windows for the slot's day type, and whether one covers the whole hour.
window_verdicts AS (
    SELECT
        s.channel,
        s.weekday,
        s.hour,
        r.rule_set,
        r.rule,
        bool_or(w.starts_at <= s.slot_start AND w.ends_at >= s.slot_end) AS covered
    FROM slots AS s
    INNER JOIN rules AS r ON s.channel = r.channel AND r.check_kind = 'window'
    INNER JOIN settings.contact_windows AS w
        ON
            r.rule_set = w.rule_set
            AND r.rule = w.rule
            AND (w.day_type = s.day_type OR w.day_type = 'any')
    GROUP BY s.channel, s.weekday, s.hour, r.rule_set, r.rule
),

forbidding AS (
    SELECT
        channel,
        weekday,
        hour,
        rule_set || '.' || rule AS rule_name
    FROM window_verdicts
    WHERE NOT covered
    UNION ALL
    SELECT
        s.channel,
        s.weekday,
        s.hour,
        r.rule_set || '.' || r.rule AS rule_name
    FROM slots AS s
    INNER JOIN rules AS r ON s.channel = r.channel AND r.check_kind = 'non_working_day'
    WHERE s.day_type = 'non_working'
),

forbidden AS (
    SELECT
        channel,
        weekday,
        hour,
        array_to_string(array_sort(array_agg(rule_name)), ', ') AS forbidden_by
    FROM forbidding
    GROUP BY channel, weekday, hour
),

judged AS (
    SELECT
        channel,
        array_to_string(array_sort(array_agg(DISTINCT rule_set)), ', ') AS rule_sets
    FROM rules
    GROUP BY channel
)

SELECT
    s.channel,
    s.weekday,
    s.hour,
    s.day_type,
    f.forbidden_by IS NULL AS is_permitted,
    f.forbidden_by,
    j.rule_sets
FROM slots AS s
LEFT JOIN forbidden AS f ON s.channel = f.channel AND s.weekday = f.weekday AND s.hour = f.hour
LEFT JOIN judged AS j ON s.channel = j.channel;
