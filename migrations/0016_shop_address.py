"""The postal address of each shop (issue 11, DOC-2): receipts print the shop's address and a purchase
order is delivered there when it is filled in. Columns only: frozen copies of the new fields, with a
database default too, so that a row written by the previous release (which knows nothing of them) is
still accepted during an upgrade."""
from peewee import SQL, CharField, TextField

NEW_COLUMNS = {
    "shop": {
        "address": lambda: TextField(default="", constraints=[SQL("DEFAULT ''")]),
        "postal_code": lambda: CharField(max_length=16, default="", constraints=[SQL("DEFAULT ''")]),
        "city": lambda: CharField(max_length=100, default="", constraints=[SQL("DEFAULT ''")]),
    },
}


def up(migrator, db):
    migrator.migrate(*[migrator.add_column(table, name, make())
                       for table, columns in NEW_COLUMNS.items() for name, make in columns.items()])


def down(migrator, db):
    migrator.migrate(*[migrator.drop_column(table, name)
                       for table, columns in NEW_COLUMNS.items() for name in columns])
