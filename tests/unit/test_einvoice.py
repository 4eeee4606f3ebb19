"""AP-INV-1: reading received e-invoices (Factur-X PDFs of every profile, CII and UBL XML) into
exact minor units, and a clear French error for every file that cannot be read.
Every test file is generated here with factur-x and WeasyPrint: no binary fixture."""
import copy
import datetime
import random
from io import BytesIO

import facturx
import pytest
import weasyprint
from pypdf import PdfReader, PdfWriter

from portal.invoices.einvoice import (
    EInvoiceError,
    EInvoiceLine,
    EInvoiceVat,
    NoEInvoiceInPdf,
    read_einvoice,
)

# AP-INV-3: the one message for a PDF without an invoice inside, wherever it is shown.
NO_EINVOICE_MESSAGE = ("Ce PDF ne contient pas de facture électronique (Factur-X, ZUGFeRD ou XRechnung) : "
                       "saisissez la facture, le PDF y est joint.")

D = datetime.date
BASIC_URN = "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic"

# A stationery invoice: a price with 3 decimals, a price per 100 units, two VAT rates and a
# 32,53 € deposit already paid, so that every total differs from the others.
INVOICE = {
    "BT-1": "FA-2026-0042",
    "BT-2": D(2026, 3, 2),
    "BT-3": "380",
    "BT-5": "EUR",
    "BT-9": D(2026, 4, 1),
    "BT-13": "PO-2026-017",
    "BT-72": D(2026, 2, 27),
    "BT-81": "30",
    "BG-4": {
        "name": "Papeterie Martin SARL",
        "vat_identifier": "FR32123456789",
        "legal_identifier": "12345678900017",
        "legal_identifier_schemeid": "0009",
        "addr_l1": "12 rue de la République",
        "postcode": "69002",
        "city": "Lyon",
        "country_code": "FR",
    },
    "BG-7": {"name": "Comptoir Dupont", "country_code": "FR"},
    "BG-25": [
        {"BT-126": "1", "BT-153": "Ramettes A4 80 g", "BT-129": "2.5", "BT-130": "C62",
         "BT-146": "12.345", "BT-131": "30.86", "BT-151": "S", "BT-152": "20"},
        {"BT-126": "2", "BT-153": "Livres de caisse", "BT-129": "1", "BT-130": "C62",
         "BT-146": "100.00", "BT-131": "100.00", "BT-151": "S", "BT-152": "5.5"},
        {"BT-126": "3", "BT-153": "Enveloppes C5", "BT-129": "300", "BT-130": "C62",
         "BT-146": "25.00", "BT-149": "100", "BT-131": "75.00", "BT-151": "S", "BT-152": "20"},
    ],
    "BG-23": [
        {"BT-118": "S", "BT-119": "20", "BT-116": "105.86", "BT-117": "21.17"},
        {"BT-118": "S", "BT-119": "5.5", "BT-116": "100.00", "BT-117": "5.50"},
    ],
    "BT-106": "205.86",
    "BT-109": "205.86",
    "BT-110": "26.67",
    "BT-112": "232.53",
    "BT-113": "32.53",
    "BT-115": "200.00",
}

EXPECTED_LINES = (
    EInvoiceLine("Ramettes A4 80 g", 2500, 1234, 2000, 3086, unit_price_rounded=True),
    EInvoiceLine("Livres de caisse", 1000, 10000, 550, 10000),
    EInvoiceLine("Enveloppes C5", 300000, 25, 2000, 7500),
)
EXPECTED_VAT = (EInvoiceVat("S", 2000, 10586, 2117), EInvoiceVat("S", 550, 10000, 550))

# Factur-X MINIMUM cannot be produced by facturx.generate_xml: written by hand.
MINIMUM_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>FA-2026-0042</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260302</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Papeterie Martin SARL</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">123456789</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR32123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Comptoir Dupont</ram:Name></ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>PO-2026-017</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>205.86</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">26.67</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>232.53</ram:GrandTotalAmount>
        <ram:DuePayableAmount>200.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def invoice_data(**changes):
    data = copy.deepcopy(INVOICE)
    data.update(copy.deepcopy(changes))
    return data


