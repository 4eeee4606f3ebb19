"""PAY-GW-2, PAY-GW-3: the Sips Office connector — the seal (public test vector), the one mapping
of Sips statuses and response codes onto the portal's states, and, against the local fake Office
server, that timeouts, bad seals, refusals and "99" lose nothing and charge nothing twice."""
import json
import logging

import pytest

from models import AuditRecord, Operation, Shop, Transaction
from portal.payments import sips
from portal.payments.acquirer import GatewayRef, GatewayUnavailable, simulator_card
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState
from portal.payments.service import new_idempotency_key, perform_operation
from portal.payments.sync import UNKNOWN_GRACE, refresh_transaction, sync
from tests.factories import make_transaction
from tests.fake_sips import MERCHANT_ID, SECRET_KEY, fake_sips, gateway_context, make_sips_shop  # noqa: F401

RIGHTS = {"view", "validate", "cancel", "refund", "duplicate"}


# --- The seal ----------------------------------------------------------------------------------------


def test_pay_gw_2_seal_public_test_vector():
    assert sips.seal_text("This is a test!", "superSafeSecretKey") == \
        "198e5f278e3f8548e174e84492953c4871732278b7e2aa2cbf20bb1ab85914ea"


def test_pay_gw_2_seal_orders_fields_and_expands_lists_and_objects():
    fields = {"merchantId": "M", "amount": 100, "keyVersion": "3", "seal": "x", "sealAlgorithm": "HMAC-SHA-256",
              "list": ["b", "a"], "nested": {"z": "2", "y": "1"}, "flag": True}
    # amount, flag, list (in order), merchantId, nested (y then z); keyVersion, seal, sealAlgorithm out.
    assert sips.seal_data(fields) == "100trueba" + "M" + "12"
    assert sips.compute_seal(fields, "k") == sips.seal_text("100truebaM12", "k")
    sealed = {**fields, "seal": sips.compute_seal(fields, "k")}
    assert sips.seal_verifies(sealed, "k") and not sips.seal_verifies(sealed, "other")
    assert not sips.seal_verifies({**sealed, "amount": 101}, "k")


# --- One place for the mapping, one test per mapping ------------------------------------------------------


@pytest.mark.parametrize("status,state", sorted(sips.STATUS_TO_STATE.items()))
def test_pay_gw_2_every_sips_status_maps_to_a_portal_state(status, state):
    assert sips.state_for_status(status) == state
    assert TransactionState(state).label  # a state the portal shows


def test_pay_gw_2_unknown_status_maps_to_nothing():
    assert sips.state_for_status("SOMETHING_NEW") is None and sips.state_for_status("") is None


@pytest.mark.parametrize("fields,accepted,code", [
    ({"responseCode": "00", "acquirerResponseCode": "00"}, True, "00"),
    ({"responseCode": "05", "acquirerResponseCode": "51"}, False, "51"),
    ({"responseCode": "05", "acquirerResponseCode": "54"}, False, "54"),
    ({"responseCode": "05"}, False, "05"),
    ({"responseCode": "34", "acquirerResponseCode": "34"}, False, "34"),
    ({"responseCode": "12"}, False, "12"),
    ({"responseCode": "24"}, False, "24"),
    ({"responseCode": "25"}, False, "25"),
    ({"responseCode": "94"}, False, "94"),
    ({"responseCode": "97"}, False, "97"),
])
def test_pay_gw_2_response_codes_map_to_an_outcome(fields, accepted, code):
    answer = sips.answer_from(fields)
    assert answer.accepted is accepted and answer.response_code == code
    assert answer.fraud_suspected is (code == "34")


@pytest.mark.parametrize("code", sorted(sips.NO_DECISION_CODES))
def test_pay_gw_3_codes_that_decide_nothing_mean_read_the_state(code):
    with pytest.raises(GatewayUnavailable) as unavailable:
        sips.answer_from({"responseCode": code})
    assert unavailable.value.maybe_processed


