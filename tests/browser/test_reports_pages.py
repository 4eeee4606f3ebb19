"""The report pages in a real browser: the cash-flow chart and the spend dashboard render and read."""
import datetime

import pytest
from playwright.sync_api import expect

from models import Invoice
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.browser.steps import log_in
from tests.factories import make_shop, make_supplier, make_transaction, make_user

pytestmark = pytest.mark.browser
TODAY = datetime.date.today()


def test_cashflow_and_dashboard(app, page, output_dir, payment_ctx, clock):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("tresorier", rights={shop: ["view", "manage_suppliers", "approve_invoices", "pay_invoices"]})
    clock.set_local_day(TODAY)
    for days, amount in ((0, 45000), (3, 120000), (9, 80000), (20, 30000)):
        make_transaction(payment_ctx, shop, amount, capture_delay=days)
    supplier = make_supplier()
    for n, (due, net) in enumerate(((-5, 40000), (6, 150000), (14, 90000), (40, 60000))):
        invoice = create_invoice(InvoiceData(shop=shop, supplier=supplier, number=f"F-{n}", issue_date=TODAY,
                                             due_date=TODAY + datetime.timedelta(days=due), currency="EUR",
                                             total_net=net, total_vat=net // 5, total_gross=net + net // 5,
                                             lines=[LineData("Marchandises", 1000, net, 2000)]), None)
        Invoice.update(status="APPROVED").where(Invoice.id == invoice.id).execute()
    log_in(page, "tresorier")
    page.goto("/rapports/tresorerie")
    expect(page.get_by_role("img", name="Encaissements et décaissements prévus")).to_be_visible()
    expect(page.get_by_text("F-0")).to_be_visible()
    page.screenshot(path=output_dir / "50-cashflow.png", full_page=True)
    page.get_by_role("link", name="Dépenses").click()
    expect(page.get_by_role("heading", name="Par fournisseur")).to_be_visible()
    page.screenshot(path=output_dir / "51-spend-dashboard.png", full_page=True)
