"""Browser journey of a new accountant (issue 5): allocate a 12 000 € invoice across two cost
centres and one client, pay a deposit then the balance, export the FEC, and check that a user
without the grant never sees the restricted axis."""
import csv
import datetime
import io

import pytest
from playwright.sync_api import expect

from models import AnalyticAccess, AnalyticAxis, AnalyticValue, Invoice, Setting
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.browser.steps import log_in
from tests.factories import make_shop, make_supplier, make_user

pytestmark = pytest.mark.browser
ACCOUNTANT = ["manage_suppliers", "approve_invoices", "pay_invoices", "manage_axes", "export"]


def _allocate(panel, row, axis, value, amount):
    if row > 1:
        panel.get_by_role("button", name="Ajouter une ligne").click()
        expect(panel.get_by_label(f"Montant ou pourcentage (ligne {row})")).to_be_visible()
    panel.get_by_label(f"Axe (ligne {row})").select_option(label=axis)
    expect(panel.get_by_label(f"Valeur (ligne {row})")).to_contain_text(value)
    panel.get_by_label(f"Valeur (ligne {row})").select_option(label=value)
    panel.get_by_label(f"Montant ou pourcentage (ligne {row})").fill(amount)


def test_accountant_allocates_pays_and_exports(app, page, output_dir):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    lea = make_user("lea", rights={shop: ACCOUNTANT})
    make_user("marc", rights={shop: ["approve_invoices", "pay_invoices"]})
    Setting.create(key="company", value='{"name": "Épicerie du Port SAS", "siren": "732829320"}')
    cost_centre = AnalyticAxis.create(name="Centre de coût", position=1)
    for name in ("Commercial", "Consultant"):
        AnalyticValue.create(axis=cost_centre, name=name)
    client_axis = AnalyticAxis.create(name="Client", position=2, restricted=True)
    AnalyticValue.create(axis=client_axis, name="Accor Hôtels")
    AnalyticAccess.create(axis=client_axis, user=lea)
    supplier = make_supplier("Cabinet Conseil Durand", iban="FR7630006000011234567890189", bic="BNPAFRPPXXX")
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number="CCD-2026-042", issue_date=datetime.date.today(), currency="EUR",
        total_net=1200000, total_vat=240000, total_gross=1440000,
        lines=[LineData("Mission de conseil", 1000, 1200000, 2000)],
        vat_breakdown=[("S", 2000, 1200000, 240000)]), None)
    Invoice.update(status="APPROVED").where(Invoice.id == invoice.id).execute()

    log_in(page, "lea")
    page.goto(f"/factures/{invoice.id}")
    panel = page.locator("#invoice-allocation")
    panel.scroll_into_view_if_needed()
    _allocate(panel, 1, "Centre de coût", "Commercial", "5 000,00")
    _allocate(panel, 2, "Centre de coût", "Consultant", "4 000,00")
    _allocate(panel, 3, "Client", "Accor Hôtels", "3 000,00")
    expect(panel.locator(".alloc-remaining.is-exact")).to_contain_text("0,00")
    page.screenshot(path=output_dir / "70-accountant-allocation.png", full_page=True)
    panel.get_by_role("button", name="Enregistrer la ventilation").click()
    expect(page.get_by_text("Ventilation analytique enregistrée.")).to_be_visible()

    payments = page.locator("#inv-payments")
    payments.scroll_into_view_if_needed()
    payments.get_by_label("Montant payé").fill("2 880,00")  # a 20 % deposit
    payments.get_by_role("button", name="Enregistrer un paiement").click()
    expect(payments.get_by_label("Montant payé")).to_have_value("11520,00")
    payments.get_by_role("button", name="Enregistrer un paiement").click()
    expect(page.locator("#inv-status").get_by_text("Paiement transmis")).to_be_visible()
    page.screenshot(path=output_dir / "71-accountant-paid.png", full_page=True)

    page.goto("/comptabilite/")
    expect(page.get_by_role("link", name="Télécharger le FEC")).to_be_visible()
    # The figures come by a second request once the page shows (htmx, hx-trigger="load").
    figures = page.locator("#accounting-figures")
    expect(figures).to_contain_text("Équilibré")
    expect(figures).not_to_have_attribute("aria-busy", "true")
    expect(figures.locator("table.accounting-kinds")).to_contain_text("Règlements fournisseurs")
    page.screenshot(path=output_dir / "72-accountant-exports.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=output_dir / "72-accountant-exports-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as fec_download:
        page.get_by_role("link", name="Télécharger le FEC").click()
    download = fec_download.value
    today = datetime.date.today()
    assert download.suggested_filename.startswith("732829320FEC") and download.suggested_filename.endswith(".txt")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="iso-8859-15").read()), delimiter="\t"))
    assert rows[0][:3] == ["JournalCode", "JournalLib", "EcritureNum"] and len(rows[0]) == 18
    accounts = {row[4] for row in rows[1:]}
    assert {"401", "44566", "512"} <= accounts
    numbers = sorted({int(row[2]) for row in rows[1:]})
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) == 3  # invoice + two payments
    assert all(row[3] == today.strftime("%Y%m%d") for row in rows[1:])

    log_in(page, "marc")
    page.goto(f"/factures/{invoice.id}")
    expect(page.locator("#invoice-allocation")).to_contain_text("Commercial")
    expect(page.get_by_text("Accor Hôtels")).to_have_count(0)
    expect(page.locator("#invoice-allocation").get_by_text("Client", exact=True)).to_have_count(0)
    page.screenshot(path=output_dir / "73-restricted-axis-absent.png", full_page=True)
    page.goto("/rapports/depenses")
    expect(page.get_by_text("Commercial")).to_be_visible()
    expect(page.get_by_text("Accor Hôtels")).to_have_count(0)
