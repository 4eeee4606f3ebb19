"""Card payments (issue 3): vault, fraud profiles, transactions, operations, unpaids,
remittance runs, stored documents and receipts. Frozen copies of the models."""
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

    class VaultCard(Base):
        """Encrypted card numbers behind tokens (PAY-ACQ-2); the key lives outside the database."""

        token = CharField(max_length=64, unique=True)
        ciphertext = TextField()
        expiry_year = IntegerField()
        expiry_month = IntegerField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "vault_card"


    class FraudProfile(Base):
        """Versioned fraud-check settings; a transaction records the version it was checked with."""

        version = IntegerField(unique=True)
        settings = TextField()  # JSON of portal.payments.fraud.FraudProfile
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            table_name = "fraud_profile"


    class Transaction(Base):
        shop = ForeignKeyField(Shop, backref="transactions", on_delete="RESTRICT")
        reference = CharField(max_length=35)
        order_reference = CharField(max_length=64, default="")
        customer_code = CharField(max_length=64, default="")
        free_info = CharField(max_length=255, default="")
        amount = BigIntegerField()  # authorised amount, minor units
        currency = CharField(max_length=3)
        capture_mode = CharField(max_length=12)
        capture_delay = IntegerField(default=0)
        state = CharField(max_length=24, index=True)
        created_at = DateTimeField(default=datetime.datetime.utcnow, index=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        card_token = CharField(max_length=64)
        masked_pan = CharField(max_length=19)
        networks = CharField(max_length=64)  # comma-separated, e.g. "CB,VISA"
        network = CharField(max_length=16)  # the one used
        card_expiry_year = IntegerField()
        card_expiry_month = IntegerField()
        card_country = CharField(max_length=2, default="")
        response_code = CharField(max_length=2, default="")
        authorisation_number = CharField(max_length=12, default="")
        duplicated_from = ForeignKeyField("self", null=True, backref="duplicates", on_delete="SET NULL")
        instalment_group = CharField(max_length=35, null=True, index=True)
        instalment_rank = IntegerField(null=True)
        instalment_count = IntegerField(null=True)
        due_date = DateField(null=True)
        fraud_result = TextField(null=True)  # JSON of portal.payments.fraud.FraudResult
        fraud_profile_version = IntegerField(null=True)

        class Meta:
            table_name = "card_transaction"
            indexes = ((("shop", "reference"), True), (("shop", "created_at"), False))


    class Operation(Base):
        """One row per operation (PAY-OP-1): balances are derived from these, never edited."""

        transaction = ForeignKeyField(Transaction, backref="operations", on_delete="CASCADE")
        kind = CharField(max_length=16)
        amount = BigIntegerField()
        succeeded = BooleanField(default=True)
        response_code = CharField(max_length=2, default="")
        reason = CharField(max_length=255, default="")
        at = DateTimeField(default=datetime.datetime.utcnow, index=True)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        idempotency_key = CharField(max_length=64, null=True, unique=True)
        # Reconciliation data for what went to the bank (PAY-DET-1).
        operation_number = CharField(max_length=32, default="")
        remittance_status = CharField(max_length=16, default="")
        sent_at = DateTimeField(null=True)
        warning_at = DateTimeField(null=True)
        error_at = DateTimeField(null=True)

        class Meta:
            table_name = "card_operation"


    class Unpaid(Base):
        """A chargeback received after remittance (PAY-DET-1 unpaid block)."""

        transaction = ForeignKeyField(Transaction, backref="unpaids", on_delete="CASCADE")
        operation_number = CharField(max_length=32)
        operation_code = CharField(max_length=16)
        unpaid_date = DateField()
        file_number = CharField(max_length=32)
        amount = BigIntegerField()
        unpaid_code = CharField(max_length=8)
        reason = CharField(max_length=255)
        received_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "card_unpaid"


    class RemittanceRun(Base):
        """One row per business day processed by the daily batch, so reruns do nothing twice."""

        day = DateField(unique=True)
        started_at = DateTimeField(default=datetime.datetime.utcnow)
        finished_at = DateTimeField(null=True)
        summary = TextField(default="{}")

        class Meta:
            table_name = "remittance_run"


    class StoredDocument(Base):
        """An immutable file (receipt, upload) stored once under its SHA-256 (DOC-1)."""

        sha256 = CharField(max_length=64, unique=True)
        media_type = CharField(max_length=100)
        size = IntegerField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "stored_document"


    class Receipt(Base):
        transaction = ForeignKeyField(Transaction, backref="receipts", on_delete="CASCADE")
        operation = ForeignKeyField(Operation, on_delete="CASCADE")  # AUTHOR for the payment receipt
        layout = CharField(max_length=8)  # "a4" or "ticket"
        document = ForeignKeyField(StoredDocument, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "receipt"
            indexes = ((("transaction", "operation", "layout"), True),)

    return [VaultCard, FraudProfile, Transaction, Operation, Unpaid, RemittanceRun, StoredDocument, Receipt]


def up(migrator, db):
    db.create_tables(_models(db))
