"""Second-factor pages (AUTH-4): the code step of the login, and enrolment from the account page.
The rules are in totp.py; these views parse, call and render."""
import time

from cryptography.fernet import Fernet
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user, login_required

from models import User, db, utcnow
from portal.audit import record_action
from portal.auth import bp, totp
from portal.auth.forms import ConfirmTotpForm, SecondFactorForm
from portal.auth.passwords import record_failure, record_success
from portal.auth.sessions import keep_current_session, start_session
from portal.auth.views import PENDING_LOGIN_KEY, sso_enabled
from portal.payments.vault import load_or_create_key

PENDING_LOGIN_SECONDS = 300
ENROL_TARGET = "totp-enrolment"


def _fernet():
    """The vault key (the one that encrypts card numbers) also encrypts TOTP secrets."""
    fernet = current_app.extensions.get("comptoir.totp_fernet")
    if fernet is None:
        key_file = current_app.config.get("VAULT_KEY_FILE") or current_app.config["INSTANCE_DIR"] / "vault.key"
        fernet = current_app.extensions["comptoir.totp_fernet"] = Fernet(load_or_create_key(key_file))
    return fernet


def _pending_user():
    """The user who gave the right password and has yet to give a code; None when that step is
    missing, over 5 minutes old, or no longer valid (account disabled, sessions revoked)."""
    pending = session.get(PENDING_LOGIN_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_LOGIN_SECONDS:
        return None, None
    user = User.get_or_none(User.id == pending.get("user"))
    if user is None or not user.active or user.session_version != pending.get("version") \
            or not totp.is_enrolled(user):
        return None, None
    return user, pending


def _locked_message():
    return _("Compte verrouillé après trop de tentatives échouées. Réessayez dans %(minutes)s minutes ou "
             "demandez à un administrateur de le déverrouiller.", minutes=current_app.config["LOCKOUT_MINUTES"])


def _check_code(user, kind, code):
    if kind == "totp":
        try:
            return totp.verify_totp(user, code, _fernet())
        except totp.TotpError:  # vault key replaced: only a recovery code or an admin reset helps
            return False
    return totp.use_recovery_code(user, code)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_LOGIN_KEY, None)
        flash(_("Saisissez de nouveau votre identifiant et votre mot de passe."), "warning")
        return redirect(url_for("auth.login"))
    # The password proved who this is: the page speaks the user's language already.
    with force_locale(user.language or "fr"):
        return _code_step(user, pending)


def _code_step(user, pending):
    form, error = SecondFactorForm(), None
    if form.validate_on_submit():
        try:
            kind, code = totp.classify(form.code.data)
        except totp.MalformedCode as exc:
            form.code.errors.append(_(str(exc)))
        else:
            now = utcnow()
            if not user.is_locked(now) and _check_code(user, kind, code):
                return _finish_login(user, kind, pending["next"], now)
            locked = user.is_locked(now) or record_failure(
                user, now, threshold=current_app.config["LOCKOUT_THRESHOLD"],
                lock_minutes=current_app.config["LOCKOUT_MINUTES"]) is not None
            if locked:
                session.pop(PENDING_LOGIN_KEY, None)
            error = _locked_message() if locked else _("Code incorrect ou déjà utilisé. Saisissez le code "
                                                        "affiché maintenant par votre application.")
    status = 401 if error else (422 if form.errors else 200)
    return render_template("auth/login_code.html", form=form, error=error), status


def _finish_login(user, kind, target, now):
    with db.atomic():
        user = record_success(user, now)
        if kind == "recovery":
            record_action("user.login_recovery_code", "user", user.id, user=user, remote_addr=request.remote_addr,
                          after={"recovery_codes_left": totp.remaining_recovery_codes(user)})
    start_session(user)
    if kind == "recovery":
        flash(_("Connecté avec un code de secours : il ne servira plus. Il vous en reste %(n)s.",
                n=totp.remaining_recovery_codes(user)), "warning")
    return redirect(target)


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def totp_enrol():
    user = current_user._get_current_object()
    required = totp.totp_required(user, sso_enabled=sso_enabled())
    if totp.is_enrolled(user):
        return render_template("auth/totp.html", enrolled=True, required=required, form=ConfirmTotpForm(),
                               remaining=totp.remaining_recovery_codes(user))
    form = ConfirmTotpForm()
    secret = totp.pending_secret(user, _fernet())
    if form.validate_on_submit():
        codes = None
        try:
            with db.atomic():
                codes = totp.confirm_enrolment(user, totp.normalise_totp(form.code.data), _fernet(),
                                               hash_method=current_app.config["PASSWORD_HASH_METHOD"])
                if codes is not None:
                    record_action("user.totp_enrol", "user", user.id, user=user, remote_addr=request.remote_addr,
                                  after={"totp": True, "recovery_codes": len(codes)})
        except (totp.MalformedCode, totp.TotpError) as exc:
            form.code.errors.append(_(str(exc)))
        else:
            if codes is None:
                form.code.errors.append(_("Code incorrect : vérifiez l'heure de votre téléphone et saisissez "
                                          "le code affiché maintenant."))
        if codes is not None:
            return _show_recovery_codes(user, codes)
    fragment = request.headers.get("HX-Target") == ENROL_TARGET
    context = dict(form=form, required=required, enrolled=False, secret=totp.format_secret(secret),
                   qr=totp.qr_svg(totp.provisioning_uri(secret, user.username, current_app.config["TOTP_ISSUER"])))
    template = "auth/_totp_enrol.html" if fragment else "auth/totp.html"
    return render_template(template, **context), 422 if form.errors else 200


def _show_recovery_codes(user, codes):
    """Shown once, in this response only (never stored in clear, never in a redirect)."""
    keep_current_session(user)
    context = dict(codes=[totp.format_recovery_code(code) for code in codes], enrolled=True, just_enrolled=True,
                   required=totp.totp_required(user, sso_enabled=sso_enabled()))
    if request.headers.get("HX-Target") == ENROL_TARGET:
        return render_template("auth/_recovery_codes.html", **context)
    return render_template("auth/totp.html", **context)


@bp.route("/account/totp/codes", methods=["POST"])
@login_required
def totp_new_codes():
    """New recovery codes, when the old ones are spent or lost; a current code proves the phone."""
    user = current_user._get_current_object()
    if not totp.is_enrolled(user):
        return redirect(url_for("auth.totp_enrol"), 303)
    form = ConfirmTotpForm()
    if form.validate_on_submit():
        codes = None
        try:
            with db.atomic():
                codes = totp.regenerate_recovery_codes(user, totp.normalise_totp(form.code.data), _fernet(),
                                                       hash_method=current_app.config["PASSWORD_HASH_METHOD"])
                if codes is not None:
                    record_action("user.totp_recovery_codes", "user", user.id, user=user,
                                  remote_addr=request.remote_addr, after={"recovery_codes": len(codes)})
        except (totp.MalformedCode, totp.TotpError) as exc:
            form.code.errors.append(_(str(exc)))
        else:
            if codes is None:
                form.code.errors.append(_("Code incorrect ou déjà utilisé. Saisissez le code "
                                          "affiché maintenant par votre application."))
        if codes is not None:
            return _show_recovery_codes(user, codes)
    context = dict(form=form, enrolled=True, remaining=totp.remaining_recovery_codes(user),
                   required=totp.totp_required(user, sso_enabled=sso_enabled()))
    template = "auth/_totp_status.html" if request.headers.get("HX-Target") == ENROL_TARGET else "auth/totp.html"
    return render_template(template, **context), 422
