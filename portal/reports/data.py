"""What the reports read, summed by the database: payables and card remittances per shop and day,
realised bank movements, bank accounts, spend by supplier and month — always within the user's
shops (spend by analytic value: portal.allocation.service)."""
import datetime

from peewee import JOIN, SQL, Case, fn

from models import DepositDeduction, Invoice, Operation, Supplier, SupplierPayment, Transaction, Unpaid
from portal.database import is_postgres
from portal.invoices.lifecycle import InvoiceStatus as S
from portal.payments.lifecycle import OperationKind, TransactionState
from portal.reports.cashflow import Flow

PAYABLE = (S.RECEIVED, S.IN_HAND, S.APPROVED, S.PARTIALLY_APPROVED, S.PARTIALLY_PAID, S.DISPUTED, S.SUSPENDED)
SPENT = tuple(status for status in S if status != S.REFUSED)


def _day(value):
    """A date from what the database gives back for DATE(…): SQLite answers with text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _flows(query, sign=1):
    """[Flow] from a query of (shop id, day, total) rows."""
    return [Flow(shop_id, _day(day), sign * int(total)) for shop_id, day, total in query.tuples()
            if day is not None and total]


def _outstanding(shop_ids, currency):
    """The WHERE of invoices still to pay (credit notes aside) and the amount left on each, per row
    in SQL: paid and deducted amounts by correlated sums, so nothing is loaded per invoice."""
    paid = SupplierPayment.select(fn.SUM(SupplierPayment.amount)).where(SupplierPayment.invoice == Invoice.id)
    deducted = DepositDeduction.select(fn.SUM(DepositDeduction.amount)).where(DepositDeduction.invoice == Invoice.id)
    left = Invoice.total_gross - fn.COALESCE(paid, 0) - fn.COALESCE(deducted, 0)
    where = (Invoice.shop.in_(shop_ids) & Invoice.status.in_(PAYABLE) & (Invoice.kind != "CREDIT_NOTE")
             & (Invoice.currency == currency) & (left > 0))
    return where, left


def payables_per_day(shop_ids, currency, today):
    """[(shop id, due day, amount left, number of invoices)] of the invoices still to pay, summed by
    the database per shop and due day (an invoice without a due date is due today). Payments and
    deductions are summed once per invoice in joined subqueries: one pass over the invoices."""
    if not shop_ids:
        return []
    paid = (SupplierPayment.select(SupplierPayment.invoice, fn.SUM(SupplierPayment.amount).alias("total"))
            .group_by(SupplierPayment.invoice).alias("paid_sums"))
    deducted = (DepositDeduction.select(DepositDeduction.invoice, fn.SUM(DepositDeduction.amount).alias("total"))
                .group_by(DepositDeduction.invoice).alias("deducted_sums"))
    left = Invoice.total_gross - fn.COALESCE(paid.c.total, 0) - fn.COALESCE(deducted.c.total, 0)
    due = fn.COALESCE(Invoice.due_date, today)
    query = (Invoice.select(Invoice.shop, due, fn.SUM(left), fn.COUNT(Invoice.id))
             .join(paid, JOIN.LEFT_OUTER, on=(paid.c.invoice_id == Invoice.id))
             .join(deducted, JOIN.LEFT_OUTER, on=(deducted.c.invoice_id == Invoice.id))
             .where(Invoice.shop.in_(shop_ids) & Invoice.status.in_(PAYABLE) & (Invoice.kind != "CREDIT_NOTE")
                    & (Invoice.currency == currency) & (left > 0))
             .group_by(Invoice.shop, due))
    return [(shop_id, _day(day), int(total), count) for shop_id, day, total, count in query.tuples()]


def payables_by_day(shop_ids, currency, today):
    """[Flow] of the amounts left to pay per shop and due day."""
    return [Flow(shop_id, day, total) for shop_id, day, total, _count in payables_per_day(shop_ids, currency, today)]


EURO = "EUR"


def _supplier_payment_flows(shop_ids, currency, days, sign=1):
    """[Flow] of supplier payments per shop and day whose money leaves the bank in `currency`: those
    of invoices in it, except those whose euros debited are known (a foreign-currency invoice paid
    from the euro account), which count in euros for the amount debited. `days`: the condition on
    paid_on."""
    in_currency = (Invoice.currency == currency) & days
    if currency != EURO:
        in_currency &= SupplierPayment.debited_eur.is_null()
    flows = _flows(SupplierPayment.select(Invoice.shop, SupplierPayment.paid_on, fn.SUM(SupplierPayment.amount))
                   .join(Invoice).where(Invoice.shop.in_(shop_ids) & in_currency)
                   .group_by(Invoice.shop, SupplierPayment.paid_on), sign)
    if currency == EURO:
        flows += _flows(SupplierPayment.select(Invoice.shop, SupplierPayment.paid_on,
                                               fn.SUM(SupplierPayment.debited_eur))
                        .join(Invoice).where(Invoice.shop.in_(shop_ids) & (Invoice.currency != EURO)
                                             & SupplierPayment.debited_eur.is_null(False) & days)
                        .group_by(Invoice.shop, SupplierPayment.paid_on), sign)
    return flows


def scheduled_payments_by_day(shop_ids, currency, today):
    """[Flow] of supplier payments recorded with a date after today (a transfer not executed yet):
    they leave the bank on that day; the invoice's outstanding amount no longer counts them."""
    if not shop_ids:
        return []
    return _supplier_payment_flows(shop_ids, currency, SupplierPayment.paid_on > today)


