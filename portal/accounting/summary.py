"""What the accounting page says of a period (counts and totals of the entries its FEC holds), from
aggregate queries rather than from every entry built: the page answers in a fraction of a second at
100,000 invoices, and says exactly what the download gives (tests/web/test_query_counts.py checks it
against fec.summarise_by_entries on every kind of entry).

- Closed part: the stored, validated entries summed by the database (kind by kind).
- Open part, the bulk: supplier invoices in euros from a French (or Monaco) supplier without
  self-assessment — regime DOMESTIC, the same four lines for all of them — summed by the database
  with the arithmetic of fec.invoice_entry() and fec._line(); payments in euros summed likewise.
- Open part, the rest, booked one by one exactly as the file books them: invoices whose VAT may be
  self-assessed or in another currency (their VAT is rounded rate by rate, their amounts converted
  line by line), payments of foreign-currency invoices, the card journal (a few entries a day per
  shop, the captures summed by the database), documents already validated once and the corrections
  of the closed history (ledger.history_corrections).
No Flask here."""
import datetime

from peewee import JOIN, Case, Value, fn

from models import Invoice, InvoiceBooking, InvoiceVat, LedgerEntry, LedgerLine, Supplier, SupplierPayment
from portal.accounting.fec import (BOOKED_STATUSES, FEC_CURRENCY, ExportSummary, Period, _add_entry,
                                   _in_euros_or_rated, _pending_and_foreign, supplier_invoice_entries,
                                   supplier_payment_entries, to_euros)
from portal.accounting.vat import HOME_COUNTRIES, REVERSE_CHARGE_CATEGORY


def _nonzero(value):
    return Case(None, [(value != 0, 1)], 0)


def _positive(value):
    return Case(None, [(value > 0, value)], 0)


def _negative(value):
    return Case(None, [(value < 0, 0 - value)], 0)


def _add_kind(summary, kind, count, amount):
    if count:
        count_amount = summary.by_kind.setdefault(kind, [0, 0])
        count_amount[0] += count
        count_amount[1] += amount


def _add_totals(summary, entries, lines, debit, credit, provisional):
    summary.entries += entries
    summary.lines += lines
    summary.debit += debit
    summary.credit += credit
    if provisional:
        summary.provisional += entries


def _not_validated(prefix, column):
    """Documents with no validated entry yet (source `prefix<id>`)."""
    return ~fn.EXISTS(LedgerEntry.select(LedgerEntry.id).where(LedgerEntry.source == Value(prefix).concat(column)))


def _validated(prefix, column):
    return fn.EXISTS(LedgerEntry.select(LedgerEntry.id).where(LedgerEntry.source == Value(prefix).concat(column)))


# --- Closed part -----------------------------------------------------------------------------------


def add_stored(summary, period, shop_ids):
    """The validated entries dated in `period`: two grouped queries."""
    scope = (LedgerEntry.date.between(period.start, period.end)
             & (LedgerEntry.shop.in_(list(shop_ids)) | LedgerEntry.shop.is_null()))
    kinds = (LedgerEntry.select(LedgerEntry.kind, fn.COUNT(LedgerEntry.id), fn.SUM(LedgerEntry.amount),
                                fn.SUM(_nonzero(LedgerEntry.reverse_charge_vat)), fn.SUM(LedgerEntry.reverse_charge_vat))
             .where(scope).group_by(LedgerEntry.kind).tuples())
    for kind, count, amount, reverse_count, reverse_vat in kinds:
        _add_kind(summary, kind, int(count or 0), int(amount or 0))
        summary.entries += int(count or 0)
        summary.reverse_charge_count += int(reverse_count or 0)
        summary.reverse_charge_vat += int(reverse_vat or 0)
    lines, debit, credit = (LedgerLine.select(fn.COUNT(LedgerLine.id), fn.SUM(LedgerLine.debit),
                                              fn.SUM(LedgerLine.credit))
                            .join(LedgerEntry).where(scope).tuples().get())
    summary.lines += int(lines or 0)
    summary.debit += int(debit or 0)
    summary.credit += int(credit or 0)


# --- Open part: the bulk, summed by the database -------------------------------------------------------


