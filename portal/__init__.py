"""Comptoir: the merchant back office. create_app() builds the Flask application."""
import json
import logging
import sys
from pathlib import Path

from flask import Flask, render_template, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

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
    _register_secrets(app)
    _register_logging(app)
    _register_database(app)
    _register_extensions(app)
    _register_blueprints(app)
    _register_templates(app)
    _register_security_headers(app)
    _register_error_pages(app)
    _register_cli(app)
    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
    _announce_setup_token(app)
    return app


def _register_secrets(app):
    instance_dir = Path(app.config["INSTANCE_DIR"])
    instance_dir.mkdir(parents=True, exist_ok=True)
    app.config["INSTANCE_DIR"] = instance_dir
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(instance_dir, "secret_key")
    app.config.setdefault("DOCUMENTS_DIR", None)
    if not app.config["DOCUMENTS_DIR"]:
        app.config["DOCUMENTS_DIR"] = instance_dir / "documents"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (OPS-4)."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _register_logging(app):
    if app.config.get("TESTING"):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)


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


def _register_blueprints(app):
    from portal.admin import bp as admin_bp
    from portal.auth import bp as auth_bp
    from portal.main import bp as main_bp
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
    from portal.navigation import navigation_for

    formatting.register(app)

    from models import utcnow

    @app.context_processor
    def inject_navigation():
        return {
            "navigation": navigation_for(current_user) if current_user.is_authenticated else [],
            "now_utc": utcnow,
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
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_error_pages(app):
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("error.html", code=400, title="Formulaire expiré",
                               message="Le formulaire a expiré ou n'a pas été envoyé par le portail. "
                                       "Rechargez la page et recommencez."), 400

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("error.html", code=403, title="Accès refusé",
                               message="Vous n'avez pas le droit d'effectuer cette action."), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("error.html", code=404, title="Page introuvable",
                               message="Cette page n'existe pas ou plus."), 404

    @app.errorhandler(413)
    def too_large(error):
        return render_template("error.html", code=413, title="Fichier trop volumineux",
                               message="Le fichier dépasse la taille maximale acceptée (20 Mo)."), 413

    @app.errorhandler(500)
    def server_error(error):
        return render_template("error.html", code=500, title="Erreur interne",
                               message="Une erreur inattendue s'est produite ; rien n'a été enregistré. "
                                       "Réessayez, et prévenez l'administrateur si elle persiste."), 500


def _register_cli(app):
    from portal.cli import register
    from portal.messages.cli import register_cli as register_mail_cli

    register(app)
    register_mail_cli(app)


def _announce_setup_token(app):
    """AUTH-1: with no administrator yet, print the one-time setup token on the console."""
    if not app.config.get("PRINT_SETUP_TOKEN"):
        return
    from models import User, db
    from portal.auth.setup_token import ensure_token

    try:
        with db.connection_context():
            if User.admin_exists():
                return
    except Exception:  # tables not created yet: `flask migrate` has not run
        return
    print_setup_token(ensure_token(app.config["INSTANCE_DIR"]))


def print_setup_token(token):
    print(
        "\n  Comptoir n'a pas encore d'administrateur.\n"
        f"  Jeton d'installation à saisir sur la page /setup : {token}\n"
        "  (ou créez-le en ligne de commande : flask --app wsgi create-admin)\n",
        file=sys.stderr, flush=True,
    )
