"""AUTH-5 rules: common passwords, redirects after login, no account enumeration, session versions."""
import pytest

from models import User
from portal.auth import passwords
from portal.auth.passwords import PasswordRejected, authenticate, check_policy, common_passwords, is_common
from portal.auth.redirects import safe_next
from tests.factories import PASSWORD, make_user

HOME = "/"


@pytest.mark.parametrize("password", ["Password1234", "password1234", "PASSWORD1234", "azertyuiop123",
                                      "AzertyUiop123", "azertyuiop123!", "qwerty123456", "1q2w3e4r5t6y",
                                      "motdepasse123", "Marseille13013", "soleil123456", "jetaime123456"])
def test_auth_5_common_passwords_refused_whatever_the_case(password):
    assert is_common(password)
    with pytest.raises(PasswordRejected, match="plus courants"):
        check_policy(password)


@pytest.mark.parametrize("password", [PASSWORD, "Boutique2026ok", "caisse-2026-ok", "nouveauSecret2026",
                                      "abcdefghijk1", "Verger7Pomme!Cidre"])
def test_auth_5_uncommon_passwords_accepted(password):
    check_policy(password)


def test_auth_5_common_password_list_is_bundled_and_sized():
    listed = common_passwords()
    assert 2000 <= len(listed) <= 20000
    assert all(entry == entry.lower() for entry in listed)


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "https://evil.example/",
    "http:/evil.example", "/x\r\nSet-Cookie: a=b", "/x\nfoo", "javascript:alert(1)", "evil.example",
    " //evil.example", "/\x7f/evil.example", "/\u0085/x", "",
])
def test_auth_5_redirect_after_login_never_leaves_the_site(target):
    assert safe_next(target, HOME) == HOME


@pytest.mark.parametrize("target", ["/transactions/", "/factures/?statut=A&page=2", "/admin/users#droits",
                                    "/recherche?q=caf%C3%A9"])
def test_auth_5_redirect_keeps_same_site_paths(target):
    assert safe_next(target, HOME) == target


def test_auth_5_unknown_user_costs_a_hash_of_the_same_method(app, monkeypatch):
    checked = []
    real = passwords.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", spy)
    result = authenticate("personne", "pas le bon 1234", hash_method="pbkdf2:sha256:1000")
    assert not result.ok
    assert len(checked) == 1 and checked[0].startswith("pbkdf2:sha256:1000$")


def test_auth_5_same_refusal_for_unknown_wrong_locked_and_inactive(app):
    make_user("vendeur")
    make_user("parti", active=False)
    errors = {authenticate("personne", "x").error, authenticate("vendeur", "mauvais").error,
              authenticate("parti", PASSWORD).error}
    for attempt in range(10):
        authenticate("vendeur", f"mauvais {attempt}")
    assert User.by_username("vendeur").locked_until is not None
    errors.add(authenticate("vendeur", PASSWORD).error)
    assert len(errors) == 1


def test_auth_5_password_change_bumps_session_version(app):
    user = make_user("vendeur")
    passwords.set_password(user, "Verger7Pomme!Cidre", method="pbkdf2:sha256:1000")
    assert User.get_by_id(user.id).session_version == 1
