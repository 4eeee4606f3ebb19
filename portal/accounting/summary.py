"""What the accounting page says of a period (counts and totals of the entries its FEC holds), from
aggregate queries rather than from every entry built: the page answers in a fraction of a second at
100,000 invoices, and says exactly what the download gives (tests/web/test_query_counts.py checks it
against fec.summarise_by_entries on every kind of entry).

- Closed part: the stored, validated entries summed by the database (kind by kind).
- The invoices of the period, walked once (_add_invoices()): the bulk — supplier invoices in euros
  from a French (or Monaco) supplier without self-assessment, regime DOMESTIC, the same four lines
  for all of them — summed by the database with the arithmetic of fec.invoice_entry() and
  fec._line(); in the same pass, the invoices not booked yet (counted), those in another currency
  without a rate (listed by a query of their own only when there are some) and the ids of the rest.
- The rest, booked one by one exactly as the file books them (fec.treatment_of(), fec.invoice_entry()),
  read by their ids: invoices whose VAT may be self-assessed or in another currency (their VAT is
  rounded rate by rate, their amounts converted line by line).
- Payments in euros summed by the database, those of foreign-currency invoices converted one by one.
- The card journal: a few entries a day per shop, from the captures summed by the database
  (card.remittances()); its figures worked out without building the entries when nothing is
  validated yet, from card.card_entries() otherwise.
- Once a period is closed: documents already validated and dated in the open part, and the
  corrections of the closed history (ledger.history_corrections: the documents written since the
  last closing, ledger.changes_since_closing), from the entries built.
No Flask here."""
import datetime
import json

from peewee import JOIN, SQL, Case, Select, Value, fn

from models import (Invoice, InvoiceBooking, InvoiceLine, InvoiceVat, LedgerEntry, LedgerLine, PurchaseLine, Supplier,
                    SupplierPayment, db)
from portal.accounting.fec import (BOOKED_STATUSES, FEC_CURRENCY, ExportSummary, Period, _add_entry,
                                   supplier_invoice_entries,
                                   supplier_payment_entries, to_euros, treatment_of)
from portal.accounting.streaming import among, as_date
from portal.accounting.vat import HOME_COUNTRIES, REVERSE_CHARGE_CATEGORY, VatRegime


def _nonzero(value):
    return Case(None, [(value != 0, 1)], 0)


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


def _lines_and_debit(amounts):
    """(lines, debit) of an entry of `amounts` [(amount, on the debit side)], as fec._line() and
    fec._balanced() write it: a line of zero left out, a negative one on the other side."""
    lines = debit = 0
    for amount, debit_side in amounts:
        if amount:
            lines += 1
            if (amount > 0) == debit_side:
                debit += abs(amount)
    return lines, debit


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


# The part of the period's invoices each one is in (_add_invoices()).
DOMESTIC, PENDING, UNRATED, CLOSED, VALIDATED, APART = 0, -1, -2, -3, -4, -5


class _Invoices:
    """What _add_invoices() found besides the DOMESTIC totals: the ids of the invoices to book one by
    one (`apart`), whether some validated invoice now lies in the open part, how many foreign-currency
    invoices lack their rate."""

    __slots__ = ("apart", "validated", "unrated")

    def __init__(self):
        self.apart, self.validated, self.unrated = [], 0, 0


