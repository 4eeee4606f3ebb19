"""Issue 12, items 5 and 6, through the pages: non-conforming e-invoices read, kept, flagged and decided on
(AP-INV-3), ZUGFeRD 1.0 and line-level order references, the price tolerance per line, over-delivery,
delivery notes corrected or deleted until matched, resolved discrepancies shown as resolved
(AP-MATCH-1), and the invoice and purchasing pages in English (LOC-3)."""
import datetime
import html as html_module
import io
import re

import facturx

from models import AuditRecord, DeliveryNote, Invoice, InvoiceEvent, StoredDocument
from portal.invoices.service import InvoiceData, LineData, apply_action, create_invoice
from portal.payables.service import record_payment
from portal.payments.service import new_idempotency_key
from portal.purchasing.service import record_delivery
from tests import einvoice_samples as samples
from tests.factories import make_order, make_supplier

ALL = ["manage_suppliers", "approve_invoices", "pay_invoices"]
HX = {"HX-Request": "true"}


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def _upload(client, data, filename):
    return client.post("/factures/deposer", data={"document": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _roaster():
    return make_supplier(name="Rösterei Hamburg GmbH", vat_number="DE136695976", country="DE")


def _flagged_invoice(client, shop, supplier):
    """Upload the ZUGFeRD 2.0 invoice with the German bank code, check the review, save it."""
    response = _upload(client, samples.german_bankleitzahl_xml(), "rechnung.xml")
    assert response.status_code == 303, _text(response)
    review = _text(client.get(response.headers["Location"]))
    assert "n'est pas conforme à son schéma, mais ses données ont pu être lues" in review
    assert "élément ram:GermanBankleitzahlID inattendu" in review and "94,95" in review
    saved = client.post(response.headers["Location"], data={"shop": shop.id, "supplier": supplier.id,
                                                             "po_reference": ""})
    assert saved.status_code == 303
    return Invoice.get()


def test_ap_inv_3_non_conforming_e_invoice_is_kept_flagged_then_accepted(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    invoice = _flagged_invoice(client, shop, _roaster())
    assert invoice.total_gross == 9495 and invoice.document_id and invoice.schema_issues
    assert StoredDocument.get_by_id(invoice.document_id).size > 0  # the file is kept
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert "Facture électronique lue mais non conforme à son schéma." in page
    assert "Non conforme au schéma XSD CII (profil EN 16931) : ligne " in page
    assert "/action/accept_schema" in page and "/action/approve\"" not in page

    blocked = client.post(f"/factures/{invoice.id}/action/approve", headers=HX, data={"context": "detail"})
    assert blocked.status_code == 409 and "acceptez-la telle quelle ou refusez-la" in _text(blocked)
    form = _text(client.get(f"/factures/{invoice.id}/action/accept_schema", headers=HX))
    assert "GermanBankleitzahlID" in form
    done = client.post(f"/factures/{invoice.id}/action/accept_schema", headers=HX,
                       data={"context": "detail", "reason": "Ancien format du torréfacteur, montants vérifiés"})
    assert done.status_code == 200, _text(done)
    invoice = Invoice.get_by_id(invoice.id)
    assert invoice.schema_decision == "ACCEPTED" and invoice.status == "RECEIVED"
    event = InvoiceEvent.select().order_by(InvoiceEvent.id.desc()).get()
    assert event.action == "accept_schema" and "montants vérifiés" in event.reason
    audit = AuditRecord.get(AuditRecord.action == "invoice.accept_schema")
    assert audit.target_id == str(invoice.id) and audit.user_id
    approved = client.post(f"/factures/{invoice.id}/action/approve", headers=HX, data={"context": "detail"})
    assert approved.status_code == 200 and Invoice.get_by_id(invoice.id).status == "APPROVED"


def test_ap_inv_3_non_conforming_e_invoice_can_be_refused(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    invoice = _flagged_invoice(client, shop, _roaster())
    refused = client.post(f"/factures/{invoice.id}/action/refuse", headers=HX,
                          data={"context": "detail", "reason": "Envoyez une facture Factur-X conforme"})
    assert refused.status_code == 200
    assert Invoice.get_by_id(invoice.id).status == "REFUSED"
    assert AuditRecord.select().where(AuditRecord.action == "invoice.refuse").count() == 1


def test_ap_inv_3_accepting_needs_the_approval_right(client, login_as, shop):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop)
    invoice = _flagged_invoice(client, shop, _roaster())
    assert "/action/accept_schema" not in _text(client.get(f"/factures/{invoice.id}"))
    refused = client.post(f"/factures/{invoice.id}/action/accept_schema", headers=HX, data={"context": "detail"})
    assert refused.status_code == 409 and Invoice.get_by_id(invoice.id).schema_decision == ""


def test_ap_inv_3_zugferd_1_pdf_read_and_attached_to_its_order(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    supplier = _roaster()
    order = make_order(shop, supplier, lines=((4000, 1850, 550), (5000, 520, 550)), description="Café")
    pdf = samples.pdf_with_xml(samples.zugferd1_xml(po_number=order.number))
    response = _upload(client, pdf, "RE-2015-0311.pdf")
    assert response.status_code == 303 and "/verifier" in response.headers["Location"]
    review = _text(client.get(response.headers["Location"]))
    assert "ZUGFeRD 1.0, profil COMFORT" in review and f"{order.number}</a> (sera rattachée)" in review
    client.post(response.headers["Location"], data={"shop": shop.id, "supplier": supplier.id,
                                                     "po_reference": order.number})
    invoice = Invoice.get()
    assert (invoice.source, invoice.einvoice_profile, invoice.order_id) == ("ZUGFERD1", "COMFORT", order.id)


def test_ap_inv_3_line_order_references_attach_the_invoice_when_the_header_has_none(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    supplier = _roaster()
    order = make_order(shop, supplier, lines=((4000, 1850, 550), (5000, 520, 550)), description="Café")
    data = samples.coffee_invoice_data(line_references=[{"BT-132": f"{order.number}/1"},
                                                        {"BT-132": f"{order.number}/2"}])
    xml = facturx.generate_xml(data, flavor="factur-x", level="en16931", check_schematron=False)
    response = _upload(client, xml, "facture.xml")
    review = _text(client.get(response.headers["Location"]))
    assert "cité par les lignes (BT-132)" in review and f'value="{order.number}"' in review
    client.post(response.headers["Location"], data={"shop": shop.id, "supplier": supplier.id,
                                                     "po_reference": order.number})
    assert Invoice.get().order_id == order.id


def test_ap_inv_3_plain_pdf_gets_the_one_message(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    response = _upload(client, samples.plain_pdf(), "scan.pdf")
    page = _text(client.get(response.headers["Location"]))
    assert ("Ce PDF ne contient pas de facture électronique (Factur-X, ZUGFeRD ou XRechnung) : "
            "saisissez la facture, le PDF y est joint.") in page


def _coffee_order_received(shop, supplier, ordered=10000, received=10000):
    order = make_order(shop, supplier, lines=((ordered, 1850, 550),), description="Café en grains Moka 1 kg")
    record_delivery(order, {order.lines.get().id: received}, None, datetime.date(2026, 11, 18), "BL-7")
    return order


def _coffee_invoice(shop, supplier, order, price=1950, quantity=10000, number="RE-1"):
    net = quantity * price // 1000
    return create_invoice(InvoiceData(shop=shop, supplier=supplier, number=number, issue_date=datetime.date(2026, 11, 20),
                                      currency="EUR", total_net=net, total_vat=0, total_gross=net,
                                      po_reference=order.number,
                                      lines=[LineData("Café en grains Moka 1 kg", quantity, price, 550)]), None)


def test_ap_match_1_price_tolerance_in_percent_names_the_line(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier()
    saved = client.post("/factures/tolerances", data={"quantity_pct": "0", "price_mode": "pct", "price_pct": "5",
                                                      "amount_abs": "1"})
    assert saved.status_code == 303
    invoice = _coffee_invoice(shop, supplier, _coffee_order_received(shop, supplier))
    assert invoice.discrepancy_count == 2  # the line and the total
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert "Prix unitaire ≠ prix commandé — Café en grains Moka 1 kg" in page
    assert re.search(r"19,50\s*€</td><td class=\"num\">18,50\s*€</td><td class=\"num\">1,00\s*€ <span class=\"nowrap\">"
                     r"\(\+5,4\s*%\)", page), page[page.find("inv-matching"):][:1500]
    client.post("/factures/tolerances", data={"quantity_pct": "0", "price_mode": "amount", "price_pct": "0",
                                              "amount_abs": "10"})
    assert Invoice.get_by_id(invoice.id).discrepancy_count == 0  # 10 × 1,00 € within 10,00 € per line
    form = _text(client.get("/factures/tolerances"))
    assert 'value="amount" selected' in form or "selected value=\"amount\"" in form


def test_ap_match_1_over_delivery_is_flagged(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    order = make_order(shop, make_supplier(), lines=((5000, 1250, 2000),))
    line = order.lines.get()
    response = client.post(f"/achats/commandes/{order.id}/reception", data={
        "reference": "BL-9", "received_on": "2026-11-18", f"received-{line.id}": "8"}, follow_redirects=True)
    page = _text(response)
    assert "Reçu au-delà de la commande — Ramette papier A4 : 8 reçus pour 5 commandés." in page
    assert "+3 au-delà de la commande" in page
    assert "Reçue au-delà de la commande" in _text(client.get("/achats/"))


def test_ap_match_1_delivery_note_corrected_or_deleted_until_matched(client, login_as, shop):
    user = login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier()
    order = _coffee_order_received(shop, supplier, received=8000)
    note = DeliveryNote.get()
    line = order.lines.get()
    invoice = _coffee_invoice(shop, supplier, order, price=1850, quantity=10000)
    assert invoice.discrepancy_count == 1  # 10 invoiced, 8 received

    form = _text(client.get(f"/achats/livraisons/{note.id}/corriger"))
    assert f'name="received-{line.id}"' in form and 'value="8"' in form
    bad = client.post(f"/achats/livraisons/{note.id}/corriger", data={
        "reference": "BL-7", "received_on": "2026-11-18", f"received-{line.id}": "dix"})
    assert bad.status_code == 422 and 'value="dix"' in _text(bad)
    fixed = client.post(f"/achats/livraisons/{note.id}/corriger", data={
        "reference": "BL-7b", "received_on": "2026-11-19", f"received-{line.id}": "10"})
    assert fixed.status_code == 303
    note = DeliveryNote.get_by_id(note.id)
    assert (note.reference, note.received_on, note.lines.get().quantity_milli) == ("BL-7b", datetime.date(2026, 11, 19),
                                                                                   10000)
    assert Invoice.get_by_id(invoice.id).discrepancy_count == 0  # matching follows the correction
    audit = AuditRecord.get(AuditRecord.action == "delivery_note.correct")
    assert '"reference": "BL-7"' in audit.before and "BL-7b" in audit.after

    apply_action(invoice.id, "approve", user, {"approve_invoices"})
    page = _text(client.get(f"/achats/commandes/{order.id}"))
    assert "rapproché d'une facture approuvée : figé" in page and f"/livraisons/{note.id}/corriger" not in page
    frozen = client.post(f"/achats/livraisons/{note.id}/supprimer", follow_redirects=True)
    assert "ne peut plus être corrigé ni supprimé" in _text(frozen)
    assert DeliveryNote.select().count() == 1


def test_ap_match_1_delivery_note_deleted_and_audited(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    order = _coffee_order_received(shop, make_supplier())
    note = DeliveryNote.get()
    deleted = client.post(f"/achats/livraisons/{note.id}/supprimer", headers=HX)
    assert deleted.status_code == 204 and deleted.headers["HX-Redirect"] == f"/achats/commandes/{order.id}"
    assert DeliveryNote.select().count() == 0
    assert AuditRecord.select().where(AuditRecord.action == "delivery_note.delete").count() == 1


def test_ap_match_1_delivery_notes_of_other_shops_are_out_of_reach(client, login_as, shop):
    from tests.factories import make_shop

    order = _coffee_order_received(make_shop(), make_supplier())
    note = DeliveryNote.get()
    login_as("compta", rights=ALL, shop=shop)
    assert client.get(f"/achats/livraisons/{note.id}/corriger").status_code == 403
    assert client.post(f"/achats/livraisons/{note.id}/supprimer").status_code == 403
    assert DeliveryNote.select().count() == 1 and order.id


def test_ap_match_1_resolved_discrepancy_shows_as_resolved_not_as_an_alert(client, login_as, shop):
    user = login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier()
    invoice = _coffee_invoice(shop, supplier, _coffee_order_received(shop, supplier, received=8000), price=1850)
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert "Attention : 1 écart avec le bon de commande" in page and "badge-danger" in _text(client.get("/factures/"))

    apply_action(invoice.id, "approve", user, {"approve_invoices"}, override_reason="Reliquat livré lundi")
    record_payment(Invoice.get_by_id(invoice.id), invoice.total_gross, datetime.date(2026, 11, 25), "CHEQUE", user,
                   new_idempotency_key())
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert "Attention :" not in page and "1 écart avec le bon de commande" in page and ": résolu." in page
    assert "Reliquat livré lundi" in page
    listing = _text(client.get("/factures/"))
    assert "1 écart résolu" in listing and "badge-danger\">1 écart" not in listing


def test_loc_3_invoice_and_purchasing_pages_in_english(client, login_as, shop):
    user = login_as("buyer", rights=ALL, shop=shop, language="en")
    supplier = make_supplier()
    order = _coffee_order_received(shop, supplier, received=8000)
    invoice = _coffee_invoice(shop, supplier, order, price=1950)
    flagged = create_invoice(InvoiceData(shop=shop, supplier=supplier, number="RE-2", issue_date=datetime.date(2026, 1, 2),
                                         currency="EUR", total_net=100, total_vat=0, total_gross=100, source="CII",
                                         einvoice_profile="EN 16931",
                                         schema_issues='[{"t": "ligne %(line)s, %(detail)s", "p": {"line": 3, '
                                                       '"detail": {"t": "élément %(element)s inattendu à cet endroit", '
                                                       '"p": {"element": "ram:Colour"}}}}]'), user)
    pages = {
        "list": _text(client.get("/factures/")),
        "detail": _text(client.get(f"/factures/{invoice.id}")),
        "flagged": _text(client.get(f"/factures/{flagged.id}")),
        "approve": _text(client.get(f"/factures/{invoice.id}/action/approve", headers=HX)),
        "upload": _text(client.get("/factures/deposer")),
        "tolerances": _text(client.get("/factures/tolerances")),
        "purchasing": _text(client.get("/achats/")),
        "order": _text(client.get(f"/achats/commandes/{order.id}")),
        "note": _text(client.get(f"/achats/livraisons/{DeliveryNote.get().id}/corriger")),
        "new order": _text(client.get("/achats/commandes/nouvelle")),
    }
    assert "Supplier invoices" in pages["list"] and "Received (filed)" in pages["list"]
    assert "Unit price ≠ ordered price — Café en grains Moka 1 kg" in pages["detail"]
    assert "Does not conform to the CII XSD schema (profile EN 16931): line 3, element ram:Colour not expected here." \
        in pages["flagged"]
    assert "Accept despite non-conformity" in pages["flagged"]
    assert "Tolerance on prices and totals (%)" in pages["tolerances"]
    assert "Purchase orders" in pages["purchasing"] and "Deliveries" in pages["order"]
    assert "Record the correction" in pages["note"] and "Description" in pages["new order"]
    for name, page in pages.items():
        # The panels other areas add to the invoice page (payments, allocation, VAT, thread) are theirs to
        # translate, and the history keeps the reasons as they were written: both are left out here.
        page = page.split('id="inv-shares"')[0] if name in ("detail", "flagged") else page
        for raw in (">INVOICE<", ">RECEIVED<", ">PAID<", ">APPROVED<", ">OVER_RECEIVED<", ">CREDIT_NOTE<"):
            assert raw not in page, (name, raw)
        for french in ("Facture n°", "Fournisseur<", "Enregistrer", "Bon de commande", "Désignation", "écart"):
            assert french not in page, (name, french)
