"""Paying supplier invoices through the pages and the service (AP-PAY-1, AP-SUP-2, MONEY-1, AUTH-2,
AUDIT-1): partial payments, deposit deductions, idempotent and concurrent payments, SEPA batches
(pain.001.001.09 validated against the XSD) paid only to approved bank details."""
import datetime
import hashlib
import html as html_module
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from models import (AuditRecord, DepositDeduction, Invoice, InvoiceEvent, PaymentBatch, Setting, StoredDocument,
                    SupplierPayment)
from portal.invoices.service import InvoiceData, apply_action, create_invoice
from portal.payables.balances import PaymentRefused
from portal.payables.service import (CompanyDetails, invoice_balance, new_idempotency_key, record_payment,
                                     save_company_details)
from portal.suppliers.service import approve_bank_change, request_bank_change
from tests.concurrency import run_at_once
from tests.factories import make_supplier, make_user

HX_PANEL = {"HX-Request": "true", "HX-Target": "inv-payments"}
HX_BATCH = {"HX-Request": "true", "HX-Target": "payables-to-pay"}
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
COMPANY_IBAN = "FR7630004000031234567890143"
IBAN_A = "FR7630006000011234567890189"
IBAN_B = "DE89370400440532013000"
NEW_IBAN = "NL91ABNA0417164300"
TODAY = datetime.date.today()


@pytest.fixture
def treasurer(login_as, shop):
    """The logged-in user: approves and pays the shop's invoices."""
    return login_as("tresorier", rights=["pay_invoices", "approve_invoices", "manage_suppliers"], shop=shop)


@pytest.fixture
def company(app):
    return save_company_details(CompanyDetails("Comptoir Démo SARL", "552100554", COMPANY_IBAN, "BNPAFRPPXXX"), None)


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def _invoice(shop, supplier, total=10000, number="F-1", kind="INVOICE", currency="EUR", approve=True):
    invoice = create_invoice(InvoiceData(shop=shop, supplier=supplier, number=number, kind=kind,
                                         issue_date=TODAY - datetime.timedelta(days=10), currency=currency,
                                         total_net=total, total_vat=0, total_gross=total), None)
    if approve:
        apply_action(invoice.id, "approve", None, {"approve_invoices"})
    return Invoice.get_by_id(invoice.id)


def _pay(client, invoice, amount, method="TRANSFER", key=None, headers=HX_PANEL, paid_on=None):
    return client.post(f"/reglements/factures/{invoice.id}/paiements", headers=headers, data={
        "payment-amount": amount, "payment-paid_on": (paid_on or TODAY).isoformat(), "payment-method": method,
        "payment-reference": "", "payment-idempotency_key": key or new_idempotency_key()})


def _outstanding(html):
    match = re.search(r'data-outstanding="(\d+)"', html)
    return int(match.group(1)) if match else None


def _status(invoice):
    return Invoice.get_by_id(invoice.id).status


def _batch(client, shop, lines, execution_date=None, headers=None, key=None):
    data = {"shop": shop.id, "execution_date": (execution_date or TODAY).isoformat(),
            "idempotency_key": key or new_idempotency_key(), "invoice": [str(i.id) for i, _ in lines]}
    data.update({f"amount-{invoice.id}": amount for invoice, amount in lines})
    return client.post("/reglements/lots", data=data, headers=headers or {})


def _field_error(html, field_id):
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    return html_module.unescape(match.group(1)) if match else None


# --- Partial payments and deposits (AP-PAY-1) ----------------------------------------------------------


