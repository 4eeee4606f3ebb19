"""Issue 10: the portal keeps its database connections between requests (opening one cost about
5 ms, a sixth of a list page), without letting a connection outlive what it was given for: a
transaction left open, a server restart, a fork of the process."""
import pytest
from peewee import PostgresqlDatabase

from config import TestConfig
from models import User, db
from portal.database import close_pool, is_postgres
from tests.concurrency import run_at_once


@pytest.fixture
def connection_of_a_request(app, client):
    """Makes a request and returns the driver connection it ran on."""
    seen = []

    @app.after_request
    def remember(response):
        seen.append(db.connection())
        return response

    def request():
        assert client.get("/login").status_code == 200
        return seen[-1]
    return request


def test_issue_10_requests_reuse_one_connection(connection_of_a_request, admin):
    db.close()
    first = connection_of_a_request()
    assert db.is_closed()  # handed back to the pool at the end of the request
    assert connection_of_a_request() is first


def test_issue_10_as_many_connections_at_once_as_threads_ask(app, admin):
    """No cap: 20 simultaneous users never wait for one another's connection, nor fail."""
    results, _ = run_at_once([lambda: User.select().count() for _ in range(20)])
    assert results == [1] * 20


def test_issue_10_a_transaction_left_open_is_rolled_back_before_reuse(app, admin):
    db.close()
    db.connect()
    db.begin()
    User.update(username="changed").where(User.id == admin.id).execute()
    db.close()  # back to the pool without a commit
    with db.connection_context():
        assert User.get_by_id(admin.id).username == "admin"


def test_issue_10_a_connection_the_server_dropped_is_not_handed_out(connection_of_a_request, admin):
    """A PostgreSQL restart kills every idle connection without the driver knowing: the pool tries
    each with a round trip before handing it out, so the next request opens a new one."""
    if not is_postgres():
        pytest.skip("PostgreSQL only")
    db.close()
    first = connection_of_a_request()
    pid = first.info.backend_pid
    killer = PostgresqlDatabase(db.obj.database, **db.obj.connect_params)  # a connection of its own
    with killer.connection_context():
        assert killer.execute_sql("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    second = connection_of_a_request()
    assert second is not first
    assert second.info.backend_pid != pid


def test_issue_10_no_connection_is_left_open_after_the_app_is_built(app):
    """A server that forks its workers after building the app (gunicorn --preload) must not give
    one connection to several processes: the pool is empty when create_app returns."""
    from portal import create_app

    db.close()
    close_pool()
    create_app(TestConfig, DATABASE_URL=app.config["DATABASE_URL"], INSTANCE_DIR=app.config["INSTANCE_DIR"])
    assert db.is_closed()
    assert not db.obj._in_use and not db.obj._connections