def _booked_apart():
    """Invoices in another currency or whose VAT may be self-assessed (fec._self_assessable(): a
    supplier outside France and Monaco, a VAT category AE, the domestic reverse charge chosen), told
    from the invoice's own columns: the supplier's country through the (few) suppliers abroad. The
    database then filters while reading the invoices, before any join, instead of after joining
    every invoice of the period to its supplier (and to its lines, in fec.invoice_stream)."""
    country = fn.UPPER(fn.COALESCE(Supplier.country, ""))
    abroad = Supplier.select(Supplier.id).where(country.not_in(sorted(HOME_COUNTRIES | {""})))
    marked = InvoiceVat.select(InvoiceVat.invoice).where(fn.UPPER(InvoiceVat.category) == REVERSE_CHARGE_CATEGORY)
    chosen = InvoiceBooking.select(InvoiceBooking.invoice).where(InvoiceBooking.reverse_charge == "DOMESTIC")
    return ((Invoice.currency != FEC_CURRENCY) | Invoice.supplier.in_(abroad) | Invoice.id.in_(marked)
            | Invoice.id.in_(chosen))


def _domestic_in_euros():
    """Invoices booked DOMESTIC in euros: the complement of what fec.invoice_stream reads line by line
    (the same set as `currency = EUR and not fec._self_assessable()`)."""
    return ~_booked_apart()


def _add_domestic_invoices(summary, period, shop_ids, extra):
    """The entries of DOMESTIC invoices in euros, one grouped query (by kind): per invoice the lines
    of invoice_entry() — 6xx (TTC − TVA), 44566 (TVA) / 4091 (deducted deposits), 401 (TTC − deducted)
    on the debit / credit side (swapped for a credit note), each counted when not zero and on the
    other side when negative; a deposit invoice: 4091 / 401 (TTC)."""
    # The deposits deducted from each invoice: their sum stored on it (migration 0017, kept by the
    # database), equal to what fec.invoice_stream() sums from the deductions.
    gross, vat = Invoice.total_gross, Invoice.total_vat
    deducted = Case(None, [(Invoice.kind == "INVOICE", Invoice.deducted_total)], 0)
    debits, credits = (gross - vat, vat), (deducted, gross - deducted)
    lines = sum((_nonzero(value) for value in (*debits, *credits)), start=0)
    debit = sum((_positive(v) for v in debits), start=0) + sum((_negative(v) for v in credits), start=0)
    swapped = sum((_positive(v) for v in credits), start=0) + sum((_negative(v) for v in debits), start=0)
    scope = (Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
             & Invoice.status.in_(list(BOOKED_STATUSES)) & _domestic_in_euros())
    if extra is not None:
        scope &= extra
    rows = (Invoice.select(Invoice.kind, fn.SUM(gross), fn.SUM(Case(None, [(lines > 0, 1)], 0)), fn.SUM(lines),
                           fn.SUM(debit), fn.SUM(swapped), fn.SUM(_nonzero(gross)), fn.SUM(fn.ABS(gross)))
            .where(scope).group_by(Invoice.kind).tuples())
    for kind, amount, entries, line_count, debit_total, swapped_total, deposits, deposit_debit in rows:
        if kind == "DEPOSIT":
            entries, line_count, debit_total = int(deposits or 0), 2 * int(deposits or 0), int(deposit_debit or 0)
        else:
            entries, line_count = int(entries or 0), int(line_count or 0)
            debit_total = int((swapped_total if kind == "CREDIT_NOTE" else debit_total) or 0)
        # Every entry is balanced (invoice_entry refuses otherwise): its credit is its debit.
        _add_totals(summary, entries, line_count, debit_total, debit_total, True)
        _add_kind(summary, kind, entries, int(amount or 0))


def _payments(period, shop_ids, extra):
    scope = ((SupplierPayment.invoice == Invoice.id) & Invoice.shop.in_(list(shop_ids)) & _in_euros_or_rated()
             & SupplierPayment.paid_on.between(period.start, period.end))
    if extra is not None:
        scope &= extra
    return scope