def cii_xml(level="en16931", **changes):
    """CII XML of a Factur-X profile; BASIC is the EN 16931 XML under the BASIC guideline id."""
    if level == "minimum":
        return MINIMUM_XML
    xml = facturx.generate_xml(invoice_data(**changes), flavor="factur-x",
                               level="en16931" if level == "basic" else level, check_schematron=False)
    if level == "basic":
        xml = xml.replace(b">urn:cen.eu:en16931:2017<", f">{BASIC_URN}<".encode())
        facturx.xml_check_xsd(xml, flavor="factur-x", level="basic")
    return xml


def ubl_xml(**changes):
    return facturx.generate_xml(invoice_data(**changes), flavor="ubl-2.1", level="en16931",
                                check_schematron=False)


@pytest.fixture(scope="module")
def plain_pdf():
    return weasyprint.HTML(string="<p>Facture FA-2026-0042</p>").write_pdf()


def facturx_pdf(plain_pdf, xml):
    return facturx.generate_from_binary(plain_pdf, xml)


def pdf_with_attachment(plain_pdf, name, content):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(plain_pdf)))
    writer.add_attachment(name, content)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def error_of(data, filename=""):
    with pytest.raises(EInvoiceError) as caught:
        read_einvoice(data, filename)
    return str(caught.value)


def assert_header(invoice):
    assert invoice.kind == "INVOICE" and invoice.type_code == "380"
    assert invoice.number == "FA-2026-0042"
    assert invoice.issue_date == D(2026, 3, 2)
    assert invoice.currency == "EUR"
    assert invoice.seller_name == "Papeterie Martin SARL"
    assert invoice.seller_vat_number == "FR32123456789"
    assert invoice.seller_country == "FR"
    assert invoice.buyer_name == "Comptoir Dupont"
    assert invoice.po_reference == "PO-2026-017"
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross, invoice.amount_due) == (
        20586, 2667, 23253, 20000)


@pytest.mark.parametrize("level, profile", [
    ("basic", "BASIC"),
    ("en16931", "EN 16931"),
    ("extended", "EXTENDED"),
])
def test_ap_inv_1_facturx_pdf_with_lines(plain_pdf, level, profile):
    invoice = read_einvoice(facturx_pdf(plain_pdf, cii_xml(level)), "FA-2026-0042.pdf")

    assert (invoice.syntax, invoice.profile) == ("FACTURX", profile)
    assert_header(invoice)
    assert invoice.due_date == D(2026, 4, 1)
    assert invoice.seller_siret_or_siren == "12345678900017"
    assert invoice.lines == EXPECTED_LINES
    assert invoice.vat_breakdown == EXPECTED_VAT
    assert invoice.has_lines and invoice.lines_missing_reason == ""


def test_ap_inv_1_facturx_basic_wl_has_totals_and_vat_but_no_lines(plain_pdf):
    invoice = read_einvoice(facturx_pdf(plain_pdf, cii_xml("basicwl")))

    assert (invoice.syntax, invoice.profile) == ("FACTURX", "BASIC WL")
    assert_header(invoice)
    assert invoice.due_date == D(2026, 4, 1)
    assert invoice.vat_breakdown == EXPECTED_VAT
    assert invoice.lines == () and not invoice.has_lines
    assert invoice.lines_missing_reason == (
        "Le profil BASIC WL ne contient pas de lignes : saisissez-les ou rapprochez sur les totaux.")


def test_ap_inv_1_facturx_minimum_has_totals_only(plain_pdf):
    invoice = read_einvoice(facturx_pdf(plain_pdf, cii_xml("minimum")))

    assert (invoice.syntax, invoice.profile) == ("FACTURX", "MINIMUM")
    assert_header(invoice)
    assert invoice.due_date is None
    assert invoice.seller_siret_or_siren == "123456789"
    assert invoice.lines == () and invoice.vat_breakdown == ()
    assert not invoice.has_lines
    assert invoice.lines_missing_reason == (
        "Le profil MINIMUM ne contient pas de lignes : saisissez-les ou rapprochez sur les totaux.")


def test_ap_inv_1_plain_cii_xml():
    invoice = read_einvoice(cii_xml("en16931"), "facture.xml")

    assert (invoice.syntax, invoice.profile) == ("CII", "EN 16931")
    assert_header(invoice)
    assert invoice.lines == EXPECTED_LINES
    assert invoice.vat_breakdown == EXPECTED_VAT


def test_ap_inv_1_ubl_invoice():
    invoice = read_einvoice(ubl_xml(), "facture.xml")

    assert (invoice.syntax, invoice.profile) == ("UBL", "EN 16931")
    assert_header(invoice)
    assert invoice.due_date == D(2026, 4, 1)
    assert invoice.seller_siret_or_siren == "12345678900017"
    assert invoice.lines == EXPECTED_LINES
    assert invoice.vat_breakdown == EXPECTED_VAT


