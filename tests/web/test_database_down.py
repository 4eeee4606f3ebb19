"""OPS-8: with the database down, refusing, black-holed or stuck, every page answers a French 503
within seconds with the security headers, /health answers 503 JSON, static files still load."""
import contextlib
import os
import socket
import threading
import time

import peewee
import pytest

from config import TestConfig
from models import db
from portal import create_app
from portal.database import open_database
from tests.conftest import PortalClient
from tests.nginx import free_port

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
# Generous: the connect timeout is 2 s; a hang would last forever, a slow machine a few seconds.
QUICKLY = 15


@contextlib.contextmanager
def black_hole():
    """A TCP server that accepts connections and never says a word (a stuck or firewalled server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def _app_on(url, tmp_path, **config):
    app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=tmp_path / "instance", DB_CONNECT_TIMEOUT=2,
                     **config)
    app.test_client_class = PortalClient
    return app


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_clean_503(response, elapsed):
    assert response.status_code == 503
    assert elapsed < QUICKLY
    html = response.get_data(as_text=True)
    assert "Service momentanément indisponible" in html
    assert "La base de données ne répond pas" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Request-Id"]


def _assert_everything_answers_503(app):
    client = app.test_client()
    _assert_clean_503(*_timed(lambda: client.get("/login")))
    _assert_clean_503(*_timed(lambda: client.get("/factures/", headers={"HX-Request": "true"})))
    _assert_clean_503(*_timed(lambda: client.post("/login", data={"username": "a", "password": "b"})))

    health, elapsed = _timed(lambda: client.get("/health"))
    assert health.status_code == 503 and elapsed < QUICKLY
    assert health.is_json
    assert health.get_json()["status"] == "error" and health.get_json()["database"] == "unavailable"
    assert health.headers["X-Content-Type-Options"] == "nosniff"

    static, elapsed = _timed(lambda: client.get("/static/css/app.css"))
    assert static.status_code == 200 and elapsed < 1
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    static.close()


def test_ops_8_refused_connection_answers_503_pages_health_and_static(tmp_path):
    url = f"postgresql://comptoir@127.0.0.1:{free_port()}/comptoir"  # nothing listens there
    _assert_everything_answers_503(_app_on(url, tmp_path))


def test_ops_8_black_holed_database_answers_503_within_seconds(tmp_path):
    with black_hole() as port:
        _assert_everything_answers_503(_app_on(f"postgresql://comptoir@127.0.0.1:{port}/comptoir", tmp_path))


def test_ops_8_unopenable_sqlite_file_answers_503(tmp_path):
    (tmp_path / "comptoir.db").mkdir()  # a folder where the database file should be
    _assert_everything_answers_503(_app_on(f"sqlite:///{tmp_path / 'comptoir.db'}", tmp_path))


def test_ops_8_database_lost_mid_page_for_a_signed_in_user_answers_503(app, client, admin):
    """The connection drops in the middle of a signed-in user's page: the 503 page is drawn
    without asking the database again (no user menu, no navigation), headers kept."""

    @app.route("/_test/fails-mid-page")
    def fails_mid_page():
        db.close()
        db.initialize(open_database(f"postgresql://x@127.0.0.1:{free_port()}/x", connect_timeout=2))
        raise peewee.InterfaceError("connection already closed")

    client.login("admin")
    response, elapsed = _timed(lambda: client.get("/_test/fails-mid-page"))
    _assert_clean_503(response, elapsed)
    assert "Se déconnecter" not in response.get_data(as_text=True)


def test_ops_8_psycopg2_error_raised_outside_peewee_is_a_503(app, client, admin):
    psycopg2 = pytest.importorskip("psycopg2")

    @app.route("/_test/raw-driver-error")
    def raw_driver_error():
        raise psycopg2.OperationalError("server closed the connection unexpectedly")

    client.login("admin")
    _assert_clean_503(*_timed(lambda: client.get("/_test/raw-driver-error")))


def test_ops_8_postgres_connections_carry_connect_and_statement_timeouts():
    database = open_database("postgresql://u:p@db.example:5433/comptoir", connect_timeout=3,
                             statement_timeout_ms=1500)
    assert database.connect_params["connect_timeout"] == 3
    assert database.connect_params["options"] == "-c jit=off -c statement_timeout=1500"
    assert database.connect_params["keepalives"] == 1


@pytest.mark.skipif(not PG_URL, reason="statement timeout: PostgreSQL only (SQLite has busy_timeout)")
def test_ops_8_query_stuck_behind_a_lock_gives_up_with_a_503(app, tmp_path):
    import psycopg2

    previous = db.obj
    stuck_app = _app_on(PG_URL, tmp_path, DB_STATEMENT_TIMEOUT_MS=1000)
    previous.close()
    locker = psycopg2.connect(PG_URL)
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE portal_user IN ACCESS EXCLUSIVE MODE")  # held until rollback
        response, elapsed = _timed(lambda: stuck_app.test_client().get("/login"))
        _assert_clean_503(response, elapsed)
        assert stuck_app.test_client().get("/health").status_code == 200  # SELECT 1 is not blocked
    finally:
        locker.rollback()
        locker.close()
    assert stuck_app.test_client().get("/login").status_code in (200, 303)


def test_ops_8_error_pages_exist_in_english(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("en"):
        assert gettext("Service momentanément indisponible") == "Service temporarily unavailable"
        assert gettext("Réessayer") == "Try again"
        assert gettext("Page introuvable") == "Page not found"


def test_ops_8_a_mistake_in_a_query_stays_a_500_not_an_outage(app, client, admin):
    @app.route("/_test/bad-query")
    def bad_query():
        db.execute_sql("SELECT no_such_column FROM portal_user")

    app.testing = False
    response = client.get("/_test/bad-query")
    assert response.status_code == 500
    assert "Erreur interne" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