def test_pay_gw_2_new_status_of_a_cash_operation_is_mapped():
    assert sips.answer_from({"responseCode": "00", "newStatus": "CANCELLED"}).state == "CANCELLED"


# --- Against the fake Office server -------------------------------------------------------------------


@pytest.fixture
def sips_shop(app, fake_sips):
    return make_sips_shop(app)


@pytest.fixture
def ctx(app, clock):
    return gateway_context(app, clock)


def _txn(reference):
    return Transaction.get(Transaction.reference == reference)


def test_pay_gw_2_requests_are_sealed_json_with_the_documented_fields(ctx, sips_shop, fake_sips):
    txn = make_transaction(ctx, sips_shop, 1234, reference="CHAMPS1")
    [body] = fake_sips.calls("cardOrder")
    assert body["interfaceVersion"] == sips.INTERFACE_VERSIONS["cardOrder"]
    assert body["merchantId"] == MERCHANT_ID and body["keyVersion"] == "1"
    assert body["amount"] == 1234 and body["currencyCode"] == "978" and body["orderChannel"] == "MOTO"
    assert body["captureMode"] == "AUTHOR_CAPTURE" and body["captureDay"] == 0
    assert body["transactionReference"] == "CHAMPS1" and body["paymentMeanBrand"] == "CB"
    assert sips.seal_verifies(body, SECRET_KEY)
    assert SECRET_KEY not in json.dumps(body)
    assert txn.state == "TO_CAPTURE"


def test_pay_gw_3_timeout_on_payment_reads_the_state_and_charges_once(ctx, sips_shop, fake_sips):
    fake_sips.set_mode("timeout", services={"cardOrder"}, times=1)
    txn = make_transaction(ctx, sips_shop, 5000, reference="LENT1")
    assert txn.state == "TO_CAPTURE" and len(txn.authorisation_number) == 6  # learnt by reading the state
    assert len(fake_sips.calls("cardOrder", "LENT1")) == 1
    assert len(fake_sips.calls("getTransactionData", "LENT1")) == 1
    [author] = list(txn.operations)
    assert author.succeeded and author.gateway_status == ""


def test_pay_gw_3_bad_seal_is_no_answer(ctx, sips_shop, fake_sips):
    fake_sips.set_mode("bad_seal", services={"cardOrder"}, times=1)
    txn = make_transaction(ctx, sips_shop, 5000, reference="SCEAU1")
    assert txn.state == "TO_CAPTURE"
    assert len(fake_sips.calls("cardOrder", "SCEAU1")) == 1


def test_pay_gw_3_no_answer_at_all_stays_unknown_then_sync_settles_it(ctx, sips_shop, fake_sips, clock):
    fake_sips.set_mode("bad_seal")  # every answer, the state reading too
    key = new_idempotency_key()
    from portal.payments.cards import Expiry, detect_networks, mask
    from portal.payments.service import NewPayment, create_payment

    card = simulator_card("430000")
    payment = NewPayment(shop=sips_shop, reference="PERDU1", amount=7000, currency="EUR", capture_mode="AUTO",
                         capture_delay=0, network="CB", networks=detect_networks(card), masked_pan=mask(card),
                         expiry=Expiry(2030, 12), card_number=card)
    txn = create_payment(ctx, payment, None, key)
    [author] = list(txn.operations)
    assert author.gateway_status == "UNKNOWN" and not author.succeeded
    # The same form sent again asks nothing more.
    again = create_payment(ctx, payment, None, key)
    assert again.id == txn.id and len(fake_sips.calls("cardOrder", "PERDU1")) == 1
    # Operations wait for the answer.
    refused = perform_operation(ctx, txn.id, Kind.CANCEL, 100, None, RIGHTS, new_idempotency_key())
    assert not refused.succeeded and refused.reason == "gateway_pending"
    fake_sips.set_mode(None)
    assert sync(ctx) == {"read": 1, "changed": 1, "unreachable": 0}
    txn = _txn("PERDU1")
    author = txn.operations.where(Operation.kind == Kind.AUTHOR).get()
    assert author.succeeded and author.gateway_status == "" and txn.authorisation_number
    assert len(fake_sips.calls("cardOrder", "PERDU1")) == 1


