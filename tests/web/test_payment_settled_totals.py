"""What is refunded and remitted of each transaction is kept by database triggers (migration 0018,
table card_transaction_settled) and the result's totals (PAY-SRCH-3) read only that: every way an
operation is written must keep it equal to the sums of its operations, on SQLite and PostgreSQL."""
import datetime
import os
import threading

import pytest

from models import Operation, Transaction, TransactionSettled, db
from portal.payments import search
from tests.web.test_payment_search_pages import TODAY, add_transactions


def _stored(txn):
    row = (TransactionSettled.select(TransactionSettled.refunded_total, TransactionSettled.remitted_total)
           .where(TransactionSettled.transaction == txn.id).tuples().first())
    return row or (0, 0)


def _from_operations(txn):
    refunded = remitted = 0
    for op in Operation.select().where(Operation.transaction == txn.id):
        if op.succeeded and op.kind == "CREDIT":
            refunded += op.amount
        if op.succeeded and op.kind == "CAPTURE" and op.sent_at is not None:
            remitted += op.amount
    return refunded, remitted


def test_pay_srch_3_stored_sums_follow_every_operation_write(app, shop):
    txn = add_transactions(shop, 1, amount=5000, state="CAPTURED", remitted=False)[0]
    assert _stored(txn) == (0, 0)
    capture = Operation.create(transaction=txn, kind="CAPTURE", amount=5000)
    assert _stored(txn) == (0, 0), "a capture counts only once sent to the bank"
    Operation.update(sent_at=datetime.datetime(2026, 3, 10, 21)).where(Operation.id == capture.id).execute()
    assert _stored(txn) == (0, 5000)
    pending = Operation.create(transaction=txn, kind="CREDIT", amount=1200, succeeded=False)
    assert _stored(txn) == (0, 5000), "a refund waiting for the gateway's answer is not refunded yet"
    pending.succeeded = True
    pending.save()  # the application's save() writes every column
    assert _stored(txn) == (1200, 5000)
    Operation.create(transaction=txn, kind="CREDIT", amount=300)
    pending.amount = 1000
    pending.save()
    assert _stored(txn) == (1300, 5000)
    Operation.create(transaction=txn, kind="CANCEL", amount=700)  # counts for neither sum
    pending.delete_instance()
    assert _stored(txn) == (300, 5000) == _from_operations(txn)
    other = add_transactions(shop, 1, amount=800, remitted=False)[0]
    Operation.update(transaction=other.id).where(Operation.id == capture.id).execute()
    assert _stored(txn) == (300, 0) and _stored(other) == (0, 5000)


def test_pay_srch_3_operations_that_count_for_nothing_store_nothing(app, shop):
    txn = add_transactions(shop, 1, amount=5000, state="TO_CAPTURE", remitted=False)[0]
    Operation.create(transaction=txn, kind="CANCEL", amount=5000)
    Operation.create(transaction=txn, kind="CAPTURE", amount=5000)  # not sent yet
    Operation.create(transaction=txn, kind="CREDIT", amount=100, succeeded=False)
    assert not TransactionSettled.select().where(TransactionSettled.transaction == txn.id).exists()


def test_pay_srch_3_totals_equal_the_operations_sums(app, shop):
    for state, refunded, remitted in [("CAPTURED", 0, True), ("CREDITED", 450, True), ("TO_CAPTURE", 0, False),
                                      ("REFUSED", 0, False), ("CREDITED", 1000, True)]:
        add_transactions(shop, 3, amount=1000, state=state, refunded=refunded, remitted=remitted)
    add_transactions(shop, 2, amount=7000, currency="USD", state="CREDITED", refunded=7000)
    found = search.totals(search.Criteria([shop.id], TODAY, TODAY), "Europe/Paris")
    expected = {}
    for txn in Transaction.select():
        refunded, remitted = _from_operations(txn)
        entry = expected.setdefault(txn.currency, [0, 0, 0, 0, 0, 0, 0])
        accepted = txn.state not in ("REFUSED", "FRAUD_SUSPECTED")
        for index, value in enumerate((1, int(accepted), txn.amount if accepted else 0, int(refunded > 0), refunded,
                                       int(remitted > 0), remitted)):
            entry[index] += value
    assert {t.currency: [t.count, t.accepted_count, t.accepted, t.refunded_count, t.refunded, t.remitted_count,
                         t.remitted] for t in found} == expected


