"""What changed in the books since the last closing (issue 12, ACC-4): a log of the documents written
since (`ledger_change`, one row per write, kept by triggers), the booking basis each closing was made
with (`closed_period.basis`), and an index of the validated entries by kind.

A closed period's documents are compared again with their validated entries only when they may
book otherwise (ledger.py): the documents of the log, and every document when the accounting
settings differ from the last closing's. The triggers cover every write path (the application's, a
bulk insert, a cascading delete, the settled-amount triggers of 0017) of every row an entry of a
supplier invoice or payment is built from: the invoice, its lines, VAT breakdown and booking choices,
the order lines whose rate its lines take, its supplier, its payments, and the suppliers' auxiliary
accounts (Setting "supplier_accounts", the codes that differ). A later migration that rebuilds one
of these tables must create its triggers again. The card journal is rebuilt whole each time (a few
entries a day): it needs no log."""
from peewee import AutoField, CharField, Model, PostgresqlDatabase

# (table, source prefix, the column naming the document): a write of a row logs its document.
DOCUMENT_TABLES = (("invoice", "INV:", "id"), ("invoice_line", "INV:", "invoice_id"),
                   ("invoice_vat", "INV:", "invoice_id"), ("invoice_booking", "INV:", "invoice_id"),
                   ("supplier_payment", "PAY:", "id"), ("supplier", "SUP:", "id"))
CODES_KEY = "supplier_accounts"
INDEX = ("ledger_entry_kind", "ledger_entry", ("kind",))


def _is_postgres(db):
    return isinstance(db, PostgresqlDatabase)


def _models(db):
    class LedgerChange(Model):
        id = AutoField()
        source = CharField(max_length=40)

        class Meta:
            database = db
            table_name = "ledger_change"

    return [LedgerChange]


def _sqlite_triggers():
    statements = []
    for table, prefix, column in DOCUMENT_TABLES:
        log = "INSERT INTO ledger_change (source) "
        statements += [
            f"CREATE TRIGGER {table}_ledger_change_insert AFTER INSERT ON {table} "
            f"BEGIN {log}VALUES ('{prefix}' || NEW.{column}); END",
            f"CREATE TRIGGER {table}_ledger_change_update AFTER UPDATE ON {table} "
            f"BEGIN {log}SELECT '{prefix}' || OLD.{column} UNION SELECT '{prefix}' || NEW.{column}; END",
            f"CREATE TRIGGER {table}_ledger_change_delete AFTER DELETE ON {table} "
            f"BEGIN {log}VALUES ('{prefix}' || OLD.{column}); END",
        ]
    lines = "INSERT INTO ledger_change (source) SELECT 'INV:' || invoice_id FROM invoice_line WHERE order_line_id = OLD.id;"
    statements += [
        f"CREATE TRIGGER purchase_line_ledger_change_update AFTER UPDATE OF vat_rate ON purchase_line "
        f"WHEN NEW.vat_rate IS NOT OLD.vat_rate BEGIN {lines} END",
        f"CREATE TRIGGER purchase_line_ledger_change_delete AFTER DELETE ON purchase_line BEGIN {lines} END",
    ]
    # The suppliers whose code differs between the old and the new value of the setting.
    differ = ("INSERT INTO ledger_change (source) SELECT 'SUP:' || key FROM ("
              "SELECT key, value FROM json_each({new}) EXCEPT SELECT key, value FROM json_each({old})) "
              "UNION SELECT 'SUP:' || key FROM ("
              "SELECT key, value FROM json_each({old}) EXCEPT SELECT key, value FROM json_each({new}));")
    for event, new, old, when in (("INSERT", "NEW.value", "'{}'", "NEW"), ("UPDATE", "NEW.value", "OLD.value", "NEW"),
                                  ("DELETE", "'{}'", "OLD.value", "OLD")):
        statements.append(f"CREATE TRIGGER setting_ledger_change_{event.lower()} AFTER {event} ON setting "
                          f"WHEN {when}.key = '{CODES_KEY}' BEGIN {differ.format(new=new, old=old)} END")
    return statements


def _postgres_triggers():
    statements = []
    for table, prefix, column in DOCUMENT_TABLES:
        statements += [
            f"""CREATE OR REPLACE FUNCTION {table}_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO ledger_change (source) VALUES ('{prefix}' || OLD.{column});
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.{column} IS DISTINCT FROM OLD.{column}) THEN
        INSERT INTO ledger_change (source) VALUES ('{prefix}' || NEW.{column});
    END IF;
    RETURN NULL;
END
$$""",
            f"CREATE TRIGGER {table}_ledger_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_ledger_change()",
        ]
    statements += [
        """CREATE OR REPLACE FUNCTION purchase_line_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.vat_rate IS DISTINCT FROM OLD.vat_rate THEN
        INSERT INTO ledger_change (source)
            SELECT 'INV:' || invoice_id FROM invoice_line WHERE order_line_id = OLD.id;
    END IF;
    RETURN NULL;
END
$$""",
        "CREATE TRIGGER purchase_line_ledger_change AFTER UPDATE OR DELETE ON purchase_line "
        "FOR EACH ROW EXECUTE FUNCTION purchase_line_ledger_change()",
        f"""CREATE OR REPLACE FUNCTION setting_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_value jsonb := '{{}}';
    new_value jsonb := '{{}}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.key = '{CODES_KEY}' THEN
        old_value := OLD.value::jsonb;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.key = '{CODES_KEY}' THEN
        new_value := NEW.value::jsonb;
    END IF;
    INSERT INTO ledger_change (source)
        SELECT 'SUP:' || key FROM (
            (SELECT key, value FROM jsonb_each_text(new_value) EXCEPT SELECT key, value FROM jsonb_each_text(old_value))
            UNION
            (SELECT key, value FROM jsonb_each_text(old_value) EXCEPT SELECT key, value FROM jsonb_each_text(new_value))
        ) differing;
    RETURN NULL;
END
$$""",
        "CREATE TRIGGER setting_ledger_change AFTER INSERT OR UPDATE OR DELETE ON setting "
        "FOR EACH ROW EXECUTE FUNCTION setting_ledger_change()",
    ]
    return statements


def up(migrator, db):
    db.create_tables(_models(db))
    migrator.migrate(migrator.add_column("closed_period", "basis", CharField(max_length=64, null=True)))
    with db.atomic():
        for statement in (_postgres_triggers if _is_postgres(db) else _sqlite_triggers)():
            db.execute_sql(statement)
    name, table, columns = INDEX
    db.execute_sql(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")


def down(migrator, db):
    name, _, _ = INDEX
    db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    tables = [table for table, _, _ in DOCUMENT_TABLES] + ["purchase_line", "setting"]
    for table in tables:
        if _is_postgres(db):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_ledger_change ON {table}")
            db.execute_sql(f"DROP FUNCTION IF EXISTS {table}_ledger_change()")
        else:
            for event in ("insert", "update", "delete"):
                db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_ledger_change_{event}")
    migrator.migrate(migrator.drop_column("closed_period", "basis"))
    db.drop_tables(_models(db))
