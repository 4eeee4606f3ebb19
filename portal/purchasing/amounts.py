"""Exact amounts of purchase documents: quantities in thousandths, prices in minor units, VAT
rates in basis points. Line nets are rounded half-up to the minor unit (the invoicing rule of
EN 16931), VAT is computed per rate on the sum of the line nets. No float anywhere."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.money import plain_decimal

VAT_RATES = (2000, 1000, 550, 210, 0)  # French rates: 20 %, 10 %, 5,5 %, 2,1 %, 0 %
# A billion units: far above any order, and quantity × price stays within 64 bits.
MAX_QUANTITY_MILLI = 10**12


def N_(text):
    """Marks a French text for the catalogue; forms translate str(QuantityError) (LOC-3)."""
    return text


class QuantityError(ValueError):
    """str() is a French text of the catalogue."""


def _round_half_up(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_net(quantity_milli: int, unit_price: int) -> int:
    return _round_half_up(quantity_milli * unit_price, 1000)


def vat_amount(base: int, rate_bp: int) -> int:
    return _round_half_up(base * rate_bp, 10000)


@dataclass(frozen=True)
class Totals:
    net: int
    vat: int
    gross: int
    by_rate: tuple  # ((rate_bp, base, vat), ...) highest rate first


def totals(lines) -> Totals:
    """`lines` yields (quantity_milli, unit_price, vat_rate_bp)."""
    bases = {}
    for quantity_milli, unit_price, rate in lines:
        bases[rate] = bases.get(rate, 0) + line_net(quantity_milli, unit_price)
    by_rate = tuple((rate, base, vat_amount(base, rate)) for rate, base in sorted(bases.items(), reverse=True))
    net = sum(base for _, base, _ in by_rate)
    vat = sum(amount for _, _, amount in by_rate)
    return Totals(net, vat, net + vat, by_rate)


def parse_quantity(text) -> int:
    """`2,5` or `2.5` -> 2500 thousandths; at most 3 decimals, positive."""
    raw = (text or "").strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not raw:
        raise QuantityError(N_("Saisissez une quantité."))
    if raw.startswith("-"):
        raise QuantityError(N_("La quantité doit être supérieure à zéro."))
    value = plain_decimal(raw)
    if value is None:
        raise QuantityError(N_("Quantité illisible : écrivez par exemple 10 ou 2,5."))
    if value <= 0:
        raise QuantityError(N_("La quantité doit être supérieure à zéro."))
    # Checked before the decimals: quantize() fails on a number of more than 25 digits.
    if value * 1000 > MAX_QUANTITY_MILLI:
        raise QuantityError(N_("Quantité trop grande : un milliard au plus."))
    if value != value.quantize(Decimal("0.001")):
        raise QuantityError(N_("Trois décimales au plus pour une quantité."))
    return int(value * 1000)


def format_quantity(quantity_milli: int) -> str:
    """2500 -> « 2,5 », 10000 -> « 10 » (French decimal comma)."""
    text = format(Decimal(quantity_milli) / 1000, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def format_rate(rate_bp: int) -> str:
    """2000 -> « 20 % », 550 -> « 5,5 % »."""
    return format_quantity(rate_bp * 10) + "\u00a0%"


def parse_rate(text) -> int:
    raw = (text or "").strip().rstrip("%").strip().replace(",", ".")
    value = plain_decimal(raw)
    if value is None:
        raise QuantityError(N_("Taux de TVA illisible : écrivez par exemple 20 ou 5,5."))
    if value < 0 or value > 100 or value != value.quantize(Decimal("0.01")):
        raise QuantityError(N_("Taux de TVA entre 0 et 100, deux décimales au plus."))
    return int(value * 100)
