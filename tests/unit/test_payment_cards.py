"""SPEC 2.1, 2.2 and PAY-DET-1 (fraud check): card numbers, the simulator acquirer and the
versioned fraud profile, in plain Python. The card vault is a tiny in-memory fake: no database."""
import dataclasses
import datetime
import hashlib
import inspect
import json

import pytest
from stdnum import luhn

from portal.payments.acquirer import (
    Acquirer,
    Authorisation,
    BankItem,
    SimulatorAcquirer,
    response_label,
    simulator_card,
    simulator_test_cards,
)
from portal.payments.cards import (
    NETWORK_LABELS,
    SIMULATOR_BINS,
    CardError,
    Expiry,
    check_cvv,
    check_number,
    clean_number,
    default_network,
    detect_networks,
    mask,
    parse_expiry,
)
from portal.payments.fraud import FraudProfile, FraudResult, evaluate

D = datetime.date
SPEC_BRANDS = {
    "410000": ("VISA",),
    "420000": ("CB",),
    "430000": ("CB", "VISA"),
    "440000": ("CB", "VPAY"),
    "510000": ("MASTERCARD",),
    "520000": ("CB", "MASTERCARD"),
    "340000": ("AMEX",),
}
REFUSAL_CODES = ["05", "51", "54", "34", "12", "63", "90"]


class FakeVault:
    """The vault interface the simulator uses: store, card, fingerprint_of_token."""

    def __init__(self):
        self.cards = {}
        self.store_calls = []

    def store(self, number, expiry):
        self.store_calls.append((number, expiry))
        token = f"tok_{len(self.cards) + 1}"
        self.cards[token] = (number, expiry)
        return token

    def card(self, token):
        return self.cards[token]

    def fingerprint_of_token(self, token):
        number, _ = self.cards[token]
        return hashlib.sha256(number.encode()).hexdigest()


EXPIRY = Expiry(2030, 12)


def simulator():
    return SimulatorAcquirer(FakeVault())


def stored(acquirer, number, expiry=EXPIRY):
    return acquirer.store_card(number, expiry)


def luhn_number(prefix, length=16):
    """A Luhn-valid number starting with `prefix`, padded with zeros."""
    body = prefix.ljust(length - 1, "0")
    return body + luhn.calc_check_digit(body)


# --- PAY-ACQ-1: the acquirer interface and the simulator ------------------------------


def test_pay_acq_1_simulator_implements_the_acquirer_interface():
    acquirer = simulator()
    assert isinstance(acquirer, Acquirer)
    # PAY-GW-1: the gateway interface both the simulator and the Sips connector honour.
    for method in ("store_card", "card_fingerprint", "card_country", "pay", "validate", "cancel", "refund",
                   "duplicate", "transaction_state", "wallet_means", "delete_wallet_mean", "card_networks"):
        assert method in Acquirer.__abstractmethods__
    # The simulator's own bank side stays, driven by its nightly run.
    for method in ("authorise", "capture", "credit", "chargebacks"):
        assert callable(getattr(acquirer, method))
    with pytest.raises(TypeError):
        Acquirer()


@pytest.mark.parametrize("number, networks, outcome", simulator_test_cards(),
                         ids=[row[0] for row in simulator_test_cards()])
def test_pay_acq_1_every_test_card_is_luhn_valid(number, networks, outcome):
    assert len(number) == 16
    assert luhn.is_valid(number)
    assert check_number(number) == number
    assert detect_networks(number) == networks
    assert outcome


def test_pay_acq_1_test_card_table_covers_every_brand_code_and_scenario():
    rows = simulator_test_cards()
    bins = {number[:6] for number, _, _ in rows}
    codes = {number[-2:] for number, _, _ in rows}
    scenarios = {number[6:8] for number, _, _ in rows}
    assert bins == set(SPEC_BRANDS)
    assert {"00", *REFUSAL_CODES} <= codes
    assert {"11", "22", "33"} <= scenarios
    assert len({number for number, _, _ in rows}) == len(rows)


@pytest.mark.parametrize("bin6, brands", sorted(SPEC_BRANDS.items()))
def test_pay_acq_1_first_six_digits_choose_the_brands(bin6, brands):
    assert SIMULATOR_BINS[bin6] == brands
    assert detect_networks(simulator_card(bin6)) == brands


