"""Throw-away databases for the operations tests (backup, upgrades): a SQLite file, or a
uniquely named PostgreSQL database on the server of PORTAL_TEST_DATABASE_URL, dropped after."""
import contextlib
import os
import uuid
from urllib.parse import urlparse, urlunparse

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")


def _admin_connection():
    import psycopg2

    parsed = urlparse(PG_URL)
    connection = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def scratch_database_url(tmp_path, label):
    """A URL to an empty database of the kind the suite runs on."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / label / 'comptoir.db'}"
        return
    name = f"comptoir_ops_{label}_{uuid.uuid4().hex[:10]}"
    admin = _admin_connection()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