def test_ap_pay_1_deposit_then_balance(client, treasurer, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A, bic="AGRIFRPPXXX"))
    detail = _text(client.get(f"/factures/{invoice.id}"))
    assert "Enregistrer un paiement" in detail and _outstanding(detail) == 10000
    assert 'value="100,00"' in detail, "the amount is pre-filled with the outstanding"

    first = _pay(client, invoice, "20,00")
    assert first.status_code == 200, _text(first)
    assert _outstanding(_text(first)) == 8000
    assert "Paiement de 20,00" in _text(first) and "reste à payer 80,00" in _text(first)
    assert _status(invoice) == "PARTIALLY_PAID"

    second = _pay(client, invoice, "80")
    assert second.status_code == 200 and _outstanding(_text(second)) == 0
    assert _status(invoice) == "PAID"
    assert "Enregistrer un paiement" not in _text(second), "nothing left to pay: no form"

    payments = list(SupplierPayment.select().where(SupplierPayment.invoice == invoice).order_by(SupplierPayment.id))
    assert [p.amount for p in payments] == [2000, 8000]
    assert all(p.iban == IBAN_A and p.bic == "AGRIFRPPXXX" and p.method == "TRANSFER" for p in payments)
    events = [(e.action, e.from_status, e.to_status) for e in
              InvoiceEvent.select().where(InvoiceEvent.invoice == invoice).order_by(InvoiceEvent.id)][-2:]
    assert events == [("pay_partially", "APPROVED", "PARTIALLY_PAID"), ("pay", "PARTIALLY_PAID", "PAID")]
    audited = [r.action for r in AuditRecord.select().where(AuditRecord.target_id == str(invoice.id))
               .order_by(AuditRecord.id)]
    assert audited[-4:] == ["invoice.payment", "invoice.pay_partially", "invoice.payment", "invoice.pay"]
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert _outstanding(page) == 0 and "Payée partiellement" in page and "Paiement transmis" in page


