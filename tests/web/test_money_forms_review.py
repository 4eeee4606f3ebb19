"""What a second review found on the posted forms (issues 10 and 14): an e-invoice saved twice, a deposit
deducted though nobody paid it, quantities and ids too large, a wallet path holding a NUL, invoice numbers
written differently, a payment key shaped like a batch's."""
import datetime
import html
import io
import threading

import pytest

from models import Invoice, Supplier, SupplierPayment, db
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.einvoice_samples import paper_invoice_data, ubl_xml
from tests.factories import make_supplier
from tests.web.test_payables import company  # noqa: F401 (a fixture: the debtor of the SEPA file)

ALL = ["manage_suppliers", "approve_invoices", "pay_invoices"]
HX = {"HX-Request": "true"}
HUGE = "99999999999999999999"


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _upload_unknown_supplier(client):
    data = paper_invoice_data("", vat_number="FR32123456789", seller="Papeterie Martin", number="U-7")
    response = client.post("/factures/deposer", data={"document": (io.BytesIO(ubl_xml(data)), "facture.xml")},
                           content_type="multipart/form-data")
    assert response.status_code == 303, _text(response)
    return response.headers["Location"]


def test_ap_flow_1_an_e_invoice_saved_twice_makes_one_supplier_and_one_invoice(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    review = _upload_unknown_supplier(client)
    first = client.post(review, data={"shop": shop.id, "supplier": "-1", "po_reference": ""})
    again = client.post(review, data={"shop": shop.id, "supplier": "-1", "po_reference": ""})  # a double click
    assert first.status_code == again.status_code == 303
    assert Supplier.select().where(Supplier.vat_number == "FR32123456789").count() == 1
    assert Invoice.select().count() == 1 and again.headers["Location"] == f"/factures/{Invoice.get().id}"


def test_ap_flow_1_an_e_invoice_saved_twice_at_once_makes_one_invoice(app, client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    review = _upload_unknown_supplier(client)
    with client.session_transaction() as session:
        cookie_session = dict(session)
    statuses = []

    def save():
        other = app.test_client()
        with other.session_transaction() as session:
            session.update(cookie_session)
        statuses.append(other.post(review, data={"shop": shop.id, "supplier": "-1", "po_reference": ""}).status_code)
        if not db.is_closed():
            db.close()

    threads = [threading.Thread(target=save) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 4
    assert Supplier.select().where(Supplier.vat_number == "FR32123456789").count() == 1
    assert Invoice.select().count() == 1


def _invoice(shop, supplier, number, gross, kind="INVOICE"):
    net = gross * 5 // 6
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=number, issue_date=datetime.date(2026, 11, 20), currency="EUR",
        total_net=net, total_vat=gross - net, total_gross=gross, kind=kind,
        lines=[LineData("Ramette papier A4", 1000, net, 2000)]), None)
    Invoice.update(status="APPROVED").where(Invoice.id == invoice.id).execute()
    return invoice


def test_ap_pay_1_a_deposit_marked_paid_without_money_is_not_deducted(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier()
    deposit = _invoice(shop, supplier, "ACOMPTE-1", 2000, kind="DEPOSIT")
    balance = _invoice(shop, supplier, "SOLDE-1", 10000)
    refused = client.post(f"/factures/{deposit.id}/action/pay", headers=HX, data={"context": "detail"})
    assert refused.status_code == 409 and Invoice.get_by_id(deposit.id).status == "APPROVED"
    Invoice.update(status="PAID").where(Invoice.id == deposit.id).execute()  # as an earlier version allowed
    response = client.post(f"/reglements/factures/{balance.id}/acomptes", headers=HX,
                           data={"deduction-deposit": str(deposit.id), "deduction-amount": "20,00"})
    assert response.status_code in (409, 422) and "entièrement payée" in _text(response)
    assert Invoice.get_by_id(balance.id).status == "APPROVED"


@pytest.mark.parametrize("field", ["lines-0-quantity", "lines-0-unit_price"])
def test_sec_2_a_quantity_of_thirty_digits_gets_a_message(client, login_as, shop, field):
    login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier()
    data = {"shop": shop.id, "supplier": supplier.id, "number": "F-001", "kind": "INVOICE", "issue_date": "2026-11-20",
            "currency": "EUR", "lines-0-description": "Ramette", "lines-0-quantity": "10", "lines-0-unit_price": "4,20",
            "lines-0-vat_rate": "2000"}
    data[field] = "9" * 30
    response = client.post("/factures/nouvelle", data=data)
    assert response.status_code == 422 and ("trop grand" in _text(response) or "trop élevé" in _text(response))
    assert client.post("/ventilation/facture/0", data={"lines-0-value": HUGE}).status_code in (403, 404)


def test_sec_2_ids_beyond_64_bits_in_posted_fields(client, login_as, shop):
    login_as("compta", rights=ALL + ["manage_axes"], shop=shop)
    supplier = make_supplier()
    balance = _invoice(shop, supplier, "SOLDE-1", 10000)
    response = client.post(f"/reglements/factures/{balance.id}/acomptes", headers=HX,
                           data={"deduction-deposit": HUGE, "deduction-amount": "20,00"})
    assert response.status_code == 422
    response = client.post(f"/messages/facture/{balance.id}/reponse", headers=HX,
                           data={"reply-contact": HUGE, "reply-body": "Bien reçu"})
    assert response.status_code in (409, 422)
    response = client.post(f"/ventilation/facture/{balance.id}", headers=HX,
                           data={"alloc-0-axis": HUGE, "alloc-0-value": HUGE, "alloc-0-entry": "10,00"})
    assert response.status_code in (200, 409, 422)


@pytest.mark.parametrize("path", ["a%00b/wm_1/supprimer", "AAAW1/wm%00/payer", "AAAW1/wm 1/payer",
                                  "AAAW1/" + "x" * 80 + "/supprimer"])
def test_pay_wal_1_a_wallet_path_not_shaped_as_an_id_is_not_found(client, login_as, shop, path):
    login_as("caisse", rights=["view", "create_payment", "manage_wallets"], shop=shop)
    assert client.get(f"/transactions/portefeuilles/{shop.id}/{path}").status_code == 404


def test_ap_flow_1_invoice_numbers_written_differently_are_the_same_invoice(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier()
    base = {"shop": shop.id, "supplier": supplier.id, "kind": "INVOICE", "issue_date": "2026-11-20",
            "currency": "EUR", "lines-0-description": "Ramette", "lines-0-quantity": "10", "lines-0-unit_price": "4,20",
            "lines-0-vat_rate": "2000"}
    assert client.post("/factures/nouvelle", data={**base, "number": "FA\u00a0100"}).status_code == 303
    assert Invoice.get().number == "FA 100"
    for variant in ("FA  100", "FA 100", "\uff26\uff21 100", " fa 100 "):
        response = client.post("/factures/nouvelle", data={**base, "number": variant})
        assert response.status_code in (303, 409, 422) and Invoice.select().count() == 1, variant


def test_ap_pay_1_a_payment_key_shaped_like_a_batch_key_is_replaced(client, login_as, shop, company):
    login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier(iban="FR7630006000011234567890189", bic="BNPAFRPPXXX")
    invoice = _invoice(shop, supplier, "F-1", 10000)
    key = "abcdefghijklmnop"
    response = client.post(f"/reglements/factures/{invoice.id}/paiements", headers=HX, data={
        "payment-amount": "10,00", "payment-paid_on": "2026-11-25", "payment-method": "CHEQUE",
        "payment-idempotency_key": f"{key}:{invoice.id}"})
    assert response.status_code in (200, 303), _text(response)
    assert SupplierPayment.get().idempotency_key != f"{key}:{invoice.id}"
    batch = client.post("/reglements/lots", data={"shop": str(shop.id), "execution_date": datetime.date.today().isoformat(),
                                                  "idempotency_key": key, "invoice": [str(invoice.id)],
                                                  f"amount-{invoice.id}": "90,00"})
    assert batch.status_code == 303 and SupplierPayment.select().count() == 2
