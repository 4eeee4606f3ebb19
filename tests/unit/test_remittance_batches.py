"""PAY-BATCH-1 / OPS-7 at size: the remittance run commits chunk by chunk, so the portal writes
while it runs; a run interrupted after a chunk, or failing inside one, is resumed by the next run
without doing anything twice."""
import datetime
import threading

import pytest

import portal.payments.remittance as remittance
from models import Operation, RemittanceRun, Transaction, db
from portal.database import is_postgres
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.remittance import remit
from portal.payments.service import new_idempotency_key, perform_operation
from stdnum import luhn

from tests.factories import make_transaction as make_payment

RIGHTS = {"view", "validate", "cancel", "refund", "duplicate"}


def card(n):
    """A distinct accepted simulator card per payment (the fraud check allows 5 uses of a card a day)."""
    return next(number for digit in "0123456789"
                if luhn.is_valid(number := f"43000000{n:05d}{digit}00"))


_cards = iter(range(1, 100000))


def make_transaction(ctx, shop, amount, **fields):
    return make_payment(ctx, shop, amount, card=card(next(_cards)), **fields)


class Interrupted(Exception):
    pass


def _captures_per_transaction():
    rows = (Operation.select(Operation.transaction, Operation.id).where(Operation.kind == Kind.CAPTURE).tuples())
    counts = {}
    for transaction_id, _ in rows:
        counts[transaction_id] = counts.get(transaction_id, 0) + 1
    return counts


def _states(transactions):
    return sorted(Transaction.get_by_id(txn.id).state for txn in transactions)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(remittance, "CHUNK", 3)


def test_pay_batch_1_interrupted_after_a_chunk_resumes_without_doing_anything_twice(
        app, shop, payment_ctx, clock, small_chunks):
    day = clock.now.date()
    due = [make_transaction(payment_ctx, shop, 1000 + n) for n in range(8)]
    seen = []

    def interrupt(run_day, counts):
        assert not db.in_transaction(), "the chunk is committed before the callback runs"
        seen.append(counts)
        raise Interrupted()  # the process dies after its first chunk

    with pytest.raises(Interrupted):
        remit(payment_ctx, day, on_chunk=interrupt)
    assert seen == [{"captured": 3, "capture_refused": 0}]
    assert _states(due) == ["CAPTURED"] * 3 + ["TO_CAPTURE"] * 5
    run = RemittanceRun.get(RemittanceRun.day == day)
    assert run.finished_at is None and '"captured": 3' in run.summary

    summaries = remit(payment_ctx, day)  # the next run resumes the unfinished day
    assert summaries[day]["captured"] == 8
    assert _states(due) == ["CAPTURED"] * 8
    assert set(_captures_per_transaction().values()) == {1} and len(_captures_per_transaction()) == 8
    assert RemittanceRun.get(RemittanceRun.day == day).finished_at is not None
    assert remit(payment_ctx, day) == {}
    assert Operation.select().where(Operation.kind == Kind.CAPTURE).count() == 8


def test_pay_batch_1_a_chunk_that_fails_leaves_nothing_half_done(app, shop, payment_ctx, clock, small_chunks,
                                                                 monkeypatch):
    day = clock.now.date()
    due = [make_transaction(payment_ctx, shop, 2000 + n) for n in range(7)]
    real_set_state = remittance._set_state
    calls = []

    def failing_in_the_second_chunk(ids, state, was):
        calls.append(state)
        if calls.count("CAPTURED") == 2:  # its CAPTURE rows are already inserted at this point
            raise ConnectionError("database link lost in the middle of a chunk")
        return real_set_state(ids, state, was)

    monkeypatch.setattr(remittance, "_set_state", failing_in_the_second_chunk)
    with pytest.raises(ConnectionError):
        remit(payment_ctx, day)
    # The first chunk is committed; the second rolled back whole (no capture row, no state change).
    assert _states(due) == ["CAPTURED"] * 3 + ["TO_CAPTURE"] * 4
    assert Operation.select().where(Operation.kind == Kind.CAPTURE).count() == 3
    assert '"captured": 3' in RemittanceRun.get(RemittanceRun.day == day).summary
    monkeypatch.setattr(remittance, "_set_state", real_set_state)
    assert remit(payment_ctx, day)[day]["captured"] == 7
    assert set(_captures_per_transaction().values()) == {1} and len(_captures_per_transaction()) == 7


