"""What is refunded and remitted of each card transaction (issue 10), kept by triggers on card_operation
in the narrow table card_transaction_settled, so a search result's totals (PAY-SRCH-3) join one row per
transaction instead of every operation; the (shop, created_at) index widened for the totals and charts."""
from peewee import SQL, BigIntegerField, ForeignKeyField, Model, PostgresqlDatabase

OLD_INDEX = ("card_transaction_shop_id_created_at", "(shop_id, created_at)")
TOTALS_INDEX = ("card_transaction_totals", "(shop_id, created_at, currency, state, amount, response_code)")
SETTLED = "card_transaction_settled"


def _models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Transaction(Base):
        class Meta:
            table_name = "card_transaction"

    class TransactionSettled(Base):
        transaction = ForeignKeyField(Transaction, primary_key=True, backref="+", on_delete="CASCADE")
        refunded_total = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])
        remitted_total = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])

        class Meta:
            table_name = SETTLED

    return [TransactionSettled]


# A narrow table rather than two columns of card_transaction: the remittance run already rewrites each
# captured transaction (its state), and a second version of that wide, much-indexed row cost
# PostgreSQL 65% more time for the run. The widened index lets the totals and the dashboard's 60-day
# chart read the transactions from it alone; the list's pages keep the same order.


def _refunded(row, true):
    return f"(CASE WHEN {row}.kind = 'CREDIT' AND {row}.succeeded = {true} THEN {row}.amount ELSE 0 END)"


def _remitted(row, true):
    return (f"(CASE WHEN {row}.kind = 'CAPTURE' AND {row}.succeeded = {true} AND {row}.sent_at IS NOT NULL "
            f"THEN {row}.amount ELSE 0 END)")


# As in 0017: relative updates inside the writing transaction (two concurrent refunds both count), on
# every write path (the application's saves, the remittance run's bulk inserts, cascading deletes).
# Operations that count for neither sum (authorisations, cancellations, …) are skipped. A transaction's
# row is added with the first amount that counts; a delete only subtracts (the transaction itself may
# be going, taking its row with it). Not covered, and not used by the portal: TRUNCATE of card_operation
# (PostgreSQL) and INSERT OR REPLACE into it (SQLite, whose replaced row fires no delete trigger). A
# later migration that rebuilds card_operation (SQLite rebuilds a table to drop or alter a column) must
# create these triggers again.
_UPSERT = (f"INSERT INTO {SETTLED} (transaction_id, refunded_total, remitted_total) {{values}} "
           f"ON CONFLICT (transaction_id) DO UPDATE SET "
           f"refunded_total = {SETTLED}.refunded_total + excluded.refunded_total, "
           f"remitted_total = {SETTLED}.remitted_total + excluded.remitted_total")
_COUNTED = "IN ('CREDIT', 'CAPTURE')"


def _sqlite_triggers():
    def add(row):
        refunded, remitted = _refunded(row, 1), _remitted(row, 1)
        return _UPSERT.format(values=f"SELECT {row}.transaction_id, {refunded}, {remitted} "
                                     f"WHERE {refunded} <> 0 OR {remitted} <> 0") + ";"

    def subtract(row):
        return (f"UPDATE {SETTLED} SET refunded_total = refunded_total - {_refunded(row, 1)}, "
                f"remitted_total = remitted_total - {_remitted(row, 1)} WHERE transaction_id = {row}.transaction_id;")

    return [
        f"CREATE TRIGGER card_operation_settles_insert AFTER INSERT ON card_operation "
        f"WHEN NEW.kind {_COUNTED} BEGIN {add('NEW')} END",
        f"CREATE TRIGGER card_operation_settles_delete AFTER DELETE ON card_operation "
        f"WHEN OLD.kind {_COUNTED} BEGIN {subtract('OLD')} END",
        f"CREATE TRIGGER card_operation_settles_update "
        f"AFTER UPDATE OF kind, amount, succeeded, sent_at, transaction_id ON card_operation "
        f"WHEN NEW.kind {_COUNTED} OR OLD.kind {_COUNTED} BEGIN {subtract('OLD')} {add('NEW')} END",
    ]


