"""Browser journey of ACC-3 (issue 12 item 1): dollar card sales without a rate are named on the
accounting page, its link leads to the setting, a bad rate is refused under the field, a good one
books them. Screenshots under test-output/."""
import datetime

import pytest
from playwright.sync_api import expect

from portal.company import update_company
from tests.browser.steps import log_in, screenshot
from tests.factories import make_shop, make_user
from tests.web.test_accounting_books import _capture

pytestmark = pytest.mark.browser
RIGHTS = ["manage_suppliers", "approve_invoices", "pay_invoices", "export"]


def test_ACC_3_dollar_card_sales_named_then_booked_once_their_rate_is_entered(app, page, output_dir):
    shop = make_shop("Épicerie du Port")
    make_user("lea", rights={shop: RIGHTS}, is_admin=True)
    update_company({"name": "Épicerie du Port SAS", "siren": "732829320"}, None)
    _capture(shop, 10000, "CB", datetime.datetime(2025, 3, 10, 17, 0), "T1")
    _capture(shop, 15000, "CB", datetime.datetime(2025, 3, 10, 17, 30), "U1", currency="USD")
    _capture(shop, 2550, "VISA", datetime.datetime(2025, 3, 11, 9, 0), "U2", currency="USD")

    log_in(page, "lea")
    page.goto("/comptabilite/?du=2025-01-01&au=2025-03-31")
    warning = page.locator(".card-unrated")
    expect(warning).to_contain_text("Ventes carte en USD non comptabilisées : 2 opérations, montant 175,50")
    warning.scroll_into_view_if_needed()
    screenshot(page, output_dir, "90-card-usd-without-rate")
    warning.get_by_role("link", name="Taux de change des ventes carte").click()
    field = page.get_by_label("Taux de change des ventes carte")
    field.fill("USD 0,92345678")
    page.get_by_role("button", name="Enregistrer").first.click()
    expect(page.locator("body")).to_contain_text("six décimales au plus")
    page.get_by_label("Taux de change des ventes carte").scroll_into_view_if_needed()
    screenshot(page, output_dir, "91-card-rate-refused")
    page.get_by_label("Taux de change des ventes carte").fill("usd 0,9234")
    page.get_by_role("button", name="Enregistrer").first.click()
    expect(page.get_by_label("Taux de change des ventes carte")).to_have_value("USD 0,9234")
    page.get_by_label("Taux de change des ventes carte").scroll_into_view_if_needed()
    screenshot(page, output_dir, "92-card-rate-saved")
    page.goto("/comptabilite/?du=2025-01-01&au=2025-03-31")
    expect(page.locator(".accounting-summary")).to_be_visible()
    expect(page.locator(".card-unrated")).to_have_count(0)
    screenshot(page, output_dir, "93-card-usd-booked")