def test_pay_acq_1_code_00_accepted_with_six_digit_authorisation_number():
    acquirer = simulator()
    token = stored(acquirer, simulator_card("430000", "00", "00"))
    auth = acquirer.authorise(token, 1250, "EUR", "CB", "REF1")
    assert auth.accepted is True
    assert auth.response_code == "00"
    assert len(auth.authorisation_number) == 6 and auth.authorisation_number.isdigit()
    assert auth.fraud_suspected is False
    assert auth.reason == ""


@pytest.mark.parametrize("code", REFUSAL_CODES)
def test_pay_acq_1_last_two_digits_choose_refusal_code(code):
    acquirer = simulator()
    token = stored(acquirer, simulator_card("430000", "00", code))
    auth = acquirer.authorise(token, 1250, "EUR", "CB", "REF1")
    assert auth.accepted is False
    assert auth.response_code == code
    assert auth.authorisation_number == ""
    assert auth.reason == response_label(code)
    assert auth.reason and auth.reason != f"Code réponse {code}"
    assert auth.fraud_suspected is (code == "34")


def test_pay_acq_1_code_34_is_fraud_suspected():
    acquirer = simulator()
    auth = acquirer.authorise(stored(acquirer, simulator_card("430000", "00", "34")), 100, "EUR", "CB", "R")
    assert auth.fraud_suspected is True
    assert "fraude" in auth.reason.lower()


@pytest.mark.parametrize("bin6", ["410000", "520000", "340000"])
def test_pay_acq_1_response_code_applies_to_every_brand_and_scenario(bin6):
    acquirer = simulator()
    for scenario in ("00", "22", "33"):
        auth = acquirer.authorise(stored(acquirer, simulator_card(bin6, scenario, "51")), 100, "EUR", "CB", "R")
        assert (auth.accepted, auth.response_code) == (False, "51")


@pytest.mark.parametrize("ending", ["01", "99", "50", "07", "02", "14"])
def test_pay_acq_1_any_other_ending_is_accepted(ending):
    acquirer = simulator()
    number = simulator_card("430000", "00", ending)
    assert check_number(number) == number
    auth = acquirer.authorise(stored(acquirer, number), 100, "EUR", "CB", "R")
    assert (auth.accepted, auth.response_code) == (True, "00")


def test_pay_acq_1_outcomes_are_deterministic_and_token_reusable():
    acquirer = simulator()
    token = stored(acquirer, simulator_card("520000"))
    first = acquirer.authorise(token, 4200, "EUR", "CB", "REF1")
    again = acquirer.authorise(token, 4200, "EUR", "CB", "REF1")
    # Duplicate-authorise from the stored token: a new reference, a new authorisation.
    duplicate = acquirer.authorise(token, 4200, "EUR", "MASTERCARD", "REF2")
    assert first == again
    assert duplicate.accepted and duplicate.response_code == "00"
    assert len(duplicate.authorisation_number) == 6


def test_pay_acq_1_store_card_goes_to_the_vault_with_stable_fingerprint():
    vault = FakeVault()
    acquirer = SimulatorAcquirer(vault)
    number = simulator_card("430000")
    first, second = acquirer.store_card(number, EXPIRY), acquirer.store_card(number, EXPIRY)
    other = acquirer.store_card(simulator_card("410000"), EXPIRY)
    assert first != second
    assert vault.card(first) == (number, EXPIRY)
    assert acquirer.card_fingerprint(first) == acquirer.card_fingerprint(second)
    assert acquirer.card_fingerprint(first) != acquirer.card_fingerprint(other)


def test_pay_acq_1_scenario_11_capture_refused_at_remittance():
    acquirer = simulator()
    refused_token = stored(acquirer, simulator_card("520000", "11", "00"))
    normal_token = stored(acquirer, simulator_card("520000", "00", "00"))
    # The authorisation is accepted: the refusal happens when sent to the bank.
    assert acquirer.authorise(refused_token, 1000, "EUR", "CB", "R11").accepted
    sent_at = datetime.datetime(2024, 5, 2, 22, 0)
    items = [BankItem(7, refused_token, 1000, "EUR", "R11"), BankItem(8, normal_token, 2000, "EUR", "R00")]
    reports = {report.key: report for report in acquirer.capture(items, sent_at)}
    assert set(reports) == {7, 8}
    assert reports[7].accepted is False
    assert reports[7].response_code != "00"
    assert reports[7].reason
    assert reports[7].error_at == sent_at
    assert reports[8].accepted is True and reports[8].response_code == "00"
    assert reports[7].operation_number != reports[8].operation_number


