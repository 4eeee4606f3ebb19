"""Login, logout, first-run setup, idle timeout and the user's own account settings."""
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from models import User, db
from portal.audit import record_action
from portal.auth import bp, totp
from portal.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm, SetupForm
from portal.auth.passwords import GENERIC_LOGIN_ERROR, PasswordRejected, authenticate, create_user, set_password
from portal.auth.redirects import safe_next
from portal.auth.sessions import end_all_sessions, keep_current_session, session_is_current, start_session
from portal.auth.setup_token import discard_token, ensure_token, token_exists, token_matches
from portal.extensions import login_manager
from portal.web import htmx_redirect

OPEN_ENDPOINTS = {"static", "main.health", "main.favicon", "auth.setup"}
# What a user who must enrol a second factor (AUTH-4) may still reach before enrolling.
ENROLMENT_ENDPOINTS = {"static", "main.health", "main.favicon", "auth.logout", "auth.login", "auth.login_code", "auth.totp_enrol"}
PENDING_LOGIN_KEY = "totp_pending"


@login_manager.user_loader
def load_user(user_id):
    """AUTH-5: a session whose version is older than the user's (logout, deactivation, password
    change elsewhere) or whose user is inactive is no session at all."""
    try:
        user = User.get_or_none(User.id == int(user_id))
    except (TypeError, ValueError, OverflowError):
        return None
    return user if session_is_current(user) else None


def password_error(exc):
    """A PasswordRejected message in the user's language."""
    return _(exc.template, **exc.params)


def sso_enabled():
    """AUTH-4: this session was authenticated by the intranet SSO (the site delegates to it). A
    password login on a site that also has SSO still needs the second factor."""
    return bool(current_app.config.get("SSO_HEADER")) and session.get("auth_method") == "sso"


def must_enrol(user):
    """AUTH-4: a user who must use a second factor and has none yet."""
    return (current_app.config.get("TOTP_ENFORCED", True) and not totp.is_enrolled(user)
            and totp.totp_required(user, sso_enabled=sso_enabled()))


def _admin_exists():
    # Cached once true: an installed portal never goes back to the setup page.
    if current_app.extensions.get("comptoir_admin_exists"):
        return True
    exists = User.admin_exists()
    current_app.extensions["comptoir_admin_exists"] = exists
    return exists


@bp.before_app_request
def require_setup_then_fresh_session():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not _admin_exists():
        return htmx_redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        timeout = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
        now = time.time()
        if now - session.get("last_seen", now) > timeout:
            logout_user()
            session.clear()
            flash(_("Votre session a expiré après %(minutes)s minutes d'inactivité. Reconnectez-vous.",
                    minutes=current_app.config["IDLE_TIMEOUT_MINUTES"]), "warning")
            return htmx_redirect(url_for("auth.login", next=request.script_root + request.full_path
                                         if request.method == "GET" else None))
        session["last_seen"] = now
        if request.endpoint not in ENROLMENT_ENDPOINTS and must_enrol(current_user):
            return htmx_redirect(url_for("auth.totp_enrol"))
    return None


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if _admin_exists():
        return redirect(url_for("auth.login"))
    form = SetupForm()
    instance_dir = current_app.config["INSTANCE_DIR"]
    if not token_exists(instance_dir):
        from portal import print_setup_token

        print_setup_token(ensure_token(instance_dir))
    if form.validate_on_submit():
        if not token_matches(instance_dir, form.token.data):
            form.token.errors.append(_("Jeton incorrect : recopiez celui affiché sur la console du serveur."))
        else:
            try:
                with db.atomic():
                    user = create_user(
                        form.username.data, form.password.data,
                        method=current_app.config["PASSWORD_HASH_METHOD"],
                        display_name=form.display_name.data or "", is_admin=True,
                    )
                    record_action("user.create_first_admin", "user", user.id, user=user,
                                  after={"username": user.username, "is_admin": True},
                                  remote_addr=request.remote_addr)
            except PasswordRejected as exc:
                form.password.errors.append(password_error(exc))
            else:
                discard_token(instance_dir)
                current_app.extensions["comptoir_admin_exists"] = True
                flash(_("Administrateur créé. Connectez-vous avec votre nouveau mot de passe."), "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/setup.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = authenticate(
            form.username.data, form.password.data,
            threshold=current_app.config["LOCKOUT_THRESHOLD"],
            lock_minutes=current_app.config["LOCKOUT_MINUTES"],
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            second_factor=totp.is_enrolled,
        )
        target = safe_next(request.args.get("next"), url_for("main.home"))
        if result.needs_second_factor:
            session.clear()
            session[PENDING_LOGIN_KEY] = {"user": result.user.id, "version": result.user.session_version,
                                          "next": target, "at": time.time()}
            return redirect(url_for("auth.login_code"))
        if result.ok:
            start_session(result.user)
            return redirect(target)
        if result.locked_until is not None:
            record_action("user.locked", "user", form.username.data, actor=form.username.data,
                          remote_addr=request.remote_addr)
        error = login_error()
    status = 401 if error else (422 if form.errors else 200)
    return render_template("auth/login.html", form=form, error=error), status


def login_error():
    """AUTH-5: one message for an unknown account, a wrong password and a locked account."""
    return _(GENERIC_LOGIN_ERROR, threshold=current_app.config["LOCKOUT_THRESHOLD"],
             minutes=current_app.config["LOCKOUT_MINUTES"])


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_all_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    password_form = ChangePasswordForm(prefix="pw")
    preferences_form = PreferencesForm(prefix="pref", language=current_user.language)
    status = 200
    if request.method == "POST" and request.form.get("form") == "password":
        if password_form.validate_on_submit():
            if not authenticate(current_user.username, password_form.current.data).ok:
                password_form.current.errors.append(_("Mot de passe actuel incorrect."))
            else:
                try:
                    set_password(current_user, password_form.password.data,
                                 method=current_app.config["PASSWORD_HASH_METHOD"],
                                 history=current_app.config["PASSWORD_HISTORY"])
                except PasswordRejected as exc:
                    password_form.password.errors.append(password_error(exc))
                else:
                    keep_current_session(current_user)
                    record_action("user.password_change", "user", current_user.id, user=current_user,
                                  remote_addr=request.remote_addr)
                    flash(_("Mot de passe modifié."), "success")
                    return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST" and request.form.get("form") == "preferences":
        if preferences_form.validate_on_submit():
            before = current_user.language
            current_user.language = preferences_form.language.data
            current_user.save()
            record_action("user.language", "user", current_user.id, user=current_user,
                          before={"language": before}, after={"language": current_user.language},
                          remote_addr=request.remote_addr)
            flash(_("Préférences enregistrées."), "success")
            return redirect(url_for("auth.account"))
        status = 422
    return render_template("auth/account.html", password_form=password_form,
                           preferences_form=preferences_form, totp_enrolled=totp.is_enrolled(current_user),
                           totp_required=totp.totp_required(current_user, sso_enabled=sso_enabled())), status
