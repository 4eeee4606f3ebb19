"""PAY-INST-1 / PAY-INST-2: the schedule rules (pre-fill, checks, derived references) and the
creation of n linked transactions through create_payment (idempotent; the first refused → the
others cancelled); the nightly run authorises the later ones on their date. Also the rule of the
bank timing messages (issue 11)."""
import datetime
import threading

import pytest

from models import Operation, RemittanceRun, Transaction, db
from portal.payments.acquirer import simulator_card
from portal.payments.cards import Expiry, detect_networks, mask
from portal.payments.instalments import (MONTHLY, check_schedule, derived_reference, due_dates, prefill,
                                         split_amounts)
from portal.payments.lifecycle import bank_sending_day
from portal.payments.remittance import remit
from portal.payments.service import NewPayment, create_payment, new_idempotency_key
from tests.factories import ACCEPTED_CARD

D = datetime.date(2026, 3, 10)


def test_pay_inst_2_prefill_equal_shares_odd_cents_first():
    schedule = prefill(10000, 3, D, period_days=30)
    assert [i.amount for i in schedule] == [3334, 3333, 3333]
    assert [i.due_date for i in schedule] == [D, D + datetime.timedelta(days=30), D + datetime.timedelta(days=60)]
    assert [i.rank for i in schedule] == [1, 2, 3]
    assert sum(i.amount for i in schedule) == 10000


def test_pay_inst_2_prefill_with_first_amount_shares_the_rest():
    assert split_amounts(10000, 3, first_amount=5000) == [5000, 2500, 2500]
    assert split_amounts(10001, 4, first_amount=1000) == [1000, 3001, 3000, 3000]
    assert split_amounts(10000, 3, first_amount=10000) is None  # nothing left for the others
    assert split_amounts(10000, 3, first_amount=0) is None
    assert split_amounts(2, 3) is None  # less than a cent each


def test_pay_inst_2_monthly_dates_clamp_to_month_end():
    assert due_dates(datetime.date(2026, 1, 31), 3, MONTHLY) == [
        datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)]


def test_pay_inst_2_schedule_must_sum_to_total_exactly():
    lines = [(D, 3000), (D + datetime.timedelta(days=30), 3000), (D + datetime.timedelta(days=60), 3000)]
    check = check_schedule(lines, 10000, D, fmt=lambda m: f"{m / 100:.2f}")
    assert not check.ok
    assert "10.00 de moins" in str(check.overall[0]) and "90.00" in str(check.overall[0])
    lines[2] = (lines[2][0], 4000)
    assert check_schedule(lines, 10000, D).ok


def test_pay_inst_2_dates_increase_and_first_is_today():
    lines = [(D + datetime.timedelta(days=1), 5000), (D, 2500), (D + datetime.timedelta(days=9999), 2500)]
    check = check_schedule(lines, 10000, D)
    assert "aujourd'hui" in str(check.lines[0]["due_date"])
    assert "après celle de l'échéance précédente" in str(check.lines[1]["due_date"])
    assert "deux ans" in str(check.lines[2]["due_date"])


def test_pay_inst_2_each_line_checked_amount_and_card_validity():
    lines = [(D, 10000), (D + datetime.timedelta(days=40), 0)]
    check = check_schedule(lines, 10000, D, card_last_day=D + datetime.timedelta(days=30))
    assert "supérieur à zéro" in str(check.lines[1]["amount"])
    assert "carte ne sera plus valable" in str(check.lines[1]["due_date"])
    assert "de 2 à 12" in str(check_schedule([(D, 10000)], 10000, D).overall[0])


def test_pay_inst_1_derived_references_fit_35_characters():
    assert derived_reference("CMD42", 1) == "CMD42E01"
    assert len(derived_reference("A" * 32, 12)) == 35


def _instalment_payment(ctx, shop, schedule, base="ECHEL1", card=ACCEPTED_CARD, wallet_id=""):
    networks = detect_networks(card)
    return NewPayment(
        shop=shop, reference=derived_reference(base, 1), amount=schedule[0].amount, currency="EUR",
        capture_mode="AUTO", capture_delay=0, network=networks[0], networks=networks, masked_pan=mask(card),
        expiry=Expiry(ctx.today().year + 3, 12), card_number=card, instalment_group=base, instalments=schedule,
        wallet_id=wallet_id)


def test_pay_inst_1_creates_n_linked_transactions_first_authorised(payment_ctx, shop):
    schedule = prefill(10000, 3, payment_ctx.today(), period_days=30)
    first = create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, schedule), None, new_idempotency_key())
    rows = list(Transaction.select().order_by(Transaction.instalment_rank))
    assert [t.reference for t in rows] == ["ECHEL1E01", "ECHEL1E02", "ECHEL1E03"]
    assert [t.state for t in rows] == ["TO_CAPTURE", "TO_AUTHORIZE", "TO_AUTHORIZE"]
    assert [t.amount for t in rows] == [3334, 3333, 3333]
    assert {t.instalment_group for t in rows} == {"ECHEL1"} and {t.instalment_count for t in rows} == {3}
    assert [t.due_date for t in rows] == [i.due_date for i in schedule]
    assert rows[1].capture_date == schedule[1].due_date
    assert first.authorisation_number and {t.card_token for t in rows} == {first.card_token}
    # Only the first one asked the gateway.
    assert Operation.select().where(Operation.kind == "AUTHOR").count() == 1


