"""Lifecycle notifications to the supplier (AP-CONT-1): refused, disputed, approved and paid invoices are
announced by mail to every contact with an address, and the mail is kept in the invoice's thread. Called
by the invoice lifecycle inside its own transaction, so the mail is queued only if the change commits."""
from models import InvoiceMessage, db, utcnow
from portal.messages.queue import enqueue
from portal.messages.thread import OUT, add_note, invoice_reference, mail_contacts, recipient_line

# What the supplier is told, per lifecycle action: the verb of the first sentence and what happens next.
NOTICES = {
    "refuse": ("a été refusée",
               "Elle ne sera pas payée. Si la somme reste due, merci de nous adresser une facture corrigée "
               "(ou un avoir) qui tienne compte du motif ci-dessus."),
    "dispute": ("a été mise en litige",
                "Son paiement est suspendu jusqu'à ce que le litige soit réglé : vous pouvez répondre à ce "
                "message pour nous apporter les éléments demandés."),
    "approve": ("a été approuvée", "Elle sera payée à son échéance{due}."),
    "approve_partially": ("a été approuvée partiellement",
                          "Seule la partie approuvée sera payée à l'échéance{due} ; le motif ci-dessus précise "
                          "ce qui reste en discussion."),
    "pay": ("a été payée", "Le paiement a été transmis à notre banque ; il vous parviendra selon les délais "
                           "habituels des virements."),
}


def new_status(action_name):
    # Imported here: portal.invoices.service imports this module, and the invoices package imports its
    # service when it loads.
    from portal.invoices.lifecycle import ACTIONS, InvoiceStatus

    return InvoiceStatus(ACTIONS[action_name].to)


def status_mail(invoice, action_name, reason):
    """(subject, body) of the mail announcing `action_name` on `invoice`, in French."""
    verb, next_step = NOTICES[action_name]
    status = new_status(action_name)
    due = f" du {invoice.due_date:%d/%m/%Y}" if invoice.due_date else ""
    subject = f"Votre facture n° {invoice.number} du {invoice.issue_date:%d/%m/%Y} {verb}"
    lines = ["Bonjour,", "",
             f"Votre facture {invoice_reference(invoice)} {verb}.", "",
             f"Nouveau statut : {status.label} (code {status.reform_code} du cycle de vie de la facture)."]
    if (reason or "").strip():
        lines.append(f"Motif : {reason.strip()}")
    lines += ["", next_step.format(due=due), "", "Cordialement,", invoice.shop.name, "",
              "Ce message est envoyé par Comptoir, le portail fournisseurs de "
              f"{invoice.shop.name}. Pour toute question sur cette facture, répondez à ce courriel."]
    return subject, "\n".join(lines) + "\n"


def notify_status_change(invoice, action_name, reason, user, now=None):
    """Queue the mail announcing a lifecycle change to the supplier's contacts and record it in the thread.

    Returns the queued OutgoingMail rows: none for actions the supplier is not told about (take, suspend,
    resume), and none when no contact has an address, which the thread then says in an internal note."""
    if action_name not in NOTICES:
        return []
    now = now or utcnow()
    contacts = mail_contacts(invoice.supplier)
    subject, body = status_mail(invoice, action_name, reason)
    with db.atomic():
        if not contacts:
            status = new_status(action_name)
            add_note(invoice, f"Fournisseur non prévenu du statut « {status.label} » : aucun de ses contacts n'a "
                              "d'adresse e-mail. Ajoutez-en une sur sa fiche, ou prévenez-le autrement.",
                     user=user, now=now)
            return []
        mails = [enqueue(contact.email, subject, body, invoice=invoice, now=now) for contact in contacts]
        InvoiceMessage.create(invoice=invoice, at=now, user=user, direction=OUT,
                              contact=contacts[0] if len(contacts) == 1 else None,
                              body=f"{recipient_line(contacts)}\nObjet : {subject}\n\n{body}")
    return mails
