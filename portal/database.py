"""Database binding: SQLite (embedded default) or PostgreSQL from a URL, and migrations (OPS-2)."""
from pathlib import Path
from urllib.parse import unquote, urlparse

from peewee import PostgresqlDatabase, SqliteDatabase, fn
from playhouse.migrations import Runner

from models import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def _casefold(value):
    return value.casefold() if value is not None else None


def text_contains(field, text):
    """LOC-2: `field` contains `text`, ignoring case but not accents, on both databases.
    PostgreSQL's ILIKE folds every letter; SQLite's LIKE folds ASCII only, so it compares
    through Python's casefold, registered on every SQLite connection."""
    if is_postgres():
        return field.contains(text)
    return fn.comptoir_casefold(field).contains(text.casefold())


def open_database(url):
    """Return an unconnected peewee database for a sqlite:/// or postgresql:// URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        database = SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
        database.register_function(_casefold, "comptoir_casefold", 1, deterministic=True)
        return database
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
    raise ValueError(f"Unsupported database URL scheme: {parsed.scheme!r}")


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def migration_runner():
    return Runner(db.obj, directory=str(MIGRATIONS_DIR))


def apply_migrations():
    """Apply every pending migration; returns the names applied."""
    with db.connection_context():
        return migration_runner().up()


def init_app(app):
    url = app.config["DATABASE_URL"] or f"sqlite:///{Path(app.config['INSTANCE_DIR']) / 'comptoir.db'}"
    app.config["DATABASE_URL"] = url
    db.initialize(open_database(url))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
