"""Supplier audit (AP-KYS-1): evaluation grids with weighted criteria, evaluations of suppliers, the
action list that follows each one, and archiving of the suppliers found non-compliant."""
from flask import Blueprint

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

from portal.evaluations import views  # noqa: E402,F401
