"""Suppliers (SPEC 3, AP-SUP-1/2): list and search, supplier file, contacts edited in place, bank-details
changes approved by a second user."""
from flask import Blueprint

bp = Blueprint("suppliers", __name__, url_prefix="/fournisseurs")

# The purchase order sent to a supplier prints the company's legal identity (DOC-2).
from portal.company import register_document_globals  # noqa: E402

register_document_globals(bp)


@bp.app_template_global("document_language")
def document_language():
    from flask_babel import get_locale

    return "en" if str(get_locale() or "fr").startswith("en") else "fr"


from portal.suppliers import views  # noqa: E402,F401
