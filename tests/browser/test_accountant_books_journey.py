"""Browser journey of issue 12: the accountant books German coffee at 5,5 %, gives a dollar invoice its
rate, reads the card sales of the quarter, closes the quarter (confirmed) and downloads a FEC that an
independent reader accepts. Screenshots at 1280 and 390 px wide under test-output/."""
import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import InvoiceLine
from portal.company import update_company
from tests.browser.steps import log_in, screenshot
from tests.factories import make_shop, make_user
from tests.web.test_accounting_books import _capture, _invoice, reread

pytestmark = pytest.mark.browser
RIGHTS = ["manage_suppliers", "approve_invoices", "pay_invoices", "export"]


def test_accountant_books_reverse_charge_rate_and_closes_the_quarter(app, page, output_dir):
    from tests.factories import make_supplier

    shop = make_shop("Épicerie du Port")
    make_user("lea", rights={shop: RIGHTS}, is_admin=True)
    update_company({"name": "Épicerie du Port SAS", "siren": "732829320"}, None)
    roaster = make_supplier("Kaffee Rösterei GmbH", country="DE", vat_number="DE136695976", siren="")
    acme = make_supplier("Acme Machines Inc", country="US", vat_number="", siren="")
    coffee = _invoice(shop, roaster, "DE-5", datetime.date(2025, 2, 3), [("Café en grains", 20000, 1500, 0, 0)],
                      category="K")
    dollars = _invoice(shop, acme, "US-7", datetime.date(2025, 3, 5), [("Moulin à café", 1000, 100000, 0, 0)],
                       currency="USD")
    _capture(shop, 10000, "CB", datetime.datetime(2025, 3, 10, 17, 0), "T1")
    _capture(shop, 5000, "VISA", datetime.datetime(2025, 3, 10, 18, 0), "T2")
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, "lea")
    page.goto(f"/factures/{coffee.id}")
    panel = page.locator("#accounting-vat")
    expect(panel).to_contain_text("Autoliquidation (acquisition intracommunautaire de biens)")
    expect(panel).to_contain_text("60,00")
    panel.get_by_text("Choix de comptabilisation").click()
    line = InvoiceLine.get(InvoiceLine.invoice == coffee)
    panel.locator(f"#taux-{line.id}").select_option("550")
    panel.get_by_role("button", name="Enregistrer la comptabilisation").click()
    expect(page.locator("#accounting-vat")).to_contain_text("Comptabilisation de la facture enregistrée.")
    expect(page.locator("#accounting-vat")).to_contain_text("16,50")
    page.locator("#accounting-vat").scroll_into_view_if_needed()
    screenshot(page, output_dir, "80-books-coffee-5-5")

    page.goto(f"/factures/{dollars.id}")
    panel = page.locator("#accounting-vat")
    expect(panel).to_contain_text("saisissez son cours")
    panel.get_by_label("Cours : euros pour une unité de la devise").fill("0,92")
    panel.get_by_role("button", name="Enregistrer la comptabilisation").click()
    expect(page.locator("#accounting-vat")).to_contain_text("au cours de 0,9200")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, output_dir, "81-books-dollar-rate-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/comptabilite/?du=2025-01-01&au=2025-03-31")
    expect(page.get_by_text("Période ouverte à partir du 01/01/2025")).to_be_visible()
    expect(page.locator(".accounting-kinds")).to_contain_text("Remises cartes")
    screenshot(page, output_dir, "82-books-open-quarter")
    closing = page.locator("#accounting-closing")
    closing.get_by_label("Clôturer jusqu'au").fill("2025-03-31")
    closing.get_by_role("button", name="Clôturer la période").click()
    expect(page.get_by_text("Écritures validées jusqu'au 31/03/2025")).to_be_visible()
    page.goto("/comptabilite/?du=2025-01-01&au=2025-03-31")
    expect(page.locator(".accounting-summary").get_by_text("Période clôturée")).to_be_visible()
    screenshot(page, output_dir, "83-books-closed-quarter")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, output_dir, "84-books-closed-quarter-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as fec_download:
        page.get_by_role("link", name="Télécharger le FEC").click()
    download = fec_download.value
    assert download.suggested_filename == "732829320FEC20250331.txt"
    entries = reread(Path(download.path()).read_bytes())
    assert {lines[0]["JournalCode"] for lines in entries.values()} == {"AC", "CB"}
    assert any(line["Credit"] == "16,50" for lines in entries.values() for line in lines)
    assert any(line["Idevise"] == "USD" for lines in entries.values() for line in lines)

    page.goto("/comptabilite/comptes")
    screenshot(page, output_dir, "85-books-chart-of-accounts")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, output_dir, "86-books-chart-of-accounts-390")
