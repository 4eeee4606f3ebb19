"""The company's bank accounts with their opening balance (issue 12 item 7, AP-CASH-1): the
cash-flow page runs its totals from the balance entered for a day. Frozen copy of the model."""
import datetime

from peewee import *


def _models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        class Meta:
            table_name = "portal_user"

    class Shop(Base):
        class Meta:
            table_name = "shop"

    class BankAccount(Base):
        shop = ForeignKeyField(Shop, backref="bank_accounts", on_delete="RESTRICT")
        label = CharField(max_length=70)
        iban = CharField(max_length=34)
        currency = CharField(max_length=3, default="EUR")
        opening_balance = BigIntegerField()
        opening_date = DateField()
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        updated_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "bank_account"

    return [BankAccount]


def up(migrator, db):
    db.create_tables(_models(db))


def down(migrator, db):
    db.drop_tables(_models(db))