def _add_invoices(summary, period, shop_ids, open_start, extra):
    """One pass over the invoices dated in `period`, grouped by the part each one is in: not booked
    yet (pending), in another currency without its rate (listed on the page), dated before
    `open_start` (the closed part, read from the stored entries), already validated (`extra` false),
    booked one by one (_booked_apart(): their ids are gathered, for _add_apart() to read them by their
    key), and the rest: DOMESTIC invoices in euros, whose entries are summed here.

    A DOMESTIC entry (fec.invoice_entry()) has four lines — 6xx (TTC − TVA) and 44566 (TVA) on the
    debit side, 4091 (deducted deposits) and 401 (TTC − deducted) on the credit side, the sides swapped
    for a credit note — each counted when not zero and on the other side when negative; a deposit
    invoice: 4091 / 401 (TTC). As the two sides both add up to the TTC, an entry's debit is half the
    sum of its four amounts' absolute values, whichever side each lands on; it has lines unless the
    TTC, the VAT and the deducted deposits are all zero.

    The part is worked out once per invoice in a subquery, then grouped with the kind: a few groups
    whatever the number of invoices. On PostgreSQL the subquery is kept apart (OFFSET 0): its planner
    then expects a few hundred groups and sums them in a hash table, where it would sort the period's
    invoices for a CASE over the invoice's id (whose groups it expects as many as the invoices)."""
    from portal.database import is_postgres

    # The deposits deducted from each invoice: their sum stored on it (migration 0017, kept by the
    # database), equal to what fec.invoice_stream() sums from the deductions.
    deducted = Case(None, [(Invoice.kind == "INVOICE", Invoice.deducted_total)], 0)
    rated = InvoiceBooking.select(InvoiceBooking.invoice).where(InvoiceBooking.exchange_rate.is_null(False))
    scope = Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
    parts = [(Invoice.status.not_in(list(BOOKED_STATUSES)), PENDING),
             ((Invoice.currency != FEC_CURRENCY) & Invoice.id.not_in(rated), UNRATED)]
    if open_start > period.start:
        parts.append((Invoice.issue_date < open_start, CLOSED))
    if extra is not None:
        parts.append((~extra, VALIDATED))
    parts.append((_booked_apart(), APART))
    invoices = (Invoice.select(Case(None, parts, DOMESTIC).alias("part"), Invoice.id.alias("id"),
                               Invoice.kind.alias("kind"), Invoice.total_gross.alias("gross"),
                               Invoice.total_vat.alias("vat"), deducted.alias("deducted"))
                .where(scope))
    postgres = is_postgres()
    if postgres:
        invoices = invoices.offset(0)
    invoices = invoices.alias("parts")
    part, gross, vat, deducted = invoices.c.part, invoices.c.gross, invoices.c.vat, invoices.c.deducted
    apart_id = Case(None, [(part == APART, invoices.c.id)])
    apart_ids = fn.STRING_AGG(apart_id.cast("TEXT"), ",") if postgres else fn.GROUP_CONCAT(apart_id)
    amounts = (gross - vat, vat, deducted, gross - deducted)
    lines = sum((_nonzero(value) for value in amounts), start=0)
    absolute = sum((fn.ABS(value) for value in amounts), start=0)
    rows = (Select([invoices], [part, invoices.c.kind, fn.COUNT(SQL("*")), fn.SUM(gross),
                                fn.COUNT(Case(None, [((gross != 0) | (vat != 0) | (deducted != 0), 1)])),
                                fn.SUM(lines), fn.SUM(absolute), fn.COUNT(Case(None, [(gross != 0, 1)])),
                                fn.SUM(fn.ABS(gross)), apart_ids])
            .group_by(part, invoices.c.kind))
    found = _Invoices()
    for where, kind, *row, ids in db.execute(rows).fetchall():
        where, (count, *totals) = int(where), (int(value or 0) for value in row)
        if where == DOMESTIC:
            _add_domestic(summary, kind, *totals)
        elif where == APART:
            found.apart.extend(int(invoice_id) for invoice_id in ids.split(","))
        elif where == PENDING:
            summary.pending += count
        elif where == UNRATED:
            found.unrated += count
        elif where == VALIDATED:
            found.validated += count
    return found


def _add_domestic(summary, kind, amount, entries, lines, absolute, deposits, deposit_debit):
    """The entries of the DOMESTIC invoices of one kind, from _add_invoices()' sums."""
    if kind == "DEPOSIT":
        entries, lines, debit = deposits, 2 * deposits, deposit_debit
    else:
        debit = absolute // 2
    # Every entry is balanced (invoice_entry refuses otherwise): its credit is its debit.
    _add_totals(summary, entries, lines, debit, debit, True)
    _add_kind(summary, kind, entries, amount)


def _payments(period, shop_ids, extra):
    scope = ((SupplierPayment.invoice == Invoice.id) & Invoice.shop.in_(list(shop_ids))
             & SupplierPayment.paid_on.between(period.start, period.end))
    if extra is not None:
        scope &= extra
    return scope


