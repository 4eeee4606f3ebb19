"""Browser journey of the analytic allocation (ALLOC-1..3): an accountant sets up the axes, restricts
« Client » to herself, allocates a 12 000 € invoice across two cost centres and one client; a
second user without the grant opens the same invoice and never sees the restricted axis."""
import datetime

import pytest
from playwright.sync_api import expect

from models import AnalyticAxis, AnalyticValue, Allocation
from portal.invoices.service import InvoiceData, create_invoice
from tests.factories import make_shop, make_supplier, make_user

pytestmark = pytest.mark.browser

ACCOUNTANT = ["manage_axes", "manage_suppliers", "approve_invoices", "pay_invoices"]


@pytest.fixture(autouse=True)
def allocation_blueprint(app):
    """Register the blueprint until create_app does (another change); a no-op once it does."""
    if "allocation" not in app.blueprints:
        from portal.allocation import bp

        app.register_blueprint(bp)


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("correct horse 42 battery")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def _add_value(section, name):
    section.get_by_label("Valeur", exact=True).fill(name)
    section.get_by_role("button", name="Ajouter la valeur").click()
    expect(section.get_by_text(f"Valeur « {name} » ajoutée")).to_be_visible()


def test_accountant_allocates_and_restricted_axis_stays_hidden(app, page, output_dir):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("lea", display_name="Léa Martin", rights={shop: ACCOUNTANT})
    make_user("marc", rights={shop: ["approve_invoices", "pay_invoices"]})
    supplier = make_supplier("Cabinet Conseil Durand")
    invoice = create_invoice(InvoiceData(shop=shop, supplier=supplier, number="CCD-2026-042",
                                         issue_date=datetime.date(2026, 3, 2), currency="EUR", total_net=1200000,
                                         total_vat=240000, total_gross=1440000), None)

    # Axes: the default « Centre de coût » gets two values; « Client » is created and kept confidential.
    _login(page, "lea")
    page.goto("/ventilation/")
    cost_centre = AnalyticAxis.get(AnalyticAxis.name == "Centre de coût")
    section = page.locator(f"#axis-{cost_centre.id}")
    for name in ("Commercial", "Consultant"):
        _add_value(section, name)
    page.get_by_label("Nom de l'axe").fill("Client")
    page.get_by_role("button", name="Créer l'axe").click()
    expect(page.get_by_text("Axe « Client » créé")).to_be_visible()
    client_axis = AnalyticAxis.get(AnalyticAxis.name == "Client")
    section = page.locator(f"#axis-{client_axis.id}")
    _add_value(section, "Accor Hôtels")
    section.get_by_role("link", name="Visibilité de l’axe Client").click()
    section.get_by_role("button", name="Restreindre la visibilité").click()
    expect(section.get_by_text("(vous en faites partie)")).to_be_visible()
    expect(section.get_by_text("Accès restreint").first).to_be_visible()
    page.screenshot(path=output_dir / "39-allocation-axes.png", full_page=True)

    # The invoice: 3 000 € Commercial + 2 000 € Consultant + 7 000 € Accor Hôtels.
    page.goto(f"/factures/{invoice.id}")
    panel = page.locator("#invoice-allocation")
    panel.scroll_into_view_if_needed()
    expect(panel.get_by_label("Axe (ligne 1)")).to_have_value(str(cost_centre.id))
    panel.get_by_label("Valeur (ligne 1)").select_option(label="Commercial")
    panel.get_by_label("Montant ou pourcentage (ligne 1)").fill("3 000,00")
    expect(panel.locator("#alloc-summary")).to_contain_text("9\u202f000,00")
    panel.get_by_role("button", name="Ajouter une ligne").click()
    expect(panel.get_by_label("Montant ou pourcentage (ligne 2)")).to_have_value("9000,00")  # what remains
    panel.get_by_label("Valeur (ligne 2)").select_option(label="Consultant")
    panel.get_by_label("Montant ou pourcentage (ligne 2)").fill("2 000,00")
    expect(panel.locator("#alloc-summary")).to_contain_text("7\u202f000,00")
    panel.get_by_role("button", name="Ajouter une ligne").click()
    expect(panel.get_by_label("Montant ou pourcentage (ligne 3)")).to_have_value("7000,00")
    panel.get_by_label("Axe (ligne 3)").select_option(label="Client")
    expect(panel.get_by_label("Valeur (ligne 3)")).to_contain_text("Accor Hôtels")  # the list followed the axis
    panel.get_by_label("Valeur (ligne 3)").select_option(label="Accor Hôtels")
    expect(panel.locator(".alloc-remaining.is-exact")).to_contain_text("0,00")
    expect(panel.locator("#alloc-computed-2")).to_have_text("7\u202f000,00\u00a0€")
    page.screenshot(path=output_dir / "40-allocation-editor.png", full_page=True)
    # One cent too much is refused, and the rows typed stay.
    panel.get_by_label("Montant ou pourcentage (ligne 2)").fill("2 000,01")
    panel.get_by_role("button", name="Enregistrer la ventilation").click()
    panel = page.locator("#invoice-allocation")
    expect(panel.get_by_role("alert")).to_contain_text("Ventilation supérieure au montant de 0,01")
    expect(panel.get_by_label("Valeur (ligne 3)")).to_have_value(str(AnalyticValue.get(name="Accor Hôtels").id))
    assert Allocation.select().count() == 0
    page.screenshot(path=output_dir / "42-allocation-refused.png", full_page=True)
    panel.get_by_label("Montant ou pourcentage (ligne 2)").fill("2 000,00")
    panel.get_by_role("button", name="Enregistrer la ventilation").click()
    expect(page.get_by_text("Ventilation analytique enregistrée.")).to_be_visible()
    assert sorted((a.value.name, a.amount) for a in Allocation.select()) == [
        ("Accor Hôtels", 700000), ("Commercial", 300000), ("Consultant", 200000)]

    # Marc has no grant on « Client »: the axis, its value and its amount's label are nowhere.
    _login(page, "marc")
    page.goto(f"/factures/{invoice.id}")
    panel = page.locator("#invoice-allocation")
    panel.scroll_into_view_if_needed()
    expect(panel.get_by_label("Valeur (ligne 1)")).to_have_value(str(
        Allocation.get(Allocation.amount == 300000).value_id))
    expect(panel.get_by_text("Ventilé sur des axes ou valeurs qui ne vous sont pas ouverts")).to_be_visible()
    expect(panel).to_contain_text("7\u202f000,00")
    for row in ("1", "2"):
        expect(panel.get_by_label(f"Axe (ligne {row})").locator("option")).to_have_text(["Centre de coût"])
    expect(page.get_by_text("Accor Hôtels")).to_have_count(0)
    expect(panel.get_by_text("Client", exact=True)).to_have_count(0)
    page.screenshot(path=output_dir / "41-allocation-restricted.png", full_page=True)
    page.goto("/ventilation/")
    expect(page.get_by_role("heading", name="Centre de coût")).to_be_visible()
    expect(page.get_by_role("heading", name="Client")).to_have_count(0)
