-- settings.compliance_rule_channels
-- Purpose: which contact channels each compliance rule judges (a rule ignores the others).
-- Grain:   one row per rule x channel.
-- Defaults: the bank's hours and working days bind calls, IVR and visits (its procedure sends
--          the first-day SMS whatever the day); quiet hours and inconvenient times bind every
--          channel that reaches a person at once (calls, IVR, SMS, e-mail, visits; not letters);
--          attempt caps and the after-conversation rule count telephone calls (agent and IVR);
--          do-not-contact and third-party rules bind every channel.
CREATE TABLE IF NOT EXISTS settings.compliance_rule_channels (
    rule_set VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    PRIMARY KEY (rule_set, rule, channel)
);

INSERT INTO settings.compliance_rule_channels
SELECT r.rule_set, r.rule, c.channel
FROM (
    VALUES
        ('bank', 'calling_hours', 'voice'),
        ('bank', 'non_working_day', 'voice'),
        ('bank', 'do_not_contact', 'all'),
        ('bank', 'unauthorised_third_party', 'all'),
        ('china', 'quiet_hours', 'live'),
        ('china', 'attempts_per_number_per_day', 'telephone'),
        ('china', 'unrelated_third_party', 'all'),
        ('reg_f', 'inconvenient_time', 'live'),
        ('reg_f', 'calls_in_7_days', 'telephone'),
        ('reg_f', 'call_after_conversation', 'telephone')
) AS r (rule_set, rule, channel_group)
INNER JOIN (
    -- the channel groups above, spelled out once
    VALUES
        ('voice', 'call'), ('voice', 'ivr'), ('voice', 'visit'),
        ('telephone', 'call'), ('telephone', 'ivr'),
        ('live', 'call'), ('live', 'ivr'), ('live', 'sms'), ('live', 'email'), ('live', 'visit'),
        ('all', 'call'), ('all', 'ivr'), ('all', 'sms'), ('all', 'email'), ('all', 'visit'),
        ('all', 'letter')
) AS c (channel_group, channel) ON r.channel_group = c.channel_group
WHERE NOT EXISTS (SELECT 1 FROM settings.compliance_rule_channels);
