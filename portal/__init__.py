"""Comptoir: the merchant back office. create_app() builds the Flask application."""
import sys
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from config import config_from_env, instance_secret

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config=None, **overrides):
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config or config_from_env())
    app.config.update(overrides)
    _register_input_hardening(app)
    _register_secrets(app)
    _restrict_instance_dir(app)
    _register_logging(app)
    _register_database(app)
    _register_shared_secrets(app)
    _register_extensions(app)
    _register_nul_free_requests(app)
    _register_setup_token_announcement(app)
    _register_sso(app)
    _register_blueprints(app)
    _register_templates(app)
    _register_security_headers(app)
    _register_error_pages(app)
    _register_cli(app)
    _register_proxy(app)
    from portal.database import close_pool
    close_pool()
    return app


def _register_input_hardening(app):
    """Before any route exists: ids beyond 64 bits are 404s (SEC-2)."""
    from portal.web import bound_url_ids

    bound_url_ids(app)


def _register_nul_free_requests(app):
    """After htmx-flask set its request class: NUL characters never reach a form (SEC-2); lists keep
    their query arguments with url_with, whatever names the browser sent."""
    from portal.web import drop_nul_characters, register_url_with

    drop_nul_characters(app)
    register_url_with(app)


def _register_shared_secrets(app):
    """Several machines: the session key comes from the database, not this machine's disk."""
    from portal import instance_secrets

    instance_secrets.init_app(app)


def _register_secrets(app):
    instance_dir = Path(app.config["INSTANCE_DIR"])
    instance_dir.mkdir(parents=True, exist_ok=True)
    app.config["INSTANCE_DIR"] = instance_dir
    from portal.instance_secrets import uses_shared_secrets

    if not app.config.get("SECRET_KEY") and not uses_shared_secrets(app.config):
        app.config["SECRET_KEY"] = instance_secret(instance_dir, "secret_key")
    app.config.setdefault("DOCUMENTS_DIR", None)
    if not app.config["DOCUMENTS_DIR"]:
        app.config["DOCUMENTS_DIR"] = instance_dir / "documents"


def _restrict_instance_dir(app):
    """The instance folder holds the database, the documents and the secrets: 0700."""
    from portal.database import restrict_mode

    restrict_mode(app.config["INSTANCE_DIR"], 0o700)


def _register_logging(app):
    from portal.main import request_log

    request_log.init_app(app)


def _register_database(app):
    from portal import database

    database.init_app(app)


def _register_extensions(app):
    from flask_login import current_user as user
    from portal.extensions import babel, csrf, htmx, login_manager

    def select_locale():
        # LOC-1: French unless the user chose English in their account.
        if user and user.is_authenticated:
            return user.language
        return app.config["BABEL_DEFAULT_LOCALE"]

    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(BASE_DIR / "translations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)


def _register_sso(app):
    from portal.auth import sso

    sso.init_app(app)


def _register_blueprints(app):
    from portal.admin import bp as admin_bp
    from portal.auth import bp as auth_bp
    from portal.main import bp as main_bp
    from portal.onboarding import bp as onboarding_bp
    from portal import payments
    from portal.accounting import bp as accounting_bp
    from portal.allocation import bp as allocation_bp
    from portal.evaluations import bp as evaluations_bp
    from portal.invoices import bp as invoices_bp
    from portal.messages import bp as messages_bp
    from portal.payables import bp as payables_bp
    from portal.purchasing import bp as purchasing_bp
    from portal.reports import bp as reports_bp
    from portal.suppliers import bp as suppliers_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(onboarding_bp)
    app.register_blueprint(admin_bp)
    payments.init_app(app)
    app.register_blueprint(payments.bp)
    app.register_blueprint(purchasing_bp)
    app.register_blueprint(invoices_bp)
    app.register_blueprint(suppliers_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(allocation_bp)
    app.register_blueprint(payables_bp)
    app.register_blueprint(accounting_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(evaluations_bp)


def _register_templates(app):
    from portal import formatting
    from portal.navigation import LazyNavigation, current_item

    formatting.register(app)

    from models import utcnow

    @app.context_processor
    def inject_navigation():
        return {
            "navigation": LazyNavigation(current_user._get_current_object()) if current_user.is_authenticated else [],
            "now_utc": utcnow,
            "current_menu_item": current_item,
        }


def _register_security_headers(app):
    ancestors = " ".join(["'self'"] + app.config["FRAME_ANCESTORS"].split())

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}",
        )
        if not app.config["FRAME_ANCESTORS"]:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.vary.add("HX-Request")
        if _signed_in_without_query():
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _signed_in_without_query():
    """Whether the request is a signed-in user's, without loading the user for it: a static file
    or a failing database must not cost a query here (OPS-8)."""
    if request.endpoint in ("static", "main.favicon") or g.get("database_unavailable"):
        return False
    return current_user.is_authenticated


def _register_error_pages(app):
    from flask_login import AnonymousUserMixin
    from flask_wtf.csrf import CSRFError

    from portal.database import DATABASE_ERRORS, is_unavailable

    def error_page(code, title, message):
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("Formulaire expiré"),
                          _("Le formulaire a expiré ou n'a pas été envoyé par le portail. "
                            "Rechargez la page et recommencez."))

    @app.errorhandler(403)
    def forbidden(error):
        from portal.auth.decorators import MissingRight

        if isinstance(error.description, MissingRight):
            return error_page(403, _("Accès refusé"), _missing_right_message(error.description))
        return error_page(403, _("Accès refusé"), _("Vous n'avez pas le droit d'effectuer cette action."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, _("Page introuvable"), _("Cette page n'existe pas ou plus."))

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, _("Fichier trop volumineux"),
                          _("Le fichier dépasse la taille maximale acceptée (20 Mo)."))

    def database_unavailable(error):
        """OPS-8: a database down, refused, timed out or locked answers a 503 page at once. The page
        is drawn for an anonymous visitor, so that drawing it never queries the database again."""
        if not is_unavailable(error):  # a mistake in a query (SQLite says OperationalError): a bug
            if app.testing:
                raise error
            app.logger.error("database error", exc_info=error)
            return server_error(error)
        g.database_unavailable = True
        g._login_user = AnonymousUserMixin()
        detail = str(error).strip().splitlines()
        app.logger.warning("database unavailable: %s", detail[0] if detail else type(error).__name__)
        if request.endpoint == "main.health" or request.accept_mimetypes.best == "application/json":
            response = jsonify(status="error", database="unavailable")
            response.status_code = 503
        else:
            response = app.make_response(render_template(
                "error.html", code=503, title=_("Service momentanément indisponible"),
                message=_("La base de données ne répond pas. Rien n'a été enregistré par cette page. "
                          "Réessayez dans quelques minutes ; si cela dure, prévenez l'administrateur."),
                retry_url=(request.script_root + request.full_path).rstrip("?") if request.method == "GET" else None,
            ))
            response.status_code = 503
        response.headers["Retry-After"] = "30"
        response.headers["Cache-Control"] = "no-store"
        return response

    for error_class in DATABASE_ERRORS:
        app.register_error_handler(error_class, database_unavailable)

    @app.errorhandler(500)
    def server_error(error):
        original = getattr(error, "original_exception", None)
        if isinstance(original, DATABASE_ERRORS):  # raised after the view, e.g. by a hook
            return database_unavailable(original)
        return error_page(500, _("Erreur interne"),
                          _("Une erreur inattendue s'est produite ; rien n'a été enregistré. "
                            "Réessayez, et prévenez l'administrateur si elle persiste."))


