"""AUTH-4 pages: enrolment from the account page, the two-step login, the mandatory enrolment of
administrators and payment takers, and the administrator's audited reset."""
import re
import time

import pyotp
import pytest

from models import AuditRecord, RecoveryCode, User
from portal.auth import totp
from tests.factories import PASSWORD, make_shop, make_user


def fernet(app):
    from portal.auth.totp_views import _fernet

    with app.app_context():
        return _fernet()


def enrol(app, user):
    """Enrol `user` as the page would; returns (pyotp.TOTP, recovery codes)."""
    secret = totp.pending_secret(user, fernet(app))
    codes = totp.confirm_enrolment(user, pyotp.TOTP(secret).now(), fernet(app), hash_method="pbkdf2:sha256:1000")
    return pyotp.TOTP(secret), codes


def next_code(otp):
    """A code not yet used: the enrolment spent the current step (replay protection)."""
    return otp.at(time.time() + 30)


def secret_on_page(html):
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")


def test_auth_4_enrolment_page_shows_qr_code_and_secret(client, admin):
    client.login("admin")
    page = client.get("/account/totp")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg' in html and 'class="totp-qr"' in html
    secret = secret_on_page(html)
    assert len(secret) == 32
    assert totp.format_secret(secret) in html, "grouped by four for typing"
    assert secret not in (User.get_by_id(admin.id).totp_secret or ""), "stored encrypted"
    assert secret_on_page(client.get("/account/totp").get_data(as_text=True)) == secret, "same secret on reload"
    assert not totp.is_enrolled(User.get_by_id(admin.id))


def test_auth_4_account_page_links_to_enrolment(client, admin):
    client.login("admin")
    html = client.get("/account").get_data(as_text=True)
    assert "/account/totp" in html and "Obligatoire, non activée" in html


def test_auth_4_enrolment_refuses_wrong_and_malformed_codes(client, admin):
    client.login("admin")
    secret = secret_on_page(client.get("/account/totp").get_data(as_text=True))
    wrong = str((int(pyotp.TOTP(secret).now()) + 500000) % 1000000).zfill(6)
    refused = client.post("/account/totp", data={"code": wrong})
    assert refused.status_code == 422 and "Code incorrect" in refused.get_data(as_text=True)
    for malformed in ("12ab", "1" * 400, "١٢٣٤٥٦", "12345\x00"):
        response = client.post("/account/totp", data={"code": malformed})
        assert response.status_code == 422, malformed
    assert not totp.is_enrolled(User.get_by_id(admin.id))


def test_auth_4_enrolment_shows_ten_recovery_codes_once(client, admin):
    client.login("admin")
    secret = secret_on_page(client.get("/account/totp").get_data(as_text=True))
    done = client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", html)
    assert len(codes) == 10
    assert totp.is_enrolled(User.get_by_id(admin.id))
    again = client.get("/account/totp").get_data(as_text=True)
    assert "Codes de secours restants : 10 sur 10" in again
    assert not any(code in again for code in codes), "shown once"
    assert client.get("/").status_code == 200, "the enrolling session stays open"
    assert AuditRecord.select().where(AuditRecord.action == "user.totp_enrol").count() == 1


def test_auth_4_enrolment_htmx_swaps_the_fragment(client, admin):
    client.login("admin")
    secret = secret_on_page(client.get("/account/totp").get_data(as_text=True))
    headers = {"HX-Request": "true", "HX-Target": "totp-enrolment"}
    bad = client.post("/account/totp", data={"code": "12"}, headers=headers)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert html.lstrip().startswith("<section") and 'id="totp-enrolment"' in html and "<html" not in html
    good = client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()}, headers=headers)
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and "<html" not in html and 'id="recovery-codes"' in html


def test_auth_4_enrolment_also_ends_other_sessions(app, client, admin):
    client.login("admin")
    other = app.test_client()
    other.login("admin")
    secret = secret_on_page(client.get("/account/totp").get_data(as_text=True))
    client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert other.get("/").status_code == 302


def test_auth_4_login_asks_code_before_opening_session(client, admin):
    otp, _ = enrol(client.application, admin)
    first = client.login("admin")
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302, "the password alone opens no session"
    assert client.get("/admin/users").status_code == 302
    page = client.get("/login/code")
    assert page.status_code == 200 and "Code de vérification" in page.get_data(as_text=True)
    done = client.post("/login/code", data={"code": next_code(otp)})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/admin/users").status_code == 200


def test_auth_4_login_code_keeps_safe_next(client, admin):
    otp, _ = enrol(client.application, admin)
    client.post("/login?next=/admin/shops", data={"username": "admin", "password": PASSWORD})
    assert client.post("/login/code", data={"code": next_code(otp)}).headers["Location"] == "/admin/shops"


def test_auth_4_code_page_without_password_step_goes_to_login(client, admin):
    assert client.get("/login/code").headers["Location"].endswith("/login")
    assert client.post("/login/code", data={"code": "123456"}).status_code == 302
    assert client.get("/").status_code == 302