def test_pay_acq_1_credit_is_sent_and_accepted():
    acquirer = simulator()
    token = stored(acquirer, simulator_card("430000"))
    sent_at = datetime.datetime(2024, 5, 2, 22, 0)
    [report] = acquirer.credit([BankItem(3, token, 500, "EUR", "R")], sent_at)
    assert (report.key, report.accepted, report.response_code) == (3, True, "00")
    assert report.operation_number


def test_pay_acq_1_scenario_22_unpaid_three_days_after_remittance():
    acquirer = simulator()
    unpaid_token = stored(acquirer, simulator_card("520000", "22", "00"))
    normal_token = stored(acquirer, simulator_card("520000", "00", "00"))
    remitted_on = D(2024, 2, 27)
    unpaid_item = BankItem(11, unpaid_token, 3456, "EUR", "R22")
    captured = [(unpaid_item, remitted_on), (BankItem(12, normal_token, 999, "EUR", "R00"), remitted_on)]
    [report] = acquirer.capture([unpaid_item], datetime.datetime(2024, 2, 27, 22))
    assert report.accepted  # the remittance itself goes through
    assert acquirer.chargebacks(captured, remitted_on + datetime.timedelta(days=2)) == []
    on_day_3 = acquirer.chargebacks(captured, remitted_on + datetime.timedelta(days=3))
    assert len(on_day_3) == 1
    [chargeback] = on_day_3
    assert chargeback.key == 11
    assert chargeback.amount == 3456
    assert chargeback.unpaid_date == D(2024, 3, 1)
    assert chargeback.operation_number and chargeback.file_number and chargeback.unpaid_code and chargeback.reason
    # Still known on a later day (a missed run catches up).
    assert [c.key for c in acquirer.chargebacks(captured, D(2024, 3, 10))] == [11]


@pytest.mark.parametrize("scenario, country", [("33", "US"), ("00", "FR"), ("11", "FR"), ("22", "FR")])
def test_pay_acq_1_scenario_33_card_country_us(scenario, country):
    acquirer = simulator()
    token = stored(acquirer, simulator_card("520000", scenario, "00"))
    assert acquirer.card_country(token) == country
    assert acquirer.authorise(token, 100, "EUR", "CB", "R").card_country == country


# --- PAY-ACQ-2: card data ------------------------------------------------------------


@pytest.mark.parametrize("number", [
    "430000000000",  # 12 digits
    "4300001234567",  # 13
    "378282246310005",  # 15
    "4300001111222233",  # 16
    "4300001234567890123",  # 19
])
def test_pay_acq_2_mask_keeps_at_most_bin_and_last_four(number):
    masked = mask(number)
    assert len(masked) == len(number)
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert set(masked[6:-4]) <= {"#"}
    assert sum(ch.isdigit() for ch in masked) <= 10


def test_pay_acq_2_mask_of_typed_number():
    assert mask("4300 0012 3456 7890") == "430000######7890"
    assert mask(simulator_card("430000", "00", "05")) == "430000######" + simulator_card("430000", "00", "05")[-4:]


def test_pay_acq_2_the_acquirer_interface_never_takes_a_cvv():
    for name in Acquirer.__abstractmethods__:
        params = inspect.signature(getattr(Acquirer, name)).parameters
        assert not any("cvv" in p.lower() or "security" in p.lower() or "crypto" in p.lower() for p in params), name
    vault = FakeVault()
    SimulatorAcquirer(vault).store_card("4300000000000005", EXPIRY)
    assert vault.store_calls == [("4300000000000005", EXPIRY)]


def test_pay_acq_2_authorisation_holds_no_card_number():
    acquirer = simulator()
    number = simulator_card("430000")
    auth = acquirer.authorise(stored(acquirer, number), 100, "EUR", "CB", "R")
    assert {f.name for f in dataclasses.fields(Authorisation)} == {
        "accepted", "response_code", "authorisation_number", "card_country", "state", "amount", "fields"}
    assert auth.fields == {}
    assert number not in repr(auth)


def test_pay_acq_2_cvv_error_never_echoes_the_value():
    with pytest.raises(CardError) as refused:
        check_cvv("98761", ("CB", "VISA"))
    assert "98761" not in str(refused.value)


# --- PAY-ACQ-3: co-badged cards --------------------------------------------------------


@pytest.mark.parametrize("bin6, networks", [
    ("430000", ("CB", "VISA")),
    ("520000", ("CB", "MASTERCARD")),
    ("440000", ("CB", "VPAY")),
])
def test_pay_acq_3_co_badged_networks_detected(bin6, networks):
    assert detect_networks(simulator_card(bin6)) == networks
    assert detect_networks(simulator_card(bin6)[:6]) == networks


