"""The report pages in a real browser: a bank account entered with its opening balance (a refused
amount first), the cash-flow chart with its amount scale and today marked, at 1280 and 390 px,
and the spend dashboard."""
import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import Invoice
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.browser.steps import log_in
from tests.factories import make_shop, make_supplier, make_transaction, make_user

pytestmark = pytest.mark.browser
TODAY = datetime.date.today()
SHOTS = Path("/tmp/shots/h7")


def _shoot(page, output_dir, name):
    page.screenshot(path=output_dir / name, full_page=True)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SHOTS / name, full_page=True)


def test_ap_cash_1_opening_balance_and_cashflow_chart(app, page, output_dir, payment_ctx, clock):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("tresorier", rights={shop: ["view", "manage_suppliers", "approve_invoices", "pay_invoices"]})
    clock.set_local_day(TODAY)
    for days, amount in ((0, 45000), (3, 120000), (9, 80000), (20, 30000)):
        make_transaction(payment_ctx, shop, amount, capture_delay=days)
    supplier = make_supplier()
    for n, (due, net) in enumerate(((-5, 40000), (6, 350000), (14, 90000), (40, 60000))):
        invoice = create_invoice(InvoiceData(shop=shop, supplier=supplier, number=f"F-{n}", issue_date=TODAY,
                                             due_date=TODAY + datetime.timedelta(days=due), currency="EUR",
                                             total_net=net, total_vat=net // 5, total_gross=net + net // 5,
                                             lines=[LineData("Marchandises", 1000, net, 2000)]), None)
        Invoice.update(status="APPROVED").where(Invoice.id == invoice.id).execute()
    log_in(page, "tresorier")
    page.goto("/rapports/tresorerie")
    expect(page.get_by_text("Aucun compte bancaire saisi : le cumul part de zéro.")).to_be_visible()
    page.get_by_role("link", name="Saisir un solde d'ouverture").click()

    page.get_by_label("Nom du compte").fill("Compte courant")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("Solde d'ouverture (€)").fill("2 500,1234")
    page.get_by_role("button", name="Enregistrer le compte").click()
    error = page.locator("#opening_balance-error")
    expect(error).to_contain_text("Deux décimales au plus")
    expect(page.get_by_label("Solde d'ouverture (€)")).to_have_attribute("aria-invalid", "true")
    _shoot(page, output_dir, "52-bank-account-refused.png")
    page.get_by_label("Solde d'ouverture (€)").fill("2 500,00")
    page.get_by_role("button", name="Enregistrer le compte").click()
    expect(page.get_by_role("cell", name="FR76 3000 6000 0112 3456 7890 189")).to_be_visible()
    _shoot(page, output_dir, "53-bank-accounts.png")

    page.get_by_role("link", name="Trésorerie").click()
    page.wait_for_url("**/rapports/tresorerie")  # loaded, style sheets included: one of the two drawings shows
    chart = page.get_by_role("img", name="Encaissements et décaissements prévus")
    expect(chart).to_be_visible()
    expect(chart.locator(".chart-today-label")).to_have_text("Aujourd'hui")
    assert chart.locator(".chart-tick").count() >= 3
    expect(chart.locator(".chart-tick", has_text="0\u00a0€").first).to_be_attached()
    expect(page.locator(".cash-account", has_text="Compte courant")).to_contain_text("2\u202f500,00\u00a0€")
    expect(page.get_by_text("F-0")).to_be_visible()
    _shoot(page, output_dir, "50-cashflow.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    narrow = page.get_by_role("img", name="Encaissements et décaissements prévus")
    expect(narrow).to_have_class("chart chart-narrow")
    box = narrow.bounding_box()
    assert box["width"] <= 390
    # the drawing is scaled by at most a little: 11-unit text stays about 10 px on the phone
    assert box["width"] / 360 > 0.85
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shoot(page, output_dir, "50-cashflow-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Dépenses").click()
    expect(page.get_by_role("heading", name="Par fournisseur")).to_be_visible()
    _shoot(page, output_dir, "51-spend-dashboard.png")


def test_loc_3_cashflow_in_english(app, page, output_dir, payment_ctx, clock):
    from models import BankAccount

    make_user("admin", is_admin=True)
    shop = make_shop("Harbour Grocery")
    make_user("anne", language="en", rights={shop: ["view", "pay_invoices"]})
    clock.set_local_day(TODAY)
    BankAccount.create(shop=shop, label="Main account", iban="FR7630006000011234567890189", opening_balance=-35000,
                       opening_date=TODAY - datetime.timedelta(days=4))
    make_transaction(payment_ctx, shop, 60000, capture_delay=5)
    supplier = make_supplier("Acme Ltd", vat_number="", siren="")
    create_invoice(InvoiceData(shop=shop, supplier=supplier, number="A-7", issue_date=TODAY,
                               due_date=TODAY + datetime.timedelta(days=12), currency="EUR", total_net=50000,
                               total_vat=10000, total_gross=60000), None)
    Invoice.update(status="APPROVED").execute()
    log_in(page, "anne")
    page.goto("/rapports/tresorerie")
    expect(page.get_by_role("heading", name="Cash-flow forecast")).to_be_visible()
    expect(page.get_by_role("img", name="Expected receipts and payments").locator(".chart-today-label")).to_have_text("Today")
    _shoot(page, output_dir, "54-cashflow-en.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shoot(page, output_dir, "54-cashflow-en-390.png")
