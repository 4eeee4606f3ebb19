"""Fixtures: an app on a fresh database (SQLite file, or PostgreSQL when
PORTAL_TEST_DATABASE_URL is set), a CSRF-aware client, users with chosen rights,
and a live server with Chromium for browser tests."""
import hashlib
import os
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from config import TestConfig
from models import db
from portal import create_app
from portal.database import apply_migrations, close_pool
from tests.factories import make_shop, make_user

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"
PASSWORD = "correct horse 42 battery"


class PortalClient(FlaskClient):
    """Test client that sends the CSRF token on every POST, as the portal's pages do."""

    def csrf_token(self):
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if raw is None:
                raw = session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def post(self, *args, csrf=True, **kwargs):
        if csrf:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().post(*args, **kwargs)

    def login(self, username, password=PASSWORD):
        return self.post("/login", data={"username": username, "password": password})

    def login_with_code(self, username, code, password=PASSWORD):
        """Both steps of the login of a user who enrolled a second factor (AUTH-4)."""
        first = self.login(username, password)
        assert first.status_code == 302 and first.headers["Location"].endswith("/login/code"), first.status_code
        return self.post("/login/code", data={"code": code})


def _reset_postgres():
    tables = [t for t in db.get_tables() if t != "schema_migration"]
    if tables:
        db.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


_pg_migrated = False


@pytest.fixture
def app(tmp_path):
    global _pg_migrated
    url = PG_URL or f"sqlite:///{tmp_path / 'test.db'}"
    app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=tmp_path / "instance")
    app.test_client_class = PortalClient
    if not PG_URL or not _pg_migrated:
        apply_migrations()
        _pg_migrated = True
    if PG_URL:
        with db.connection_context():
            _reset_postgres()
    db.connect(reuse_if_open=True)
    yield app
    if not db.is_closed():
        db.close()
    close_pool()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    """An installed portal: its first administrator exists."""
    return make_user("admin", is_admin=True)


@pytest.fixture
def shop(app):
    return make_shop()


@pytest.fixture
def login_as(client, admin):
    """login_as(rights=[...], shop=...) -> logged-in user holding those rights on that shop."""

    def _login_as(username="marchand", rights=(), shop=None, **fields):
        user = make_user(username, rights={shop or make_shop(): rights} if rights else None, **fields)
        response = client.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.fixture(scope="session")
def output_dir():
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Debian's Chromium is missing: .ci/run installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


@pytest.fixture
def clock(app):
    """The clock the app and the payment rules read; tests move it."""
    from tests.factories import FakeClock

    fake = FakeClock()
    app.config["CLOCK"] = fake
    return fake


@pytest.fixture
def payment_ctx(app, clock):
    """A PaymentContext on the app's simulator acquirer and the fake clock."""
    from portal.money import format_money
    from portal.payments.service import PaymentContext

    return PaymentContext(acquirer=app.extensions["comptoir.acquirer"], timezone="Europe/Paris", clock=clock,
                          format_amount=lambda minor, currency: format_money(minor, currency, locale="fr"))