def test_ap_inv_1_ubl_credit_note():
    credit_note = ubl_xml(**{
        "BT-1": "AV-2026-0007", "BT-3": "381",
        "BG-25": [{"BT-126": "1", "BT-153": "Ramettes A4 80 g (retour)", "BT-129": "4", "BT-130": "C62",
                   "BT-146": "12.50", "BT-131": "50.00", "BT-151": "S", "BT-152": "20"}],
        "BG-23": [{"BT-118": "S", "BT-119": "20", "BT-116": "50.00", "BT-117": "10.00"}],
        "BT-106": "50.00", "BT-109": "50.00", "BT-110": "10.00", "BT-112": "60.00",
        "BT-113": "0.00", "BT-115": "60.00",
    })
    assert b"<CreditNote" in credit_note

    invoice = read_einvoice(credit_note, "avoir.xml")

    assert (invoice.syntax, invoice.kind, invoice.type_code) == ("UBL", "CREDIT_NOTE", "381")
    assert invoice.number == "AV-2026-0007"
    assert invoice.po_reference == "PO-2026-017"
    assert invoice.lines == (EInvoiceLine("Ramettes A4 80 g (retour)", 4000, 1250, 2000, 5000),)
    assert invoice.vat_breakdown == (EInvoiceVat("S", 2000, 5000, 1000),)
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross, invoice.amount_due) == (
        5000, 1000, 6000, 6000)


def test_ap_inv_1_cii_credit_note_type_code():
    invoice = read_einvoice(cii_xml("en16931", **{"BT-3": "381"}))

    assert (invoice.kind, invoice.type_code) == ("CREDIT_NOTE", "381")


def test_ap_inv_1_jpy_amounts_have_no_decimals(plain_pdf):
    yen = {
        "BT-5": "JPY",
        "BG-25": [{"BT-126": "1", "BT-153": "Washi", "BT-129": "3", "BT-130": "C62",
                   "BT-146": "1500", "BT-131": "4500", "BT-151": "S", "BT-152": "10"}],
        "BG-23": [{"BT-118": "S", "BT-119": "10", "BT-116": "4500", "BT-117": "450"}],
        "BT-106": "4500", "BT-109": "4500", "BT-110": "450", "BT-112": "4950", "BT-113": "0",
        "BT-115": "4950",
    }
    invoice = read_einvoice(facturx_pdf(plain_pdf, cii_xml("en16931", **yen)))

    assert invoice.currency == "JPY"
    assert invoice.lines == (EInvoiceLine("Washi", 3000, 1500, 1000, 4500),)
    assert invoice.vat_breakdown == (EInvoiceVat("S", 1000, 4500, 450),)
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross, invoice.amount_due) == (
        4500, 450, 4950, 4950)

    assert read_einvoice(cii_xml("en16931", **dict(yen, **{"BT-112": "4950.00"}))).total_gross == 4950
    message = error_of(cii_xml("en16931", **dict(yen, **{"BT-112": "4950.5"})))
    assert "Total TTC (BT-112)" in message and "JPY" in message and "aucune décimale" in message


def test_ap_inv_1_total_with_too_many_decimals_refused():
    message = error_of(cii_xml("en16931", **{"BT-115": "200.005"}))

    assert message == ("Montant à payer (BT-115) : « 200.005 » a trop de décimales pour la devise EUR "
                       "(2 décimales au plus).")


def test_ap_inv_1_quantity_with_more_than_3_decimals_refused():
    lines = copy.deepcopy(INVOICE["BG-25"])
    lines[1]["BT-129"] = "1.0005"

    message = error_of(cii_xml("en16931", **{"BG-25": lines}))

    assert message.startswith("Ligne 2, quantité (BT-129) : « 1.0005 » a plus de 3 décimales")


def test_ap_inv_1_missing_mandatory_data_named():
    xml = cii_xml("en16931").replace(b"<ram:ID>FA-2026-0042</ram:ID>", b"<ram:ID> </ram:ID>")
    xml = xml.replace(b"<ram:Name>Papeterie Martin SARL</ram:Name>", b"<ram:Name></ram:Name>")

    assert error_of(xml) == ("Données obligatoires absentes de la facture : numéro de facture (BT-1), "
                             "nom du vendeur (BT-27).")


