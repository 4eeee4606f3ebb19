"""The simulator gateway's nightly run (PAY-BATCH-1, PAY-GW-1): authorise what falls due, expire
overdue validations, send due captures and pending refunds to the bank, and take in the bank's
unpaids — for the shops the simulator serves (a Sips shop's gateway remits itself; `flask sync`
reads its results back).

One database transaction per business day, recorded in RemittanceRun: running it again does
nothing twice, and a run after missed days catches up day by day. Transactions are processed in
chunks of CHUNK rows in id order, so memory stays flat however many captures fall due."""
import datetime
import json

from peewee import IntegrityError

from models import Operation, RemittanceRun, Shop, Transaction, Unpaid
from portal.audit import record_action
from portal.payments.acquirer import BankItem
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState as State
from portal.payments.lifecycle import due_action, local_date
from portal.payments.service import _authorise_into, _locked_rows, facts_for, money_transaction

SUMMARY_LABELS = {
    "authorised": "autorisations demandées",
    "expired": "expirées",
    "captured": "remises",
    "capture_refused": "remises refusées",
    "credited": "remboursements envoyés",
    "unpaid": "impayés reçus",
}

# How far back the bank may still announce an unpaid on a remittance.
CHARGEBACK_WINDOW_DAYS = 120
CHUNK = 1000
SIMULATOR = "SIMULATOR"


def _simulator_shops():
    return Shop.select(Shop.id).where(Shop.gateway == SIMULATOR)


def days_to_run(last_done: datetime.date | None, until: datetime.date):
    """The first run does only `until` (its selection already includes anything overdue)."""
    if last_done is None:
        return [until]
    return [last_done + datetime.timedelta(days=n) for n in range(1, (until - last_done).days + 1)]


def remit(ctx, until: datetime.date):
    """Run every business day not yet run, up to `until`; returns {day: summary} for the days run."""
    last = RemittanceRun.select().order_by(RemittanceRun.day.desc()).first()
    summaries = {}
    for day in days_to_run(last.day if last else None, until):
        summary = run_day(ctx, day)
        if summary is not None:
            summaries[day] = summary
    return summaries


def run_day(ctx, day):
    """Process one day; None if it was already processed (by this or a concurrent run)."""
    try:
        with money_transaction():
            if RemittanceRun.select().where(RemittanceRun.day == day).exists():
                return None
            run = RemittanceRun.create(day=day, started_at=ctx.now())
            summary = {
                "authorised": _authorise_due(ctx, day),
                "expired": _expire_overdue(ctx, day),
                **_send_captures(ctx, day),
                "credited": _send_credits(ctx),
                "unpaid": _receive_chargebacks(ctx, day),
            }
            run.finished_at = ctx.now()
            run.summary = json.dumps(summary)
            run.save()
            record_action("remittance.run", "remittance_run", day.isoformat(), actor="batch", after=summary)
            return summary
    except IntegrityError:
        return None


def _facts_of(ctx, transactions):
    """{transaction id: facts}, with every operation loaded in one query (not one per transaction)."""
    operations = {txn.id: [] for txn in transactions}
    ids = list(operations)
    for start in range(0, len(ids), 500):
        for op in Operation.select().where(Operation.transaction.in_(ids[start:start + 500])):
            operations[op.transaction_id].append(op)
    return {txn.id: facts_for(txn, ctx.timezone, operations[txn.id]) for txn in transactions}


def _due(ctx, action, states, day):
    """Chunks of [(transaction, facts)] for which the lifecycle rule says `action` today: SQL narrows,
    the rule decides. Keyset pagination on the id, so a chunk's changes never hide the next one."""
    last_id = 0
    while True:
        candidates = _locked_rows(
            Transaction.select().where(Transaction.state.in_(states) & (Transaction.capture_date <= day)
                                       & (Transaction.id > last_id) & Transaction.shop.in_(_simulator_shops()))
            .order_by(Transaction.id).limit(CHUNK))
        if not candidates:
            return
        last_id = candidates[-1].id
        facts = _facts_of(ctx, candidates)
        yield [(txn, facts[txn.id]) for txn in candidates if due_action(facts[txn.id], day) == action]


def _authorise_due(ctx, day):
    """Instalments and long-delay payments: their authorisation is asked on the due day."""
    count = 0
    for chunk in _due(ctx, "authorise", [State.TO_AUTHORIZE], day):
        for txn, _ in chunk:
            txn.state = State.TO_CAPTURE
            _authorise_into(ctx, txn, None)  # a refusal sets REFUSED: never presented again
            txn.save()
            count += 1
    return count


def _expire_overdue(ctx, day):
    count = 0
    for chunk in _due(ctx, "expire", [State.TO_VALIDATE, State.TO_VALIDATE_NO_AUTH], day):
        for txn, facts in chunk:
            Operation.create(transaction=txn, kind=Kind.EXPIRE, amount=facts.remaining, at=ctx.now(),
                             reason=f"Non validée au plus tard le {txn.capture_date:%d/%m/%Y}")
            txn.state = State.EXPIRED
            txn.save()
            count += 1
    return count