def test_pay_srch_3_concurrent_refunds_both_count(app, shop):
    """Two refunds committed at the same time: the relative update of the trigger counts both."""
    txn = add_transactions(shop, 1, amount=9000, state="CAPTURED")[0]
    start = threading.Barrier(2)
    failures = []

    def refund(amount):
        try:
            start.wait(timeout=10)
            with db.connection_context(), db.atomic():
                Operation.create(transaction=txn.id, kind="CREDIT", amount=amount)
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=refund, args=(amount,)) for amount in (1000, 2500)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    assert _stored(txn) == (3500, 9000) == _from_operations(txn)


def test_pay_srch_3_deleting_a_transaction_takes_its_operations_without_error(app, shop):
    txn = add_transactions(shop, 1, amount=5000, state="CREDITED", refunded=500)[0]
    assert _stored(txn) == (500, 5000)
    Transaction.delete().where(Transaction.id == txn.id).execute()
    assert not Operation.select().where(Operation.transaction == txn.id).exists()
    assert not TransactionSettled.select().where(TransactionSettled.transaction == txn.id).exists()


def test_ops_6_migration_0018_fills_the_table_then_goes_down_and_up_again(tmp_path):
    from playhouse.migrations import Runner

    from portal.database import MIGRATIONS_DIR, open_database
    from tests.ops_databases import scratch_database_url
    from tests.unit.test_migrations import _insert, _rows_at

    name = "0018_transaction_settled"
    with scratch_database_url(tmp_path, "up18") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            runner.up(target="0017_invoice_settled")
            with database.atomic():  # transaction 1: an authorisation, a capture sent, a refund
                for table, row in _rows_at(17):
                    _insert(database, table, row)
            runner.up()
            assert database.execute_sql("SELECT transaction_id, refunded_total, remitted_total "
                                        "FROM card_transaction_settled").fetchall() == [(1, 2000, 12345)]
            assert runner.down(target=name)[-1] == name
            assert "card_transaction_settled" not in database.get_tables()
            indexes = {index.name for index in database.get_indexes("card_transaction")}
            assert "card_transaction_shop_id_created_at" in indexes and "card_transaction_totals" not in indexes
            assert name in runner.up()
            indexes = {index.name for index in database.get_indexes("card_transaction")}
            assert "card_transaction_totals" in indexes and "card_transaction_shop_id_created_at" not in indexes
            assert database.execute_sql("SELECT refunded_total, remitted_total FROM card_transaction_settled "
                                        "WHERE transaction_id = 1").fetchall() == [(2000, 12345)]


@pytest.mark.skipif(not os.environ.get("PORTAL_TEST_DATABASE_URL"), reason="PostgreSQL's own locking")
def test_ops_6_migration_0018_counts_an_operation_committed_while_it_runs(tmp_path):
    """A refund committed by the portal while 0018 runs is either in its backfill or seen by its
    triggers: the migration locks card_operation's writers out between the two."""
    import psycopg2
    from playhouse.migrations import Runner

    from portal.database import MIGRATIONS_DIR, open_database
    from tests.ops_databases import scratch_database_url
    from tests.unit.test_migrations import _insert, _rows_at

    with scratch_database_url(tmp_path, "race18") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            runner.up(target="0017_invoice_settled")
            with database.atomic():
                for table, row in _rows_at(17):
                    _insert(database, table, row)
            database.execute_sql("SELECT setval(pg_get_serial_sequence('card_operation', 'id'), "
                                 "(SELECT max(id) FROM card_operation))")
            portal = psycopg2.connect(url)
            portal.autocommit = True

            def refund():
                portal.cursor().execute(
                    "INSERT INTO card_operation (transaction_id, kind, amount, succeeded, response_code, reason, at, "
                    "idempotency_key, operation_number, remittance_status, gateway_status) "
                    "VALUES (1, 'CREDIT', 999, TRUE, '', '', now(), 'pendant', '', '', '')")

            writer = threading.Thread(target=refund)
            original = database.execute_sql

            def backfill_then_refund(sql, params=None, *args, **kwargs):
                result = original(sql, params, *args, **kwargs)
                if "INSERT INTO card_transaction_settled" in sql and not writer.is_alive() and not writer.ident:
                    writer.start()
                    writer.join(timeout=2)  # blocked by the migration's lock, or already committed
                return result

            database.execute_sql = backfill_then_refund
            try:
                runner.up(target="0018_transaction_settled")
            finally:
                database.execute_sql = original
            writer.join(timeout=30)
            portal.close()
            assert database.execute_sql("SELECT refunded_total FROM card_transaction_settled WHERE transaction_id = 1"
                                        ).fetchone() == (2000 + 999,)
