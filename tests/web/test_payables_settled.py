"""Issue 14, migration 0017: the sums settled on each invoice, stored on it, equal the aggregate of its
payments and deductions after every kind of write and under concurrent writers; a stale copy saved
later never undoes them; the list of invoices to pay reads them."""
import datetime

from peewee import fn

from models import DepositDeduction, Invoice, SupplierPayment, db
from portal.payables.service import (deduct_deposit, invoice_balance, invoices_to_pay_page, new_idempotency_key,
                                     record_payment)
from tests.concurrency import run_at_once
from tests.factories import make_supplier, make_user
from tests.web.test_payables import IBAN_A, _batch, _invoice, company, treasurer  # noqa: F401 - fixtures

TODAY = datetime.date.today()


def _aggregates():
    """{invoice id: (sum of its payments, sum of its deductions)} recomputed from the rows."""
    paid = dict(SupplierPayment.select(SupplierPayment.invoice, fn.SUM(SupplierPayment.amount))
                .group_by(SupplierPayment.invoice).tuples())
    deducted = dict(DepositDeduction.select(DepositDeduction.invoice, fn.SUM(DepositDeduction.amount))
                    .group_by(DepositDeduction.invoice).tuples())
    return {invoice_id: (int(paid.get(invoice_id) or 0), int(deducted.get(invoice_id) or 0))
            for (invoice_id,) in Invoice.select(Invoice.id).tuples()}


def _stored():
    return {invoice_id: (paid, deducted) for invoice_id, paid, deducted in
            Invoice.select(Invoice.id, Invoice.paid_total, Invoice.deducted_total).tuples()}


def _assert_exact():
    stored, recomputed = _stored(), _aggregates()
    assert stored == recomputed
    return stored


def test_issue_14_stored_settlement_follows_every_write(client, treasurer, shop, company):  # noqa: F811
    supplier = make_supplier(iban=IBAN_A)
    user = make_user("payeur")
    deposit = _invoice(shop, supplier, 3000, "ACOMPTE-1", kind="DEPOSIT")
    first = _invoice(shop, supplier, 10000, "F-1")
    second = _invoice(shop, supplier, 20000, "F-2")
    third = _invoice(shop, supplier, 5000, "F-3")
    assert set(_assert_exact().values()) == {(0, 0)}

    # A payment through the service, then the deposit paid in full and deducted.
    record_payment(first, 2500, TODAY, "CHEQUE", user, new_idempotency_key())
    assert _assert_exact()[first.id] == (2500, 0)
    record_payment(deposit, 3000, TODAY, "TRANSFER", user, new_idempotency_key())
    deduct_deposit(first, Invoice.get_by_id(deposit.id), 3000, user)
    assert _assert_exact()[first.id] == (2500, 3000)
    assert invoice_balance(Invoice.get_by_id(first.id)).outstanding == 4500

    # A SEPA batch through the page: one payment per line.
    response = _batch(client, shop, [(first, "45,00"), (second, "50,00")])
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    stored = _assert_exact()
    assert stored[first.id] == (7000, 3000) and stored[second.id] == (5000, 0)
    assert Invoice.get_by_id(first.id).status == "PAID"

    # A payment reversed (deleted), changed, and moved to another invoice.
    payment = record_payment(second, 1000, TODAY, "CASH", user, new_idempotency_key()).payment
    assert _assert_exact()[second.id] == (6000, 0)
    SupplierPayment.update(amount=400).where(SupplierPayment.id == payment.id).execute()
    assert _assert_exact()[second.id] == (5400, 0)
    SupplierPayment.update(invoice=third.id).where(SupplierPayment.id == payment.id).execute()
    stored = _assert_exact()
    assert stored[second.id] == (5000, 0) and stored[third.id] == (400, 0)
    SupplierPayment.delete().where(SupplierPayment.id == payment.id).execute()
    assert _assert_exact()[third.id] == (0, 0)
    # A negative payment (a refund by the supplier) and a bulk insert.
    SupplierPayment.insert_many([{"invoice": third.id, "amount": amount, "paid_on": TODAY}
                                 for amount in (1000, 700, -200)]).execute()
    assert _assert_exact()[third.id] == (1500, 0)

    # A deduction deleted, then the deposit deducted again and its balance invoice deleted (cascade).
    DepositDeduction.delete().execute()
    assert _assert_exact()[first.id] == (7000, 0)
    scrap = _invoice(shop, supplier, 4000, "F-4", approve=False)
    DepositDeduction.create(invoice=scrap, deposit=deposit, amount=1000)
    assert _assert_exact()[scrap.id] == (0, 1000)
    Invoice.delete().where(Invoice.id == scrap.id).execute()
    _assert_exact()