def _add_payments(summary, period, shop_ids, extra):
    """Payments: those of invoices in euros summed by the database (401 / 512, each of the amount),
    those of foreign-currency invoices with their rate (fec._in_euros_or_rated()) converted one by one
    at it, as the file does."""
    # The payments of the period first (their paid_on index), then each one's invoice by its key: a
    # CROSS JOIN keeps that order on SQLite, whose planner would otherwise walk every invoice of the
    # shop (PostgreSQL reads it as the inner join it is, the condition being in _payments()). The
    # invoices in euros need no booking (their rate is not read): no join to it, which costs SQLite
    # as much again.
    base = SupplierPayment.select().join(Invoice, JOIN.CROSS)
    count, amount, debit = (base.select(fn.SUM(_nonzero(SupplierPayment.amount)), fn.SUM(SupplierPayment.amount),
                                        fn.SUM(fn.ABS(SupplierPayment.amount)))
                            .where(_payments(period, shop_ids, extra) & (Invoice.currency == FEC_CURRENCY))
                            .tuples().get())
    count, amount, debit = int(count or 0), int(amount or 0), int(debit or 0)
    lines = 2 * count
    # The others from the rates entered (a few bookings), then their invoices and payments by key: on
    # SQLite a fourth of the time of walking the period's payments to their invoices.
    foreign = (InvoiceBooking.select(SupplierPayment.amount, Invoice.currency, InvoiceBooking.exchange_rate,
                                     SupplierPayment.debited_eur)
               .join(Invoice, JOIN.CROSS).join(SupplierPayment, JOIN.CROSS)
               .where((InvoiceBooking.invoice == Invoice.id) & InvoiceBooking.exchange_rate.is_null(False)
                      & (Invoice.currency != FEC_CURRENCY) & _payments(period, shop_ids, extra)).tuples())
    for paid, currency, rate, debited in foreign:
        euros = to_euros(int(paid), currency, rate)
        # fec.payment_entry(): 401 at the invoice's rate, 512 what the bank debited, 656 / 756 between.
        debited = euros if debited is None else int(debited)
        entry_lines, entry_debit = _lines_and_debit(((euros, True), (debited, False), (debited - euros, True)))
        if entry_lines:
            count, amount, lines, debit = count + 1, amount + euros, lines + entry_lines, debit + entry_debit
    _add_totals(summary, count, lines, debit, debit, True)
    _add_kind(summary, "PAYMENT", count, amount)


# --- Open part: the invoices booked one by one ----------------------------------------------------------


class _Supplier:
    __slots__ = ("name", "country", "vat_number")

    def __init__(self, name, country, vat_number):
        self.name, self.country, self.vat_number = name, country, vat_number


class _Apart:
    """An invoice booked one by one, with what fec.treatment_of() and fec.invoice_entry() read of it."""

    __slots__ = ("id", "kind", "number", "issue_date", "total_gross", "total_net", "total_vat", "expense_account",
                 "currency", "shop_id", "deducted", "supplier", "rate", "nature", "choice", "chosen_rates",
                 "marked_ae")


def _rows(query):
    """The driver's rows of a query, as they come (a few thousand: no conversion through peewee)."""
    return db.execute_sql(*query.sql()).fetchall()


def _by_invoice(query):
    """{invoice id: [the rest of its rows]} of a query whose rows start with the invoice id."""
    rows = {}
    for invoice_id, *rest in _rows(query):
        rows.setdefault(invoice_id, []).append(rest)
    return rows


