"""E-invoices read although they fail their XSD (issue 12, AP-INV-3): the first schema errors kept
on the invoice and the user's decision on them. Columns only: frozen copies of the new fields."""
from peewee import CharField, TextField

NEW_COLUMNS = {
    "invoice": {
        "schema_issues": lambda: TextField(default=""),
        "schema_decision": lambda: CharField(max_length=12, default=""),
    },
}


def up(migrator, db):
    migrator.migrate(*[migrator.add_column(table, name, make())
                       for table, columns in NEW_COLUMNS.items() for name, make in columns.items()])


def down(migrator, db):
    migrator.migrate(*[migrator.drop_column(table, name)
                       for table, columns in NEW_COLUMNS.items() for name in columns])