def test_ap_inv_1_corrupt_pdf():
    garbage = b"%PDF-1.7\n" + random.Random(42).randbytes(4000)

    assert error_of(garbage, "facture.pdf").startswith("Le PDF est illisible")


def test_ap_inv_1_pdf_extension_without_pdf_header():
    assert error_of(b"\x89PNG\r\n\x1a\n" + bytes(100), "facture.pdf").startswith("Le PDF est illisible")


def test_ap_inv_1_pdf_without_einvoice_is_a_plain_pdf(plain_pdf):
    with pytest.raises(NoEInvoiceInPdf) as caught:
        read_einvoice(plain_pdf, "facture.pdf")

    assert isinstance(caught.value, EInvoiceError)
    assert str(caught.value) == NO_EINVOICE_MESSAGE


def test_ap_inv_1_pdf_with_unrelated_xml_is_a_plain_pdf(plain_pdf):
    pdf = pdf_with_attachment(plain_pdf, "bon-de-livraison.xml", b"<livraison><colis>2</colis></livraison>")

    with pytest.raises(NoEInvoiceInPdf):
        read_einvoice(pdf)


def test_ap_inv_1_pdf_with_broken_facturx_xml_reported(plain_pdf):
    pdf = pdf_with_attachment(plain_pdf, "factur-x.xml", cii_xml("en16931")[:700])

    with pytest.raises(EInvoiceError) as caught:
        read_einvoice(pdf)

    assert not isinstance(caught.value, NoEInvoiceInPdf)
    assert str(caught.value).startswith("Le fichier factur-x.xml joint au PDF est mal formé (ligne ")


def test_ap_inv_1_xml_not_well_formed_names_the_line():
    xml = b'<?xml version="1.0"?>\n<Invoice>\n  <ID>FA-1</Id>\n</Invoice>\n'

    message = error_of(xml, "facture.xml")

    assert message.startswith("Le fichier XML est mal formé (ligne 3) : ")


def test_ap_inv_1_xml_of_unknown_kind():
    order = b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>'

    message = error_of(order, "commande.xml")

    assert message.startswith("Ce XML n'est pas une facture électronique reconnue (élément racine « Order »)")


def test_ap_inv_1_unknown_cii_profile():
    xml = cii_xml("en16931").replace(b">urn:cen.eu:en16931:2017<", b">urn:example:invoice:1<")

    assert error_of(xml) == ("Profil de facture inconnu (BT-24) : « urn:example:invoice:1 ». "
                             "Profils acceptés : MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED.")


def test_ap_inv_1_neither_pdf_nor_xml():
    assert error_of(b"Numero;Montant\nFA-1;12,00\n", "factures.csv").startswith("Format non reconnu")
    assert error_of(b"", "vide.xml") == "Le fichier est vide."


def test_ap_inv_1_cii_failing_xsd_and_unreadable_quotes_first_error_and_profile():
    xml = cii_xml("en16931").replace(b"<ram:ID>FA-2026-0042</ram:ID>", b"", 1)

    message = error_of(xml, "facture.xml")

    assert message.startswith("La facture CII (profil EN 16931) n'est pas conforme à son schéma XSD, ligne ")
    assert "élément ram:TypeCode inattendu à cet endroit (attendu : ram:ID)" in message
    assert message.endswith("ses données ne peuvent pas être lues : Données obligatoires absentes de la facture : "
                            "numéro de facture (BT-1).")
    assert "{urn:" not in message


def test_ap_inv_1_facturx_pdf_failing_xsd_and_unreadable_refused(plain_pdf):
    xml = cii_xml("basic").replace(b"<ram:ID>FA-2026-0042</ram:ID>", b"", 1)
    pdf = pdf_with_attachment(plain_pdf, "factur-x.xml", xml)

    message = error_of(pdf)

    assert message.startswith("La facture Factur-X (profil BASIC) n'est pas conforme à son schéma XSD")


def test_ap_inv_3_ubl_failing_xsd_but_readable_is_read_and_flagged():
    xml = ubl_xml().replace(b"<cbc:IssueDate>", b"<cbc:Colour>bleu</cbc:Colour><cbc:IssueDate>", 1)

    invoice = read_einvoice(xml)

    assert_header(invoice)
    assert invoice.lines == EXPECTED_LINES and not invoice.conforms
    flag = str(invoice.schema_flag)
    assert flag.startswith("Non conforme au schéma XSD UBL (profil EN 16931) : ligne ")
    assert "élément cbc:Colour inattendu à cet endroit" in flag and "{urn:" not in flag


