"""AUTH-1: first run without a default password, policy, lock-out, idle timeout, logout."""
import time

import pytest

from models import AuditRecord, User
from portal.auth.passwords import PasswordRejected, check_policy, set_password
from portal.auth.setup_token import ensure_token, token_path
from tests.factories import PASSWORD, make_user


def test_auth_1_first_run_shows_only_setup(client):
    for url in ("/", "/login", "/admin/users", "/transactions/"):
        response = client.get(url)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/setup")
    assert User.select().count() == 0


def test_auth_1_setup_needs_console_token(app, client):
    page = client.get("/setup")
    assert "jeton d'installation" in page.get_data(as_text=True).lower()
    token = token_path(app.config["INSTANCE_DIR"]).read_text().strip()
    form = {"username": "patronne", "password": "Boutique2026!x", "confirm": "Boutique2026!x"}
    refused = client.post("/setup", data={**form, "token": "mauvais-jeton"})
    assert refused.status_code == 422
    assert "Jeton incorrect" in refused.get_data(as_text=True)
    assert not User.admin_exists()

    created = client.post("/setup", data={**form, "token": token})
    assert created.status_code == 302
    admin = User.get(User.username == "patronne")
    assert admin.is_admin and admin.password_hash != "Boutique2026!x"
    assert not token_path(app.config["INSTANCE_DIR"]).exists(), "the token is one-time"
    assert client.get("/setup").status_code == 302
    assert client.login("patronne", "Boutique2026!x").status_code == 302
    assert AuditRecord.select().where(AuditRecord.action == "user.create_first_admin").exists()


def test_auth_1_setup_refuses_11_character_password(app, client):
    token = ensure_token(app.config["INSTANCE_DIR"])
    response = client.post("/setup", data={"token": token, "username": "patronne",
                                           "password": "abcdefgh123", "confirm": "abcdefgh123"})
    assert response.status_code == 422
    assert "au moins 12 caractères" in response.get_data(as_text=True)
    assert not User.admin_exists()


@pytest.mark.parametrize("password, message", [
    ("abcdefgh123", "au moins 12"),
    ("abcdefghijkl", "lettres et des chiffres"),
    ("123456789012", "lettres et des chiffres"),
])
def test_auth_1_password_policy(password, message):
    with pytest.raises(PasswordRejected, match=message):
        check_policy(password)
    check_policy("abcdefghijk1")


def test_auth_1_last_four_passwords_not_reused(app, admin):
    user = make_user("caissier")
    history = ["premierMotDePasse1", "deuxiemeMotDePasse2", "troisiemeMotDePasse3", "quatriemeMotDePasse4"]
    for password in history:
        set_password(user, password, method="pbkdf2:sha256:1000")
    for password in history:
        with pytest.raises(PasswordRejected, match="déjà été utilisé"):
            set_password(user, password, method="pbkdf2:sha256:1000")
    set_password(user, "cinquiemeMotDePasse5", method="pbkdf2:sha256:1000")
    set_password(user, "premierMotDePasse1", method="pbkdf2:sha256:1000")  # 5 changes ago: allowed


def test_auth_1_login_and_logout(client, admin):
    assert client.login("admin").status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_auth_1_wrong_password_generic_message(client, admin):
    response = client.login("admin", "pas le bon 1234")
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in response.get_data(as_text=True)
    unknown = client.login("personne", "pas le bon 1234")
    assert "Identifiant ou mot de passe incorrect" in unknown.get_data(as_text=True)


def test_auth_1_tenth_failure_locks_account(client, admin):
    vendeur = make_user("vendeur")
    messages = set()
    for attempt in range(9):
        response = client.login("vendeur", f"mauvais mot {attempt}")
        messages.add(response.get_data(as_text=True).split('id="login-error">')[1].split("<")[0])
        assert User.get_by_id(vendeur.id).locked_until is None
    tenth = client.login("vendeur", "mauvais mot 10")
    assert tenth.status_code == 401
    assert User.get_by_id(vendeur.id).locked_until is not None
    # Locked: even the right password is refused; the message says a lock is possible, the same
    # message as for any failure (AUTH-5: it does not tell a locked account from an unknown one).
    blocked = client.login("vendeur")
    assert blocked.status_code == 401
    assert "compte verrouillé" in blocked.get_data(as_text=True)
    assert "30 minutes" in blocked.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert len(messages) == 1


def test_auth_1_admin_unlocks(client, admin):
    user = make_user("vendeur")
    for attempt in range(10):
        client.login("vendeur", f"mauvais mot {attempt}")
    client.login("admin")
    response = client.post(f"/admin/users/{user.id}/unlock")
    assert response.status_code == 303
    client.post("/logout")
    assert client.login("vendeur").status_code == 302
    assert AuditRecord.select().where(AuditRecord.action == "user.unlock").exists()


def test_auth_1_idle_session_expires(client, admin):
    client.login("admin")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 16 * 60
    expired = client.get("/admin/users")
    assert expired.status_code == 303
    assert "/login" in expired.headers["Location"]
    login_page = client.get(expired.headers["Location"])
    assert "session a expiré" in login_page.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_auth_1_activity_keeps_session_alive(client, admin):
    client.login("admin")
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 14 * 60
    assert client.get("/").status_code == 200
    assert client.get("/admin/users").status_code == 200


def test_auth_1_expired_htmx_request_redirects_with_header(client, admin):
    client.login("admin")
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 16 * 60
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "/login" in response.headers["HX-Redirect"]


def test_auth_1_no_default_account_exists(app):
    assert User.select().count() == 0


