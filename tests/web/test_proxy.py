"""OPS-4 behind a reverse proxy: served under /comptoir/ by a real nginx, X-Forwarded-* believed only
from TRUSTED_PROXIES, structured JSON logs with a request id, /health reporting the database, the
document store and the mail queue."""
import datetime
import http.client
import io
import json
import logging
import re

import pytest
import requests

from models import OutgoingMail, utcnow
from portal.main.request_log import json_handler
from tests.conftest import PASSWORD
from tests.factories import make_shop, make_user
from tests.nginx import running_nginx, serving

FORGED = {"X-Forwarded-Prefix": "/piege", "X-Forwarded-Host": "evil.example", "X-Forwarded-For": "198.51.100.7",
          "X-Forwarded-Proto": "https", "X-Request-Id": "forged-id"}


@pytest.fixture
def json_log():
    """What the portal's JSON log handler writes, one parsed object per line."""
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("portal")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def behind_proxy(app):
    app.config.update(BEHIND_PROXY=True, TRUSTED_PROXIES="127.0.0.1 ::1")
    return app


@pytest.fixture
def nginx(behind_proxy, tmp_path):
    """nginx serving the live app under http://127.0.0.1:PORT/comptoir."""
    with serving(behind_proxy) as port, running_nginx(tmp_path / "nginx", port) as url:
        yield url


def _links(html):
    return re.findall(r'(?:href|src|action|hx-get|hx-post)="([^"#]+)"', html)


