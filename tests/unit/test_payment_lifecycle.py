"""SPEC 2.4 and 2.5: transaction states and labels, and every limit on validate / cancel /
refund / duplicate, with the day passed in. Plain Python, no database."""
import datetime

import pytest

from portal.payments.cards import Expiry
from portal.payments.lifecycle import (
    STATE_LABELS,
    USER_OPERATIONS,
    Balances,
    OperationKind,
    OperationRefused,
    TransactionFacts,
    TransactionState,
    add_months,
    allowed_operations,
    balances,
    capture_date_for,
    check_cancel,
    check_duplicate,
    check_operation,
    check_refund,
    check_validate,
    due_action,
    initial_state,
    local_date,
    state_after_cancel,
)

S = TransactionState
K = OperationKind
D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
ALL_RIGHTS = {"validate", "cancel", "refund", "duplicate"}

CREATED = D(2024, 3, 10)
CAPTURE = D(2024, 3, 17)
TODAY = D(2024, 3, 12)
BEFORE_REMITTANCE = [S.TO_VALIDATE, S.TO_VALIDATE_NO_AUTH, S.TO_AUTHORIZE, S.TO_CAPTURE]
AFTER_REMITTANCE = [S.CAPTURED, S.TO_CREDIT, S.CREDITED]


def facts(state=S.TO_VALIDATE, amount=10000, *, capture_mode="VALIDATION", created_on=CREATED,
          capture_date=CAPTURE, card_expiry_last_day=D(2030, 12, 31), **balance):
    return TransactionFacts(state=state, amount=amount, capture_mode=capture_mode, created_on=created_on,
                            capture_date=capture_date, card_expiry_last_day=card_expiry_last_day,
                            balances=Balances(**balance))


def captured(state=S.CAPTURED, amount=10000, credited=0, **kwargs):
    return facts(state, amount, capture_mode="AUTO", captured=amount, credited=credited, **kwargs)


def refused_reason(check, *args):
    with pytest.raises(OperationRefused) as refused:
        check(*args)
    assert refused.value.message
    return refused.value.reason


# --- SPEC 2.4: states and labels --------------------------------------------------------

SPEC_LABELS = {
    "TO_VALIDATE": "À valider (avec autorisation)",
    "TO_VALIDATE_NO_AUTH": "À valider (sans autorisation)",
    "TO_AUTHORIZE": "En attente de demande d'autorisation",
    "TO_CAPTURE": "À envoyer en banque",
    "CAPTURED": "Envoyée en banque",
    "CAPTURE_REFUSED": "Envoi en banque refusé",
    "EXPIRED": "Expirée",
    "FRAUD_SUSPECTED": "Fraude suspectée",
    "REFUSED": "Refusée",
    "CANCELLED": "Annulée",
    "TO_CREDIT": "Remboursement à envoyer en banque",
    "CREDITED": "Remboursée",
    "UNPAID": "Impayée",
}


@pytest.mark.parametrize("name, label", sorted(SPEC_LABELS.items()))
def test_spec_2_4_state_labels(name, label):
    state = TransactionState(name)
    assert state == name
    assert state.label == label
    assert STATE_LABELS[state] == label


def test_spec_2_4_state_labels_every_state_has_one():
    assert set(SPEC_LABELS) <= {s.value for s in TransactionState}
    assert set(STATE_LABELS) == set(TransactionState)


def test_pay_acq_1_operation_names_follow_gateway_vocabulary():
    names = {k.value for k in OperationKind}
    assert {"AUTHOR", "VALIDATE", "CANCEL", "CAPTURE", "CREDIT", "DUPLICATE", "EXPIRE"} <= names
    assert all(k.label for k in OperationKind)


# --- PAY-NEW-1: capture mode and delay --------------------------------------------------


