"""Accounting (SPEC 4 and 6.3, ACC-1..5): reverse charge at each line's rate, the configurable PCG
accounts, the card sales journal, closed periods with validated entries, the legal FEC export and the
analytic allocation CSV of a period."""
from flask import Blueprint

bp = Blueprint("accounting", __name__, url_prefix="/comptabilite")

from portal.accounting import views  # noqa: E402,F401