def test_issue_14_a_stale_copy_saved_later_keeps_the_stored_sums(app, shop):
    supplier = make_supplier(iban=IBAN_A)
    user = make_user("payeur")
    invoice = _invoice(shop, supplier, 10000, "F-1")
    stale = Invoice.get_by_id(invoice.id)
    record_payment(invoice, 4000, TODAY, "CHEQUE", user, new_idempotency_key())
    stale.po_reference = "BC-42"
    stale.save()
    assert Invoice.get_by_id(invoice.id).po_reference == "BC-42"
    assert _assert_exact()[invoice.id] == (4000, 0)
    # The move to PAID writes the invoice too.
    record_payment(stale, 6000, TODAY, "CHEQUE", user, new_idempotency_key())
    assert Invoice.get_by_id(invoice.id).status == "PAID" and _assert_exact()[invoice.id] == (10000, 0)


def test_issue_14_concurrent_writers_all_count(app, shop):
    """Relative updates in each writer's transaction: none is lost, whatever the interleaving."""
    invoice = _invoice(shop, make_supplier(iban=IBAN_A), 10**9, "F-1")
    writers = 8

    def writer(n):
        def write():
            for k in range(5):
                with db.atomic():
                    SupplierPayment.create(invoice=invoice.id, amount=100 * n + k, paid_on=TODAY)
        return write

    run_at_once([writer(n) for n in range(1, writers + 1)])
    expected = sum(100 * n + k for n in range(1, writers + 1) for k in range(5))
    assert _assert_exact()[invoice.id] == (expected, 0)


def test_issue_14_to_pay_list_reads_the_stored_sums(app, shop):
    supplier = make_supplier(iban=IBAN_A)
    user = make_user("payeur")
    unpaid = _invoice(shop, supplier, 10000, "F-1")
    partly = _invoice(shop, supplier, 20000, "F-2")
    paid = _invoice(shop, supplier, 5000, "F-3")
    record_payment(partly, 5000, TODAY, "CHEQUE", user, new_idempotency_key())
    record_payment(paid, 5000, TODAY, "CHEQUE", user, new_idempotency_key())
    listing = invoices_to_pay_page([shop], sort="reste", descending=True)
    assert [(row.id, row.balance.outstanding) for row in listing.rows] == [(partly.id, 15000), (unpaid.id, 10000)]
    assert (listing.total, listing.outstanding) == (2, 25000)
    # A partial payment of an invoice whose status did not move (a direct row) still shows.
    SupplierPayment.create(invoice=unpaid.id, amount=10000, paid_on=TODAY)
    listing = invoices_to_pay_page([shop])
    assert [row.id for row in listing.rows] == [partly.id]
    assert (listing.total, listing.outstanding) == (1, 15000)


def test_issue_14_to_pay_list_of_one_supplier_and_sorted_by_supplier(app, shop):
    """The list filtered on one supplier (read through the supplier's index) and sorted by the
    suppliers' names (read from the invoice_to_pay index, migration 0019) lists the same invoices."""
    zephyr, alpha = make_supplier("Zéphyr SARL", iban=IBAN_A), make_supplier("Alpha SA", iban=IBAN_A)
    user = make_user("payeur")
    z1, a1 = _invoice(shop, zephyr, 10000, "Z-1"), _invoice(shop, alpha, 20000, "A-1")
    a2, z2 = _invoice(shop, alpha, 30000, "A-2"), _invoice(shop, zephyr, 40000, "Z-2")
    record_payment(a2, 30000, TODAY, "CHEQUE", user, new_idempotency_key())  # paid: off the list
    listing = invoices_to_pay_page([shop], supplier_id=zephyr.id)
    assert [row.id for row in listing.rows] == [z1.id, z2.id]
    assert (listing.total, listing.outstanding) == (2, 50000)
    assert invoices_to_pay_page([shop], supplier_id=alpha.id).rows[0].id == a1.id
    assert [row.id for row in invoices_to_pay_page([shop], sort="fournisseur").rows] == [a1.id, z1.id, z2.id]
    assert [row.id for row in invoices_to_pay_page([shop], sort="fournisseur", descending=True).rows] == \
        [z2.id, z1.id, a1.id]