@pytest.mark.parametrize("mode, delay, state", [
    ("VALIDATION", 0, S.TO_VALIDATE),
    ("VALIDATION", 6, S.TO_VALIDATE),
    ("VALIDATION", 7, S.TO_VALIDATE_NO_AUTH),
    ("AUTO", 0, S.TO_CAPTURE),
    ("AUTO", 6, S.TO_CAPTURE),
    ("AUTO", 7, S.TO_AUTHORIZE),
    ("AUTO", 99, S.TO_AUTHORIZE),
])
def test_pay_new_1_initial_state_from_capture_mode_and_delay(mode, delay, state):
    assert initial_state(mode, delay) == state


def test_pay_new_1_capture_delay_default_zero_is_same_day():
    assert capture_date_for(D(2024, 2, 28), 0) == D(2024, 2, 28)
    assert capture_date_for(D(2024, 2, 28), 2) == D(2024, 3, 1)


# --- Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("day, months, expected", [
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2023, 1, 31), 1, D(2023, 2, 28)),
    (D(2024, 3, 31), 1, D(2024, 4, 30)),
    (D(2023, 12, 15), 1, D(2024, 1, 15)),
    (D(2023, 5, 31), 15, D(2024, 8, 31)),
    (D(2022, 11, 30), 15, D(2024, 2, 29)),
    (D(2022, 8, 31), 18, D(2024, 2, 29)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 6, 10), 0, D(2024, 6, 10)),
])
def test_pay_ref_1_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_pay_batch_1_local_date_is_the_merchant_day():
    # 22:30 UTC on 30 June is already 1 July in Paris (UTC+2 in summer).
    assert local_date(datetime.datetime(2024, 6, 30, 22, 30), "Europe/Paris") == D(2024, 7, 1)
    assert local_date(datetime.datetime(2024, 6, 30, 21, 59), "Europe/Paris") == D(2024, 6, 30)
    assert local_date(datetime.datetime(2024, 12, 31, 23, 0), "Europe/Paris") == D(2025, 1, 1)


# --- PAY-VAL-1: validate ---------------------------------------------------------------


@pytest.mark.parametrize("state", [S.TO_VALIDATE, S.TO_VALIDATE_NO_AUTH])
def test_pay_val_1_allowed_on_capture_deadline_day(state):
    check_validate(facts(state), 10000, CAPTURE)


@pytest.mark.parametrize("state", [S.TO_VALIDATE, S.TO_VALIDATE_NO_AUTH])
def test_pay_val_1_refused_day_after_capture_deadline(state):
    with pytest.raises(OperationRefused) as refused:
        check_validate(facts(state), 1, CAPTURE + ONE_DAY)
    assert refused.value.reason == "deadline_passed"
    assert "17/03/2024" in refused.value.message


def test_pay_val_1_exact_remaining_amount_passes():
    check_validate(facts(amount=10000), 10000, TODAY)


def test_pay_val_1_one_minor_unit_above_remaining_refused():
    assert refused_reason(check_validate, facts(amount=10000), 10001, TODAY) == "amount_too_high"


def test_pay_val_1_remaining_takes_cancellations_into_account():
    partly_cancelled = facts(amount=10000, cancelled=3000)
    assert partly_cancelled.remaining == 7000
    check_validate(partly_cancelled, 7000, TODAY)
    assert refused_reason(check_validate, partly_cancelled, 7001, TODAY) == "amount_too_high"


@pytest.mark.parametrize("amount", [0, -1])
def test_pay_val_1_zero_or_negative_amount_refused(amount):
    assert refused_reason(check_validate, facts(), amount, TODAY) == "invalid_amount"


def test_pay_val_1_partial_validation_once_only():
    already = facts(S.TO_VALIDATE, 10000, validated=4000)
    assert refused_reason(check_validate, already, 1, TODAY) == "wrong_state"
    # Still refused once the transaction has moved on to the bank queue.
    moved_on = facts(S.TO_CAPTURE, 10000, capture_mode="VALIDATION", validated=4000, cancelled=6000)
    assert refused_reason(check_validate, moved_on, 1, TODAY) == "wrong_state"


@pytest.mark.parametrize("state", [s for s in TransactionState if s not in (S.TO_VALIDATE, S.TO_VALIDATE_NO_AUTH)])
def test_pay_val_1_only_transactions_to_validate(state):
    assert refused_reason(check_validate, facts(state), 1, TODAY) == "wrong_state"


