"""AUTH-3 intranet single sign-on: the user name the reverse proxy authenticated logs in the existing
active user, without a password, only when it comes from TRUSTED_PROXIES — proven with the test
client and with a real nginx in front of the live app."""
import http.client

import pytest
import requests

from models import AuditRecord, User
from portal.auth.sso import candidate_names
from tests.factories import make_user
from tests.nginx import running_nginx, serving


@pytest.fixture
def sso(app, admin):
    app.config.update(SSO_HEADER="X-Remote-User", TRUSTED_PROXIES="127.0.0.1 ::1", BEHIND_PROXY=True)
    return make_user("lea", display_name="Léa Martin")


def _as(name, peer="127.0.0.1"):
    return {"headers": {"X-Remote-User": name}, "environ_base": {"REMOTE_ADDR": peer}}


def test_auth_3_names_from_windows_and_kerberos():
    assert candidate_names("EXEMPLE\\LMartin") == ["lmartin"]
    assert candidate_names("lmartin@INTRANET.EXEMPLE.FR") == ["lmartin@intranet.exemple.fr", "lmartin"]
    assert candidate_names("  ") == [] and candidate_names(None) == []


@pytest.mark.parametrize("name", ["lea", "LEA", "EXEMPLE\\lea", "Lea@INTRANET.EXEMPLE.FR"])
def test_auth_3_trusted_proxy_logs_in_the_existing_user_without_password(client, sso, name):
    response = client.get("/", **_as(name))
    assert response.status_code == 200
    assert "Bonjour Léa Martin" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["_user_id"] == str(sso.id)
        assert session["session_version"] == sso.session_version
        assert session["auth_method"] == "sso" and session["last_seen"]
    record = AuditRecord.get(AuditRecord.action == "user.sso_login")
    assert record.user_id == sso.id and record.actor == "lea"
    assert User.get_by_id(sso.id).last_login_at is not None


def test_auth_3_one_login_per_session_not_per_request(client, sso):
    for _ in range(3):
        assert client.get("/", **_as("lea")).status_code == 200
    assert AuditRecord.select().where(AuditRecord.action == "user.sso_login").count() == 1


def test_auth_3_header_from_an_untrusted_peer_is_ignored(client, sso):
    response = client.get("/", **_as("lea", peer="127.0.0.2"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert AuditRecord.select().where(AuditRecord.action == "user.sso_login").count() == 0


def test_auth_3_header_ignored_when_the_peer_is_not_a_configured_proxy(app, client, sso):
    app.config["TRUSTED_PROXIES"] = "10.0.0.5"
    response = client.get("/", **_as("lea"))  # the test client's peer is 127.0.0.1
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_auth_3_header_ignored_when_sso_is_off(app, client, sso):
    app.config["SSO_HEADER"] = ""
    assert client.get("/", **_as("lea")).status_code == 302


@pytest.mark.parametrize("name", ["inconnu", "marc"])
def test_auth_3_unknown_or_inactive_user_gets_a_403_page(client, sso, name):
    make_user("marc", active=False)
    response = client.get("/", **_as(name))
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Compte inconnu de Comptoir" in html and f"« {name} »" in html
    assert "administrateur de Comptoir" in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_auth_3_remote_user_set_by_the_server(app, client, sso):
    app.config["SSO_HEADER"] = "REMOTE_USER"
    response = client.get("/", environ_base={"REMOTE_ADDR": "127.0.0.1", "REMOTE_USER": "EXEMPLE\\lea"})
    assert response.status_code == 200 and "Bonjour Léa Martin" in response.get_data(as_text=True)
    untrusted = app.test_client().get("/", environ_base={"REMOTE_ADDR": "192.0.2.4", "REMOTE_USER": "lea"})
    assert untrusted.status_code == 302 and "/login" in untrusted.headers["Location"]


def test_auth_3_another_intranet_name_switches_the_session(client, sso):
    marc = make_user("marc")
    client.get("/", **_as("lea"))
    client.get("/", **_as("marc"))
    with client.session_transaction() as session:
        assert session["_user_id"] == str(marc.id)


def test_auth_3_health_and_static_never_log_in(client, sso):
    assert client.get("/health", **_as("inconnu")).status_code == 200
    static = client.get("/static/css/app.css", **_as("inconnu"))
    assert static.status_code == 200
    static.close()


@pytest.fixture
def nginx_sso(app, sso, tmp_path):
    """The live app behind nginx, which passes the user it authenticated (fixed here: nginx-light
    has no Kerberos module) in X-Remote-User, overwriting whatever the browser sent."""
    with serving(app) as port, running_nginx(tmp_path / "nginx", port,
                                             headers={"X-Remote-User": '"lea@INTRANET.EXEMPLE.FR"'}) as url:
        yield url, port


def test_auth_3_through_nginx_logged_in_without_password(nginx_sso):
    url, _ = nginx_sso
    response = requests.get(url + "/", headers={"X-Remote-User": "admin"})  # nginx overwrites it
    assert response.status_code == 200
    assert "Bonjour Léa Martin" in response.text and "/comptoir/static/" in response.text


def test_auth_3_header_sent_straight_to_the_app_is_refused(app, nginx_sso):
    _, port = nginx_sso
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
    connection.request("GET", "/", headers={"X-Remote-User": "lea"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 302 and "/login" in response.getheader("Location")

    app.config["TRUSTED_PROXIES"] = "10.0.0.5"  # the peer 127.0.0.1 is no longer a proxy
    direct = requests.get(f"http://127.0.0.1:{port}/", headers={"X-Remote-User": "lea"}, allow_redirects=False)
    assert direct.status_code == 302 and "/login" in direct.headers["Location"]
    assert AuditRecord.select().where(AuditRecord.action == "user.sso_login").count() == 0
