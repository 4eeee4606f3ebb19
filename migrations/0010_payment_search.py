"""Payment search at real size (issue 10, PAY-SRCH-1..3): the saved views of the transaction list
(per user), and the indexes its criteria read through — card last 4 digits and BIN as expressions
on the masked number (no new column to keep in step), amount, and state with the date. The
remittance date reads operations through 0005's (kind, sent_at). Frozen copy of the new table."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField, PostgresqlDatabase

# Same expressions as portal.payments.search uses, so that the planner matches them to the index.
LAST4 = {"sqlite": "substr(masked_pan, -4)", "postgres": "right(masked_pan, 4)"}
BIN = "substr(masked_pan, 1, 6)"
EXPRESSION_INDEXES = {
    "card_transaction_shop_last4_created": "(shop_id, {last4}, created_at)",
    "card_transaction_shop_bin_created": f"(shop_id, {BIN}, created_at)",
}
COLUMN_INDEXES = [
    ("card_transaction", ("shop_id", "amount")),
    ("card_transaction", ("shop_id", "state", "created_at")),
]


def _models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        class Meta:
            table_name = "portal_user"

    class SavedView(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        name = CharField(max_length=80)
        query = TextField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "saved_view"
            indexes = ((("user", "name"), True),)

    return [SavedView]


def up(migrator, db):
    db.create_tables(_models(db))
    last4 = LAST4["postgres" if isinstance(db, PostgresqlDatabase) else "sqlite"]
    for name, columns in EXPRESSION_INDEXES.items():
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON card_transaction {columns.format(last4=last4)}")
    migrator.migrate(*[migrator.add_index(table, columns) for table, columns in COLUMN_INDEXES])


def down(migrator, db):
    migrator.migrate(*[migrator.drop_index(table, f"{table}_{'_'.join(columns)}") for table, columns in COLUMN_INDEXES])
    for name in EXPRESSION_INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    db.drop_tables(_models(db))
