"""PAY-GW-1 (card networks lookup), PAY-ACQ-3 (co-badging) and PAY-INST-1 on a Sips shop, against the
local fake Office server: the card's networks and issuer country come from Sips' paymentMeanInfo /
getCardData (sealed both ways, the local BIN table only when the service cannot answer), the issuer
country feeds the fraud rule, and a payment in instalments is handed to Sips as one schedule whose
later instalments `flask sync` reads back, authorised (or refused) by Sips on their date."""
import datetime
import logging
import time

import pytest

from models import Operation, Transaction, db
from portal.payments import sips
from portal.payments.acquirer import simulator_card
from portal.payments.cards import Expiry, detect_networks, mask
from portal.payments.gateways import card_networks_for
from portal.payments.instalments import derived_reference, gateway_schedule, prefill
from portal.payments.remittance import remit
from portal.payments.service import NewPayment, create_payment, new_idempotency_key, save_fraud_profile
from portal.payments.sync import sync
from tests.factories import make_shop, make_transaction
from tests.fake_sips import (MERCHANT_ID, SECRET_KEY, UNKNOWN_CARD_CODE, fake_sips, gateway_context,  # noqa: F401
                             make_sips_shop)

CO_BADGED = simulator_card("497010")  # CB + Visa for Sips; the local table only sees a Visa
FOREIGN = simulator_card("520000", "33")  # issued in the USA (fake: scenario 33)


@pytest.fixture
def sips_shop(app, fake_sips):
    return make_sips_shop(app)


@pytest.fixture
def ctx(app, clock):
    return gateway_context(app, clock)


@pytest.fixture
def gateway(app, sips_shop):
    return app.extensions["comptoir.gateways"].for_shop(sips_shop)


# --- The answer, read in one place -------------------------------------------------------------------


def test_pay_gw_1_card_data_answer_gives_networks_cb_first_and_alpha2_country():
    info = sips.card_info_from({"responseCode": "00", "cardDataList": [
        {"paymentMeanBrand": "VISA", "issuerCountryCode": "FRA"}, {"paymentMeanBrand": "CB"},
        {"paymentMeanBrand": "SOMETHING_ELSE"}, {"cardBrand": "VISA"}]})
    assert info == sips.CardInfo(("CB", "VISA"), "FR")


def test_pay_gw_1_card_data_answer_as_one_object_or_scheme_only():
    assert sips.card_info_from({"responseCode": "00", "cardData": {"cardScheme": "MASTERCARD",
                                                                   "issuerCountryCode": "NZL"}}) == \
        sips.CardInfo(("MASTERCARD",), "NZ")
    assert sips.card_info_from({"responseCode": "00", "cardDataList": [{"cardBrand": "AMEX"}]}) == \
        sips.CardInfo(("AMEX",), "")


@pytest.mark.parametrize("fields", [
    {"responseCode": UNKNOWN_CARD_CODE},
    {"responseCode": "00"},
    {"responseCode": "00", "cardDataList": [{"paymentMeanBrand": "UNKNOWN"}]},
    {"responseCode": "00", "cardDataList": "CB"},
])
def test_pay_gw_1_card_data_answer_without_a_brand_is_no_answer(fields):
    assert sips.card_info_from(fields) is None


def test_pay_gw_2_card_order_carries_the_issuer_country_when_sips_gives_it():
    assert sips.answer_from({"responseCode": "00", "issuerCountryCode": "USA"}).card_country == "US"
    assert sips.answer_from({"responseCode": "00"}).card_country == ""


# --- Against the fake Office server ----------------------------------------------------------------


def test_pay_gw_1_card_networks_come_from_sips_with_a_sealed_request(gateway, fake_sips, caplog):
    caplog.set_level(logging.DEBUG)
    assert detect_networks(CO_BADGED) == ("VISA",)  # what the local table alone would offer
    assert gateway.card_networks(MERCHANT_ID, CO_BADGED) == ("CB", "VISA")
    [body] = fake_sips.calls("getCardData")
    assert body["interfaceVersion"] == sips.INTERFACE_VERSIONS["getCardData"]
    assert body["interfaceVersion"].startswith("PMR_WS_2.")
    assert body["merchantId"] == MERCHANT_ID and body["cardNumber"] == CO_BADGED
    assert sips.seal_verifies(body, SECRET_KEY)
    # Asked once per card for a while: typing, then submitting, then the fraud check read it again.
    assert gateway.card_networks(MERCHANT_ID, CO_BADGED) == ("CB", "VISA")
    assert len(fake_sips.calls("getCardData")) == 1
    assert CO_BADGED not in caplog.text


class _Later:
    """sips.time with the monotonic clock moved on."""

    def __init__(self, seconds):
        self.seconds = seconds

    def monotonic(self):
        return time.monotonic() + self.seconds


