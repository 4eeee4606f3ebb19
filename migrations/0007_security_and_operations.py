"""Security and operations (issue 9): session versions and TOTP on users, recovery codes,
uploads owned by their uploader, documents kept in the database, shared instance secrets and
batch run locks. Frozen copies of the models."""
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

    class StoredDocument(Base):
        class Meta:
            table_name = "stored_document"

    class RecoveryCode(Base):
        user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
        code_hash = CharField(max_length=255)
        used_at = DateTimeField(null=True)

        class Meta:
            table_name = "recovery_code"

    class InstanceSecret(Base):
        name = CharField(max_length=64, unique=True)
        value = TextField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "instance_secret"

    class RunLock(Base):
        name = CharField(max_length=40, unique=True)
        holder = CharField(max_length=200)
        acquired_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "run_lock"

    class DocumentBlob(Base):
        sha256 = CharField(max_length=64, unique=True)
        data = BlobField()

        class Meta:
            table_name = "document_blob"

    class Upload(Base):
        document = ForeignKeyField(StoredDocument, on_delete="RESTRICT")
        uploaded_by = ForeignKeyField(User, on_delete="CASCADE")
        filename = CharField(max_length=255, default="")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "upload"

    return [RecoveryCode, InstanceSecret, RunLock, DocumentBlob, Upload]


def up(migrator, db):
    db.create_tables(_models(db))
    migrator.migrate(
        migrator.add_column("portal_user", "session_version", IntegerField(default=0)),
        migrator.add_column("portal_user", "totp_secret", TextField(null=True)),
        migrator.add_column("portal_user", "totp_enrolled_at", DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("portal_user", "session_version"),
        migrator.drop_column("portal_user", "totp_secret"),
        migrator.drop_column("portal_user", "totp_enrolled_at"),
    )
    db.drop_tables(list(reversed(_models(db))))