def test_pay_batch_1_a_payment_operated_between_read_and_write_is_read_again(app, shop, payment_ctx, clock,
                                                                            small_chunks, monkeypatch):
    """The run reads and decides a chunk without the lock; a cancel that lands in between is seen by
    the write, which reads the chunk again: the capture is for what is left, never the old amount."""
    day = clock.now.date()
    due = [make_transaction(payment_ctx, shop, 10000) for _ in range(3)]
    real_unchanged = remittance._unchanged
    verdicts = []

    def cancel_just_before_the_write(ids, states, seen):
        if not verdicts:
            outcome = perform_operation(payment_ctx, due[1].id, Kind.CANCEL, 4000, None, RIGHTS, new_idempotency_key())
            assert outcome.succeeded, outcome.message
        verdicts.append(real_unchanged(ids, states, seen))
        return verdicts[-1]

    # The cancel runs on the run's own connection (a savepoint inside its write): for the check that
    # follows, it is the same as a user's cancel committed just before the write took the lock.
    monkeypatch.setattr(remittance, "_unchanged", cancel_just_before_the_write)
    remit(payment_ctx, day)
    assert verdicts[0] is False
    amounts = {op.transaction_id: op.amount for op in Operation.select().where(Operation.kind == Kind.CAPTURE)}
    assert amounts == {due[0].id: 10000, due[1].id: 6000, due[2].id: 10000}


def test_ops_7_a_portal_write_gets_in_while_a_long_run_is_in_progress(app, shop, payment_ctx, clock, small_chunks):
    day = clock.now.date()
    remitted_yesterday = make_transaction(payment_ctx, shop, 9000)
    remit(payment_ctx, day)
    clock.advance(days=1)
    tomorrow = clock.now.date()
    due = [make_transaction(payment_ctx, shop, 500 + n) for n in range(7)]
    refund = {}

    def refund_from_another_connection():
        db.connect(reuse_if_open=True)
        try:
            refund["outcome"] = perform_operation(payment_ctx, remitted_yesterday.id, Kind.CREDIT, 2500, None, RIGHTS,
                                                  new_idempotency_key())
        finally:
            db.close()

    def in_the_middle(run_day, counts):
        if "captured" in counts and "outcome" not in refund:
            # A user refunds another payment while the run is between two chunks: with the run's
            # write lock held for the whole day this would wait for the busy timeout (10 s).
            writer = threading.Thread(target=refund_from_another_connection)
            writer.start()
            writer.join(timeout=5)
            refund["finished_in_time"] = not writer.is_alive()
            writer.join()
            refund["captured_so_far"] = Operation.select().where(
                (Operation.kind == Kind.CAPTURE) & Operation.transaction.in_([t.id for t in due])).count()

    summary = remit(payment_ctx, tomorrow, on_chunk=in_the_middle)[tomorrow]
    assert refund["finished_in_time"] and refund["outcome"].succeeded, refund["outcome"].message
    assert refund["captured_so_far"] == 3  # the run was really in the middle
    # The same run then sends the refund entered during it, and every due capture.
    assert summary["captured"] == 7 and summary["credited"] == 1
    assert Transaction.get_by_id(remitted_yesterday.id).state == "CREDITED"
    assert _states(due) == ["CAPTURED"] * 7


