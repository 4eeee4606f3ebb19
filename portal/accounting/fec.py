"""The French FEC (Fichier des écritures comptables, article A47 A-1 du livre des procédures fiscales)
of the supplier side for a period (ACC-1, ACC-2): purchase invoices, credit notes, deposits and their
deduction in journal AC, supplier payments in journal BQ.

Layout: file `<SIREN>FEC<AAAAMMJJ>.txt` (closing date = end of the period), one header line, the 18
columns below separated by a tab, lines ended by CR LF, dates AAAAMMJJ, amounts with a decimal comma
and no thousands separator (« 1234,56 », « 0,00 »), every entry balanced. Entries come journal by
journal (purchases, then bank), in chronological order within each, numbered 1, 2, 3 … over the
file without a gap: each journal's numbers are continuous too. Encoded in UTF-8 by default; ISO-8859-15 (the encoding the
text of the BOI-CF-IOR-60-40-20 names) on request. Amounts are in euros: an invoice in another
currency needs its exchange rate and is left out, listed on the export page.

How each document is booked (debit / credit, a credit note swaps the sides):
- invoice of a French supplier: 6xx (TTC − TVA) and 44566 (TVA) / 401 (TTC);
- reverse charge (autoliquidation): 6xx (TTC) / 401 (TTC), and 445662 / 4452 of the self-assessed VAT;
- foreign supplier without reverse charge: 6xx (TTC, the foreign VAT is not deductible) / 401;
- deposit invoice: 4091 / 401 (TTC). Its VAT is deducted with the balance invoice, which carries
  the total price and VAT, then deducts the deposit: 6xx + 44566 / 4091 (deduction) + 401 (the rest);
- supplier payment: 401 / 512.
Only approved or paid invoices are booked (not received, in hand, disputed, suspended or refused)."""
import csv
import datetime
import io
import functools
import itertools
from types import SimpleNamespace
from dataclasses import dataclass, field

from peewee import JOIN, Case, fn

from models import DepositDeduction, Invoice, InvoiceEvent, Supplier, SupplierPayment
from portal.accounting.vat import HOME_COUNTRIES, VatRegime, regime_for, treatments_for, vat_treatment
from portal.invoices.lifecycle import InvoiceStatus
from portal.invoices.paging import keyset_chunks
from portal.exports import spreadsheet_safe, spreadsheet_safe_row
from portal.money import exponent

FEC_COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
               "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
               "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")
FEC_CURRENCY = "EUR"
BOOKED_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PARTIALLY_APPROVED, InvoiceStatus.PARTIALLY_PAID,
                   InvoiceStatus.PAID)
APPROVED_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PARTIALLY_APPROVED)
ENCODINGS = {"utf-8": "UTF-8", "iso-8859-15": "ISO-8859-15 (Latin-9)"}
KIND_LABELS = {"INVOICE": "Facture", "CREDIT_NOTE": "Avoir", "DEPOSIT": "Facture d'acompte", "PAYMENT": "Règlement"}
# Characters ISO-8859-15 lacks that French text often holds, written the nearest way it can.
_LATIN9 = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                         "\u2026": "...", "\u00a0": " ", "\u202f": " "})


class UnbalancedEntry(AssertionError):
    """An entry whose debits and credits differ: a bug, never written to a file."""


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("the period ends before it starts")


@dataclass(frozen=True)
class EntryLine:
    account: str
    account_label: str
    debit: int = 0
    credit: int = 0
    aux: str = ""
    aux_label: str = ""


@dataclass(frozen=True)
class Entry:
    journal: str
    journal_label: str
    date: datetime.date
    piece_ref: str
    piece_date: datetime.date
    label: str
    valid_date: datetime.date
    kind: str  # INVOICE, CREDIT_NOTE, DEPOSIT or PAYMENT
    lines: tuple = field(default=())
    amount: int = 0  # the document's own amount: TTC of an invoice, amount of a payment
    reverse_charge_vat: int = 0

    @property
    def debit(self):
        return sum(line.debit for line in self.lines)

    @property
    def credit(self):
        return sum(line.credit for line in self.lines)

    @property
    def balanced(self):
        return self.debit == self.credit


