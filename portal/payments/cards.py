"""Card numbers as the portal may see them: Luhn check, network detection for co-badged
cards (PAY-ACQ-3), masking (PAY-ACQ-2) and expiry. No storage here."""
import datetime
from dataclasses import dataclass

from stdnum import luhn
from stdnum.exceptions import ValidationError

NETWORK_LABELS = {
    "CB": "CB",
    "VISA": "Visa",
    "VPAY": "V PAY",
    "MASTERCARD": "Mastercard",
    "MAESTRO": "Maestro",
    "AMEX": "American Express",
}

# Test BINs of the gateway's simulation environment (SPEC PAY-ACQ-1), checked first.
SIMULATOR_BINS = {
    "410000": ("VISA",),
    "420000": ("CB",),
    "430000": ("CB", "VISA"),
    "440000": ("CB", "VPAY"),
    "510000": ("MASTERCARD",),
    "520000": ("CB", "MASTERCARD"),
    "340000": ("AMEX",),
}


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); the form translates it."""
    return text


class CardError(ValueError):
    """A card number or expiry that cannot be used, with a message for the field."""


def clean_number(text):
    """Digits only: spaces and dashes typed by people are dropped."""
    return "".join(ch for ch in (text or "") if ch not in " -\u00a0\u202f")


def check_number(text):
    """Return the card number as digits, or raise CardError saying what is wrong."""
    number = clean_number(text)
    if not number:
        raise CardError(N_("Saisissez le numéro de la carte."))
    if not _ascii_digits(number):
        raise CardError(N_("Le numéro de carte ne contient que des chiffres."))
    if not 12 <= len(number) <= 19:
        raise CardError(N_("Un numéro de carte compte de 12 à 19 chiffres."))
    try:
        luhn.validate(number)
    except ValidationError:
        raise CardError(N_("Numéro de carte invalide (clé de contrôle Luhn incorrecte) : vérifiez la saisie."))
    if not detect_networks(number):
        raise CardError(N_("Ce type de carte n'est pas accepté (CB, Visa, Mastercard, American Express)."))
    return number


def _ascii_digits(text):
    """0-9 only: str.isdigit() also accepts "²" or "١", which int() then refuses (SEC-2)."""
    return text.isascii() and text.isdigit()


def detect_networks(number):
    """Networks a card can be processed on, the domestic scheme (CB) first when co-badged."""
    number = clean_number(number)
    if len(number) < 6 or not _ascii_digits(number[:6]):
        return ()
    if number[:6] in SIMULATOR_BINS:
        return SIMULATOR_BINS[number[:6]]
    prefix2, prefix4 = int(number[:2]), int(number[:4])
    if prefix2 in (34, 37):
        return ("AMEX",)
    if number[0] == "4":
        return ("VISA",)
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return ("MASTERCARD",)
    if prefix2 in (50, 56, 57, 58) or number[0] == "6":
        return ("MAESTRO",)
    return ()


def default_network(networks, shop_default):
    """The network preselected for a co-badged card: the shop's choice of CB or the scheme."""
    if not networks:
        return None
    if shop_default == "CB" and "CB" in networks:
        return "CB"
    schemes = [n for n in networks if n != "CB"]
    return schemes[0] if schemes else networks[0]


def mask(number):
    """BIN + last four at most (PAY-ACQ-2): 430000######0005 style, grouped for reading."""
    number = clean_number(number)
    return number[:6] + "#" * (len(number) - 10) + number[-4:]


@dataclass(frozen=True)
class Expiry:
    year: int
    month: int

    def last_day(self):
        following = datetime.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - datetime.timedelta(days=1)

    def valid_on(self, day):
        return day <= self.last_day()

    def __str__(self):
        return f"{self.month:02d}/{self.year % 100:02d}"


def parse_expiry(text, today):
    """MM/AA or MM/AAAA, also typed 1229, 122029 or 12 / 2029; not in the past (PAY-NEW-1)."""
    raw = (text or "").strip().replace(" ", "")
    if _ascii_digits(raw) and len(raw) in (4, 6):
        raw = f"{raw[:2]}/{raw[2:]}"  # typed without the slash
    parts = raw.replace("-", "/").split("/")
    if len(parts) != 2 or not all(_ascii_digits(p) and len(p) <= 4 for p in parts) or len(parts[1]) not in (2, 4):
        raise CardError(N_("Date d'expiration au format MM/AA, par exemple 09/28."))
    month, year = int(parts[0]), int(parts[1])
    if len(parts[1]) == 2:
        year += 2000
    if not 1 <= month <= 12:
        raise CardError(N_("Le mois d'expiration va de 01 à 12."))
    expiry = Expiry(year, month)
    if not expiry.valid_on(today):
        raise CardError(N_("Cette carte est expirée."))
    if year > today.year + 20:
        raise CardError(N_("Date d'expiration trop lointaine : vérifiez l'année."))
    return expiry


def check_cvv(text, networks):
    """The CVV is checked for shape only, then forgotten (PAY-ACQ-2: never stored or logged)."""
    cvv = (text or "").strip()
    size = 4 if "AMEX" in networks else 3
    if not _ascii_digits(cvv) or len(cvv) != size:
        raise CardError(N_("Le cryptogramme visuel compte 4 chiffres, au recto de la carte.") if size == 4
                        else N_("Le cryptogramme visuel compte 3 chiffres, au dos de la carte."))
    return cvv
