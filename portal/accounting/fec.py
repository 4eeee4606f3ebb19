"""The French FEC (Fichier des écritures comptables, article A47 A-1 du livre des procédures fiscales)
of a period (ACC-1..5): supplier invoices, credit notes, deposits and their deduction in journal AC,
supplier payments in journal BQ, card sales (remittances, bank credits net of commission, refunds,
unpaids) in their own journal CB (card.py).

Layout: file `<SIREN>FEC<AAAAMMJJ>.txt` (closing date = end of the period), one header line, the 18
columns below separated by a tab, lines ended by CR LF, dates AAAAMMJJ, amounts with a decimal comma
and no thousands separator (« 1234,56 », « 0,00 »), every entry balanced. Encoded in ISO 8859-15 by
default (the encoding the BOI-CF-IOR-60-40-20 names), UTF-8 on request.

Entries of a closed period are the stored, validated ones (ledger.py): their number and content never
change. Entries of an open period are provisional, built here from the documents: journal by
journal, in date order within each, numbered after the last validated number of the fiscal year.

Foreign currency: an invoice in another currency is booked in euros at its exchange rate (entered by
the accountant on the invoice's VAT panel: InvoiceBooking.exchange_rate, euros for one unit, the rate
named in the entry label), each line from a foreign amount carrying Montantdevise and Idevise. Its
payments are converted at the same rate (exchange differences are left to the accountant). Without a
rate the invoice is left out and listed on the export page.

Lettering: the 401 lines of an invoice and of its payments share EcritureLet `F<invoice id>` once the
invoice is fully paid by the end of the file (DateLet = the last payment); the 5115 lines of a card
remittance and of its bank credit share `C<shop>-<day>` once the bank has credited it.

How each document is booked (debit / credit, a credit note swaps the sides):
- invoice of a French supplier: 6xx (TTC − TVA) and 44566 (TVA) / 401 (TTC);
- self-assessed VAT (vat.py: intra-EU goods or services, imports, domestic subcontracting): 6xx (TTC)
  / 401 (TTC), and the regime's deductible / due accounts of the VAT at each line's French rate;
- foreign supplier without self-assessment: 6xx (TTC, the foreign VAT is not deductible) / 401;
- deposit invoice: 4091 / 401 (TTC). Its VAT is deducted with the balance invoice, which carries
  the total price and VAT, then deducts the deposit: 6xx + 44566 / 4091 (deduction) + 401 (the rest);
- supplier payment: 401 / 512.
Only approved or paid invoices are booked (not received, in hand, disputed, suspended or refused)."""
import codecs
import csv
import datetime
import functools
import io
import itertools
import json
from dataclasses import dataclass, field

from peewee import JOIN, fn

from models import (Invoice, InvoiceBooking, InvoiceEvent, InvoiceLine, InvoiceVat, PurchaseLine,
                    Supplier, SupplierPayment)
from portal.accounting.streaming import Follower, as_date, as_datetime, stream_raw
from portal.accounting.vat import (HOME_COUNTRIES, REVERSE_CHARGE_CATEGORY, VatRegime, VatTreatment, bases_of,
                                   line_rates, nature_of, supplier_zone, vat_treatment)
from portal.exports import FORMULA_STARTS, spreadsheet_safe, spreadsheet_safe_row
from portal.invoices.lifecycle import InvoiceStatus
from portal.money import exponent

FEC_COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
               "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
               "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")
FEC_CURRENCY = "EUR"
BOOKED_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PARTIALLY_APPROVED, InvoiceStatus.PARTIALLY_PAID,
                   InvoiceStatus.PAID)
APPROVED_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PARTIALLY_APPROVED)
DEFAULT_ENCODING = "iso-8859-15"
ENCODINGS = {"iso-8859-15": "ISO-8859-15 (Latin-9)", "utf-8": "UTF-8"}
# The words of the file (French, like the rest of a FEC); the pages translate their own labels.
KIND_LABELS = {"INVOICE": "Facture", "CREDIT_NOTE": "Avoir", "DEPOSIT": "Facture d'acompte", "PAYMENT": "Règlement",
               "REMITTANCE": "Remise carte", "CARD_CREDIT": "Crédit remise carte", "CARD_REFUND": "Remboursement carte",
               "CARD_UNPAID": "Impayé carte", "REVERSAL": "Extourne"}
RATE_SCALE = 10**6  # exchange rates are stored as euros for one unit x 1 000 000
# Characters ISO-8859-15 lacks that French text often holds, written the nearest way it can; any other
# becomes « ? ». An encoding error handler: the common case (every character in Latin-9) costs nothing.
_LATIN9 = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
           "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u203a": ">"}


def _nearest_latin9(error):
    text = error.object[error.start:error.end]
    return "".join(_LATIN9.get(char, "?") for char in text), error.end


codecs.register_error("fec-latin9", _nearest_latin9)


class UnbalancedEntry(AssertionError):
    """An entry whose debits and credits differ: a bug, never written to a file."""


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("the period ends before it starts")


@dataclass(slots=True)
class EntryLine:
    account: str
    account_label: str
    debit: int = 0
    credit: int = 0
    aux: str = ""
    aux_label: str = ""
    foreign: int | None = None  # Montantdevise, in minor units of the entry's currency
    letter_ref: str = ""  # F<invoice id> or C<shop>-<day>: lettered when settled (Lettering)


@dataclass(slots=True)
class Entry:
    journal: str
    journal_label: str
    date: datetime.date
    piece_ref: str
    piece_date: datetime.date
    label: str
    valid_date: datetime.date
    kind: str  # INVOICE, CREDIT_NOTE, DEPOSIT, PAYMENT, REMITTANCE, CARD_CREDIT, CARD_REFUND, CARD_UNPAID
    lines: tuple = field(default=())
    amount: int = 0  # the document's own amount in euros: TTC of an invoice, amount of a payment
    reverse_charge_vat: int = 0
    source: str = ""  # what it books (INV:12, PAY:5, CB:R:3:20250310 …), to find it again once validated
    shop_id: int | None = None
    currency: str = ""  # Idevise of a foreign-currency document
    number: int | None = None  # EcritureNum: stored when validated, counted when provisional
    provisional: bool = True

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