def _add_apart(summary, invoices, config):
    """The entries of the invoices booked one by one (_add_invoices(): in another currency or whose VAT
    may be self-assessed), each booked as the file books it — fec.treatment_of() (VAT rounded rate by
    rate, amounts converted at the invoice's rate) and the lines of fec.invoice_entry() — from three
    queries reading by their keys: those invoices (the ids _add_invoices() gathered; the few columns
    these need, no correlated subquery), then their lines and VAT breakdowns (fec.invoice_stream()
    joins every invoice of the period to them).
    The lines and breakdown are given only to the invoices fec.invoice_stream() gives them to
    (fec._self_assessable())."""
    if not invoices.apart:
        return
    country = fn.UPPER(fn.COALESCE(Supplier.country, ""))
    rows = _rows(Invoice.select(Invoice.id, Invoice.kind, Invoice.number, Invoice.issue_date, Invoice.total_gross,
                                Invoice.total_net, Invoice.total_vat, Invoice.expense_account, Invoice.currency,
                                Invoice.shop, Invoice.deducted_total, Supplier.name, Supplier.country,
                                Supplier.vat_number, country, InvoiceBooking.exchange_rate, InvoiceBooking.nature,
                                InvoiceBooking.reverse_charge, InvoiceBooking.line_rates)
                 .join(Supplier).switch(Invoice)
                 .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
                 .where(among(Invoice.id, invoices.apart)))
    ids = [values[0] for values in rows]
    invoice_lines = _by_invoice(InvoiceLine.select(InvoiceLine.invoice, InvoiceLine.id, InvoiceLine.net_amount,
                                                   InvoiceLine.vat_rate, PurchaseLine.vat_rate)
                                .join(PurchaseLine, JOIN.LEFT_OUTER, on=(InvoiceLine.order_line == PurchaseLine.id))
                                .where(among(InvoiceLine.invoice, ids)).order_by(InvoiceLine.invoice, InvoiceLine.id))
    breakdowns = _by_invoice(InvoiceVat.select(InvoiceVat.invoice, InvoiceVat.base, InvoiceVat.rate,
                                               fn.UPPER(InvoiceVat.category) == REVERSE_CHARGE_CATEGORY)
                             .where(among(InvoiceVat.invoice, ids)).order_by(InvoiceVat.invoice, InvoiceVat.id))
    abroad = HOME_COUNTRIES | {""}
    for values in rows:
        row = _Apart()
        (row.id, row.kind, row.number, row.issue_date, total_gross, total_net, total_vat, row.expense_account,
         row.currency, row.shop_id, deducted, name, raw_country, vat_number, upper_country, row.rate, nature, choice,
         chosen) = values
        row.total_gross, row.total_net, row.total_vat, row.deducted = (int(total_gross), int(total_net),
                                                                       int(total_vat), int(deducted or 0))
        row.supplier = _Supplier(name, raw_country, vat_number)
        row.nature, row.choice = nature or "", choice or ""
        row.chosen_rates = {int(k): v for k, v in json.loads(chosen).items()} if chosen else {}
        breakdown = breakdowns.get(row.id, ())
        row.marked_ae = any(marked for _, _, marked in breakdown)
        if upper_country not in abroad or row.marked_ae or row.choice == "DOMESTIC":  # fec._self_assessable()
            line_rows, vat_rows = invoice_lines.get(row.id, []), [(base, rate) for base, rate, _ in breakdown]
        else:
            line_rows, vat_rows = [], []
        lines, debit, gross, reverse_vat = _invoice_figures(row, treatment_of(row, line_rows, vat_rows, config))
        if lines:  # a document of zero: no entry (fec.supplier_invoice_entries())
            _add_totals(summary, 1, lines, debit, debit, True)
            _add_kind(summary, row.kind, 1, gross)
            if reverse_vat:
                summary.reverse_charge_count += 1
                summary.reverse_charge_vat += reverse_vat


def _invoice_figures(row, treatment):
    """(lines, debit, amount, self-assessed VAT) of fec.invoice_entry(row, treatment, …), without
    building it: the same amounts on the same sides, left out when zero, on the other side when
    negative (_lines_and_debit()); its credit is its debit (invoice_entry() refuses otherwise)."""
    currency, rate, kind = row.currency or FEC_CURRENCY, row.rate, row.kind
    foreign = currency != FEC_CURRENCY
    gross = to_euros(row.total_gross, currency, rate) if foreign else row.total_gross
    debit = kind != "CREDIT_NOTE"
    if kind == "DEPOSIT":
        amounts = ((gross, debit), (gross, not debit))
    else:
        deductible = treatment.vat_deductible if treatment.regime == VatRegime.DOMESTIC else 0
        amounts = [(gross - deductible, debit), (deductible, debit)]
        if treatment.reverse_charge:
            amounts += [(treatment.vat_deductible, debit), (treatment.vat_due, not debit)]
        deducted = row.deducted if kind == "INVOICE" else 0
        deducted = to_euros(deducted, currency, rate) if foreign else deducted
        amounts += [(deducted, not debit), (gross - deducted, not debit)]
    lines, debit_total = _lines_and_debit(amounts)
    return lines, debit_total, gross, treatment.vat_due if kind != "DEPOSIT" else 0


