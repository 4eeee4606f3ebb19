"""Accounting (SPEC 4, ACC-1, ACC-2): reverse charge on intra-community purchases, the configurable
PCG accounts, the legal FEC export and the analytic allocation CSV of a period."""
from flask import Blueprint

bp = Blueprint("accounting", __name__, url_prefix="/comptabilite")

from portal.accounting import views  # noqa: E402,F401