def remittances_by_day(shop_ids, currency, include_to_validate):
    """[Flow] of card money still to reach the bank, per shop and capture day (cancelled parts out)."""
    if not shop_ids:
        return []
    states = [TransactionState.TO_CAPTURE, TransactionState.TO_AUTHORIZE]
    if include_to_validate:
        states += [TransactionState.TO_VALIDATE, TransactionState.TO_VALIDATE_NO_AUTH]
    cancelled = (Operation.select(Operation.transaction, fn.SUM(Operation.amount).alias("cancelled"))
                 .where((Operation.kind == OperationKind.CANCEL) & Operation.succeeded)
                 .group_by(Operation.transaction).alias("cancelled_ops"))
    left = Transaction.amount - fn.COALESCE(cancelled.c.cancelled, 0)
    return _flows(Transaction.select(Transaction.shop, Transaction.capture_date, fn.SUM(left))
                  .join(cancelled, JOIN.LEFT_OUTER, on=(cancelled.c.transaction_id == Transaction.id))
                  .where(Transaction.shop.in_(shop_ids) & Transaction.state.in_(states)
                         & (Transaction.currency == currency) & Transaction.capture_date.is_null(False) & (left > 0))
                  .group_by(Transaction.shop, Transaction.capture_date))


def refunds_by_day(shop_ids, currency):
    """[Flow] of card refunds waiting to be sent to the bank, per shop and day asked."""
    if not shop_ids:
        return []
    day = fn.DATE(Operation.at)
    return _flows(Operation.select(Transaction.shop, day, fn.SUM(Operation.amount)).join(Transaction)
                  .where((Operation.kind == OperationKind.CREDIT) & (Operation.remittance_status == "TO_SEND")
                         & Transaction.shop.in_(shop_ids) & (Transaction.currency == currency))
                  .group_by(Transaction.shop, day))