def test_pay_gw_1_card_networks_fall_back_to_the_local_table_only_without_an_answer(gateway, fake_sips, caplog,
                                                                                   monkeypatch):
    caplog.set_level(logging.INFO)
    fake_sips.set_mode("bad_seal", services={"getCardData"})
    assert gateway.card_networks(MERCHANT_ID, CO_BADGED) == ("VISA",)
    assert "getCardData gave no answer" in caplog.text and CO_BADGED not in caplog.text
    fake_sips.set_mode(None)
    unknown = simulator_card("601100")  # a card Sips does not know (fake: answer 14)
    assert gateway.card_networks(MERCHANT_ID, unknown) == detect_networks(unknown)
    assert "knows no brand" in caplog.text and unknown not in caplog.text
    # No answer is remembered a minute (the fraud check right after does not wait on the network again)...
    assert gateway.card_networks(MERCHANT_ID, CO_BADGED) == ("VISA",)
    assert len(fake_sips.calls("getCardData")) == 2
    # ... then the service is asked again, and its answer is used.
    monkeypatch.setattr(sips, "time", _Later(sips.CARD_INFO_FAILURE_TTL + 1))
    assert gateway.card_networks(MERCHANT_ID, CO_BADGED) == ("CB", "VISA")
    assert len(fake_sips.calls("getCardData")) == 3


def test_pay_gw_3_card_lookup_happens_before_the_payment_transaction(ctx, sips_shop, fake_sips, monkeypatch):
    seen = []
    call = sips.SipsGateway.call

    def watched(self, service, fields):
        seen.append((service, db.in_transaction()))
        return call(self, service, fields)

    monkeypatch.setattr(sips.SipsGateway, "call", watched)
    save_fraud_profile({"max_amount": {"EUR": 500000}, "max_uses_per_card_per_day": 5,
                        "blocked_countries": ["US"]}, None)
    txn = make_transaction(ctx, sips_shop, 1000, card=FOREIGN, reference="AVANT1")  # nothing asked before
    assert txn.state == "FRAUD_SUSPECTED" and txn.card_country == "US"
    assert seen == [("getCardData", False)]


def test_pay_acq_3_networks_offered_follow_the_shop_gateway(app, ctx, sips_shop, fake_sips):
    assert card_networks_for(ctx, sips_shop, CO_BADGED) == ("CB", "VISA")
    simulator_shop = make_shop("Boutique simulateur")
    assert card_networks_for(ctx, simulator_shop, CO_BADGED) == ("VISA",)
    assert card_networks_for(ctx, None, CO_BADGED) == ("VISA",)
    keyless = make_shop("Boutique sans clé", merchant_id="002001000000009", gateway="SIPS_TEST")
    assert card_networks_for(ctx, keyless, CO_BADGED) == ("VISA",)  # no key saved: nothing asked
    assert len(fake_sips.calls("getCardData")) == 1


def test_pay_gw_1_issuer_country_from_sips_feeds_the_fraud_rule(app, ctx, sips_shop, fake_sips):
    save_fraud_profile({"max_amount": {"EUR": 500000}, "max_uses_per_card_per_day": 5,
                        "blocked_countries": ["US"]}, None)
    french = make_transaction(ctx, sips_shop, 1000, card=simulator_card("520000"), reference="PAYSFR1")
    assert french.state == "TO_CAPTURE" and french.card_country == "FR"
    foreign = make_transaction(ctx, sips_shop, 1000, card=FOREIGN, reference="PAYSUS1")
    assert foreign.state == "FRAUD_SUSPECTED" and foreign.card_country == "US"
    assert fake_sips.calls("cardOrder", "PAYSUS1") == []  # refused before anything was asked to pay


def test_pay_gw_1_country_unknown_when_sips_cannot_say(app, ctx, sips_shop, fake_sips):
    save_fraud_profile({"max_amount": {"EUR": 500000}, "max_uses_per_card_per_day": 5,
                        "blocked_countries": ["US"]}, None)
    fake_sips.set_mode("refuse", services={"getCardData"})
    txn = make_transaction(ctx, sips_shop, 1000, card=FOREIGN, reference="PAYSINCONNU1")
    assert txn.state == "TO_CAPTURE" and txn.card_country == ""  # the rule says "pays inconnu"
    assert "pays inconnu" in txn.fraud_result


# --- Payment in instalments on Sips (PAY-INST-1) ----------------------------------------------------


def _instalments(ctx, shop, total=9000, count=3, base="SIPSECH1", card=None):
    card = card or simulator_card("430000")
    schedule = prefill(total, count, ctx.today(), period_days=30)
    networks = detect_networks(card)
    payment = NewPayment(
        shop=shop, reference=derived_reference(base, 1), amount=schedule[0].amount, currency="EUR",
        capture_mode="AUTO", capture_delay=0, network=networks[0], networks=networks, masked_pan=mask(card),
        expiry=Expiry(ctx.today().year + 3, 12), card_number=card, instalment_group=base, instalments=schedule)
    return schedule, create_payment(ctx, payment, None, new_idempotency_key())


