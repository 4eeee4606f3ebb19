"""Database binding: SQLite (embedded default) or PostgreSQL from a URL, migrations (OPS-2),
and the timeouts that make a slow or unreachable database fail fast (OPS-8)."""
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import request
from peewee import SQL, InterfaceError, NodeList, OperationalError, PostgresqlDatabase, SqliteDatabase, fn
from playhouse.migrations import Runner
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

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


def open_database(url, connect_timeout=None, statement_timeout_ms=None, pooled=False, pool_recycle=300):
    """Return an unconnected peewee database for a sqlite:/// or postgresql:// URL.

    On PostgreSQL, `connect_timeout` (seconds) bounds reaching a server that is down or
    black-holed, `statement_timeout_ms` bounds a query stuck behind a lock, and TCP
    keepalives notice a server that vanished mid-query (OPS-8).

    With `pooled`, closing a connection hands it back to a pool for the next request instead
    (the portal's own; backups and batch locks open theirs without). Opening one costs about 5 ms:
    SQLite reads the whole schema again on a new connection's first statement, PostgreSQL starts a
    server process — a sixth of a list page (issue 10). An idle connection is closed after
    `pool_recycle` seconds; peewee's PostgreSQL pool checks each with a round trip before handing
    it out, so connections a server restart left dead fail no request."""
    parsed = urlparse(url)
    # No cap on connections: as many as requests or threads at once, as without the pool (a cap
    # would make the ones beyond it wait, then fail).
    pool = {"max_connections": None, "stale_timeout": pool_recycle} if pooled else None
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        _create_private_file(Path(path))
        if pool:
            # A pooled connection moves between the threads of a threaded server, one at a time.
            database = PooledSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False, **pool)
        else:
            database = SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
        database.register_function(_casefold, "comptoir_casefold", 1, deterministic=True)
        return database
    if parsed.scheme in ("postgres", "postgresql"):
        # No JIT compilation: the portal's queries are short or streamed, and compiling the
        # expressions of an aggregate over a year of invoices cost more than running them (issue 14:
        # up to 1.3 s of the accounting page at 100,000 invoices). Sent with the connection, so it
        # costs no round trip.
        settings = ["-c jit=off"]
        options = {}
        if connect_timeout:
            options.update(connect_timeout=int(connect_timeout), keepalives=1, keepalives_idle=10,
                           keepalives_interval=5, keepalives_count=3)
        if statement_timeout_ms:
            settings.append(f"-c statement_timeout={int(statement_timeout_ms)}")
        options["options"] = " ".join(settings)
        return (PooledPostgresqlDatabase if pool else PostgresqlDatabase)(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname,
            port=parsed.port or 5432,
            **options,
            **(pool or {}),
        )
    raise ValueError(f"Unsupported database URL scheme: {parsed.scheme!r}")


def _create_private_file(path):
    """The SQLite file holds every record of the merchant: readable by the service account only
    (0600; SQLite gives its -wal and -shm files the same mode). A folder created here is 0700."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        restrict_mode(path, 0o600)
    except OSError:  # unwritable folder: the connection reports it, as a 503 (OPS-8)
        return
    else:
        os.close(fd)


def restrict_mode(path, mode):
    """Tighten the mode of a file or folder we own (an install made before this rule)."""
    try:
        info = os.stat(path)
        if info.st_uid == os.geteuid() and info.st_mode & 0o777 & ~mode:
            os.chmod(path, info.st_mode & 0o777 & mode)
    except OSError:
        pass


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def unindexed(column):
    """`column` kept out of SQLite's index choice (its unary +): SQLite plans without statistics and
    may walk a whole index on a condition that many rows meet; PostgreSQL plans from statistics."""
    return column if is_postgres() else NodeList((SQL("+"), column), glue="")


def insert_rows(model, rows, size=1000):
    """insert_many(rows).execute() for rows of {field name: value}, `size` rows a statement, with the
    same columns and values: the row's fields, then every other field that has a default (its
    default), each converted by its field as peewee would. The SQL is written once per statement,
    not one node per value (peewee spends ~0.1 ms a row building it, more than the database takes
    to write the row)."""
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.fields[name] for name in names]
    named = set(fields)
    defaults = [(field, default) for field, default in model._meta.defaults.items() if field not in named]
    fields += [field for field, _ in defaults]
    converters = [field.db_value for field in fields]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    marks = "(" + ", ".join([db.param] * len(fields)) + ")"
    table = model._meta.table_name
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        params = []
        for row in chunk:
            values = [row[name] for name in names]
            values += [default() if callable(default) else default for _, default in defaults]
            params.extend(convert(value) for convert, value in zip(converters, values))
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES {", ".join([marks] * len(chunk))}', params)


def migration_runner():
    return Runner(db.obj, directory=str(MIGRATIONS_DIR))


def apply_migrations():
    """Apply every pending migration; returns the names applied."""
    with db.connection_context():
        if is_postgres():
            # A migration rewriting a large table may take longer than a page is allowed to.
            db.execute_sql("SET statement_timeout = 0")
        return migration_runner().up()


def init_app(app):
    url = app.config["DATABASE_URL"] or f"sqlite:///{Path(app.config['INSTANCE_DIR']) / 'comptoir.db'}"
    app.config["DATABASE_URL"] = url
    db.initialize(open_database(url, connect_timeout=app.config.get("DB_CONNECT_TIMEOUT"),
                                statement_timeout_ms=app.config.get("DB_STATEMENT_TIMEOUT_MS"),
                                pooled=app.config.get("DB_POOL", False),
                                pool_recycle=app.config.get("DB_POOL_RECYCLE_SECONDS", 300)))

    @app.before_request
    def _connect():
        # Static files never need the database, so they still load while it is down (OPS-8);
        # the health check connects itself, to report a failure as JSON.
        if request.endpoint not in ("static", "main.health", "main.favicon"):
            db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            try:
                db.close()
            except DATABASE_ERRORS:  # a connection the server dropped: nothing left to close
                pass


def close_pool():
    """Close every pooled connection: after the app is built (a server that forks its workers
    afterwards, gunicorn --preload, must not hand one connection to several processes) and when a
    test is done with its database."""
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()


def _database_errors():
    errors = [OperationalError, InterfaceError]
    try:
        import psycopg2
    except ImportError:  # SQLite-only install
        pass
    else:
        errors += [psycopg2.OperationalError, psycopg2.InterfaceError]
    return tuple(errors)


# Errors meaning "the database cannot answer now" (down, refused, timed out, locked, dropped),
# as opposed to a query or data error: they become a 503 page, not a 500 (OPS-8).
DATABASE_ERRORS = _database_errors()

# SQLite reports mistakes in a query as OperationalError too: those are bugs (500), not an outage.
_QUERY_MISTAKES = ("no such table", "no such column", "no such function", "syntax error", "has no column named",
                   "already exists", "misuse")


def is_unavailable(error):
    """Whether a DATABASE_ERRORS exception means the database cannot answer now."""
    message = str(error).lower()
    return not any(mistake in message for mistake in _QUERY_MISTAKES)
