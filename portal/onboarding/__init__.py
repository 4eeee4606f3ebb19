"""The guided first run (ONB-1): a checklist for the administrator until the portal can take its
first payment, and the one page that owns the company's legal identity."""
from flask import Blueprint

bp = Blueprint("onboarding", __name__)

from portal.onboarding import views  # noqa: E402,F401
