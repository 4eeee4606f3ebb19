"""The PaymentContext of the running app: its simulator and per-shop gateways, the merchant's time zone, the clock."""
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext

from models import utcnow
from portal.money import format_money
from portal.payments.lifecycle import french
from portal.payments.service import PaymentContext


def payment_context(locale=None):
    locale = locale or str(get_locale() or "fr")
    return PaymentContext(
        acquirer=current_app.extensions["comptoir.acquirer"],
        gateways=current_app.extensions["comptoir.gateways"],
        timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
        clock=current_app.config.get("CLOCK") or utcnow,
        format_amount=lambda minor, currency: format_money(minor, currency, locale=locale),
        translate=gettext,
    )


def batch_context():
    """For the CLI and the batch: no request, so French formatting and French messages."""
    context = payment_context(locale="fr")
    context.translate = french
    return context
