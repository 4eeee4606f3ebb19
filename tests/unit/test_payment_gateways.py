"""PAY-GW-1, PAY-OP-2: the card-payment behaviour is the same on the simulator and on a Sips Office
account (the local fake Office server): pay, refuse with the issuer's code, validate, cancel,
remit, refund, duplicate, a form submitted twice performs once, and the state read back."""

import pytest

from models import Operation, Transaction
from portal.payments.acquirer import simulator_card
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.remittance import remit
from portal.payments.service import DuplicateFields, new_idempotency_key, perform_operation
from portal.payments.sync import refresh_transaction, sync
from tests.concurrency import run_at_once
from tests.factories import make_shop, make_transaction
from tests.fake_sips import fake_sips, gateway_context, make_sips_shop  # noqa: F401

RIGHTS = {"view", "validate", "cancel", "refund", "duplicate"}


class Gateway:
    """One side of the comparison: its shop, its context, and its night (remittance read back)."""

    def __init__(self, kind, app, clock, office):
        self.kind, self.clock, self.office = kind, clock, office
        self.ctx = gateway_context(app, clock)
        self.shop = make_shop() if kind == "simulator" else make_sips_shop(app)

    def night(self):
        """Tonight's remittance, read back; the clock then moves to the next morning."""
        if self.kind == "simulator":
            remit(self.ctx, self.clock.now.date())
        else:
            self.office.nightly()
            sync(self.ctx)
        self.clock.advance(days=1)

    def pay(self, amount=10000, **kw):
        return make_transaction(self.ctx, self.shop, amount, **kw)

    def op(self, txn, kind, amount, key=None, duplicate=None):
        return perform_operation(self.ctx, txn.id, kind, amount, None, RIGHTS, key or new_idempotency_key(),
                                 duplicate=duplicate)


@pytest.fixture(params=["simulator", "sips"])
def gw(request, app, clock):
    office = request.getfixturevalue("fake_sips") if request.param == "sips" else None
    return Gateway(request.param, app, clock, office)


def _reload(txn):
    return Transaction.get_by_id(txn.id)


def test_pay_gw_1_accepted_payment_has_an_authorisation_number(gw):
    txn = gw.pay(4200)
    assert txn.state == "TO_CAPTURE" and len(txn.authorisation_number) == 6 and txn.response_code == "00"
    [author] = list(txn.operations)
    assert author.kind == Kind.AUTHOR and author.succeeded and author.gateway_status == ""


@pytest.mark.parametrize("code", ["05", "51", "54", "34"])
def test_pay_gw_1_refusal_keeps_the_issuer_code(gw, code):
    txn = gw.pay(1000, card=simulator_card("430000", "00", code))
    assert txn.state == ("FRAUD_SUSPECTED" if code == "34" else "REFUSED")
    assert txn.response_code == code


def test_pay_gw_1_validate_part_then_remit(gw):
    txn = gw.pay(10000, capture_mode="VALIDATION")
    assert txn.state == "TO_VALIDATE"
    outcome = gw.op(txn, Kind.VALIDATE, 6000)
    assert outcome.succeeded, outcome.message
    assert _reload(txn).state == "TO_CAPTURE"
    gw.night()
    txn = _reload(txn)
    assert txn.state == "CAPTURED"
    capture = txn.operations.where(Operation.kind == Kind.CAPTURE).get()
    assert capture.amount == 6000 and capture.succeeded


def test_pay_gw_1_cancel_part_then_all(gw):
    txn = gw.pay(10000)
    assert gw.op(txn, Kind.CANCEL, 2500).succeeded
    assert _reload(txn).state == "TO_CAPTURE"
    assert gw.op(txn, Kind.CANCEL, 7500).succeeded
    assert _reload(txn).state == "CANCELLED"
    refused = gw.op(txn, Kind.CANCEL, 1)
    assert not refused.succeeded and refused.reason == "wrong_state"


def test_pay_gw_1_refund_after_remittance_and_never_beyond_the_balance(gw):
    txn = gw.pay(10000)
    gw.night()
    assert _reload(txn).state == "CAPTURED"
    assert gw.op(txn, Kind.CREDIT, 3000).succeeded
    assert _reload(txn).state == "TO_CREDIT"
    too_much = gw.op(txn, Kind.CREDIT, 7001)
    assert not too_much.succeeded and too_much.reason == "amount_too_high"
    gw.night()
    assert _reload(txn).state == "CREDITED"


def test_pay_gw_1_duplicate_authorises_a_new_transaction(gw):
    txn = gw.pay(10000)
    fields = DuplicateFields(reference=txn.reference[:30] + "D1", capture_mode="AUTO", capture_delay=0)
    outcome = gw.op(txn, Kind.DUPLICATE, 8000, duplicate=fields)
    assert outcome.succeeded, outcome.message
    new = outcome.new_transaction
    assert new.amount == 8000 and new.state == "TO_CAPTURE" and new.duplicated_from_id == txn.id
    if gw.office:
        assert gw.office.calls("duplicate")[0]["fromTransactionReference"] == txn.reference


def test_pay_op_2_same_form_twice_performs_once(gw):
    txn = gw.pay(10000)
    gw.night()
    key = new_idempotency_key()
    first, second = gw.op(txn, Kind.CREDIT, 1000, key), gw.op(txn, Kind.CREDIT, 1000, key)
    assert first.succeeded and second.replayed
    assert txn.operations.where(Operation.kind == Kind.CREDIT).count() == 1
    if gw.office:
        assert len(gw.office.calls("refund")) == 1


def test_pay_gw_3_two_simultaneous_first_submissions_authorise_once(gw, app):
    """The key is reserved in the database before the gateway is asked: the second submission
    finds it taken and returns the first transaction."""
    from portal.payments.cards import Expiry, detect_networks, mask
    from portal.payments.service import NewPayment, create_payment

    card = simulator_card("430000")
    key = new_idempotency_key()

    def submit():
        payment = NewPayment(shop=gw.shop, reference="DOUBLECLIC1", amount=5000, currency="EUR",
                             capture_mode="AUTO", capture_delay=0, network="CB", networks=detect_networks(card),
                             masked_pan=mask(card), expiry=Expiry(2030, 12), card_number=card)
        return create_payment(gw.ctx, payment, None, key).id

    results, _ = run_at_once([submit] * 2, timeout=30)
    assert len(set(results)) == 1
    assert Transaction.select().where(Transaction.reference == "DOUBLECLIC1").count() == 1
    assert Operation.select().where(Operation.kind == Kind.AUTHOR).count() == 1
    if gw.office:
        assert len(gw.office.calls("cardOrder", "DOUBLECLIC1")) == 1


def test_pay_gw_1_refresh_reads_the_same_state(gw):
    txn = gw.pay(10000)
    result = refresh_transaction(gw.ctx, txn.id)
    assert result.reachable and not result.changed
    assert _reload(txn).synced_at is not None