def realised_by_day(shop_ids, card_shop_ids, currency, since, today):
    """[Flow] of the movements that already reached the bank from `since` to today (both
    included), signed, per shop and day: card remittances and refunds sent and unpaids (of the
    shops whose cards the user sees), supplier payments. Four grouped queries whatever the size (five
    in euros: the foreign-currency invoices paid from the euro account)."""
    flows = []
    start, end = datetime.datetime.combine(since, datetime.time()), datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time())
    if card_shop_ids:
        sent = fn.DATE(Operation.sent_at)
        for kind, sign in ((OperationKind.CAPTURE, 1), (OperationKind.CREDIT, -1)):
            flows += _flows(Operation.select(Transaction.shop, sent, fn.SUM(Operation.amount)).join(Transaction)
                            .where((Operation.kind == kind) & Operation.succeeded
                                   & (Operation.remittance_status == "ACCEPTED")
                                   & (Operation.sent_at >= start) & (Operation.sent_at < end)
                                   & Transaction.shop.in_(card_shop_ids) & (Transaction.currency == currency))
                            .group_by(Transaction.shop, sent), sign)
        flows += _flows(Unpaid.select(Transaction.shop, Unpaid.unpaid_date, fn.SUM(Unpaid.amount)).join(Transaction)
                        .where(Transaction.shop.in_(card_shop_ids) & (Transaction.currency == currency)
                               & Unpaid.unpaid_date.between(since, today))
                        .group_by(Transaction.shop, Unpaid.unpaid_date), -1)
    if shop_ids:
        flows += _supplier_payment_flows(shop_ids, currency, SupplierPayment.paid_on.between(since, today), -1)
    return flows


def spend_filters(query, args):
    """The dashboard's filters on an Invoice query: period of issue, shop, supplier."""
    if args.get("du"):
        query = query.where(Invoice.issue_date >= args["du"])
    if args.get("au"):
        query = query.where(Invoice.issue_date <= args["au"])
    if args.get("boutique"):
        query = query.where(Invoice.shop == args["boutique"])
    if args.get("fournisseur"):
        query = query.where(Invoice.supplier == args["fournisseur"])
    return query


def _signed_net():
    return fn.SUM(Case(None, [(Invoice.kind == "CREDIT_NOTE", Invoice.total_net * -1)], Invoice.total_net))


def spend_by_supplier(shop_ids, currency, args):
    query = (Invoice.select(Supplier.name.alias("label"), _signed_net().alias("total"), fn.COUNT(Invoice.id).alias("n"))
             .join(Supplier).where(Invoice.shop.in_(shop_ids) & Invoice.status.in_(SPENT)
                                   & (Invoice.currency == currency)))
    query = spend_filters(query, args).group_by(Supplier.name).order_by(SQL("total").desc())
    return [(row.label, int(row.total or 0), row.n) for row in query.objects()]


def spend_by_month(shop_ids, currency, args):
    """[(first day of the month, net spend)], summed by the database (issue 14)."""
    month = (fn.to_char(Invoice.issue_date, "YYYY-MM") if is_postgres()
             else fn.strftime("%Y-%m", Invoice.issue_date))
    query = spend_filters(Invoice.select(month.alias("month"), _signed_net().alias("total"))
                          .where(Invoice.shop.in_(shop_ids) & Invoice.status.in_(SPENT)
                                 & (Invoice.currency == currency)), args)
    rows = query.group_by(month).order_by(month).tuples()
    return [(datetime.date(int(key[:4]), int(key[5:7]), 1), int(total or 0)) for key, total in rows]


def overdue(shop_ids, currency, today, limit=None):
    """[(invoice, outstanding)] of the invoices past their due date, the most overdue first; with
    `limit`, only that many are read (issue 14), see overdue_totals() for all of them."""
    where, left = _overdue_where(shop_ids, currency, today)
    query = (Invoice.select(Invoice, Supplier, left.alias("left")).join(Supplier).where(where)
             .order_by(Invoice.due_date, Invoice.id))
    if limit:
        query = query.limit(limit)
    return [(invoice, int(invoice.left)) for invoice in query]


def overdue_totals(shop_ids, currency, today):
    """(number, outstanding total) of the overdue invoices, in one aggregate query."""
    where, left = _overdue_where(shop_ids, currency, today)
    count, total = Invoice.select(fn.COUNT(Invoice.id), fn.SUM(left)).where(where).tuples().get()
    return int(count or 0), int(total or 0)


def _overdue_where(shop_ids, currency, today):
    where, left = _outstanding(shop_ids, currency)
    return where & (Invoice.due_date < today), left


def invoices_for_export(shop_ids, currency, args):
    query = spend_filters(Invoice.select(Invoice, Supplier).join(Supplier)
                          .where(Invoice.shop.in_(shop_ids) & (Invoice.currency == currency)), args)
    return query.order_by(Invoice.issue_date, Invoice.id)
