"""Second factor (AUTH-4): TOTP enrolment and verification, one-time recovery codes, and who must
use it. Plain Python (no Flask): the views pass in the Fernet of the vault key, the clock and the
hash method."""
import hmac
import json
import re
import secrets
import time

import pyotp
import segno
from cryptography.fernet import InvalidToken
from werkzeug.security import check_password_hash, generate_password_hash

from models import RecoveryCode, ShopRight, User, db, utcnow
from portal.auth.passwords import bump_session_version

RECOVERY_CODE_COUNT = 10
# Rights whose holders take payments (PCI DSS 4.0 8.4.2): entering a card by hand, or charging a
# stored card again (a duplicate is a new authorisation on the card kept in the vault).
TOTP_REQUIRED_RIGHTS = ("create_payment", "duplicate")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_TOTP_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY_CODE = re.compile(r"^[a-z0-9]{10}$")


class MalformedCode(ValueError):
    """Neither a 6-digit TOTP code nor a recovery code: a typing error, not a guess."""


class TotpError(ValueError):
    """An enrolment that cannot go on (already enrolled, nothing pending, key replaced)."""


# --- Who must use it ------------------------------------------------------------------------------


def totp_required(user, *, sso_enabled=False):
    """AUTH-4: administrators and whoever can take payments, unless the site delegates
    authentication to intranet SSO (AUTH-3)."""
    if sso_enabled:
        return False
    if user.is_admin:
        return True
    return ShopRight.select().where((ShopRight.user == user)
                                    & ShopRight.right.in_(list(TOTP_REQUIRED_RIGHTS))).exists()


def is_enrolled(user):
    return user.totp_secret is not None and user.totp_enrolled_at is not None


# --- The stored secret: encrypted, with the last time step used (replay protection) ---------------


def _seal(fernet, secret, last_step):
    payload = json.dumps({"secret": secret, "last_step": last_step})
    return fernet.encrypt(payload.encode()).decode()


def _open(fernet, sealed):
    try:
        data = json.loads(fernet.decrypt(sealed.encode()).decode())
    except (InvalidToken, ValueError):
        raise TotpError("Le secret du second facteur ne se déchiffre plus (clé du coffre remplacée ?) : "
                        "demandez à un administrateur de le réinitialiser.")
    return data["secret"], int(data.get("last_step") or 0)


# --- Enrolment ---------------------------------------------------------------------------------


def pending_secret(user, fernet):
    """The secret being enrolled, created (and stored encrypted, not yet active) on first call."""
    if is_enrolled(user):
        raise TotpError("Le second facteur est déjà activé pour ce compte.")
    if user.totp_secret is not None:
        try:
            return _open(fernet, user.totp_secret)[0]
        except TotpError:
            pass  # a key replaced since: start again with a new secret
    secret = pyotp.random_base32()
    User.update(totp_secret=_seal(fernet, secret, 0), totp_enrolled_at=None).where(User.id == user.id).execute()
    user.totp_secret, user.totp_enrolled_at = User.get_by_id(user.id).totp_secret, None
    return secret


def provisioning_uri(secret, username, issuer):
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri):
    """The QR code as inline SVG markup (rendered on the server: the CSP forbids inline scripts)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff",
                                                  title="QR code", svgclass="totp-qr")


def format_secret(secret):
    """The secret in groups of four, for typing by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user, code, fernet, *, hash_method="scrypt", now=None):
    """Activate the pending secret when `code` matches it; returns the 10 recovery codes in clear
    (shown once) or None when the code is wrong. Ends the user's other sessions."""
    now = now or utcnow()
    if is_enrolled(user):
        raise TotpError("Le second facteur est déjà activé pour ce compte.")
    if user.totp_secret is None:
        raise TotpError("Aucune activation en cours : rechargez la page.")
    secret, last_step = _open(fernet, user.totp_secret)
    step = matching_step(secret, normalise_totp(code), last_step=last_step)
    if step is None:
        return None
    codes = new_recovery_codes()
    with db.atomic():
        updated = (User.update(totp_secret=_seal(fernet, secret, step), totp_enrolled_at=now)
                   .where((User.id == user.id) & (User.totp_secret == user.totp_secret)
                          & User.totp_enrolled_at.is_null()).execute())
        if updated != 1:
            return None
        _store_recovery_codes(user, codes, hash_method)
        bump_session_version(user)
    return codes


