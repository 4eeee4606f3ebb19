"""VAT treatment of a supplier invoice (ACC-1, ACC-5): who self-assesses the VAT (autoliquidation)
and at which French rate, line by line. Plain Python, exact integers; the words shown to the user
are in templates/accounting/_invoice_vat.html (the catalogue), keyed by regime and warning code.

Regimes, from the supplier's country and VAT number, the invoice's nature (goods or services) and
its domestic reverse-charge mark:
- DOMESTIC: French supplier, the VAT charged is deductible;
- DOMESTIC_REVERSE_CHARGE: French supplier under autoliquidation (subcontracting in building work,
  art. 283-2 nonies CGI; an e-invoice says so with VAT category AE);
- REVERSE_CHARGE: intra-community acquisition of goods (EU supplier with a valid VAT number);
- EU_SERVICES: services bought from an EU supplier with a valid VAT number (art. 283-2 CGI);
- EU_WITHOUT_VAT_NUMBER: EU supplier without a valid number: no autoliquidation, its VAT is a cost;
- IMPORT: goods from outside the EU: import VAT self-assessed on the VAT return (ATI, since 2022),
  booked from the invoice at the French rate of each line;
- FOREIGN_SERVICES: services from outside the EU, self-assessed (art. 283-2 CGI);
- NOT_SELF_ASSESSED: a foreign invoice the accountant marks as settled elsewhere (e.g. at customs).
Each self-assessed regime has its own pair of accounts (due / deductible) in the chart of accounts."""
import enum
import functools
from dataclasses import dataclass

from stdnum.eu import vat as stdnum_vat

from portal.purchasing.amounts import vat_amount
from portal.suppliers.identifiers import IdentifierError, check_vat_number

DEFAULT_FRENCH_RATE = 2000  # 20 %, basis points
HOME_COUNTRIES = {"FR", "MC"}  # Monaco belongs to the French VAT territory
# ISO codes of the other member states. stdnum lists Greece as "gr" and Northern Ireland as "xi":
# Northern Ireland (goods only since Brexit) is left to the accountant, like every non-EU supplier.
EU_COUNTRIES = {code.upper() for code in stdnum_vat.MEMBER_STATES} - {"XI"}
GOODS, SERVICES = "GOODS", "SERVICES"
# Expense accounts of services in the PCG: 604 (études et prestations), 61 and 62 (services extérieurs).
SERVICE_ACCOUNT_PREFIXES = ("604", "61", "62")
REVERSE_CHARGE_CATEGORY = "AE"  # EN 16931 VAT category of a domestic reverse charge


class VatRegime(enum.StrEnum):
    DOMESTIC = "DOMESTIC"
    DOMESTIC_REVERSE_CHARGE = "DOMESTIC_REVERSE_CHARGE"
    REVERSE_CHARGE = "REVERSE_CHARGE"
    EU_SERVICES = "EU_SERVICES"
    EU_WITHOUT_VAT_NUMBER = "EU_WITHOUT_VAT_NUMBER"
    IMPORT = "IMPORT"
    FOREIGN_SERVICES = "FOREIGN_SERVICES"
    NOT_SELF_ASSESSED = "NOT_SELF_ASSESSED"  # foreign supplier, VAT settled elsewhere (the accountant's choice)


SELF_ASSESSED = {VatRegime.DOMESTIC_REVERSE_CHARGE, VatRegime.REVERSE_CHARGE, VatRegime.EU_SERVICES,
                 VatRegime.IMPORT, VatRegime.FOREIGN_SERVICES}
# The chart-of-accounts roles (due, deductible) of each self-assessed regime (accounts.ACCOUNT_ROLES).
REGIME_ACCOUNTS = {
    VatRegime.REVERSE_CHARGE: ("vat_intracom_due", "vat_intracom_deductible"),
    VatRegime.EU_SERVICES: ("vat_services_due", "vat_services_deductible"),
    VatRegime.FOREIGN_SERVICES: ("vat_services_due", "vat_services_deductible"),
    VatRegime.IMPORT: ("vat_import_due", "vat_import_deductible"),
    VatRegime.DOMESTIC_REVERSE_CHARGE: ("vat_domestic_due", "vat_domestic_deductible"),
}
# What the FEC's entry label adds for each self-assessed regime (the file is in French).
REGIME_MENTIONS = {
    VatRegime.REVERSE_CHARGE: "autoliquidation, acquisition intracommunautaire de biens",
    VatRegime.EU_SERVICES: "autoliquidation, services UE",
    VatRegime.FOREIGN_SERVICES: "autoliquidation, services hors UE",
    VatRegime.IMPORT: "autoliquidation, importation",
    VatRegime.DOMESTIC_REVERSE_CHARGE: "autoliquidation, sous-traitance",
}
VAT_CHARGED = "VAT_CHARGED"  # a self-assessing invoice that charges VAT: ask for a corrected one
VAT_NUMBER_MISSING = "VAT_NUMBER_MISSING"  # EU supplier without a valid number


