"""The outgoing mail queue without a network (AP-CONT-1, AUDIT-1): backoff schedule, FAILED after ten
attempts and retried by hand, a refused recipient does not block the others, an unreachable server
costs one attempt only, a claimed mail is not taken twice, and delivery can be disabled."""
import datetime
import smtplib

import pytest

from models import AuditRecord, OutgoingMail
from portal.messages import queue
from portal.messages.queue import (FAILED, MAX_ATTEMPTS, PENDING, SENT, RetryRefused, ServerUnavailable, SmtpSettings,
                                   backoff, build_message, claim, deliver_pending, enqueue, retry_failed,
                                   settings_from_config)
from tests.factories import make_user

NOW = datetime.datetime(2026, 11, 25, 9, 0, 0)
SETTINGS = SmtpSettings(host="smtp.test", port=2525, sender="Comptoir <compta@comptoir.test>")


class FakeTransport:
    """Stands for the SMTP connection: records what it sends, fails as told."""

    def __init__(self, fail=None):
        self.sent = []
        self.fail = fail or (lambda message: None)
        self.closed = False

    def send(self, message):
        error = self.fail(message)
        if error is not None:
            raise error
        self.sent.append(message)

    def close(self):
        self.closed = True


def _mail(mail_id):
    return OutgoingMail.get_by_id(mail_id)


def test_ap_cont_1_backoff_1_5_15_60_minutes_capped_at_6_hours():
    assert [backoff(n) // datetime.timedelta(minutes=1) for n in range(1, 11)] == [
        1, 5, 15, 60, 120, 240, 360, 360, 360, 360]


def test_ap_cont_1_enqueue_keeps_the_mail_in_the_database(app):
    mail = enqueue(["jeanne@dupont.test", " paul@dupont.test "], "Facture n° F-1 refusée", "Bonjour", now=NOW)
    assert (mail.to, mail.status, mail.attempts, mail.next_attempt_at) == (
        "jeanne@dupont.test, paul@dupont.test", PENDING, 0, NOW)
    with pytest.raises(ValueError):
        enqueue([], "Sans destinataire", "x")


def test_ap_cont_1_message_is_utf8_with_french_subject(app):
    mail = enqueue("jeanne@dupont.test", "Votre facture n° F-1 a été refusée", "Motif : écart de prix – 12,50 €",
                   now=NOW)
    message = build_message(mail, SETTINGS.sender)
    assert message["Subject"] == "Votre facture n° F-1 a été refusée"
    assert message["From"] == "Comptoir <compta@comptoir.test>" and message["To"] == "jeanne@dupont.test"
    assert message.get_content_charset() == "utf-8" and "écart de prix – 12,50 €" in message.get_content()
    assert message["Message-ID"].endswith("@comptoir.test>")


def test_ap_cont_1_sent_mail_is_marked_with_its_time(app):
    mail = enqueue("jeanne@dupont.test", "Objet", "Corps", now=NOW)
    transport = FakeTransport()
    report = deliver_pending(SETTINGS, NOW, transport=transport)
    assert report.sent == [mail.id] and len(transport.sent) == 1 and transport.closed
    sent = _mail(mail.id)
    assert (sent.status, sent.sent_at, sent.attempts) == (SENT, NOW, 0)
    assert deliver_pending(SETTINGS, NOW + datetime.timedelta(hours=1), transport=FakeTransport()).sent == []


def test_ap_cont_1_refused_mail_is_rescheduled_and_others_still_go(app):
    bad = enqueue("inconnu@dupont.test", "A", "x", now=NOW)
    good = enqueue("jeanne@dupont.test", "B", "x", now=NOW)

    def refuse_unknown(message):
        if message["To"] == "inconnu@dupont.test":
            return smtplib.SMTPRecipientsRefused({"inconnu@dupont.test": (550, b"5.1.1 User unknown")})

    report = deliver_pending(SETTINGS, NOW, transport=FakeTransport(refuse_unknown))
    assert report.sent == [good.id] and report.retried == [bad.id]
    refused = _mail(bad.id)
    assert (refused.status, refused.attempts) == (PENDING, 1)
    assert "inconnu@dupont.test (550 5.1.1 User unknown)" in refused.last_error
    assert refused.next_attempt_at == NOW + datetime.timedelta(minutes=1)


