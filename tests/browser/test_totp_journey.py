"""Browser journey of the second factor (AUTH-4): an administrator is sent to enrol at her first
login, scans (here: reads) the key, confirms with a code, keeps her recovery codes, then logs in
with password + code, and once with a recovery code, which then no longer works."""
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _home_nav(page):
    return page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Administration")


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")


def _password_step(page):
    log_in(page, "patronne")
    page.wait_for_url("**/login/code")
    expect(page.get_by_role("heading", name="Vérification en deux étapes")).to_be_visible()


def test_totp_enrolment_login_and_recovery_code(app, page, output_dir):
    app.config["TOTP_ENFORCED"] = True
    patronne = make_user("patronne", is_admin=True)

    log_in(page, "patronne")
    page.wait_for_url("**/account/totp")
    expect(page.get_by_text("la double authentification est obligatoire")).to_be_visible()
    qr = page.locator("svg.totp-qr")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150, "a QR code a phone can scan"
    page.screenshot(path=output_dir / "totp-01-enrolment.png", full_page=True)

    # Nothing else opens before enrolment.
    page.goto("/admin/users")
    page.wait_for_url("**/account/totp")

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    otp = pyotp.TOTP(secret)
    page.get_by_label("Code à 6 chiffres").fill("000000" if otp.now() != "000000" else "111111")
    page.get_by_role("button", name="Confirmer et activer").click()
    expect(page.get_by_text("Code incorrect")).to_be_visible()
    page.get_by_label("Code à 6 chiffres").fill(otp.now())
    page.get_by_role("button", name="Confirmer et activer").click()
    codes_list = page.locator("#recovery-codes li")
    expect(codes_list).to_have_count(10)
    codes = codes_list.all_inner_texts()
    page.screenshot(path=output_dir / "totp-02-recovery-codes.png", full_page=True)
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(_home_nav(page)).to_be_visible()
    _log_out(page)

    _password_step(page)
    page.screenshot(path=output_dir / "totp-03-code-page.png", full_page=True)
    page.get_by_label("Code de vérification").fill(otp.at(time.time() + 30))  # the enrolment spent "now"
    page.get_by_role("button", name="Vérifier").click()
    expect(_home_nav(page)).to_be_visible()
    page.goto("/account/totp")
    expect(page.get_by_text("Codes de secours restants : 10 sur 10")).to_be_visible()
    page.screenshot(path=output_dir / "totp-05-account-status.png", full_page=True)
    page.goto(f"/admin/users/{patronne.id}")
    status = page.locator("#totp-status")
    expect(status.get_by_text("Codes de secours restants : 10 sur 10")).to_be_visible()
    expect(status.get_by_role("button", name="Réinitialiser la double authentification")).to_be_visible()
    page.screenshot(path=output_dir / "totp-06-admin-user.png", full_page=True)
    _log_out(page)

    _password_step(page)
    page.get_by_label("Code de vérification").fill(codes[0])
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_text("Connecté avec un code de secours")).to_be_visible()
    expect(page.get_by_text("Il vous en reste 9")).to_be_visible()
    _log_out(page)

    _password_step(page)
    page.get_by_label("Code de vérification").fill(codes[0])
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("alert").filter(has_text="déjà utilisé")).to_be_visible()
    page.screenshot(path=output_dir / "totp-04-code-refused.png", full_page=True)
    expect(_home_nav(page)).to_have_count(0)