def fec_filename(siren, period):
    return f"{siren}FEC{period.end:%Y%m%d}.txt"


# A currency's decimals, read from Babel's data once per currency: an export formats millions of amounts.
_exponent = functools.lru_cache(maxsize=256)(exponent)


def fec_amount(minor, currency=FEC_CURRENCY):
    """12345 -> « 123,45 »; 0 -> « 0,00 »: from the integer, never through a float (MONEY-1)."""
    digits = _exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(int(minor)), 10**digits)
    return f"{sign}{whole},{fraction:0{digits}d}" if digits else f"{sign}{whole}"


@functools.lru_cache(maxsize=4096)
def fec_date(value):
    return value.strftime("%Y%m%d") if value else ""


@functools.lru_cache(maxsize=65536)  # journal, account and supplier names repeat on every line
def _text(value):
    """A field never holds the tab that separates fields, nor a line break, nor a formula for the
    spreadsheet the file may be opened in (SEC-3)."""
    return spreadsheet_safe(" ".join(str(value or "").split()))


def _line(account, label, amount, debit, aux="", aux_label=""):
    """One line on the debit side (or the credit side), switched over when the amount is negative."""
    if amount < 0:
        amount, debit = -amount, not debit
    return EntryLine(account, label, amount if debit else 0, 0 if debit else amount, aux, aux_label)


def _entry(lines, **fields):
    entry = Entry(lines=tuple(line for line in lines if line.debit or line.credit), **fields)
    if not entry.balanced:
        raise UnbalancedEntry(f"{entry.piece_ref}: debit {entry.debit} != credit {entry.credit}")
    return entry


# --- Entries of one document (plain: the rows are read, never written) -----------------------------


def invoice_entry(invoice, treatment, config, aux="", deducted=0, valid_date=None):
    """The purchase-journal entry of an invoice, credit note or deposit invoice. `treatment` is its
    VatTreatment, `aux` the supplier's auxiliary account, `deducted` the deposits it deducts."""
    supplier = invoice.supplier
    debit = invoice.kind != "CREDIT_NOTE"
    gross = invoice.total_gross
    deducted = deducted if invoice.kind == "INVOICE" else 0
    lines = []
    if invoice.kind == "DEPOSIT":
        lines.append(_line(config.deposits, config.label_of(config.deposits), gross, debit))
    else:
        expense = config.expense_account_of(invoice.expense_account)
        deductible = treatment.vat_deductible if treatment.regime == VatRegime.DOMESTIC else 0
        # The expense takes what is not deductible: TTC minus French VAT, the whole TTC otherwise.
        lines.append(_line(expense, config.label_of(expense), gross - deductible, debit))
        lines.append(_line(config.vat_deductible, config.label_of(config.vat_deductible), deductible, debit))
        if treatment.reverse_charge:
            lines.append(_line(config.vat_intracom_deductible, config.label_of(config.vat_intracom_deductible),
                               treatment.vat_deductible, debit))
            lines.append(_line(config.vat_intracom_due, config.label_of(config.vat_intracom_due),
                               treatment.vat_due, not debit))
        lines.append(_line(config.deposits, config.label_of(config.deposits), deducted, not debit))
    lines.append(_line(config.suppliers, config.label_of(config.suppliers), gross - deducted, not debit,
                       aux, supplier.name))
    label = f"{KIND_LABELS[invoice.kind]} {invoice.number} {supplier.name}"
    if treatment.reverse_charge and invoice.kind != "DEPOSIT":
        label += " (autoliquidation)"
    return _entry(lines, journal=config.purchases_journal, journal_label=config.purchases_journal_label,
                  date=invoice.issue_date, piece_ref=invoice.number, piece_date=invoice.issue_date, label=label,
                  valid_date=valid_date or invoice.issue_date, kind=invoice.kind, amount=gross,
                  reverse_charge_vat=treatment.vat_due if invoice.kind != "DEPOSIT" else 0)


