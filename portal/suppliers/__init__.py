"""Suppliers (SPEC 3, AP-SUP-1/2): list and search, supplier file, contacts edited in place, bank-details
changes approved by a second user."""
from flask import Blueprint

bp = Blueprint("suppliers", __name__, url_prefix="/fournisseurs")


from portal.suppliers import views  # noqa: E402,F401
