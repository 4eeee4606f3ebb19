"""CSRF on every POST, security headers, frame embedding (OPS-4), health check, locale (LOC-1),
private instance files and the setup token printed only by the web server."""
import stat

from config import TestConfig
from portal import create_app


def test_csrf_post_without_token_refused(client, admin):
    response = client.post("/login", data={"username": "admin", "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)


def test_csrf_htmx_header_accepted_and_forged_refused(client, admin):
    client.login("admin")
    forged = client.post("/logout", headers={"X-CSRFToken": "forged", "HX-Request": "true"}, csrf=False)
    assert forged.status_code == 400
    good = client.post("/logout", headers={"HX-Request": "true"})
    assert good.status_code == 302


def test_base_layout_sends_csrf_header_to_htmx(client, admin):
    client.login("admin")
    html = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "vendor/htmx/htmx.min.js" in html


def test_ops_4_security_headers_and_vary(client, admin):
    response = client.get("/login")
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_ops_4_frame_embedding_limited_to_configured_origins(tmp_path):
    app = create_app(TestConfig, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                     INSTANCE_DIR=tmp_path / "i", FRAME_ANCESTORS="https://intranet.example.fr")
    response = app.test_client().get("/health")
    assert "frame-ancestors 'self' https://intranet.example.fr" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_ops_4_health_check(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok", "database": "ok", "documents": "ok",
        "mail_queue": {"pending": 0, "failed": 0, "oldest_pending_minutes": None},
    }
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_loc_1_english_per_user(client, admin):
    client.login("admin")
    client.post("/account", data={"form": "preferences", "pref-language": "en"})
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Audit log" in html and "Log out" in html
    assert "Journal d'audit" not in html


def test_loc_1_french_by_default(client, admin):
    client.login("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Journal d'audit" in html and "Se déconnecter" in html


def test_errors_render_a_page_not_a_trace(client, admin):
    client.login("admin")
    response = client.get("/admin/users/99999")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_ops_1_sqlite_file_and_instance_folder_are_private(tmp_path):
    instance = tmp_path / "instance"
    create_app(TestConfig, INSTANCE_DIR=instance, DATABASE_URL=None)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "comptoir.db").stat().st_mode) == 0o600


def test_ops_1_existing_install_is_made_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    (instance / "comptoir.db").write_bytes(b"")
    (instance / "comptoir.db").chmod(0o644)
    create_app(TestConfig, INSTANCE_DIR=instance, DATABASE_URL=None)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "comptoir.db").stat().st_mode) == 0o600


def test_auth_1_setup_token_printed_by_the_web_server_not_by_cli_commands(tmp_path, capsys):
    app = create_app(TestConfig, INSTANCE_DIR=tmp_path / "instance", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                     PRINT_SETUP_TOKEN=True)
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert "Jeton d'installation" not in result.output + capsys.readouterr().err

    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
    assert "Jeton d'installation" not in capsys.readouterr().err
    client.get("/login")
    printed = capsys.readouterr().err
    assert printed.count("Jeton d'installation à saisir sur la page /setup") == 1
    client.get("/setup")
    assert "Jeton" not in capsys.readouterr().err  # once per server process


def test_loc_3_favicon_served_without_a_session(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"
    assert "Set-Cookie" not in response.headers
