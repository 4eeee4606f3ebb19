"""Payment operations against the database (SQLite and PostgreSQL): creation, fraud check, locked
and idempotent operations (PAY-OP-2), vault (PAY-ACQ-2), and the audit trail (AUDIT-1)."""
import json
import os
import stat

from models import AuditRecord, Operation, Transaction, VaultCard
from portal.payments.acquirer import simulator_card
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.remittance import remit
from portal.payments.service import (
    DuplicateFields,
    current_fraud_profile,
    facts_for,
    new_idempotency_key,
    perform_operation,
    save_fraud_profile,
)
from tests.concurrency import run_at_once
from tests.factories import make_transaction, make_user

RIGHTS = {"view", "validate", "cancel", "refund", "duplicate"}


def _captured(payment_ctx, shop, clock, amount=10000, **kw):
    txn = make_transaction(payment_ctx, shop, amount, **kw)
    remit(payment_ctx, clock.now.date())
    return Transaction.get_by_id(txn.id)


def test_pay_op_2_twenty_concurrent_refunds_never_exceed_the_balance(app, shop, payment_ctx, clock):
    txn = _captured(payment_ctx, shop, clock)
    user = make_user("caissier")
    before = {f: getattr(txn, f) for f in ("amount", "currency", "reference", "card_token", "authorisation_number")}
    outcomes, _ = run_at_once(
        [lambda: perform_operation(payment_ctx, txn.id, Kind.CREDIT, 1000, user, RIGHTS, new_idempotency_key())] * 20)
    assert sum(o.succeeded for o in outcomes) == 10
    assert all(o.reason == "amount_too_high" for o in outcomes if not o.succeeded)
    txn = Transaction.get_by_id(txn.id)
    facts = facts_for(txn, "Europe/Paris")
    assert facts.refundable == 0 and facts.balances.credited == 10000
    assert Operation.select().where(Operation.kind == Kind.CREDIT).count() == 10
    assert {f: getattr(txn, f) for f in before} == before


def test_pay_op_2_same_form_submitted_twice_refunds_once(app, shop, payment_ctx, clock):
    txn = _captured(payment_ctx, shop, clock)
    key = new_idempotency_key()
    first = perform_operation(payment_ctx, txn.id, Kind.CREDIT, 3000, None, RIGHTS, key)
    second = perform_operation(payment_ctx, txn.id, Kind.CREDIT, 3000, None, RIGHTS, key)
    assert first.succeeded and second.succeeded and second.replayed
    assert Operation.select().where(Operation.kind == Kind.CREDIT).count() == 1


def test_pay_op_2_duplicate_replayed_returns_the_same_new_transaction(app, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 5000)
    key = new_idempotency_key()
    fields = DuplicateFields("COPIE1", "AUTO", 0)
    first = perform_operation(payment_ctx, txn.id, Kind.DUPLICATE, 5000, None, RIGHTS, key, duplicate=fields)
    second = perform_operation(payment_ctx, txn.id, Kind.DUPLICATE, 5000, None, RIGHTS, key, duplicate=fields)
    assert first.new_transaction.id == second.new_transaction.id
    assert Transaction.select().count() == 2


def test_pay_val_1_partial_validation_cancels_the_rest_and_remits_today(app, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000, capture_mode="VALIDATION", capture_delay=5)
    assert txn.state == "TO_VALIDATE"
    outcome = perform_operation(payment_ctx, txn.id, Kind.VALIDATE, 6000, None, RIGHTS, new_idempotency_key())
    assert outcome.succeeded and "40,00" in outcome.message
    txn = Transaction.get_by_id(txn.id)
    assert txn.state == "TO_CAPTURE" and txn.capture_date == clock.now.date()
    again = perform_operation(payment_ctx, txn.id, Kind.VALIDATE, 1000, None, RIGHTS, new_idempotency_key())
    assert not again.succeeded and again.reason == "wrong_state"
    remit(payment_ctx, clock.now.date())
    capture = Operation.get(Operation.kind == Kind.CAPTURE)
    assert capture.amount == 6000 and Transaction.get_by_id(txn.id).state == "CAPTURED"


def test_pay_val_1_long_delay_validates_without_prior_authorisation(app, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000, capture_mode="VALIDATION", capture_delay=20)
    assert txn.state == "TO_VALIDATE_NO_AUTH" and txn.authorisation_number == ""
    outcome = perform_operation(payment_ctx, txn.id, Kind.VALIDATE, 10000, None, RIGHTS, new_idempotency_key())
    assert outcome.succeeded
    txn = Transaction.get_by_id(txn.id)
    assert txn.state == "TO_CAPTURE" and len(txn.authorisation_number) == 6


