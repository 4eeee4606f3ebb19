"""Payables reports (SPEC 3): the cash-flow timeline (AP-CASH-1) and the spend dashboard (AP-REP-1)."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/rapports")

from portal.reports import views  # noqa: E402,F401