def _add_payments(summary, period, shop_ids, extra):
    """Payments: those of invoices in euros summed by the database (401 / 512, each of the amount),
    those of foreign-currency invoices converted one by one at their invoice's rate, as the file does."""
    # The payments of the period first (their paid_on index), then each one's invoice by its key: a
    # CROSS JOIN keeps that order on SQLite, whose planner would otherwise walk every invoice of the
    # shop (PostgreSQL reads it as the inner join it is, the condition being in _payments()).
    base = (SupplierPayment.select().join(Invoice, JOIN.CROSS)
            .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id)))
    count, amount, debit = (base.select(fn.SUM(_nonzero(SupplierPayment.amount)), fn.SUM(SupplierPayment.amount),
                                        fn.SUM(fn.ABS(SupplierPayment.amount)))
                            .where(_payments(period, shop_ids, extra) & (Invoice.currency == FEC_CURRENCY))
                            .tuples().get())
    count, amount, debit = int(count or 0), int(amount or 0), int(debit or 0)
    foreign = (base.select(SupplierPayment.amount, Invoice.currency, InvoiceBooking.exchange_rate)
               .where(_payments(period, shop_ids, extra) & (Invoice.currency != FEC_CURRENCY)).tuples())
    for paid, currency, rate in foreign:
        euros = to_euros(int(paid), currency, rate)
        if euros:
            count, amount, debit = count + 1, amount + euros, debit + abs(euros)
    _add_totals(summary, count, 2 * count, debit, debit, True)
    _add_kind(summary, "PAYMENT", count, amount)


# --- Open part -------------------------------------------------------------------------------------------


def _add_open(summary, period, shop_ids, config, codes, timezone, first_open, history_start):
    from portal.accounting.card import card_entries
    from portal.accounting.ledger import _correct, _stored_by_source, _with_stored_codes, history_corrections

    def add(entries):
        for entry in entries:
            _add_entry(summary, entry)

    if first_open is None:  # nothing validated yet: every document books its own entry
        _add_domestic_invoices(summary, period, shop_ids, None)
        add(supplier_invoice_entries(period, shop_ids, config, codes, where=_booked_apart()))
        _add_payments(summary, period, shop_ids, None)
        add(card_entries(period, shop_ids, config, timezone))
        return
    codes = _with_stored_codes(codes)
    stored = _stored_by_source(shop_ids)
    for entries in history_corrections(period, shop_ids, config, codes, timezone, first_open, history_start,
                                       stored).values():
        add(entries)
    fresh_invoice, fresh_payment = _not_validated("INV:", Invoice.id), _not_validated("PAY:", SupplierPayment.id)
    _add_domestic_invoices(summary, period, shop_ids, fresh_invoice)
    add(supplier_invoice_entries(period, shop_ids, config, codes, where=_booked_apart() & fresh_invoice))
    _add_payments(summary, period, shop_ids, fresh_payment)
    # Documents validated once and dated in the open part now (a date moved): corrected as the file does.
    for entry in supplier_invoice_entries(period, shop_ids, config, codes, where=_validated("INV:", Invoice.id)):
        add(_correct(entry, stored[entry.source], entry.date))
    for entry in supplier_payment_entries(period, shop_ids, config, codes,
                                          where=_validated("PAY:", SupplierPayment.id)):
        add(_correct(entry, stored[entry.source], entry.date))
    for entry in card_entries(period, shop_ids, config, timezone):
        add(_correct(entry, stored[entry.source], entry.date) if entry.source in stored else [entry])


_UNKNOWN = object()


def summarise(period, shop_ids, config, codes=None, timezone="Europe/Paris", until=_UNKNOWN):
    """Counts and totals of what the file of `period` holds (fec.summarise_by_entries, from aggregates).
    `codes`: the suppliers' auxiliary accounts (those stored are added: a validated line names them);
    `until`: the end of the last closed period (None: nothing closed), when the caller read it."""
    from portal.accounting.ledger import _history_start, closed_until

    summary = ExportSummary()
    if until is _UNKNOWN:
        until = closed_until()
    if until is None:
        _add_open(summary, period, shop_ids, config, codes, timezone, None, None)
    else:
        if period.start <= until:
            add_stored(summary, Period(period.start, min(period.end, until)), shop_ids)
        if period.end > until:
            first_open = until + datetime.timedelta(days=1)
            _add_open(summary, Period(max(period.start, first_open), period.end), shop_ids, config, codes, timezone,
                      first_open, _history_start())
    _pending_and_foreign(summary, period, shop_ids)
    return summary
