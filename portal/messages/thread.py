"""The discussion thread of an invoice (AP-CONT-1): messages sent to the supplier's contacts (queued as
mail), replies received and recorded by hand (inbound mail is not parsed), internal notes. No Flask here."""
from peewee import JOIN

from models import InvoiceMessage, SupplierContact, User, db, utcnow
from portal.audit import record_action
from portal.auth.rights import PAYABLES_RIGHTS, rights_on
from portal.messages.queue import enqueue
from portal.money import format_money
from portal.texts import N_, TextError

OUT, IN, NOTE = "OUT", "IN", "NOTE"
# French texts of the catalogue, translated where they are shown (LOC-3).
DIRECTION_LABELS = {OUT: N_("Envoyé au fournisseur"), IN: N_("Reçu du fournisseur"), NOTE: N_("Note interne")}
MAX_BODY_LENGTH = 10000
ALL_CONTACTS = 0


class MessageRefused(TextError):
    """A message that cannot be recorded; `field` names the form field the message belongs next to.
    str() is the French text, translate() the reader's (LOC-3)."""


def may_use_thread(user, invoice):
    """Reading and posting need any payables right on the invoice's shop (AUTH-2)."""
    if user is None or not user.is_authenticated:
        return False
    return bool(rights_on(user, invoice.shop) & set(PAYABLES_RIGHTS))


def supplier_contacts(supplier):
    return list(SupplierContact.select().where(SupplierContact.supplier == supplier)
                .order_by(SupplierContact.name, SupplierContact.id))


def mail_contacts(supplier):
    """Contacts that can receive mail, one per address (two contacts sharing a mailbox get one mail)."""
    seen, contacts = set(), []
    for contact in supplier_contacts(supplier):
        address = (contact.email or "").strip().lower()
        if address and address not in seen:
            seen.add(address)
            contacts.append(contact)
    return contacts


def recipient_line(contacts):
    return "À : " + ", ".join(f"{contact.name} <{contact.email.strip()}>" for contact in contacts)


def thread_messages(invoice):
    return list(InvoiceMessage.select(InvoiceMessage, User, SupplierContact)
                .join(User, JOIN.LEFT_OUTER).switch(InvoiceMessage)
                .join(SupplierContact, JOIN.LEFT_OUTER)
                .where(InvoiceMessage.invoice == invoice)
                .order_by(InvoiceMessage.at, InvoiceMessage.id))


def invoice_reference(invoice):
    """`n° F-001 du 20/11/2026 (150,00 € TTC)`, as every mail about the invoice quotes it."""
    amount = format_money(invoice.total_gross, invoice.currency, locale="fr_FR")
    return f"n° {invoice.number} du {invoice.issue_date:%d/%m/%Y} ({amount} TTC)"


def user_name(user):
    if user is None:
        return "Comptoir"
    return user.display_name or user.username


def _clean_body(body):
    text = (body or "").strip()
    if not text:
        raise MessageRefused(N_("Écrivez le message avant de l'envoyer."), field="body")
    if len(text) > MAX_BODY_LENGTH:
        raise MessageRefused(N_("%(max)s caractères au plus."), field="body", max=MAX_BODY_LENGTH)
    return text


def _audit(invoice, user, message, remote_addr, **extra):
    record_action(f"invoice.message.{message.direction.lower()}", "invoice", invoice.id, user=user,
                  after={"message_id": message.id, "direction": message.direction, **extra},
                  remote_addr=remote_addr)


def _recipients(invoice, contact_id):
    contacts = mail_contacts(invoice.supplier)
    if not contacts:
        raise MessageRefused(N_("Aucun contact de ce fournisseur n'a d'adresse e-mail : ajoutez-en une sur sa fiche, "
                                "ou enregistrez ce message comme note interne."), field="recipient")
    if contact_id in (None, ALL_CONTACTS):
        return contacts
    chosen = [contact for contact in supplier_contacts(invoice.supplier)
              if contact.id == contact_id and (contact.email or "").strip()]
    if not chosen:
        raise MessageRefused(N_("Choisissez un contact de ce fournisseur qui a une adresse e-mail."), field="recipient")
    return chosen


def message_mail(invoice, user, text):
    """Subject and body of a message written to the supplier about one invoice."""
    subject = f"Votre facture n° {invoice.number} du {invoice.issue_date:%d/%m/%Y} — {invoice.shop.name}"
    body = (f"{text}\n\n-- \n{user_name(user)}, {invoice.shop.name}\n"
            f"À propos de votre facture {invoice_reference(invoice)}.\n")
    return subject, body


def post_message(invoice, user, body, *, to_supplier=True, contact_id=ALL_CONTACTS, remote_addr="", now=None):
    """Post to the thread: to the supplier (one queued mail per contact address, and an OUT message),
    or as an internal NOTE that nobody outside sees. Returns the message."""
    text = _clean_body(body)
    now = now or utcnow()
    with db.atomic():
        if not to_supplier:
            message = InvoiceMessage.create(invoice=invoice, at=now, user=user, direction=NOTE, body=text)
            _audit(invoice, user, message, remote_addr)
            return message
        contacts = _recipients(invoice, contact_id)
        subject, mail_body = message_mail(invoice, user, text)
        for contact in contacts:
            enqueue(contact.email, subject, mail_body, invoice=invoice, now=now)
        message = InvoiceMessage.create(invoice=invoice, at=now, user=user, direction=OUT,
                                        contact=contacts[0] if len(contacts) == 1 else None,
                                        body=f"{recipient_line(contacts)}\n\n{text}")
        _audit(invoice, user, message, remote_addr, to=[contact.email for contact in contacts])
    return message


def record_reply(invoice, user, contact_id, body, *, remote_addr="", now=None):
    """A reply the supplier sent by mail or said on the phone, typed in by `user` (IN)."""
    text = _clean_body(body)
    contact = SupplierContact.get_or_none((SupplierContact.id == contact_id)
                                          & (SupplierContact.supplier == invoice.supplier))
    if contact is None:
        raise MessageRefused(N_("Choisissez le contact du fournisseur qui a répondu."), field="contact")
    with db.atomic():
        message = InvoiceMessage.create(invoice=invoice, at=now or utcnow(), user=user, contact=contact,
                                        direction=IN, body=text)
        _audit(invoice, user, message, remote_addr, contact=contact.name)
    return message


def add_note(invoice, body, user=None, now=None):
    """An internal note written by the portal itself (e.g. "nobody could be notified")."""
    return InvoiceMessage.create(invoice=invoice, at=now or utcnow(), user=user, direction=NOTE, body=body)