def test_pay_batch_1_expiries_and_captures_in_chunks_keep_their_rules(app, shop, payment_ctx, clock, small_chunks):
    day = clock.now.date()
    to_validate = [make_transaction(payment_ctx, shop, 3000 + n, capture_mode="VALIDATION", capture_delay=1)
                   for n in range(4)]
    cancelled_in_part = [make_transaction(payment_ctx, shop, 10000, capture_delay=1) for _ in range(4)]
    for txn in cancelled_in_part:
        perform_operation(payment_ctx, txn.id, Kind.CANCEL, 2500, None, RIGHTS, new_idempotency_key())
    remit(payment_ctx, day)
    summary = remit(payment_ctx, day + datetime.timedelta(days=2))
    assert sum(s["expired"] for s in summary.values()) == 4
    assert _states(to_validate) == ["EXPIRED"] * 4
    expire_amounts = sorted(op.amount for op in Operation.select().where(Operation.kind == Kind.EXPIRE))
    assert expire_amounts == [3000, 3001, 3002, 3003]
    captures = [op.amount for op in Operation.select().where(Operation.kind == Kind.CAPTURE)]
    assert captures == [7500] * 4  # what was left after the partial cancel, once each


def test_pay_batch_1_the_runs_facts_are_service_facts_for(app, shop, payment_ctx, clock):
    """The run works its TransactionFacts out from the rows as the driver hands them (SQLite: dates
    as text), with what repeats computed once: the very facts service.facts_for makes, whatever the
    operations, and around midnight and the change to summer time in the shop's time zone."""
    from portal.payments.service import facts_for

    plain = make_transaction(payment_ctx, shop, 1000, capture_delay=1)
    to_validate = make_transaction(payment_ctx, shop, 2000, capture_mode="VALIDATION", capture_delay=2)
    validated = make_transaction(payment_ctx, shop, 3000, capture_mode="VALIDATION", capture_delay=2)
    cancelled = make_transaction(payment_ctx, shop, 4000, capture_delay=1)
    perform_operation(payment_ctx, validated.id, Kind.VALIDATE, 2500, None, RIGHTS, new_idempotency_key())
    perform_operation(payment_ctx, cancelled.id, Kind.CANCEL, 1500, None, RIGHTS, new_idempotency_key())
    instants = [datetime.datetime(2026, 3, 28, 22, 59, 59), datetime.datetime(2026, 3, 28, 23, 0, 30),
                datetime.datetime(2026, 3, 29, 0, 59, 59, 999999), datetime.datetime(2026, 3, 29, 1, 0, 1),
                datetime.datetime(2026, 10, 24, 22, 0), datetime.datetime(2026, 10, 24, 21, 59, 59)]
    transactions = [plain, to_validate, validated, cancelled]
    for n, instant in enumerate(instants):
        txn = make_transaction(payment_ctx, shop, 500 + n, capture_delay=1)
        Transaction.update(created_at=instant).where(Transaction.id == txn.id).execute()
        transactions.append(txn)
    states = ["TO_CAPTURE", "TO_VALIDATE", "TO_VALIDATE_NO_AUTH"]
    sql, params = remittance._due_sql(states, clock.now.date() + datetime.timedelta(days=30), 0, None, False)
    rows = [remittance._FactRow._make(row) for row in db.execute_sql(sql, params).fetchall()]
    assert {row.id for row in rows} == {txn.id for txn in transactions}
    operations = remittance._operations_of([row.id for row in rows])
    facts = remittance._Facts(payment_ctx.timezone)
    for row in rows:
        expected = facts_for(Transaction.get_by_id(row.id), payment_ctx.timezone)
        assert facts(row, operations.get(row.id, ())) == expected
    # Twice: the second time from what the first one kept.
    assert [facts(row, operations.get(row.id, ())) for row in rows] == [
        facts_for(Transaction.get_by_id(row.id), payment_ctx.timezone) for row in rows]
    days = {facts(row, ()).created_on for row in rows if row.id in {t.id for t in transactions[4:]}}
    assert days == {datetime.date(2026, 3, 28), datetime.date(2026, 3, 29), datetime.date(2026, 10, 24),
                    datetime.date(2026, 10, 25)}


