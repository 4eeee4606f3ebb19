"""E-invoices built for tests with the factur-x package (nothing binary is committed)."""
import datetime

import facturx
import weasyprint


def paper_invoice_data(po_number, quantity="10", unit_price="12.50", number="FA-2026-0100",
                       vat_number="FR44732829320", seller="Fournitures Dupont"):
    """One line of « Ramette papier A4 » at 20 % VAT, quoting `po_number` (BT-13)."""
    net = f"{float(quantity) * float(unit_price):.2f}"  # test data only: exact for these values
    vat = f"{float(net) * 0.2:.2f}"
    gross = f"{float(net) + float(vat):.2f}"
    data = {
        "BT-1": number, "BT-2": datetime.date(2026, 11, 20), "BT-3": "380", "BT-5": "EUR",
        "BT-9": datetime.date(2026, 12, 20), "BT-72": datetime.date(2026, 11, 18),
        "BG-4": {"name": seller, "vat_identifier": vat_number, "country_code": "FR", "city": "Paris",
                 "postcode": "75001", "addr_l1": "1 rue de Rivoli"},
        "BG-7": {"name": "Épicerie du Port", "country_code": "FR"},
        "BG-25": [{"BT-126": "1", "BT-153": "Ramette papier A4", "BT-129": quantity, "BT-130": "C62",
                   "BT-146": unit_price, "BT-131": net, "BT-151": "S", "BT-152": "20"}],
        "BG-23": [{"BT-118": "S", "BT-119": "20", "BT-116": net, "BT-117": vat}],
        "BT-106": net, "BT-109": net, "BT-110": vat, "BT-112": gross, "BT-115": gross,
    }
    if po_number:
        data["BT-13"] = po_number
    return data


def facturx_pdf(data, level="en16931"):
    xml = facturx.generate_xml(data, flavor="factur-x", level=level, check_schematron=False)
    pdf = weasyprint.HTML(string=f"<h1>Facture {data['BT-1']}</h1><p>{data['BG-4']['name']}</p>").write_pdf()
    return facturx.generate_from_binary(pdf, xml)


def ubl_xml(data):
    return facturx.generate_xml(data, flavor="ubl-2.1", level="en16931", check_schematron=False)


def plain_pdf(text="Facture papier scannée"):
    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


# --- AP-INV-3: corpus-like files that fail today's XSD but whose data can be read ---------------------
# Each reproduces, on our own data, one way real ZUGFeRD 2.0/2.1 and 1.0 files of the public corpus
# differ from the current schemas. Built with factur-x and lxml; no corpus file is copied.

from io import BytesIO  # noqa: E402

from lxml import etree  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"


def coffee_invoice_data(po_number="", number="RE-2019-1182", line_references=()):
    """100 € of coffee at 5,5 % less a 10 € loyalty allowance (a German roaster); `line_references`
    put BT-132 (and in EXTENDED the order number) on the lines."""
    lines = [{"BT-126": "1", "BT-153": "Café en grains Moka 1 kg", "BT-129": "4", "BT-130": "KGM",
              "BT-146": "18.50", "BT-131": "74.00", "BT-151": "S", "BT-152": "5.5"},
             {"BT-126": "2", "BT-153": "Café moulu décaféiné 250 g", "BT-129": "5", "BT-130": "C62",
              "BT-146": "5.20", "BT-131": "26.00", "BT-151": "S", "BT-152": "5.5"}]
    for line, reference in zip(lines, line_references):
        line.update(reference)
    data = {
        "BT-1": number, "BT-2": datetime.date(2019, 6, 3), "BT-3": "380", "BT-5": "EUR",
        "BT-9": datetime.date(2019, 7, 3), "BT-72": datetime.date(2019, 5, 29),
        "BG-4": {"name": "Rösterei Hamburg GmbH", "vat_identifier": "DE136695976", "country_code": "DE",
                 "city": "Hamburg", "postcode": "20095", "addr_l1": "Mönckebergstraße 7"},
        "BG-7": {"name": "Épicerie du Port", "country_code": "FR"},
        "BT-81": "58", "BT-84": "DE89370400440532013000", "BT-86": "COBADEFFXXX",
        "BG-25": lines,
        "BG-20": [{"amount": "10.00", "reason": "Remise fidélité", "reason_code": "95", "vat_category_code": "S",
                   "vat_rate": "5.5"}],
        "BG-23": [{"BT-118": "S", "BT-119": "5.5", "BT-116": "90.00", "BT-117": "4.95"}],
        "BT-106": "100.00", "BT-107": "10.00", "BT-109": "90.00", "BT-110": "4.95", "BT-112": "94.95",
        "BT-115": "94.95",
    }
    if po_number:
        data["BT-13"] = po_number
    return data


def _cii(data, level="en16931"):
    return etree.fromstring(facturx.generate_xml(data, flavor="factur-x", level=level, check_schematron=False))


