"""VAT treatment of a supplier invoice (ACC-1): intra-community reverse charge (autoliquidation)
detected from the supplier's country and VAT number, with the VAT due (4452) and the deductible
VAT (445662) computed at the French rate of each line. Plain Python, exact integers."""
import enum
import functools
from dataclasses import dataclass

from stdnum.eu import vat as stdnum_vat

from portal.purchasing.amounts import format_rate, vat_amount
from portal.suppliers.identifiers import IdentifierError, check_vat_number

DEFAULT_FRENCH_RATE = 2000  # 20 %, basis points
HOME_COUNTRIES = {"FR", "MC"}  # Monaco belongs to the French VAT territory
# ISO codes of the other member states. stdnum lists Greece as "gr" and Northern Ireland as "xi":
# Northern Ireland (goods only since Brexit) is left to the accountant, like every non-EU supplier.
EU_COUNTRIES = {code.upper() for code in stdnum_vat.MEMBER_STATES} - {"XI"}


class VatRegime(enum.StrEnum):
    DOMESTIC = "DOMESTIC"  # French supplier: the invoice's VAT is deductible (44566)
    REVERSE_CHARGE = "REVERSE_CHARGE"  # EU supplier with a valid VAT number: autoliquidation
    EU_WITHOUT_VAT_NUMBER = "EU_WITHOUT_VAT_NUMBER"  # EU supplier, no valid number: no autoliquidation
    IMPORT = "IMPORT"  # outside the EU: imports, VAT settled at customs, not on this invoice

    @property
    def label(self):
        return REGIME_LABELS[self]


REGIME_LABELS = {
    VatRegime.DOMESTIC: "TVA française déductible",
    VatRegime.REVERSE_CHARGE: "Autoliquidation (acquisition intracommunautaire)",
    VatRegime.EU_WITHOUT_VAT_NUMBER: "Fournisseur de l'UE sans n° de TVA valide : pas d'autoliquidation",
    VatRegime.IMPORT: "Importation (hors UE) : pas d'autoliquidation ici",
}


@dataclass(frozen=True)
class VatTreatment:
    regime: VatRegime
    explanation: str
    by_rate: tuple = ()  # ((rate_bp, base, vat), ...) of the self-assessed VAT, highest rate first
    vat_due: int = 0  # reverse charge: VAT the merchant owes (credit 4452)
    vat_deductible: int = 0  # deductible VAT: 445662 under reverse charge, 44566 otherwise
    non_deductible_vat: int = 0  # VAT a foreign supplier charged: not deductible in France, part of the cost
    warnings: tuple = ()

    @property
    def reverse_charge(self):
        return self.regime == VatRegime.REVERSE_CHARGE


@functools.lru_cache(maxsize=4096)
def regime_for(country, vat_number):
    """The regime of a supplier; an EU supplier needs a VAT number that passes its check. Cached: the
    checksum is the slow part of booking a period's invoices (issue 14), and the answer never changes."""
    country = (country or "").strip().upper()
    if country in HOME_COUNTRIES or not country:
        return VatRegime.DOMESTIC
    if country in EU_COUNTRIES:
        if not (vat_number or "").strip():
            return VatRegime.EU_WITHOUT_VAT_NUMBER
        try:
            check_vat_number(vat_number, country)
        except IdentifierError:
            return VatRegime.EU_WITHOUT_VAT_NUMBER
        return VatRegime.REVERSE_CHARGE
    return VatRegime.IMPORT


def self_assessed_vat(lines, default_rate=DEFAULT_FRENCH_RATE):
    """VAT of reverse-charged `lines` ((net, rate_bp) pairs) at the French rate: the line's rate when
    it has one (a supplier under autoliquidation usually writes 0 %), else `default_rate`. Rounded
    half-up once per rate on the sum of the bases, as on an invoice."""
    bases = {}
    for net, rate in lines:
        rate = rate if rate and rate > 0 else default_rate
        bases[rate] = bases.get(rate, 0) + int(net)
    return tuple((rate, base, vat_amount(base, rate)) for rate, base in sorted(bases.items(), reverse=True))


