"""Supplier identifiers checked with python-stdnum (AP-SUP-1): SIREN, SIRET, VAT number, IBAN, BIC,
country. Each check returns the compact value or raises IdentifierError with a French message that
says what is wrong, so that a form can show it next to the field."""
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

_SEPARATORS = re.compile(r"[\s.\-/]")
# Codes Babel knows that ISO 3166-1 does not assign to a country (regions, reserved, user-assigned).
_NOT_ISO_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
# VAT prefixes that differ from the ISO code of the country: Greece uses EL, Northern Ireland XI.
_VAT_PREFIX = {"GR": "EL", "GB": "XI"}
_VAT_COUNTRY = {"EL": "GR", "XI": "GB"}
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")
_iban_registry = numdb.get("iban")


class IdentifierError(ValueError):
    """An identifier that fails its check; str() is the message for the user."""


def _compact(value):
    return _SEPARATORS.sub("", value or "").upper()


# --- Countries ------------------------------------------------------------------------------


def _territories():
    return Locale("fr").territories


def _is_country(code):
    return len(code) == 2 and code.isalpha() and code not in _NOT_ISO_COUNTRIES and code in _territories()


def country_name(code):
    """The French name of an ISO 3166 alpha-2 code, or the code itself when unknown."""
    return _territories().get(code, code) if code else ""


def _sort_key(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def country_choices():
    """(code, French name) of every country, by name as a French reader expects (É with E)."""
    codes = [code for code in _territories() if _is_country(code)]
    return sorted(((code, country_name(code)) for code in codes), key=lambda pair: _sort_key(pair[1]))


def check_country(value):
    code = (value or "").strip().upper()
    if not _is_country(code):
        raise IdentifierError(f"Code pays inconnu : « {value} ». Choisissez un pays de la liste "
                              "(code ISO à deux lettres, FR pour la France).")
    return code


# --- SIREN / SIRET --------------------------------------------------------------------------


def check_siren(value):
    number = _compact(value)
    if not is_ascii_digits(number):
        raise IdentifierError("Le SIREN ne contient que des chiffres : 9 chiffres, espaces permis.")
    if len(number) != 9:
        raise IdentifierError(f"Le SIREN compte 9 chiffres ; vous en avez saisi {len(number)}.")
    try:
        return stdnum_siren.validate(number)
    except ValidationError:
        raise IdentifierError("Clé de contrôle SIREN invalide : un chiffre est faux ou inversé, "
                              "vérifiez les 9 chiffres.") from None


def check_siret(value, siren=None):
    """A SIRET is the SIREN followed by 5 digits for the establishment; `siren`, when given, must be its start."""
    number = _compact(value)
    if not is_ascii_digits(number):
        raise IdentifierError("Le SIRET ne contient que des chiffres : 14 chiffres, espaces permis.")
    if len(number) != 14:
        raise IdentifierError("Le SIRET compte 14 chiffres (le SIREN puis 5 chiffres d'établissement) ; "
                              f"vous en avez saisi {len(number)}.")
    try:
        number = stdnum_siret.validate(number)
    except ValidationError:
        raise IdentifierError("Clé de contrôle SIRET invalide : un chiffre est faux ou inversé, "
                              "vérifiez les 14 chiffres.") from None
    if siren and not number.startswith(siren):
        raise IdentifierError(f"Le SIRET doit commencer par le SIREN {siren} ; "
                              f"ses 9 premiers chiffres sont {number[:9]}.")
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
        raise IdentifierError("Un numéro de TVA intracommunautaire commence par le code du pays "
                              "(2 lettres, FR pour la France), suivi du numéro.")
    prefix_country = _VAT_COUNTRY.get(prefix, prefix)
    if country and vat_prefix(country) not in _vat_prefixes():
        raise IdentifierError(f"Le numéro de TVA intracommunautaire n'existe que dans l'Union européenne, "
                              f"or le pays du fournisseur est {country_name(country)} : laissez ce champ vide.")
    if prefix not in _vat_prefixes():
        raise IdentifierError(f"Préfixe de pays inconnu : « {prefix} ». Un numéro de TVA intracommunautaire "
                              "commence par le code d'un pays de l'Union européenne (FR, DE, BE, EL pour la Grèce…).")
    if country and prefix != vat_prefix(country):
        raise IdentifierError(f"Ce numéro de TVA commence par {prefix} ({country_name(prefix_country)}), "
                              f"or le pays du fournisseur est {country_name(country)} : "
                              f"il doit commencer par {vat_prefix(country)}.")
    try:
        number = stdnum_vat.validate(number)
    except InvalidChecksum:
        raise IdentifierError("Clé de contrôle TVA invalide : un chiffre est faux ou inversé, "
                              "vérifiez le numéro de TVA intracommunautaire.") from None
    except InvalidLength:
        raise IdentifierError(f"Longueur incorrecte pour un numéro de TVA {prefix} "
                              f"({country_name(prefix_country)}) : vérifiez qu'il est complet.") from None
    except ValidationError:
        raise IdentifierError(f"Format incorrect pour un numéro de TVA {prefix} "
                              f"({country_name(prefix_country)}) : vérifiez lettres et chiffres.") from None
    if prefix == "FR" and siren and number[4:] != siren:
        raise IdentifierError(f"Ce numéro de TVA ne correspond pas au SIREN {siren} : "
                              f"le numéro attendu est {french_vat_number(siren)}.")
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
        raise IdentifierError("Un IBAN commence par 2 lettres (le pays) et 2 chiffres (la clé), "
                              "suivis de lettres et de chiffres uniquement.")
    country = number[:2]
    expected = _iban_length(country)
    if expected is None:
        raise IdentifierError(f"Pays inconnu au début de l'IBAN : « {country} ». "
                              "Un IBAN commence par le code du pays de la banque (FR pour la France).")
    if len(number) != expected:
        raise IdentifierError(f"Un IBAN {country} ({country_name(country)}) compte {expected} caractères ; "
                              f"vous en avez saisi {len(number)}.")
    try:
        return stdnum_iban.validate(number)
    except (InvalidChecksum, InvalidComponent):
        raise IdentifierError("Clé de contrôle IBAN invalide : un caractère est faux ou inversé, "
                              "vérifiez l'IBAN sur le RIB du fournisseur.") from None
    except (InvalidFormat, InvalidLength, ValidationError):
        raise IdentifierError(f"Cet IBAN n'a pas la forme des IBAN {country} ({country_name(country)}) : "
                              "vérifiez la place des lettres et des chiffres.") from None


def format_iban(value):
    """Groups of four characters, as printed on a RIB."""
    return stdnum_iban.format(value) if value else ""


def check_bic(value):
    number = _compact(value)
    if len(number) not in (8, 11):
        raise IdentifierError(f"Le BIC compte 8 ou 11 caractères ; vous en avez saisi {len(number)}.")
    if not _BIC_SHAPE.match(number):
        raise IdentifierError("Format de BIC invalide : 4 lettres (la banque), 2 lettres (le pays), "
                              "2 lettres ou chiffres (la ville), puis 3 lettres ou chiffres facultatifs (l'agence).")
    try:
        return stdnum_bic.validate(number)
    except ValidationError:
        raise IdentifierError(f"Pays inconnu dans le BIC : « {number[4:6]} » (5e et 6e caractères).") from None
