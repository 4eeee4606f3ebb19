"""What is settled on each supplier invoice, stored on it (issue 14): `paid_total` and `deducted_total`,
kept exact by triggers on supplier_payment and deposit_deduction and back-filled from their rows, so the
list of invoices to pay reads indexed columns instead of aggregates; plus two indexes of the mail queue."""
from peewee import SQL, BigIntegerField, PostgresqlDatabase

COLUMNS = {
    "paid_total": lambda: BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")]),
    "deducted_total": lambda: BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")]),
}
# (source table, stored column on the invoice)
SOURCES = (("supplier_payment", "paid_total"), ("deposit_deduction", "deducted_total"))
# The list of invoices to pay (portal/payables/service.py): a shop's invoices of a status, with what
# the count, the sum, the filter and the order of a page's ids need, read from the index alone.
# Also the mail queue page (portal/messages/queue.py): each part in its own order, read from an index
# instead of sorting every sent mail per request.
INDEXES = {
    "invoice_to_pay": ("invoice", ("shop_id", "status", "kind", "due_date", "total_gross", "paid_total",
                                   "deducted_total", "id")),
    "outgoing_mail_status_sent_at": ("outgoing_mail", ("status", "sent_at", "id")),
    "outgoing_mail_status_next_attempt_at": ("outgoing_mail", ("status", "next_attempt_at", "id")),
}


def _is_postgres(db):
    return isinstance(db, PostgresqlDatabase)


# The triggers add the amount of a row inserted, subtract it when the row is deleted, and move it when
# its amount or invoice changes: a relative update (`SET paid_total = paid_total + amount`) inside the
# writing transaction, so two concurrent payments both count, and every write path is covered (the
# application's, a bulk insert, a cascading delete). The application never writes these columns
# (models.Invoice.save skips them). pg_restore loads the data before it creates the triggers, and
# SQLite's backup copies pages: a restored database is not counted twice. A later migration that
# rebuilds supplier_payment or deposit_deduction must create their triggers again.


def _sqlite_triggers(table, column):
    plus = f"UPDATE invoice SET {column} = {column} + NEW.amount WHERE id = NEW.invoice_id;"
    minus = f"UPDATE invoice SET {column} = {column} - OLD.amount WHERE id = OLD.invoice_id;"
    return [
        f"CREATE TRIGGER {table}_settles_insert AFTER INSERT ON {table} BEGIN {plus} END",
        f"CREATE TRIGGER {table}_settles_delete AFTER DELETE ON {table} BEGIN {minus} END",
        f"CREATE TRIGGER {table}_settles_update AFTER UPDATE OF amount, invoice_id ON {table} BEGIN {minus} {plus} END",
    ]


def _postgres_triggers(table, column):
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_settles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE invoice SET {column} = {column} - OLD.amount WHERE id = OLD.invoice_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE invoice SET {column} = {column} + NEW.amount WHERE id = NEW.invoice_id;
    END IF;
    RETURN NULL;
END
$$""",
        f"CREATE TRIGGER {table}_settles AFTER INSERT OR DELETE OR UPDATE OF amount, invoice_id ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_settles()",
    ]


def up(migrator, db):
    migrator.migrate(*[migrator.add_column("invoice", name, make()) for name, make in COLUMNS.items()])
    with db.atomic():
        if _is_postgres(db):
            # No payment or deduction may be committed between the backfill's reading and the triggers'
            # creation (the portal still writing during the upgrade): it would be counted by neither.
            db.execute_sql("LOCK TABLE supplier_payment, deposit_deduction IN SHARE ROW EXCLUSIVE MODE")
        db.execute_sql("UPDATE invoice SET "
                       + ", ".join(f"{column} = COALESCE((SELECT SUM(s.amount) FROM {table} s "
                                   f"WHERE s.invoice_id = invoice.id), 0)" for table, column in SOURCES))
        for table, column in SOURCES:
            for statement in (_postgres_triggers if _is_postgres(db) else _sqlite_triggers)(table, column):
                db.execute_sql(statement)
    for name, (table, columns) in INDEXES.items():
        db.execute_sql(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")


def down(migrator, db):
    for name in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for table, _ in SOURCES:
        if _is_postgres(db):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_settles ON {table}")
            db.execute_sql(f"DROP FUNCTION IF EXISTS {table}_settles()")
        else:
            for event in ("insert", "delete", "update"):
                db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_settles_{event}")
    migrator.migrate(*[migrator.drop_column("invoice", name) for name in COLUMNS])
