"""One batch run at a time across workers and machines (OPS-7): `with run_exclusively("remit")`.

PostgreSQL: a session advisory lock on a connection of its own, released on exit or when the
process dies. SQLite: a run_lock row inserted and committed at once, deleted on exit; a row left
by a dead process of this host, or older than `stale_after`, is taken over. Neither keeps a
transaction open during the run, so the portal's writes are never blocked by it."""
import contextlib
import datetime
import os
import secrets
import socket
import zlib

from peewee import IntegrityError, PostgresqlDatabase

from models import RunLock, db, utcnow

DEFAULT_STALE_AFTER = datetime.timedelta(hours=12)
_NAMESPACE = 0x436F6D70  # "Comp": first key of pg_try_advisory_lock(int, int)


class AlreadyRunning(RuntimeError):
    def __init__(self, name, holder, since=None):
        self.name, self.holder, self.since = name, holder, since
        super().__init__(f"{name} already running ({self.describe()})")

    def describe(self):
        """'lancée par hôte:pid le 01/12/2026 à 14:02 UTC' or what is known of it."""
        who = f"lancée par {self.holder}" if self.holder else "lancée par un autre processus"
        return who + (f" le {self.since:%d/%m/%Y à %H:%M} UTC" if self.since else "")


def current_holder():
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def run_exclusively(name, stale_after=DEFAULT_STALE_AFTER, database=None):
    """Hold the lock `name` for the block, or raise AlreadyRunning at once (never waits)."""
    database = database or db.obj
    if isinstance(database, PostgresqlDatabase):
        with _advisory_lock(database, name):
            yield
    else:
        with _row_lock(name, stale_after):
            yield


def _lock_key(name):
    return _NAMESPACE, zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def _advisory_lock(database, name):
    params = dict(database.connect_params)
    params["application_name"] = f"comptoir {name} {current_holder()}"[:63]
    own = PostgresqlDatabase(database.database, **params)  # autocommit: no transaction is left open
    own.connect()
    try:
        key = _lock_key(name)
        if not own.execute_sql("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()[0]:
            raise AlreadyRunning(name, *_advisory_holder(own, key))
        try:
            yield
        finally:
            own.execute_sql("SELECT pg_advisory_unlock(%s, %s)", key)
    finally:
        own.close()


def _advisory_holder(connection, key):
    row = connection.execute_sql(
        "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = %s::oid AND l.objid = %s::oid AND l.objsubid = 2", key).fetchone()
    if row is None:
        return None, None
    application, address, started = row
    holder = application.rsplit(" ", 1)[-1] if application.startswith("comptoir ") else application
    if address:
        holder = f"{holder} depuis {address}"
    return holder, started.astimezone(datetime.timezone.utc).replace(tzinfo=None) if started else None


def _insert_row(name, holder):
    try:
        with db.atomic():
            RunLock.create(name=name, holder=holder, acquired_at=utcnow())
    except IntegrityError:
        return False
    return True


def _is_stale(lock, stale_after):
    if utcnow() - lock.acquired_at > stale_after:
        return True
    host, _, rest = lock.holder.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only its age can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextlib.contextmanager
def _row_lock(name, stale_after):
    # The random suffix tells apart two threads of one process.
    holder = f"{current_holder()}:{secrets.token_hex(4)}"
    if not _insert_row(name, holder):
        lock = RunLock.get_or_none(RunLock.name == name)
        if lock is not None and not _is_stale(lock, stale_after):
            raise AlreadyRunning(name, lock.holder.rsplit(":", 1)[0], lock.acquired_at)
        if lock is not None:  # only the run that sees this very row removes it
            RunLock.delete().where((RunLock.name == name) & (RunLock.holder == lock.holder)).execute()
        if not _insert_row(name, holder):
            lock = RunLock.get_or_none(RunLock.name == name)
            raise AlreadyRunning(name, lock.holder.rsplit(":", 1)[0] if lock else None,
                                 lock.acquired_at if lock else None)
    try:
        yield
    finally:
        RunLock.delete().where((RunLock.name == name) & (RunLock.holder == holder)).execute()