@pytest.mark.parametrize("bin6, shop_default, expected", [
    ("430000", "CB", "CB"),
    ("430000", "SCHEME", "VISA"),
    ("520000", "CB", "CB"),
    ("520000", "SCHEME", "MASTERCARD"),
    ("440000", "CB", "CB"),
    ("440000", "SCHEME", "VPAY"),
])
def test_pay_acq_3_default_network_follows_shop_setting(bin6, shop_default, expected):
    networks = detect_networks(simulator_card(bin6))
    choice = default_network(networks, shop_default)
    assert choice == expected
    assert choice in networks


@pytest.mark.parametrize("networks, shop_default, expected", [
    (("VISA",), "CB", "VISA"),
    (("CB",), "SCHEME", "CB"),
    (("AMEX",), "CB", "AMEX"),
    ((), "CB", None),
])
def test_pay_acq_3_single_network_cards_default_to_their_network(networks, shop_default, expected):
    assert default_network(networks, shop_default) == expected


@pytest.mark.parametrize("number, networks", [
    ("4111111111111111", ("VISA",)),
    ("5555555555554444", ("MASTERCARD",)),
    ("2221000000000009", ("MASTERCARD",)),
    ("378282246310005", ("AMEX",)),
])
def test_pay_acq_3_networks_of_ordinary_cards(number, networks):
    assert detect_networks(number) == networks


def test_pay_acq_3_every_network_has_a_label():
    for networks in SIMULATOR_BINS.values():
        for network in networks:
            assert NETWORK_LABELS[network]
    assert NETWORK_LABELS["VPAY"] == "V PAY"


# --- PAY-NEW-1: card number, expiry, CVV ---------------------------------------------


def test_pay_new_1_card_number_typed_with_spaces_and_dashes():
    number = simulator_card("430000")
    typed = f"{number[:4]} {number[4:8]}-{number[8:12]}\u00a0{number[12:]}"
    assert clean_number(typed) == number
    assert check_number(typed) == number


def test_pay_new_1_luhn_error_refused():
    number = simulator_card("430000")
    wrong = number[:-3] + str((int(number[-3]) + 1) % 10) + number[-2:]
    assert not luhn.is_valid(wrong)
    with pytest.raises(CardError, match="Luhn"):
        check_number(wrong)


@pytest.mark.parametrize("text, message", [
    ("", "Saisissez"),
    ("4300 00AB 0000 0005", "chiffres"),
    ("43000000005", "12 à 19"),
    ("43000000000000000005", "12 à 19"),
])
def test_pay_new_1_card_number_shape_refused(text, message):
    with pytest.raises(CardError, match=message):
        check_number(text)


def test_pay_new_1_card_number_of_unknown_network_refused():
    number = luhn_number("9")
    assert luhn.is_valid(number)
    with pytest.raises(CardError, match="pas accepté"):
        check_number(number)


@pytest.mark.parametrize("year, month, last", [
    (2024, 2, D(2024, 2, 29)),
    (2023, 2, D(2023, 2, 28)),
    (2100, 2, D(2100, 2, 28)),
    (2025, 4, D(2025, 4, 30)),
    (2025, 12, D(2025, 12, 31)),
    (2026, 1, D(2026, 1, 31)),
])
def test_pay_new_1_expiry_last_day(year, month, last):
    assert Expiry(year, month).last_day() == last


@pytest.mark.parametrize("text, last_day", [
    ("02/24", D(2024, 2, 29)),
    ("02/2023", D(2023, 2, 28)),
    ("12/25", D(2025, 12, 31)),
])
def test_pay_new_1_expiry_valid_on_last_day_refused_day_after(text, last_day):
    assert parse_expiry(text, last_day).last_day() == last_day
    with pytest.raises(CardError, match="expirée"):
        parse_expiry(text, last_day + datetime.timedelta(days=1))


def test_pay_new_1_expiry_valid_on_and_after_last_day():
    expiry = Expiry(2024, 2)
    assert expiry.valid_on(D(2024, 2, 29))
    assert not expiry.valid_on(D(2024, 3, 1))


@pytest.mark.parametrize("text, expected", [
    ("09/28", Expiry(2028, 9)),
    ("9/2028", Expiry(2028, 9)),
    (" 09 / 28 ", Expiry(2028, 9)),
    ("09-28", Expiry(2028, 9)),
    ("0928", Expiry(2028, 9)),  # typed without the slash (issue 11): formatted, not refused
    ("092028", Expiry(2028, 9)),
])
def test_pay_new_1_expiry_formats(text, expected):
    parsed = parse_expiry(text, D(2024, 6, 1))
    assert parsed == expected
    assert str(parsed) == "09/28"


