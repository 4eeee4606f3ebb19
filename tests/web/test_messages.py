"""Invoice thread and supplier notifications through a real SMTP server (AP-CONT-1, AUTH-2, AUDIT-1):
aiosmtpd listens on 127.0.0.1, the queue delivers to it, survives it being down, and two concurrent
delivery runs send each mail once."""
import asyncio
import datetime
import email
import email.policy
import html as html_module
import inspect
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from models import AuditRecord, Invoice, InvoiceMessage, OutgoingMail, SupplierContact, db
from portal.invoices.lifecycle import ACTIONS
from portal.invoices.service import InvoiceData, LineData, create_invoice
from portal.messages.notifications import notify_status_change
from portal.messages.queue import SmtpSettings, deliver_pending, enqueue
from tests.factories import make_shop, make_supplier, make_user

ALL = ["manage_suppliers", "approve_invoices", "pay_invoices"]
HX = {"HX-Request": "true"}
NOW = datetime.datetime(2026, 11, 25, 9, 0, 0)


class Collector:
    """aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self, delay=0.0):
        self.envelopes = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(envelope.original_content, policy=email.policy.default)
                for envelope in self.envelopes]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_port():
    return _free_port()


@pytest.fixture
def smtp_settings(smtp_port):
    return SmtpSettings(host="127.0.0.1", port=smtp_port, sender="compta@comptoir.test", timeout=5)


def _start_server(port, handler):
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp_server(smtp_port):
    handler = Collector()
    controller = _start_server(smtp_port, handler)
    yield handler
    controller.stop()


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def _supplier_with_contacts(*contacts):
    supplier = make_supplier()
    for name, address in contacts:
        SupplierContact.create(supplier=supplier, name=name, email=address, phone="" if address else "01 23 45 67 89")
    return supplier


def _invoice(shop, supplier, number="F-2026-042"):
    return create_invoice(InvoiceData(shop=shop, supplier=supplier, number=number, issue_date=datetime.date(2026, 11, 20),
                                      due_date=datetime.date(2026, 12, 20), currency="EUR", total_net=12500,
                                      total_vat=2500, total_gross=15000,
                                      lines=[LineData("Ramette papier A4", 10000, 1250, 2000)]), None)


def _transition(invoice, action_name, reason, user):
    """What portal.invoices.service.apply_action does once wired: the status changes and the notification
    is queued in the same transaction."""
    with db.atomic():
        Invoice.update(status=ACTIONS[action_name].to).where(Invoice.id == invoice.id).execute()
        return notify_status_change(Invoice.get_by_id(invoice.id), action_name, reason, user)


# --- Notifications through a real SMTP server -------------------------------------------------


@pytest.mark.parametrize("action_name, reason, verb, status", [
    ("refuse", "Prix différent du devis n° D-17", "a été refusée", "Refusée"),
    ("dispute", "Livraison incomplète : 8 ramettes reçues sur 10", "a été mise en litige", "En litige"),
    ("approve", "", "a été approuvée", "Approuvée"),
    ("approve_partially", "Remise de 5 % non appliquée", "a été approuvée partiellement", "Approuvée partiellement"),
    ("pay", "", "a été payée", "Paiement transmis"),
])
def test_ap_cont_1_lifecycle_change_mailed_to_every_contact(app, shop, smtp_server, smtp_settings,
                                                            action_name, reason, verb, status):
    supplier = _supplier_with_contacts(("Jeanne Martin", "jeanne.martin@dupont.test"),
                                       ("Standard", ""), ("Service comptable", "compta@dupont.test"))
    invoice = _invoice(shop, supplier)
    user = make_user("compta", display_name="Léa Compta")

    mails = _transition(invoice, action_name, reason, user)

    assert len(mails) == 2 and {m.status for m in mails} == {"PENDING"}
    report = deliver_pending(smtp_settings, datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
    assert sorted(report.sent) == sorted(m.id for m in mails)
    assert sorted(rcpt for envelope in smtp_server.envelopes for rcpt in envelope.rcpt_tos) == [
        "compta@dupont.test", "jeanne.martin@dupont.test"]
    assert {envelope.mail_from for envelope in smtp_server.envelopes} == {"compta@comptoir.test"}
    received = smtp_server.messages()[0]
    assert received["Subject"] == f"Votre facture n° F-2026-042 du 20/11/2026 {verb}"
    body = received.get_content()
    assert "n° F-2026-042 du 20/11/2026 (150,00\xa0€ TTC)" in body
    assert f"Nouveau statut : {status}" in body
    if reason:
        assert f"Motif : {reason}" in body
    assert {m.status for m in OutgoingMail.select()} == {"SENT"}
    [message] = InvoiceMessage.select()
    assert message.direction == "OUT" and message.user_id == user.id
    assert "Jeanne Martin <jeanne.martin@dupont.test>" in message.body and verb in message.body


@pytest.mark.parametrize("action_name", ["take", "suspend", "resume"])
def test_ap_cont_1_other_actions_notify_nobody(app, shop, action_name):
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    assert _transition(invoice, action_name, "Attente du bon de livraison", None) == []
    assert OutgoingMail.select().count() == 0 and InvoiceMessage.select().count() == 0


def test_ap_cont_1_no_contact_with_email_is_said_in_the_thread(app, shop):
    invoice = _invoice(shop, _supplier_with_contacts(("Standard", "")))
    assert _transition(invoice, "refuse", "Doublon", make_user("compta")) == []
    assert OutgoingMail.select().count() == 0
    [note] = InvoiceMessage.select()
    assert note.direction == "NOTE" and "non prévenu" in note.body and "Refusée" in note.body


def test_ap_cont_1_notification_rolls_back_with_the_status_change(app, shop):
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    with pytest.raises(RuntimeError):
        with db.atomic():
            notify_status_change(invoice, "refuse", "Doublon", None)
            raise RuntimeError("the status change failed")
    assert OutgoingMail.select().count() == 0 and InvoiceMessage.select().count() == 0


def test_ap_cont_1_smtp_server_down_then_up(app, shop, smtp_port, smtp_settings):
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    with db.atomic():
        [mail] = notify_status_change(invoice, "dispute", "Quantités", None, now=NOW)

    down = deliver_pending(smtp_settings, NOW)  # nothing listens on the port

    assert down.server_down and down.sent == []
    mail = OutgoingMail.get_by_id(mail.id)
    assert (mail.status, mail.attempts) == ("PENDING", 1)
    assert "Connection" in mail.last_error or "refused" in mail.last_error.lower()
    assert mail.next_attempt_at == NOW + datetime.timedelta(minutes=1)
    assert deliver_pending(smtp_settings, NOW + datetime.timedelta(seconds=30)).sent == [], "not due yet"

    handler = Collector()
    controller = _start_server(smtp_port, handler)
    try:
        up = deliver_pending(smtp_settings, NOW + datetime.timedelta(minutes=2))
    finally:
        controller.stop()
    assert up.sent == [mail.id]
    assert [envelope.rcpt_tos for envelope in handler.envelopes] == [["jeanne@dupont.test"]]
    mail = OutgoingMail.get_by_id(mail.id)
    assert mail.status == "SENT" and mail.sent_at == NOW + datetime.timedelta(minutes=2)


def test_ap_cont_1_two_concurrent_delivery_runs_send_each_mail_once(app, smtp_port, smtp_settings):
    handler = Collector(delay=0.02)  # slow enough for both runs to overlap
    controller = _start_server(smtp_port, handler)
    ids = [enqueue(f"fournisseur{n}@dupont.test", f"Message {n}", "Bonjour", now=NOW).id for n in range(12)]
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            with db.connection_context():
                barrier.wait(timeout=10)
                reports.append(deliver_pending(smtp_settings, NOW))
        except Exception as error:  # reported below: a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
    assert errors == []
    assert all(report.sent for report in reports), "both runs took part: the claim was really contended"
    assert sorted(envelope.rcpt_tos[0] for envelope in handler.envelopes) == sorted(
        f"fournisseur{n}@dupont.test" for n in range(12))
    assert sorted(mail_id for report in reports for mail_id in report.sent) == sorted(ids)
    assert {m.status for m in OutgoingMail.select()} == {"SENT"}


def test_ap_cont_1_wired_in_the_invoice_lifecycle(client, login_as, shop, smtp_server, smtp_settings):
    """Through the invoice action page, once apply_action calls notify_status_change (the lead wires it)."""
    from portal.invoices import service

    if "notify_status_change" not in inspect.getsource(service.apply_action):
        pytest.skip("apply_action does not call notify_status_change yet")
    login_as("compta", rights=ALL, shop=shop)
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    done = client.post(f"/factures/{invoice.id}/action/refuse", headers=HX,
                       data={"context": "detail", "reason": "Prix différent du devis"})
    assert done.status_code == 200
    assert OutgoingMail.select().count() == 1, "one mail per contact, queued once"
    deliver_pending(smtp_settings, datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["jeanne@dupont.test"]]
    assert "Prix différent du devis" in _text(client.get(f"/factures/{invoice.id}"))


# --- The thread on the invoice page -----------------------------------------------------------


def test_ap_cont_1_thread_posts_appended_in_place_and_mailed(client, login_as, shop, smtp_server, smtp_settings):
    login_as("compta", rights=["approve_invoices"], shop=shop, display_name="Léa Compta")
    supplier = _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test"), ("Paul Dupont", "paul@dupont.test"))
    invoice = _invoice(shop, supplier)
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert 'id="inv-thread"' in page and "Aucun message pour cette facture." in page
    assert "Tous les contacts (2)" in page

    posted = client.post(f"/messages/facture/{invoice.id}", headers=HX, data={
        "message-kind": "OUT", "message-recipient": "0",
        "message-body": "Bonjour, la facture cite 10 ramettes, nous en avons reçu 8."})
    html = _text(posted)
    assert posted.status_code == 200
    assert '<ol hx-swap-oob="beforeend:#thread-messages">' in html and "nous en avons reçu 8" in html
    assert 'id="thread-post"' in html and "Message mis en file" in html
    mails = list(OutgoingMail.select().order_by(OutgoingMail.to))
    assert [m.to for m in mails] == ["jeanne@dupont.test", "paul@dupont.test"]
    assert all(m.invoice_id == invoice.id and "F-2026-042" in m.subject for m in mails)

    note = client.post(f"/messages/facture/{invoice.id}", headers=HX, data={
        "message-kind": "NOTE", "message-recipient": "0", "message-body": "Relancer le magasin pour le BL."})
    assert note.status_code == 200 and "Note interne enregistrée" in _text(note)
    assert OutgoingMail.select().count() == 2, "a note is never mailed"

    contact = SupplierContact.get(SupplierContact.name == "Paul Dupont")
    reply = client.post(f"/messages/facture/{invoice.id}/reponse", headers=HX, data={
        "reply-contact": str(contact.id), "reply-body": "Les 2 ramettes manquantes partent demain."})
    assert reply.status_code == 200 and 'id="thread-reply"' in _text(reply)

    deliver_pending(smtp_settings, datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == ["jeanne@dupont.test", "paul@dupont.test"]
    assert "nous en avons reçu 8" in smtp_server.messages()[0].get_content()

    page = _text(client.get(f"/factures/{invoice.id}"))
    assert [m.direction for m in InvoiceMessage.select().order_by(InvoiceMessage.id)] == ["OUT", "NOTE", "IN"]
    for text in ("nous en avons reçu 8", "Relancer le magasin", "Les 2 ramettes manquantes", "Envoyé au fournisseur",
                 "Note interne", "Reçu du fournisseur", "Léa Compta", "Paul Dupont"):
        assert text in page
    assert page.count('class="badge badge-ok">Envoyé</span>') == 2
    assert AuditRecord.select().where(AuditRecord.action.startswith("invoice.message.")).count() == 3


def test_ap_cont_1_thread_without_javascript_redirects_after_post(client, login_as, shop):
    login_as("compta", rights=["pay_invoices"], shop=shop)
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    posted = client.post(f"/messages/facture/{invoice.id}", data={
        "message-kind": "OUT", "message-recipient": "0", "message-body": "Merci de nous envoyer un avoir."})
    assert posted.status_code == 303 and posted.headers["Location"].endswith(f"/factures/{invoice.id}#inv-thread")
    assert "Merci de nous envoyer un avoir." in _text(client.get(f"/factures/{invoice.id}"))
    empty = client.post(f"/messages/facture/{invoice.id}", data={"message-kind": "OUT", "message-body": "  "})
    assert empty.status_code == 422 and "<h1>Facture n°" in _text(empty)


def test_ap_cont_1_empty_message_is_422_with_the_error_next_to_the_field(client, login_as, shop):
    login_as("compta", rights=["manage_suppliers"], shop=shop)
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    refused = client.post(f"/messages/facture/{invoice.id}", headers=HX,
                          data={"message-kind": "OUT", "message-recipient": "0", "message-body": "   "})
    assert refused.status_code == 422
    assert '<p class="error" id="message-body-error">Écrivez le message avant de l\'envoyer.</p>' in _text(refused)
    empty_reply = client.post(f"/messages/facture/{invoice.id}/reponse", headers=HX,
                              data={"reply-contact": "0", "reply-body": ""})
    assert empty_reply.status_code == 422
    assert InvoiceMessage.select().count() == 0 and OutgoingMail.select().count() == 0


def test_ap_cont_1_message_to_a_supplier_without_email_is_refused(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    invoice = _invoice(shop, _supplier_with_contacts(("Standard", "")))
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert "n'a d'adresse e-mail" in page
    refused = client.post(f"/messages/facture/{invoice.id}", headers=HX,
                          data={"message-kind": "OUT", "message-recipient": "0", "message-body": "Bonjour"})
    assert refused.status_code == 422 and "enregistrez ce message comme note interne" in _text(refused)
    note = client.post(f"/messages/facture/{invoice.id}", headers=HX,
                       data={"message-kind": "NOTE", "message-recipient": "0", "message-body": "Appelé le standard."})
    assert note.status_code == 200 and OutgoingMail.select().count() == 0


def test_ap_cont_1_reply_must_come_from_a_contact_of_this_supplier(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    stranger = SupplierContact.create(supplier=make_supplier("Autre SARL", vat_number="", siren=""),
                                      name="Intrus", email="intrus@autre.test")
    refused = client.post(f"/messages/facture/{invoice.id}/reponse", headers=HX,
                          data={"reply-contact": str(stranger.id), "reply-body": "Payez-moi"})
    assert refused.status_code == 422 and "Choisissez le contact du fournisseur" in _text(refused)
    assert InvoiceMessage.select().count() == 0


def test_auth_2_thread_needs_a_payables_right_on_the_invoice_shop(client, login_as, shop):
    other_shop = make_shop()
    login_as("vendeur", rights=["view", "refund"], shop=shop)
    make_user("autre", rights={other_shop: ALL})
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    for response in (client.get(f"/messages/facture/{invoice.id}", headers=HX),
                     client.post(f"/messages/facture/{invoice.id}", headers=HX,
                                 data={"message-kind": "NOTE", "message-body": "x"}),
                     client.post(f"/messages/facture/{invoice.id}/reponse", headers=HX,
                                 data={"reply-contact": "1", "reply-body": "x"})):
        assert response.status_code == 403
    client.post("/logout")
    assert client.login("autre").status_code == 302  # rights on another shop only
    assert client.post(f"/messages/facture/{invoice.id}", headers=HX,
                       data={"message-kind": "NOTE", "message-body": "x"}).status_code == 403
    assert client.get("/messages/file").status_code == 403, "the mail queue is for administrators"
    assert InvoiceMessage.select().count() == 0


def test_ap_cont_1_thread_fragment_for_htmx_and_redirect_without(client, login_as, shop):
    login_as("compta", rights=["approve_invoices"], shop=shop)
    invoice = _invoice(shop, _supplier_with_contacts(("Jeanne Martin", "jeanne@dupont.test")))
    fragment = _text(client.get(f"/messages/facture/{invoice.id}", headers=HX))
    assert fragment.lstrip().startswith("{#") is False and '<section class="panel thread" id="inv-thread"' in fragment
    assert "<html" not in fragment and 'hx-trigger="invoice-changed from:body"' in fragment
    plain = client.get(f"/messages/facture/{invoice.id}")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("#inv-thread")


# --- Mail queue page and command ----------------------------------------------------------------


def test_ap_cont_1_queue_page_shows_counts_errors_and_retries_failed(app, client, admin, smtp_settings):
    enqueue("ok@dupont.test", "Parti", "x", now=NOW)
    waiting = enqueue("attente@dupont.test", "En attente", "x", now=NOW)
    failed = enqueue("ko@dupont.test", "Refusé 10 fois", "x", now=NOW)
    OutgoingMail.update(status="SENT", sent_at=NOW).where(OutgoingMail.to == "ok@dupont.test").execute()
    OutgoingMail.update(attempts=3, last_error="ConnectionRefusedError: [Errno 111]").where(
        OutgoingMail.id == waiting.id).execute()
    OutgoingMail.update(status="FAILED", attempts=10, last_error="SMTPRecipientsRefused 550 unknown user").where(
        OutgoingMail.id == failed.id).execute()
    assert client.login("admin").status_code == 302
    page = _text(client.get("/messages/file"))
    assert "ConnectionRefusedError" in page and "550 unknown user" in page and "Réessayer" in page
    assert '<dt>En attente</dt><dd class="big">1</dd>' in page and '<dt>En échec</dt><dd class="big">1</dd>' in page
    assert "non configuré" in page

    retried = client.post(f"/messages/file/{failed.id}/reessayer", headers=HX)
    assert retried.status_code == 200 and f'<tr id="mail-{failed.id}">' in _text(retried)
    mail = OutgoingMail.get_by_id(failed.id)
    assert (mail.status, mail.attempts) == ("PENDING", 0)
    assert AuditRecord.get(AuditRecord.action == "mail.retry").target_id == str(failed.id)
    again = client.post(f"/messages/file/{failed.id}/reessayer", headers=HX)
    assert again.status_code == 409


def test_ap_cont_1_deliver_mail_command(app, smtp_server, smtp_port):
    from portal.messages.cli import register_cli

    if "deliver-mail" not in app.cli.commands:
        register_cli(app)
    enqueue("jeanne@dupont.test", "Relance", "Bonjour")
    disabled = app.test_cli_runner().invoke(args=["deliver-mail"])
    assert "désactivé" in disabled.output and OutgoingMail.get().status == "PENDING"
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port, MAIL_SENDER="compta@comptoir.test")
    result = app.test_cli_runner().invoke(args=["deliver-mail"])
    assert result.exit_code == 0, result.output
    assert "1 envoyé(s)" in result.output
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["jeanne@dupont.test"]]


# --- LOC-3: the thread and the mail queue in English ---------------------------------------------


def test_loc_3_thread_in_english(client, login_as, shop):
    login_as("accountant", rights=["approve_invoices"], shop=shop, language="en")
    supplier = _supplier_with_contacts(("Jane Roe", "jane@acme.test"), ("Phone Only", ""))
    invoice = _invoice(shop, supplier)
    page = _text(client.get(f"/factures/{invoice.id}"))
    thread = page[page.index('id="inv-thread"'):]
    for english in ("Exchanges with the supplier", "No message for this invoice.", "New message", "Type of message",
                    "Send to the supplier (by e-mail)", "Internal note (the supplier does not see it)", "Post",
                    "Record a reply received from the supplier", "Save the reply"):
        assert english in thread, english
    for french in ("Échanges avec", "Nouveau message", "Publier", "Enregistrer la réponse", "Note interne"):
        assert french not in thread, french
    empty = client.post(f"/messages/facture/{invoice.id}", headers=HX,
                        data={"message-kind": "OUT", "message-recipient": "0", "message-body": "  "})
    assert empty.status_code == 422 and "Write the message before sending it." in _text(empty)
    note = client.post(f"/messages/facture/{invoice.id}", headers=HX,
                       data={"message-kind": "NOTE", "message-recipient": "0", "message-body": "Call the shop."})
    html = _text(note)
    assert note.status_code == 200 and "Internal note saved." in html and "Internal note</span>" in html
    wrong_contact = client.post(f"/messages/facture/{invoice.id}/reponse", headers=HX,
                                data={"reply-contact": "999999", "reply-body": "Yes."})
    assert wrong_contact.status_code == 422 and "Choose the supplier's contact who replied." in _text(wrong_contact)


def test_loc_3_mail_queue_in_english(client, login_as, shop):
    login_as("boss", is_admin=True, language="en")
    supplier = _supplier_with_contacts(("Jane Roe", "jane@acme.test"))
    invoice = _invoice(shop, supplier)
    mail = enqueue("jane@acme.test", "Subject", "Body", invoice=invoice)
    OutgoingMail.update(status="FAILED", attempts=10, last_error="550 refused").where(OutgoingMail.id == mail.id).execute()
    page = _text(client.get("/messages/file"))
    for english in ("E-mail queue", "Waiting", "Sent", "Failed", "SMTP server", "Attempts", "Last error", "Try again",
                    "No e-mail waiting.", "No e-mail sent yet."):
        assert english in page, english
    for french in ("File des courriels", "En attente", "En échec", "Tentatives", "Réessayer", "Aucun courriel"):
        assert french not in page, french
    retried = client.post(f"/messages/file/{mail.id}/reessayer", headers=HX)
    assert retried.status_code == 200 and "E-mail queued again" in _text(retried) and "Waiting" in _text(retried)
    again = client.post(f"/messages/file/{mail.id}/reessayer", headers=HX)
    assert again.status_code == 409 and "This e-mail is no longer failed: reload the page." in _text(again)
