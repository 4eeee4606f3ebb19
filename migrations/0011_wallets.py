"""Customer wallets (issue 10, PAY-WAL-1): the cards a shop keeps for a customer under a wallet id,
as vault tokens with the last 4 digits, network, label and expiry. Frozen copy of the new table."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model


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

    class WalletCard(Base):
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        wallet_id = CharField(max_length=64)
        mean_id = CharField(max_length=32, unique=True)
        card_token = CharField(max_length=64)
        last4 = CharField(max_length=4)
        network = CharField(max_length=16)
        networks = CharField(max_length=64, default="")
        label = CharField(max_length=50, default="")
        expiry_year = IntegerField()
        expiry_month = IntegerField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        deleted_at = DateTimeField(null=True)
        deleted_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")

        class Meta:
            table_name = "wallet_card"
            indexes = ((("shop", "wallet_id"), False),)

    return [WalletCard]


def up(migrator, db):
    db.create_tables(_models(db))


def down(migrator, db):
    db.drop_tables(_models(db))
