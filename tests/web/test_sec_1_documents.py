"""SEC-1 regressions of issue 9: a stored document or an upload of another shop cannot be
reached by an id sent back from the browser."""
import io

from models import Invoice, Receipt, StoredDocument, Upload
from tests.einvoice_samples import facturx_pdf, paper_invoice_data, plain_pdf, ubl_xml
from tests.factories import make_shop, make_supplier, make_user

INVOICE_FIELDS = {"number": "VOL-1", "kind": "INVOICE", "issue_date": "2026-11-20", "currency": "EUR",
                  "lines-0-description": "Prestation", "lines-0-quantity": "1",
                  "lines-0-unit_price": "100", "lines-0-vat_rate": "2000"}


def _upload(client, data, filename):
    return client.post("/factures/deposer", data={"document": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _two_intake_users(client):
    shop_a, shop_b = make_shop("Boutique A"), make_shop("Boutique B")
    make_user("alice", rights={shop_a: ["manage_suppliers"]})
    make_user("bruno", rights={shop_b: ["manage_suppliers"]})
    return shop_a, shop_b


def test_sec_1_upload_of_another_user_cannot_be_attached_to_an_invoice(client, admin):
    shop_a, _ = _two_intake_users(client)
    supplier = make_supplier()
    client.login("bruno")
    _upload(client, plain_pdf("Facture confidentielle de B"), "b.pdf")
    upload_b = Upload.get()
    client.post("/logout")
    client.login("alice")
    response = client.post("/factures/nouvelle", data={**INVOICE_FIELDS, "shop": shop_a.id,
                                                        "supplier": supplier.id, "upload_id": upload_b.id})
    assert response.status_code == 404
    assert Invoice.select().count() == 0
    assert client.get(f"/factures/nouvelle?depot={upload_b.id}").status_code == 404


def test_sec_1_a_stored_document_id_in_the_form_is_ignored(client, admin, app):
    """The finding: `document_id` set to a receipt's document id, then downloaded from the new invoice."""
    shop_a, _ = _two_intake_users(client)
    supplier = make_supplier()
    from portal.documents import DocumentStore

    secret = DocumentStore(app.config["DOCUMENTS_DIR"]).put(b"%PDF-1.4 ticket de B", "application/pdf")
    client.login("alice")
    response = client.post("/factures/nouvelle", data={**INVOICE_FIELDS, "shop": shop_a.id,
                                                        "supplier": supplier.id, "document_id": secret.id})
    assert response.status_code == 303
    invoice = Invoice.get()
    assert invoice.document is None and invoice.source == "MANUAL"
    assert client.get(f"/factures/{invoice.id}/document").status_code == 404


def test_sec_1_e_invoice_of_another_user_cannot_be_read_or_copied(client, admin):
    shop_a, shop_b = _two_intake_users(client)
    client.login("bruno")
    response = _upload(client, facturx_pdf(paper_invoice_data(None, number="FA-SECRET-B")), "fb.pdf")
    review_url = response.headers["Location"]
    assert "FA-SECRET-B" in client.get(review_url).get_data(as_text=True), "the uploader reads it"
    client.post("/logout")
    client.login("alice")
    page = client.get(review_url)
    assert page.status_code == 404 and "FA-SECRET-B" not in page.get_data(as_text=True)
    copied = client.post(review_url, data={"shop": shop_a.id, "supplier": -1, "po_reference": ""})
    assert copied.status_code == 404
    assert Invoice.select().count() == 0


def test_sec_1_own_upload_still_reviewed_and_saved(client, admin):
    shop_a, _ = _two_intake_users(client)
    client.login("alice")
    response = _upload(client, ubl_xml(paper_invoice_data(None, number="FA-A-1")), "fa.xml")
    saved = client.post(response.headers["Location"], data={"shop": shop_a.id, "supplier": -1, "po_reference": ""})
    assert saved.status_code == 303
    invoice = Invoice.get()
    assert invoice.number == "FA-A-1" and invoice.shop_id == shop_a.id
    assert invoice.document_id == Upload.get().document_id
    assert Receipt.select().count() == 0 and StoredDocument.select().count() == 1
