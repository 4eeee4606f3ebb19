"""Cash-flow timeline (AP-CASH-1) and spend dashboard (AP-REP-1), within the user's shops and
visible analytic values."""
import datetime

from models import AnalyticAccess, AnalyticAxis, AnalyticValue, Allocation, Invoice, SupplierPayment
from portal.invoices.service import InvoiceData, LineData, create_invoice
from portal.reports.timeline import build_timeline
from tests.factories import make_shop, make_supplier, make_transaction

ALL = ["manage_suppliers", "approve_invoices", "pay_invoices", "view"]
TODAY = datetime.date.today()


def _invoice(shop, supplier, number, net, due, status="APPROVED", kind="INVOICE", issued=None):
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=number, issue_date=issued or TODAY, due_date=due, currency="EUR",
        total_net=net, total_vat=net // 5, total_gross=net + net // 5, kind=kind,
        lines=[LineData("Prestation", 1000, net, 2000)]), None)
    Invoice.update(status=status).where(Invoice.id == invoice.id).execute()
    return Invoice.get_by_id(invoice.id)


def test_ap_cash_1_timeline_buckets_and_cumulated_balance():
    monday = datetime.date(2026, 11, 23)
    rows = build_timeline(monday, 3, "week", inflows=[(monday, 10000, "remise"), (monday + datetime.timedelta(days=8), 500, "r")],
                          outflows=[(monday - datetime.timedelta(days=30), 3000, "retard"), (monday + datetime.timedelta(days=15), 2000, "f")])
    assert [(r.inflow, r.outflow, r.cumulated) for r in rows] == [(10000, 3000, 7000), (500, 0, 7500), (0, 2000, 5500)]
    months = build_timeline(datetime.date(2026, 1, 31), 2, "month", [(datetime.date(2026, 2, 28), 1, "x")], [])
    assert [r.start for r in months] == [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]
    assert months[1].inflow == 1


def test_ap_cash_1_payables_and_card_remittances_on_the_timeline(client, login_as, shop, payment_ctx, clock):
    login_as("tresorier", rights=ALL, shop=shop)
    supplier = make_supplier()
    invoice = _invoice(shop, supplier, "F-1", 10000, TODAY + datetime.timedelta(days=10))
    SupplierPayment.create(invoice=invoice, amount=2000, paid_on=TODAY)
    _invoice(shop, supplier, "F-LATE", 5000, TODAY - datetime.timedelta(days=3))
    _invoice(shop, supplier, "F-REFUSED", 7777, TODAY, status="REFUSED")
    page = client.get("/rapports/tresorerie").get_data(as_text=True)
    assert "100,00\u00a0€" in page  # 120,00 € due minus 20,00 € already paid
    assert "F-LATE" in page and "échue le" in page
    assert "93,32" not in page  # the refused invoice is not a payable
    assert "<svg" in page and 'class="chart-out"' in page


def test_ap_cash_1_expected_card_remittances(app, shop):
    from portal.reports.data import expected_remittances
    from tests.factories import FakeClock
    from portal.payments.service import PaymentContext

    clock = FakeClock(datetime.datetime.combine(TODAY, datetime.time(9)))
    ctx = PaymentContext(app.extensions["comptoir.acquirer"], clock=clock)
    make_transaction(ctx, shop, 4000, capture_delay=2)
    make_transaction(ctx, shop, 3000, capture_mode="VALIDATION", capture_delay=1)
    inflows, refunds = expected_remittances([shop.id], "EUR", include_to_validate=False)
    assert [(day, amount) for day, amount, _ in inflows] == [(TODAY + datetime.timedelta(days=2), 4000)]
    inflows, _ = expected_remittances([shop.id], "EUR", include_to_validate=True)
    assert sorted(amount for _, amount, _ in inflows) == [3000, 4000]


def test_ap_rep_1_spend_by_supplier_month_and_value_with_filters(client, login_as, shop):
    user = login_as("compta", rights=ALL, shop=shop)
    dupont = make_supplier()
    martin = make_supplier("Papeterie Martin", vat_number="FR32123456789", siren="123456789")
    first = _invoice(shop, dupont, "D-1", 500000, TODAY, issued=datetime.date(2026, 10, 5))
    _invoice(shop, martin, "M-1", 120000, TODAY, issued=datetime.date(2026, 11, 5))
    _invoice(shop, martin, "M-AV", 20000, TODAY, kind="CREDIT_NOTE", issued=datetime.date(2026, 11, 6))
    axis = AnalyticAxis.create(name="Centre de coût")
    secret = AnalyticAxis.create(name="Client", restricted=True)
    commercial = AnalyticValue.create(axis=axis, name="Commercial")
    accor = AnalyticValue.create(axis=secret, name="Accor Hôtels")
    Allocation.create(invoice=first, value=commercial, amount=200000)
    Allocation.create(invoice=first, value=accor, amount=300000)
    page = client.get("/rapports/depenses").get_data(as_text=True)
    assert "5\u202f000,00\u00a0€" in page and "1\u202f000,00\u00a0€" in page  # Martin: 1 200 − 200
    assert "10/2026" in page and "11/2026" in page
    assert "Commercial" in page and "Accor" not in page  # restricted axis invisible (ALLOC-3)
    AnalyticAccess.create(axis=secret, user=user)
    assert "Accor Hôtels" in client.get("/rapports/depenses").get_data(as_text=True)
    filtered = client.get(f"/rapports/depenses?fournisseur={martin.id}&du=2026-11-01").get_data(as_text=True)
    assert "Fournitures Dupont <span" not in filtered and "Papeterie Martin <span" in filtered
    export = client.get(f"/rapports/depenses.csv?fournisseur={martin.id}")
    text = export.get_data(as_text=True)
    assert export.mimetype == "text/csv" and text.startswith("\ufeffDate;Fournisseur")
    assert "M-1" in text and "D-1" not in text and "1200,00" in text


def test_auth_2_reports_only_for_payables_users_and_their_shops(client, login_as, shop):
    other = make_shop()
    _invoice(other, make_supplier(), "OTHER-1", 99900, TODAY - datetime.timedelta(days=2))
    login_as("compta", rights=["approve_invoices"], shop=shop)
    assert "OTHER-1" not in client.get("/rapports/tresorerie").get_data(as_text=True)
    assert client.get(f"/rapports/depenses?boutique={other.id}").status_code == 403
    client.post("/logout")
    login_as("caisse", rights=["view"], shop=shop)
    assert client.get("/rapports/depenses").status_code == 403
