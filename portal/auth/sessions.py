"""Starting and ending sessions (AUTH-5): a session carries the user's session_version, and the
user loader refuses it once the version has moved (logout, deactivation, password change,
second-factor reset). Every way in (password, second factor, intranet SSO) calls start_session."""
import time

from flask import session
from flask_login import login_user

from portal.auth.passwords import bump_session_version

SESSION_VERSION_KEY = "session_version"


def start_session(user):
    """A fresh session for `user` (nothing of the previous one is kept)."""
    session.clear()
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version
    session["last_seen"] = time.time()


def session_is_current(user):
    return user is not None and user.active and session.get(SESSION_VERSION_KEY) == user.session_version


def end_all_sessions(user, *, keep_current=False):
    """Bump the version; with keep_current, the session of this request carries the new one."""
    version = bump_session_version(user)
    if keep_current:
        session[SESSION_VERSION_KEY] = version
    return version


def keep_current_session(user):
    """After a change that bumped the version (own password change), stay logged in here."""
    session[SESSION_VERSION_KEY] = user.session_version