def test_ops_4_forwarded_headers_ignored_from_an_untrusted_peer(behind_proxy, client, admin, json_log):
    response = client.get("/login", headers=FORGED, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/piege" not in html and "evil.example" not in html
    assert 'href="/static/css/app.css' in html
    assert response.headers["X-Request-Id"] != "forged-id"
    access = [line for line in json_log() if line.get("event") == "access"][-1]
    assert access["remote_addr"] == "203.0.113.9" and access["path"] == "/login"


def test_ops_4_forwarded_headers_applied_from_a_trusted_proxy(behind_proxy, client, admin, json_log):
    response = client.get("/login", headers=FORGED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert 'href="/piege/static/css/app.css' in response.get_data(as_text=True)
    assert response.headers["X-Request-Id"] == "forged-id"
    assert json_log()[-1]["remote_addr"] == "198.51.100.7"
    assert json_log()[-1]["request_id"] == "forged-id"


def test_ops_4_forwarded_headers_ignored_when_not_behind_a_proxy(app, client, admin):
    app.config["BEHIND_PROXY"] = False
    html = client.get("/login", headers=FORGED).get_data(as_text=True)
    assert "/piege" not in html


def test_ops_4_trusted_proxies_accept_networks(behind_proxy, client, admin):
    behind_proxy.config["TRUSTED_PROXIES"] = "10.8.0.0/24"
    trusted = client.get("/login", headers=FORGED, environ_base={"REMOTE_ADDR": "10.8.0.20"})
    untrusted = client.get("/login", headers=FORGED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert "/piege/static" in trusted.get_data(as_text=True)
    assert "/piege" not in untrusted.get_data(as_text=True)


def test_ops_4_json_logs_carry_the_request_id_and_one_access_line(app, client, admin, json_log):
    @app.route("/_test/logs")
    def logs_something():
        app.logger.info("something happened")
        return "ok"

    client.login("admin")
    response = client.get("/_test/logs?secret=do-not-log")
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = [line for line in json_log() if line.get("request_id") == request_id]
    assert [line["message"] for line in lines] == ["something happened", "GET /_test/logs 200"]
    access = lines[-1]
    assert access["event"] == "access" and access["method"] == "GET" and access["status"] == 200
    assert access["path"] == "/_test/logs" and access["user_id"] == str(admin.id)
    assert isinstance(access["duration_ms"], float) and access["level"] == "INFO"


def test_ops_4_logs_never_hold_a_query_string_or_a_form_body(client, admin, json_log):
    client.post("/login?next=/secret-next", data={"username": "admin", "password": PASSWORD})
    client.get("/setup?token=top-secret-token")
    text = json.dumps(json_log())
    assert PASSWORD not in text and "top-secret-token" not in text and "secret-next" not in text
    assert len([line for line in json_log() if line.get("event") == "access"]) == 2


def test_ops_4_request_id_from_an_untrusted_peer_or_malformed_is_replaced(client, admin):
    untrusted = client.get("/login", headers={"X-Request-Id": "abc-123"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    malformed = client.get("/login", headers={"X-Request-Id": 'a", "level": "FAKE' + "x" * 200})
    kept = client.get("/login", headers={"X-Request-Id": "abc-123"})
    assert untrusted.headers["X-Request-Id"] != "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", malformed.headers["X-Request-Id"])
    assert kept.headers["X-Request-Id"] == "abc-123"


def test_ops_4_health_reports_database_documents_and_mail_queue(app, client):
    now = utcnow()
    OutgoingMail.create(to="a@example.fr", subject="s", body="b", created_at=now - datetime.timedelta(minutes=42))
    OutgoingMail.create(to="a@example.fr", subject="s", body="b", created_at=now - datetime.timedelta(minutes=3))
    OutgoingMail.create(to="a@example.fr", subject="s", body="b", status="FAILED")
    OutgoingMail.create(to="a@example.fr", subject="s", body="b", status="SENT")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok", "database": "ok", "documents": "ok",
        "mail_queue": {"pending": 2, "failed": 1, "oldest_pending_minutes": 42},
    }


def test_ops_4_health_document_store_in_database_or_not_writable(app, client, tmp_path):
    app.config["DOCUMENT_STORE"] = "database"
    assert client.get("/health").get_json()["documents"] == "database"
    app.config["DOCUMENT_STORE"] = "files"
    (tmp_path / "a-file").write_text("")
    app.config["DOCUMENTS_DIR"] = tmp_path / "a-file" / "documents"  # cannot be created
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded" and response.get_json()["documents"] == "not_writable"


def _csrf(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_ops_4_served_under_a_prefix_through_nginx(nginx, admin):
    shop = make_shop("Épicerie du Port")
    make_user("lea", rights={shop: ["view", "manage_suppliers", "approve_invoices"]})
    browser = requests.Session()

    first = browser.get(nginx + "/", allow_redirects=False)
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/comptoir/login?next=")
    assert first.headers["X-Request-Id"]

    login_page = browser.get(nginx + "/login")
    assert login_page.status_code == 200
    links = _links(login_page.text)
    assert links and all(link.startswith("/comptoir/") for link in links), links
    css = browser.get("http://" + nginx.split("/")[2] + "/comptoir/static/css/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]

    logged_in = browser.post(nginx + "/login?next=/comptoir/factures/", allow_redirects=False,
                             data={"username": "lea", "password": PASSWORD, "csrf_token": _csrf(login_page.text)})
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/comptoir/factures/"

    invoices = browser.get(nginx + "/factures/")
    assert invoices.status_code == 200 and "Factures fournisseurs" in invoices.text
    links = _links(invoices.text)
    assert all(link.startswith("/comptoir/") for link in links), [x for x in links if not x.startswith("/comptoir/")]

    fragment = browser.get(nginx + "/factures/?statut=", headers={"HX-Request": "true", "HX-Target": "invoice-results"})
    assert fragment.status_code == 200 and "<html" not in fragment.text

    home = browser.get(nginx + "/")
    assert home.status_code == 200 and "Bonjour lea" in home.text
    assert all(link.startswith("/comptoir/") for link in _links(home.text))


def test_ops_4_forged_headers_sent_straight_to_the_app_are_ignored(behind_proxy, admin):
    """The same live app, reached without nginx from an address that is not a proxy."""
    with serving(behind_proxy) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
        connection.request("GET", "/login", headers=FORGED)
        response = connection.getresponse()
        html = response.read().decode()
        connection.close()
    assert response.status == 200
    assert "/piege" not in html and 'href="/static/css/app.css' in html
    assert response.getheader("X-Request-Id") != "forged-id"
