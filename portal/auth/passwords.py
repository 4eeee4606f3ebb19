"""Password policy, hashing, lock-out and session versions (AUTH-1, AUTH-5, PCI DSS 4.0 req. 8).
No Flask here: messages are French templates that the views translate."""
import datetime
import functools
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from models import PasswordHistory, User, db, utcnow

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_TRAILING_SYMBOLS = "!?.*@#$%&+=_-"


class PasswordRejected(ValueError):
    """The message says what the password needs. `template` and `params` let a view translate it:
    gettext(exc.template, **exc.params); str(exc) is the French text."""

    def __init__(self, template, **params):
        self.template, self.params = template, params
        super().__init__(template % params if params else template)


@functools.lru_cache(maxsize=1)
def common_passwords():
    """The bundled list of common passwords, lower-cased (AUTH-5)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def is_common(password):
    """Case-insensitive; a symbol added at the end (« Password1234! ») does not make it uncommon."""
    lowered = (password or "").strip().lower()
    listed = common_passwords()
    return lowered in listed or lowered.rstrip(_TRAILING_SYMBOLS) in listed


def check_policy(password, min_length=12):
    if len(password) < min_length:
        raise PasswordRejected("Le mot de passe doit contenir au moins %(min_length)s caractères.",
                               min_length=min_length)
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise PasswordRejected("Le mot de passe doit contenir des lettres et des chiffres.")
    if is_common(password):
        raise PasswordRejected("Ce mot de passe fait partie des plus courants, que les attaquants essaient "
                               "en premier : choisissez-en un autre, par exemple une phrase de plusieurs mots "
                               "avec des chiffres.")


def hash_password(password, method="scrypt"):
    return generate_password_hash(password, method=method)


def bump_session_version(user):
    """AUTH-5: end every session of the user on the server (sessions carry the version they
    started with). Returns the new version, also set on `user`."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version = User.select(User.session_version).where(User.id == user.id).scalar()
    return user.session_version


def set_password(user, password, *, method="scrypt", min_length=12, history=4):
    """Check the policy and the last `history` passwords, then store the new hash; every
    session of the user ends (the caller keeps the current one alive if it should)."""
    check_policy(password, min_length)
    if user.id is not None:
        previous = [h.password_hash for h in PasswordHistory.recent(user, history)]
        if any(check_password_hash(old, password) for old in previous):
            raise PasswordRejected(
                "Ce mot de passe a déjà été utilisé : choisissez-en un différent des %(history)s derniers.",
                history=history,
            )
    user.password_hash = hash_password(password, method)
    with db.atomic():
        user.save()
        PasswordHistory.create(user=user, password_hash=user.password_hash)
        bump_session_version(user)


def create_user(username, password, *, method="scrypt", min_length=12, **fields):
    username = (username or "").strip()
    if not username:
        raise PasswordRejected("Saisissez un identifiant.")
    if User.by_username(username) is not None:
        raise PasswordRejected("L'identifiant « %(username)s » existe déjà.", username=username)
    check_policy(password, min_length)
    with db.atomic():
        user = User.create(username=username, password_hash="", **fields)
        set_password(user, password, method=method, min_length=min_length)
    return user


GENERIC_LOGIN_ERROR = ("Identifiant ou mot de passe incorrect, ou compte verrouillé après %(threshold)s "
                       "échecs : réessayez dans %(minutes)s minutes ou demandez à un administrateur.")


class LoginResult:
    def __init__(self, user=None, error=None, locked_until=None, needs_second_factor=False):
        self.user, self.error, self.locked_until = user, error, locked_until
        self.needs_second_factor = needs_second_factor

    @property
    def ok(self):
        return self.user is not None


@functools.lru_cache(maxsize=8)
def _dummy_hash(method):
    """A hash of the configured method, checked for unknown, inactive and locked accounts so that
    a refusal costs the same time whatever the reason (AUTH-5: no account enumeration)."""
    return generate_password_hash("comptoir-no-such-account", method=method)


def authenticate(username, password, *, now=None, threshold=10, lock_minutes=30, hash_method="scrypt",
                 second_factor=None):
    """Check credentials, counting failures; the `threshold`-th failure locks the account.

    Every refusal carries the same message (unknown account, wrong password, locked or inactive
    account alike) and checks a hash. `second_factor(user)` True means the password is only the
    first step: failures are not reset until the second step passes (see record_success)."""
    now = now or utcnow()
    generic = GENERIC_LOGIN_ERROR % {"threshold": threshold, "minutes": lock_minutes}
    user = User.by_username(username or "")
    if user is None or not user.active or user.is_locked(now):
        check_password_hash(user.password_hash if user is not None else _dummy_hash(hash_method), password or "")
        return LoginResult(error=generic)
    if check_password_hash(user.password_hash, password or ""):
        if second_factor is not None and second_factor(user):
            return LoginResult(user=user, needs_second_factor=True)
        return LoginResult(user=record_success(user, now))
    until = record_failure(user, now, threshold=threshold, lock_minutes=lock_minutes)
    return LoginResult(error=generic, locked_until=until)


def record_success(user, now=None):
    User.update(failed_logins=0, locked_until=None, last_login_at=now or utcnow()).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def record_failure(user, now=None, *, threshold=10, lock_minutes=30):
    """Count one failed attempt (password or second factor); returns the lock end when this one locks."""
    now = now or utcnow()
    with db.atomic():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failures = User.get_by_id(user.id).failed_logins
        if failures >= threshold:
            until = now + datetime.timedelta(minutes=lock_minutes)
            User.update(locked_until=until, failed_logins=0).where(User.id == user.id).execute()
            return until
    return None


def unlock(user):
    User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