def test_auth_4_password_step_expires_after_five_minutes(client, admin):
    otp, _ = enrol(client.application, admin)
    client.login("admin")
    with client.session_transaction() as session:
        session["totp_pending"]["at"] -= 301
        session.modified = True
    response = client.post("/login/code", data={"code": next_code(otp)})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302


def test_auth_4_replayed_code_refused(app, admin):
    otp, _ = enrol(app, admin)
    code = next_code(otp)
    first, second = app.test_client(), app.test_client()
    assert first.login_with_code("admin", code).status_code == 302
    replay = second.login_with_code("admin", code)
    assert replay.status_code == 401 and "déjà utilisé" in replay.get_data(as_text=True)
    assert second.get("/").status_code == 302


def test_auth_4_recovery_code_works_once(app, admin):
    _, codes = enrol(app, admin)
    first = app.test_client()
    used = first.login_with_code("admin", codes[0].upper()[:5] + "-" + codes[0][5:])
    assert used.status_code == 302
    assert "code de secours" in first.get("/").get_data(as_text=True)
    again = app.test_client().login_with_code("admin", codes[0])
    assert again.status_code == 401
    assert RecoveryCode.select().where(RecoveryCode.used_at.is_null(False)).count() == 1
    assert AuditRecord.select().where(AuditRecord.action == "user.login_recovery_code").count() == 1


def test_auth_4_malformed_code_is_422_and_not_counted(client, admin):
    enrol(client.application, admin)
    client.login("admin")
    for raw in ("abc", "1" * 5000, "12 34 5", "é" * 6, "\x00" * 6):
        response = client.post("/login/code", data={"code": raw})
        assert response.status_code == 422, raw
    empty = client.post("/login/code", data={"code": ""})
    assert empty.status_code == 422
    assert User.get_by_id(admin.id).failed_logins == 0


def test_auth_4_wrong_codes_count_towards_lockout(client, admin):
    otp, _ = enrol(client.application, admin)
    client.login("admin")
    for _ in range(9):
        wrong = client.post("/login/code", data={"code": "000000" if otp.now() != "000000" else "111111"})
        assert wrong.status_code == 401
    assert User.get_by_id(admin.id).failed_logins == 9, "the right password did not reset the count"
    tenth = client.post("/login/code", data={"code": "999999" if otp.now() != "999999" else "111111"})
    assert tenth.status_code == 401 and "Compte verrouillé" in tenth.get_data(as_text=True)
    assert User.get_by_id(admin.id).locked_until is not None
    # Locked: the right code is not even tried, and the password step is refused too.
    assert client.post("/login/code", data={"code": next_code(otp)}).status_code == 302
    assert client.get("/").status_code == 302
    assert client.login("admin").status_code == 401


def test_auth_4_password_then_right_code_resets_failures(client, admin):
    otp, _ = enrol(client.application, admin)
    client.login("admin", "pas le bon 1234")
    client.login("admin")
    client.post("/login/code", data={"code": "000000" if otp.now() != "000000" else "111111"})
    assert User.get_by_id(admin.id).failed_logins == 2
    assert client.post("/login/code", data={"code": next_code(otp)}).status_code == 302
    assert User.get_by_id(admin.id).failed_logins == 0


def test_auth_4_code_page_in_english(client, admin):
    User.update(language="en").where(User.id == admin.id).execute()
    enrol(client.application, admin)
    client.login("admin")
    response = client.post("/login/code", data={"code": "12"})
    html = response.get_data(as_text=True)
    assert "Verification code" in html and "Enter the 6 digits" in html


# --- Mandatory for administrators and payment takers ---------------------------------------------


@pytest.fixture
def enforced(app):
    app.config["TOTP_ENFORCED"] = True
    return app


