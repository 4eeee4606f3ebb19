"""Peewee models: one class per table, query helpers as classmethods. No Flask here."""
import datetime
import json

from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

db = DatabaseProxy()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Department(BaseModel):
    name = CharField(max_length=120, unique=True)

    class Meta:
        table_name = "department"


class Establishment(BaseModel):
    name = CharField(max_length=120, unique=True)

    class Meta:
        table_name = "establishment"


class User(BaseModel):
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
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    class Meta:
        table_name = "portal_user"

    # flask-login protocol, written out so that this module stays free of Flask.
    is_anonymous = False

    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return str(self.id)

    def is_locked(self, now):
        return self.locked_until is not None and self.locked_until > now

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(cls.username == username.strip())

    @classmethod
    def admin_exists(cls):
        return cls.select().where(cls.is_admin & cls.active).exists()


class PasswordHistory(BaseModel):
    user = ForeignKeyField(User, backref="password_history", on_delete="CASCADE")
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "password_history"

    @classmethod
    def recent(cls, user, count):
        return list(
            cls.select()
            .where(cls.user == user)
            .order_by(cls.created_at.desc(), cls.id.desc())
            .limit(count)
        )


class Shop(BaseModel):
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


class ShopRight(BaseModel):
    """One right of one user on one shop (AUTH-2)."""

    user = ForeignKeyField(User, backref="shop_rights", on_delete="CASCADE")
    shop = ForeignKeyField(Shop, backref="user_rights", on_delete="CASCADE")
    right = CharField(max_length=32)

    class Meta:
        table_name = "shop_right"
        indexes = ((("user", "shop", "right"), True),)


class AuditRecord(BaseModel):
    """Append-only (AUDIT-1): database triggers refuse UPDATE and DELETE."""

    at = DateTimeField(default=utcnow, index=True)
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

    @property
    def before_data(self):
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        return json.loads(self.after) if self.after else None


ALL_MODELS = [Department, Establishment, User, PasswordHistory, Shop, ShopRight, AuditRecord]