def test_pay_batch_1_the_bulk_insert_writes_each_rows_values(app, shop, payment_ctx, clock):
    """_bulk_insert sends a column whose value is the same on every row once and the others as arrays
    (PostgreSQL): each row still gets its own values, NULLs, booleans and timestamps included, and a
    chunk of one row (every column constant) too."""
    first, second, third = (make_transaction(payment_ctx, shop, 700 + n) for n in range(3))
    at = datetime.datetime(2026, 3, 10, 21, 0, 0)
    later = datetime.datetime(2026, 3, 10, 21, 0, 0, 250000)
    rows = [(first.id, "CAPTURE", 700, True, "00", "", at, "R1", "ACCEPTED", at, None, None, ""),
            (second.id, "CAPTURE", 701, False, "12", "Remise refusée : « carte »", at, "R2", "REFUSED", at, None,
             later, ""),
            (third.id, "CAPTURE", 702, True, "00", "", at, "R3", "ACCEPTED", at, later, None, "")]
    alone = [(first.id, "EXPIRE", 5, True, "", "Non validée au plus tard le 10/03/2026", at, "", "", None, None,
              None, "")]
    with db.atomic():
        remittance._bulk_insert(Operation, remittance._OPERATION_COLUMNS, rows + alone)
        remittance._bulk_insert(Operation, remittance._OPERATION_COLUMNS, alone)
    written = (Operation.select().where(Operation.kind.in_(["CAPTURE", "EXPIRE"])).order_by(Operation.id))
    as_read = [tuple(getattr(op, "transaction_id" if name == "transaction" else name)
                     for name in remittance._OPERATION_COLUMNS) for op in written]
    assert as_read == rows + alone + alone


def _plans(sql, params):
    """EXPLAIN of a statement as text; on PostgreSQL with sequential scans priced out, so that a tiny
    test table shows which index the query can read through."""
    if is_postgres():
        with db.atomic():
            db.execute_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params).fetchall())
    return "\n".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def test_ops_6_queries_on_shop_or_state_read_through_the_longer_indexes_of_0021(app, shop, payment_ctx, clock):
    """Migration 0021 dropped card_transaction's (shop_id) index (and (state) on PostgreSQL): the
    queries that filter on them read through an index that starts with them, and the run's chunk
    query on SQLite still walks (state, rowid) in id order, without sorting the due rows."""
    from portal.payments.sync import NON_FINAL_STATES

    make_transaction(payment_ctx, shop, 1000)
    indexes = {index.name for index in db.get_indexes("card_transaction")}
    assert "card_transaction_shop_id" not in indexes
    assert ("card_transaction_state" in indexes) is not is_postgres()
    day = clock.now.date()
    queries = {
        "the run's chunk": remittance._due_sql(["TO_CAPTURE"], day, 0, None, False),
        "a shop's rows": Transaction.select(Transaction.id).where(Transaction.shop == shop.id).limit(1).sql(),
        "a shop's states": Transaction.select(Transaction.id).where(
            (Transaction.shop == shop.id) & Transaction.state.in_(list(NON_FINAL_STATES))).sql(),
        "states due": Transaction.select(Transaction.id).where(
            Transaction.state.in_(["TO_CAPTURE", "TO_AUTHORIZE"]) & (Transaction.capture_date <= day)).sql(),
    }
    for what, (sql, params) in queries.items():
        plan = _plans(sql, params)
        assert "Seq Scan on card_transaction" not in plan, (what, plan)
        assert "SCAN card_transaction" not in plan and "SCAN t1" not in plan, (what, plan)
    if not is_postgres():
        plan = _plans(*queries["the run's chunk"])
        assert "card_transaction_state (state=? AND rowid>?)" in plan and "TEMP B-TREE" not in plan, plan
