"""Books an accountant signs (issue 12, ACC-4, ACC-5): closed periods and their validated entries
(numbers and content frozen), and the accountant's booking choices of a supplier invoice (exchange
rate, goods or services, domestic reverse charge, French rate of reverse-charged lines).
Frozen copies of the models."""
import datetime

from peewee import *


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


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

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class ClosedPeriod(Base):
        start = DateField()
        end = DateField(unique=True)
        fiscal_year_start = DateField()
        first_number = IntegerField(default=0)
        last_number = IntegerField(default=0)
        entry_count = IntegerField(default=0)
        debit = BigIntegerField(default=0)
        credit = BigIntegerField(default=0)
        closed_at = DateTimeField(default=_utcnow)
        closed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            table_name = "closed_period"

    class LedgerEntry(Base):
        period = ForeignKeyField(ClosedPeriod, backref="entries", on_delete="RESTRICT")
        fiscal_year_start = DateField()
        number = IntegerField()
        journal = CharField(max_length=6)
        journal_label = CharField(max_length=60)
        date = DateField()
        piece_ref = CharField(max_length=64)
        piece_date = DateField()
        label = CharField(max_length=300)
        valid_date = DateField()
        kind = CharField(max_length=16)
        source = CharField(max_length=40, index=True)
        shop = ForeignKeyField(Shop, null=True, on_delete="RESTRICT")
        amount = BigIntegerField(default=0)
        currency = CharField(max_length=3, default="")
        reverse_charge_vat = BigIntegerField(default=0)

        class Meta:
            table_name = "ledger_entry"
            indexes = ((("fiscal_year_start", "number"), True), (("date",), False))

    class LedgerLine(Base):
        entry = ForeignKeyField(LedgerEntry, backref="lines", on_delete="RESTRICT")
        position = IntegerField()
        account = CharField(max_length=10)
        account_label = CharField(max_length=120)
        aux = CharField(max_length=24, default="")
        aux_label = CharField(max_length=200, default="")
        debit = BigIntegerField(default=0)
        credit = BigIntegerField(default=0)
        foreign_amount = BigIntegerField(null=True)
        letter_ref = CharField(max_length=24, default="")

        class Meta:
            table_name = "ledger_line"

    class InvoiceBooking(Base):
        invoice = ForeignKeyField(Invoice, unique=True, backref="+", on_delete="CASCADE")
        exchange_rate = BigIntegerField(null=True)
        nature = CharField(max_length=8, default="")
        reverse_charge = CharField(max_length=12, default="")
        line_rates = TextField(default="{}")
        updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        updated_at = DateTimeField(default=_utcnow)

        class Meta:
            table_name = "invoice_booking"

    return [ClosedPeriod, LedgerEntry, LedgerLine, InvoiceBooking]


def up(migrator, db):
    db.create_tables(_models(db))


def down(migrator, db):
    db.drop_tables(list(reversed(_models(db))))
