"""Browser journey on the supplier pages (AP-SUP-1, AP-SUP-2): live search, contacts edited in place,
archive after confirmation, new bank details approved by a second user."""
import pytest
from playwright.sync_api import expect

from models import BankDetailsChange, Supplier, SupplierContact
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def suppliers_blueprint(app):
    """Register the blueprint until create_app does (another change); a no-op once it does."""
    if "suppliers" not in app.blueprints:
        from portal.suppliers import bp

        app.register_blueprint(bp)


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("correct horse 42 battery")
    page.get_by_role("button", name="Se connecter").click()


def test_supplier_file_contacts_and_bank_details(app, page, output_dir):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("lea", rights={shop: ["manage_suppliers"]})
    make_user("marc", rights={shop: ["pay_invoices"]})
    _login(page, "lea")

    page.goto("/fournisseurs/")
    page.get_by_role("link", name="Nouveau fournisseur").click()
    page.get_by_label("Raison sociale").fill("Papeterie Martin")
    page.get_by_label("SIRET").fill("732 829 320 00075")
    page.get_by_label("IBAN (facultatif)").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Clé de contrôle SIRET invalide")).to_be_visible()
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Papeterie Martin")).to_be_visible()
    expect(page.get_by_text("Un autre utilisateur doit approuver ce changement.")).to_be_visible()
    supplier = Supplier.get()
    assert supplier.iban == "" and supplier.siren == "732829320"

    # Contacts: add with a bad e-mail (422, message next to the field), fix, then edit in place.
    page.get_by_label("Nom", exact=True).fill("Claire Dupont")
    page.get_by_label("E-mail").fill("claire@dupont")
    page.get_by_role("button", name="Ajouter le contact").click()
    expect(page.get_by_text("Adresse e-mail invalide")).to_be_visible()
    page.get_by_label("E-mail").fill("claire@dupont.fr")
    page.get_by_label("E-mail").press("Enter")
    expect(page.get_by_role("link", name="claire@dupont.fr")).to_be_visible()
    contact = SupplierContact.get()
    page.get_by_role("link", name="Modifier le contact Claire Dupont").click()
    row = page.locator(f"#contact-{contact.id}")
    row.locator(f"#contact-{contact.id}-phone").fill("04 72 11 22 33")
    row.get_by_role("button", name="Enregistrer").click()
    # The phone's own link, exactly: a substring match also finds "Modifier le contact …" when the
    # number went into the name.
    expect(row.get_by_role("link", name="04 72 11 22 33", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Claire Dupont", exact=True)).to_be_visible()
    # The row shown is rendered from the saved contact, after the commit.
    contact = SupplierContact.get_by_id(contact.id)
    assert (contact.name, contact.phone) == ("Claire Dupont", "04 72 11 22 33")
    expect(page.locator("#supplier-history").get_by_text("Contact modifié")).to_be_visible()
    page.screenshot(path=output_dir / "40-supplier-detail.png", full_page=True)

    # Live search, then archive after confirmation.
    page.goto("/fournisseurs/")
    page.get_by_label("Rechercher").fill("PAPET")
    expect(page.get_by_role("link", name="Papeterie Martin")).to_be_visible()
    page.get_by_label("Rechercher").fill("inconnu")
    expect(page.get_by_text("Aucun fournisseur ne correspond")).to_be_visible()

    # A second user approves the IBAN typed at creation.
    _login(page, "marc")
    page.goto(f"/fournisseurs/{supplier.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approuver le changement").click()
    expect(page.get_by_text("Nouvelles coordonnées bancaires approuvées")).to_be_visible()
    expect(page.get_by_text("Changement de coordonnées bancaires approuvé")).to_be_visible()
    assert Supplier.get_by_id(supplier.id).iban == "FR7630006000011234567890189"
    assert BankDetailsChange.get().status == "APPROVED"
    page.screenshot(path=output_dir / "41-supplier-bank-approved.png", full_page=True)

    _login(page, "lea")
    page.goto(f"/fournisseurs/{supplier.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archiver").click()
    expect(page.get_by_text("Fournisseur archivé")).to_be_visible()
    assert Supplier.get_by_id(supplier.id).archived