def test_pay_val_1_balances_record_the_single_validation():
    result = balances([
        (K.AUTHOR, 10000, True),
        (K.VALIDATE, 4000, True),
        (K.CANCEL, 6000, True),
        (K.CAPTURE, 4000, True),
        (K.CREDIT, 1000, True),
        (K.CREDIT, 500, False),  # a failed operation counts for nothing
        (K.CANCEL, 50, False),
    ])
    assert result == Balances(cancelled=6000, validated=4000, captured=4000, credited=1000)
    assert balances([]).validated is None


# --- PAY-CAN-1: cancel -------------------------------------------------------------------


@pytest.mark.parametrize("state", BEFORE_REMITTANCE)
def test_pay_can_1_allowed_on_capture_deadline_day(state):
    check_cancel(facts(state), 10000, CAPTURE)


@pytest.mark.parametrize("state", BEFORE_REMITTANCE)
def test_pay_can_1_refused_day_after_capture_deadline(state):
    with pytest.raises(OperationRefused) as refused:
        check_cancel(facts(state), 1, CAPTURE + ONE_DAY)
    assert refused.value.reason == "deadline_passed"
    assert "17/03/2024" in refused.value.message


def test_pay_can_1_exact_remaining_passes_one_unit_above_refused():
    check_cancel(facts(S.TO_CAPTURE, 10000), 10000, TODAY)
    assert refused_reason(check_cancel, facts(S.TO_CAPTURE, 10000), 10001, TODAY) == "amount_too_high"


def test_pay_can_1_repeatable_while_something_remains():
    after_first = facts(S.TO_CAPTURE, 10000, cancelled=2500)
    check_cancel(after_first, 1, TODAY)
    check_cancel(after_first, 7500, TODAY)
    assert refused_reason(check_cancel, after_first, 7501, TODAY) == "amount_too_high"
    after_second = facts(S.TO_CAPTURE, 10000, cancelled=9999)
    check_cancel(after_second, 1, TODAY)
    assert refused_reason(check_cancel, after_second, 2, TODAY) == "amount_too_high"


def test_pay_can_1_nothing_left_to_cancel():
    assert refused_reason(check_cancel, facts(S.TO_CAPTURE, 10000, cancelled=10000), 1, TODAY) == "amount_too_high"


@pytest.mark.parametrize("amount", [0, -5])
def test_pay_can_1_zero_or_negative_amount_refused(amount):
    assert refused_reason(check_cancel, facts(S.TO_CAPTURE), amount, TODAY) == "invalid_amount"


@pytest.mark.parametrize("state", [s for s in TransactionState if s not in BEFORE_REMITTANCE])
def test_pay_can_1_only_before_remittance(state):
    assert refused_reason(check_cancel, facts(state, capture_mode="AUTO", captured=10000), 1, TODAY) == "wrong_state"


def test_pay_can_1_after_remittance_message_points_to_refund():
    with pytest.raises(OperationRefused) as refused:
        check_cancel(captured(), 1, TODAY)
    assert "rembourse" in refused.value.message


def test_pay_can_1_cancelling_everything_makes_cancelled():
    partly = facts(S.TO_CAPTURE, 10000, cancelled=4000)
    assert state_after_cancel(partly, 6000) == S.CANCELLED
    assert state_after_cancel(partly, 5999) == S.TO_CAPTURE
    assert state_after_cancel(facts(S.TO_VALIDATE, 10000), 10000) == S.CANCELLED
    assert state_after_cancel(facts(S.TO_VALIDATE, 10000), 1) == S.TO_VALIDATE


# --- PAY-REF-1: refund --------------------------------------------------------------------