# « 00 » … « 99 »: the cents of an amount, looked up (a format specification per amount costs more).
_TWO_DIGITS = tuple(f"{number:02d}" for number in range(100))


def fec_amount(minor, currency=FEC_CURRENCY):
    """12345 -> « 123,45 »; 0 -> « 0,00 »: from the integer, never through a float (MONEY-1)."""
    if currency == FEC_CURRENCY and minor >= 0:
        return f"{minor // 100},{_TWO_DIGITS[minor % 100]}"
    digits = _exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(int(minor)), 10**digits)
    return f"{sign}{whole},{fraction:0{digits}d}" if digits else f"{sign}{whole}"


@functools.lru_cache(maxsize=4096)
def fec_date(value):
    return value.strftime("%Y%m%d") if value else ""


_UNSAFE_FIRST = frozenset(FORMULA_STARTS) | {" "}


def _text(value):
    """A field never holds the tab that separates fields, nor a line break, nor a formula for the
    spreadsheet the file may be opened in (SEC-3). The usual text (printable: no tab, no line break,
    no other white space than single spaces inside, no formula sign first) is returned as it is."""
    if (type(value) is str and value.isprintable() and value[:1] not in _UNSAFE_FIRST and value[-1:] != " "
            and "  " not in value):
        return value
    return _cleaned(value)


@functools.lru_cache(maxsize=4096)
def _cleaned(value):
    return spreadsheet_safe(" ".join(str(value or "").split()))


def _cents(minor):
    """fec_amount() of euro cents, inlined where a file formats millions of them."""
    if minor > 0:
        return f"{minor // 100},{_TWO_DIGITS[minor % 100]}"
    return "0,00" if minor == 0 else fec_amount(minor)


def to_euros(minor, currency, rate):
    """`minor` units of `currency` in euro cents at `rate` (euros for one unit x RATE_SCALE), rounded
    half away from zero, in integers only."""
    if currency == FEC_CURRENCY:
        return int(minor)
    numerator = abs(int(minor)) * int(rate) * 100
    denominator = RATE_SCALE * 10**_exponent(currency)
    whole, rest = divmod(numerator, denominator)
    whole += 2 * rest >= denominator
    return -whole if minor < 0 else whole


def format_exchange_rate(rate):
    """921500 -> « 0,9215 » (at least 4 decimals, no trailing zeros past them)."""
    whole, fraction = divmod(int(rate), RATE_SCALE)
    digits = f"{fraction:06d}".rstrip("0").ljust(4, "0")
    return f"{whole},{digits}"


def _line(account, label, amount, debit, aux="", aux_label="", foreign=None, letter_ref=""):
    """One line on the debit side (or the credit side), switched over when the amount is negative."""
    if amount < 0:
        amount, debit = -amount, not debit
    return EntryLine(account, label, amount if debit else 0, 0 if debit else amount, aux, aux_label,
                     abs(foreign) if foreign is not None else None, letter_ref)


def _entry(lines, **fields):
    return Entry(lines=_balanced(lines, fields.get("piece_ref")), **fields)


# --- Entries of one document (plain: the rows are read, never written) -----------------------------


def _balanced(lines, piece_ref):
    """The lines of an entry without those of zero, checked balanced (what _entry() keeps)."""
    kept, debit, credit = [], 0, 0
    for line in lines:
        if line.debit or line.credit:
            kept.append(line)
            debit += line.debit
            credit += line.credit
    if debit != credit:
        raise UnbalancedEntry(f"{piece_ref}: debit {debit} != credit {credit}")
    return tuple(kept)