def _q(name):
    return f"{{{RAM}}}{name}"


def zugferd2_allowance_order_xml():
    """ZUGFeRD 2.0 writers put the allowance's tax category before its amount; the current XSD wants it last."""
    root = _cii(coffee_invoice_data())
    allowance = root.find(f".//{_q('SpecifiedTradeAllowanceCharge')}")
    allowance.find(_q("ActualAmount")).addprevious(allowance.find(_q("CategoryTradeTax")))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def german_bankleitzahl_xml():
    """ZUGFeRD 2.0 still had the German bank code next to the BIC; Factur-X / ZUGFeRD 2.1 dropped it."""
    root = _cii(coffee_invoice_data(number="RE-2019-1183"))
    bic = root.find(f".//{_q('PayeeSpecifiedCreditorFinancialInstitution')}/{_q('BICID')}")
    bic.addnext(etree.Element(_q("GermanBankleitzahlID")))
    bic.getnext().text = "37040044"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def minimum_with_full_address_xml():
    """A MINIMUM invoice whose seller carries its whole postal address (MINIMUM allows the country only)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="{RSM}" xmlns:ram="{RAM}" xmlns:udt="{UDT}">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>M-2019-0077</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20190611</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Rösterei Hamburg GmbH</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>20095</ram:PostcodeCode><ram:LineOne>Mönckebergstraße 7</ram:LineOne>
          <ram:CityName>Hamburg</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE136695976</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Épicerie du Port</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>90.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">4.95</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>94.95</ram:GrandTotalAmount>
        <ram:DuePayableAmount>94.95</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


ZF1 = {"rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
       "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
       "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"}


def zugferd1_xml(profile="comfort", po_number="", line_order=("", "")):
    """A ZUGFeRD 1.0 invoice (2014 dialect of CII): the coffee of coffee_invoice_data without the allowance,
    4 × 18,50 + 5 × 5,20 = 100,00 € at 5,5 %. `line_order`: (order number, BT-132) on the first line."""
    def line(position, name, quantity, price, total, order=("", "")):
        price_part = "" if profile == "basic" else f"""
        <ram:SpecifiedSupplyChainTradeAgreement>
          {f'<ram:BuyerOrderReferencedDocument><ram:LineID>{order[1]}</ram:LineID><ram:ID>{order[0]}</ram:ID></ram:BuyerOrderReferencedDocument>' if order[0] else ''}
          <ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">{price}</ram:ChargeAmount>
            <ram:BasisQuantity unitCode="C62">1</ram:BasisQuantity></ram:NetPriceProductTradePrice>
        </ram:SpecifiedSupplyChainTradeAgreement>"""
        tax = "" if profile == "basic" else """<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>
            <ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>5.50</ram:ApplicablePercent></ram:ApplicableTradeTax>"""
        return f"""
      <ram:IncludedSupplyChainTradeLineItem>
        <ram:AssociatedDocumentLineDocument><ram:LineID>{position}</ram:LineID></ram:AssociatedDocumentLineDocument>{price_part}
        <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">{quantity}</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
        <ram:SpecifiedSupplyChainTradeSettlement>{tax}
          <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">{total}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
        </ram:SpecifiedSupplyChainTradeSettlement>
        <ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>
      </ram:IncludedSupplyChainTradeLineItem>"""

    order = f"""<ram:BuyerOrderReferencedDocument><ram:ID>{po_number}</ram:ID></ram:BuyerOrderReferencedDocument>""" \
        if po_number else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="{ZF1['rsm']}" xmlns:ram="{ZF1['ram']}" xmlns:udt="{ZF1['udt']}">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:{profile}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>RE-2015-0311</ram:ID><ram:Name>RECHNUNG</ram:Name><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20150305</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Rösterei Hamburg GmbH</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>20095</ram:PostcodeCode><ram:LineOne>Mönckebergstraße 7</ram:LineOne>
          <ram:CityName>Hamburg</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE136695976</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Épicerie du Port</ram:Name></ram:BuyerTradeParty>
      {order}
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeDelivery/>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount currencyID="EUR">5.50</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>5.50</ram:ApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20150404</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">100.00</ram:LineTotalAmount>
        <ram:ChargeTotalAmount currencyID="EUR">0.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount currencyID="EUR">0.00</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">100.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">5.50</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">105.50</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">105.50</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>{line(1, "Café en grains Moka 1 kg", "4.0000", "18.5000", "74.00", line_order)}{line(2, "Café moulu décaféiné 250 g", "5.0000", "5.2000", "26.00")}
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
""".encode()


def pdf_with_xml(xml, name="ZUGFeRD-invoice.xml", text="Rechnung RE-2015-0311"):
    """A PDF carrying `xml` as an embedded file, the way ZUGFeRD 1.0 writers did (no Factur-X metadata)."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(plain_pdf(text))))
    writer.add_attachment(name, xml)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
