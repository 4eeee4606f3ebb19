"""Reading an export's rows in one query each, whatever their number (issue 12, item 8): SQLite
steps its cursor row by row; PostgreSQL reads through a server-side cursor, a few thousand rows per
round trip, so neither the client nor the number of statements grows with the size of the books."""
import datetime
import functools
import itertools
import json
import uuid

from peewee import SQL, Value, fn

from models import db

FETCH_SIZE = 2000


def _open_server_cursor(sql, params):
    """One statement, read in batches of FETCH_SIZE (the benchmark counts these statements)."""
    # psycopg2 refuses a named cursor in autocommit unless it is held: WITH HOLD.
    cursor = db.connection().cursor(name=f"books_{uuid.uuid4().hex}", withhold=True)
    cursor.itersize = FETCH_SIZE
    cursor.execute(sql, params)
    return cursor


@functools.lru_cache(maxsize=4096)
def _date_from_text(text):
    return datetime.date.fromisoformat(text[:10])


@functools.lru_cache(maxsize=65536)
def _datetime_from_text(text):
    return datetime.datetime.fromisoformat(text)


def as_date(value):
    if value is None or type(value) is datetime.date:
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    return _date_from_text(str(value))


def among(column, values):
    """`column` IN `values`, whatever their number, as one parameter: a PostgreSQL array, a JSON array
    read by SQLite's json_each() (a list of values would meet SQLite's limit on parameters)."""
    from portal.database import is_postgres

    if is_postgres():
        return column == fn.ANY(Value(list(values), converter=False, unpack=False))
    return column.in_(SQL("(SELECT value FROM json_each(?))", [json.dumps(list(values))]))


def as_datetime(value):
    if value is None or isinstance(value, datetime.datetime):
        return value
    return _datetime_from_text(str(value))


def stream_raw(query, dates=(), datetimes=()):
    """The driver's rows of a query, streamed, with only the columns at `dates` / `datetimes` turned
    into dates and datetimes (SQLite hands them as text): an export reads hundreds of thousands of
    rows, and converting every value of every row costs more than the query."""
    from portal.database import is_postgres

    sql, params = query.sql()
    if is_postgres():
        cursor = _open_server_cursor(sql, params)
        rows = iter(cursor)
    else:
        cursor = db.execute_sql(sql, params)
        rows = _fetched(cursor)
    try:
        if not dates and not datetimes:
            yield from rows
            return
        for row in rows:
            row = list(row)
            for index in dates:
                row[index] = as_date(row[index])
            for index in datetimes:
                row[index] = as_datetime(row[index])
            yield row
    finally:
        cursor.close()


def stream_raw_chunks(query):
    """The driver's rows of a query as lists of at most FETCH_SIZE rows, for an export that turns a
    whole chunk into its lines in one comprehension (no generator step per row)."""
    from portal.database import is_postgres

    sql, params = query.sql()
    cursor = _open_server_cursor(sql, params) if is_postgres() else db.execute_sql(sql, params)
    try:
        yield from iter(functools.partial(cursor.fetchmany, FETCH_SIZE), [])
    finally:
        cursor.close()


def _fetched(cursor):
    """The cursor's rows, FETCH_SIZE a call, chained in C (no Python frame per row)."""
    return itertools.chain.from_iterable(iter(functools.partial(cursor.fetchmany, FETCH_SIZE), []))


def stream(query):
    """The rows of a peewee query as tuples, each value converted as .tuples() would, streamed."""
    from portal.database import is_postgres

    query = query.tuples()
    if not is_postgres():
        yield from query.iterator()
        return
    sql, params = query.sql()
    cursor = _Batched(_open_server_cursor(sql, params))
    try:
        yield from query._get_cursor_wrapper(cursor).iterator()
    finally:
        cursor.close()


class _Batched:
    """What peewee's row wrapper needs of a cursor (fetchone, description), over the named cursor's
    own iteration, which fetches FETCH_SIZE rows a round trip (its fetchone() would fetch one)."""

    def __init__(self, cursor):
        self.cursor = cursor
        self._rows = iter(cursor)
        self._first = next(self._rows, None)  # a named cursor describes its columns after a fetch
        self.description = cursor.description

    def fetchone(self):
        if self._first is not None:
            row, self._first = self._first, None
            return row
        return next(self._rows, None)

    def close(self):
        self.cursor.close()


class Follower:
    """Rows of a second stream sorted like the first (by `key`), taken group by group as the first
    advances: a merge join in Python, so a chunk's lines cost no query of their own."""

    _END = object()

    def __init__(self, rows, key):
        self._rows = iter(rows)
        self._key = key
        self._head = next(self._rows, self._END)

    def take(self, key):
        head = self._head
        if head is self._END:
            return []
        head_key = self._key(head)
        if head_key > key:  # the usual answer: nothing for this key (its key computed once)
            return []
        found = []
        while head_key < key:
            head = next(self._rows, self._END)
            if head is self._END:
                self._head = head
                return found
            head_key = self._key(head)
        while head_key == key:
            found.append(head)
            head = next(self._rows, self._END)
            if head is self._END:
                break
            head_key = self._key(head)
        self._head = head
        return found