@pytest.mark.parametrize("created_on, deadline", [
    (D(2023, 5, 31), D(2024, 8, 31)),
    (D(2022, 11, 30), D(2024, 2, 29)),  # clamped to the end of a leap February
    (D(2023, 1, 10), D(2024, 4, 10)),
])
def test_pay_ref_1_within_15_months_day_itself_and_day_after(created_on, deadline):
    txn = captured(created_on=created_on, capture_date=created_on)
    assert txn.refund_deadline == deadline == add_months(created_on, 15)
    check_refund(txn, 100, deadline)
    with pytest.raises(OperationRefused) as refused:
        check_refund(txn, 100, deadline + ONE_DAY)
    assert refused.value.reason == "deadline_passed"
    assert deadline.strftime("%d/%m/%Y") in refused.value.message


@pytest.mark.parametrize("state", AFTER_REMITTANCE)
def test_pay_ref_1_exact_refundable_passes_one_unit_above_refused(state):
    txn = captured(state, 10000, credited=2500)
    assert txn.refundable == 7500
    check_refund(txn, 7500, TODAY)
    assert refused_reason(check_refund, txn, 7501, TODAY) == "amount_too_high"


def test_pay_ref_1_any_number_of_partial_refunds_while_balance_remains():
    for credited in (0, 1000, 5000, 9999):
        check_refund(captured(S.TO_CREDIT if credited else S.CAPTURED, 10000, credited=credited), 1, TODAY)
    assert refused_reason(check_refund, captured(S.CREDITED, 10000, credited=10000), 1, TODAY) == "amount_too_high"


@pytest.mark.parametrize("amount", [0, -100])
def test_pay_ref_1_zero_or_negative_amount_refused(amount):
    assert refused_reason(check_refund, captured(), amount, TODAY) == "invalid_amount"


def test_pay_ref_1_refused_on_unpaid():
    unpaid = captured(S.UNPAID, 10000)
    assert unpaid.refundable == 10000  # money was captured, yet no refund on an unpaid
    assert refused_reason(check_refund, unpaid, 100, TODAY) == "wrong_state"
    [credit] = [a for a in allowed_operations(unpaid, ALL_RIGHTS, TODAY) if a.kind == K.CREDIT]
    assert credit.allowed is False and credit.reason


@pytest.mark.parametrize("state", BEFORE_REMITTANCE)
def test_pay_ref_1_refused_before_remittance(state):
    with pytest.raises(OperationRefused) as refused:
        check_refund(facts(state), 100, TODAY)
    assert refused.value.reason == "wrong_state"
    assert "annulez" in refused.value.message


@pytest.mark.parametrize("state", [S.CAPTURE_REFUSED, S.EXPIRED, S.FRAUD_SUSPECTED, S.REFUSED, S.CANCELLED])
def test_pay_ref_1_refused_when_never_remitted(state):
    assert refused_reason(check_refund, facts(state), 100, TODAY) == "wrong_state"


# --- PAY-DUP-1: duplicate -----------------------------------------------------------------


@pytest.mark.parametrize("state", list(TransactionState))
def test_pay_dup_1_allowed_from_every_state(state):
    txn = facts(state, 10000, cancelled=10000 if state == S.CANCELLED else 0)
    check_duplicate(txn, 10000, TODAY)
    [duplicate] = [a for a in allowed_operations(txn, ALL_RIGHTS, TODAY) if a.kind == K.DUPLICATE]
    assert duplicate.allowed is True
    assert duplicate.maximum == 10000


@pytest.mark.parametrize("state", [S.REFUSED, S.EXPIRED])
def test_pay_dup_1_refused_and_expired_can_be_duplicated(state):
    check_duplicate(facts(state, 4200), 4200, TODAY)


@pytest.mark.parametrize("created_on, deadline", [
    (D(2023, 1, 15), D(2024, 7, 15)),
    (D(2022, 8, 31), D(2024, 2, 29)),
])
def test_pay_dup_1_within_18_months_day_itself_and_day_after(created_on, deadline):
    txn = facts(S.CAPTURED, created_on=created_on, capture_date=created_on)
    assert txn.duplicate_deadline == deadline == add_months(created_on, 18)
    check_duplicate(txn, 100, deadline)
    with pytest.raises(OperationRefused) as refused:
        check_duplicate(txn, 100, deadline + ONE_DAY)
    assert refused.value.reason == "deadline_passed"
    assert deadline.strftime("%d/%m/%Y") in refused.value.message


