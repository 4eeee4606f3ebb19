"""Browser journey on the invoice thread and the supplier audit (AP-CONT-1, AP-KYS-1): messages appended
in place by htmx, an empty one refused next to its field, an action marked done in its row."""
import datetime

import pytest
from playwright.sync_api import expect

from models import EvaluationAction, InvoiceMessage, OutgoingMail, SupplierContact
from portal.evaluations import service as evaluations
from portal.invoices.service import InvoiceData, create_invoice
from tests.browser.steps import log_in
from tests.factories import make_shop, make_supplier, make_user

pytestmark = pytest.mark.browser


def test_invoice_thread_and_supplier_audit(app, page, output_dir):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    lea = make_user("lea", rights={shop: ["manage_suppliers", "approve_invoices"]}, display_name="Léa Compta")
    supplier = make_supplier()
    SupplierContact.create(supplier=supplier, name="Jeanne Martin", email="jeanne@dupont.test")
    invoice = create_invoice(InvoiceData(shop=shop, supplier=supplier, number="F-77", issue_date=datetime.date(2026, 11, 20),
                                         currency="EUR", total_net=10000, total_vat=2000, total_gross=12000), lea)
    log_in(page, "lea")

    page.goto(f"/factures/{invoice.id}")
    thread = page.locator("#inv-thread")
    expect(thread.get_by_text("Aucun message pour cette facture.")).to_be_visible()
    thread.get_by_role("button", name="Publier").click()
    expect(thread.get_by_text("Écrivez le message avant de l'envoyer.")).to_be_visible()
    thread.get_by_label("Message", exact=True).fill("Bonjour,\nil manque 2 ramettes sur la livraison.")
    thread.get_by_role("button", name="Publier").click()
    expect(thread.locator("#thread-messages li")).to_have_count(1)
    expect(thread.get_by_text("il manque 2 ramettes")).to_be_visible()
    expect(thread.get_by_text("Aucun message pour cette facture.")).to_be_hidden()
    expect(thread.get_by_label("Message", exact=True)).to_have_value("")
    expect(thread.locator("#thread-mails")).to_contain_text("jeanne@dupont.test")
    thread.get_by_text("Note interne (le fournisseur ne la voit pas)").click()
    thread.get_by_label("Message", exact=True).fill("Relancer le magasin.")
    thread.get_by_role("button", name="Publier").click()
    expect(thread.locator("#thread-messages li")).to_have_count(2)
    thread.get_by_text("Enregistrer une réponse reçue du fournisseur").click()
    thread.get_by_label("Réponse du fournisseur").fill("Elles partent demain.")
    thread.get_by_role("button", name="Enregistrer la réponse").click()
    expect(thread.locator("#thread-messages li")).to_have_count(3)
    expect(thread.locator("#thread-messages li").last).to_contain_text("Jeanne Martin")
    page.screenshot(path=str(output_dir / "invoice-thread.png"), full_page=True)
    assert [m.direction for m in InvoiceMessage.select().order_by(InvoiceMessage.id)] == ["OUT", "NOTE", "IN"]
    assert OutgoingMail.select().count() == 1

    grid = evaluations.create_grid("Audit qualité", [("Qualité", 3), ("Délais", 2)], lea)
    evaluation = evaluations.evaluate_supplier(
        supplier, grid, {c.id: 3 for c in evaluations.grid_criteria(grid)}, lea,
        actions=[evaluations.ActionInput("Trouver un second fournisseur", lea,
                                         datetime.date.today() - datetime.timedelta(days=1))])
    page.goto("/evaluations/")
    row = page.locator("#open-actions tr.overdue")
    expect(row).to_contain_text("En retard")
    row.get_by_role("button", name="Fait").click()
    expect(page.locator("#open-actions")).to_contain_text("Fait le")
    assert EvaluationAction.get().done_at is not None
    page.goto(f"/evaluations/fournisseur/{supplier.id}")
    page.locator(f"#action-{evaluation.id}-description").fill("Audit sur site")
    page.get_by_role("button", name="Ajouter l'action").click()
    expect(page.locator(f"#evaluation-{evaluation.id}-actions")).to_contain_text("Audit sur site")
    page.screenshot(path=str(output_dir / "supplier-evaluations.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archiver ce fournisseur").click()
    expect(page.get_by_text("Fournisseur archivé :").first).to_be_visible()
