"""Browser journey of the exchange differences (ACC-4, issue 12): a dollar invoice is paid with the
euros the bank debited, a typing slip is refused under the panel, the amount of a second payment is
entered later from the bank statement, and the FEC holds the 656 and 756 lines. Screenshots under
test-output/ at 1280 px and 390 px."""
import datetime

import pytest
from playwright.sync_api import expect

from models import InvoiceBooking
from portal.company import update_company
from tests.browser.steps import log_in, screenshot
from tests.factories import make_shop, make_supplier, make_user
from tests.web.test_accounting_books import _invoice

pytestmark = pytest.mark.browser
RIGHTS = ["manage_suppliers", "approve_invoices", "pay_invoices", "export"]


def test_ACC_4_dollar_invoice_paid_with_the_euros_debited(app, page, output_dir):
    shop = make_shop("Épicerie du Port")
    make_user("lea", rights={shop: RIGHTS}, is_admin=True)
    update_company({"name": "Épicerie du Port SAS", "siren": "732829320"}, None)
    acme = make_supplier("Acme Machines Inc", country="US", vat_number="", siren="")
    invoice = _invoice(shop, acme, "US-7", datetime.date.today() - datetime.timedelta(days=20),
                       [("Moulin à café", 1000, 100000, 0, 0)], currency="USD")
    InvoiceBooking.create(invoice=invoice, exchange_rate=920000)

    log_in(page, "lea")
    page.goto(f"/factures/{invoice.id}")
    panel = page.locator("#inv-payments")
    panel.get_by_label("Montant payé").fill("400,00")
    panel.get_by_label("Mode de paiement").select_option("OTHER")
    panel.get_by_label("Montant débité en euros (facultatif)").fill("3720")
    panel.get_by_role("button", name="Enregistrer un paiement").click()
    expect(panel.locator(".flash-error")).to_contain_text("s'écarte de plus de 25 %")
    panel.scroll_into_view_if_needed()
    screenshot(page, output_dir, "94-debited-euros-refused")
    panel.get_by_label("Montant débité en euros (facultatif)").fill("372,00")
    panel.get_by_role("button", name="Enregistrer un paiement").click()
    expect(panel.locator(".flash-success")).to_contain_text("Paiement de 400,00")
    expect(panel.locator("table")).to_contain_text("372,00")

    panel.get_by_label("Montant payé").fill("600,00")
    panel.get_by_label("Mode de paiement").select_option("OTHER")
    panel.get_by_role("button", name="Enregistrer un paiement").click()
    expect(panel.locator(".flash-success")).to_contain_text("Paiement de 600,00")
    panel.locator("details.inline-edit summary", has_text="Saisir").click()
    panel.locator("details[open] input[name=debited_eur]").fill("546,00")
    panel.locator("details[open]").get_by_role("button", name="Enregistrer").click()
    expect(panel.locator(".flash-success")).to_contain_text("Montant débité enregistré : 546,00")
    panel.scroll_into_view_if_needed()
    screenshot(page, output_dir, "95-debited-euros-entered")
    page.set_viewport_size({"width": 390, "height": 844})
    panel.scroll_into_view_if_needed()
    screenshot(page, output_dir, "96-debited-euros-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    today = datetime.date.today()
    fec = page.request.get(f"/comptabilite/fec?du={today.year - 1}-01-01&au={today.year}-12-31&encodage=utf-8")
    text = fec.text()
    assert "\t656\t" in text and "\t756\t" in text and "\t4,00\t" in text and "\t6,00\t" in text
