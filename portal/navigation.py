"""The main navigation, filtered by what the current user may open (AUTH-2: hidden links)."""
from flask import url_for
from flask_babel import gettext as _

from portal.auth.rights import has_right


def navigation_for(user):
    items = [
        ("transactions", _("Transactions"), url_for("payments.index"), "view"),
        ("factures", _("Factures"), url_for("main.upcoming", area="factures"), None),
        ("fournisseurs", _("Fournisseurs"), url_for("main.upcoming", area="fournisseurs"), None),
        ("ventilation", _("Ventilation analytique"), url_for("main.upcoming", area="ventilation"), None),
        ("tableau-de-bord", _("Tableau de bord"), url_for("main.upcoming", area="tableau-de-bord"), "view"),
    ]
    visible = [
        {"key": key, "label": label, "url": url}
        for key, label, url, right in items
        if right is None or user.is_admin or has_right(user, right)
    ]
    if user.is_admin:
        visible.append({"key": "admin", "label": _("Administration"), "url": url_for("admin.users")})
    return visible
