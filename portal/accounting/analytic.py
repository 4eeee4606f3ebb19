"""The analytic allocation of a period's booked invoices as a CSV (ACC-2, ALLOC-2), next to the FEC:
one row per allocation line, only on the values the user may see (ALLOC-3: a restricted axis or value
never reaches an export of someone without a grant)."""
from peewee import JOIN

from models import AnalyticAxis, AnalyticValue, Allocation, Invoice, InvoiceLine, Supplier
from portal.accounting.fec import BOOKED_STATUSES, KIND_LABELS, csv_stream, fec_amount
from portal.allocation.visibility import visible_value_ids

COLUMNS = ("Date facture", "N° facture", "Type", "Fournisseur", "Compte auxiliaire", "Compte de charges", "Axe",
           "Code", "Valeur", "Ligne de facture", "Montant HT", "Devise", "Pourcentage")


def analytic_filename(period):
    return f"analytique-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"


def _percent(basis_points):
    """6000 basis points -> « 60,00 »."""
    return "" if basis_points is None else fec_amount(basis_points, "EUR")


def allocations(period, shop_ids, value_ids):
    """The allocation lines of the period's booked invoices on the values `value_ids` (those visible)."""
    if not value_ids or not shop_ids:
        return Allocation.select().where(Allocation.id.is_null())
    return (Allocation.select(Allocation, Invoice, Supplier, AnalyticValue, AnalyticAxis, InvoiceLine)
            .join(Invoice, on=Allocation.invoice).join(Supplier)
            .switch(Allocation).join(AnalyticValue).join(AnalyticAxis)
            .switch(Allocation).join(InvoiceLine, JOIN.LEFT_OUTER, on=Allocation.invoice_line)
            .where(Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
                   & Invoice.status.in_(list(BOOKED_STATUSES)) & Allocation.value.in_(list(value_ids)))
            .order_by(Invoice.issue_date, Invoice.id, AnalyticAxis.position, AnalyticAxis.name, Allocation.id))


def _value_paths(ids):
    """{value id: « Parent › Sub-value »} of the visible values (a visible value's parents are visible)."""
    values = {v.id: v for v in AnalyticValue.select(AnalyticValue.id, AnalyticValue.name, AnalyticValue.parent)
              .where(AnalyticValue.id.in_(list(ids) or [0]))}

    def path(value, depth=0):
        parent = values.get(value.parent_id)
        return value.name if parent is None or depth > 20 else f"{path(parent, depth + 1)} › {value.name}"

    return {value_id: path(value) for value_id, value in values.items()}


def analytic_rows(period, shop_ids, user, config, codes=None):
    """The CSV rows for `user`; a credit note's allocation counts negative."""
    codes = codes or {}
    value_ids = visible_value_ids(user)
    paths = _value_paths(value_ids)
    for allocation in allocations(period, shop_ids, value_ids).iterator():
        invoice, value = allocation.invoice, allocation.value
        sign = -1 if invoice.kind == "CREDIT_NOTE" else 1
        code = codes.get(invoice.supplier_id)
        line = allocation.invoice_line if allocation.invoice_line_id else None
        yield [invoice.issue_date.strftime("%d/%m/%Y"), invoice.number, KIND_LABELS[invoice.kind], invoice.supplier.name,
               config.suppliers + code if code else "", config.expense_account_of(invoice.expense_account),
               value.axis.name, value.code, paths.get(value.id, value.name),
               f"{line.position} {line.description}" if line else "",
               fec_amount(sign * allocation.amount, invoice.currency), invoice.currency, _percent(allocation.percent)]


def analytic_chunks(rows):
    return csv_stream(COLUMNS, rows)
