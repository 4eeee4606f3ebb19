"""What the reports read: outstanding payables, expected card remittances, spend by supplier and
month — always within the user's shops (spend by analytic value: portal.allocation.service)."""
from peewee import JOIN, SQL, Case, fn

from models import DepositDeduction, Invoice, Operation, Supplier, SupplierPayment, Transaction
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
    invoices = spend_filters(Invoice.select(Invoice.issue_date, Invoice.total_net, Invoice.kind)
                             .where(Invoice.shop.in_(shop_ids) & Invoice.status.in_(SPENT)
                                    & (Invoice.currency == currency)), args)
    months = {}
    for invoice in invoices:
        key = invoice.issue_date.replace(day=1)
        sign = -1 if invoice.kind == "CREDIT_NOTE" else 1
        months[key] = months.get(key, 0) + sign * invoice.total_net
    return sorted(months.items())


def overdue(shop_ids, currency, today):
    return [(invoice, left) for invoice, left in outstanding_payables(shop_ids, currency)
            if invoice.due_date and invoice.due_date < today]


def invoices_for_export(shop_ids, currency, args):
    query = spend_filters(Invoice.select(Invoice, Supplier).join(Supplier)
                          .where(Invoice.shop.in_(shop_ids) & (Invoice.currency == currency)), args)
    return query.order_by(Invoice.issue_date, Invoice.id)
