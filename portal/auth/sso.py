"""Intranet single sign-on (AUTH-3): the reverse proxy authenticated the person (Kerberos, Windows
authentication…) and passes the user name in SSO_HEADER; Comptoir logs in the existing active
user of that name, without a password. The name is believed only from TRUSTED_PROXIES: from any
other peer the proxy middleware has already removed it."""
import time

from flask import current_app, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from peewee import fn

from models import User, db, utcnow
from portal.audit import record_action
from portal.auth.sessions import start_session
from portal.main.proxy import TRUSTED_PEER, sso_environ_key

# Pages that must stay reachable without an account: the health check, static files, and the
# first-run setup (no user exists yet to map the intranet name to).
SSO_EXEMPT_ENDPOINTS = {"static", "main.favicon", "main.health", "auth.setup"}


def candidate_names(raw):
    """'DOMAIN\\JDupont' -> ['jdupont']; 'jdupont@INTRANET.EXAMPLE' -> [that lower-cased, 'jdupont']:
    without the Windows domain, then also without the Kerberos realm (a Comptoir user name may
    itself be an e-mail address)."""
    name = (raw or "").strip()[:254]
    if "\\" in name:
        name = name.rsplit("\\", 1)[1]
    names = [name.strip().lower()] if name.strip() else []
    if "@" in name and name.split("@", 1)[0].strip():
        names.append(name.split("@", 1)[0].strip().lower())
    return names


def find_sso_user(raw):
    """The user the proxy named, matched without regard to case, or None."""
    for name in candidate_names(raw):
        user = User.get_or_none(fn.LOWER(User.username) == name)
        if user is not None:
            return user
    return None


def init_app(app):
    @app.before_request
    def sign_in_from_proxy():
        key = sso_environ_key(current_app.config.get("SSO_HEADER"))
        if not key or request.endpoint in SSO_EXEMPT_ENDPOINTS:
            return None
        if not request.environ.get(TRUSTED_PEER):
            return None
        raw = request.environ.get(key) or ""
        names = candidate_names(raw)
        if not names:
            return None  # the proxy lets this page through unauthenticated: the login page applies
        if current_user.is_authenticated and current_user.username.lower() in names:
            if session.get("auth_method") == "sso":
                # The proxy re-authenticates every request: the intranet session is the idle guard.
                session["last_seen"] = time.time()
            return None
        user = find_sso_user(raw)
        if user is None or not user.active:
            return _unknown_account(raw)
        _log_in(user, raw)
        return None


def _unknown_account(raw_name):
    """No password prompt as a fallback: the intranet said who this is, and Comptoir does not know them."""
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    return render_template(
        "error.html", code=403, title=_("Compte inconnu de Comptoir"),
        message=_("Vous êtes identifié sur l'intranet comme « %(name)s », mais ce compte n'existe "
                  "pas dans Comptoir ou a été désactivé. Demandez à l'administrateur de Comptoir "
                  "de le créer ou de le réactiver.", name=raw_name.strip()[:254]),
    ), 403


def _log_in(user, raw_name):
    """A session like a password login's (start_session: session version of AUTH-5, idle timeout);
    `auth_method` tells the second-factor check (AUTH-4) that the intranet authenticated this person."""
    if current_user.is_authenticated:
        logout_user()
    with db.atomic():
        User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
        record_action("user.sso_login", "user", user.id, user=user,
                      after={"sso_name": raw_name.strip()[:254]}, remote_addr=request.remote_addr)
    start_session(user)
    session["auth_method"] = "sso"
