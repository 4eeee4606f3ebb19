"""First-run setup token (AUTH-1): no default account; the first administrator proves
access to the server console by typing a one-time token printed there.

One machine: a file (mode 0600) in the instance folder, so every worker accepts the same token.
Several machines (shared secrets, see portal/instance_secrets.py): only its SHA-256 is kept in
the instance_secret table; the machine that creates it prints it once, every machine accepts it."""
import hashlib
import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "setup-token"
SHARED_NAME = "setup_token_sha256"


def _shared(shared):
    """Explicit choice, else shared mode of the current app (False outside an app context)."""
    if shared is not None:
        return shared
    from flask import current_app, has_app_context

    from portal.instance_secrets import uses_shared_secrets

    return has_app_context() and uses_shared_secrets(current_app.config)


def _digest(token):
    return hashlib.sha256(token.strip().encode()).hexdigest()


def token_path(instance_dir):
    return Path(instance_dir) / TOKEN_FILE


def token_exists(instance_dir, shared=None):
    if _shared(shared):
        from portal.instance_secrets import connected, read_secret

        with connected():
            return read_secret(SHARED_NAME) is not None
    return token_path(instance_dir).exists()


def ensure_token(instance_dir, shared=None):
    """Create the token if missing and return it.

    In shared mode only its hash is stored: the token is returned (to be printed) by the call
    that created it, and None when it already existed (printed earlier, possibly on another
    machine; `flask --app wsgi setup-token` makes a new one)."""
    if _shared(shared):
        return _ensure_shared_token()
    path = token_path(instance_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(18))
    return path.read_text().strip()


def _ensure_shared_token():
    from portal.instance_secrets import connected, create_secret

    token = secrets.token_urlsafe(18)
    with connected():
        return token if create_secret(SHARED_NAME, _digest(token)) else None


def renew_token(instance_dir, shared=None):
    """Replace the token by a new one and return it (lost console output, several machines)."""
    discard_token(instance_dir, shared)
    if _shared(shared):
        return _ensure_shared_token()
    return ensure_token(instance_dir, shared=False)


def token_matches(instance_dir, candidate, shared=None):
    if not candidate:
        return False
    if _shared(shared):
        from portal.instance_secrets import connected, read_secret

        with connected():
            stored = read_secret(SHARED_NAME)
        return stored is not None and hmac.compare_digest(stored, _digest(candidate))
    path = token_path(instance_dir)
    if not path.exists():
        return False
    return hmac.compare_digest(path.read_text().strip(), candidate.strip())


def discard_token(instance_dir, shared=None):
    if _shared(shared):
        from portal.instance_secrets import connected, delete_secret

        with connected():
            delete_secret(SHARED_NAME)
    token_path(instance_dir).unlink(missing_ok=True)
