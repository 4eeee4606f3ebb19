"""MONEY-1, MONEY-2 and LOC-1: minor units, strict parsing, French formatting."""
import pytest

from portal.fastmoney import money_formatter
from portal.money import MoneyError, exponent, format_amount_input, format_money, parse_amount

NNBSP = "\u202f"
NBSP = "\u00a0"


def test_money_1_iso_4217_exponents():
    assert (exponent("EUR"), exponent("JPY"), exponent("KWD")) == (2, 0, 3)


def test_money_1_unknown_currency_refused():
    with pytest.raises(MoneyError, match="Devise inconnue"):
        exponent("XYZ1")


@pytest.mark.parametrize(
    "text, currency, expected",
    [
        ("1 234,56", "EUR", 123456),
        ("1234.56", "EUR", 123456),
        ("1234,5", "EUR", 123450),
        (f"1{NNBSP}234,56", "EUR", 123456),
        (f"1{NBSP}234{NBSP}567", "EUR", 123456700),
        ("12,345", "KWD", 12345),
        ("1500", "JPY", 1500),
        ("0,01", "EUR", 1),
        ("  42  ", "EUR", 4200),
    ],
)
def test_money_2_parses_french_and_dot_forms(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    "text, currency, message",
    [
        ("12,345", "EUR", "Trop de décimales"),
        ("12,5", "JPY", "pas de décimales"),
        ("-5", "EUR", "positif"),
        ("0", "EUR", "supérieur à zéro"),
        ("0,00", "EUR", "supérieur à zéro"),
        ("", "EUR", "Saisissez"),
        ("abc", "EUR", "illisible"),
        ("1,234.56", "EUR", "illisible"),
        ("12 34", "EUR", "illisible"),
        ("1e5", "EUR", "illisible"),
        ("99999999999999", "EUR", "trop élevé"),
    ],
)
def test_money_2_refuses_with_clear_message(text, currency, message):
    with pytest.raises(MoneyError, match=message):
        parse_amount(text, currency)


def test_money_2_zero_allowed_only_when_asked():
    assert parse_amount("0", "EUR", allow_zero=True) == 0


def test_money_2_maximum_enforced_with_formatted_limit():
    with pytest.raises(MoneyError, match=f"100,00{NBSP}€"):
        parse_amount("100,01", "EUR", maximum=10000)
    assert parse_amount("100,00", "EUR", maximum=10000) == 10000


def test_loc_1_french_money_format():
    assert format_money(123456, "EUR") == f"1{NNBSP}234,56{NBSP}€"
    assert format_money(1500, "JPY") == f"1{NNBSP}500{NBSP}JPY"
    assert format_money(12345, "KWD") == f"12,345{NBSP}KWD"
    assert format_money(5, "EUR") == f"0,05{NBSP}€"


def test_loc_1_english_format_available():
    assert format_money(123456, "EUR", locale="en_GB") == "€1,234.56"


def test_money_1_input_prefill_round_trips():
    for minor, currency in [(123456, "EUR"), (7, "KWD"), (1500, "JPY")]:
        assert parse_amount(format_amount_input(minor, currency), currency) == minor
    assert format_amount_input(123456, "EUR") == "1234,56"


@pytest.mark.parametrize("locale", ["fr", "fr_FR", "fr_CH", "en", "en_US", "de", "es"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "CHF", "JPY", "KWD"])
def test_loc_1_money_formatter_writes_what_format_money_writes(locale, currency):
    """The formatter of a batch's notes gives Babel's text to the byte, grouping and sign included;
    where it cannot (the currency before the number) it is Babel."""
    import random

    rng = random.Random(f"{locale}{currency}")
    amounts = list(range(-300, 300)) + [10**n + d for n in range(3, 16) for d in (-1, 0, 1)]
    amounts += [rng.randint(-10**14, 10**14) for _ in range(300)]
    fast = money_formatter(currency, locale)
    assert [fast(minor) for minor in amounts + [-minor for minor in amounts]] == \
        [format_money(minor, currency, locale) for minor in amounts + [-minor for minor in amounts]]
