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
import itertools
from dataclasses import dataclass, field

from peewee import fn

from models import DepositDeduction, Invoice, InvoiceEvent, Supplier, SupplierPayment
from portal.accounting.vat import VatRegime, invoice_vat_treatment
from portal.invoices.lifecycle import InvoiceStatus
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


def fec_amount(minor, currency=FEC_CURRENCY):
    """12345 -> « 123,45 »; 0 -> « 0,00 »: from the integer, never through a float (MONEY-1)."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(int(minor)), 10**digits)
    return f"{sign}{whole},{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def fec_date(value):
    return value.strftime("%Y%m%d") if value else ""


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


def _booked_ids(period, shop_ids):
    return booked_invoices(period, shop_ids).select(Invoice.id).order_by()


def _deductions(period, shop_ids):
    rows = (DepositDeduction.select(DepositDeduction.invoice, fn.SUM(DepositDeduction.amount).alias("total"))
            .where(DepositDeduction.invoice.in_(_booked_ids(period, shop_ids)))
            .group_by(DepositDeduction.invoice))
    return {row.invoice_id: int(row.total) for row in rows}


def _approval_dates(period, shop_ids):
    rows = (InvoiceEvent.select(InvoiceEvent.invoice, fn.MAX(InvoiceEvent.at).alias("approved_at"))
            .where(InvoiceEvent.invoice.in_(_booked_ids(period, shop_ids))
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


def period_entries(period, shop_ids, config, codes=None):
    """Every entry of the period: the purchase journal, then the bank journal, each in date order.
    `codes`: {supplier id: auxiliary code}; None leaves the auxiliary accounts empty (summaries)."""
    codes = codes or {}
    deductions = _deductions(period, shop_ids)
    approved = _approval_dates(period, shop_ids)

    def aux(supplier_id):
        return config.suppliers + codes[supplier_id] if supplier_id in codes else ""

    def invoices():
        for invoice in booked_invoices(period, shop_ids).iterator():
            treatment = invoice_vat_treatment(invoice, config.default_vat_rate)
            yield invoice_entry(
                invoice, treatment, config, aux(invoice.supplier_id), deductions.get(invoice.id, 0),
                approved.get(invoice.id) or (invoice.created_at.date() if invoice.created_at else None))

    def payments():
        for payment in period_payments(period, shop_ids).iterator():
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


def summarise(period, shop_ids, config):
    summary = ExportSummary()
    for entry in period_entries(period, shop_ids, config):
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
    dated = Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
    summary.pending = Invoice.select().where(dated & Invoice.status.not_in(list(BOOKED_STATUSES))).count()
    summary.other_currencies = list(
        Invoice.select(Invoice, Supplier).join(Supplier)
        .where(dated & Invoice.status.in_(list(BOOKED_STATUSES)) & (Invoice.currency != FEC_CURRENCY))
        .order_by(Invoice.issue_date, Invoice.id))
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