def test_ap_inv_1_doctype_and_external_entities_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe")
    xml = cii_xml("en16931").replace(
        b"<rsm:CrossIndustryInvoice",
        f'<!DOCTYPE x [<!ENTITY leak SYSTEM "file://{secret}">]><rsm:CrossIndustryInvoice'.encode(), 1,
    ).replace(b"<ram:ID>FA-2026-0042</ram:ID>", b"<ram:ID>&leak;</ram:ID>", 1)

    message = error_of(xml)

    assert message == "Le fichier XML contient une déclaration DOCTYPE, interdite dans une facture électronique."


# --- AP-INV-3: what a receiver can live with ---------------------------------------------------------
# Corpus-like samples (tests/einvoice_samples.py) built with factur-x and lxml for each way older files
# of the public ZUGFeRD / Factur-X corpus differ from today's schemas.

from tests import einvoice_samples as samples  # noqa: E402

COFFEE_LINES = (EInvoiceLine("Café en grains Moka 1 kg", 4000, 1850, 550, 7400),
                EInvoiceLine("Café moulu décaféiné 250 g", 5000, 520, 550, 2600))


@pytest.mark.parametrize("sample, number, fragment", [
    (samples.zugferd2_allowance_order_xml, "RE-2019-1182",
     "élément ram:CategoryTradeTax inattendu à cet endroit (attendu : ram:CalculationPercent, ram:BasisAmount, "
     "ram:ActualAmount)"),
    (samples.german_bankleitzahl_xml, "RE-2019-1183", "élément ram:GermanBankleitzahlID inattendu à cet endroit"),
])
def test_ap_inv_3_zugferd_2_invoice_failing_todays_xsd_is_read_and_flagged(sample, number, fragment):
    invoice = read_einvoice(sample(), "rechnung.xml")

    assert (invoice.syntax, invoice.profile, invoice.number) == ("CII", "EN 16931", number)
    assert (invoice.seller_name, invoice.seller_vat_number, invoice.seller_country) == (
        "Rösterei Hamburg GmbH", "DE136695976", "DE")
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross, invoice.amount_due) == (9000, 495, 9495, 9495)
    assert invoice.lines == COFFEE_LINES
    assert invoice.vat_breakdown == (EInvoiceVat("S", 550, 9000, 495),)
    assert not invoice.conforms
    assert str(invoice.schema_flag).startswith("Non conforme au schéma XSD CII (profil EN 16931) : ligne ")
    assert fragment in str(invoice.schema_flag)


def test_ap_inv_3_minimum_with_a_full_address_is_read_and_flagged(plain_pdf):
    # factur-x refuses to embed a non-conforming XML: attached the way older writers did.
    pdf = pdf_with_attachment(plain_pdf, "factur-x.xml", samples.minimum_with_full_address_xml())
    invoice = read_einvoice(pdf, "M-2019-0077.pdf")

    assert (invoice.syntax, invoice.profile, invoice.number) == ("FACTURX", "MINIMUM", "M-2019-0077")
    assert (invoice.total_net, invoice.total_gross, invoice.seller_vat_number) == (9000, 9495, "DE136695976")
    assert "élément ram:PostcodeCode inattendu à cet endroit (attendu : ram:CountryID)" in str(invoice.schema_flag)


def test_ap_inv_3_the_flag_survives_the_stored_reading():
    from portal.invoices.reading import dump_reading, load_reading

    invoice = read_einvoice(samples.german_bankleitzahl_xml())

    again = load_reading(dump_reading(invoice))

    assert again == invoice and str(again.schema_flag) == str(invoice.schema_flag)


def test_ap_inv_3_schema_flag_is_translated_where_shown():
    english = {"Non conforme au schéma XSD %(syntax)s (profil %(profile)s) : %(issues)s.":
               "Does not conform to the %(syntax)s XSD (profile %(profile)s): %(issues)s.",
               "ligne %(line)s, %(detail)s": "line %(line)s, %(detail)s",
               "élément %(element)s inattendu à cet endroit": "element %(element)s not expected here"}

    def gettext(text, **values):
        text = english.get(text, text)
        return text % values if values else text

    invoice = read_einvoice(samples.german_bankleitzahl_xml())

    assert invoice.schema_flag.translate(gettext) == (
        "Does not conform to the CII XSD (profile EN 16931): line 104, element ram:GermanBankleitzahlID not "
        "expected here.")


