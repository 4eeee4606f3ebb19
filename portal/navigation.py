"""The main navigation, filtered by what the current user may open (AUTH-2: hidden links)."""
from flask import url_for
from flask_babel import gettext as _

from portal.auth.rights import PAYABLES_RIGHTS, has_right


def navigation_for(user):
    items = [
        ("transactions", _("Transactions"), url_for("payments.index"), "view"),
        ("factures", _("Factures"), url_for("invoices.index"), PAYABLES_RIGHTS),
        ("fournisseurs", _("Fournisseurs"), url_for("suppliers.index"), PAYABLES_RIGHTS),
        ("ventilation", _("Ventilation analytique"), url_for("allocation.index"), PAYABLES_RIGHTS + ("manage_axes",)),
        ("tableau-de-bord", _("Tableau de bord"), url_for("main.upcoming", area="tableau-de-bord"), "view"),
    ]
    visible = [
        {"key": key, "label": label, "url": url}
        for key, label, url, right in items
        if right is None or user.is_admin or _holds(user, right)
    ]
    if user.is_admin:
        visible.append({"key": "admin", "label": _("Administration"), "url": url_for("admin.users")})
    return visible


def _holds(user, right):
    """One right, or any of a tuple of rights (the payables side opens with any of its rights)."""
    if isinstance(right, tuple):
        return any(has_right(user, one) for one in right)
    return has_right(user, right)