def test_auth_1_change_own_password(client, admin):
    client.login("admin")
    too_short = client.post("/account", data={"form": "password", "pw-current": PASSWORD,
                                              "pw-password": "court1", "pw-confirm": "court1"})
    assert too_short.status_code == 422
    assert "au moins 12" in too_short.get_data(as_text=True)
    changed = client.post("/account", data={"form": "password", "pw-current": PASSWORD,
                                            "pw-password": "nouveauSecret2026", "pw-confirm": "nouveauSecret2026"})
    assert changed.status_code == 302
    client.post("/logout")
    assert client.login("admin", "nouveauSecret2026").status_code == 302


# --- AUTH-5: sessions end on the server; redirects stay on the site; common passwords; no enumeration


def _cookie(client):
    return client.get_cookie("comptoir_session").value


def _replay(app, cookie, url="/"):
    """A fresh browser presenting a copied session cookie."""
    other = app.test_client()
    other.set_cookie("comptoir_session", cookie)
    return other.get(url)


def test_auth_5_session_ends_at_logout(app, client, admin):
    client.login("admin")
    stolen = _cookie(client)
    assert _replay(app, stolen).status_code == 200
    client.post("/logout")
    replayed = _replay(app, stolen)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_auth_5_session_ends_at_deactivation(app, client, admin):
    vendeur = make_user("vendeur")
    seller = app.test_client()
    seller.login("vendeur")
    stolen = _cookie(seller)
    assert _replay(app, stolen).status_code == 200
    client.login("admin")
    response = client.post(f"/admin/users/{vendeur.id}", data={
        "username": "vendeur", "language": "fr", "department": 0, "establishment": 0})  # active unchecked
    assert response.status_code == 302
    assert not User.get_by_id(vendeur.id).active
    assert _replay(app, stolen).status_code == 302
    assert seller.get("/").status_code == 302


def test_auth_5_own_password_change_ends_other_sessions_keeps_this_one(app, client, admin):
    client.login("admin")
    elsewhere = app.test_client()
    elsewhere.login("admin")
    stolen = _cookie(elsewhere)
    changed = client.post("/account", data={"form": "password", "pw-current": PASSWORD,
                                            "pw-password": "nouveauSecret2026", "pw-confirm": "nouveauSecret2026"})
    assert changed.status_code == 302
    assert client.get("/account").status_code == 200, "the session that changed it stays open"
    assert _replay(app, stolen).status_code == 302
    assert elsewhere.get("/").status_code == 302


def test_auth_5_admin_password_reset_ends_users_sessions(app, client, admin):
    vendeur = make_user("vendeur")
    seller = app.test_client()
    seller.login("vendeur")
    stolen = _cookie(seller)
    client.login("admin")
    response = client.post(f"/admin/users/{vendeur.id}", data={
        "username": "vendeur", "language": "fr", "department": 0, "establishment": 0, "active": "y",
        "password": "Verger7Pomme!Cidre"})
    assert response.status_code == 302
    assert _replay(app, stolen).status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_auth_5_admin_changing_own_password_stays_logged_in(client, admin):
    client.login("admin")
    response = client.post(f"/admin/users/{admin.id}", data={
        "username": "admin", "language": "fr", "department": 0, "establishment": 0, "active": "y",
        "is_admin": "y", "password": "Verger7Pomme!Cidre"})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_auth_5_session_without_version_refused(app, client, admin):
    client.login("admin")
    with client.session_transaction() as session:
        session.pop("session_version")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("next_url", ["/%09/evil.example/", "//evil.example/", "/%5Cevil.example",
                                      "https://evil.example/", "/%0d%0aSet-Cookie:%20x=1", "/x%0aEvil"])
def test_auth_5_open_redirect_after_login_refused(client, admin, next_url):
    response = client.post(f"/login?next={next_url}", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/", location
    assert "evil" not in location and "\n" not in location and "\r" not in location


def test_auth_5_redirect_after_login_keeps_site_path(client, admin):
    response = client.post("/login?next=/admin/users%3Fpage%3D2", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/admin/users?page=2"


def test_auth_5_common_password_refused_on_account_page(client, admin):
    client.login("admin")
    refused = client.post("/account", data={"form": "password", "pw-current": PASSWORD,
                                            "pw-password": "Azertyuiop123", "pw-confirm": "Azertyuiop123"})
    assert refused.status_code == 422
    assert "fait partie des plus courants" in refused.get_data(as_text=True)


def test_auth_5_common_password_refused_by_admin_and_message_translated(client, admin):
    User.update(language="en").where(User.id == admin.id).execute()
    client.login("admin")
    refused = client.post("/admin/users/new", data={"username": "caisse", "password": "Password1234",
                                                    "language": "fr", "department": 0, "establishment": 0,
                                                    "active": "y"})
    assert refused.status_code == 422
    assert "one of the most common" in refused.get_data(as_text=True)
    assert not User.select().where(User.username == "caisse").exists()


def test_auth_5_login_does_not_reveal_whether_account_exists(client, admin):
    make_user("vendeur")
    make_user("parti", active=False)

    def message(username, password):
        response = client.login(username, password)
        assert response.status_code == 401
        return response.get_data(as_text=True).split('id="login-error">')[1].split("</p>")[0]

    unknown = message("personne", "pas le bon 1234")
    assert unknown == message("vendeur", "pas le bon 1234") == message("parti", PASSWORD)
    for attempt in range(10):
        client.login("vendeur", f"mauvais {attempt}")
    assert message("vendeur", PASSWORD) == unknown, "a locked account reads like an unknown one"


def test_auth_5_unknown_user_login_checks_a_hash(client, admin, monkeypatch):
    from portal.auth import passwords

    calls = []
    monkeypatch.setattr(passwords, "check_password_hash", lambda h, p: calls.append(h) or False)
    client.login("personne", "pas le bon 1234")
    assert len(calls) == 1 and calls[0].startswith("pbkdf2:sha256:1000$")
