"""What the thread panel of an invoice and the mail queue page show, rendered as a full page or as the
part an htmx request swaps."""
from dataclasses import dataclass
from typing import NamedTuple

from flask import render_template, request
from flask_login import current_user

from portal.auth.rights import PAYABLES_RIGHTS
from portal.invoices.listing import Formats, IdLinks, labels, payables_access
from portal.messages import queue
from portal.messages.forms import MessageForm, ReplyForm
from portal.messages.thread import (DIRECTION_LABELS, mail_contacts, may_use_thread, supplier_contacts,
                                    thread_messages)
from portal.texts import N_

# French texts of the catalogue; the templates translate them (LOC-3).
STATUS_LABELS = {queue.PENDING: N_("En attente"), queue.SENT: N_("Envoyé"), queue.FAILED: N_("En échec")}
STATUS_TONES = {queue.PENDING: "warn", queue.SENT: "ok", queue.FAILED: "danger"}
QUEUE_PAGE_ARGS = {"failed": "page_echec", "waiting": "page_attente", "sent": "page_envoyes"}


def wants_fragment():
    return request.headers.get("HX-Request") == "true"


@dataclass
class ThreadView:
    """Everything the thread panel shows; the template asks it rather than deciding."""

    invoice: object
    can_use: bool
    messages: list
    contacts: list
    mail_contacts: list
    mails: list
    message_form: object
    reply_form: object
    notice: str = ""

    direction_labels = DIRECTION_LABELS
    status_labels = STATUS_LABELS
    status_tones = STATUS_TONES


def message_form(invoice, formdata=None):
    return MessageForm(formdata=formdata, contacts=mail_contacts(invoice.supplier))


def reply_form(invoice, formdata=None):
    return ReplyForm(formdata=formdata, contacts=supplier_contacts(invoice.supplier))


def thread_view(invoice, user=None, *, message_form_=None, reply_form_=None, notice=""):
    user = user if user is not None else current_user
    if not may_use_thread(user, invoice):
        return ThreadView(invoice, False, [], [], [], [], None, None)
    return ThreadView(invoice=invoice, can_use=True, messages=thread_messages(invoice),
                      contacts=supplier_contacts(invoice.supplier), mail_contacts=mail_contacts(invoice.supplier),
                      mails=queue.invoice_mails(invoice),
                      message_form=message_form_ or message_form(invoice),
                      reply_form=reply_form_ or reply_form(invoice), notice=notice)


def render_thread(invoice, status=200, **forms):
    """The thread panel for htmx; without htmx, the invoice page that includes it."""
    thread = thread_view(invoice, **forms)
    if not wants_fragment():
        return render_invoice_page(invoice, thread, status)
    return render_template("messages/_invoice_thread.html", invoice=invoice, thread=thread), status


def render_invoice_page(invoice, thread, status=200):
    from portal.invoices.forms import ActionForm
    from portal.invoices.pages import invoice_detail

    return render_template("invoices/detail.html", **invoice_detail(invoice), action_form=ActionForm(),
                           thread=thread), status


def render_form(invoice, template, status=200, **forms):
    """One form of the panel, re-rendered in place (with its errors and status 422 when refused)."""
    thread = thread_view(invoice, **forms)
    if not wants_fragment():
        return render_invoice_page(invoice, thread, status)
    return render_template(template, invoice=invoice, thread=thread), status


def render_posted(invoice, message, template, notice):
    """A fresh form in place of the one sent, with the new message appended to the thread out of band."""
    thread = thread_view(invoice, notice=notice)
    html = render_template(template, invoice=invoice, thread=thread)
    html += render_template("messages/_message_appended.html", message=message, thread=thread)
    html += render_template("messages/_invoice_mails.html", invoice=invoice, thread=thread, oob=True)
    return html


class MailRow(NamedTuple):
    """What one row of the queue page shows, formatted once (templates/messages/_queue_macros.html)."""

    id: int
    to: str
    created: str
    next_attempt: str
    sent: str
    attempts: int
    last_error: str | None
    status: str
    status_label: str
    status_tone: str
    subject: str
    invoice_id: int | None
    readable: bool  # SEC-1: the subject of a mail about a shop the reader holds no payables right on is hidden
    thread_link: str
    retry_link: str


class MailRows:
    """Builds the queue's rows: labels, formatters and links looked up once per request."""

    def __init__(self, readable_shops):
        self.readable_shops = readable_shops
        self.formats = Formats()
        self.detail = IdLinks("invoices.detail", "invoice_id")
        self.retry = IdLinks("messages.retry", "mail_id")
        self.labels = labels(invoice=N_("facture"), retry=N_("Réessayer"),
                             masked=N_("Objet masqué : courriel d'une boutique sur laquelle vous n'avez pas de droit"),
                             **{f"status_{status}": label for status, label in STATUS_LABELS.items()})

    def __call__(self, mail):
        """The row of a QueuedMail, or of an OutgoingMail model (the row sent back after a retry)."""
        shop_id = mail.shop_id if isinstance(mail, queue.QueuedMail) else (
            mail.invoice.shop_id if mail.invoice_id is not None else None)
        stamp = self.formats.stamp
        return MailRow(mail.id, mail.to, stamp(mail.created_at), stamp(mail.next_attempt_at), stamp(mail.sent_at),
                       mail.attempts, mail.last_error, mail.status, self.labels[f"status_{mail.status}"],
                       STATUS_TONES[mail.status], mail.subject, mail.invoice_id,
                       mail.invoice_id is None or shop_id in self.readable_shops,
                       self.detail(mail.invoice_id) if mail.invoice_id is not None else "", self.retry(mail.id))


def queue_page(user):
    """The mail queue for the person running the server. A mail about an invoice of a shop the
    reader holds no payables right on shows its recipient and delivery state, not its subject (SEC-1)."""
    from portal.invoices.paging import requested_page

    readable_shops = {shop.id for shop in payables_access().shops_with_any(PAYABLES_RIGHTS)}
    counts = queue.status_counts()
    args = request.args.to_dict()
    # Each part of the queue has its own page (issue 14): the totals come from the counts above.
    parts = {name: queue.queued_mails_page(status, requested_page(args, QUEUE_PAGE_ARGS[name]), counts[status])
             for name, status in (("failed", queue.FAILED), ("waiting", queue.PENDING), ("sent", queue.SENT))}
    mail_row = MailRows(readable_shops)
    return {"counts": counts, **{name: [mail_row(mail) for mail in part.rows] for name, part in parts.items()},
            "parts": parts, "mail_row": mail_row, "labels": mail_row.labels,
            "page_args": QUEUE_PAGE_ARGS, "args": args, "status_labels": STATUS_LABELS, "status_tones": STATUS_TONES,
            "readable_shops": readable_shops}