def test_pay_gw_3_never_received_payment_is_settled_as_not_charged_after_grace(ctx, sips_shop, fake_sips, clock):
    fake_sips.set_mode("refuse", services={"cardOrder", "getTransactionData"})  # HTTP 503: nothing recorded
    txn = make_transaction(ctx, sips_shop, 7000, reference="JAMAIS1")
    assert txn.operations.get().gateway_status == "UNKNOWN"
    fake_sips.set_mode(None)
    refresh_transaction(ctx, txn.id)  # the gateway does not know it, but it is too early to say
    assert _txn("JAMAIS1").operations.get().gateway_status == "UNKNOWN"
    clock.advance(seconds=UNKNOWN_GRACE.total_seconds() + 1)
    result = refresh_transaction(ctx, txn.id)
    txn = _txn("JAMAIS1")
    assert result.changed and txn.state == "REFUSED" and txn.response_code == "90"
    assert fake_sips.ledger == {}


def test_pay_gw_3_answer_99_reads_the_state_before_deciding(ctx, sips_shop, fake_sips):
    fake_sips.set_mode("99", services={"cardOrder"}, times=1)
    txn = make_transaction(ctx, sips_shop, 5000, reference="NEUF1")
    # 99 answered without processing: the state says "unknown to the gateway" -> still unknown, asked once.
    assert txn.operations.get().gateway_status == "UNKNOWN"
    assert len(fake_sips.calls("cardOrder", "NEUF1")) == 1 and fake_sips.ledger == {}


def test_pay_gw_3_unreachable_gateway_says_so_and_charges_nothing(ctx, app, sips_shop, fake_sips):
    app.config["SIPS_TEST_URL"] = "http://127.0.0.1:9"  # nothing listens: connection refused
    txn = make_transaction(ctx, sips_shop, 5000, reference="INJOIGNABLE1")
    author = txn.operations.get()
    assert txn.state == "REFUSED" and txn.response_code == "90" and not author.succeeded
    assert "injoignable" in author.reason and "aucun débit" in author.reason


def test_pay_gw_3_refund_timeout_is_checked_and_never_sent_twice(ctx, sips_shop, fake_sips, clock):
    txn = make_transaction(ctx, sips_shop, 10000, reference="REMB1")
    fake_sips.nightly()
    sync(ctx)
    fake_sips.set_mode("timeout", services={"refund"}, times=1)
    key = new_idempotency_key()
    outcome = perform_operation(ctx, txn.id, Kind.CREDIT, 4000, None, RIGHTS, key)
    # The state read after the timeout shows the refund: it is confirmed, not lost.
    assert outcome.succeeded, outcome.message
    again = perform_operation(ctx, txn.id, Kind.CREDIT, 4000, None, RIGHTS, key)
    assert again.replayed and len(fake_sips.calls("refund", "REMB1")) == 1
    assert fake_sips.ledger[(MERCHANT_ID, "REMB1")].credited == 4000
    assert _txn("REMB1").state == "TO_CREDIT"


def test_pay_gw_3_cancel_with_no_answer_holds_the_amount_until_sync(ctx, sips_shop, fake_sips):
    txn = make_transaction(ctx, sips_shop, 10000, reference="ANNUL1")
    fake_sips.set_mode("bad_seal", services={"cancel", "getTransactionData"}, times=2)
    outcome = perform_operation(ctx, txn.id, Kind.CANCEL, 10000, None, RIGHTS, new_idempotency_key())
    assert not outcome.succeeded and outcome.reason == "gateway_unknown"
    assert "Ne la recommencez pas" in outcome.message
    assert sync(ctx)["changed"] == 1
    txn = _txn("ANNUL1")
    assert txn.state == "CANCELLED" and len(fake_sips.calls("cancel", "ANNUL1")) == 1