# --- Open part: the card journal ---------------------------------------------------------------------


def _add_card(summary, period, shop_ids, config, timezone):
    """The card journal of a period nothing of which is validated, as card.card_entries() books it,
    without building its entries: the captures summed by the database per local day, shop and
    network (card.remittances(), the same query), each day's remittance (5115 / 411, the gross) and
    bank credit `delay` days later (512 the net + 627 the commission, per network / 5115 the gross);
    the refunds (411 / 512) read one by one for their local day; the unpaids (416 / 512) summed.
    An entry whose amounts are all zero is still one entry, without lines, as card_entries() gives it."""
    import zoneinfo

    from models import Operation, Transaction, Unpaid
    from portal.accounting.card import CREDIT, CardRates, _booked_currency, credit_amounts, remittances

    if not shop_ids:
        return
    zone = zoneinfo.ZoneInfo(timezone)
    delay = datetime.timedelta(days=config.card_credit_delay_days)
    rate_of = CardRates(config)
    for (day, _, currency), networks in remittances(period, shop_ids, config, zone).items():
        gross, commission, _, _ = credit_amounts(networks, rate_of(currency, day), config)
        if period.start <= day <= period.end:
            lines, debit = _lines_and_debit(((gross, True), (gross, False)))
            _add_totals(summary, 1, lines, debit, debit, True)
            _add_kind(summary, "REMITTANCE", 1, gross)
        if period.start <= day + delay <= period.end:
            lines, debit = _lines_and_debit(((gross - commission, True), (commission, True), (gross, False)))
            _add_totals(summary, 1, lines, debit, debit, True)
            _add_kind(summary, "CARD_CREDIT", 1, gross - commission)
    low = datetime.datetime.combine(period.start - ONE_DAY, datetime.time())  # card._utc_bounds()
    high = datetime.datetime.combine(period.end + 2 * ONE_DAY, datetime.time())
    refunds = (Operation.select(Operation.sent_at, Operation.amount, Transaction.currency).join(Transaction)
               .where((Operation.kind == CREDIT) & Operation.succeeded & (Operation.remittance_status == "ACCEPTED")
                      & Operation.sent_at.between(low, high) & Transaction.shop.in_(list(shop_ids))
                      & _booked_currency(config)))
    count = amount = debit = 0
    for sent_at, refunded, currency in refunds.tuples():
        day = sent_at.replace(tzinfo=datetime.UTC).astimezone(zone).date()
        if period.start <= day <= period.end and refunded:
            refunded = rate_of(currency, day).euros(refunded)
            count, amount, debit = count + 1, amount + refunded, debit + abs(refunded)
    _add_totals(summary, count, 2 * count, debit, debit, True)
    _add_kind(summary, "CARD_REFUND", count, amount)
    # Summed by the database per currency, day and amount (a foreign amount is converted at its day's
    # rate, then rounded, one unpaid at a time, as the entries do): a few rows.
    currencies = config.card_currencies()
    currency = fn.COALESCE(Transaction.currency, "")
    unpaids = (Unpaid.select(Transaction.currency, Unpaid.unpaid_date, Unpaid.amount, fn.COUNT(Unpaid.id))
               .join(Transaction, JOIN.LEFT_OUTER)
               .where(Unpaid.unpaid_date.between(period.start, period.end) & (Unpaid.amount != 0)
                      & fn.COALESCE(Transaction.shop, 0).in_(list(shop_ids))
                      & ((currency == FEC_CURRENCY) if len(currencies) == 1 else currency.in_(list(currencies))))
               .group_by(Transaction.currency, Unpaid.unpaid_date, Unpaid.amount))
    count = amount = debit = 0
    for unpaid_currency, unpaid_day, unpaid, number in unpaids.tuples():
        euros, number = rate_of(unpaid_currency, as_date(unpaid_day)).euros(unpaid), int(number)
        count, amount, debit = count + number, amount + number * euros, debit + number * abs(euros)
    _add_totals(summary, count, 2 * count, debit, debit, True)
    _add_kind(summary, "CARD_UNPAID", count, amount)


