"""Outgoing mail kept in the database (AP-CONT-1) and delivered by a batch run: a mail is written in the
transaction of what caused it, retried with a growing delay while the SMTP server refuses it, and sent
once even when several workers run the batch. No Flask here."""
import datetime
import smtplib
import ssl
from dataclasses import dataclass, field
from typing import NamedTuple
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from peewee import JOIN, SQL, fn

from models import Invoice, OutgoingMail, db, utcnow
from portal.audit import record_action
from portal.texts import N_, TextError

PENDING, SENT, FAILED = "PENDING", "SENT", "FAILED"
MAX_ATTEMPTS = 10
# Delay before the next attempt after the n-th failure (minutes); the last one repeats: 6 h at most.
BACKOFF_MINUTES = (1, 5, 15, 60, 120, 240, 360)
# A claimed mail is hidden from other workers this long: enough for one SMTP conversation. If the worker
# dies meanwhile the mail becomes due again (sent at least once, never lost).
CLAIM_LEASE = datetime.timedelta(minutes=10)
MAX_ERROR_LENGTH = 1000
DEFAULT_SENDER = "comptoir@localhost"


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None  # None: delivery disabled, mails stay queued
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = ""
    timeout: float = 30.0

    @property
    def enabled(self):
        return bool(self.host)


@dataclass
class DeliveryReport:
    sent: list = field(default_factory=list)  # ids
    retried: list = field(default_factory=list)  # ids rescheduled after a failure
    given_up: list = field(default_factory=list)  # ids marked FAILED
    disabled: bool = False
    server_down: bool = False

    def summary(self):
        if self.disabled:
            return "Envoi des courriels désactivé (SMTP_HOST non configuré) : les courriels restent en file."
        text = (f"{len(self.sent)} envoyé(s), {len(self.retried)} à réessayer, "
                f"{len(self.given_up)} en échec définitif.")
        if self.server_down:
            text += " Serveur SMTP injoignable : les autres courriels attendent le prochain passage."
        return text


class ServerUnavailable(Exception):
    """The SMTP server could not be reached or dropped the connection: no use trying the next mail."""


def settings_from_config(config):
    """SMTP settings from the Flask config keys (a mapping: this module does not import Flask)."""
    starttls = config.get("SMTP_STARTTLS", False)
    if isinstance(starttls, str):
        starttls = starttls.strip().lower() in ("1", "true", "yes", "on")
    return SmtpSettings(host=config.get("SMTP_HOST") or None, port=int(config.get("SMTP_PORT") or 25),
                        user=config.get("SMTP_USER") or None, password=config.get("SMTP_PASSWORD") or None,
                        starttls=bool(starttls), sender=config.get("MAIL_SENDER") or DEFAULT_SENDER)


def backoff(attempts):
    """Delay before the next attempt once `attempts` attempts have failed."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return datetime.timedelta(minutes=BACKOFF_MINUTES[index])


def split_addresses(to):
    return [address.strip() for address in (to or "").split(",") if address.strip()]


def enqueue(to, subject, body, invoice=None, now=None):
    """Queue one mail (to: an address or a list of them); call it inside the transaction that causes it."""
    addresses = split_addresses(to) if isinstance(to, str) else [a.strip() for a in to if a and a.strip()]
    if not addresses:
        raise ValueError("a mail needs at least one recipient")
    now = now or utcnow()
    return OutgoingMail.create(to=", ".join(addresses), subject=subject[:250], body=body, invoice=invoice,
                               status=PENDING, attempts=0, last_error="", next_attempt_at=now, created_at=now)


def build_message(mail, sender):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2].strip("> ") or None
    message["Message-ID"] = make_msgid(f"comptoir.{mail.id}", domain=domain)
    message.set_content(mail.body, charset="utf-8")
    return message


class SmtpTransport:
    """One SMTP connection for a delivery run, opened at the first mail."""

    def __init__(self, settings):
        self.settings = settings
        self.connection = None

    def _connect(self):
        settings = self.settings
        try:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.starttls:
                connection.starttls(context=ssl.create_default_context())
            if settings.user:
                connection.login(settings.user, settings.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(_describe(error)) from error
        return connection

    def send(self, message):
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self.connection = None
            raise ServerUnavailable(_describe(error)) from error

    def close(self):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None


def _describe(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{address} ({code} {_text(reply)})" for address, (code, reply)
                            in error.recipients.items())
        return f"Destinataire(s) refusé(s) : {refused}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def due_ids(now, batch):
    query = (OutgoingMail.select(OutgoingMail.id)
             .where((OutgoingMail.status == PENDING) & (OutgoingMail.next_attempt_at <= now))
             .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(batch))
    return [row.id for row in query]


def claim(mail_id, now):
    """Take one due mail for this worker: a conditional UPDATE, so that of two workers only one wins."""
    with db.atomic():
        claimed = (OutgoingMail.update(next_attempt_at=now + CLAIM_LEASE)
                   .where((OutgoingMail.id == mail_id) & (OutgoingMail.status == PENDING)
                          & (OutgoingMail.next_attempt_at <= now))
                   .execute())
    return OutgoingMail.get_by_id(mail_id) if claimed == 1 else None


def _mark_sent(mail, now):
    with db.atomic():
        (OutgoingMail.update(status=SENT, sent_at=now, last_error="")
         .where((OutgoingMail.id == mail.id) & (OutgoingMail.status == PENDING)).execute())


def _mark_failed(mail, error, now):
    """Count the attempt and reschedule it; after MAX_ATTEMPTS the mail is FAILED (retried by hand)."""
    attempts = mail.attempts + 1
    values = {"attempts": attempts, "last_error": error[:MAX_ERROR_LENGTH]}
    if attempts >= MAX_ATTEMPTS:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    with db.atomic():
        (OutgoingMail.update(**values)
         .where((OutgoingMail.id == mail.id) & (OutgoingMail.status == PENDING)).execute())
    return attempts >= MAX_ATTEMPTS


def deliver_pending(smtp_settings, now=None, batch=50, transport=None):
    """Send the due PENDING mails (at most `batch`). A refused mail is rescheduled; an unreachable
    server stops the run after recording the attempt, so the other mails keep their place."""
    report = DeliveryReport()
    if not smtp_settings.enabled and transport is None:
        report.disabled = True
        return report
    now = now or utcnow()
    transport = transport or SmtpTransport(smtp_settings)
    try:
        for mail_id in due_ids(now, batch):
            mail = claim(mail_id, now)
            if mail is None:  # another worker took it
                continue
            try:
                transport.send(build_message(mail, smtp_settings.sender))
            except ServerUnavailable as error:
                _record_failure(report, mail, str(error), now)
                report.server_down = True
                break
            except (smtplib.SMTPException, ValueError) as error:  # this mail refused, the next may pass
                _record_failure(report, mail, _describe(error), now)
            else:
                _mark_sent(mail, now)
                report.sent.append(mail.id)
    finally:
        transport.close()
    return report


def _record_failure(report, mail, error, now):
    if _mark_failed(mail, error, now):
        report.given_up.append(mail.id)
    else:
        report.retried.append(mail.id)


# --- Queue administration -------------------------------------------------------------------


class RetryRefused(TextError):
    """str() is the French text, translate() the reader's (LOC-3)."""


