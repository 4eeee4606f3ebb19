"""Supplier identifiers checked with python-stdnum (AP-SUP-1): SIREN, SIRET, VAT number, IBAN, BIC,
country. Each check returns the compact value or raises IdentifierError with a message that says what
is wrong (French, translated where it is shown: LOC-3), so that a form can show it next to the field."""
import functools
import re
import unicodedata

from babel import Locale
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from portal.numbers import is_ascii_digits
from portal.texts import N_, TextError

_SEPARATORS = re.compile(r"[\s.\-/]")
# Codes Babel knows that ISO 3166-1 does not assign to a country (regions, reserved, user-assigned).
_NOT_ISO_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
# VAT prefixes that differ from the ISO code of the country: Greece uses EL, Northern Ireland XI.
_VAT_PREFIX = {"GR": "EL", "GB": "XI"}
_VAT_COUNTRY = {"EL": "GR", "XI": "GB"}
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")
_iban_registry = numdb.get("iban")


class IdentifierError(TextError):
    """An identifier that fails its check; str() is the French message, translate() the reader's."""


class Country:
    """A country named inside a message, in the reader's language when the message is translated."""

    def __init__(self, code):
        self.code = code

    def localize(self, locale):
        return country_name(self.code, locale)

    def __str__(self):
        return country_name(self.code)

    def __eq__(self, other):
        return isinstance(other, Country) and other.code == self.code


def _compact(value):
    return _SEPARATORS.sub("", value or "").upper()


# --- Countries ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _territories(locale="fr"):
    # Cached: a list names a country per row, and Locale.parse() costs ~15 µs a call.
    return Locale.parse(str(locale or "fr").split("_")[0]).territories


def _is_country(code):
    return len(code) == 2 and code.isalpha() and code not in _NOT_ISO_COUNTRIES and code in _territories()


def country_name(code, locale="fr"):
    """The name of an ISO 3166 alpha-2 code in `locale` (French by default), or the code itself when unknown."""
    return _territories(locale).get(code, code) if code else ""