class _Labels(dict):
    """{account: its label} of a chart of accounts, filled as accounts are asked for (a dict lookup,
    where config.label_of() is a method call: an export asks for a label per line)."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def __missing__(self, account):
        label = self[account] = self.config.label_of(account)
        return label


def _labels_of(config):
    labels = config.__dict__.get("_fec_labels")
    if labels is None:
        labels = _Labels(config)
        object.__setattr__(config, "_fec_labels", labels)  # a cache, like label_of()'s own
    return labels


def invoice_entry(invoice, treatment, config, aux="", deducted=0, valid_date=None, rate=None):
    """The purchase-journal entry of an invoice, credit note or deposit invoice. `treatment` is its
    VatTreatment (in euros), `aux` the supplier's auxiliary account, `deducted` the deposits it
    deducts (in the invoice's currency), `rate` its exchange rate when not in euros. Built for a year
    of invoices at a time: no closure, no keyword packing per invoice."""
    supplier = invoice.supplier
    currency = getattr(invoice, "currency", FEC_CURRENCY) or FEC_CURRENCY
    foreign = currency != FEC_CURRENCY
    kind, total_gross = invoice.kind, invoice.total_gross
    label_of = _labels_of(config).__getitem__
    debit = kind != "CREDIT_NOTE"
    gross = to_euros(total_gross, currency, rate) if foreign else total_gross
    deducted = deducted if kind == "INVOICE" else 0
    lines = []
    if kind == "DEPOSIT":
        lines.append(_line(config.deposits, label_of(config.deposits), gross, debit,
                           foreign=total_gross if foreign else None))
    else:
        expense = config.expense_account_of(invoice.expense_account)
        domestic = treatment.regime == VatRegime.DOMESTIC
        deductible = treatment.vat_deductible if domestic else 0
        # The expense takes what is not deductible: TTC minus French VAT, the whole TTC otherwise.
        lines.append(_line(expense, label_of(expense), gross - deductible, debit,
                           foreign=(total_gross - (invoice.total_vat if domestic else 0)) if foreign else None))
        if deductible:  # a line of zero is left out of the entry (_entry): not built at all
            lines.append(_line(config.vat_deductible, label_of(config.vat_deductible), deductible, debit,
                               foreign=(invoice.total_vat if domestic else None) if foreign else None))
        if treatment.reverse_charge:
            due_role, deductible_role = treatment.account_roles
            due, deductible_account = getattr(config, due_role), getattr(config, deductible_role)
            lines.append(_line(deductible_account, label_of(deductible_account), treatment.vat_deductible,
                               debit))
            lines.append(_line(due, label_of(due), treatment.vat_due, not debit))
        if deducted:
            lines.append(_line(config.deposits, label_of(config.deposits),
                               to_euros(deducted, currency, rate) if foreign else deducted, not debit,
                               foreign=deducted if foreign else None))
    suppliers = config.suppliers
    lines.append(_line(suppliers, label_of(suppliers),
                       gross - (to_euros(deducted, currency, rate) if foreign else deducted), not debit,
                       aux, supplier.name, foreign=(total_gross - deducted) if foreign else None,
                       letter_ref=f"F{invoice.id}" if debit else ""))
    label = f"{KIND_LABELS[kind]} {invoice.number} {supplier.name}"
    if kind != "DEPOSIT" and treatment.reverse_charge:
        label += f" ({treatment.mention})"
    if foreign:
        label += f" ({currency} 1 = {format_exchange_rate(rate)} EUR)"
    return Entry(config.purchases_journal, config.purchases_journal_label, invoice.issue_date, invoice.number,
                 invoice.issue_date, label, valid_date or invoice.issue_date, kind, _balanced(lines, invoice.number),
                 gross, treatment.vat_due if kind != "DEPOSIT" else 0, f"INV:{invoice.id}",
                 getattr(invoice, "shop_id", None), currency if foreign else "")


def payment_entry(payment, config, aux="", rate=None):
    """The bank-journal entry of a supplier payment: 401 (the supplier) / 512."""
    invoice = payment.invoice
    currency = getattr(invoice, "currency", FEC_CURRENCY) or FEC_CURRENCY
    foreign = currency != FEC_CURRENCY
    amount = to_euros(payment.amount, currency, rate) if foreign else payment.amount
    devise = payment.amount if foreign else None
    # What the bank actually debited, when it is known: the supplier is settled at the invoice's rate,
    # the bank at what it took, the difference is an exchange loss (656) or gain (756).
    debited = getattr(payment, "debited_eur", None)
    debited = amount if debited is None or not foreign else int(debited)
    label_of = _labels_of(config).__getitem__
    invoice_id = getattr(invoice, "id", None)
    name = invoice.supplier.name
    lines = [_line(config.suppliers, label_of(config.suppliers), amount, True, aux, name,
                   foreign=devise, letter_ref=f"F{invoice_id}" if invoice_id else ""),
             _line(config.bank, label_of(config.bank), debited, False, foreign=devise)]
    if debited > amount:
        lines.append(_line(config.exchange_loss, label_of(config.exchange_loss), debited - amount, True))
    elif debited < amount:
        lines.append(_line(config.exchange_gain, label_of(config.exchange_gain), amount - debited, False))
    paid_on = payment.paid_on
    created = payment.created_at.date() if payment.created_at else paid_on
    label = f"Règlement facture {invoice.number} {name}"
    if foreign:
        label += f" ({currency} 1 = {format_exchange_rate(rate)} EUR)"
    piece_ref = payment.reference or invoice.number
    return Entry(config.bank_journal, config.bank_journal_label, paid_on, piece_ref, paid_on, label,
                 max(created, paid_on), "PAYMENT", _balanced(lines, piece_ref), amount, 0, f"PAY:{payment.id}",
                 getattr(invoice, "shop_id", None), currency if foreign else "")


# --- What a period holds ------------------------------------------------------------------------------


def _in_euros_or_rated():
    """Documents in euros, or in another currency with the rate the accountant entered."""
    return (Invoice.currency == FEC_CURRENCY) | InvoiceBooking.exchange_rate.is_null(False)


def booked_invoices(period, shop_ids):
    return (Invoice.select(Invoice, Supplier).join(Supplier).switch(Invoice)
            .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
            .where(Invoice.shop.in_(list(shop_ids)) & _in_euros_or_rated()
                   & Invoice.issue_date.between(period.start, period.end)
                   & Invoice.status.in_(list(BOOKED_STATUSES)))
            .order_by(Invoice.issue_date, Invoice.id))


def period_payments(period, shop_ids):
    return (SupplierPayment.select(SupplierPayment, Invoice, Supplier)
            .join(Invoice).join(Supplier).switch(Invoice)
            .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
            .where(Invoice.shop.in_(list(shop_ids)) & _in_euros_or_rated()
                   & SupplierPayment.paid_on.between(period.start, period.end))
            .order_by(SupplierPayment.paid_on, SupplierPayment.id))


def suppliers_in(period, shop_ids):
    """(id, name) of the suppliers the period's entries name: their auxiliary accounts are needed."""
    invoiced = booked_invoices(period, shop_ids).select(Invoice.supplier).order_by().distinct().tuples()
    paid = period_payments(period, shop_ids).select(Invoice.supplier).order_by().distinct().tuples()
    ids = {supplier_id for supplier_id, in invoiced} | {supplier_id for supplier_id, in paid}
    return [(s.id, s.name) for s in Supplier.select(Supplier.id, Supplier.name).where(Supplier.id.in_(list(ids)))]


class _Row:
    """An invoice row of the stream, with the attribute names invoice_entry() reads."""

    __slots__ = ("id", "issue_date", "kind", "number", "total_gross", "total_net", "total_vat", "expense_account",
                 "created_at", "currency", "supplier_id", "shop_id", "supplier", "deducted", "approved_at",
                 "marked_ae", "rate", "nature", "choice", "chosen_rates")


class _Supplier:
    __slots__ = ("name", "country", "vat_number")

    def __init__(self, name, country, vat_number):
        self.name, self.country, self.vat_number = name, country, vat_number


def _as_date(value):
    """SQLite hands an aggregate back as text, PostgreSQL as a datetime: both start with AAAA-MM-JJ."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return _date_of_text(str(value)[:10])


@functools.lru_cache(maxsize=4096)
def _date_of_text(text):
    return datetime.date.fromisoformat(text)


def _self_assessable():
    """Invoices whose VAT may be self-assessed, hence whose lines are read: a foreign supplier, a VAT
    category AE, or the accountant's domestic reverse charge."""
    country = fn.UPPER(fn.COALESCE(Supplier.country, ""))
    marked = InvoiceVat.select(InvoiceVat.invoice).where(fn.UPPER(InvoiceVat.category) == REVERSE_CHARGE_CATEGORY)
    chosen = InvoiceBooking.select(InvoiceBooking.invoice).where(InvoiceBooking.reverse_charge == "DOMESTIC")
    return country.not_in(sorted(HOME_COUNTRIES | {""})) | Invoice.id.in_(marked) | Invoice.id.in_(chosen)


def _invoice_rows(period, shop_ids, where=None):
    """invoice_stream()'s rows as the driver gives them: (values, issue date, line rows, VAT rows). The
    deposits deducted are the stored invoice.deducted_total (migration 0017: the sum of the invoice's
    deductions, kept by triggers), not a sum per invoice."""
    scope = (Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
             & Invoice.status.in_(list(BOOKED_STATUSES)) & _in_euros_or_rated())
    if where is not None:
        scope &= where
    approved = (InvoiceEvent.select(fn.MAX(InvoiceEvent.at))
                .where((InvoiceEvent.invoice == Invoice.id) & InvoiceEvent.to_status.in_(list(APPROVED_STATUSES))))
    marked = (InvoiceVat.select(fn.COUNT(InvoiceVat.id))
              .where((InvoiceVat.invoice == Invoice.id) & (fn.UPPER(InvoiceVat.category) == REVERSE_CHARGE_CATEGORY)))
    invoices = (Invoice.select(Invoice.id, Invoice.issue_date, Invoice.kind, Invoice.number, Invoice.total_gross,
                               Invoice.total_net, Invoice.total_vat, Invoice.expense_account, Invoice.created_at,
                               Invoice.currency, Invoice.supplier, Invoice.shop, Supplier.name, Supplier.country,
                               Supplier.vat_number, Invoice.deducted_total, approved.alias("approved_at"),
                               marked.alias("marked"), InvoiceBooking.exchange_rate, InvoiceBooking.nature,
                               InvoiceBooking.reverse_charge, InvoiceBooking.line_rates)
                .join(Supplier).switch(Invoice)
                .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
                .where(scope).order_by(Invoice.issue_date, Invoice.id))
    lines = (InvoiceLine.select(Invoice.issue_date, Invoice.id, InvoiceLine.id, InvoiceLine.net_amount,
                                InvoiceLine.vat_rate, PurchaseLine.vat_rate)
             .join(Invoice).join(Supplier).switch(Invoice)
             .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
             .switch(InvoiceLine).join(PurchaseLine, JOIN.LEFT_OUTER, on=(InvoiceLine.order_line == PurchaseLine.id))
             .where(scope & _self_assessable()).order_by(Invoice.issue_date, Invoice.id, InvoiceLine.id))
    breakdown = (InvoiceVat.select(Invoice.issue_date, Invoice.id, InvoiceVat.base, InvoiceVat.rate)
                 .join(Invoice).join(Supplier).switch(Invoice)
                 .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
                 .where(scope & _self_assessable()).order_by(Invoice.issue_date, Invoice.id, InvoiceVat.id))
    key = lambda row: (row[0], row[1])  # noqa: E731
    line_rows = Follower(stream_raw(lines, dates=(0,)), key)
    vat_rows = Follower(stream_raw(breakdown, dates=(0,)), key)
    for values in stream_raw(invoices):
        issue_date = as_date(values[1])
        key_of_row = (issue_date, values[0])
        yield values, issue_date, line_rows.take(key_of_row), vat_rows.take(key_of_row)


def invoice_stream(period, shop_ids, where=None):
    """The period's booked invoices in (issue date, id) order, each with its deductions, approval date,
    booking choices and, for those whose VAT may be self-assessed, its lines and VAT breakdown: three
    streamed queries whatever the number of invoices (issue 12, item 8)."""
    suppliers = {}  # the same few hundred suppliers name every invoice: one object each
    for values, issue_date, lines, breakdown in _invoice_rows(period, shop_ids, where):
        yield _row_of(values, issue_date, suppliers), [r[2:] for r in lines], [r[2:] for r in breakdown]


def _row_of(values, issue_date, suppliers):
    """The _Row of an invoice of _invoice_rows()."""
    row = _Row()
    (row.id, _, row.kind, row.number, total_gross, total_net, total_vat,
     row.expense_account, created_at, row.currency, row.supplier_id, row.shop_id, name, country, vat_number,
     deducted_total, approved_at, marked_count, row.rate, nature, choice, chosen) = values
    row.issue_date = issue_date
    row.created_at = as_datetime(created_at)
    supplier = suppliers.get((name, country, vat_number))
    if supplier is None:
        if len(suppliers) > 10_000:
            suppliers.clear()
        supplier = suppliers[(name, country, vat_number)] = _Supplier(name, country, vat_number)
    row.supplier = supplier
    row.deducted = int(deducted_total or 0)
    row.total_gross, row.total_net, row.total_vat = int(total_gross), int(total_net), int(total_vat)
    row.approved_at = _as_date(approved_at)
    row.marked_ae = bool(marked_count)
    row.nature, row.choice = nature or "", choice or ""
    row.chosen_rates = {int(k): v for k, v in json.loads(chosen).items()} if chosen else {}
    return row


def treatment_of(row, lines, breakdown, config):
    """The VatTreatment of a streamed invoice, in euros (bases converted at its rate)."""
    currency = row.currency or FEC_CURRENCY
    rate = row.rate

    def euros(amount):
        return to_euros(amount, currency, rate) if currency != FEC_CURRENCY else amount

    nature = nature_of(config.expense_account_of(row.expense_account), row.nature)
    domestic_reverse_charge = row.choice == "DOMESTIC" or (row.marked_ae and row.choice != "NONE")
    supplier = row.supplier
    if not domestic_reverse_charge and supplier_zone(supplier.country, supplier.vat_number) == "HOME":
        # What vat_treatment() answers for a French supplier without self-assessment (most invoices),
        # without working out the bases it would not use.
        return VatTreatment(VatRegime.DOMESTIC, vat_deductible=int(euros(row.total_vat) or 0), nature=nature)
    bases = bases_of(row.total_net, line_rates(lines, row.chosen_rates), list(breakdown))
    return vat_treatment(supplier.country, supplier.vat_number, [(euros(b), r) for b, r in bases],
                         euros(row.total_vat), config.default_vat_rate, nature,
                         domestic_reverse_charge=domestic_reverse_charge, self_assess=row.choice != "NONE")


def supplier_invoice_entries(period, shop_ids, config, codes=None, where=None):
    codes = codes or {}
    domestic = _DomesticEntries(config, codes).entry
    suppliers = {}
    for values, issue_date, lines, breakdown in _invoice_rows(period, shop_ids, where):
        entry = domestic(values, issue_date)
        if entry is None:
            row = _row_of(values, issue_date, suppliers)
            aux = config.suppliers + codes[row.supplier_id] if row.supplier_id in codes else ""
            entry = invoice_entry(row, treatment_of(row, [r[2:] for r in lines], [r[2:] for r in breakdown], config),
                                  config, aux, row.deducted,
                                  row.approved_at or (row.created_at.date() if row.created_at else None), row.rate)
        if entry.lines:  # a document of zero: no entry, and no gap in the numbers
            yield entry


class _DomesticEntries:
    """invoice_entry() of the usual invoice, written out: in euros, from a French supplier, without
    self-assessment, every amount positive — what treatment_of() and invoice_entry() give it (a
    DOMESTIC treatment deducting its VAT: 6xx + 44566 / 4091 + 401), without the VatTreatment, the
    sign checks of _line() and the balance check of _balanced() (positive parts of one total: the
    entry balances). entry() answers None for any other invoice, booked by invoice_entry()."""

    def __init__(self, config, codes):
        labels = _labels_of(config)
        self.config, self.codes = config, codes
        self.journal, self.journal_label = config.purchases_journal, config.purchases_journal_label
        self.deposits = (config.deposits, labels[config.deposits])
        self.vat = (config.vat_deductible, labels[config.vat_deductible])
        self.suppliers = (config.suppliers, labels[config.suppliers])
        self.labels = labels
        self.expenses = {}  # the invoice's expense account ("" = the default) -> (account, label)

    def entry(self, values, issue_date):
        """The entry of an invoice of _invoice_rows() (its values as the driver gives them), or None."""
        (invoice_id, _, kind, number, gross, _, vat, expense_account, created_at, currency, supplier_id, shop_id,
         name, country, vat_number, deducted, approved_at, marked, _, _, choice, _) = values
        if (currency != FEC_CURRENCY and currency) or kind not in _DOMESTIC_KINDS:
            return None
        if choice == "DOMESTIC" or (marked and choice != "NONE"):
            return None
        if supplier_zone(country, vat_number) != "HOME":
            return None
        gross, vat = int(gross), int(vat)
        deducted = int(deducted or 0) if kind == "INVOICE" else 0
        if vat < 0 or deducted < 0 or gross < vat or gross < deducted:
            return None
        debit = kind != "CREDIT_NOTE"
        lines = []
        if kind == "DEPOSIT":
            if gross:
                account, label = self.deposits
                lines.append(EntryLine(account, label, gross, 0) if debit else EntryLine(account, label, 0, gross))
        else:
            expense = self.expenses.get(expense_account)
            if expense is None:
                account = self.config.expense_account_of(expense_account)
                expense = self.expenses[expense_account] = (account, self.labels[account])
            for (account, label), amount in ((expense, gross - vat), (self.vat, vat)):
                if amount:
                    lines.append(EntryLine(account, label, amount, 0) if debit
                                 else EntryLine(account, label, 0, amount))
            if deducted:
                account, label = self.deposits
                lines.append(EntryLine(account, label, 0, deducted))
        owed = gross - deducted
        if owed:
            account, label = self.suppliers
            aux = account + self.codes[supplier_id] if supplier_id in self.codes else ""
            lines.append(EntryLine(account, label, 0, owed, aux, name, None, f"F{invoice_id}") if debit
                         else EntryLine(account, label, owed, 0, aux, name))
        valid_date = _as_date(approved_at) or (as_datetime(created_at).date() if created_at else None)
        return Entry(self.journal, self.journal_label, issue_date, number, issue_date,
                     f"{KIND_LABELS[kind]} {number} {name}", valid_date or issue_date, kind, tuple(lines),
                     gross, 0, f"INV:{invoice_id}", shop_id, "")


_DOMESTIC_KINDS = frozenset(("INVOICE", "CREDIT_NOTE", "DEPOSIT"))


class _Payment:
    __slots__ = ("id", "paid_on", "amount", "reference", "created_at", "invoice", "debited_eur")


class _PaidInvoice:
    __slots__ = ("id", "number", "supplier_id", "supplier", "currency", "shop_id")


def supplier_payment_entries(period, shop_ids, config, codes=None, where=None):
    codes = codes or {}
    payments = period_payments(period, shop_ids)
    if where is not None:
        payments = payments.where(where)
    query = (payments.select(
        SupplierPayment.id, SupplierPayment.paid_on, SupplierPayment.amount, SupplierPayment.reference,
        SupplierPayment.created_at, Invoice.id, Invoice.number, Invoice.supplier, Invoice.currency, Invoice.shop,
        Supplier.name, InvoiceBooking.exchange_rate, SupplierPayment.debited_eur))
    suppliers = {}
    label_of = _labels_of(config).__getitem__
    journal, journal_label = config.bank_journal, config.bank_journal_label
    payable, payable_label = config.suppliers, label_of(config.suppliers)
    bank, bank_label = config.bank, label_of(config.bank)
    for values in stream_raw(query):
        (payment_id, paid_on, amount, reference, created_at, invoice_id, number, supplier_id, currency, shop_id,
         name, rate, _) = values
        amount = int(amount)
        if amount > 0 and (currency == FEC_CURRENCY or not currency) and invoice_id:
            # payment_entry() of a payment in euros, written out: 401 (the supplier) / 512.
            paid_on = as_date(paid_on)
            created = as_datetime(created_at).date() if created_at else paid_on
            aux = payable + codes[supplier_id] if supplier_id in codes else ""
            piece_ref = reference or number
            yield Entry(journal, journal_label, paid_on, piece_ref, paid_on, f"Règlement facture {number} {name}",
                        max(created, paid_on), "PAYMENT",
                        (EntryLine(payable, payable_label, amount, 0, aux, name, None, f"F{invoice_id}"),
                         EntryLine(bank, bank_label, 0, amount)),
                        amount, 0, f"PAY:{payment_id}", shop_id, "")
            continue
        payment, invoice = _Payment(), _PaidInvoice()
        (payment.id, paid_on, payment.amount, payment.reference, created_at, invoice.id,
         invoice.number, invoice.supplier_id, invoice.currency, invoice.shop_id, name, rate,
         payment.debited_eur) = values
        payment.paid_on, payment.created_at = as_date(paid_on), as_datetime(created_at)
        supplier = suppliers.get(name)
        if supplier is None:
            if len(suppliers) > 10_000:
                suppliers.clear()
            supplier = suppliers[name] = _Supplier(name, "", "")
        invoice.supplier = supplier
        payment.amount = int(payment.amount)
        payment.invoice = invoice
        aux = config.suppliers + codes[invoice.supplier_id] if invoice.supplier_id in codes else ""
        entry = payment_entry(payment, config, aux, rate)
        if entry.lines:
            yield entry


def live_entries(period, shop_ids, config, codes=None, timezone="Europe/Paris"):
    """Every entry the documents of the period give today: purchases, bank, then card sales, each
    journal in date order. Eight queries whatever the size of the period."""
    from portal.accounting.card import card_entries

    return itertools.chain(supplier_invoice_entries(period, shop_ids, config, codes),
                           supplier_payment_entries(period, shop_ids, config, codes),
                           card_entries(period, shop_ids, config, timezone))


# Kept for the callers of the first wave: the entries of a period as the file holds them.
def period_entries(period, shop_ids, config, codes=None):
    from portal.accounting.ledger import export_entries

    return export_entries(period, shop_ids, config, codes)


# --- Lettering ------------------------------------------------------------------------------------------


class Lettering:
    """EcritureLet / DateLet of a line's letter_ref, as of the end of the file."""

    def __init__(self, paid, as_of, credit_delay):
        self.paid = paid  # {invoice id: date of the payment that settled it}
        self.as_of = as_of
        self.delay = datetime.timedelta(days=credit_delay)

    def of(self, ref):
        if not ref:
            return "", ""
        if ref[0] == "F":
            settled = self.paid.get(int(ref[1:]))
            return (ref, fec_date(settled)) if settled else ("", "")
        credited = _card_day(ref) + self.delay
        return (ref, fec_date(credited)) if credited <= self.as_of else ("", "")


@functools.lru_cache(maxsize=4096)
def _card_day(ref):
    """The remittance day of a card letter C<shop>-<AAAAMMJJ>: both of its lines ask."""
    return datetime.datetime.strptime(ref.rsplit("-", 1)[1], "%Y%m%d").date()


def lettering(as_of, shop_ids, config):
    """Two queries: the invoices fully paid (payments and deducted deposits) by `as_of`. The payments
    are summed per invoice first, then joined to their invoice, whose deducted deposits are the stored
    deducted_total (migration 0017): no sum of deductions per invoice."""
    paid = (SupplierPayment.select(SupplierPayment.invoice, fn.MAX(SupplierPayment.paid_on).alias("last"),
                                   fn.SUM(SupplierPayment.amount).alias("paid"))
            .where(SupplierPayment.paid_on <= as_of).group_by(SupplierPayment.invoice).alias("paid"))
    rows = (Invoice.select(Invoice.id, paid.c.last)
            .join(paid, on=(paid.c.invoice_id == Invoice.id))
            .where(Invoice.shop.in_(list(shop_ids) or [0]) & (Invoice.kind != "CREDIT_NOTE")
                   & (Invoice.total_gross > 0) & (paid.c.paid + Invoice.deducted_total >= Invoice.total_gross)))
    settled = {invoice_id: _as_date(last) for invoice_id, last in stream_raw(rows)}
    for invoice_id in _unbalanced_in_euros(as_of, shop_ids, settled):
        del settled[invoice_id]
    return Lettering(settled, as_of, config.card_credit_delay_days)


def _unbalanced_in_euros(as_of, shop_ids, settled):
    """The settled invoices in another currency whose 401 lines do not add up in euros: each payment is
    converted on its own (payment_entry), so the cents rounded may differ from the invoice's; such an
    invoice is left unlettered (a letter must settle its lines), for the accountant to write off the
    cent. One query, over the payments of foreign-currency invoices only."""
    rows = (SupplierPayment.select(Invoice.id, Invoice.total_gross, Invoice.deducted_total, Invoice.currency,
                                   InvoiceBooking.exchange_rate, SupplierPayment.amount)
            .join(Invoice).join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
            .where(Invoice.shop.in_(list(shop_ids) or [0]) & (Invoice.currency != FEC_CURRENCY)
                   & (Invoice.kind != "CREDIT_NOTE") & (SupplierPayment.paid_on <= as_of)))
    owed, paid = {}, {}
    for invoice_id, gross, deducted, currency, rate, amount in stream_raw(rows):
        if invoice_id not in settled:
            continue
        if rate is None:
            owed[invoice_id] = None
            continue
        owed[invoice_id] = to_euros(int(gross), currency, rate) - to_euros(int(deducted), currency, rate)
        paid[invoice_id] = paid.get(invoice_id, 0) + to_euros(int(amount), currency, rate)
    return [invoice_id for invoice_id, euros in owed.items() if euros is None or euros != paid.get(invoice_id)]


# --- The file ------------------------------------------------------------------------------------------


def fec_rows(entries, letters=None):
    """The 18 fields of every line (the entries CSV); an entry without a number (none validated) is
    counted 1, 2, 3 …"""
    counter = itertools.count(1)
    of = letters.of if letters else None
    for entry in entries:
        number = str(entry.number) if entry.number is not None else str(next(counter))
        head = (_text(entry.journal), _text(entry.journal_label), number, fec_date(entry.date))
        piece = (_text(entry.piece_ref), fec_date(entry.piece_date), _text(entry.label))
        valid, currency = fec_date(entry.valid_date), entry.currency
        for line in entry.lines:
            letter, letter_date = of(line.letter_ref) if of and line.letter_ref else ("", "")
            foreign = fec_amount(line.foreign, currency) if currency and line.foreign is not None else ""
            yield (*head, line.account, _text(line.account_label), _text(line.aux), _text(line.aux_label), *piece,
                   _cents(line.debit), _cents(line.credit), letter, letter_date, valid, foreign,
                   currency if foreign else "")


def _csv_field(text):
    """A text field as csv.writer (« ; », QUOTE_MINIMAL) writes it once _text() removed tabs and line
    breaks: quoted, its quotes doubled, when it holds the separator or a quote."""
    if ";" in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_text(value):
    return _csv_field(_text(value))


def fec_lines(entries, letters=None, separator="\t", text=_text):
    """The lines of the file, entry by entry (one string per entry), each line its 18 fields joined by
    tabs and ended by CR LF: the same fields as fec_rows(), written straight into one string. A file
    holds hundreds of thousands of lines naming the same few journals, accounts and suppliers: their
    fields are cleaned once (`known`). `separator` and `text` (the cleaning of a text field) make the
    same lines a CSV (csv_chunks)."""
    counter = itertools.count(1)
    of = letters.of if letters else None
    known = {}
    sep = separator
    no_letter = f"{sep}{sep}"
    zero = "0,00"
    cents = _TWO_DIGITS
    for entry in entries:
        number = str(entry.number) if entry.number is not None else str(next(counter))
        journal = known.get((entry.journal, entry.journal_label))
        if journal is None:
            journal = known[(entry.journal, entry.journal_label)] = (
                f"{text(entry.journal)}{sep}{text(entry.journal_label)}{sep}")
        head = f"{journal}{number}{sep}{fec_date(entry.date)}{sep}"
        piece = f"{sep}{text(entry.piece_ref)}{sep}{fec_date(entry.piece_date)}{sep}{text(entry.label)}{sep}"
        currency = entry.currency
        end = f"{sep}{fec_date(entry.valid_date)}{sep}"
        plain_tail = f"{end}{sep}\r\n"
        texts = []
        for line in entry.lines:
            key = (line.account, line.account_label, line.aux, line.aux_label)
            account = known.get(key)
            if account is None:
                if len(known) > 100_000:
                    known.clear()
                account = known[key] = (f"{line.account}{sep}{text(line.account_label)}{sep}{text(line.aux)}{sep}"
                                        f"{text(line.aux_label)}")
            ref = line.letter_ref
            if ref and of:
                letter, letter_date = of(ref)
                letter = f"{sep}{letter}{sep}{letter_date}" if letter or letter_date else no_letter
            else:
                letter = no_letter
            if currency and line.foreign is not None:
                tail = f"{end}{fec_amount(line.foreign, currency)}{sep}{currency}\r\n"
            else:
                tail = plain_tail
            debit, credit = line.debit, line.credit
            debit = f"{debit // 100},{cents[debit % 100]}" if debit > 0 else (zero if not debit else _cents(debit))
            credit = f"{credit // 100},{cents[credit % 100]}" if credit > 0 else (zero if not credit else _cents(credit))
            texts.append(f"{head}{account}{piece}{debit}{sep}{credit}{letter}{tail}")
        yield "".join(texts)


def fec_chunks(entries, encoding=DEFAULT_ENCODING, letters=None):
    """The file as encoded blocks, to stream: the header, then one line per entry line, a few hundred
    entries to a block (one write per line would cost more than building it)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding!r}")
    encode = _latin9 if encoding == "iso-8859-15" else str.encode
    yield encode("\t".join(FEC_COLUMNS) + "\r\n")
    lines = fec_lines(entries, letters)
    while True:
        batch = list(itertools.islice(lines, 400))  # entries
        if not batch:
            return
        block = "".join(batch)
        if block:
            yield encode(block)


# The eight code points where ISO 8859-15 departs from ISO 8859-1 (¤ ¦ ¨ ´ ¸ ¼ ½ ¾ in Latin-1, € Š š Ž ž
# Œ œ Ÿ in Latin-9), as Latin-1 bytes.
_LATIN1_CODES = (0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE)
_LATIN1_ONLY = tuple(bytes([code]) for code in _LATIN1_CODES)


_LATIN1_ONLY_CHARS = tuple(chr(code) for code in _LATIN1_CODES)
# The eight characters of ISO 8859-15 outside Latin-1, as the Latin-1 character of the same byte.
_LATIN9_AS_LATIN1 = {latin9: chr(code) for latin9, code in zip("€ŠšŽžŒœŸ", _LATIN1_CODES)}


def _latin9_via_latin1(error):
    """An encoding error handler for Latin-1 giving what the Latin-9 codec and _nearest_latin9 give:
    a Latin-9 character as the Latin-1 character of its byte, any other the nearest way."""
    text = error.object[error.start:error.end]
    return "".join(_LATIN9_AS_LATIN1.get(char) or _LATIN9.get(char, "?") for char in text), error.end


codecs.register_error("fec-latin9-via-latin1", _latin9_via_latin1)


def _latin9(text):
    """`text` in ISO 8859-15 (unknown characters the nearest way, _nearest_latin9). Python's Latin-9
    codec goes through a character map, ten times slower than its Latin-1 one; both give the same bytes
    to a text whose characters are all Latin-1 except the eight where they differ: that text (nearly
    every block of a file) is encoded as Latin-1. A text holding other characters (a block naming an
    account labelled with « – », say) but none of those eight is encoded as Latin-1 too, the others
    handed to _latin9_via_latin1; only a text holding one of the eight goes through the Latin-9 codec."""
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        for char in _LATIN1_ONLY_CHARS:
            if char in text:
                return text.encode("iso-8859-15", errors="fec-latin9")
        return text.encode("latin-1", errors="fec-latin9-via-latin1")
    for byte in _LATIN1_ONLY:
        if byte in data:
            return text.encode("iso-8859-15", errors="fec-latin9")
    return data


def csv_stream(header, rows):
    """A plain CSV for a spreadsheet: « ; » separated, quoted when needed, UTF-8 with the byte-order
    mark French spreadsheets need to read accents; encoded a few hundred rows at a time, to stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow(spreadsheet_safe_row([str(name) for name in header]))
    yield "\ufeff".encode("utf-8") + flush()
    count = 0
    for row in rows:
        writer.writerow(spreadsheet_safe_row(row))
        count += 1
        if count % 500 == 0:
            yield flush()
    tail = flush()
    if tail:
        yield tail


def csv_blocks(header, rows, size=2000):
    """csv_stream() of rows whose cells are already neutralised (SEC-3): written `size` rows at a
    time by csv.writer.writerows and encoded per block (a row at a time costs more than the row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(spreadsheet_safe_row([str(name) for name in header]))
    text = buffer.getvalue()
    yield "\ufeff".encode("utf-8") + text.encode("utf-8")
    rows = iter(rows)
    while True:
        batch = list(itertools.islice(rows, size))
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")


def csv_chunks(entries, letters=None):
    """The FEC's lines as a plain CSV (same columns and values, for a spreadsheet, UTF-8 with its
    byte-order mark): fec_lines() with « ; » between fields, each text field neutralised (SEC-3) and
    quoted as csv.writer would; the others are numbers, dates and codes. 400 entries a block."""
    yield "\ufeff".encode("utf-8") + (";".join(FEC_COLUMNS) + "\r\n").encode("utf-8")
    lines = fec_lines(entries, letters, ";", _csv_text)
    while True:
        batch = list(itertools.islice(lines, 400))  # entries
        if not batch:
            return
        block = "".join(batch)
        if block:
            yield block.encode("utf-8")


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
    other_currencies: list = field(default_factory=list)  # foreign-currency invoices without a rate: left out
    provisional: int = 0  # entries of the open part of the period
    card_unrated: list = field(default_factory=list)  # [(currency, operations, amount)]: card sales without a rate

    @property
    def balanced(self):
        return self.debit == self.credit


def _add_entry(summary, entry):
    summary.entries += 1
    summary.lines += len(entry.lines)
    summary.debit += entry.debit
    summary.credit += entry.credit
    summary.provisional += entry.provisional
    count_amount = summary.by_kind.setdefault(entry.kind, [0, 0])
    count_amount[0] += 1
    count_amount[1] += entry.amount
    if entry.reverse_charge_vat:
        summary.reverse_charge_count += 1
        summary.reverse_charge_vat += entry.reverse_charge_vat


def _pending_and_foreign(summary, period, shop_ids):
    dated = Invoice.shop.in_(list(shop_ids)) & Invoice.issue_date.between(period.start, period.end)
    summary.pending = Invoice.select().where(dated & Invoice.status.not_in(list(BOOKED_STATUSES))).count()
    summary.other_currencies = list(
        Invoice.select(Invoice, Supplier).join(Supplier).switch(Invoice)
        .join(InvoiceBooking, JOIN.LEFT_OUTER, on=(InvoiceBooking.invoice == Invoice.id))
        .where(dated & Invoice.status.in_(list(BOOKED_STATUSES)) & (Invoice.currency != FEC_CURRENCY)
               & InvoiceBooking.exchange_rate.is_null())
        .order_by(Invoice.issue_date, Invoice.id))


def summarise_by_entries(period, shop_ids, config, codes=None, timezone="Europe/Paris"):
    """Counts and totals of what the file of the period holds, from the same entries (validated ones
    as stored, provisional ones as built): the reference the page's summarise() is checked against."""
    from portal.accounting.ledger import export_entries

    summary = ExportSummary()
    for entry in export_entries(period, shop_ids, config, codes, timezone):
        _add_entry(summary, entry)
    _pending_and_foreign(summary, period, shop_ids)
    from portal.accounting.card import unrated_card_sales

    summary.card_unrated = unrated_card_sales(period, shop_ids, config, timezone)
    return summary


def summarise(period, shop_ids, config, codes=None, timezone="Europe/Paris", **known):
    """What the accounting page shows: summarise_by_entries() from aggregate queries (summary.py)."""
    from portal.accounting.summary import summarise as from_aggregates

    return from_aggregates(period, shop_ids, config, codes, timezone, **known)
