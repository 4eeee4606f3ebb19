"""Password policy, hashing and lock-out (AUTH-1, PCI DSS 4.0 req. 8). No Flask here."""
import datetime

from werkzeug.security import check_password_hash, generate_password_hash

from models import PasswordHistory, User, db, utcnow


class PasswordRejected(ValueError):
    """The message says what the password needs."""


def check_policy(password, min_length=12):
    if len(password) < min_length:
        raise PasswordRejected(f"Le mot de passe doit contenir au moins {min_length} caractères.")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise PasswordRejected("Le mot de passe doit contenir des lettres et des chiffres.")


def hash_password(password, method="scrypt"):
    return generate_password_hash(password, method=method)


def set_password(user, password, *, method="scrypt", min_length=12, history=4):
    """Check the policy and the last `history` passwords, then store the new hash."""
    check_policy(password, min_length)
    if user.id is not None:
        previous = [h.password_hash for h in PasswordHistory.recent(user, history)]
        if any(check_password_hash(old, password) for old in previous):
            raise PasswordRejected(
                f"Ce mot de passe a déjà été utilisé : choisissez-en un différent des {history} derniers."
            )
    user.password_hash = hash_password(password, method)
    with db.atomic():
        user.save()
        PasswordHistory.create(user=user, password_hash=user.password_hash)


def create_user(username, password, *, method="scrypt", min_length=12, **fields):
    username = (username or "").strip()
    if not username:
        raise PasswordRejected("Saisissez un identifiant.")
    if User.by_username(username) is not None:
        raise PasswordRejected(f"L'identifiant « {username} » existe déjà.")
    check_policy(password, min_length)
    with db.atomic():
        user = User.create(username=username, password_hash="", **fields)
        set_password(user, password, method=method, min_length=min_length)
    return user


class LoginResult:
    def __init__(self, user=None, error=None, locked_until=None):
        self.user, self.error, self.locked_until = user, error, locked_until

    @property
    def ok(self):
        return self.user is not None


def authenticate(username, password, *, now=None, threshold=10, lock_minutes=30):
    """Check credentials, counting failures; the `threshold`-th failure locks the account."""
    now = now or utcnow()
    user = User.by_username(username or "")
    generic = "Identifiant ou mot de passe incorrect."
    if user is None or not user.active:
        return LoginResult(error=generic)
    if user.is_locked(now):
        return LoginResult(error=_locked_message(lock_minutes), locked_until=user.locked_until)
    if check_password_hash(user.password_hash, password or ""):
        User.update(failed_logins=0, locked_until=None, last_login_at=now).where(User.id == user.id).execute()
        return LoginResult(user=User.get_by_id(user.id))
    with db.atomic():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failures = User.get_by_id(user.id).failed_logins
        if failures >= threshold:
            until = now + datetime.timedelta(minutes=lock_minutes)
            User.update(locked_until=until, failed_logins=0).where(User.id == user.id).execute()
            return LoginResult(error=_locked_message(lock_minutes), locked_until=until)
    return LoginResult(error=generic)


def _locked_message(lock_minutes):
    return (
        "Compte verrouillé après trop de tentatives échouées. "
        f"Réessayez dans {lock_minutes} minutes ou demandez à un administrateur de le déverrouiller."
    )


def unlock(user):
    User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
