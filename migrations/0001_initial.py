"""Accounts, shops, rights and the append-only audit log (issue 2).

Frozen copies of the models as they were at this version, so that later model
changes never alter what this migration creates.
"""
import datetime

from peewee import *


def _models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Department(Base):
        name = CharField(max_length=120, unique=True)

        class Meta:
            table_name = "department"

    class Establishment(Base):
        name = CharField(max_length=120, unique=True)

        class Meta:
            table_name = "establishment"

    class User(Base):
        username = CharField(max_length=80, unique=True)
        display_name = CharField(max_length=120, default="")
        email = CharField(max_length=254, default="")
        password_hash = CharField(max_length=255)
        language = CharField(max_length=5, default="fr")
        is_admin = BooleanField(default=False)
        active = BooleanField(default=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
        establishment = ForeignKeyField(Establishment, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        last_login_at = DateTimeField(null=True)

        class Meta:
            table_name = "portal_user"

    class PasswordHistory(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        password_hash = CharField(max_length=255)
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "password_history"

    class Shop(Base):
        name = CharField(max_length=120)
        merchant_id = CharField(max_length=15, unique=True)
        establishment = ForeignKeyField(Establishment, null=True, on_delete="SET NULL")
        currency = CharField(max_length=3, default="EUR")
        default_capture_mode = CharField(max_length=12, default="AUTO")
        default_capture_delay = IntegerField(default=0)
        default_network = CharField(max_length=8, default="CB")
        active = BooleanField(default=True)

        class Meta:
            table_name = "shop"

    class ShopRight(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        right = CharField(max_length=32)

        class Meta:
            table_name = "shop_right"
            indexes = ((("user", "shop", "right"), True),)

    class AuditRecord(Base):
        at = DateTimeField(default=datetime.datetime.utcnow, index=True)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        actor = CharField(max_length=80)
        action = CharField(max_length=64, index=True)
        target_type = CharField(max_length=64)
        target_id = CharField(max_length=64, default="")
        before = TextField(null=True)
        after = TextField(null=True)
        remote_addr = CharField(max_length=64, default="")

        class Meta:
            table_name = "audit_record"

    return [Department, Establishment, User, PasswordHistory, Shop, ShopRight, AuditRecord]


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END",
    "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END",
]

APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_record is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_record "
    "FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()",
]


def up(migrator, db):
    db.create_tables(_models(db))
    statements = APPEND_ONLY_POSTGRES if isinstance(db, PostgresqlDatabase) else APPEND_ONLY_SQLITE
    for statement in statements:
        db.execute_sql(statement)
