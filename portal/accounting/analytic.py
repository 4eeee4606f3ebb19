"""The analytic allocation of a period's booked invoices as a CSV (ACC-2, ALLOC-2), next to the FEC:
one row per allocation line, only on the values the user may see (ALLOC-3: a restricted axis or value
never reaches an export of someone without a grant)."""
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from models import AnalyticAxis, AnalyticValue, Allocation, Invoice, InvoiceLine, Supplier
from portal.accounting.fec import (_TWO_DIGITS, BOOKED_STATUSES, FEC_CURRENCY, KIND_LABELS, csv_blocks,
                                  fec_amount)
from portal.allocation.visibility import visible_value_ids
from portal.accounting.streaming import as_date, stream_raw
from portal.exports import spreadsheet_safe

COLUMNS = (_l("Date facture"), _l("N° facture"), _l("Type"), _l("Fournisseur"), _l("Compte auxiliaire"),
           _l("Compte de charges"), _l("Axe"), _l("Code"), _l("Valeur"), _l("Ligne de facture"), _l("Montant HT"),
           _l("Devise"), _l("Pourcentage"))


def analytic_filename(period):
    return f"analytique-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"


def _value_paths(ids):
    """{value id: « Parent › Sub-value »} of the visible values (a visible value's parents are visible)."""
    values = {v.id: v for v in AnalyticValue.select(AnalyticValue.id, AnalyticValue.name, AnalyticValue.parent)
              .where(AnalyticValue.id.in_(list(ids) or [0]))}

    def path(value, depth=0):
        parent = values.get(value.parent_id)
        return value.name if parent is None or depth > 20 else f"{path(parent, depth + 1)} › {value.name}"

    return {value_id: path(value) for value_id, value in values.items()}


def _allocation_query(period, shop_ids):
    """The period's booked allocation lines, flat, in the order of the file: one streamed query whatever
    the size of the period (issue 12). The visible values (ALLOC-3) are kept by analytic_rows(): in the
    query they would make the database scan every allocation of those values instead of the period's
    invoices."""
    return (Allocation.select(Invoice.id, Invoice.issue_date, Invoice.number, Invoice.kind, Invoice.supplier,
                              Supplier.name, Invoice.expense_account, Invoice.currency,
                              Allocation.id, Allocation.value, Allocation.amount, Allocation.percent,
                              AnalyticAxis.position, AnalyticAxis.name, AnalyticValue.code, AnalyticValue.name,
                              InvoiceLine.position, InvoiceLine.description)
            .join(Invoice, on=Allocation.invoice).join(Supplier)
            .switch(Allocation).join(AnalyticValue).join(AnalyticAxis)
            .switch(Allocation).join(InvoiceLine, JOIN.LEFT_OUTER, on=Allocation.invoice_line)
            .where(Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
                   & Invoice.status.in_(list(BOOKED_STATUSES)))
            .order_by(Invoice.issue_date, Invoice.id, AnalyticAxis.position, AnalyticAxis.name, Allocation.id))


def analytic_rows(period, shop_ids, user, config, codes=None):
    """The CSV rows for `user`; a credit note's allocation counts negative. Every text cell is
    already neutralised for spreadsheets (SEC-3); dates, amounts and percentages are ours. A year holds
    hundreds of thousands of rows naming the same few days, suppliers, accounts and values: each of
    those is formatted and neutralised once (issue 12)."""
    codes = codes or {}
    value_ids = visible_value_ids(user)
    if not value_ids or not shop_ids:
        return
    visible = set(value_ids)
    paths = _value_paths(value_ids)
    kinds = {kind: spreadsheet_safe(label) for kind, label in KIND_LABELS.items()}
    days, suppliers, texts, values = {}, {}, {}, {}
    last_invoice = None
    # Rows come invoice by invoice (ordered by issue date, then invoice): the cells of an invoice are
    # worked out at its first row, and its other rows reuse them.
    for (invoice_id, issued, number, kind, supplier_id, supplier_name, expense_account, currency,
         _, value_id, amount, percent, _, axis_name, value_code, value_name, line_position, line_text) in (
            stream_raw(_allocation_query(period, shop_ids))):  # dates as the driver gives them
        if value_id not in visible:
            continue
        if invoice_id != last_invoice:
            last_invoice = invoice_id
            day = days.get(issued)
            if day is None:
                day = days[issued] = as_date(issued).strftime("%d/%m/%Y")
            supplier = suppliers.get((supplier_id, supplier_name, expense_account))
            if supplier is None:
                code = codes.get(supplier_id)
                supplier = suppliers[(supplier_id, supplier_name, expense_account)] = (
                    spreadsheet_safe(supplier_name), spreadsheet_safe(config.suppliers + code if code else ""),
                    spreadsheet_safe(config.expense_account_of(expense_account)))
            safe_currency = texts.get(currency)
            if safe_currency is None:
                safe_currency = texts[currency] = spreadsheet_safe(currency)
            safe_number, kind_text, (supplier_text, aux_text, account_text) = (
                spreadsheet_safe(number), kinds[kind], supplier)
            negative, euros = kind == "CREDIT_NOTE", currency == FEC_CURRENCY
        value = values.get(value_id)  # one value (and its axis) per id in the query's rows
        if value is None:
            value = values[value_id] = (spreadsheet_safe(axis_name), spreadsheet_safe(value_code),
                                        spreadsheet_safe(paths.get(value_id, value_name)))
        amount = -int(amount) if negative else int(amount)
        yield [day, safe_number, kind_text, supplier_text, aux_text, account_text, value[0], value[1], value[2],
               spreadsheet_safe(f"{line_position} {line_text}") if line_position is not None else "",
               f"{amount // 100},{_TWO_DIGITS[amount % 100]}" if euros and amount >= 0 else fec_amount(amount, currency),
               safe_currency, "" if percent is None else fec_amount(percent, FEC_CURRENCY)]


def analytic_chunks(rows):
    """The CSV of analytic_rows() (already neutralised), encoded a few thousand rows at a time."""
    return csv_blocks(COLUMNS, rows)
