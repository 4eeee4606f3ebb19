"""AUTH-4 rules without Flask pages: codes, replay, recovery codes, encryption, who must enrol."""
import time

import pyotp
import pytest
from cryptography.fernet import Fernet

from models import AuditRecord, RecoveryCode, User
from portal.auth import totp
from tests.factories import make_shop, make_user

HASH = "pbkdf2:sha256:1000"


@pytest.fixture
def fernet():
    return Fernet(Fernet.generate_key())


def enrolled_user(fernet, username="caissiere", **fields):
    """A user with an active second factor; returns (user, secret, recovery codes)."""
    user = make_user(username, **fields)
    secret = totp.pending_secret(user, fernet)
    codes = totp.confirm_enrolment(user, pyotp.TOTP(secret).now(), fernet, hash_method=HASH)
    assert codes is not None
    return User.get_by_id(user.id), secret, codes


def test_auth_4_code_valid_one_step_either_side_only():
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret)
    now = 1_800_000_000
    step = code.timecode(now)
    assert totp.matching_step(secret, code.at(now), for_time=now) == step
    assert totp.matching_step(secret, code.at(now - 30), for_time=now) == step - 1
    assert totp.matching_step(secret, code.at(now + 30), for_time=now) == step + 1
    assert totp.matching_step(secret, code.at(now - 60), for_time=now) is None
    assert totp.matching_step(secret, code.at(now + 60), for_time=now) is None


def test_auth_4_code_not_later_than_last_used_step_refused():
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret)
    now = 1_800_000_000
    step = code.timecode(now)
    assert totp.matching_step(secret, code.at(now), last_step=step, for_time=now) is None
    assert totp.matching_step(secret, code.at(now + 30), last_step=step, for_time=now) == step + 1


def test_auth_4_secret_stored_encrypted_and_pending_until_confirmed(app, fernet):
    user = make_user("caissiere")
    secret = totp.pending_secret(user, fernet)
    stored = User.get_by_id(user.id)
    assert secret not in stored.totp_secret and stored.totp_enrolled_at is None
    assert not totp.is_enrolled(stored)
    assert totp.pending_secret(stored, fernet) == secret, "a reload shows the same secret"
    assert totp.confirm_enrolment(stored, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
                                  fernet, hash_method=HASH) is None
    assert not totp.is_enrolled(User.get_by_id(user.id))


def test_auth_4_enrolment_gives_ten_hashed_recovery_codes_and_ends_sessions(app, fernet):
    before = make_user("caissiere").session_version
    user, _, codes = enrolled_user(fernet, "autre")
    assert len(codes) == 10 and len(set(codes)) == 10
    rows = list(RecoveryCode.select().where(RecoveryCode.user == user))
    assert len(rows) == 10
    assert all(code not in row.code_hash for row in rows for code in codes)
    assert user.session_version == before + 1
    with pytest.raises(totp.TotpError):
        totp.pending_secret(user, fernet)


def test_auth_4_replayed_code_refused(app, fernet):
    user, secret, _ = enrolled_user(fernet)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert totp.verify_totp(user, code, fernet)
    assert not totp.verify_totp(user, code, fernet), "the same code cannot open a second session"


def test_auth_4_code_used_to_enrol_cannot_log_in(app, fernet):
    user, secret, _ = enrolled_user(fernet)
    assert not totp.verify_totp(user, pyotp.TOTP(secret).now(), fernet)


def test_auth_4_recovery_code_single_use(app, fernet):
    user, _, codes = enrolled_user(fernet)
    assert totp.use_recovery_code(user, codes[3])
    assert not totp.use_recovery_code(user, codes[3])
    assert totp.remaining_recovery_codes(user) == 9
    assert not totp.use_recovery_code(user, "abcdeabcde")
    other, _, other_codes = enrolled_user(fernet, "autre")
    assert not totp.use_recovery_code(user, other_codes[0]), "one user's codes do not open another account"


@pytest.mark.parametrize("raw, expected", [
    ("123456", ("totp", "123456")), (" 123 456 ", ("totp", "123456")),
    ("ABCDE-23456", ("recovery", "abcde23456")), ("abcde23456", ("recovery", "abcde23456")),
])
def test_auth_4_codes_read_as_typed(raw, expected):
    assert totp.classify(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "abc", "x" * 5000, "12\x0034",
                                 "abcde-2345é"])
def test_auth_4_malformed_codes_refused(raw):
    with pytest.raises(totp.MalformedCode):
        totp.classify(raw)


def test_auth_4_required_for_admins_and_payment_takers(app):
    shop = make_shop()
    assert totp.totp_required(make_user("patronne", is_admin=True))
    assert totp.totp_required(make_user("caisse", rights={shop: ["create_payment"]}))
    assert totp.totp_required(make_user("duplique", rights={shop: ["duplicate"]}))
    assert not totp.totp_required(make_user("lecteur", rights={shop: ["view", "refund", "export"]}))
    assert not totp.totp_required(make_user("acheteur", rights={shop: ["manage_suppliers"]}))


def test_auth_4_not_required_when_intranet_sso_authenticates(app):
    assert not totp.totp_required(make_user("patronne", is_admin=True), sso_enabled=True)


def test_auth_4_reset_removes_factor_and_codes_and_ends_sessions(app, fernet):
    user, _, _ = enrolled_user(fernet)
    version = user.session_version
    totp.reset(user)
    stored = User.get_by_id(user.id)
    assert stored.totp_secret is None and stored.totp_enrolled_at is None
    assert not RecoveryCode.select().where(RecoveryCode.user == user).exists()
    assert stored.session_version == version + 1
    assert not AuditRecord.select().exists(), "the rule does not audit; the admin service does"


def test_auth_4_secret_under_another_key_is_a_clear_error(app, fernet):
    user, _, _ = enrolled_user(fernet)
    with pytest.raises(totp.TotpError, match="réinitialiser"):
        totp.verify_totp(user, "123456", Fernet(Fernet.generate_key()))


def test_auth_4_qr_code_is_inline_svg_without_script_or_style():
    svg = totp.qr_svg(totp.provisioning_uri(pyotp.random_base32(), "patronne", "Comptoir"))
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