@pytest.mark.parametrize("url", ["/", "/admin/users", "/account", "/transactions/"])
def test_auth_4_admin_without_factor_sent_to_enrolment(client, admin, enforced, url):
    assert client.login("admin").status_code == 302
    response = client.get(url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/totp")


def test_auth_4_enrolment_required_for_htmx_requests_too(client, admin, enforced):
    client.login("admin")
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/account/totp")


def test_auth_4_enrolment_required_leaves_enrolment_logout_and_health(client, admin, enforced):
    client.login("admin")
    assert client.get("/account/totp").status_code == 200
    assert client.get("/health").status_code in (200, 503)
    assert client.get("/static/css/app.css").status_code == 200
    assert client.post("/logout").status_code == 302


def test_auth_4_admin_post_refused_until_enrolled(client, admin, enforced):
    client.login("admin")
    response = client.post("/admin/users/new", data={"username": "pirate", "password": "Verger7Pomme!Cidre",
                                                     "language": "fr", "department": 0, "establishment": 0})
    assert response.status_code == 303
    assert not User.select().where(User.username == "pirate").exists()


def test_auth_4_payment_taker_must_enrol_then_works(client, admin, enforced):
    shop = make_shop()
    make_user("caisse", rights={shop: ["view", "create_payment"]})
    client.login("caisse")
    assert client.get("/transactions/").headers["Location"].endswith("/account/totp")
    secret = secret_on_page(client.get("/account/totp").get_data(as_text=True))
    assert "obligatoire" in client.get("/account/totp").get_data(as_text=True)
    client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/transactions/").status_code == 200


def test_auth_4_viewer_not_forced(client, admin, enforced):
    make_user("lecteur", rights={make_shop(): ["view", "export"]})
    client.login("lecteur")
    assert client.get("/transactions/").status_code == 200


def test_auth_4_not_mandatory_with_intranet_sso(client, admin, enforced):
    """The proxy authenticated the session (AUTH-3): the site delegates, no second factor asked."""
    enforced.config["SSO_HEADER"] = "X-Remote-User"
    assert client.get("/admin/users", headers={"X-Remote-User": "admin"}).status_code == 200


def test_auth_4_password_login_on_an_sso_site_still_needs_the_second_factor(client, admin, enforced):
    enforced.config["SSO_HEADER"] = "X-Remote-User"
    client.login("admin")
    response = client.get("/admin/users")
    assert response.status_code == 303 and "/account/totp" in response.headers["Location"]


def test_auth_4_switch_off_for_tests(client, admin, app):
    app.config["TOTP_ENFORCED"] = False
    client.login("admin")
    assert client.get("/admin/users").status_code == 200


# --- Administrator reset -----------------------------------------------------------------------------


def test_auth_4_admin_sees_and_resets_second_factor(app, client, admin):
    vendeur = make_user("vendeur", rights={make_shop(): ["create_payment"]})
    otp, _ = enrol(app, vendeur)
    seller = app.test_client()
    assert seller.login_with_code("vendeur", next_code(otp)).status_code == 302
    client.login("admin")
    page = client.get(f"/admin/users/{vendeur.id}").get_data(as_text=True)
    assert "Réinitialiser la double authentification" in page and "hx-confirm" in page
    assert "Codes de secours restants : 10 sur 10" in page
    response = client.post(f"/admin/users/{vendeur.id}/totp/reset")
    assert response.status_code == 303
    stored = User.get_by_id(vendeur.id)
    assert stored.totp_secret is None and not RecoveryCode.select().where(RecoveryCode.user == vendeur).exists()
    assert seller.get("/").status_code == 302, "the user's sessions end"
    record = AuditRecord.get(AuditRecord.action == "user.totp_reset")
    assert record.actor == "admin" and record.target_id == str(vendeur.id)
    assert record.before_data["totp"] is True and record.after_data["totp"] is False
    assert client.login("vendeur").status_code == 302


def test_auth_4_admin_reset_htmx_returns_the_status_fragment(app, client, admin):
    vendeur = make_user("vendeur")
    enrol(app, vendeur)
    client.login("admin")
    response = client.post(f"/admin/users/{vendeur.id}/totp/reset",
                           headers={"HX-Request": "true", "HX-Target": "totp-status"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="totp-status"' in html and "réinitialisée" in html and "Non activée" in html


def test_auth_4_only_admins_reset(app, client, admin, login_as):
    enrol(app, admin)
    login_as("vendeur", rights=["view"])
    assert client.post(f"/admin/users/{admin.id}/totp/reset").status_code == 403
    assert totp.is_enrolled(User.get_by_id(admin.id))
    assert client.post("/admin/users/99999/totp/reset").status_code == 403


def test_auth_4_admin_list_shows_factor_state(app, client, admin):
    enrol(app, make_user("vendeur"))
    client.login("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Double authentification" in html and "Activée" in html and "Non activée" in html


def test_auth_4_new_recovery_codes_replace_old_ones(app, client, admin):
    otp, old_codes = enrol(app, admin)
    assert client.login_with_code("admin", old_codes[0]).status_code == 302
    page = client.get("/account/totp").get_data(as_text=True)
    assert "Codes de secours restants : 9 sur 10" in page and "Générer de nouveaux codes" in page
    headers = {"HX-Request": "true", "HX-Target": "totp-enrolment"}
    refused = client.post("/account/totp/codes", data={"code": "12ab"}, headers=headers)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    wrong = client.post("/account/totp/codes", data={"code": "000000" if otp.now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "Code incorrect" in wrong.get_data(as_text=True)
    done = client.post("/account/totp/codes", data={"code": next_code(otp)}, headers=headers)
    new_codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(new_codes) == 10
    assert not totp.use_recovery_code(admin, old_codes[1]), "the old codes stop working"
    assert totp.use_recovery_code(admin, new_codes[0].replace("-", ""))
    assert AuditRecord.select().where(AuditRecord.action == "user.totp_recovery_codes").count() == 1
