"""What is refunded and remitted of each card transaction, stored on it (issue 10): `refunded_total`
(its succeeded CREDIT operations) and `remitted_total` (its succeeded CAPTURE operations sent to the
bank), kept exact by triggers on card_operation and back-filled from its rows, so the totals of a
search result (PAY-SRCH-3) sum two columns of the transactions instead of joining every operation.
The (shop, created_at) index is widened with what the totals read: a date range's totals come from
the index alone, and the list's pages keep the same order from it."""
from peewee import SQL, BigIntegerField, PostgresqlDatabase

COLUMNS = {
    "refunded_total": lambda: BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")]),
    "remitted_total": lambda: BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")]),
}


OLD_INDEX = ("card_transaction_shop_id_created_at", "(shop_id, created_at)")
TOTALS_INDEX = ("card_transaction_totals",
                "(shop_id, created_at, currency, state, amount, refunded_total, remitted_total)")


def _refunded(row, true):
    return f"(CASE WHEN {row}.kind = 'CREDIT' AND {row}.succeeded = {true} THEN {row}.amount ELSE 0 END)"


def _remitted(row, true):
    return (f"(CASE WHEN {row}.kind = 'CAPTURE' AND {row}.succeeded = {true} AND {row}.sent_at IS NOT NULL "
            f"THEN {row}.amount ELSE 0 END)")


# As in 0017: a relative update inside the writing transaction (two concurrent refunds both count),
# on every write path (the application's saves, bulk updates of the remittance run, cascading
# deletes). Operations that count for neither sum (authorisations, cancellations, …) skip the update.
# A later migration that rebuilds card_operation must create these triggers again.
def _sqlite_triggers():
    def change(row, sign):
        return (f"UPDATE card_transaction SET refunded_total = refunded_total {sign} {_refunded(row, 1)}, "
                f"remitted_total = remitted_total {sign} {_remitted(row, 1)} WHERE id = {row}.transaction_id;")

    counts = "IN ('CREDIT', 'CAPTURE')"
    return [
        f"CREATE TRIGGER card_operation_settles_insert AFTER INSERT ON card_operation "
        f"WHEN NEW.kind {counts} BEGIN {change('NEW', '+')} END",
        f"CREATE TRIGGER card_operation_settles_delete AFTER DELETE ON card_operation "
        f"WHEN OLD.kind {counts} BEGIN {change('OLD', '-')} END",
        f"CREATE TRIGGER card_operation_settles_update "
        f"AFTER UPDATE OF kind, amount, succeeded, sent_at, transaction_id ON card_operation "
        f"WHEN NEW.kind {counts} OR OLD.kind {counts} BEGIN {change('OLD', '-')} {change('NEW', '+')} END",
    ]


# PostgreSQL: statement-level triggers reading the statement's transition tables, so a bulk insert
# of 100,000 captures (the remittance run) updates each transaction once, in one statement, instead of
# running a trigger function per row.
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
            f"AS remitted FROM {table} r WHERE r.kind IN ('CREDIT', 'CAPTURE')" for table, sign in sources)
        statements += [
            f"""CREATE OR REPLACE FUNCTION card_operation_settles_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE card_transaction SET refunded_total = refunded_total + delta.refunded,
                                remitted_total = remitted_total + delta.remitted
    FROM (SELECT transaction_id, SUM(refunded) AS refunded, SUM(remitted) AS remitted
          FROM ({contributions}) AS contribution GROUP BY transaction_id) AS delta
    WHERE card_transaction.id = delta.transaction_id AND (delta.refunded <> 0 OR delta.remitted <> 0);
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
    migrator.migrate(*[migrator.add_column("card_transaction", name, make()) for name, make in COLUMNS.items()])
    with db.atomic():
        # One pass over the operations that count, not a subquery per transaction.
        db.execute_sql(f"""
            UPDATE card_transaction SET refunded_total = settled.refunded, remitted_total = settled.remitted
            FROM (SELECT o.transaction_id, SUM({_refunded('o', true)}) AS refunded,
                         SUM({_remitted('o', true)}) AS remitted
                  FROM card_operation o WHERE o.kind IN ('CREDIT', 'CAPTURE') GROUP BY o.transaction_id) AS settled
            WHERE settled.transaction_id = card_transaction.id""")
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
    migrator.migrate(*[migrator.drop_column("card_transaction", name) for name in COLUMNS])
