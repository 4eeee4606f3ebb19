"""Paying supplier invoices (AP-PAY-1): partial payments, deposit invoices deducted from balance
invoices, and payment batches exported as SEPA credit transfer files (pain.001.001.09)."""
from flask import Blueprint

bp = Blueprint("payables", __name__, url_prefix="/reglements")

from portal.payables import views  # noqa: E402,F401
