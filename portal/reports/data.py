"""What the reports read: outstanding payables, expected card remittances, spend by supplier and
month — always within the user's shops (spend by analytic value: portal.allocation.service)."""
import datetime

from peewee import JOIN, SQL, Case, fn

from models import DepositDeduction, Invoice, Operation, Supplier, SupplierPayment, Transaction
from portal.database import is_postgres
from portal.invoices.lifecycle import InvoiceStatus as S
from portal.payments.lifecycle import OperationKind, TransactionState

PAYABLE = (S.RECEIVED, S.IN_HAND, S.APPROVED, S.PARTIALLY_APPROVED, S.PARTIALLY_PAID, S.DISPUTED, S.SUSPENDED)
SPENT = tuple(status for status in S if status != S.REFUSED)


def _sums(model, key_field, amount_field, ids):
    if not ids:
        return {}
    rows = (model.select(key_field.alias("key"), fn.SUM(amount_field).alias("total"))
            .where(key_field.in_(ids)).group_by(key_field))
    return {row.key: int(row.total) for row in rows.objects()}


def outstanding_payables(shop_ids, currency):
    """[(invoice, outstanding)] of invoices still to pay, credit notes aside."""
    invoices = list(Invoice.select(Invoice, Supplier).join(Supplier)
                    .where(Invoice.shop.in_(shop_ids) & Invoice.status.in_(PAYABLE)
                           & (Invoice.kind != "CREDIT_NOTE") & (Invoice.currency == currency))
                    .order_by(Invoice.due_date))
    ids = [invoice.id for invoice in invoices]
    paid = _sums(SupplierPayment, SupplierPayment.invoice, SupplierPayment.amount, ids)
    deducted = _sums(DepositDeduction, DepositDeduction.invoice, DepositDeduction.amount, ids)
    result = []
    for invoice in invoices:
        left = invoice.total_gross - paid.get(invoice.id, 0) - deducted.get(invoice.id, 0)
        if left > 0:
            result.append((invoice, left))
    return result


def expected_remittances(shop_ids, currency, include_to_validate):
    """(day, amount, label) of card money still to reach the bank: remittances by capture day,
    refunds waiting to be sent as outflows."""
    states = [TransactionState.TO_CAPTURE, TransactionState.TO_AUTHORIZE]
    if include_to_validate:
        states += [TransactionState.TO_VALIDATE, TransactionState.TO_VALIDATE_NO_AUTH]
    cancelled = (Operation.select(Operation.transaction, fn.SUM(Operation.amount).alias("cancelled"))
                 .where((Operation.kind == OperationKind.CANCEL) & Operation.succeeded)
                 .group_by(Operation.transaction).alias("cancelled_ops"))
    rows = (Transaction.select(Transaction.capture_date, Transaction.amount, Transaction.reference,
                               fn.COALESCE(cancelled.c.cancelled, 0).alias("cancelled"))
            .join(cancelled, JOIN.LEFT_OUTER, on=(cancelled.c.transaction_id == Transaction.id))
            .where(Transaction.shop.in_(shop_ids) & Transaction.state.in_(states)
                   & (Transaction.currency == currency)))
    inflows = [(row.capture_date, row.amount - int(row.cancelled), row.reference) for row in rows.objects()
               if row.capture_date is not None and row.amount - int(row.cancelled) > 0]
    credits = (Operation.select(Operation.at, Operation.amount, Transaction.reference).join(Transaction)
               .where((Operation.kind == OperationKind.CREDIT) & (Operation.remittance_status == "TO_SEND")
                      & Transaction.shop.in_(shop_ids) & (Transaction.currency == currency)))
    refunds = [(op.at.date(), op.amount, op.transaction.reference) for op in credits]
    return inflows, refunds


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
    paid = SupplierPayment.select(fn.SUM(SupplierPayment.amount)).where(SupplierPayment.invoice == Invoice.id)
    deducted = DepositDeduction.select(fn.SUM(DepositDeduction.amount)).where(DepositDeduction.invoice == Invoice.id)
    left = Invoice.total_gross - fn.COALESCE(paid, 0) - fn.COALESCE(deducted, 0)
    where = (Invoice.shop.in_(shop_ids) & Invoice.status.in_(PAYABLE) & (Invoice.kind != "CREDIT_NOTE")
             & (Invoice.currency == currency) & (Invoice.due_date < today) & (left > 0))
    return where, left


def invoices_for_export(shop_ids, currency, args):
    query = spend_filters(Invoice.select(Invoice, Supplier).join(Supplier)
                          .where(Invoice.shop.in_(shop_ids) & (Invoice.currency == currency)), args)
    return query.order_by(Invoice.issue_date, Invoice.id)