def retry_failed(mail, user, now=None, remote_addr=""):
    """Put a FAILED mail back in the queue for a new series of attempts (audited)."""
    now = now or utcnow()
    with db.atomic():
        updated = (OutgoingMail.update(status=PENDING, attempts=0, next_attempt_at=now)
                   .where((OutgoingMail.id == mail.id) & (OutgoingMail.status == FAILED)).execute())
        if updated != 1:
            raise RetryRefused(N_("Ce courriel n'est plus en échec : rechargez la page."))
        record_action("mail.retry", "outgoing_mail", mail.id, user=user,
                      before={"status": FAILED, "attempts": mail.attempts, "last_error": mail.last_error},
                      after={"status": PENDING, "attempts": 0}, remote_addr=remote_addr)
    return OutgoingMail.get_by_id(mail.id)


def status_counts():
    counts = {PENDING: 0, SENT: 0, FAILED: 0}
    # COUNT(*): counted from the status index alone on PostgreSQL.
    query = OutgoingMail.select(OutgoingMail.status, fn.COUNT(SQL("*")).alias("n")).group_by(OutgoingMail.status)
    for row in query:
        counts[row.status] = row.n
    return counts


def _with_shop():
    """Mails with the shop of their invoice in the same query (the queue page hides the subject of
    mails about shops the reader has no right on)."""
    return OutgoingMail.select(OutgoingMail, Invoice.id, Invoice.shop).join(Invoice, JOIN.LEFT_OUTER)


# How each part of the queue page is sorted: (column, descending).
QUEUE_ORDER = {
    FAILED: ((OutgoingMail.created_at, True), (OutgoingMail.id, True)),
    PENDING: ((OutgoingMail.next_attempt_at, False), (OutgoingMail.id, False)),  # the next to be tried first
    SENT: ((OutgoingMail.sent_at, True), (OutgoingMail.id, True)),
}


def mails_page(status, number, total, size=50):
    """One page of the mails in `status` (`total` of them, from status_counts()): one query."""
    from portal.invoices.paging import Order, page_of

    return page_of(_with_shop().where(OutgoingMail.status == status),
                   [Order(column, descending) for column, descending in QUEUE_ORDER[status]], number, total, size)


class QueuedMail(NamedTuple):
    """What the queue page shows of a mail, read as a tuple (no model instance, no body)."""

    id: int
    to: str
    subject: str
    invoice_id: int | None
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime.datetime | None
    sent_at: datetime.datetime | None
    created_at: datetime.datetime | None
    shop_id: int | None  # of the invoice the mail is about


def queued_mails_page(status, number, total, size=50):
    """mails_page() as QueuedMail tuples: one query, the columns the queue page shows."""
    from portal.invoices.paging import Order, page_of

    query = (OutgoingMail.select(OutgoingMail.id, OutgoingMail.to, OutgoingMail.subject, OutgoingMail.invoice,
                                 OutgoingMail.status, OutgoingMail.attempts, OutgoingMail.last_error,
                                 OutgoingMail.next_attempt_at, OutgoingMail.sent_at, OutgoingMail.created_at,
                                 Invoice.shop)
             .join(Invoice, JOIN.LEFT_OUTER).where(OutgoingMail.status == status).tuples())
    page = page_of(query, [Order(column, descending) for column, descending in QUEUE_ORDER[status]], number, total,
                   size)
    page.rows = [QueuedMail(*row) for row in page.rows]
    return page


def failed_mails(limit=100):
    return mails_page(FAILED, 1, limit, limit).rows


def waiting_mails(limit=100):
    """Pending mails, the next to be tried first."""
    return mails_page(PENDING, 1, limit, limit).rows


def recent_sent(limit=20):
    return mails_page(SENT, 1, limit, limit).rows


def invoice_mails(invoice):
    return list(OutgoingMail.select().where(OutgoingMail.invoice == invoice)
                .order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc()))