def vat_treatment(country, vat_number, lines, invoice_vat, default_rate=DEFAULT_FRENCH_RATE):
    """How the VAT of one invoice is booked. `lines`: (net, rate_bp) pairs (the invoice's lines, or
    its total net when it has none); `invoice_vat`: the VAT the supplier charged."""
    regime = regime_for(country, vat_number)
    invoice_vat = int(invoice_vat or 0)
    if regime == VatRegime.DOMESTIC:
        return VatTreatment(regime, "Fournisseur français : la TVA facturée est déductible.",
                            vat_deductible=invoice_vat)
    if regime == VatRegime.REVERSE_CHARGE:
        by_rate = self_assessed_vat(lines, default_rate)
        total = sum(vat for _, _, vat in by_rate)
        rates = ", ".join(format_rate(rate) for rate, _, _ in by_rate) or format_rate(default_rate)
        warnings = ()
        if invoice_vat:
            warnings = ("Ce fournisseur a facturé de la TVA alors que l'autoliquidation s'applique : elle n'est "
                        "pas déductible en France, demandez-lui une facture rectificative hors taxes.",)
        return VatTreatment(regime, f"Fournisseur d'un autre État membre avec un n° de TVA intracommunautaire "
                                    f"valide : vous autoliquidez la TVA française ({rates}), due et déductible "
                                    f"du même montant.",
                            by_rate=by_rate, vat_due=total, vat_deductible=total, non_deductible_vat=invoice_vat,
                            warnings=warnings)
    if regime == VatRegime.EU_WITHOUT_VAT_NUMBER:
        return VatTreatment(regime, "Fournisseur d'un autre État membre sans n° de TVA intracommunautaire valide : "
                                    "pas d'autoliquidation ; une TVA étrangère facturée n'est pas déductible en "
                                    "France (elle se récupère par la procédure de remboursement européenne).",
                            non_deductible_vat=invoice_vat,
                            warnings=("Complétez ou corrigez le n° de TVA du fournisseur pour autoliquider.",))
    return VatTreatment(regime, "Fournisseur hors Union européenne : importation, pas d'autoliquidation sur cette "
                                "facture. La TVA à l'importation est autoliquidée sur la déclaration de TVA à partir "
                                "des données de la douane ; les prestations de services achetées hors UE restent à "
                                "régulariser par votre comptable.",
                        non_deductible_vat=invoice_vat)


def invoice_vat_treatment(invoice, default_rate=DEFAULT_FRENCH_RATE, lines=None, breakdown=None):
    """vat_treatment() for an Invoice row: the bases of its lines, else of its VAT breakdown, else its
    total net — the first that adds up to the total net (document-level discounts change the bases).
    `lines` ((net, rate) pairs) and `breakdown` ((base, rate) pairs), when given, were read for many
    invoices at once (treatments_for): nothing is read here then."""
    supplier = invoice.supplier
    if regime_for(supplier.country, supplier.vat_number) != VatRegime.REVERSE_CHARGE:
        return vat_treatment(supplier.country, supplier.vat_number, [], invoice.total_vat, default_rate)
    if lines is None:
        lines = [(line.net_amount, line.vat_rate) for line in invoice.lines]
    if sum(net for net, _ in lines) != invoice.total_net:
        if breakdown is None:
            breakdown = [(row.base, row.rate) for row in invoice.vat_breakdown]
        lines = list(breakdown)
        if sum(base for base, _ in lines) != invoice.total_net:
            lines = [(invoice.total_net, 0)]
    return vat_treatment(supplier.country, supplier.vat_number, lines, invoice.total_vat, default_rate)


def treatments_for(invoices, default_rate=DEFAULT_FRENCH_RATE):
    """{invoice id: VatTreatment} of many invoices (with their supplier joined): the lines and VAT
    breakdowns of the reverse-charged ones in two queries, whatever their number (issue 14)."""
    from models import InvoiceLine, InvoiceVat

    regimes = {}
    reverse = []
    for invoice in invoices:
        key = (invoice.supplier.country, invoice.supplier.vat_number)
        if key not in regimes:
            regimes[key] = regime_for(*key)
        if regimes[key] == VatRegime.REVERSE_CHARGE:
            reverse.append(invoice.id)
    lines, breakdown = {}, {}
    if reverse:
        for invoice_id, net, rate in (InvoiceLine.select(InvoiceLine.invoice, InvoiceLine.net_amount, InvoiceLine.vat_rate)
                                      .where(InvoiceLine.invoice.in_(reverse)).order_by(InvoiceLine.id).tuples()):
            lines.setdefault(invoice_id, []).append((net, rate))
        # The VAT breakdown only of those whose lines do not add up to the total net (a discount).
        nets = {invoice.id: invoice.total_net for invoice in invoices}
        uneven = [i for i in reverse if sum(net for net, _ in lines.get(i, [])) != nets[i]]
        if uneven:
            for invoice_id, base, rate in (InvoiceVat.select(InvoiceVat.invoice, InvoiceVat.base, InvoiceVat.rate)
                                           .where(InvoiceVat.invoice.in_(uneven)).order_by(InvoiceVat.id).tuples()):
                breakdown.setdefault(invoice_id, []).append((base, rate))
    return {invoice.id: invoice_vat_treatment(invoice, default_rate, lines.get(invoice.id, []),
                                              breakdown.get(invoice.id, []))
            for invoice in invoices}
