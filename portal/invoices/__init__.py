"""Supplier invoices (SPEC 3): intake (manual, PDF, e-invoices), attachment to purchase orders,
three-way matching and the approval lifecycle."""
from flask import Blueprint

bp = Blueprint("invoices", __name__, url_prefix="/factures")

from portal.invoices import views  # noqa: E402,F401