@dataclass(frozen=True)
class VatTreatment:
    regime: VatRegime
    by_rate: tuple = ()  # ((rate_bp, base, vat), ...) of the self-assessed VAT, highest rate first
    vat_due: int = 0  # self-assessed VAT the merchant owes (credit of the regime's due account)
    vat_deductible: int = 0  # deductible VAT: the regime's deductible account, 44566 when domestic
    non_deductible_vat: int = 0  # VAT a foreign supplier charged: not deductible in France, part of the cost
    warnings: tuple = ()  # codes: VAT_CHARGED, VAT_NUMBER_MISSING
    nature: str = GOODS

    @property
    def reverse_charge(self):
        return self.regime in SELF_ASSESSED

    @property
    def account_roles(self):
        """(due role, deductible role) of the chart of accounts, or None without self-assessment."""
        return REGIME_ACCOUNTS.get(self.regime)

    @property
    def mention(self):
        return REGIME_MENTIONS.get(self.regime, "")


@functools.lru_cache(maxsize=4096)
def supplier_zone(country, vat_number):
    """HOME, EU (with a VAT number that passes its check), EU_NO_NUMBER or OUTSIDE. Cached: the
    checksum is the slow part of booking a period's invoices, and the answer never changes."""
    country = (country or "").strip().upper()
    if country in HOME_COUNTRIES or not country:
        return "HOME"
    if country in EU_COUNTRIES:
        if not (vat_number or "").strip():
            return "EU_NO_NUMBER"
        try:
            check_vat_number(vat_number, country)
        except IdentifierError:
            return "EU_NO_NUMBER"
        return "EU"
    return "OUTSIDE"


def nature_of(expense_account, chosen=""):
    """GOODS or SERVICES: the accountant's choice, else from the expense account (604, 61x, 62x are
    services in the PCG)."""
    if chosen in (GOODS, SERVICES):
        return chosen
    return SERVICES if (expense_account or "").startswith(SERVICE_ACCOUNT_PREFIXES) else GOODS


def regime_for(country, vat_number, nature=GOODS, domestic_reverse_charge=False, self_assess=True):
    """The regime of an invoice. `self_assess=False`: the accountant says the VAT is settled elsewhere
    (e.g. paid at customs): a foreign invoice is then booked without autoliquidation."""
    zone = supplier_zone(country, vat_number)
    if zone == "HOME":
        return VatRegime.DOMESTIC_REVERSE_CHARGE if domestic_reverse_charge and self_assess else VatRegime.DOMESTIC
    if zone == "EU_NO_NUMBER":
        return VatRegime.EU_WITHOUT_VAT_NUMBER
    if not self_assess:
        return VatRegime.NOT_SELF_ASSESSED
    if zone == "EU":
        return VatRegime.EU_SERVICES if nature == SERVICES else VatRegime.REVERSE_CHARGE
    return VatRegime.FOREIGN_SERVICES if nature == SERVICES else VatRegime.IMPORT


def self_assessed_vat(lines, default_rate=DEFAULT_FRENCH_RATE):
    """VAT of self-assessed `lines` ((net, rate_bp) pairs) at the French rate: the line's rate when
    it has one, else `default_rate`. Rounded half-up once per rate on the sum of the bases."""
    bases = {}
    for net, rate in lines:
        rate = rate if rate and rate > 0 else default_rate
        bases[rate] = bases.get(rate, 0) + int(net)
    return tuple((rate, base, vat_amount(base, rate)) for rate, base in sorted(bases.items(), reverse=True))