def test_ap_pay_1_panel_updates_the_status_and_history_out_of_band(client, treasurer, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    headers = {**HX_PANEL, "HX-Current-URL": f"http://localhost/factures/{invoice.id}"}
    html = _text(_pay(client, invoice, "20,00", headers=headers))
    assert 'id="inv-status" hx-swap-oob="true"' in html and "Payée partiellement" in html
    assert 'id="inv-history" hx-swap-oob="true"' in html


def test_ap_pay_1_deposit_invoice_deducted_from_the_balance_invoice(client, treasurer, shop):
    supplier = make_supplier(iban=IBAN_A)
    deposit = _invoice(shop, supplier, 3000, "ACOMPTE-1", kind="DEPOSIT")
    assert _pay(client, deposit, "30,00").status_code == 200
    assert _status(deposit) == "PAID"
    balance_invoice = _invoice(shop, supplier, 10000, "SOLDE-1")

    panel = _text(client.get(f"/reglements/factures/{balance_invoice.id}", headers=HX_PANEL))
    assert "Déduire une facture d'acompte" in panel and "ACOMPTE-1" in panel
    response = client.post(f"/reglements/factures/{balance_invoice.id}/acomptes", headers=HX_PANEL,
                           data={"deduction-deposit": deposit.id, "deduction-amount": "30,00"})
    assert response.status_code == 200, _text(response)
    assert _outstanding(_text(response)) == 7000
    assert invoice_balance(Invoice.get_by_id(balance_invoice.id)).outstanding == 7000
    assert _status(balance_invoice) == "PARTIALLY_PAID"
    deduction = DepositDeduction.get()
    assert (deduction.invoice_id, deduction.deposit_id, deduction.amount) == (balance_invoice.id, deposit.id, 3000)
    assert AuditRecord.select().where(AuditRecord.action == "invoice.deposit_deduction").count() == 1

    # The deposit is used up: deducting it again (here or elsewhere) is refused with the reason.
    again = client.post(f"/reglements/factures/{balance_invoice.id}/acomptes", headers=HX_PANEL,
                        data={"deduction-deposit": deposit.id, "deduction-amount": "1,00"})
    assert again.status_code == 409 and "entièrement déduite" in _text(again)
    assert DepositDeduction.select().count() == 1
    # The rest is paid normally.
    assert _outstanding(_text(_pay(client, balance_invoice, "70,00"))) == 0
    assert _status(balance_invoice) == "PAID"


def test_ap_pay_1_unpaid_deposit_cannot_be_deducted(client, treasurer, shop):
    supplier = make_supplier(iban=IBAN_A)
    deposit = _invoice(shop, supplier, 3000, "ACOMPTE-1", kind="DEPOSIT")
    balance_invoice = _invoice(shop, supplier, 10000, "SOLDE-1")
    assert "Déduire une facture d'acompte" not in _text(
        client.get(f"/reglements/factures/{balance_invoice.id}", headers=HX_PANEL))
    response = client.post(f"/reglements/factures/{balance_invoice.id}/acomptes", headers=HX_PANEL,
                           data={"deduction-deposit": deposit.id, "deduction-amount": "30,00"})
    assert response.status_code == 409 and "entièrement payée" in _text(response)
    assert DepositDeduction.select().count() == 0 and _status(balance_invoice) == "APPROVED"


def test_ap_pay_1_same_form_submitted_twice_pays_once(client, treasurer, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    key = new_idempotency_key()
    first = _pay(client, invoice, "20,00", key=key)
    second = _pay(client, invoice, "20,00", key=key)
    assert first.status_code == second.status_code == 200
    assert "déjà enregistré" in _text(second)
    assert SupplierPayment.select().count() == 1
    assert _outstanding(_text(second)) == 8000
    assert InvoiceEvent.select().where(InvoiceEvent.action == "pay_partially").count() == 1


def test_ap_pay_1_concurrent_payments_never_exceed_the_outstanding(app, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    user = make_user("caissier")
    recorded, refused = run_at_once(
        [lambda: record_payment(invoice, 1000, TODAY, "TRANSFER", user, new_idempotency_key())] * 20,
        expected=PaymentRefused)
    assert len(recorded) == 10 and len(refused) == 10
    assert all("dépasse le reste à payer" in r.message or "déjà entièrement payée" in r.message for r in refused)
    assert SupplierPayment.select().count() == 10
    assert invoice_balance(Invoice.get_by_id(invoice.id)).outstanding == 0
    assert _status(invoice) == "PAID"
    assert [e.to_status for e in InvoiceEvent.select().where(InvoiceEvent.action.in_(["pay", "pay_partially"]))
            .order_by(InvoiceEvent.id)] == ["PARTIALLY_PAID", "PAID"]


# --- Refusals: rights (403), rules (409), bad input (422) -------------------------------------------------


def test_auth_2_paying_needs_pay_invoices_on_the_shop(client, login_as, shop, company):
    login_as("approbateur", rights=["approve_invoices"], shop=shop)
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    panel = _text(client.get(f"/factures/{invoice.id}"))
    assert "Reste à payer" in panel and "Enregistrer un paiement" not in panel
    assert _pay(client, invoice, "10,00").status_code == 403
    assert client.post(f"/reglements/factures/{invoice.id}/acomptes",
                       data={"deduction-deposit": 1, "deduction-amount": "1"}).status_code == 403
    listing = client.get("/reglements/")
    assert listing.status_code == 200 and "F-1" in _text(listing)
    assert "Créer le lot de virements SEPA" not in _text(listing) and 'name="invoice"' not in _text(listing)
    assert _batch(client, shop, [(invoice, "100,00")]).status_code == 403
    assert SupplierPayment.select().count() == 0 and PaymentBatch.select().count() == 0
    assert client.get("/reglements/societe").status_code == 403


def test_auth_2_no_payables_right_sees_nothing(client, login_as, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    login_as("vendeur", rights=["view", "refund"], shop=shop)
    assert client.get("/reglements/").status_code == 403
    assert client.get(f"/reglements/factures/{invoice.id}").status_code == 403
    assert _pay(client, invoice, "10,00").status_code == 403


def test_ap_pay_1_rules_refuse_with_409_and_the_reason(client, treasurer, shop):
    supplier = make_supplier(iban=IBAN_A)
    received = _invoice(shop, supplier, number="F-RECUE", approve=False)
    response = _pay(client, received, "10,00")
    assert response.status_code == 409 and "approuvée" in _text(response)

    invoice = _invoice(shop, supplier, number="F-2")
    too_much = _pay(client, invoice, "100,01")
    assert too_much.status_code == 409
    assert "dépasse le reste à payer" in _field_error(_text(too_much), "payment-amount")

    credit_note = _invoice(shop, supplier, number="AV-1", kind="CREDIT_NOTE", approve=False)
    refused = _pay(client, credit_note, "10,00")
    assert refused.status_code == 409 and "avoir ne se paie pas" in _text(refused)
    assert SupplierPayment.select().count() == 0


def test_ap_pay_1_bad_input_422_next_to_the_field(client, treasurer, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    key = new_idempotency_key()
    response = _pay(client, invoice, "12,345", key=key)
    assert response.status_code == 422
    html = _text(response)
    assert "Trop de décimales" in _field_error(html, "payment-amount")
    assert f'value="{key}"' in html, "the same form keeps its idempotency key"
    assert _pay(client, invoice, "-5").status_code == 422
    assert _pay(client, invoice, "douze").status_code == 422
    no_date = client.post(f"/reglements/factures/{invoice.id}/paiements", headers=HX_PANEL, data={
        "payment-amount": "10", "payment-paid_on": "", "payment-method": "TRANSFER"})
    assert no_date.status_code == 422 and _field_error(_text(no_date), "payment-paid_on")
    assert SupplierPayment.select().count() == 0


def test_ap_pay_1_without_javascript_redirects_to_the_invoice(client, treasurer, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    response = _pay(client, invoice, "20,00", headers={})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/factures/{invoice.id}")
    refused = _pay(client, invoice, "500,00", headers={})
    assert refused.status_code == 409 and "<html" in refused.get_data(as_text=True)


# --- Approved bank details only (AP-SUP-2) ------------------------------------------------------------------


def test_ap_sup_2_payment_uses_only_approved_bank_details(client, treasurer, shop, admin):
    supplier = make_supplier(iban=IBAN_A, bic="AGRIFRPPXXX")
    invoice = _invoice(shop, supplier, 30000)
    change = request_bank_change(supplier, NEW_IBAN, "ABNANL2A", treasurer)
    assert _pay(client, invoice, "100,00").status_code == 200
    assert SupplierPayment.get().iban == IBAN_A, "a pending change is never used"

    approve_bank_change(change, make_user("second"))
    assert _pay(client, invoice, "100,00").status_code == 200
    latest = SupplierPayment.select().order_by(SupplierPayment.id.desc()).first()
    assert (latest.iban, latest.bic) == (NEW_IBAN, "ABNANL2A"), "approved by a second user: used from now on"
    assert SupplierPayment.select().where(SupplierPayment.iban == IBAN_A).count() == 1, "history keeps the old one"

    newcomer = make_supplier("Nouveau fournisseur", vat_number="", siren="")
    request_bank_change(newcomer, IBAN_B, "COBADEFFXXX", treasurer)
    unpaid = _invoice(shop, newcomer, 5000, "N-1")
    refused = _pay(client, unpaid, "50,00")
    assert refused.status_code == 409
    assert "attend l'approbation d'un second utilisateur" in _text(refused)
    by_cheque = _pay(client, unpaid, "50,00", method="CHEQUE")
    assert by_cheque.status_code == 200
    assert SupplierPayment.get(SupplierPayment.invoice == unpaid).iban == ""


# --- SEPA batches --------------------------------------------------------------------------------------


def _two_invoices(shop):
    first = _invoice(shop, make_supplier("Fournitures Dupont", iban=IBAN_A, bic="AGRIFRPPXXX"), 10000, "F-1")
    second = _invoice(shop, make_supplier("Müller GmbH", iban=IBAN_B, bic="COBADEFFXXX", vat_number="", siren=""),
                      25050, "M-77")
    return first, second


def test_ap_pay_1_sepa_batch_of_two_approved_invoices(client, treasurer, shop, company):
    first, second = _two_invoices(shop)
    listing = _text(client.get("/reglements/"))
    assert "F-1" in listing and "250,50" in listing and "Créer le lot de virements SEPA" in listing

    response = _batch(client, shop, [(first, "100,00"), (second, "200,05")])
    assert response.status_code == 303, _text(response)
    batch = PaymentBatch.get()
    assert (batch.count, batch.total, batch.shop_id, batch.execution_date) == (2, 30005, shop.id, TODAY)

    served = client.get(f"/reglements/lots/{batch.id}.xml")
    assert served.status_code == 200 and served.mimetype == "application/xml"
    assert f"virements-{batch.message_id}.xml" in served.headers["Content-Disposition"]
    data = served.data
    assert StoredDocument.get_by_id(batch.document_id).sha256 == hashlib.sha256(data).hexdigest()

    # Independent check against the XSD bundled with sepaxml.
    xmlschema.XMLSchema(str(XSD)).validate(data.decode())
    root = ET.fromstring(data)
    assert root.tag == "{%s}Document" % NS["p"]
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.find("p:NbOfTxs", NS).text == "2" and header.find("p:CtrlSum", NS).text == "300.05"
    assert header.find("p:MsgId", NS).text == batch.message_id
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.find("p:NbOfTxs", NS).text == "2" and info.find("p:CtrlSum", NS).text == "300.05"
    assert info.find("p:ReqdExctnDt/p:Dt", NS).text == TODAY.isoformat()
    assert info.find("p:Dbtr/p:Nm", NS).text == "Comptoir Demo SARL"
    assert info.find("p:DbtrAcct/p:Id/p:IBAN", NS).text == COMPANY_IBAN
    transfers = info.findall("p:CdtTrfTxInf", NS)
    found = {t.find("p:CdtrAcct/p:Id/p:IBAN", NS).text: t for t in transfers}
    assert set(found) == {IBAN_A, IBAN_B}
    amounts = {iban: t.find("p:Amt/p:InstdAmt", NS) for iban, t in found.items()}
    assert {iban: (a.text, a.get("Ccy")) for iban, a in amounts.items()} == {
        IBAN_A: ("100.00", "EUR"), IBAN_B: ("200.05", "EUR")}
    assert all(re.fullmatch(r"\d+\.\d{2}", a.text) for a in amounts.values())
    assert found[IBAN_A].find("p:RmtInf/p:Ustrd", NS).text == "Facture F-1"
    assert found[IBAN_B].find("p:Cdtr/p:Nm", NS).text == "Muller GmbH"
    assert found[IBAN_B].find("p:CdtrAgt/p:FinInstnId/p:BICFI", NS).text == "COBADEFFXXX"

    payments = {p.invoice_id: p for p in SupplierPayment.select()}
    assert {i: (p.amount, p.method, p.batch_id, p.iban) for i, p in payments.items()} == {
        first.id: (10000, "TRANSFER", batch.id, IBAN_A), second.id: (20005, "TRANSFER", batch.id, IBAN_B)}
    assert found[IBAN_A].find("p:PmtId/p:EndToEndId", NS).text == payments[first.id].reference
    assert (_status(first), _status(second)) == ("PAID", "PARTIALLY_PAID")
    assert AuditRecord.select().where(AuditRecord.action == "payment_batch.create").count() == 1
    after = _text(client.get("/reglements/"))
    assert batch.message_id in after and f"/reglements/lots/{batch.id}.xml" in after
    assert "F-1</a>" not in after and "50,45" in after, "F-1 paid; M-77 shows what is left"


def test_ap_pay_1_sepa_batch_with_htmx_and_twice_the_same_form(client, treasurer, shop, company):
    first, second = _two_invoices(shop)
    key = new_idempotency_key()
    response = _batch(client, shop, [(first, "100,00"), (second, "250,50")], headers=HX_BATCH, key=key)
    assert response.status_code == 200
    html = _text(response)
    assert "Télécharger le fichier SEPA" in html
    assert re.search(r'<section [^>]*id="payables-batches"[^>]*hx-swap-oob="true"', html)
    again = _batch(client, shop, [(first, "100,00"), (second, "250,50")], headers=HX_BATCH, key=key)
    assert again.status_code == 200
    assert PaymentBatch.select().count() == 1 and SupplierPayment.select().count() == 2


def test_ap_sup_2_batch_pays_the_old_approved_iban_while_a_change_is_pending(client, treasurer, shop, company):
    supplier = make_supplier(iban=IBAN_A, bic="AGRIFRPPXXX")
    invoice = _invoice(shop, supplier)
    request_bank_change(supplier, NEW_IBAN, "ABNANL2A", treasurer)
    assert "Changement en attente" in _text(client.get("/reglements/"))
    assert _batch(client, shop, [(invoice, "100,00")]).status_code == 303
    data = client.get(f"/reglements/lots/{PaymentBatch.get().id}.xml").data
    assert IBAN_A.encode() in data and NEW_IBAN.encode() not in data
    assert SupplierPayment.get().iban == IBAN_A


def test_ap_sup_2_batch_refuses_a_supplier_without_approved_iban(client, treasurer, shop, company):
    good = _invoice(shop, make_supplier(iban=IBAN_A))
    newcomer = make_supplier("Nouveau fournisseur", vat_number="", siren="")
    request_bank_change(newcomer, IBAN_B, "COBADEFFXXX", treasurer)
    bad = _invoice(shop, newcomer, 5000, "N-1")
    response = _batch(client, shop, [(good, "100,00"), (bad, "50,00")], headers=HX_BATCH)
    assert response.status_code == 409
    html = _text(response)
    assert "Facture n° N-1 (Nouveau fournisseur)" in html and "attend l'approbation" in html
    assert "checked" in html, "the ticked invoices stay ticked"
    assert PaymentBatch.select().count() == 0 and SupplierPayment.select().count() == 0
    assert StoredDocument.select().count() == 0
    assert (_status(good), _status(bad)) == ("APPROVED", "APPROVED")


def test_ap_pay_1_batch_refuses_foreign_currency_unapproved_and_too_much(client, treasurer, shop, company):
    supplier = make_supplier(iban=IBAN_A)
    euros = _invoice(shop, supplier, 10000, "F-1")
    dollars = _invoice(shop, supplier, 10000, "US-1", currency="USD")
    received = _invoice(shop, supplier, 10000, "R-1", approve=False)
    response = _batch(client, shop, [(euros, "100,01"), (dollars, "10,00"), (received, "10,00")], headers=HX_BATCH)
    assert response.status_code == 409
    html = _text(response)
    assert "dépasse le reste à payer" in html and "en euros" in html and "approuvée" in html
    assert PaymentBatch.select().count() == 0 and SupplierPayment.select().count() == 0

    bad_amount = _batch(client, shop, [(euros, "cent")], headers=HX_BATCH)
    assert bad_amount.status_code == 422 and _field_error(_text(bad_amount), f"amount-{euros.id}")
    past = _batch(client, shop, [(euros, "10,00")], TODAY - datetime.timedelta(days=1), headers=HX_BATCH)
    assert past.status_code == 422 and "passée" in _field_error(_text(past), "execution_date")
    nothing = _batch(client, shop, [], headers=HX_BATCH)
    assert nothing.status_code == 422 and "Cochez au moins une facture" in _text(nothing)


def test_ap_pay_1_batch_needs_the_company_bank_details(client, treasurer, shop):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    response = _batch(client, shop, [(invoice, "100,00")], headers=HX_BATCH)
    assert response.status_code == 409 and "Renseignez d'abord" in _text(response)
    assert PaymentBatch.select().count() == 0


def test_auth_2_batch_file_only_for_the_shop_payables_users(client, treasurer, shop, company):
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    _batch(client, shop, [(invoice, "100,00")])
    batch = PaymentBatch.get()
    client.post("/logout")
    make_user("vendeur", rights={shop: ["view"]})
    client.login("vendeur")
    assert client.get(f"/reglements/lots/{batch.id}.xml").status_code == 403


# --- Company details (debtor of the transfers) -------------------------------------------------------------


def test_onb_1_payables_company_page_reads_the_identity_and_links_to_entreprise(client, admin):
    """One page owns the company identity (ONB-1): the payables page shows the debtor it uses and sends
    the administrator to /entreprise to change it; it edits nothing itself."""
    from portal.company import current_identity

    Setting.create(key="company", value=json.dumps({"name": "Comptoir Démo SARL", "siren": "552100554",
                                                    "other": "kept"}))
    client.login("admin")
    page = client.get("/reglements/societe")
    text = _text(page)
    assert page.status_code == 200 and "Comptoir Démo SARL" in text and "552 100 554" in text
    assert 'href="/entreprise"' in text and "Modifier sur la page Entreprise" in text
    assert "Il manque encore, pour un lot de virements : l'IBAN." in text
    assert "<input" not in text.split("<main", 1)[1].split("</main>", 1)[0].replace('type="hidden"', "")
    before = current_identity()
    refused = client.post("/reglements/societe", data={"name": "Autre", "siren": "552100554", "iban": COMPANY_IBAN})
    assert refused.status_code == 405 and current_identity() == before
    assert not AuditRecord.select().where(AuditRecord.action == "setting.company").exists()
    client.post("/entreprise", data={"name": "Comptoir Démo SARL", "legal_form": "SARL", "address": "1 rue", "postcode": "75001",
                                     "city": "Paris", "siren": "552100554", "iban": COMPANY_IBAN})
    text = _text(client.get("/reglements/societe"))
    assert COMPANY_IBAN in text and "Il manque encore" not in text


def test_loc_3_payables_company_page_in_english(client, admin):
    from models import User

    User.update(language="en").where(User.id == admin.id).execute()
    client.login("admin")
    text = _text(client.get("/reglements/societe"))
    assert "Transfer debtor" in text and "Edit on the Company page" in text and "Modifier" not in text


def test_ap_pay_1_payment_dated_year_one_is_refused(client, treasurer, shop):
    """Issue 9, low: a supplier payment dated 0001-01-01 was accepted."""
    invoice = _invoice(shop, make_supplier(iban=IBAN_A, bic="AGRIFRPPXXX"))
    response = _pay(client, invoice, "20,00", paid_on=datetime.date(1, 1, 1))
    assert response.status_code == 422 and "plus de dix ans" in _text(response)
    assert SupplierPayment.select().count() == 0


def test_loc_3_payables_pages_in_english(client, login_as, shop, company):
    login_as("treasurer_en", rights=["pay_invoices", "approve_invoices", "manage_suppliers"], shop=shop, language="en")
    invoice = _invoice(shop, make_supplier(iban=IBAN_A, bic="AGRIFRPPXXX"))
    page = _text(client.get("/reglements/"))
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    for english in ("Supplier payments", "Invoices to pay", "Supplier", "Left to pay", "Approved IBAN",
                    "Create the SEPA transfer batch", "Transfer batches", "1 invoice to pay"):
        assert english in main, english
    for french in ("Fournisseur", "Montant", "Reste à payer", "Enregistrer", "Lots de virements", "facture à payer"):
        assert french not in main, french
    panel = _text(_pay(client, invoice, "20,00"))
    assert "Payment of €20.00 recorded; €80.00 left to pay." in panel and "Record a payment" in panel
    assert "Transfer" in panel and "TRANSFER" not in panel.replace('value="TRANSFER"', "")


def test_loc_3_payment_and_batch_refusals_in_english(client, login_as, shop, company):
    login_as("treasurer_en", rights=["pay_invoices", "approve_invoices", "manage_suppliers"], shop=shop, language="en")
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    too_much = _pay(client, invoice, "100,01")
    assert too_much.status_code == 409
    assert "The amount (€100.01) is above what is left to pay (€100.00)." in _text(too_much)
    decimals = _pay(client, invoice, "12,345")
    assert decimals.status_code == 422 and "Too many decimals: 2 at most for EUR." in _text(decimals)
    dollars = _invoice(shop, make_supplier(iban=IBAN_B), currency="USD", number="F-USD")
    batch = _batch(client, shop, [(dollars, "10,00")], headers=HX_BATCH)
    assert batch.status_code == 409
    assert "Invoice no. F-USD (Fournitures Dupont): a SEPA transfer is made in euros, this invoice is in USD." \
        in _text(batch)


@pytest.mark.parametrize("name, iban, says, not_says", [
    ("", "", "The company's legal name and IBAN (the account debited) are not filled in", "is not filled in"),
    ("Comptoir Démo SARL", "", "The company's IBAN (the account debited) is not filled in", "legal name"),
    ("", "FR7630004000031234567890143", "The company's legal name is not filled in", "IBAN"),
])
def test_ap_pay_1_warning_names_exactly_what_the_company_lacks(client, login_as, shop, name, iban, says, not_says):
    save_company_details(CompanyDetails(name, "552100554", iban, ""), None)
    login_as("treasurer_en", rights=["pay_invoices"], shop=shop, language="en")
    _invoice(shop, make_supplier(iban=IBAN_A))
    page = _text(client.get("/reglements/"))
    warning = page.split('<p class="alert-box">', 1)[1].split("</p>", 1)[0]
    assert says in warning and not_says not in warning.split(":", 1)[0]


def test_ap_pay_1_batch_refusal_names_exactly_what_the_company_lacks(client, treasurer, shop):
    save_company_details(CompanyDetails("Comptoir Démo SARL", "552100554", "", ""), None)
    invoice = _invoice(shop, make_supplier(iban=IBAN_A))
    response = _batch(client, shop, [(invoice, "100,00")], headers=HX_BATCH)
    text = _text(response)
    assert response.status_code == 409 and "Renseignez d'abord l'IBAN de la société" in text
    assert "raison sociale" not in text.split("Renseignez d'abord", 1)[1].split(")", 1)[0]