def _sort_key(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def country_choices(locale="fr"):
    """(code, name in `locale`) of every country, by name as a reader expects (É with E)."""
    codes = [code for code in _territories() if _is_country(code)]
    return sorted(((code, country_name(code, locale)) for code in codes), key=lambda pair: _sort_key(pair[1]))


def check_country(value):
    code = (value or "").strip().upper()
    if not _is_country(code):
        raise IdentifierError(N_("Code pays inconnu : « %(value)s ». Choisissez un pays de la liste "
                                 "(code ISO à deux lettres, FR pour la France)."), value=value)
    return code


# --- SIREN / SIRET --------------------------------------------------------------------------


def check_siren(value):
    number = _compact(value)
    if not is_ascii_digits(number):
        raise IdentifierError(N_("Le SIREN ne contient que des chiffres : 9 chiffres, espaces permis."))
    if len(number) != 9:
        raise IdentifierError(N_("Le SIREN compte 9 chiffres ; vous en avez saisi %(count)s."), count=len(number))
    try:
        return stdnum_siren.validate(number)
    except ValidationError:
        raise IdentifierError(N_("Clé de contrôle SIREN invalide : un chiffre est faux ou inversé, "
                                 "vérifiez les 9 chiffres.")) from None


def check_siret(value, siren=None):
    """A SIRET is the SIREN followed by 5 digits for the establishment; `siren`, when given, must be its start."""
    number = _compact(value)
    if not is_ascii_digits(number):
        raise IdentifierError(N_("Le SIRET ne contient que des chiffres : 14 chiffres, espaces permis."))
    if len(number) != 14:
        raise IdentifierError(N_("Le SIRET compte 14 chiffres (le SIREN puis 5 chiffres d'établissement) ; "
                                 "vous en avez saisi %(count)s."), count=len(number))
    try:
        number = stdnum_siret.validate(number)
    except ValidationError:
        raise IdentifierError(N_("Clé de contrôle SIRET invalide : un chiffre est faux ou inversé, "
                                 "vérifiez les 14 chiffres.")) from None
    if siren and not number.startswith(siren):
        raise IdentifierError(N_("Le SIRET doit commencer par le SIREN %(siren)s ; ses 9 premiers chiffres sont "
                                 "%(start)s."), siren=siren, start=number[:9])
    return number


# --- Intra-community VAT number -------------------------------------------------------------


def vat_prefix(country):
    return _VAT_PREFIX.get(country, country)


def french_vat_number(siren):
    """The French VAT number of a SIREN: FR, a two-digit key, the SIREN."""
    return f"FR{int(siren + '12') % 97:02d}{siren}"


def _vat_prefixes():
    return {vat_prefix(code.upper()) for code in stdnum_vat.MEMBER_STATES}


def check_vat_number(value, country=None, siren=None):
    """An EU VAT number whose prefix matches the supplier's `country`; a French one must carry `siren`."""
    number = _compact(value)
    prefix = number[:2]
    if len(number) < 3 or not prefix.isalpha():
        raise IdentifierError(N_("Un numéro de TVA intracommunautaire commence par le code du pays "
                                 "(2 lettres, FR pour la France), suivi du numéro."))
    prefix_country = _VAT_COUNTRY.get(prefix, prefix)
    if country and vat_prefix(country) not in _vat_prefixes():
        raise IdentifierError(N_("Le numéro de TVA intracommunautaire n'existe que dans l'Union européenne, "
                                 "or le pays du fournisseur est %(country)s : laissez ce champ vide."),
                              country=Country(country))
    if prefix not in _vat_prefixes():
        raise IdentifierError(N_("Préfixe de pays inconnu : « %(prefix)s ». Un numéro de TVA intracommunautaire "
                                 "commence par le code d'un pays de l'Union européenne (FR, DE, BE, EL pour la "
                                 "Grèce…)."), prefix=prefix)
    if country and prefix != vat_prefix(country):
        raise IdentifierError(N_("Ce numéro de TVA commence par %(prefix)s (%(prefix_country)s), or le pays du "
                                 "fournisseur est %(country)s : il doit commencer par %(expected)s."),
                              prefix=prefix, prefix_country=Country(prefix_country), country=Country(country),
                              expected=vat_prefix(country))
    try:
        number = stdnum_vat.validate(number)
    except InvalidChecksum:
        raise IdentifierError(N_("Clé de contrôle TVA invalide : un chiffre est faux ou inversé, "
                                 "vérifiez le numéro de TVA intracommunautaire.")) from None
    except InvalidLength:
        raise IdentifierError(N_("Longueur incorrecte pour un numéro de TVA %(prefix)s (%(prefix_country)s) : "
                                 "vérifiez qu'il est complet."), prefix=prefix,
                              prefix_country=Country(prefix_country)) from None
    except ValidationError:
        raise IdentifierError(N_("Format incorrect pour un numéro de TVA %(prefix)s (%(prefix_country)s) : "
                                 "vérifiez lettres et chiffres."), prefix=prefix,
                              prefix_country=Country(prefix_country)) from None
    if prefix == "FR" and siren and number[4:] != siren:
        raise IdentifierError(N_("Ce numéro de TVA ne correspond pas au SIREN %(siren)s : le numéro attendu est "
                                 "%(expected)s."), siren=siren, expected=french_vat_number(siren))
    return number


# --- Bank details ---------------------------------------------------------------------------


def _iban_length(country):
    """Length of the IBANs of a country from stdnum's registry, or None if it has none."""
    properties = _iban_registry.info(country)[0][1]
    structure = properties.get("bban") if properties else None
    if not structure:
        return None
    return 4 + sum(int(count) for count in re.findall(r"(\d+)!", structure))


def check_iban(value):
    number = _compact(value)
    if not _IBAN_SHAPE.match(number):
        raise IdentifierError(N_("Un IBAN commence par 2 lettres (le pays) et 2 chiffres (la clé), "
                                 "suivis de lettres et de chiffres uniquement."))
    country = number[:2]
    expected = _iban_length(country)
    if expected is None:
        raise IdentifierError(N_("Pays inconnu au début de l'IBAN : « %(country)s ». Un IBAN commence par le code "
                                 "du pays de la banque (FR pour la France)."), country=country)
    if len(number) != expected:
        raise IdentifierError(N_("Un IBAN %(code)s (%(country)s) compte %(expected)s caractères ; vous en avez "
                                 "saisi %(count)s."), code=country, country=Country(country), expected=expected,
                              count=len(number))
    try:
        return stdnum_iban.validate(number)
    except (InvalidChecksum, InvalidComponent):
        raise IdentifierError(N_("Clé de contrôle IBAN invalide : un caractère est faux ou inversé, "
                                 "vérifiez l'IBAN sur le RIB du fournisseur.")) from None
    except (InvalidFormat, InvalidLength, ValidationError):
        raise IdentifierError(N_("Cet IBAN n'a pas la forme des IBAN %(code)s (%(country)s) : vérifiez la place des "
                                 "lettres et des chiffres."), code=country, country=Country(country)) from None


def format_iban(value):
    """Groups of four characters, as printed on a RIB."""
    return stdnum_iban.format(value) if value else ""


def check_bic(value):
    number = _compact(value)
    if len(number) not in (8, 11):
        raise IdentifierError(N_("Le BIC compte 8 ou 11 caractères ; vous en avez saisi %(count)s."),
                              count=len(number))
    if not _BIC_SHAPE.match(number):
        raise IdentifierError(N_("Format de BIC invalide : 4 lettres (la banque), 2 lettres (le pays), 2 lettres ou "
                                 "chiffres (la ville), puis 3 lettres ou chiffres facultatifs (l'agence)."))
    try:
        return stdnum_bic.validate(number)
    except ValidationError:
        raise IdentifierError(N_("Pays inconnu dans le BIC : « %(code)s » (5e et 6e caractères)."),
                              code=number[4:6]) from None
