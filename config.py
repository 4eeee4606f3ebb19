"""Configuration classes; every setting can be overridden by a PORTAL_* environment variable."""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name, default=None):
    return os.environ.get(f"PORTAL_{name}", default)


def _env_int(name, default):
    return int(_env(name, default))


def _env_bool(name, default):
    return str(_env(name, default)).lower() in ("1", "true", "yes", "on")


def instance_secret(instance_dir: Path, filename: str) -> str:
    """Read a secret kept in the instance folder, creating it (mode 0600) on first run.

    Kept in a file rather than generated per process so that every worker of a
    multi-worker server shares it.
    """
    path = Path(instance_dir) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Config:
    INSTANCE_DIR = Path(_env("INSTANCE_DIR", BASE_DIR / "instance"))
    DATABASE_URL = _env("DATABASE_URL")  # None -> SQLite file in INSTANCE_DIR
    SECRET_KEY = _env("SECRET_KEY")  # None -> generated into INSTANCE_DIR/secret_key
    DOCUMENTS_DIR = _env("DOCUMENTS_DIR")  # None -> INSTANCE_DIR/documents

    # AUTH-1: password policy, lock-out and idle timeout (PCI DSS 4.0 req. 8).
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_HISTORY = 4
    PASSWORD_HASH_METHOD = "scrypt"
    LOCKOUT_THRESHOLD = _env_int("LOCKOUT_THRESHOLD", 10)
    LOCKOUT_MINUTES = _env_int("LOCKOUT_MINUTES", 30)
    IDLE_TIMEOUT_MINUTES = _env_int("IDLE_TIMEOUT_MINUTES", 15)

    # LOC-1
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Europe/Paris")
    LANGUAGES = {"fr": "Français", "en": "English"}

    # OPS-4: space-separated origins allowed to embed the portal in a frame.
    FRAME_ANCESTORS = _env("FRAME_ANCESTORS", "")
    BEHIND_PROXY = _env_bool("BEHIND_PROXY", False)
    # OPS-4 / AUTH-3: space-separated addresses of the reverse proxies whose X-Forwarded-* headers
    # (and SSO user header) are trusted; requests from anywhere else have them ignored.
    TRUSTED_PROXIES = _env("TRUSTED_PROXIES", "127.0.0.1 ::1")
    # AUTH-3: the header carrying the user name the proxy authenticated (empty: SSO off).
    SSO_HEADER = _env("SSO_HEADER", "")

    # OPS-8: give up on an unreachable or stuck database within seconds, with a 503 page.
    DB_CONNECT_TIMEOUT = _env_int("DB_CONNECT_TIMEOUT", 5)
    DB_STATEMENT_TIMEOUT_MS = _env_int("DB_STATEMENT_TIMEOUT_MS", 30000)
    # Connections kept open between requests, per worker (off: one connection per request). An
    # idle one is closed after DB_POOL_RECYCLE_SECONDS.
    DB_POOL = _env_bool("DB_POOL", True)
    DB_POOL_RECYCLE_SECONDS = _env_int("DB_POOL_RECYCLE_SECONDS", 300)

    # Several application machines on one PostgreSQL: keep documents in the database
    # ("database") instead of INSTANCE_DIR/documents ("files").
    DOCUMENT_STORE = _env("DOCUMENT_STORE", "files")
    # Session key and setup token in the database even with documents on disk.
    SHARED_SECRETS = _env_bool("SHARED_SECRETS", False)
    # OPS-7: a batch lock older than this is taken over (its holder is presumed dead).
    RUN_LOCK_STALE_MINUTES = _env_int("RUN_LOCK_STALE_MINUTES", 720)

    # PAY-GW-2: Worldline Sips Office servers and how long to wait for them.
    SIPS_TEST_URL = _env("SIPS_TEST_URL", "https://office-server.test.sips-services.com")
    SIPS_PRODUCTION_URL = _env("SIPS_PRODUCTION_URL", "https://office-server.sips-services.com")
    SIPS_CONNECT_TIMEOUT = _env_int("SIPS_CONNECT_TIMEOUT", 5)
    SIPS_READ_TIMEOUT = _env_int("SIPS_READ_TIMEOUT", 30)

    # AUTH-4: TOTP issuer name shown in authenticator apps.
    TOTP_ISSUER = _env("TOTP_ISSUER", "Comptoir")
    TOTP_ENFORCED = True

    # AP-CONT-1: outgoing mail. Without SMTP_HOST, mail is still queued in the database and sent
    # once a host is configured (`flask --app wsgi deliver-mail`).
    SMTP_HOST = _env("SMTP_HOST")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USER = _env("SMTP_USER")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    MAIL_SENDER = _env("MAIL_SENDER", "comptoir@localhost")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
    SESSION_COOKIE_NAME = "comptoir_session"
    WTF_CSRF_TIME_LIMIT = None  # the idle timeout already bounds a session
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    PRINT_SETUP_TOKEN = True
    TESTING = False


class DevConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    # A fast hash keeps the suite quick; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    PRINT_SETUP_TOKEN = False
    # Most tests log in with a password alone; the second-factor tests switch this on.
    TOTP_ENFORCED = False


class ProdConfig(Config):
    SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", True)


CONFIGS = {"dev": DevConfig, "test": TestConfig, "prod": ProdConfig}


def config_from_env():
    return CONFIGS[_env("CONFIG", "dev")]