def test_pay_inst_1_refused_first_cancels_the_others(payment_ctx, shop):
    schedule = prefill(9000, 3, payment_ctx.today(), period_days=10)
    refused = simulator_card("430000", "00", "05")
    first = create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, schedule, card=refused), None,
                           new_idempotency_key())
    assert first.state == "REFUSED"
    others = list(Transaction.select().where(Transaction.instalment_rank > 1))
    assert [t.state for t in others] == ["CANCELLED", "CANCELLED"]
    assert all(t.operations.get().kind == "CANCEL" for t in others)


def test_pay_inst_1_double_submission_creates_the_schedule_once(app, payment_ctx, shop):
    schedule = prefill(10000, 3, payment_ctx.today(), period_days=30)
    key = new_idempotency_key()
    first = create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, schedule), None, key)
    again = create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, schedule), None, key)
    assert again.id == first.id
    assert Transaction.select().count() == 3


def test_pay_inst_1_simultaneous_submissions_create_it_once(app, payment_ctx, shop):
    schedule = prefill(10000, 3, payment_ctx.today(), period_days=30)
    key = new_idempotency_key()
    results, errors = [], []

    def submit():
        try:
            with db.connection_context():
                results.append(create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, schedule), None,
                                              key).id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(set(results)) == 1
    assert Transaction.select().count() == 3
    assert Operation.select().where(Operation.kind == "AUTHOR").count() == 1


def test_pay_inst_1_nightly_run_authorises_each_on_its_date(payment_ctx, shop, clock):
    start = payment_ctx.today()
    schedule = prefill(9000, 3, start, period_days=5)
    create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, schedule), None, new_idempotency_key())
    remit(payment_ctx, start + datetime.timedelta(days=4))
    states = [t.state for t in Transaction.select().order_by(Transaction.instalment_rank)]
    assert states == ["CAPTURED", "TO_AUTHORIZE", "TO_AUTHORIZE"]
    clock.set_local_day(start + datetime.timedelta(days=5))
    remit(payment_ctx, start + datetime.timedelta(days=5))
    second = Transaction.get(Transaction.instalment_rank == 2)
    assert second.state == "CAPTURED" and second.authorisation_number


def test_bank_timing_rule_says_the_real_day():
    today = datetime.date(2026, 12, 1)
    assert bank_sending_day(today, today, todays_run_done=False) == today
    assert bank_sending_day(today, today, todays_run_done=True) == datetime.date(2026, 12, 2)
    later = datetime.date(2026, 12, 5)
    assert bank_sending_day(later, today, todays_run_done=True) == later
    # A transaction overdue (a run missed) leaves with the next run, never in the past.
    assert bank_sending_day(datetime.date(2026, 11, 28), today, todays_run_done=False) == today


def test_bank_timing_refund_message_after_todays_run(payment_ctx, shop, clock):
    from portal.payments.service import perform_operation

    txn = create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, prefill(4000, 2, payment_ctx.today())),
                         None, new_idempotency_key())
    remit(payment_ctx, payment_ctx.today())  # today's run sends the capture
    assert RemittanceRun.select().where(RemittanceRun.day == payment_ctx.today()).exists()
    outcome = perform_operation(payment_ctx, txn.id, "CREDIT", 1000, None, {"refund"}, new_idempotency_key())
    assert outcome.succeeded
    assert "ce soir" not in outcome.message
    tomorrow = payment_ctx.today() + datetime.timedelta(days=1)
    assert f"demain, {tomorrow:%d/%m/%Y}" in outcome.message


def test_bank_timing_refund_message_before_todays_run(payment_ctx, shop, clock):
    from portal.payments.service import perform_operation

    txn = create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, prefill(4000, 2, payment_ctx.today())),
                         None, new_idempotency_key())
    remit(payment_ctx, payment_ctx.today())
    clock.advance(days=1)  # the next day, before its run
    outcome = perform_operation(payment_ctx, txn.id, "CREDIT", 1000, None, {"refund"}, new_idempotency_key())
    assert f"ce soir ({payment_ctx.today():%d/%m/%Y})" in outcome.message


def test_pay_inst_1_schedule_lists_every_instalment(payment_ctx, shop):
    from portal.payments.service import instalment_schedule

    create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, prefill(9000, 3, payment_ctx.today())), None,
                   new_idempotency_key())
    second = Transaction.get(Transaction.instalment_rank == 2)
    assert [t.instalment_rank for t in instalment_schedule(second)] == [1, 2, 3]
    assert instalment_schedule(Transaction.get(Transaction.instalment_rank == 1))[2].id != second.id


def test_pay_inst_1_reference_taken_creates_nothing(payment_ctx, shop):
    from portal.payments.service import DuplicateReference
    from tests.factories import make_transaction

    make_transaction(payment_ctx, shop, reference="ECHEL1E02")
    with pytest.raises(DuplicateReference):
        create_payment(payment_ctx, _instalment_payment(payment_ctx, shop, prefill(9000, 3, payment_ctx.today())),
                       None, new_idempotency_key())
    assert Transaction.select().count() == 1
