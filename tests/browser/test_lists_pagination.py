"""Browser check of the paginated lists (issue 14): the invoice list and the invoices to pay page
through htmx with the page and the sort in the address bar, and the same links work as plain links."""
import pytest
from playwright.sync_api import expect

from models import Invoice
from portal.payables.service import CompanyDetails, save_company_details
from tests.browser.steps import log_in
from tests.factories import make_shop, make_user
from tests.web.test_query_counts import RIGHTS, World

pytestmark = pytest.mark.browser


def test_invoice_list_and_invoices_to_pay_page_and_sort(app, page, output_dir):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    user = make_user("compta", rights={shop: RIGHTS})
    save_company_details(CompanyDetails("Épicerie du Port SARL", "552100554", "FR7630004000031234567890143",
                                        "BNPAFRPPXXX"), None)
    World(shop, user).add(130)
    log_in(page, "compta")

    page.goto("/factures/")
    expect(page.locator(".pager")).to_contain_text("Page 1 sur 3")
    page.screenshot(path=str(output_dir / "issue14-factures-page1.png"), full_page=False)
    page.locator(".pager a[rel=next]").click()
    expect(page.locator(".pager")).to_contain_text("Page 2 sur 3")
    assert "page=2" in page.url
    page.get_by_role("link", name="Montant TTC").click()
    expect(page.locator("th[aria-sort]")).to_contain_text("Montant TTC")
    assert "tri=montant" in page.url and "page=" not in page.url
    amounts = [Invoice.get(Invoice.number == n.strip()).total_gross
               for n in page.locator("#invoice-results td a.mono").all_inner_texts()]
    assert amounts == sorted(amounts) and len(amounts) == 50
    page.screenshot(path=str(output_dir / "issue14-factures-tri-montant.png"), full_page=False)

    page.goto("/reglements/")
    to_pay = Invoice.select().where(Invoice.status == "APPROVED").count()
    expect(page.locator(".to-pay-summary")).to_contain_text(f"{to_pay} factures à payer")
    page.screenshot(path=str(output_dir / "issue14-reglements-page1.png"), full_page=True)
    page.locator("#payables-to-pay .pager a[rel=last]").click()
    expect(page.locator("#payables-to-pay .pager")).to_contain_text("Page 2 sur 2")
    assert "page=2" in page.url
    expect(page.locator("#payables-to-pay input[name=invoice]")).to_have_count(to_pay - 50)
    page.get_by_role("link", name="Reste à payer").click()
    expect(page.locator("#payables-to-pay th[aria-sort]")).to_contain_text("Reste à payer")
    page.screenshot(path=str(output_dir / "issue14-reglements-tri-reste.png"), full_page=True)
    # Without JavaScript the same links are plain links to full pages.
    page.goto("/reglements/?tri=reste&ordre=desc&page=2")
    expect(page.locator("#payables-to-pay .pager")).to_contain_text("Page 2 sur 2")