def _send_captures(ctx, day):
    captured = refused = 0
    sent_at = ctx.now()
    for due in _due(ctx, "capture", [State.TO_CAPTURE], day):
        transactions = {txn.id: txn for txn, _ in due}
        items = [BankItem(txn.id, txn.card_token, facts.remaining, txn.currency, txn.reference) for txn, facts in due]
        reports = ctx.acquirer.capture(items, sent_at) if items else []
        amounts = {item.key: item.amount for item in items}
        rows = []
        for report in reports:
            rows.append(dict(transaction=report.key, kind=Kind.CAPTURE, amount=amounts[report.key],
                             succeeded=report.accepted, response_code=report.response_code, reason=report.reason,
                             at=sent_at, operation_number=report.operation_number,
                             remittance_status="ACCEPTED" if report.accepted else "REFUSED",
                             sent_at=sent_at, warning_at=report.warning_at, error_at=report.error_at))
            captured += report.accepted
            refused += not report.accepted
        if rows:
            Operation.insert_many(rows).execute()
        for state, accepted in ((State.CAPTURED, True), (State.CAPTURE_REFUSED, False)):
            ids = [report.key for report in reports if report.accepted == accepted]
            if ids:
                Transaction.update(state=state).where(Transaction.id.in_(ids)).execute()
        del transactions, items, reports, rows
    return {"captured": captured, "capture_refused": refused}


def _send_credits(ctx):
    sent = 0
    last_id = 0
    sent_at = ctx.now()
    while True:
        pending = list(Operation.select().join(Transaction)
                       .where((Operation.kind == Kind.CREDIT) & (Operation.remittance_status == "TO_SEND")
                              & (Operation.id > last_id) & Transaction.shop.in_(_simulator_shops()))
                       .order_by(Operation.id).limit(CHUNK))
        if not pending:
            return sent
        last_id = pending[-1].id
        transactions = {txn.id: txn for txn in _locked_rows(
            Transaction.select().where(Transaction.id.in_({op.transaction_id for op in pending})))}
        items = [BankItem(op.id, transactions[op.transaction_id].card_token, op.amount,
                          transactions[op.transaction_id].currency, transactions[op.transaction_id].reference)
                 for op in pending]
        reports = {report.key: report for report in ctx.acquirer.credit(items, sent_at)}
        for op in pending:
            report = reports[op.id]
            op.operation_number = report.operation_number
            op.remittance_status = "ACCEPTED" if report.accepted else "REFUSED"
            op.sent_at = sent_at
            op.warning_at, op.error_at = report.warning_at, report.error_at
            op.save()
        for txn in transactions.values():
            if txn.state == State.TO_CREDIT:
                txn.state = State.CREDITED
                txn.save()
        sent += len(pending)


def _receive_chargebacks(ctx, day):
    # Only the captures on which the simulator may still announce an unpaid (3 days).
    window = getattr(ctx.acquirer, "chargeback_window_days", CHARGEBACK_WINDOW_DAYS)
    since = datetime.datetime.combine(day - datetime.timedelta(days=window), datetime.time())
    count = 0
    last_id = 0
    while True:
        captures = list(
            Operation.select(Operation, Transaction).join(Transaction)
            .where((Operation.kind == Kind.CAPTURE) & Operation.succeeded & (Operation.sent_at >= since)
                   & (Transaction.state != State.UNPAID) & (Operation.id > last_id)
                   & Transaction.shop.in_(_simulator_shops()))
            .order_by(Operation.id).limit(CHUNK))
        if not captures:
            return count
        last_id = captures[-1].id
        items = [(BankItem(op.id, op.transaction.card_token, op.amount, op.transaction.currency,
                           op.transaction.reference), local_date(op.sent_at, ctx.timezone)) for op in captures]
        by_id = {op.id: op for op in captures}
        for chargeback in ctx.acquirer.chargebacks(items, day):
            count += _take_unpaid(ctx, by_id[chargeback.key], chargeback)


def _take_unpaid(ctx, op, chargeback):
    txn = _locked_rows(Transaction.select().where(Transaction.id == op.transaction_id))[0]
    if txn.state == State.UNPAID:
        return 0
    Unpaid.create(transaction=txn, operation_number=chargeback.operation_number,
                  operation_code=chargeback.operation_code, unpaid_date=chargeback.unpaid_date,
                  file_number=chargeback.file_number, amount=chargeback.amount,
                  unpaid_code=chargeback.unpaid_code, reason=chargeback.reason, received_at=ctx.now())
    Operation.create(transaction=txn, kind=Kind.UNPAID, amount=chargeback.amount, at=ctx.now(),
                     response_code="", reason=f"{chargeback.unpaid_code} — {chargeback.reason}",
                     operation_number=chargeback.operation_number)
    txn.state = State.UNPAID
    txn.save()
    return 1
