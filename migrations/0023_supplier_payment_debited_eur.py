"""The euros a bank debited for a payment of a foreign-currency supplier invoice (issue 12): the books
settle the supplier at the invoice's rate and put the difference to an exchange loss (666) or gain
(766). A nullable column only: a row written by the previous release (which knows nothing of it) is
still accepted during an upgrade, and a payment without it is booked as before. Adding a column keeps
supplier_payment's triggers (migrations 0017 and 0020)."""
from peewee import BigIntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("supplier_payment", "debited_eur", BigIntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("supplier_payment", "debited_eur"))
