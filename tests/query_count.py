"""Counting the SQL statements a block runs: a page's query count must not grow with its rows."""
import contextlib

from models import db


@contextlib.contextmanager
def counting():
    """Yields a one-item list holding the number of statements run inside the block."""
    database = db.obj
    original = database.execute_sql
    count = [0]

    def counted(sql, params=None, *args, **kwargs):
        count[0] += 1
        return original(sql, params, *args, **kwargs)

    database.execute_sql = counted
    try:
        yield count
    finally:
        del database.execute_sql