@pytest.mark.parametrize("text, message", [
    ("", "MM/AA"),
    ("ab/cd", "MM/AA"),
    ("13/28", "01 à 12"),
    ("00/28", "01 à 12"),
    ("01/60", "trop lointaine"),
])
def test_pay_new_1_expiry_refused(text, message):
    with pytest.raises(CardError, match=message):
        parse_expiry(text, D(2024, 6, 1))


@pytest.mark.parametrize("cvv, networks", [
    ("123", ("CB", "VISA")),
    ("007", ("MASTERCARD",)),
    ("1234", ("AMEX",)),
    (" 321 ", ("VISA",)),
])
def test_pay_new_1_cvv_shape_accepted(cvv, networks):
    assert check_cvv(cvv, networks) == cvv.strip()


@pytest.mark.parametrize("cvv, networks, size", [
    ("1234", ("CB", "VISA"), 3),
    ("12", ("VISA",), 3),
    ("12a", ("VISA",), 3),
    ("", ("VISA",), 3),
    ("123", ("AMEX",), 4),
])
def test_pay_new_1_cvv_shape_refused(cvv, networks, size):
    with pytest.raises(CardError, match=f"{size} chiffres"):
        check_cvv(cvv, networks)


# --- PAY-DET-1: fraud check with a versioned profile ------------------------------------


def run(profile, amount=1000, currency="EUR", card_country="FR", uses_today=0):
    return evaluate(profile, amount=amount, currency=currency, card_country=card_country, uses_today=uses_today)


def rule(result, name):
    [found] = [r for r in result.rules if r.rule == name]
    return found


def test_pay_det_1_fraud_max_amount_exactly_passes_one_unit_above_fails():
    profile = FraudProfile(max_amount={"EUR": 500000})
    assert run(profile, amount=500000).passed
    above = run(profile, amount=500001)
    assert not above.passed
    assert rule(above, "max_amount").passed is False
    assert rule(above, "card_velocity").passed and rule(above, "card_country").passed


def test_pay_det_1_fraud_currency_without_ceiling():
    result = run(FraudProfile(max_amount={"EUR": 100}), amount=10**9, currency="JPY")
    assert result.passed
    assert "aucun plafond" in rule(result, "max_amount").detail


def test_pay_det_1_fraud_card_velocity_limit():
    profile = FraudProfile(max_uses_per_card_per_day=3)
    assert run(profile, uses_today=2).passed
    assert not rule(run(profile, uses_today=3), "card_velocity").passed


def test_pay_det_1_fraud_blocked_country_with_simulator_card():
    acquirer = simulator()
    us_token = stored(acquirer, simulator_card("520000", "33", "00"))
    fr_token = stored(acquirer, simulator_card("520000", "00", "00"))
    profile = FraudProfile(blocked_countries=("US",))
    blocked = run(profile, card_country=acquirer.card_country(us_token))
    assert not blocked.passed
    assert not rule(blocked, "card_country").passed
    assert "US" in str(rule(blocked, "card_country").detail_text())
    assert run(profile, card_country=acquirer.card_country(fr_token)).passed


def test_pay_det_1_fraud_every_rule_evaluated_without_short_circuit():
    profile = FraudProfile(max_amount={"EUR": 100}, max_uses_per_card_per_day=1, blocked_countries=("US",))
    result = run(profile, amount=101, card_country="US", uses_today=1)
    assert [r.rule for r in result.rules] == ["max_amount", "card_velocity", "card_country"]
    assert [r.passed for r in result.rules] == [False, False, False]
    assert all(r.label and r.detail for r in result.rules)


def test_pay_det_1_fraud_result_keeps_profile_version_and_round_trips():
    profile = FraudProfile(version=7, blocked_countries=("US",))
    result = run(profile, card_country="US")
    assert result.profile_version == 7
    data = json.loads(json.dumps(result.to_dict()))
    assert data["profile_version"] == 7 and data["passed"] is False
    assert FraudResult.from_dict(data) == result


def test_pay_det_1_fraud_profile_settings_round_trip_with_new_version():
    profile = FraudProfile(version=2, max_amount={"EUR": 12345, "USD": 999}, max_uses_per_card_per_day=9,
                           blocked_countries=("US", "RU"))
    settings = json.loads(json.dumps(profile.settings()))
    assert "version" not in settings
    again = FraudProfile.from_settings(3, settings)
    assert again == dataclasses.replace(profile, version=3)
