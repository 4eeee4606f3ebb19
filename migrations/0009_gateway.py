"""A real gateway behind the payments (issue 13, PAY-GW-1..3): per-shop gateway choice with its
encrypted Sips secret key and key version, sync timestamps on transactions, and the journal
fields of operations (asked / answered / unknown). Columns only: frozen copies of the new fields."""
from peewee import CharField, DateTimeField, IntegerField, TextField

NEW_COLUMNS = {
    "shop": {
        "gateway": lambda: CharField(max_length=16, default="SIMULATOR"),
        "gateway_secret": lambda: TextField(null=True),
        "gateway_key_version": lambda: IntegerField(default=1),
        "gateway_key_saved_at": lambda: DateTimeField(null=True),
    },
    "card_transaction": {
        "synced_at": lambda: DateTimeField(null=True),
        "gateway_status": lambda: CharField(max_length=24, default=""),
    },
    "card_operation": {
        "gateway_status": lambda: CharField(max_length=12, default=""),
        "gateway_answer": lambda: TextField(null=True),
    },
}


def up(migrator, db):
    migrator.migrate(*[migrator.add_column(table, name, make())
                       for table, columns in NEW_COLUMNS.items() for name, make in columns.items()])


def down(migrator, db):
    migrator.migrate(*[migrator.drop_column(table, name)
                       for table, columns in NEW_COLUMNS.items() for name in columns])
