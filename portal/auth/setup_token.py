"""First-run setup token (AUTH-1): no default account; the first administrator proves
access to the server console by typing a one-time token printed there."""
import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "setup-token"


def token_path(instance_dir):
    return Path(instance_dir) / TOKEN_FILE


def ensure_token(instance_dir):
    """Create the token file (mode 0600) if missing and return the token.

    A file rather than memory so that every worker of a multi-worker server accepts
    the same token."""
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


def token_matches(instance_dir, candidate):
    path = token_path(instance_dir)
    if not path.exists() or not candidate:
        return False
    return hmac.compare_digest(path.read_text().strip(), candidate.strip())


def discard_token(instance_dir):
    token_path(instance_dir).unlink(missing_ok=True)