def payment_entry(payment, config, aux=""):
    """The bank-journal entry of a supplier payment: 401 (the supplier) / 512."""
    invoice = payment.invoice
    lines = [_line(config.suppliers, config.label_of(config.suppliers), payment.amount, True, aux,
                   invoice.supplier.name),
             _line(config.bank, config.label_of(config.bank), payment.amount, False)]
    created = payment.created_at.date() if payment.created_at else payment.paid_on
    return _entry(lines, journal=config.bank_journal, journal_label=config.bank_journal_label, date=payment.paid_on,
                  piece_ref=payment.reference or invoice.number, piece_date=payment.paid_on,
                  label=f"Règlement facture {invoice.number} {invoice.supplier.name}",
                  valid_date=max(created, payment.paid_on), kind="PAYMENT", amount=payment.amount)


# --- What a period holds ------------------------------------------------------------------------------


def _in_scope(shop_ids):
    return Invoice.shop.in_(list(shop_ids)) & (Invoice.currency == FEC_CURRENCY)


def booked_invoices(period, shop_ids):
    return (Invoice.select(Invoice, Supplier).join(Supplier)
            .where(_in_scope(shop_ids) & Invoice.issue_date.between(period.start, period.end)
                   & Invoice.status.in_(list(BOOKED_STATUSES)))
            .order_by(Invoice.issue_date, Invoice.id))


def period_payments(period, shop_ids):
    return (SupplierPayment.select(SupplierPayment, Invoice, Supplier)
            .join(Invoice).join(Supplier)
            .where(_in_scope(shop_ids) & SupplierPayment.paid_on.between(period.start, period.end))
            .order_by(SupplierPayment.paid_on, SupplierPayment.id))


def _deductions(invoice_ids):
    rows = (DepositDeduction.select(DepositDeduction.invoice, fn.SUM(DepositDeduction.amount).alias("total"))
            .where(DepositDeduction.invoice.in_(invoice_ids))
            .group_by(DepositDeduction.invoice))
    return {row.invoice_id: int(row.total) for row in rows}


def _approval_dates(invoice_ids):
    rows = (InvoiceEvent.select(InvoiceEvent.invoice, fn.MAX(InvoiceEvent.at).alias("approved_at"))
            .where(InvoiceEvent.invoice.in_(invoice_ids)
                   & InvoiceEvent.to_status.in_(list(APPROVED_STATUSES)))
            .group_by(InvoiceEvent.invoice))
    # SQLite hands an aggregate back as text, PostgreSQL as a datetime: both start with AAAA-MM-JJ.
    return {row.invoice_id: datetime.date.fromisoformat(str(row.approved_at)[:10]) for row in rows}


def suppliers_in(period, shop_ids):
    """(id, name) of the suppliers the period's entries name: their auxiliary accounts are needed."""
    invoiced = booked_invoices(period, shop_ids).select(Invoice.supplier).order_by().tuples()
    paid = period_payments(period, shop_ids).select(Invoice.supplier).order_by().tuples()
    ids = {supplier_id for supplier_id, in invoiced} | {supplier_id for supplier_id, in paid}
    return [(s.id, s.name) for s in Supplier.select(Supplier.id, Supplier.name).where(Supplier.id.in_(list(ids)))]


# What an entry reads of an invoice or a payment, as tuples turned into light objects with the same
# attribute names as the models (invoice_entry, payment_entry and treatments_for read these).
_INVOICE_COLUMNS = (Invoice.id, Invoice.issue_date, Invoice.kind, Invoice.number, Invoice.total_gross,
                    Invoice.total_net, Invoice.total_vat, Invoice.expense_account, Invoice.created_at,
                    Invoice.supplier, Supplier.name, Supplier.country, Supplier.vat_number)