def test_pay_gw_3_refused_operation_by_the_gateway_changes_nothing(ctx, sips_shop, fake_sips):
    txn = make_transaction(ctx, sips_shop, 10000, reference="VAL24")
    outcome = perform_operation(ctx, txn.id, Kind.CANCEL, 500, None, RIGHTS, new_idempotency_key())
    assert outcome.succeeded
    fake_sips.ledger[(MERCHANT_ID, "VAL24")].status = "CAPTURED"  # the gateway remitted meanwhile
    outcome = perform_operation(ctx, txn.id, Kind.CANCEL, 500, None, RIGHTS, new_idempotency_key())
    assert not outcome.succeeded and outcome.reason == "gateway_refused" and "24" in outcome.operation.response_code
    cancels = _txn("VAL24").operations.where((Operation.kind == Kind.CANCEL) & Operation.succeeded)
    assert sum(op.amount for op in cancels) == 500


def test_pay_gw_2_wrong_key_is_refused_by_the_gateway_and_no_answer_is_trusted(ctx, app, fake_sips):
    shop = make_sips_shop(app, key="not-the-merchant-key-1")
    txn = make_transaction(ctx, shop, 5000, reference="CLE1")
    # The fake answers with its own key, which does not verify with ours: no answer, nothing charged.
    assert txn.operations.get().gateway_status == "UNKNOWN" and fake_sips.ledger == {}


def test_pay_gw_1_wallet_means_and_delete(app, sips_shop, fake_sips):
    gateway = app.extensions["comptoir.gateways"].for_shop(sips_shop)
    [mean] = gateway.wallet_means(MERCHANT_ID, "WALLET-1")
    assert (mean.brand, mean.masked_pan, mean.expiry, mean.label) == ("VISA", "4100##########00", "12/29", "Carte perso")
    assert gateway.delete_wallet_mean(MERCHANT_ID, "WALLET-1", "1", new_idempotency_key()).accepted
    assert gateway.wallet_means(MERCHANT_ID, "WALLET-1") == []
    assert gateway.wallet_means(MERCHANT_ID, "INCONNU") == []


def test_pay_gw_1_transaction_state_and_history(app, ctx, sips_shop, fake_sips):
    txn = make_transaction(ctx, sips_shop, 10000, reference="HIST1", capture_mode="VALIDATION")
    perform_operation(ctx, txn.id, Kind.VALIDATE, 8000, None, RIGHTS, new_idempotency_key())
    state = app.extensions["comptoir.gateways"].for_shop(sips_shop).transaction_state(GatewayRef(MERCHANT_ID, "HIST1"))
    assert state.found and state.state == "TO_CAPTURE" and state.amount == 8000
    assert [(h.operation, h.amount) for h in state.history] == [("AUTHOR", 10000), ("VALIDATE", 8000)]


def test_pay_gw_2_secret_key_only_encrypted_and_never_logged(app, ctx, sips_shop, fake_sips, caplog):
    caplog.set_level(logging.DEBUG)
    fake_sips.set_mode("bad_seal", times=1)
    make_transaction(ctx, sips_shop, 5000, reference="LOG1")
    stored = Shop.get_by_id(sips_shop.id).gateway_secret
    assert SECRET_KEY not in stored and stored.startswith("gAAAA")
    assert SECRET_KEY not in caplog.text
    assert all(SECRET_KEY not in (r.before or "") + (r.after or "") for r in AuditRecord.select())
    gateway = app.extensions["comptoir.gateways"].for_shop(sips_shop)
    assert SECRET_KEY not in repr(gateway) and SECRET_KEY not in repr(vars(gateway).get("session"))


def test_pay_gw_3_slow_answer_within_the_timeout_is_an_answer(ctx, sips_shop, fake_sips):
    fake_sips.set_mode("slow", services={"cardOrder"}, times=1, delay=0.3)
    txn = make_transaction(ctx, sips_shop, 5000, reference="LENTEUR1")
    assert txn.state == "TO_CAPTURE" and fake_sips.calls("getTransactionData") == []
