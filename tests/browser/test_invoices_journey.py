"""Browser journey of a new buyer (issue 4): order 10 items, receive 8, upload a Factur-X invoice
for 10 quoting the order, see it attached and flagged, override with a reason, approve."""
import pytest
from playwright.sync_api import expect

from models import Invoice, PurchaseOrder, Supplier
from tests.browser.steps import log_in
from tests.einvoice_samples import facturx_pdf, paper_invoice_data
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.browser

BUYER = ["manage_suppliers", "approve_invoices", "pay_invoices"]


def create_supplier_with_contacts(page, output_dir):
    """Through the supplier pages: identity, then two contacts added inline."""
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Fournisseurs").click()
    page.get_by_role("link", name="Nouveau fournisseur").click()
    page.get_by_label("Raison sociale").fill("Fournitures Dupont")
    page.get_by_label("SIREN", exact=True).fill("732829321")
    page.get_by_label("Numéro de TVA intracommunautaire").fill("FR44732829320")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("clé de contrôle SIREN invalide")).to_be_visible()
    page.screenshot(path=output_dir / "30-supplier-error.png", full_page=True)
    page.get_by_label("SIREN", exact=True).fill("732829320")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Fournitures Dupont")).to_be_visible()
    for name, email in (("Claire Martin", "claire@dupont.example"), ("Paul Leroy", "paul@dupont.example")):
        page.get_by_label("Nom", exact=True).fill(name)
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Ajouter le contact").click()
        expect(page.get_by_role("link", name=email)).to_be_visible()
    page.screenshot(path=output_dir / "31-supplier-contacts.png", full_page=True)
    return Supplier.get(Supplier.name == "Fournitures Dupont")


def test_buyer_order_delivery_einvoice_matching_and_approval(app, page, output_dir, tmp_path):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("marc", rights={shop: BUYER})
    log_in(page, "marc")
    supplier = create_supplier_with_contacts(page, output_dir)
    assert supplier.contacts.count() == 2

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Factures").click()
    page.get_by_role("link", name="Achats (demandes, commandes)").click()
    page.get_by_role("link", name="Nouveau bon de commande").click()
    page.wait_for_load_state("load")  # « Ajouter une ligne » is an htmx button
    page.get_by_label("Fournisseur").select_option(label="Fournitures Dupont")
    page.get_by_label("Désignation (ligne 1)").fill("Ramette papier A4")
    page.get_by_label("Quantité (ligne 1)").fill("10")
    page.get_by_label("Prix unitaire HT (ligne 1)").fill("12,50")
    page.get_by_role("button", name="Ajouter une ligne").click()
    page.get_by_label("Désignation (ligne 2)").fill("Stylos bille (boîte de 50)")
    page.get_by_label("Quantité (ligne 2)").fill("2")
    page.get_by_label("Prix unitaire HT (ligne 2)").fill("8,90")
    page.screenshot(path=output_dir / "32-new-order.png", full_page=True)
    page.get_by_role("button", name="Créer le bon de commande").click()
    order = PurchaseOrder.get()
    expect(page.get_by_role("heading", name=f"Bon de commande {order.number}")).to_be_visible()

    first_line = sorted(order.lines, key=lambda line: line.position)[0]
    page.get_by_label("N° du bon de livraison du fournisseur").fill("BL-2026-118")
    page.get_by_label("Quantité reçue ce jour, ligne 1").fill("8")
    page.get_by_role("button", name="Enregistrer la livraison").click()
    expect(page.get_by_text("Reçue partiellement")).to_be_visible()
    page.screenshot(path=output_dir / "33-order-received-8.png", full_page=True)
    with page.expect_download() as pdf_download:
        page.evaluate("""() => { const a = document.createElement('a');
            a.href = document.querySelector('a[href$=".pdf"]').href; a.download = 'bc.pdf'; document.body.append(a); a.click(); }""")
    pdf_download.value.save_as(output_dir / "34-purchase-order.pdf")

    invoice_file = tmp_path / "facture-dupont.pdf"
    invoice_file.write_bytes(facturx_pdf(paper_invoice_data(order.number, quantity="10", number="FD-2026-981")))
    page.get_by_role("link", name="Recevoir une facture").click()
    page.get_by_label("Fichier de la facture").set_input_files(str(invoice_file))
    page.get_by_role("button", name="Lire la facture").click()
    expect(page.get_by_text("(sera rattachée)")).to_be_visible()
    page.screenshot(path=output_dir / "35-einvoice-review.png", full_page=True)
    page.get_by_role("button", name="Enregistrer la facture").click()

    expect(page.get_by_text("1 écart avec le bon de commande")).to_be_visible()
    expect(page.get_by_text("Quantité facturée supérieure à la quantité reçue")).to_be_visible()
    page.screenshot(path=output_dir / "36-invoice-flagged.png", full_page=True)
    page.locator("#inv-status").get_by_role("link", name="Approuver", exact=True).click()
    panel = page.locator("#inv-panel-detail")
    panel.get_by_role("button", name="Approuver").click()
    expect(panel.get_by_text("justifiez le dépassement")).to_be_visible()
    panel.get_by_label("Justification des écarts acceptés").fill("Les 2 ramettes manquantes sont livrées lundi")
    panel.get_by_role("button", name="Approuver").click()
    expect(page.locator("#inv-status").get_by_text("Approuvée")).to_be_visible()
    expect(page.locator("#inv-history").get_by_text("Écarts acceptés (1)")).to_be_visible()
    page.screenshot(path=output_dir / "37-invoice-approved.png", full_page=True)
    invoice = Invoice.get()
    assert invoice.status == "APPROVED" and invoice.order_id == order.id and first_line is not None

    page.get_by_role("link", name="Factures", exact=True).first.click()
    page.screenshot(path=output_dir / "38-invoice-list.png", full_page=True)