def test_pay_can_1_cancel_all_makes_it_cancelled(app, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000)
    for amount in (2500, 2500):
        assert perform_operation(payment_ctx, txn.id, Kind.CANCEL, amount, None, RIGHTS, new_idempotency_key()).succeeded
    assert Transaction.get_by_id(txn.id).state == "TO_CAPTURE"
    assert perform_operation(payment_ctx, txn.id, Kind.CANCEL, 5000, None, RIGHTS, new_idempotency_key()).succeeded
    assert Transaction.get_by_id(txn.id).state == "CANCELLED"
    refused = perform_operation(payment_ctx, txn.id, Kind.CANCEL, 1, None, RIGHTS, new_idempotency_key())
    assert not refused.succeeded


def test_pay_dup_1_new_authorisation_independent_of_the_original(app, shop, payment_ctx):
    refused = make_transaction(payment_ctx, shop, 10000, card=simulator_card("430000", "00", "05"))
    assert refused.state == "REFUSED"
    outcome = perform_operation(payment_ctx, refused.id, Kind.DUPLICATE, 10000, None, RIGHTS, new_idempotency_key(),
                                duplicate=DuplicateFields("REJEU1", "VALIDATION", 3))
    # The simulator decides by card, so the duplicate of a refused card is refused again, as its own request.
    assert not outcome.succeeded and outcome.new_transaction.state == "REFUSED"
    accepted = make_transaction(payment_ctx, shop, 10000)
    chain = perform_operation(payment_ctx, accepted.id, Kind.DUPLICATE, 8000, None, RIGHTS, new_idempotency_key(),
                              duplicate=DuplicateFields("COPIE", "VALIDATION", 3, order_reference="CMD-9"))
    copy = chain.new_transaction
    assert copy.state == "TO_VALIDATE" and copy.order_reference == "CMD-9" and copy.amount == 8000
    assert copy.card_token == accepted.card_token
    again = perform_operation(payment_ctx, copy.id, Kind.DUPLICATE, 8000, None, RIGHTS, new_idempotency_key(),
                              duplicate=DuplicateFields("COPIE2", "AUTO", 0))
    assert again.succeeded and again.new_transaction.duplicated_from_id == copy.id
    too_much = perform_operation(payment_ctx, copy.id, Kind.DUPLICATE, 8001, None, RIGHTS, new_idempotency_key(),
                                 duplicate=DuplicateFields("COPIE3", "AUTO", 0))
    assert not too_much.succeeded and too_much.reason == "amount_too_high"


def test_pay_dup_1_instalment_duplicates_as_single_payment(app, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 3000)
    Transaction.update(instalment_group="ECH1", instalment_rank=2, instalment_count=3).where(
        Transaction.id == txn.id).execute()
    outcome = perform_operation(payment_ctx, txn.id, Kind.DUPLICATE, 3000, None, RIGHTS, new_idempotency_key(),
                                duplicate=DuplicateFields("UNEFOIS", "AUTO", 0))
    copy = outcome.new_transaction
    assert copy.instalment_group is None and copy.instalment_rank is None


def test_pay_ref_1_no_refund_on_unpaid(app, shop, payment_ctx, clock):
    txn = _captured(payment_ctx, shop, clock, card=simulator_card("520000", "22"))
    clock.advance(days=3)
    remit(payment_ctx, clock.now.date())
    assert Transaction.get_by_id(txn.id).state == "UNPAID"
    outcome = perform_operation(payment_ctx, txn.id, Kind.CREDIT, 100, None, RIGHTS, new_idempotency_key())
    assert not outcome.succeeded and "impayée" in outcome.message


def test_fraud_profile_blocks_and_is_versioned(app, shop, payment_ctx):
    assert current_fraud_profile().version == 1
    save_fraud_profile({"max_amount": {"EUR": 20000}, "max_uses_per_card_per_day": 2,
                        "blocked_countries": ["US"]}, None)
    too_big = make_transaction(payment_ctx, shop, 20001)
    assert too_big.state == "FRAUD_SUSPECTED" and too_big.fraud_profile_version == 2
    result = json.loads(too_big.fraud_result)
    assert [r["passed"] for r in result["rules"]] == [False, True, True]
    foreign = make_transaction(payment_ctx, shop, 100, card=simulator_card("520000", "33"))
    assert foreign.state == "FRAUD_SUSPECTED"
    card = simulator_card("410000")
    states = [make_transaction(payment_ctx, shop, 100, card=card).state for _ in range(3)]
    assert states == ["TO_CAPTURE", "TO_CAPTURE", "FRAUD_SUSPECTED"]
    assert AuditRecord.select().where(AuditRecord.action == "fraud_profile.update").count() == 1


def test_pay_acq_1_fraud_suspected_response_code(app, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 100, card=simulator_card("430000", "00", "34"))
    assert txn.state == "FRAUD_SUSPECTED" and txn.response_code == "34"