@pytest.mark.parametrize("profile", ["basic", "comfort", "extended"])
def test_ap_inv_3_zugferd_1_xml_is_read(profile):
    invoice = read_einvoice(samples.zugferd1_xml(profile, po_number="BC-2015-0007"), "ZUGFeRD-invoice.xml")

    assert (invoice.syntax, invoice.profile, invoice.conforms) == ("ZUGFERD1", profile.upper(), True)
    assert (invoice.number, invoice.issue_date, invoice.due_date) == ("RE-2015-0311", D(2015, 3, 5), D(2015, 4, 4))
    assert (invoice.kind, invoice.type_code, invoice.currency) == ("INVOICE", "380", "EUR")
    assert (invoice.seller_name, invoice.seller_vat_number, invoice.buyer_name) == (
        "Rösterei Hamburg GmbH", "DE136695976", "Épicerie du Port")
    assert invoice.po_reference == "BC-2015-0007"
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross, invoice.amount_due) == (10000, 550, 10550, 10550)
    assert invoice.lines == COFFEE_LINES  # BASIC has no prices: line total / quantity
    assert invoice.vat_breakdown == (EInvoiceVat("S", 550, 10000, 550),)


def test_ap_inv_3_zugferd_1_embedded_in_a_pdf_is_read_not_filed_as_a_plain_pdf():
    for name in ("ZUGFeRD-invoice.xml", "rechnung.xml"):
        invoice = read_einvoice(samples.pdf_with_xml(samples.zugferd1_xml(), name), "RE-2015-0311.pdf")

        assert (invoice.syntax, invoice.profile, invoice.number, invoice.total_gross) == (
            "ZUGFERD1", "COMFORT", "RE-2015-0311", 10550)


def test_ap_inv_3_zugferd_1_failing_its_xsd_is_flagged():
    xml = samples.zugferd1_xml().replace(b"<ram:Name>RECHNUNG</ram:Name>", b"<ram:Titel>RECHNUNG</ram:Titel>")

    invoice = read_einvoice(xml)

    assert invoice.total_gross == 10550 and "ram:Titel" in str(invoice.schema_flag)


def test_ap_inv_3_one_message_for_a_pdf_without_invoice(plain_pdf):
    unrelated = pdf_with_attachment(plain_pdf, "bon-de-livraison.xml", b"<livraison/>")
    for pdf in (plain_pdf, unrelated):
        with pytest.raises(NoEInvoiceInPdf) as caught:
            read_einvoice(pdf, "scan.pdf")
        assert str(caught.value) == NO_EINVOICE_MESSAGE


@pytest.mark.parametrize("flavor, level, references, expected", [
    # EN 16931 CII carries only BT-132: the order number is in it, before the line number.
    ("factur-x", "en16931", [{"BT-132": "BC-2026-0004/1"}, {"BT-132": "BC-2026-0004/2"}],
     ("BC-2026-0004", "BC-2026-0004/1", "BC-2026-0004/2")),
    # EXTENDED carries the order number on the line next to BT-132.
    ("factur-x", "extended", [{"EXT-FR-FE-135": "BC-2026-0004", "BT-132": "1"},
                              {"EXT-FR-FE-135": "BC-2026-0004", "BT-132": "2"}], ("BC-2026-0004",)),
    ("ubl-2.1", "en16931", [{"BT-132": "BC-2026-0004-1"}], ("BC-2026-0004-1", "BC-2026-0004")),
])
def test_ap_inv_3_line_order_references_when_the_header_has_none(flavor, level, references, expected):
    data = samples.coffee_invoice_data(line_references=references)
    xml = facturx.generate_xml(data, flavor=flavor, level=level, check_schematron=False)

    invoice = read_einvoice(xml)

    assert invoice.po_reference == ""
    assert invoice.line_order_references == expected  # the most quoted first
    assert invoice.lines[0].order_line_reference == references[0]["BT-132"]


def test_ap_inv_3_each_xsd_is_compiled_once_per_process():
    from portal.invoices import einvoice

    einvoice._schema.cache_clear()
    for _ in range(3):
        read_einvoice(ubl_xml())
        read_einvoice(cii_xml("en16931"))

    assert einvoice._schema.cache_info().misses == 2 and einvoice._schema.cache_info().hits == 4
