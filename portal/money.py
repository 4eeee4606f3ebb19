"""Money in integer minor units (MONEY-1): parsing French or dot input (MONEY-2), Babel formatting (LOC-1)."""
import re
from decimal import Decimal

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, format_decimal

from portal.texts import N_, TextError

# Largest amount accepted anywhere: 10^12 minor units keeps every total within 64 bits.
MAX_MINOR_UNITS = 10**12

# Regular, no-break and narrow no-break spaces are all accepted as thousands separators.
_SPACES = " \u00a0\u202f"
# ASCII digits only: "²" or Arabic-Indic digits are not amounts a merchant types (SEC-2).
_GROUPED = re.compile(r"^([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+)(?:[.,]([0-9]+))?$")
_PLAIN = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?$")
# Far above MAX_MINOR_UNITS, far below what int() refuses to convert.
_MAX_INPUT_LENGTH = 40


_PLAIN_DECIMAL = re.compile(r"^[0-9]{1,30}(?:\.[0-9]{1,15})?$")


def plain_decimal(raw):
    """Decimal of a `123.45` text made of ASCII digits, or None. Refuses what Decimal() would
    otherwise accept and a merchant never types: exponents, NaN, Infinity, Unicode digits,
    thousands of digits (SEC-2)."""
    return Decimal(raw) if _PLAIN_DECIMAL.match(raw or "") else None


class MoneyError(TextError):
    """An amount that cannot be accepted. str() is the French message; `translate(gettext, locale)`
    (or portal.texts.in_user_language) gives it in the reader's language (LOC-3)."""


class Amount:
    """An amount shown inside a message, formatted in the reader's locale when it is translated."""

    def __init__(self, minor, currency):
        self.minor, self.currency = minor, currency

    def localize(self, locale):
        return format_money(self.minor, self.currency, locale=locale)

    def __eq__(self, other):
        return isinstance(other, Amount) and (self.minor, self.currency) == (other.minor, other.currency)


def exponent(currency):
    """ISO 4217 minor-unit exponent: EUR 2, JPY 0, KWD 3."""
    code = (currency or "").upper()
    if len(code) != 3 or not code.isalpha() or code not in Locale("en").currencies:
        raise MoneyError(N_("Devise inconnue : « %(currency)s »."), currency=currency)
    return get_currency_precision(code)


def parse_amount(text, currency, *, allow_zero=False, maximum=None):
    """Parse `1 234,56`, `1234,5` or `1234.56` into minor units, or raise MoneyError.

    Never rounds: more decimals than the currency has is an error.
    """
    digits = exponent(currency)
    raw = (text or "").strip()
    if not raw:
        raise MoneyError(N_("Saisissez un montant."))
    if raw.startswith("-"):
        raise MoneyError(N_("Le montant doit être positif."))
    if len(raw) > _MAX_INPUT_LENGTH:
        raise MoneyError(N_("Montant trop élevé."))
    match = _GROUPED.match(raw) or _PLAIN.match(raw)
    if not match:
        raise MoneyError(N_("Montant illisible : écrivez par exemple 1 234,56 ou 1234.56."))
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        if digits == 0:
            raise MoneyError(N_("La devise %(currency)s n'a pas de décimales."), currency=currency.upper())
        raise MoneyError(N_("Trop de décimales : %(digits)s au plus pour %(currency)s."), digits=digits,
                             currency=currency.upper())
    whole = "".join(ch for ch in whole if ch not in _SPACES)
    minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if minor == 0 and not allow_zero:
        raise MoneyError(N_("Le montant doit être supérieur à zéro."))
    if minor > MAX_MINOR_UNITS:
        raise MoneyError(N_("Montant trop élevé."))
    if maximum is not None and minor > maximum:
        raise MoneyError(N_("Le montant dépasse le maximum autorisé (%(maximum)s)."),
                         maximum=Amount(maximum, currency))
    return minor


def to_decimal(minor, currency):
    """Exact Decimal value of an amount, for formatting and exports (never a float)."""
    return Decimal(int(minor)).scaleb(-exponent(currency))


def format_money(minor, currency, locale="fr_FR"):
    """`123456, 'EUR'` -> `1 234,56 €` (narrow no-break space grouping in French)."""
    return format_currency(to_decimal(minor, currency), currency.upper(), locale=locale)


def format_amount_input(minor, currency, locale="fr_FR"):
    """Amount without currency sign and without grouping, as pre-filled in a form field."""
    digits = exponent(currency)
    pattern = "0" if digits == 0 else "0." + "0" * digits
    return format_decimal(to_decimal(minor, currency), format=pattern, locale=locale)
