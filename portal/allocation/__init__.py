"""Analytic allocation (SPEC 4, ALLOC-1..3): the merchant's axes and values with their restricted
visibility, the allocation editor of an invoice, and reports and exports that show only what the
user may see."""
from flask import Blueprint

bp = Blueprint("allocation", __name__, url_prefix="/ventilation")


from portal.allocation import views  # noqa: E402,F401
