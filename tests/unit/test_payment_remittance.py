"""The daily remittance run (PAY-BATCH-1) on the database: due captures and credits, expiries,
deferred authorisations, capture refusals, unpaids; idempotent and catching up missed days."""
import datetime

from models import Operation, RemittanceRun, Transaction, Unpaid
from portal.payments.acquirer import simulator_card
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.remittance import days_to_run, remit
from portal.payments.service import new_idempotency_key, perform_operation
from tests.factories import make_transaction

RIGHTS = {"view", "validate", "cancel", "refund", "duplicate"}
DAY = datetime.timedelta(days=1)


def _state(txn):
    return Transaction.get_by_id(txn.id).state


def test_pay_batch_1_captures_on_the_capture_day_not_before(app, shop, payment_ctx, clock):
    today = clock.now.date()
    txn = make_transaction(payment_ctx, shop, 10000, capture_delay=2)
    assert txn.capture_date == today + 2 * DAY
    remit(payment_ctx, today + DAY)
    assert _state(txn) == "TO_CAPTURE"
    remit(payment_ctx, today + 2 * DAY)
    assert _state(txn) == "CAPTURED"
    capture = Operation.get(Operation.kind == Kind.CAPTURE)
    assert capture.remittance_status == "ACCEPTED" and capture.operation_number and capture.sent_at


def test_pay_batch_1_partial_cancel_remits_the_rest(app, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000, capture_delay=1)
    perform_operation(payment_ctx, txn.id, Kind.CANCEL, 3000, None, RIGHTS, new_idempotency_key())
    remit(payment_ctx, clock.now.date() + DAY)
    assert Operation.get(Operation.kind == Kind.CAPTURE).amount == 7000


def test_pay_batch_1_expires_overdue_validations(app, shop, payment_ctx, clock):
    today = clock.now.date()
    txn = make_transaction(payment_ctx, shop, 10000, capture_mode="VALIDATION", capture_delay=1)
    remit(payment_ctx, today + DAY)  # the last day to validate: still to validate
    assert _state(txn) == "TO_VALIDATE"
    remit(payment_ctx, today + 2 * DAY)
    assert _state(txn) == "EXPIRED"
    assert not Operation.select().where(Operation.kind == Kind.CAPTURE).exists()


def test_pay_batch_1_is_idempotent_and_catches_up(app, shop, payment_ctx, clock):
    today = clock.now.date()
    make_transaction(payment_ctx, shop, 1000)
    assert list(remit(payment_ctx, today)) == [today]
    assert remit(payment_ctx, today) == {}
    make_transaction(payment_ctx, shop, 2000, capture_delay=2)
    runs = remit(payment_ctx, today + 4 * DAY)  # three missed days
    assert list(runs) == [today + n * DAY for n in (1, 2, 3, 4)]
    assert runs[today + 2 * DAY]["captured"] == 1
    assert RemittanceRun.select().count() == 5
    assert Operation.select().where(Operation.kind == Kind.CAPTURE).count() == 2
    assert days_to_run(None, today) == [today]
    assert days_to_run(today, today - DAY) == []


def test_pay_batch_1_authorises_due_instalments_once(app, shop, payment_ctx, clock):
    today = clock.now.date()
    ok = make_transaction(payment_ctx, shop, 3000, capture_delay=10)
    refused = make_transaction(payment_ctx, shop, 3000, capture_delay=10, card=simulator_card("430000", "00", "51"))
    assert ok.state == refused.state == "TO_AUTHORIZE"
    remit(payment_ctx, today + 9 * DAY)
    assert _state(ok) == "TO_AUTHORIZE"
    summary = remit(payment_ctx, today + 10 * DAY)[today + 10 * DAY]
    assert summary["authorised"] == 2 and summary["captured"] == 1
    assert _state(ok) == "CAPTURED" and _state(refused) == "REFUSED"
    remit(payment_ctx, today + 11 * DAY)
    author_rows = Operation.select().where((Operation.transaction == refused.id) & (Operation.kind == Kind.AUTHOR))
    assert author_rows.count() == 2  # the deferral at creation, then one request: never presented again


def test_pay_batch_1_sends_refunds_the_same_day(app, shop, payment_ctx, clock):
    today = clock.now.date()
    txn = make_transaction(payment_ctx, shop, 10000)
    remit(payment_ctx, today)
    clock.advance(days=1)
    perform_operation(payment_ctx, txn.id, Kind.CREDIT, 4000, None, RIGHTS, new_idempotency_key())
    assert _state(txn) == "TO_CREDIT"
    remit(payment_ctx, today + DAY)
    assert _state(txn) == "CREDITED"
    credit = Operation.get(Operation.kind == Kind.CREDIT)
    assert credit.remittance_status == "ACCEPTED" and credit.operation_number.startswith("C")


def test_pay_batch_1_capture_refused_and_unpaid(app, shop, payment_ctx, clock):
    today = clock.now.date()
    refused = make_transaction(payment_ctx, shop, 1000, card=simulator_card("520000", "11"))
    unpaid = make_transaction(payment_ctx, shop, 2000, card=simulator_card("520000", "22"))
    remit(payment_ctx, today)
    assert _state(refused) == "CAPTURE_REFUSED" and _state(unpaid) == "CAPTURED"
    capture = Operation.get((Operation.transaction == refused.id) & (Operation.kind == Kind.CAPTURE))
    assert not capture.succeeded and capture.error_at is not None and capture.remittance_status == "REFUSED"
    clock.advance(days=2)
    remit(payment_ctx, today + 2 * DAY)
    assert _state(unpaid) == "CAPTURED"
    clock.advance(days=1)
    remit(payment_ctx, today + 3 * DAY)
    assert _state(unpaid) == "UNPAID"
    row = Unpaid.get()
    assert row.amount == 2000 and row.unpaid_code == "4837" and row.unpaid_date == today + 3 * DAY
    remit(payment_ctx, today + 4 * DAY)
    assert Unpaid.select().count() == 1


def test_pay_batch_1_cli_command(app, shop, payment_ctx, clock):
    make_transaction(payment_ctx, shop, 1000)
    runner = app.test_cli_runner()
    day = clock.now.date()
    result = runner.invoke(args=["remit", "--until", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"{day:%d/%m/%Y} : autorisations demandées 0, expirées 0, remises 1" in result.output
    again = runner.invoke(args=["remit", "--until", day.isoformat()])
    assert "Rien à faire" in again.output
    assert Operation.select().where(Operation.kind == Kind.CAPTURE).count() == 1