def reset(user):
    """Remove the second factor (admin reset): secret and recovery codes go, sessions end."""
    with db.atomic():
        User.update(totp_secret=None, totp_enrolled_at=None).where(User.id == user.id).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        bump_session_version(user)
    user.totp_secret = user.totp_enrolled_at = None


# --- Codes ------------------------------------------------------------------------------------------


def classify(raw):
    """("totp", "123456") or ("recovery", "abcde23456") from what the user typed; spaces and dashes
    are ignored, case too. Raises MalformedCode for anything else."""
    cleaned = re.sub(r"[\s\-]", "", raw or "").lower()
    if not cleaned.isascii():
        raise MalformedCode("Le code contient des caractères inattendus.")
    if _TOTP_CODE.match(cleaned):
        return "totp", cleaned
    if _RECOVERY_CODE.match(cleaned):
        return "recovery", cleaned
    raise MalformedCode("Saisissez les 6 chiffres de votre application ou un code de secours de 10 caractères.")


def normalise_totp(raw):
    kind, code = classify(raw)
    if kind != "totp":
        raise MalformedCode("Saisissez les 6 chiffres affichés par votre application.")
    return code


def matching_step(secret, code, *, last_step=0, for_time=None, valid_window=1):
    """The time step (30 s counter) whose code is `code`, within ±valid_window steps of now, and
    later than `last_step` (a code already used is refused: replay protection); else None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if for_time is None else for_time)
    found = None
    for offset in range(-valid_window, valid_window + 1):
        step = current + offset
        # Compare every candidate (constant work whatever matches).
        if hmac.compare_digest(totp.generate_otp(step), code) and step > last_step and found is None:
            found = step
    return found


def verify_totp(user, code, fernet, *, for_time=None):
    """True if `code` is the user's current TOTP code, not used before; records its time step
    atomically so that the same code cannot open a second session."""
    if not is_enrolled(user):
        return False
    sealed = User.get_by_id(user.id).totp_secret
    secret, last_step = _open(fernet, sealed)
    step = matching_step(secret, code, last_step=last_step, for_time=for_time)
    if step is None:
        return False
    # Compare-and-set on the sealed value: two logins racing with the same code, one wins.
    updated = (User.update(totp_secret=_seal(fernet, secret, step))
               .where((User.id == user.id) & (User.totp_secret == sealed)).execute())
    return updated == 1


def new_recovery_codes(count=RECOVERY_CODE_COUNT):
    return ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(count)]


def format_recovery_code(code):
    return f"{code[:5]}-{code[5:]}"


def _store_recovery_codes(user, codes, hash_method):
    RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    for code in codes:
        RecoveryCode.create(user=user, code_hash=generate_password_hash(code, method=hash_method))


def regenerate_recovery_codes(user, code, fernet, *, hash_method="scrypt"):
    """10 new recovery codes (the old ones stop working) once `code` proves the phone is at hand;
    None when the code is wrong or already used."""
    if not verify_totp(user, code, fernet):
        return None
    codes = new_recovery_codes()
    with db.atomic():
        _store_recovery_codes(user, codes, hash_method)
    return codes


def remaining_recovery_codes(user):
    return RecoveryCode.select().where((RecoveryCode.user == user) & RecoveryCode.used_at.is_null()).count()


def use_recovery_code(user, code, *, now=None):
    """True if `code` is one of the user's unused recovery codes; it is spent at once (a
    conditional update, so two simultaneous uses cannot both succeed)."""
    now = now or utcnow()
    for row in RecoveryCode.select().where((RecoveryCode.user == user) & RecoveryCode.used_at.is_null()):
        if check_password_hash(row.code_hash, code):
            spent = (RecoveryCode.update(used_at=now)
                     .where((RecoveryCode.id == row.id) & RecoveryCode.used_at.is_null()).execute())
            return spent == 1
    return False
