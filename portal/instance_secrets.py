"""Secrets shared by every application machine: with several portals on one PostgreSQL, the
session signing key (and the setup token, see auth/setup_token.py) live in the instance_secret
table instead of one machine's instance folder, so a session opened on one is valid on all."""
import contextlib
import secrets
from pathlib import Path

from flask.sessions import SecureCookieSessionInterface
from peewee import DatabaseError, IntegrityError

from models import InstanceSecret, db

SESSION_KEY = "session_signing_key"
LOCAL_KEY_FILE = "secret_key"  # what config.instance_secret writes on a single machine


def uses_shared_secrets(config):
    """Shared mode: asked for (SHARED_SECRETS) or implied by documents kept in the database."""
    return bool(config.get("SHARED_SECRETS")) or config.get("DOCUMENT_STORE") == "database"


@contextlib.contextmanager
def connected():
    """Use the open connection, or open one for the block only."""
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


def read_secret(name):
    row = InstanceSecret.get_or_none(InstanceSecret.name == name)
    return row.value if row else None


def create_secret(name, value):
    """Insert; False if another machine created it first (the unique name decides)."""
    try:
        with db.atomic():
            InstanceSecret.create(name=name, value=value)
    except IntegrityError:
        return False
    return True


def get_or_create_secret(name, make_value=lambda: secrets.token_urlsafe(48)):
    """Race-safe: two machines starting together both end up with the first one's value."""
    value = read_secret(name)
    if value is None:
        create_secret(name, make_value())
        value = read_secret(name)
    return value


def delete_secret(name):
    InstanceSecret.delete().where(InstanceSecret.name == name).execute()


def _key_from_local_file(config, key):
    path = Path(config["INSTANCE_DIR"]) / LOCAL_KEY_FILE
    return path.exists() and path.read_text().strip() == key


class SharedKeySessionInterface(SecureCookieSessionInterface):
    """Loads the shared key at the first request when the table did not exist at start-up
    (before `flask migrate`) or the database was unreachable then."""

    def get_signing_serializer(self, app):
        if not app.config.get("SECRET_KEY"):
            with connected():
                app.config["SECRET_KEY"] = get_or_create_secret(SESSION_KEY)
        return super().get_signing_serializer(app)


def init_app(app):
    """In shared mode, sign sessions with the key kept in the database. A key set explicitly
    (PORTAL_SECRET_KEY) is kept; one read from this machine's instance folder is replaced."""
    if not uses_shared_secrets(app.config):
        return
    key = app.config.get("SECRET_KEY")
    if key and not _key_from_local_file(app.config, key):
        return
    app.config["SECRET_KEY"] = None
    app.session_interface = SharedKeySessionInterface()
    try:
        with connected():
            app.config["SECRET_KEY"] = get_or_create_secret(SESSION_KEY)
    except DatabaseError:
        app.config["SECRET_KEY"] = None  # loaded at the first request instead