def test_pay_acq_2_vault_encrypts_with_a_key_outside_the_database(app, shop, payment_ctx):
    card = simulator_card("520000")
    txn = make_transaction(payment_ctx, shop, 100, card=card)
    row = VaultCard.get(VaultCard.token == txn.card_token)
    assert card not in row.ciphertext
    key_file = app.config["INSTANCE_DIR"] / "vault.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    number, expiry = app.extensions["comptoir.acquirer"].vault.card(txn.card_token)
    assert number == card
    assert txn.masked_pan == card[:6] + "######" + card[-4:]


def test_audit_1_operations_are_audited(app, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000)
    perform_operation(payment_ctx, txn.id, Kind.CANCEL, 1000, None, RIGHTS, new_idempotency_key())
    perform_operation(payment_ctx, txn.id, Kind.CANCEL, 99999, None, RIGHTS, new_idempotency_key())
    actions = [r.action for r in AuditRecord.select().order_by(AuditRecord.id)]
    assert actions == ["payment.create", "payment.cancel", "payment.cancel.refused"]
    record = AuditRecord.get(AuditRecord.action == "payment.cancel")
    assert record.before_data["remaining"] == 10000 and record.after_data["remaining"] == 9000


# --- Issue 9, finding 4: concurrent references and idempotency keys spent elsewhere -----------------


def test_pay_op_2_twenty_concurrent_payments_with_one_reference_create_one(app, shop, payment_ctx):
    """Twenty forms with the same reference at once: one payment, nineteen « référence déjà utilisée »,
    no database error escaping."""
    from portal.payments.cards import Expiry, detect_networks, mask
    from portal.payments.service import DuplicateReference, NewPayment, create_payment
    from tests.factories import ACCEPTED_CARD


    def pay():
        payment = NewPayment(shop=shop, reference="CMD-UNIQUE", amount=1000, currency="EUR", capture_mode="AUTO",
                             capture_delay=0, network="CB", networks=detect_networks(ACCEPTED_CARD),
                             masked_pan=mask(ACCEPTED_CARD), expiry=Expiry(2030, 12), card_number=ACCEPTED_CARD)
        return create_payment(payment_ctx, payment, None, new_idempotency_key())

    created, duplicates = run_at_once([pay] * 20, expected=DuplicateReference)
    assert len(created) == 1 and len(duplicates) == 19
    assert Transaction.select().where(Transaction.reference == "CMD-UNIQUE").count() == 1


def test_pay_op_2_duplicate_with_the_key_of_an_earlier_refund_is_refused(app, shop, payment_ctx, clock):
    txn = _captured(payment_ctx, shop, clock)
    key = new_idempotency_key()
    assert perform_operation(payment_ctx, txn.id, Kind.CREDIT, 1000, None, RIGHTS, key).succeeded
    outcome = perform_operation(payment_ctx, txn.id, Kind.DUPLICATE, 5000, None, RIGHTS, key,
                                duplicate=DuplicateFields("COPIE9", "AUTO", 0))
    assert not outcome.succeeded and outcome.reason == "idempotency_mismatch"
    assert "autre opération" in outcome.message
    assert Transaction.select().count() == 1


def test_pay_op_2_key_reused_on_another_transaction_is_refused_not_ignored(app, shop, payment_ctx, clock):
    first = _captured(payment_ctx, shop, clock)
    second = _captured(payment_ctx, shop, clock)
    key = new_idempotency_key()
    assert perform_operation(payment_ctx, first.id, Kind.CREDIT, 1000, None, RIGHTS, key).succeeded
    outcome = perform_operation(payment_ctx, second.id, Kind.CREDIT, 1000, None, RIGHTS, key)
    assert not outcome.succeeded and outcome.reason == "idempotency_mismatch"
    assert facts_for(Transaction.get_by_id(second.id), "Europe/Paris").balances.credited == 0


def test_pay_op_2_payment_with_a_refund_key_is_refused(app, shop, payment_ctx, clock):
    from portal.payments.service import IdempotencyMismatch

    txn = _captured(payment_ctx, shop, clock)
    key = new_idempotency_key()
    perform_operation(payment_ctx, txn.id, Kind.CREDIT, 1000, None, RIGHTS, key)
    try:
        make_transaction_with_key(payment_ctx, shop, key)
    except IdempotencyMismatch:
        pass
    else:
        raise AssertionError("a payment created with a refund's key")


def make_transaction_with_key(ctx, shop, key):
    from portal.payments.cards import Expiry, detect_networks, mask
    from portal.payments.service import NewPayment, create_payment
    from tests.factories import ACCEPTED_CARD

    return create_payment(ctx, NewPayment(
        shop=shop, reference="CMD-KEY", amount=1000, currency="EUR", capture_mode="AUTO", capture_delay=0,
        network="CB", networks=detect_networks(ACCEPTED_CARD), masked_pan=mask(ACCEPTED_CARD),
        expiry=Expiry(2030, 12), card_number=ACCEPTED_CARD), None, key)