@pytest.mark.parametrize("expiry", [Expiry(2024, 2), Expiry(2023, 2), Expiry(2024, 4), Expiry(2024, 12)])
def test_pay_dup_1_within_card_validity_last_day_and_day_after(expiry):
    last_day = expiry.last_day()
    txn = facts(S.CAPTURED, created_on=last_day - datetime.timedelta(days=60), card_expiry_last_day=last_day)
    assert txn.duplicate_deadline > last_day  # the card, not the 18 months, sets the limit
    check_duplicate(txn, 100, last_day)
    with pytest.raises(OperationRefused) as refused:
        check_duplicate(txn, 100, last_day + ONE_DAY)
    assert refused.value.reason == "deadline_passed"
    assert last_day.strftime("%d/%m/%Y") in refused.value.message


def test_pay_dup_1_card_expiry_february_end_of_month():
    last_day = Expiry(2024, 2).last_day()
    assert last_day == D(2024, 2, 29)
    txn = facts(S.EXPIRED, created_on=D(2024, 1, 31), card_expiry_last_day=last_day)
    check_duplicate(txn, 1, D(2024, 2, 29))
    assert refused_reason(check_duplicate, txn, 1, D(2024, 3, 1)) == "deadline_passed"


def test_pay_dup_1_amount_up_to_the_original():
    txn = facts(S.CAPTURED, 10000, captured=10000, credited=4000)
    check_duplicate(txn, 10000, TODAY)
    assert refused_reason(check_duplicate, txn, 10001, TODAY) == "amount_too_high"


@pytest.mark.parametrize("amount", [0, -1])
def test_pay_dup_1_zero_or_negative_amount_refused(amount):
    assert refused_reason(check_duplicate, facts(S.REFUSED), amount, TODAY) == "invalid_amount"


# --- PAY-OP-1: availability and reasons ---------------------------------------------------


def test_pay_op_1_rights_are_named_per_operation():
    assert USER_OPERATIONS == {K.VALIDATE: "validate", K.CANCEL: "cancel", K.CREDIT: "refund", K.DUPLICATE: "duplicate"}


def test_pay_op_1_no_right_refused_with_reason_text():
    result = allowed_operations(facts(S.TO_VALIDATE), set(), TODAY)
    assert [a.kind for a in result] == [K.VALIDATE, K.CANCEL, K.CREDIT, K.DUPLICATE]
    for availability in result:
        assert availability.allowed is False
        assert "droit" in availability.reason
        assert availability.right == USER_OPERATIONS[availability.kind]


@pytest.mark.parametrize("missing", sorted(ALL_RIGHTS))
def test_pay_op_1_each_missing_right_refuses_only_its_operation(missing):
    txn = facts(S.TO_VALIDATE)
    by_kind = {a.kind: a for a in allowed_operations(txn, ALL_RIGHTS - {missing}, TODAY)}
    for kind, right in USER_OPERATIONS.items():
        if right == missing:
            assert by_kind[kind].allowed is False
            assert "droit" in by_kind[kind].reason
        elif kind != K.CREDIT:  # a transaction to validate is never refundable
            assert by_kind[kind].allowed is True, kind
            assert by_kind[kind].reason == ""


def test_pay_op_1_check_operation_without_right_is_no_right():
    for kind, right in USER_OPERATIONS.items():
        with pytest.raises(OperationRefused) as refused:
            check_operation(kind, facts(S.TO_VALIDATE), 1, ALL_RIGHTS - {right}, TODAY)
        assert refused.value.reason == "no_right"
        assert "droit" in refused.value.message


def test_pay_op_1_check_operation_with_right_applies_the_rules():
    check_operation(K.VALIDATE, facts(S.TO_VALIDATE, 10000), 10000, {"validate"}, TODAY)
    with pytest.raises(OperationRefused) as refused:
        check_operation(K.VALIDATE, facts(S.TO_VALIDATE, 10000), 10001, {"validate"}, TODAY)
    assert refused.value.reason == "amount_too_high"
    assert "Montant trop élevé" in refused.value.message