# --- Open part -------------------------------------------------------------------------------------------


def _add_open(summary, period, shop_ids, config, codes, timezone, first_open, history_start, invoices):
    """The open part's entries. `invoices`: what _add_invoices() found (the DOMESTIC invoices in
    euros are summed there)."""
    from portal.accounting.card import card_entries
    from portal.accounting.ledger import ClosedHistory, _correct, _with_stored_codes, changes_since_closing, \
        history_corrections

    def add(entries):
        for entry in entries:
            _add_entry(summary, entry)

    _add_apart(summary, invoices, config)
    if first_open is None:  # nothing validated yet: every document books its own entry
        _add_payments(summary, period, shop_ids, None)
        _add_card(summary, period, shop_ids, config, timezone)
        return
    codes = _with_stored_codes(codes)
    history = ClosedHistory(shop_ids, changes_since_closing(config, codes))
    stored = history.stored
    for entries in history_corrections(period, shop_ids, config, codes, timezone, first_open, history_start,
                                       stored, history.changes).values():
        add(entries)
    _add_payments(summary, period, shop_ids, _not_validated("PAY:", SupplierPayment.id))
    # Documents validated once and dated in the open part now (a date moved): corrected as the file does.
    if invoices.validated:
        for entry in supplier_invoice_entries(period, shop_ids, config, codes,
                                              where=_validated("INV:", Invoice.id)):
            add(_correct(entry, history.booked(entry.source), entry.date))
    for entry in supplier_payment_entries(period, shop_ids, config, codes,
                                          where=_validated("PAY:", SupplierPayment.id)):
        add(_correct(entry, history.booked(entry.source), entry.date))
    for entry in card_entries(period, shop_ids, config, timezone):
        add(_correct(entry, stored[entry.source], entry.date) if entry.source in stored else [entry])


_UNKNOWN = object()
ONE_DAY = datetime.timedelta(days=1)


def summarise(period, shop_ids, config, codes=None, timezone="Europe/Paris", until=_UNKNOWN):
    """Counts and totals of what the file of `period` holds (fec.summarise_by_entries, from aggregates).
    `codes`: the suppliers' auxiliary accounts (those stored are added: a validated line names them);
    `until`: the end of the last closed period (None: nothing closed), when the caller read it."""
    from portal.accounting.card import unrated_card_sales
    from portal.accounting.ledger import _history_start, closed_until

    summary = ExportSummary()
    if until is _UNKNOWN:
        until = closed_until()
    if until is None:
        invoices = _add_invoices(summary, period, shop_ids, period.start, None)
        _add_open(summary, period, shop_ids, config, codes, timezone, None, None, invoices)
    else:
        first_open = until + ONE_DAY
        invoices = _add_invoices(summary, period, shop_ids, max(period.start, min(first_open, period.end + ONE_DAY)),
                                 _not_validated("INV:", Invoice.id))
        if period.start <= until:
            add_stored(summary, Period(period.start, min(period.end, until)), shop_ids)
        if period.end > until:
            _add_open(summary, Period(max(period.start, first_open), period.end), shop_ids, config, codes, timezone,
                      first_open, _history_start(), invoices)
    if invoices.unrated:
        summary.other_currencies = _without_rate(period, shop_ids)
    summary.card_unrated = unrated_card_sales(period, shop_ids, config, timezone)
    return summary


def _without_rate(period, shop_ids):
    """The booked invoices of `period` in another currency whose exchange rate is not entered yet
    (left out of the file, listed on the page), as fec._pending_and_foreign() lists them."""
    return list(Invoice.select(Invoice, Supplier).join(Supplier).switch(Invoice)
                .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
                .where(Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
                       & Invoice.status.in_(list(BOOKED_STATUSES)) & (Invoice.currency != FEC_CURRENCY)
                       & InvoiceBooking.exchange_rate.is_null())
                .order_by(Invoice.issue_date, Invoice.id))