_PAYMENT_COLUMNS = (SupplierPayment.id, SupplierPayment.paid_on, SupplierPayment.amount, SupplierPayment.reference,
                    SupplierPayment.created_at, Invoice.number, Invoice.supplier, Supplier.name)


def _light_invoice(row):
    (invoice_id, issue_date, kind, number, gross, net, vat, expense_account, created_at, supplier_id,
     name, country, vat_number) = row
    return SimpleNamespace(id=invoice_id, issue_date=issue_date, kind=kind, number=number, total_gross=gross,
                           total_net=net, total_vat=vat, expense_account=expense_account, created_at=created_at,
                           supplier_id=supplier_id,
                           supplier=SimpleNamespace(name=name, country=country, vat_number=vat_number))


def _light_payment(row):
    payment_id, paid_on, amount, reference, created_at, number, supplier_id, name = row
    invoice = SimpleNamespace(number=number, supplier_id=supplier_id, supplier=SimpleNamespace(name=name))
    return SimpleNamespace(id=payment_id, paid_on=paid_on, amount=amount, reference=reference,
                           created_at=created_at, invoice=invoice)


def period_entries(period, shop_ids, config, codes=None):
    """Every entry of the period: the purchase journal, then the bank journal, each in date order.
    `codes`: {supplier id: auxiliary code}; None leaves the auxiliary accounts empty (summaries)."""
    codes = codes or {}

    def aux(supplier_id):
        return config.suppliers + codes[supplier_id] if supplier_id in codes else ""

    # Read a thousand documents at a time by keyset, as plain tuples (no model instance per row),
    # the VAT lines of a chunk's reverse-charged invoices in one query (issue 14: constant queries
    # per chunk, flat memory).
    def invoices():
        query = booked_invoices(period, shop_ids).order_by().select(*_INVOICE_COLUMNS).tuples()
        for chunk in keyset_chunks(query, [Invoice.issue_date, Invoice.id], key=lambda row: (row[1], row[0])):
            chunk = [_light_invoice(row) for row in chunk]
            treatments = treatments_for(chunk, config.default_vat_rate)
            ids = [invoice.id for invoice in chunk]
            deductions, approved = _deductions(ids), _approval_dates(ids)
            for invoice in chunk:
                yield invoice_entry(
                    invoice, treatments[invoice.id], config, aux(invoice.supplier_id), deductions.get(invoice.id, 0),
                    approved.get(invoice.id) or (invoice.created_at.date() if invoice.created_at else None))

    def payments():
        query = period_payments(period, shop_ids).order_by().select(*_PAYMENT_COLUMNS).tuples()
        for chunk in keyset_chunks(query, [SupplierPayment.paid_on, SupplierPayment.id],
                                   key=lambda row: (row[1], row[0])):
            for row in chunk:
                payment = _light_payment(row)
                yield payment_entry(payment, config, aux(payment.invoice.supplier_id))

    for entry in itertools.chain(invoices(), payments()):
        if entry.lines:  # a document of zero: no entry, and no gap in the numbers
            yield entry


# --- The file ------------------------------------------------------------------------------------------


def fec_rows(entries):
    """The 18 fields of every line; EcritureNum runs 1, 2, 3 … over the whole file."""
    for number, entry in enumerate(entries, start=1):
        for line in entry.lines:
            yield [_text(entry.journal), _text(entry.journal_label), str(number), fec_date(entry.date),
                   line.account, _text(line.account_label), _text(line.aux), _text(line.aux_label),
                   _text(entry.piece_ref), fec_date(entry.piece_date), _text(entry.label),
                   fec_amount(line.debit), fec_amount(line.credit), "", "", fec_date(entry.valid_date), "", ""]