def test_pay_op_1_maximum_prefills_the_amount():
    to_validate = {a.kind: a for a in allowed_operations(facts(S.TO_VALIDATE, 10000, cancelled=1500), ALL_RIGHTS, TODAY)}
    assert to_validate[K.VALIDATE].maximum == 8500
    assert to_validate[K.CANCEL].maximum == 8500
    assert to_validate[K.DUPLICATE].maximum == 10000
    remitted = {a.kind: a for a in allowed_operations(captured(amount=10000, credited=3000), ALL_RIGHTS, TODAY)}
    assert remitted[K.CREDIT].maximum == 7000
    assert remitted[K.CREDIT].allowed is True


@pytest.mark.parametrize("state, expected", [
    (S.TO_VALIDATE, {K.VALIDATE, K.CANCEL, K.DUPLICATE}),
    (S.TO_CAPTURE, {K.CANCEL, K.DUPLICATE}),
    (S.CAPTURED, {K.CREDIT, K.DUPLICATE}),
    (S.UNPAID, {K.DUPLICATE}),
    (S.REFUSED, {K.DUPLICATE}),
    (S.EXPIRED, {K.DUPLICATE}),
])
def test_pay_op_1_allowed_operations_by_state(state, expected):
    txn = facts(state, 10000, captured=10000 if state in (S.CAPTURED, S.UNPAID) else 0)
    result = allowed_operations(txn, ALL_RIGHTS, TODAY)
    assert {a.kind for a in result if a.allowed} == expected
    for availability in result:
        assert bool(availability.reason) is (not availability.allowed)
        assert availability.label


def test_pay_op_1_deadline_passed_greys_out_with_reason():
    late = CAPTURE + ONE_DAY
    by_kind = {a.kind: a for a in allowed_operations(facts(S.TO_VALIDATE), ALL_RIGHTS, late)}
    assert by_kind[K.VALIDATE].allowed is False and "dépassé" in by_kind[K.VALIDATE].reason
    assert by_kind[K.CANCEL].allowed is False and "dépassé" in by_kind[K.CANCEL].reason


# --- PAY-BATCH-1: what the daily run does ---------------------------------------------------


def test_pay_batch_1_capture_due_on_capture_date_and_caught_up_later():
    txn = facts(S.TO_CAPTURE, capture_mode="AUTO")
    assert due_action(txn, CAPTURE - ONE_DAY) is None
    assert due_action(txn, CAPTURE) == "capture"
    assert due_action(txn, CAPTURE + datetime.timedelta(days=5)) == "capture"


@pytest.mark.parametrize("state", [S.TO_VALIDATE, S.TO_VALIDATE_NO_AUTH])
def test_pay_batch_1_overdue_validation_expires_day_after_deadline(state):
    txn = facts(state)
    assert due_action(txn, CAPTURE) is None
    assert due_action(txn, CAPTURE + ONE_DAY) == "expire"
    assert due_action(txn, CAPTURE + datetime.timedelta(days=30)) == "expire"


def test_pay_batch_1_instalment_authorised_when_due():
    txn = facts(S.TO_AUTHORIZE, capture_mode="AUTO")
    assert due_action(txn, CAPTURE - ONE_DAY) is None
    assert due_action(txn, CAPTURE) == "authorise"
    assert due_action(txn, CAPTURE + ONE_DAY) == "authorise"


@pytest.mark.parametrize("state", [S.CAPTURED, S.CAPTURE_REFUSED, S.EXPIRED, S.FRAUD_SUSPECTED, S.REFUSED,
                                   S.CANCELLED, S.CREDITED, S.UNPAID])
def test_pay_batch_1_nothing_due_for_final_states(state):
    txn = facts(state)
    for day in (CAPTURE - ONE_DAY, CAPTURE, CAPTURE + ONE_DAY):
        assert due_action(txn, day) is None


def test_pay_batch_1_pending_refund_is_due():
    txn = captured(S.TO_CREDIT, 10000, credited=2000, capture_date=CREATED)
    assert due_action(txn, TODAY) == "credit"