def _rows(base):
    return list(Transaction.select().where(Transaction.instalment_group == base).order_by(Transaction.instalment_rank))


def test_pay_inst_1_sips_gets_the_whole_schedule_in_one_sealed_card_order(ctx, sips_shop, fake_sips):
    schedule, first = _instalments(ctx, sips_shop)
    [body] = fake_sips.calls("cardOrder")
    assert body["paymentPattern"] == "INSTALMENT" and body["transactionReference"] == "SIPSECH1E01"
    assert body["amount"] == 9000  # the whole schedule's
    data = body["instalmentData"]
    assert data == {"number": 3, "datesList": [f"{i.due_date:%Y%m%d}" for i in schedule],
                    "transactionReferencesList": ["SIPSECH1E01", "SIPSECH1E02", "SIPSECH1E03"],
                    "amountsList": [3000, 3000, 3000]}
    assert sips.seal_verifies(body, SECRET_KEY)
    assert [t.state for t in _rows("SIPSECH1")] == ["TO_CAPTURE", "TO_AUTHORIZE", "TO_AUTHORIZE"]
    assert first.authorisation_number
    assert {ref for _merchant, ref in fake_sips.ledger} == {"SIPSECH1E01", "SIPSECH1E02", "SIPSECH1E03"}
    assert gateway_schedule("SIPSECH1", schedule)[1] == ("SIPSECH1E02", schedule[1].due_date, 3000)


def test_pay_inst_1_sips_authorises_later_instalments_and_sync_journals_them(ctx, sips_shop, fake_sips, clock):
    schedule, _first = _instalments(ctx, sips_shop)
    # Nothing moves before the date; the simulator's nightly run never authorises a Sips shop's rows.
    remit(ctx, schedule[2].due_date)
    sync(ctx)
    second, third = _rows("SIPSECH1")[1:]
    assert (second.state, third.state) == ("TO_AUTHORIZE", "TO_AUTHORIZE")
    assert not second.operations.exists() and fake_sips.calls("cardOrder", "SIPSECH1E02") == []
    # The gateway's night of the second due date: authorised, then remitted.
    fake_sips.ledger[(MERCHANT_ID, "SIPSECH1E03")].card_number = simulator_card("430000", "00", "51")
    fake_sips.nightly(schedule[1].due_date)
    sync(ctx)
    second, third = _rows("SIPSECH1")[1:]
    assert second.state == "CAPTURED" and second.authorisation_number and second.response_code == "00"
    assert [(op.kind, op.amount, op.succeeded) for op in second.operations.order_by(Operation.id)] == [
        ("AUTHOR", 3000, True), ("CAPTURE", 3000, True)]
    assert third.state == "TO_AUTHORIZE"
    # The third one's date: the issuer refuses it; journaled once, never presented again.
    fake_sips.nightly(schedule[2].due_date)
    sync(ctx)
    third = _rows("SIPSECH1")[2]
    assert third.state == "REFUSED" and third.response_code == "51"
    [author] = list(third.operations)
    assert author.kind == "AUTHOR" and not author.succeeded and author.response_code == "51"
    assert sync(ctx)["changed"] == 0
    assert fake_sips.calls("cardOrder", "SIPSECH1E03") == []  # the portal never asked it itself


def test_pay_inst_1_sips_refusing_the_first_cancels_the_schedule(ctx, sips_shop, fake_sips):
    _schedule, first = _instalments(ctx, sips_shop, base="SIPSREF1", card=simulator_card("430000", "00", "05"))
    assert first.state == "REFUSED"
    assert [t.state for t in _rows("SIPSREF1")[1:]] == ["CANCELLED", "CANCELLED"]
    assert set(fake_sips.ledger) == set()  # Sips created nothing either


def test_pay_inst_1_one_shot_payment_sends_no_instalment_fields(ctx, sips_shop, fake_sips):
    make_transaction(ctx, sips_shop, 1000, reference="UNEFOIS1")
    [body] = fake_sips.calls("cardOrder")
    assert "paymentPattern" not in body and "instalmentData" not in body


def test_pay_inst_1_schedule_dates_are_the_due_dates():
    schedule = prefill(10001, 2, datetime.date(2026, 1, 31), period_days=28)
    fields = sips.instalment_fields(gateway_schedule("B", schedule))
    assert fields["instalmentData"]["datesList"] == ["20260131", "20260228"]
    assert fields["amount"] == 10001 == sum(fields["instalmentData"]["amountsList"])