def _register_cli(app):
    from portal.cli import register
    from portal.demo import register_cli as register_demo_cli
    from portal.messages.cli import register_cli as register_mail_cli

    register(app)
    register_mail_cli(app)
    register_demo_cli(app)


def _register_setup_token_announcement(app):
    """AUTH-1: with no administrator yet, print the one-time setup token on the console of the
    web server, once per server process, at its first page request. Not at create_app: every CLI
    command (`flask migrate`, `flask remit`, the timers) builds the app too, and would print it."""
    if not app.config.get("PRINT_SETUP_TOKEN"):
        return

    @app.before_request
    def announce_setup_token():
        if app.extensions.get("comptoir.setup_token_announced") or request.endpoint in ("static", "main.favicon", "main.health"):
            return
        from models import User
        from portal.auth.setup_token import ensure_token

        if not User.admin_exists():
            print_setup_token(ensure_token(app.config["INSTANCE_DIR"]))
        app.extensions["comptoir.setup_token_announced"] = True


def _register_proxy(app):
    """OPS-4 / AUTH-3: forwarded headers and the SSO name only from TRUSTED_PROXIES."""
    from portal.main.proxy import TrustedProxyMiddleware

    app.wsgi_app = TrustedProxyMiddleware(app)


def print_setup_token(token):
    """Print the setup token; None when it was created earlier and only its hash is kept."""
    if token is None:
        message = ("\n  Comptoir n'a pas encore d'administrateur ; son jeton d'installation a déjà été affiché.\n"
                   "  Pour en obtenir un nouveau : flask --app wsgi setup-token\n")
    else:
        message = ("\n  Comptoir n'a pas encore d'administrateur.\n"
                   f"  Jeton d'installation à saisir sur la page /setup : {token}\n")
    print(message + "  (ou créez-le en ligne de commande : flask --app wsgi create-admin)\n",
          file=sys.stderr, flush=True)


def _missing_right_message(missing):
    """« Il vous manque le droit « Rembourser » sur la boutique « Épicerie ». Un administrateur
    peut vous le donner : Claire Martin. » (ONB-1)"""
    from models import User
    from portal.auth.rights import ADMIN_RIGHT, ADMIN_RIGHT_LABEL, SHOP_RIGHTS

    label = _(ADMIN_RIGHT_LABEL) if missing.right == ADMIN_RIGHT else _(SHOP_RIGHTS.get(missing.right, missing.right))
    # A shop is named only to someone who already works in it: a forged id must not reveal
    # the name of another shop (SEC-1).
    from flask_login import current_user

    from portal.auth.rights import rights_on

    shown_shop = missing.shop is not None and current_user.is_authenticated and rights_on(current_user, missing.shop)
    if shown_shop:
        text = _("Il vous manque le droit « %(right)s » sur la boutique « %(shop)s ».", right=label,
                 shop=missing.shop.name)
    else:
        text = _("Il vous manque le droit « %(right)s ».", right=label)
    admins = [user.display_name or user.username
              for user in User.select().where(User.is_admin & User.active).order_by(User.username).limit(5)]
    if admins:
        text += " " + _("Un administrateur peut vous le donner : %(names)s.", names=", ".join(admins))
    return text