# PostgreSQL: statement-level triggers reading the statement's transition tables, so a bulk insert of
# 100,000 captures (the remittance run) writes each transaction's row once, in one statement, instead
# of running a trigger function per row.
_PG_EVENTS = {
    # event: (REFERENCING clause, the rows whose contributions are added or subtracted)
    "insert": ("NEW TABLE AS new_rows", [("new_rows", "+")]),
    "delete": ("OLD TABLE AS old_rows", [("old_rows", "-")]),
    "update": ("OLD TABLE AS old_rows NEW TABLE AS new_rows", [("old_rows", "-"), ("new_rows", "+")]),
}


def _postgres_triggers():
    statements = []
    for event, (referencing, sources) in _PG_EVENTS.items():
        contributions = " UNION ALL ".join(
            f"SELECT r.transaction_id, {sign}{_refunded('r', 'TRUE')} AS refunded, {sign}{_remitted('r', 'TRUE')} "
            f"AS remitted FROM {table} r WHERE r.kind {_COUNTED}" for table, sign in sources)
        delta = (f"SELECT transaction_id, SUM(refunded) AS refunded, SUM(remitted) AS remitted "
                 f"FROM ({contributions}) AS contribution GROUP BY transaction_id")
        if event == "delete":
            write = (f"UPDATE {SETTLED} SET refunded_total = {SETTLED}.refunded_total + delta.refunded, "
                     f"remitted_total = {SETTLED}.remitted_total + delta.remitted FROM ({delta}) AS delta "
                     f"WHERE {SETTLED}.transaction_id = delta.transaction_id "
                     f"AND (delta.refunded <> 0 OR delta.remitted <> 0)")
        else:
            # ORDER BY: concurrent statements take the rows' locks in the same order.
            write = _UPSERT.format(values=f"SELECT transaction_id, refunded, remitted FROM ({delta}) AS delta "
                                          f"WHERE refunded <> 0 OR remitted <> 0 ORDER BY transaction_id")
        statements += [
            f"""CREATE OR REPLACE FUNCTION card_operation_settles_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {write};
    RETURN NULL;
END
$$""",
            f"CREATE TRIGGER card_operation_settles_{event} AFTER {event.upper()} ON card_operation "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION card_operation_settles_{event}()",
        ]
    return statements


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    true = "TRUE" if postgres else "1"
    db.create_tables(_models(db))
    with db.atomic():
        if postgres:
            # No operation may be committed between the backfill's reading and the triggers' creation
            # (the portal or a remittance run still writing during the upgrade): it would be in neither.
            db.execute_sql("LOCK TABLE card_operation IN SHARE ROW EXCLUSIVE MODE")
        db.execute_sql(f"""
            INSERT INTO {SETTLED} (transaction_id, refunded_total, remitted_total)
            SELECT o.transaction_id, SUM({_refunded('o', true)}), SUM({_remitted('o', true)})
            FROM card_operation o WHERE o.kind {_COUNTED} GROUP BY o.transaction_id""")
        for statement in _postgres_triggers() if postgres else _sqlite_triggers():
            db.execute_sql(statement)
    db.execute_sql(f"CREATE INDEX {TOTALS_INDEX[0]} ON card_transaction {TOTALS_INDEX[1]}")
    db.execute_sql(f"DROP INDEX IF EXISTS {OLD_INDEX[0]}")


def down(migrator, db):
    db.execute_sql(f"CREATE INDEX IF NOT EXISTS {OLD_INDEX[0]} ON card_transaction {OLD_INDEX[1]}")
    db.execute_sql(f"DROP INDEX IF EXISTS {TOTALS_INDEX[0]}")
    if isinstance(db, PostgresqlDatabase):
        for event in _PG_EVENTS:
            db.execute_sql(f"DROP TRIGGER IF EXISTS card_operation_settles_{event} ON card_operation")
            db.execute_sql(f"DROP FUNCTION IF EXISTS card_operation_settles_{event}()")
    else:
        for event in ("insert", "delete", "update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS card_operation_settles_{event}")
    db.drop_tables(_models(db))
