"""ZUGFeRD 1.0 (namespace urn:ferd:CrossIndustryDocument:invoice:1p0), read into the same fields as
factur-x's CII reader gives, so that one builder makes the EInvoice (AP-INV-3). factur-x does not parse
this older CII dialect; its XSD ships with factur-x and is checked by einvoice.py."""
import datetime
from decimal import Decimal, InvalidOperation

from portal.invoices.texts import N_

NS = {
    "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
}
PROFILES = ("BASIC", "COMFORT", "EXTENDED")


def _first(node, path):
    found = node.xpath(path, namespaces=NS)
    if not found:
        return None
    value = found[0]
    text = value.text if hasattr(value, "text") else str(value)
    return (text or "").strip()


def zugferd1_profile(root):
    from portal.invoices.einvoice import EInvoiceError

    urn = _first(root, "rsm:SpecifiedExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    if not urn:
        raise EInvoiceError(N_("Identifiant de profil (BT-24, GuidelineSpecifiedDocumentContextParameter) absent."))
    profile = urn.rsplit(":", 1)[-1].upper()
    if not urn.startswith("urn:ferd:CrossIndustryDocument:invoice:1p0") or profile not in PROFILES:
        raise EInvoiceError(N_("Profil ZUGFeRD 1.0 inconnu (BT-24) : « %(profile)s ». Profils acceptés : "
                               "BASIC, COMFORT, EXTENDED."), profile=urn)
    return profile


def _date(node, path):
    from portal.invoices.einvoice import EInvoiceError

    text = _first(node, path)
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, "%Y%m%d").date()
    except ValueError as err:
        raise EInvoiceError(N_("Date illisible dans la facture, format attendu %(format)s (%(error)s)."),
                            format="AAAAMMJJ", error=str(err)) from err


def _party(node):
    if node is None:
        return {}
    party = {"name": _first(node, "ram:Name") or "",
             "country_code": _first(node, "ram:PostalTradeAddress/ram:CountryID") or "",
             "vat_identifier": _first(node, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") or ""}
    identifiers = {}
    for global_id in node.xpath("ram:GlobalID", namespaces=NS):
        identifiers[global_id.get("schemeID", "")] = (global_id.text or "").strip()
    party["identifiers"] = identifiers
    return party


def _quotient(total, quantity):
    """Unit price of a BASIC line, which carries no price: line total / billed quantity."""
    try:
        total, quantity = Decimal(total), Decimal(quantity)
    except (InvalidOperation, TypeError):
        return None
    return str(total / quantity) if quantity else None


def zugferd1_fields(root):
    """The EN 16931 business terms of a ZUGFeRD 1.0 invoice, as facturx.parse_ubl_cii_xml names them."""
    header = "rsm:HeaderExchangedDocument/"
    transaction = root.xpath("rsm:SpecifiedSupplyChainTradeTransaction", namespaces=NS)
    transaction = transaction[0] if transaction else root
    agreement = transaction.find("ram:ApplicableSupplyChainTradeAgreement", NS)
    settlement = transaction.find("ram:ApplicableSupplyChainTradeSettlement", NS)
    sums = "ram:ApplicableSupplyChainTradeSettlement/ram:SpecifiedTradeSettlementMonetarySummation/"
    fields = {
        "BT-1": _first(root, f"{header}ram:ID") or "",
        "BT-2": _date(root, f"{header}ram:IssueDateTime/udt:DateTimeString"),
        "BT-3": _first(root, f"{header}ram:TypeCode") or "380",
        "BT-5": _first(transaction, "ram:ApplicableSupplyChainTradeSettlement/ram:InvoiceCurrencyCode") or "",
        "BT-9": _date(transaction, "ram:ApplicableSupplyChainTradeSettlement/ram:SpecifiedTradePaymentTerms/"
                                   "ram:DueDateDateTime/udt:DateTimeString"),
        "BT-13": _first(transaction, "ram:ApplicableSupplyChainTradeAgreement/ram:BuyerOrderReferencedDocument/ram:ID")
        or "",
        "BG-4": _party(agreement.find("ram:SellerTradeParty", NS) if agreement is not None else None),
        "BG-7": _party(agreement.find("ram:BuyerTradeParty", NS) if agreement is not None else None),
        "BT-109": _first(transaction, f"{sums}ram:TaxBasisTotalAmount"),
        "BT-110": _first(transaction, f"{sums}ram:TaxTotalAmount"),
        "BT-112": _first(transaction, f"{sums}ram:GrandTotalAmount"),
        "BT-115": _first(transaction, f"{sums}ram:DuePayableAmount"),
    }
    taxes = settlement.xpath("ram:ApplicableTradeTax", namespaces=NS) if settlement is not None else []
    fields["BG-23"] = [{"BT-118": _first(tax, "ram:CategoryCode") or "S", "BT-119": _first(tax, "ram:ApplicablePercent"),
                        "BT-116": _first(tax, "ram:BasisAmount"), "BT-117": _first(tax, "ram:CalculatedAmount")}
                       for tax in taxes]
    only_rate = fields["BG-23"][0]["BT-119"] if len(fields["BG-23"]) == 1 else None
    lines = []
    for item in transaction.xpath("ram:IncludedSupplyChainTradeLineItem", namespaces=NS):
        trade = "ram:SpecifiedSupplyChainTradeAgreement/"
        quantity = _first(item, "ram:SpecifiedSupplyChainTradeDelivery/ram:BilledQuantity")
        total = _first(item, "ram:SpecifiedSupplyChainTradeSettlement/ram:SpecifiedTradeSettlementMonetarySummation/"
                             "ram:LineTotalAmount")
        price = _first(item, f"{trade}ram:NetPriceProductTradePrice/ram:ChargeAmount")
        lines.append({
            "BT-153": _first(item, "ram:SpecifiedTradeProduct/ram:Name") or "",
            "BT-129": quantity,
            "BT-146": price if price is not None else _quotient(total, quantity),
            "BT-149": _first(item, f"{trade}ram:NetPriceProductTradePrice/ram:BasisQuantity") if price is not None
            else None,
            "BT-131": total,
            "BT-152": _first(item, "ram:SpecifiedSupplyChainTradeSettlement/ram:ApplicableTradeTax/"
                                   "ram:ApplicablePercent") or only_rate,
            "order_reference": _first(item, f"{trade}ram:BuyerOrderReferencedDocument/ram:ID") or "",
            "order_line_reference": _first(item, f"{trade}ram:BuyerOrderReferencedDocument/ram:LineID") or "",
        })
    fields["BG-25"] = lines
    return {key: value for key, value in fields.items() if value is not None}
