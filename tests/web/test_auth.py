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
    make_user("vendeur")
    for attempt in range(9):
        response = client.login("vendeur", f"mauvais mot {attempt}")
        assert "verrouillé" not in response.get_data(as_text=True)
    tenth = client.login("vendeur", "mauvais mot 10")
    assert tenth.status_code == 401
    assert "Compte verrouillé" in tenth.get_data(as_text=True)
    # Locked: even the right password is refused, with the same clear message.
    blocked = client.login("vendeur")
    assert blocked.status_code == 401
    assert "Compte verrouillé" in blocked.get_data(as_text=True)
    assert "30 minutes" in blocked.get_data(as_text=True)


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