def fec_chunks(entries, encoding="utf-8"):
    """The file as encoded lines, to stream: the header, then one line per entry line."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding!r}")

    def encoded(fields):
        text = "\t".join(fields) + "\r\n"
        if encoding == "iso-8859-15":
            return text.translate(_LATIN9).encode(encoding, errors="replace")
        return text.encode(encoding)

    yield encoded(FEC_COLUMNS)
    for row in fec_rows(entries):
        yield encoded(row)


# --- What the export page shows -------------------------------------------------------------------------


@dataclass
class ExportSummary:
    entries: int = 0
    lines: int = 0
    debit: int = 0
    credit: int = 0
    by_kind: dict = field(default_factory=dict)  # kind -> [count, amount]
    reverse_charge_count: int = 0
    reverse_charge_vat: int = 0
    pending: int = 0  # invoices of the period not approved yet, hence not booked
    other_currencies: list = field(default_factory=list)  # booked-status invoices left out (not in euros)

    @property
    def balanced(self):
        return self.debit == self.credit


def _add_entry(summary, entry):
    summary.entries += 1
    summary.lines += len(entry.lines)
    summary.debit += entry.debit
    summary.credit += entry.credit
    count_amount = summary.by_kind.setdefault(entry.kind, [0, 0])
    count_amount[0] += 1
    count_amount[1] += entry.amount
    if entry.reverse_charge_vat:
        summary.reverse_charge_count += 1
        summary.reverse_charge_vat += entry.reverse_charge_vat


def _add_kind(summary, kind, count, amount):
    if count:
        count_amount = summary.by_kind.setdefault(kind, [0, 0])
        count_amount[0] += count
        count_amount[1] += amount


def _pending_and_foreign(summary, period, shop_ids):
    dated = Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
    summary.pending = Invoice.select().where(dated & Invoice.status.not_in(list(BOOKED_STATUSES))).count()
    summary.other_currencies = list(
        Invoice.select(Invoice, Supplier).join(Supplier)
        .where(dated & Invoice.status.in_(list(BOOKED_STATUSES)) & (Invoice.currency != FEC_CURRENCY))
        .order_by(Invoice.issue_date, Invoice.id))


def summarise_by_entries(period, shop_ids, config):
    """The summary from every entry of the period (what the file holds): the reference summarise()
    is checked against."""
    summary = ExportSummary()
    for entry in period_entries(period, shop_ids, config):
        _add_entry(summary, entry)
    _pending_and_foreign(summary, period, shop_ids)
    return summary


def _nonzero(value):
    return Case(None, [(value != 0, 1)], 0)


def _positive(value):
    return Case(None, [(value > 0, value)], 0)


def _negative(value):
    return Case(None, [(value < 0, 0 - value)], 0)


def _invoice_aggregates(deducted_total):
    """What the entries of a group of invoices add up to, for both ways of booking the VAT
    (deductible for a French supplier, part of the cost otherwise): the same arithmetic as
    invoice_entry() and _line(), done by the database. `deducted_total`: the deposits deducted from
    the invoice (a column of the joined sums)."""
    gross, vat = Invoice.total_gross, Invoice.total_vat
    deducted = Case(None, [(Invoice.kind == "INVOICE", fn.COALESCE(deducted_total, 0))], 0)
    debit_side = {"domestic": (gross - vat, vat), "other": (gross,)}
    credit_side = (deducted, gross - deducted)
    columns = [Invoice.kind, fn.SUM(gross).alias("amount"),
               fn.SUM(Case(None, [((gross != 0) | (vat != 0) | (deducted != 0), 1)], 0)).alias("entries_domestic"),
               fn.SUM(Case(None, [((gross != 0) | (deducted != 0), 1)], 0)).alias("entries_other"),
               fn.SUM(_nonzero(gross)).alias("deposit_entries"), fn.SUM(fn.ABS(gross)).alias("deposit_debit")]
    for way, debits in debit_side.items():
        lines = sum((_nonzero(value) for value in (*debits, *credit_side)), start=0)
        columns.append(fn.SUM(lines).alias(f"lines_{way}"))
        columns.append(fn.SUM(sum((_positive(v) for v in debits), start=0)
                              + sum((_negative(v) for v in credit_side), start=0)).alias(f"debit_{way}"))
        columns.append(fn.SUM(sum((_positive(v) for v in credit_side), start=0)
                              + sum((_negative(v) for v in debits), start=0)).alias(f"credit_note_debit_{way}"))
    return columns


def _add_reverse_charged(summary, period, shop_ids, reverse, config):
    """The reverse-charged invoices' entries, whose self-assessed VAT is rounded rate by rate: their
    line bases summed by rate in one query (a row per invoice and rate, in id order), the VAT
    breakdown of the few whose lines do not add up in a second one; each entry then booked exactly as
    invoice_entry() does, from those sums (issue 14: two queries whatever the number of invoices)."""
    from models import InvoiceLine, InvoiceVat

    deducted = (DepositDeduction.select(fn.SUM(DepositDeduction.amount))
                .where(DepositDeduction.invoice == Invoice.id))
    rows = (Invoice.select(Invoice.id, Invoice.kind, Invoice.total_gross, Invoice.total_net, Invoice.total_vat,
                           Supplier.country, Supplier.vat_number, deducted.alias("deducted"),
                           InvoiceLine.vat_rate.alias("rate"), fn.SUM(InvoiceLine.net_amount).alias("base"))
            .join(Supplier).switch(Invoice)
            .join(InvoiceLine, JOIN.LEFT_OUTER, on=(InvoiceLine.invoice == Invoice.id))
            .where(_in_scope(shop_ids) & Invoice.issue_date.between(period.start, period.end)
                   & Invoice.status.in_(list(BOOKED_STATUSES)) & Invoice.supplier.in_(sorted(set(reverse))))
            .group_by(Invoice.id, Supplier.id, InvoiceLine.vat_rate)
            .order_by(Invoice.id).tuples())
    uneven = {}

    def book(head, lines):
        invoice = Invoice(id=head[0], kind=head[1], total_gross=head[2], total_net=head[3], total_vat=head[4],
                          number="", supplier=Supplier(name="", country=head[5], vat_number=head[6]))
        if sum(base for base, _ in lines) != invoice.total_net:
            uneven[invoice.id] = (invoice, int(head[7] or 0))
            return
        _add_reverse_entry(summary, invoice, lines, int(head[7] or 0), config)

    head, lines = None, []
    for row in rows.iterator():
        if head is not None and row[0] != head[0]:
            book(head, lines)
            lines = []
        head = row
        if row[8] is not None:
            lines.append((int(row[9] or 0), row[8]))
    if head is not None:
        book(head, lines)
    if uneven:
        breakdown = {}
        for invoice_id, rate, base in (InvoiceVat.select(InvoiceVat.invoice, InvoiceVat.rate, fn.SUM(InvoiceVat.base))
                                       .where(InvoiceVat.invoice.in_(list(uneven)))
                                       .group_by(InvoiceVat.invoice, InvoiceVat.rate).tuples()):
            breakdown.setdefault(invoice_id, []).append((int(base or 0), rate))
        for invoice_id, (invoice, deducted) in uneven.items():
            bases = breakdown.get(invoice_id, [])
            if sum(base for base, _ in bases) != invoice.total_net:
                bases = [(invoice.total_net, 0)]
            _add_reverse_entry(summary, invoice, bases, deducted, config)


def _add_reverse_entry(summary, invoice, bases, deducted, config):
    supplier = invoice.supplier
    treatment = vat_treatment(supplier.country, supplier.vat_number, bases, invoice.total_vat,
                              config.default_vat_rate)
    entry = invoice_entry(invoice, treatment, config, "", deducted)
    if entry.lines:
        _add_entry(summary, entry)


def summarise(period, shop_ids, config):
    """Counts and totals of the period's entries from aggregate queries (issue 14), equal to
    summarise_by_entries(): invoices grouped by supplier and kind, payments in one sum; only the
    reverse-charged invoices (whose self-assessed VAT is rounded rate by rate) are booked one by one,
    a thousand at a time."""
    summary = ExportSummary()
    booked = booked_invoices(period, shop_ids)
    # Reverse charge needs a VAT number that passes its check: decided here for the few foreign
    # suppliers with one (the check is cached), so that the database groups the others by regime.
    reverse = [supplier_id for supplier_id, country, vat_number in
               Supplier.select(Supplier.id, Supplier.country, Supplier.vat_number)
               .where(Supplier.country.not_in(sorted(HOME_COUNTRIES)) & (Supplier.vat_number != "")).tuples()
               if regime_for(country, vat_number) == VatRegime.REVERSE_CHARGE]
    deductions = (DepositDeduction.select(DepositDeduction.invoice.alias("invoice_id"),
                                          fn.SUM(DepositDeduction.amount).alias("total"))
                  .group_by(DepositDeduction.invoice).alias("deductions"))
    country = fn.UPPER(fn.TRIM(fn.COALESCE(Supplier.country, "")))
    domestic = Case(None, [(country.in_(sorted(HOME_COUNTRIES | {""})), 1)], 0)
    grouped = (Invoice.select(domestic.alias("domestic"), *_invoice_aggregates(deductions.c.total))
               .join(Supplier).switch(Invoice)
               .join(deductions, JOIN.LEFT_OUTER, on=(deductions.c.invoice_id == Invoice.id))
               .where(_in_scope(shop_ids) & Invoice.issue_date.between(period.start, period.end)
                      & Invoice.status.in_(list(BOOKED_STATUSES)) & Invoice.supplier.not_in(reverse or [0]))
               .group_by(domestic, Invoice.kind).dicts())
    for row in grouped:
        way = "domestic" if row["domestic"] else "other"
        if row["kind"] == "DEPOSIT":
            entries, lines, debit = row["deposit_entries"], 2 * int(row["deposit_entries"] or 0), row["deposit_debit"]
        else:
            entries, lines = row[f"entries_{way}"], row[f"lines_{way}"]
            debit = row[f"debit_{way}"] if row["kind"] != "CREDIT_NOTE" else row[f"credit_note_debit_{way}"]
        entries, lines, debit = int(entries or 0), int(lines or 0), int(debit or 0)
        summary.entries += entries
        summary.lines += lines
        summary.debit += debit
        summary.credit += debit  # every entry is balanced (invoice_entry refuses otherwise)
        _add_kind(summary, row["kind"], entries, int(row["amount"] or 0))
    if reverse:
        _add_reverse_charged(summary, period, shop_ids, reverse, config)
    count, amount, debit = (SupplierPayment.select(fn.SUM(_nonzero(SupplierPayment.amount)),
                                                   fn.SUM(SupplierPayment.amount), fn.SUM(fn.ABS(SupplierPayment.amount)))
                            .join(Invoice).where(_in_scope(shop_ids)
                                                 & SupplierPayment.paid_on.between(period.start, period.end))
                            .tuples().get())
    count, debit = int(count or 0), int(debit or 0)
    summary.entries += count
    summary.lines += 2 * count
    summary.debit += debit
    summary.credit += debit
    _add_kind(summary, "PAYMENT", count, int(amount or 0))
    _pending_and_foreign(summary, period, shop_ids)
    return summary


def csv_stream(header, rows):
    """A plain CSV for a spreadsheet: « ; » separated, quoted when needed, UTF-8 with the byte-order
    mark French spreadsheets need to read accents; encoded row by row, to stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def encoded(fields):
        writer.writerow(spreadsheet_safe_row(fields))
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    yield "\ufeff".encode("utf-8") + encoded(header)
    for row in rows:
        yield encoded(row)


def csv_chunks(entries):
    """The FEC's lines as a plain CSV (same columns and values, for a spreadsheet)."""
    return csv_stream(FEC_COLUMNS, fec_rows(entries))