def vat_treatment(country, vat_number, lines, invoice_vat, default_rate=DEFAULT_FRENCH_RATE, nature=GOODS,
                  domestic_reverse_charge=False, self_assess=True):
    """How the VAT of one invoice is booked. `lines`: (net, French rate_bp) pairs (the invoice's lines,
    or its total net when it has none); `invoice_vat`: the VAT the supplier charged."""
    regime = regime_for(country, vat_number, nature, domestic_reverse_charge, self_assess)
    invoice_vat = int(invoice_vat or 0)
    if regime == VatRegime.DOMESTIC:
        return VatTreatment(regime, vat_deductible=invoice_vat, nature=nature)
    if regime in SELF_ASSESSED:
        by_rate = self_assessed_vat(lines, default_rate)
        total = sum(vat for _, _, vat in by_rate)
        return VatTreatment(regime, by_rate=by_rate, vat_due=total, vat_deductible=total,
                            non_deductible_vat=invoice_vat, warnings=(VAT_CHARGED,) if invoice_vat else (),
                            nature=nature)
    warnings = (VAT_NUMBER_MISSING,) if supplier_zone(country, vat_number) == "EU_NO_NUMBER" else ()
    return VatTreatment(regime, non_deductible_vat=invoice_vat, warnings=warnings, nature=nature)


def line_rates(lines, chosen=None, default_rate=DEFAULT_FRENCH_RATE):
    """(net, French rate) of each line: the accountant's rate for the line, else the line's own rate,
    else the rate of the purchase-order line it was matched to, else 0 (the default rate then applies).
    `lines`: (line id, net, line rate, order line rate) tuples; `chosen`: {line id: rate}."""
    chosen = chosen or {}
    result = []
    for line_id, net, rate, order_rate in lines:
        french = chosen.get(line_id)
        if french is None:
            french = rate if rate and rate > 0 else (order_rate if order_rate and order_rate > 0 else 0)
        result.append((int(net), french))
    return result


def bases_of(total_net, lines, breakdown):
    """The (base, rate) pairs to self-assess: the lines when they add up to the total net, else the
    VAT breakdown when it does (a document-level discount), else the total net at the default rate."""
    if lines and sum(net for net, _ in lines) == total_net:
        return list(lines)
    if breakdown and sum(base for base, _ in breakdown) == total_net:
        return list(breakdown)
    return [(total_net, 0)]


def invoice_vat_treatment(invoice, default_rate=DEFAULT_FRENCH_RATE, lines=None, breakdown=None, booking=None,
                          expense_account=None, convert=None):
    """vat_treatment() for an Invoice row (with its supplier). `lines` ((id, net, rate, order rate)),
    `breakdown` ((base, rate) pairs, and whether a category says AE) are read when not given;
    `booking` is the accountant's InvoiceBooking (or None); `convert` turns an amount of the invoice's
    currency into euro cents (its exchange rate)."""
    from models import InvoiceBooking, InvoiceLine, InvoiceVat, PurchaseLine
    from peewee import JOIN
    import json

    supplier = invoice.supplier
    if booking is None:
        booking = InvoiceBooking.get_or_none(InvoiceBooking.invoice == invoice.id)
    if lines is None:
        lines = list(InvoiceLine.select(InvoiceLine.id, InvoiceLine.net_amount, InvoiceLine.vat_rate,
                                        PurchaseLine.vat_rate)
                     .join(PurchaseLine, JOIN.LEFT_OUTER, on=(InvoiceLine.order_line == PurchaseLine.id))
                     .where(InvoiceLine.invoice == invoice.id).order_by(InvoiceLine.id).tuples())
    if breakdown is None:
        rows = list(InvoiceVat.select(InvoiceVat.base, InvoiceVat.rate, InvoiceVat.category)
                    .where(InvoiceVat.invoice == invoice.id).order_by(InvoiceVat.id).tuples())
        breakdown = [(base, rate) for base, rate, _ in rows]
        marked_ae = any((category or "").upper() == REVERSE_CHARGE_CATEGORY for _, _, category in rows)
    else:
        marked_ae = getattr(invoice, "marked_ae", False)
    chosen = {int(k): v for k, v in json.loads(booking.line_rates or "{}").items()} if booking else {}
    nature = nature_of(expense_account if expense_account is not None else invoice.expense_account,
                       booking.nature if booking else "")
    choice = booking.reverse_charge if booking else ""
    bases = bases_of(invoice.total_net, line_rates(lines, chosen), breakdown)
    invoice_vat = invoice.total_vat
    if convert is not None:  # a foreign-currency invoice, in euros at its rate
        bases, invoice_vat = [(convert(base), rate) for base, rate in bases], convert(invoice_vat)
    return vat_treatment(supplier.country, supplier.vat_number, bases, invoice_vat, default_rate, nature,
                         domestic_reverse_charge=(choice == "DOMESTIC" or (marked_ae and choice != "NONE")),
                         self_assess=choice != "NONE")
