"""The analytic allocation of a period's booked invoices as a CSV (ACC-2, ALLOC-2), next to the FEC:
one row per allocation line, only on the values the user may see (ALLOC-3: a restricted axis or value
never reaches an export of someone without a grant)."""
from peewee import JOIN

from models import AnalyticAxis, AnalyticValue, Allocation, Invoice, InvoiceLine, Supplier
from portal.accounting.fec import BOOKED_STATUSES, KIND_LABELS, csv_stream, fec_amount
from portal.allocation.visibility import visible_value_ids
from portal.invoices.paging import keyset_chunks

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


def _chunked_allocations(period, shop_ids, value_ids, size=1000):
    """(invoice, allocation) tuples of the period's booked invoices on the visible values, in the
    order of allocations(): a thousand invoices at a time by keyset with their allocation lines in
    one query per chunk, read as plain tuples (issue 14: flat memory, no model instance per row).
    invoice: (id, issue_date, number, kind, supplier_id, supplier name, expense account, currency);
    allocation: (id, value id, amount, percent, axis position, axis name, value code, value name,
    line position, line description)."""
    if not value_ids or not shop_ids:
        return
    value_ids = set(value_ids)
    invoices = (Invoice.select(Invoice.id, Invoice.issue_date, Invoice.number, Invoice.kind, Invoice.supplier,
                               Supplier.name, Invoice.expense_account, Invoice.currency).join(Supplier)
                .where(Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
                       & Invoice.status.in_(list(BOOKED_STATUSES))).tuples())
    for chunk in keyset_chunks(invoices, [Invoice.issue_date, Invoice.id], size, key=lambda row: (row[1], row[0])):
        rank = {invoice[0]: (position, invoice) for position, invoice in enumerate(chunk)}
        rows = (Allocation.select(Allocation.invoice, Allocation.id, Allocation.value, Allocation.amount,
                                  Allocation.percent, AnalyticAxis.position, AnalyticAxis.name, AnalyticValue.code,
                                  AnalyticValue.name, InvoiceLine.position, InvoiceLine.description)
                .join(AnalyticValue).join(AnalyticAxis)
                .switch(Allocation).join(InvoiceLine, JOIN.LEFT_OUTER, on=Allocation.invoice_line)
                .where(Allocation.invoice.in_(list(rank))).tuples())
        # Visible values (ALLOC-3) kept here: in the query they would make the database scan every
        # allocation of those values instead of the chunk's invoices.
        visible = [row for row in rows if row[2] in value_ids]
        for row in sorted(visible, key=lambda a: (rank[a[0]][0], a[5], a[6], a[1])):
            yield rank[row[0]][1], row[1:]


def analytic_rows(period, shop_ids, user, config, codes=None):
    """The CSV rows for `user`; a credit note's allocation counts negative."""
    codes = codes or {}
    value_ids = visible_value_ids(user)
    paths = _value_paths(value_ids)
    for invoice, allocation in _chunked_allocations(period, shop_ids, value_ids):
        _, issued, number, kind, supplier_id, supplier_name, expense_account, currency = invoice
        _, value_id, amount, percent, _, axis_name, value_code, value_name, line_position, line_text = allocation
        sign = -1 if kind == "CREDIT_NOTE" else 1
        code = codes.get(supplier_id)
        yield [issued.strftime("%d/%m/%Y"), number, KIND_LABELS[kind], supplier_name,
               config.suppliers + code if code else "", config.expense_account_of(expense_account),
               axis_name, value_code, paths.get(value_id, value_name),
               f"{line_position} {line_text}" if line_position is not None else "",
               fec_amount(sign * amount, currency), currency, _percent(percent)]


def analytic_chunks(rows):
    return csv_stream(COLUMNS, rows)
