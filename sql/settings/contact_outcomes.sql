-- settings.contact_outcomes
-- Purpose: what each contact outcome code means for contact effectiveness, used when the dialer
--          did not record who was reached (`party` empty). When `party` is given it decides:
--          a connect is any attempt where someone answered (party debtor, third_party or
--          unknown); a right-party contact (RPC) is one that reached the debtor (party debtor).
-- Grain:   one row per outcome code of the contacts extract.
-- Defaults: an outcome only the debtor can give (right_party, promise_to_pay, refused, dispute)
--          is a right-party contact; wrong_number, third_party and callback are connects with
--          someone else (or an unknown person); no answer, busy, voicemail, SMS, letters and
--          visits are not connects unless `party` says someone was reached.
CREATE TABLE IF NOT EXISTS settings.contact_outcomes (
    outcome VARCHAR PRIMARY KEY,
    is_connect BOOLEAN NOT NULL,
    is_right_party BOOLEAN NOT NULL
);

INSERT INTO settings.contact_outcomes
SELECT * FROM (
    VALUES
        ('no_answer', false, false),
        ('busy', false, false),
        ('wrong_number', true, false),
        ('voicemail', false, false),
        ('right_party', true, true),
        ('third_party', true, false),
        ('promise_to_pay', true, true),
        ('refused', true, true),
        ('dispute', true, true),
        ('callback', true, false),
        ('sms_delivered', false, false),
        ('sms_failed', false, false),
        ('letter_sent', false, false),
        ('visit_done', false, false)
) AS defaults (outcome, is_connect, is_right_party)
WHERE NOT EXISTS (SELECT 1 FROM settings.contact_outcomes);
