"""Issue 14: every list page and every export runs the same number of SQL queries with 10 rows as
with 200 (prefetched or joined related rows, balances and totals by aggregate queries, exports read
by chunks). Counts the statements through the database's execute_sql; no timing here."""
import datetime

import pytest

from models import (Allocation, AnalyticAxis, AnalyticValue, Invoice, InvoiceEvent, InvoiceLine, InvoiceVat,
                    OutgoingMail, PaymentBatch, PurchaseLine, PurchaseOrder, PurchaseRequest, Supplier,
                    SupplierPayment)
from portal.accounting.accounts import current_accounts
from portal.payables.service import CompanyDetails, save_company_details
from tests.factories import make_user
from tests.query_count import counting

TODAY = datetime.date.today()
YEAR = f"du={TODAY.year - 1}-01-01&au={TODAY.year}-12-31"
RIGHTS = ["view", "export", "manage_suppliers", "approve_invoices", "pay_invoices", "manage_axes"]


class World:
    """A shop with `add(n)` more invoices of every kind the pages show (bulk inserts)."""

    def __init__(self, shop, user):
        self.shop, self.user, self.added = shop, user, 0
        self.french = Supplier.create(name="Papeterie Martin", iban="FR7630006000011234567890189", bic="BNPAFRPP")
        self.german = Supplier.create(name="Bürobedarf GmbH", country="DE", vat_number="DE136695976",
                                      iban="DE89370400440532013000")
        axis = AnalyticAxis.create(name="Centre de coût")
        self.values = [AnalyticValue.create(axis=axis, name=name) for name in ("Atelier", "Boutique")]

    def add(self, count, status="APPROVED"):
        for n in range(self.added, self.added + count):
            supplier = self.german if n % 5 == 0 else self.french
            rate = 0 if supplier is self.german else 2000
            net, vat = 10000 + n, (10000 + n) * rate // 10000
            invoice = Invoice.create(shop=self.shop, supplier=supplier, number=f"F-{n:04d}", kind="INVOICE",
                                     issue_date=TODAY - datetime.timedelta(days=40 + n % 30),
                                     due_date=TODAY + datetime.timedelta(days=n % 20), total_net=net,
                                     total_vat=vat, total_gross=net + vat,
                                     status="PAID" if n % 3 == 0 else status)
            InvoiceLine.insert_many([{"invoice": invoice, "position": p, "description": "Article",
                                      "quantity_milli": 1000, "unit_price": part, "vat_rate": rate,
                                      "net_amount": part} for p, part in ((1, net // 2), (2, net - net // 2))]).execute()
            InvoiceVat.create(invoice=invoice, rate=rate, base=net, amount=vat)
            InvoiceEvent.create(invoice=invoice, action="approve", from_status="IN_HAND", to_status="APPROVED")
            Allocation.create(invoice=invoice, value=self.values[n % 2], amount=net)
            SupplierPayment.create(invoice=invoice, amount=(net + vat) if n % 3 == 0 else 100,
                                   paid_on=TODAY - datetime.timedelta(days=5), method="TRANSFER")
            order = PurchaseOrder.create(shop=self.shop, number=f"BC-T-{n:04d}", supplier=supplier)
            PurchaseLine.create(order=order, position=1, description="Article", quantity_milli=1000,
                                unit_price=500, vat_rate=2000)
            request = PurchaseRequest.create(shop=self.shop, number=f"DA-T-{n:04d}", title=f"Demande {n}")
            PurchaseLine.create(request=request, position=1, description="Article", quantity_milli=1000,
                                unit_price=500, vat_rate=2000)
            OutgoingMail.create(to="a@b.example", subject=f"Facture {n}", body="…", invoice=invoice,
                                status=("SENT", "PENDING", "FAILED")[n % 3])
        self.added += count


@pytest.fixture
def world(app, client, admin, shop):
    user = make_user("compta", rights={shop: RIGHTS}, is_admin=True)
    save_company_details(CompanyDetails("Comptoir SARL", "552100554", "FR7630004000031234567890143", "BNPAFRPPXXX"),
                         None)
    assert client.login("compta").status_code == 302
    return World(shop, user)


def _get(client, url):
    response = client.get(url, buffered=True)
    # The FEC is ISO 8859-15 by default (ACC-4); every other page and file is UTF-8.
    text = response.get_data().decode("iso-8859-15" if "/fec" in url else "utf-8")
    assert response.status_code == 200, (url, response.status_code, text[:500])
    return text


PAGES = [
    "/factures/", "/factures/?tri=montant&ordre=desc", "/factures/?page=3", "/reglements/",
    "/reglements/?tri=reste&ordre=desc", "/reglements/?page=3", "/fournisseurs/", "/achats/",
    "/achats/?tri_bc=fournisseur&page_da=2", "/messages/file", f"/comptabilite/?{YEAR}",
    f"/comptabilite/?{YEAR}&totaux=1", "/rapports/depenses",
    "/fournisseurs/?tri=ville&ordre=desc", "/messages/file?page_envoyes=2",
]
EXPORTS = [
    "/ventilation/export.csv", "/rapports/depenses.csv", f"/comptabilite/ecritures.csv?{YEAR}",
    f"/comptabilite/fec?{YEAR}", f"/comptabilite/analytique.csv?{YEAR}",
]


@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_issue_14_queries_do_not_grow_with_rows(client, world, url):
    world.add(10)
    _get(client, url)  # warm: first-request setup queries (settings, supplier codes) out of the count
    with counting() as small:
        _get(client, url)
    world.add(190)
    _get(client, url)
    with counting() as large:
        body = _get(client, url)
    assert small[0] == large[0], f"{url}: {small[0]} queries with 10 rows, {large[0]} with 200"
    assert large[0] <= 20, f"{url}: {large[0]} queries"
    if "reglements" in url and "page=3" not in url:
        assert body.count('name="invoice"') == 50  # a page, not every invoice


def test_issue_14_to_pay_shows_totals_and_pages(client, world):
    world.add(120)
    body = _get(client, "/reglements/")
    outstanding = [invoice for invoice in Invoice.select().where(Invoice.status == "APPROVED")]
    assert f"{len(outstanding)} factures à payer" in body
    assert "Page 1 sur 2" in body
    last = _get(client, "/reglements/?page=99")
    assert "Page 2 sur 2" in last and last.count('name="invoice"') == len(outstanding) - 50


def _batch(client, world, ids):
    data = {"shop": str(world.shop.id), "execution_date": TODAY.isoformat(),
            "idempotency_key": f"cle-de-test-{len(ids):04d}-abcdef", "invoice": [str(i) for i in ids]}
    data.update({f"amount-{i}": "1,00" for i in ids})
    with counting() as count:
        response = client.post("/reglements/lots", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return count[0]


def test_issue_14_sepa_batch_queries_do_not_grow_with_invoices(client, world):
    world.add(330)
    approved = [i.id for i in Invoice.select(Invoice.id).where(Invoice.status == "APPROVED").order_by(Invoice.id)]
    assert len(approved) >= 210
    small = _batch(client, world, approved[:10])
    large = _batch(client, world, approved[10:210])
    assert small == large, f"SEPA batch: {small} queries for 10 invoices, {large} for 200"
    batch = PaymentBatch.select().order_by(PaymentBatch.id.desc()).get()
    assert batch.count == 200 and SupplierPayment.select().where(SupplierPayment.batch == batch).count() == 200
    assert Invoice.get_by_id(approved[10]).status == "PARTIALLY_PAID"
    with counting() as small_file:
        _get(client, f"/reglements/lots/{batch.id - 1}.xml")
    with counting() as large_file:
        _get(client, f"/reglements/lots/{batch.id}.xml")
    assert small_file[0] == large_file[0]


def test_issue_14_summary_from_aggregates_equals_the_entries(world):
    """The accounting page's summary (aggregate queries) says what the file holds (every entry built)."""
    from models import DepositDeduction
    from portal.accounting.fec import Period, summarise, summarise_by_entries

    world.add(60)
    spanish = Supplier.create(name="Sin NIF SL", country="ES", vat_number="")
    swiss = Supplier.create(name="Uhren AG", country="CH")
    day = TODAY - datetime.timedelta(days=50)
    for n, (supplier, kind, gross, vat, status) in enumerate([
            (spanish, "INVOICE", 12000, 2000, "APPROVED"), (swiss, "INVOICE", 5000, 0, "PAID"),
            (world.french, "CREDIT_NOTE", 2400, 400, "APPROVED"), (world.german, "CREDIT_NOTE", 1000, 0, "APPROVED"),
            (world.french, "INVOICE", 0, 0, "APPROVED"), (world.french, "DEPOSIT", 3000, 500, "PAID"),
            (world.german, "DEPOSIT", 2000, 0, "PAID"), (world.french, "INVOICE", -500, -100, "APPROVED"),
            (world.french, "DEPOSIT", -1000, -200, "PAID"), (world.french, "CREDIT_NOTE", -600, -100, "APPROVED"),
            (world.french, "INVOICE", 700, 700, "APPROVED"), (world.french, "INVOICE", 1200, 200, "APPROVED")]):
        Invoice.create(shop=world.shop, supplier=supplier, number=f"X-{n}", kind=kind, issue_date=day,
                       total_net=gross - vat, total_vat=vat, total_gross=gross, status=status)
    # A reverse-charged invoice with a document-level discount: its VAT breakdown holds the bases.
    discounted = Invoice.create(shop=world.shop, supplier=world.german, number="X-9", issue_date=day, total_net=900,
                                total_vat=0, total_gross=900, status="APPROVED")
    InvoiceLine.create(invoice=discounted, position=1, description="Remise", quantity_milli=1000, unit_price=1000,
                       vat_rate=0, net_amount=1000)
    InvoiceVat.create(invoice=discounted, rate=550, base=900, amount=0)
    deposit = Invoice.get(Invoice.number == "X-5")
    balance = Invoice.get(Invoice.number == "F-0001")
    DepositDeduction.create(invoice=balance, deposit=deposit, amount=1500)
    # Deposits deducted beyond an invoice's TTC: its 401 line goes to the debit side.
    DepositDeduction.create(invoice=Invoice.get(Invoice.number == "X-11"), deposit=deposit, amount=1500)
    SupplierPayment.create(invoice=balance, amount=-200, paid_on=TODAY - datetime.timedelta(days=3), method="OTHER")
    period = Period(TODAY - datetime.timedelta(days=400), TODAY)
    config = current_accounts()
    expected = summarise_by_entries(period, [world.shop.id], config)
    assert expected.reverse_charge_count and set(expected.by_kind) == {"INVOICE", "CREDIT_NOTE", "DEPOSIT", "PAYMENT"}
    assert vars(summarise(period, [world.shop.id], config)) == vars(expected)


def test_issue_14_summary_reads_the_period_invoices_once(world):
    """The page's summary walks the invoices of the period once, for the DOMESTIC totals, the invoices
    not booked yet and the ids of those booked one by one (read then by their keys, with their lines
    and VAT breakdowns); the foreign-currency invoices without a rate are listed by a second walk
    only when the first found some."""
    from models import db
    from portal.accounting.fec import Period, summarise, summarise_by_entries

    world.add(20)  # a fifth from a German supplier: booked one by one
    period = Period(TODAY - datetime.timedelta(days=400), TODAY)
    config = current_accounts()

    def walks():
        statements = []
        original = db.obj.execute_sql

        def recorded(sql, params=None, *args, **kwargs):
            statements.append(sql)
            return original(sql, params, *args, **kwargs)

        db.obj.execute_sql = recorded
        try:
            summary = summarise(period, [world.shop.id], config, until=None)
        finally:
            del db.obj.execute_sql
        assert vars(summary) == vars(summarise_by_entries(period, [world.shop.id], config))
        return sum('"issue_date" BETWEEN' in sql for sql in statements), summary

    count, summary = walks()
    assert count == 1 and summary.by_kind["INVOICE"][0] == 20 and summary.other_currencies == []
    acme = Supplier.create(name="Acme Machines Inc", country="US")
    Invoice.create(shop=world.shop, supplier=acme, number="US-9", issue_date=TODAY - datetime.timedelta(days=9),
                   currency="USD", total_net=5000, total_vat=0, total_gross=5000, status="APPROVED")
    count, summary = walks()
    assert count == 2 and [invoice.number for invoice in summary.other_currencies] == ["US-9"]


def _card_sales(shop, day, amounts, currency="EUR"):
    """Captures sent on `day` (UTC evening: the next local day in Paris for the last one), a refund, an unpaid."""
    from models import Operation, Transaction, Unpaid

    for n, (amount, network) in enumerate(amounts):
        sent = datetime.datetime.combine(day, datetime.time(18 + 2 * n, 17 * n % 60))
        txn = Transaction.create(shop=shop, reference=f"T{day:%m%d}{n}{currency if currency != 'EUR' else ''}",
                                 amount=amount, currency=currency,
                                 capture_mode="AUTO", state="CAPTURED", card_token="tok", masked_pan="4300XXXXXXXX0900",
                                 networks="CB,VISA", network=network, card_expiry_year=2030, card_expiry_month=12)
        Operation.create(transaction=txn, kind="CAPTURE", amount=amount, succeeded=True, at=sent, sent_at=sent,
                         remittance_status="ACCEPTED", operation_number=f"R{txn.id}")
    Operation.create(transaction=txn, kind="CREDIT", amount=amount // 2, succeeded=True, at=sent,
                     sent_at=sent + datetime.timedelta(days=1), remittance_status="ACCEPTED", operation_number="C1")
    Unpaid.create(transaction=txn, operation_number="U1", operation_code="DEBIT", file_number=f"IMP{day:%m%d}",
                  unpaid_date=day + datetime.timedelta(days=3), amount=amount, unpaid_code="4837", reason="Contestation")


def _books_of_every_kind(world):
    """What the first summary test does not hold: card sales (remittances, credits net of commission,
    refund, unpaid), reverse charge at each line's rate (5,5 and 20 %), a domestic reverse charge
    (category AE), dollar invoices with a rate (and a payment) and without one."""
    import json

    from dataclasses import replace

    from models import InvoiceBooking
    from portal.accounting.accounts import save_accounts

    save_accounts(replace(current_accounts(), card_commission_rates=(("CB", 80), ("VISA", 120))), None)
    day = TODAY - datetime.timedelta(days=48)
    _card_sales(world.shop, day, [(10000, "CB"), (5000, "visa"), (2999, "AMEX")])
    _card_sales(world.shop, day - datetime.timedelta(days=9), [(4321, "CB")])
    # ACC-3: dollars at their rate on the same days as euros (a remittance each), pounds without a rate.
    save_accounts(replace(current_accounts(), card_exchange_rates=(("USD", 923457, ""),)), None)
    _card_sales(world.shop, day, [(10001, "CB"), (5003, "visa"), (2999, "AMEX")], "USD")
    _card_sales(world.shop, day - datetime.timedelta(days=9), [(777, "CB")], "GBP")
    coffee = Invoice.create(shop=world.shop, supplier=world.german, number="DE-55", issue_date=day, total_net=30000,
                            total_vat=0, total_gross=30000, status="APPROVED")
    lines = [InvoiceLine.create(invoice=coffee, position=p, description="Café", quantity_milli=1000, unit_price=net,
                                vat_rate=0, net_amount=net) for p, net in ((1, 20000), (2, 10000))]
    InvoiceVat.create(invoice=coffee, rate=0, base=30000, amount=0, category="K")
    InvoiceBooking.create(invoice=coffee, line_rates=json.dumps({str(lines[0].id): 550, str(lines[1].id): 2000}))
    builder = Supplier.create(name="Maçonnerie Durand", country="FR")
    works = Invoice.create(shop=world.shop, supplier=builder, number="AE-1", issue_date=day, total_net=50000,
                           total_vat=0, total_gross=50000, status="APPROVED")
    InvoiceVat.create(invoice=works, rate=2000, base=50000, amount=0, category="AE")
    acme = Supplier.create(name="Acme Machines Inc", country="US")
    for number, rate in (("US-1", 921500), ("US-2", None)):
        dollars = Invoice.create(shop=world.shop, supplier=acme, number=number, issue_date=day, currency="USD",
                                 total_net=123457, total_vat=0, total_gross=123457, status="APPROVED")
        InvoiceBooking.create(invoice=dollars, exchange_rate=rate)
        SupplierPayment.create(invoice=dollars, amount=33333, paid_on=day + datetime.timedelta(days=2),
                               method="TRANSFER")
    return day


def _assert_same_summaries(periods, shop_ids, config):
    from portal.accounting.fec import summarise, summarise_by_entries

    found = []
    for period in periods:
        expected = summarise_by_entries(period, shop_ids, config)
        assert vars(summarise(period, shop_ids, config)) == vars(expected), period
        found.append(expected)
    return found


def test_acc_3_acc_4_acc_5_summary_from_aggregates_equals_the_entries_with_card_sales_rates_currencies_and_closings(
        world):
    """The page's summary equals the file's entries with every part of issue 12: the card journal,
    reverse charge at each line's rate, a dollar invoice with its rate, and a closed period whose
    entries are read from their stored tables, with later changes corrected in the open period."""
    from models import LedgerEntry, Operation, Transaction
    from portal.accounting.accounts import supplier_codes
    from portal.accounting.fec import Period, suppliers_in
    from portal.accounting.ledger import close_period

    world.add(30)
    day = _books_of_every_kind(world)
    config = current_accounts()
    shops = [world.shop.id]
    year = Period(TODAY - datetime.timedelta(days=400), TODAY)
    before, = _assert_same_summaries([year], shops, config)
    assert {"REMITTANCE", "CARD_CREDIT", "CARD_REFUND", "CARD_UNPAID", "INVOICE", "PAYMENT"} <= set(before.by_kind)
    assert before.reverse_charge_count >= 2 and [i.number for i in before.other_currencies] == ["US-2"]
    assert before.card_unrated == [("GBP", 3, 777)]  # capture, refund, unpaid: out of the books, said so

    # Close the books up to a few days after the card sales, in the fiscal year of the oldest invoice.
    oldest = TODAY - datetime.timedelta(days=75)
    end = day + datetime.timedelta(days=4)
    if end.year != oldest.year:
        end = datetime.date(oldest.year, 12, 31)
    codes = supplier_codes(suppliers_in(Period(datetime.date(2000, 1, 1), end), shops), world.user)
    close_period(end, world.user, config, codes, TODAY)
    assert LedgerEntry.select().count() > 0
    first_open = end + datetime.timedelta(days=1)
    periods = [year, Period(year.start, end), Period(first_open, TODAY), Period(first_open + datetime.timedelta(days=1),
                                                                                TODAY)]
    _assert_same_summaries(periods, shops, config)

    # Later changes: an invoice of the closed part approved late, another re-accounted, a third refused,
    # a fourth moved into the open part; a card capture added to a closed day.
    closed = list(Invoice.select().where(Invoice.issue_date <= end, Invoice.kind == "INVOICE",
                                         Invoice.status == "APPROVED", Invoice.currency == "EUR")
                  .order_by(Invoice.id).limit(3))
    Invoice.update(expense_account="606").where(Invoice.id == closed[0].id).execute()
    Invoice.update(status="REFUSED").where(Invoice.id == closed[1].id).execute()
    Invoice.update(issue_date=first_open).where(Invoice.id == closed[2].id).execute()
    Invoice.create(shop=world.shop, supplier=world.french, number="LATE-1", issue_date=day, total_net=1000,
                   total_vat=200, total_gross=1200, status="APPROVED")
    txn = Transaction.get(Transaction.reference == f"T{day:%m%d}0")
    Operation.create(transaction=txn, kind="CAPTURE", amount=700, succeeded=True, at=txn.created_at,
                     sent_at=datetime.datetime.combine(day, datetime.time(12)), remittance_status="ACCEPTED")
    whole, _, first_open_on, after_it = _assert_same_summaries(periods, shops, config)
    # Reversed: the re-accounted and the refused invoices, the changed remittance and its bank credit (the
    # moved invoice still books what was validated: nothing to correct).
    assert first_open_on.by_kind["REVERSAL"][0] == whole.by_kind["REVERSAL"][0] == 4
    assert "REVERSAL" not in after_it.by_kind