def test_ap_cont_1_unreachable_server_costs_one_attempt_and_stops_the_run(app):
    first = enqueue("a@dupont.test", "A", "x", now=NOW)
    second = enqueue("b@dupont.test", "B", "x", now=NOW)
    down = FakeTransport(lambda message: ServerUnavailable("ConnectionRefusedError: [Errno 111] Connection refused"))
    report = deliver_pending(SETTINGS, NOW, transport=down)
    assert report.server_down and report.retried == [first.id] and report.sent == []
    assert (_mail(first.id).attempts, _mail(first.id).status) == (1, PENDING)
    assert "Connection refused" in _mail(first.id).last_error
    assert (_mail(second.id).attempts, _mail(second.id).next_attempt_at) == (0, NOW), "kept its turn"


def test_ap_cont_1_failed_after_ten_attempts_then_retried_by_hand(app):
    mail = enqueue("jeanne@dupont.test", "Objet", "x", now=NOW)
    now = NOW
    failing = FakeTransport(lambda message: smtplib.SMTPDataError(451, b"4.3.0 Try again later"))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deliver_pending(SETTINGS, now, transport=failing)
        current = _mail(mail.id)
        assert current.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert current.status == PENDING and current.next_attempt_at == now + backoff(attempt)
            now = current.next_attempt_at
    assert current.status == FAILED and "451 4.3.0 Try again later" in current.last_error
    assert deliver_pending(SETTINGS, now + datetime.timedelta(days=2), transport=FakeTransport()).sent == []

    admin = make_user("admin", is_admin=True)
    later = now + datetime.timedelta(days=2)
    retried = retry_failed(current, admin, now=later)
    assert (retried.status, retried.attempts, retried.next_attempt_at) == (PENDING, 0, later)
    record = AuditRecord.get(AuditRecord.action == "mail.retry")
    assert record.actor == "admin" and '"attempts": 10' in record.before
    with pytest.raises(RetryRefused):
        retry_failed(retried, admin)
    assert deliver_pending(SETTINGS, later, transport=FakeTransport()).sent == [mail.id]


def test_ap_cont_1_a_claimed_mail_is_not_taken_twice(app):
    mail = enqueue("jeanne@dupont.test", "Objet", "x", now=NOW)
    assert claim(mail.id, NOW) is not None
    assert claim(mail.id, NOW) is None, "the other worker loses the conditional UPDATE"
    assert deliver_pending(SETTINGS, NOW, transport=FakeTransport()).sent == []
    # A worker that died with the mail claimed: it becomes due again when the lease ends.
    assert deliver_pending(SETTINGS, NOW + queue.CLAIM_LEASE, transport=FakeTransport()).sent == [mail.id]


def test_ap_cont_1_disabled_delivery_keeps_the_mails_queued(app):
    mail = enqueue("jeanne@dupont.test", "Objet", "x", now=NOW)
    report = deliver_pending(SmtpSettings(host=None), NOW)
    assert report.disabled and "désactivé" in report.summary()
    assert (_mail(mail.id).status, _mail(mail.id).attempts) == (PENDING, 0)


def test_ap_cont_1_settings_read_from_the_flask_config_keys():
    settings = settings_from_config({"SMTP_HOST": "smtp.example.fr", "SMTP_PORT": "587", "SMTP_USER": "compta",
                                     "SMTP_PASSWORD": "s3cret", "SMTP_STARTTLS": "true",
                                     "MAIL_SENDER": "compta@example.fr"})
    assert settings == SmtpSettings("smtp.example.fr", 587, "compta", "s3cret", True, "compta@example.fr")
    defaults = settings_from_config({})
    assert (defaults.enabled, defaults.port, defaults.starttls, defaults.sender) == (False, 25, False,
                                                                                    "comptoir@localhost")
