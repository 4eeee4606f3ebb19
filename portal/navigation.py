"""The main navigation, filtered by what the current user may open (AUTH-2: hidden links)."""
from flask import g, url_for
from flask_babel import gettext as _

from models import ShopRight
from portal.auth.rights import PAYABLES_RIGHTS


def navigation_for(user):
    items = [
        ("transactions", _("Transactions"), url_for("payments.index"), "view"),
        ("factures", _("Factures"), url_for("invoices.index"), PAYABLES_RIGHTS),
        ("fournisseurs", _("Fournisseurs"), url_for("suppliers.index"), PAYABLES_RIGHTS),
        ("ventilation", _("Ventilation analytique"), url_for("allocation.index"), PAYABLES_RIGHTS + ("manage_axes",)),
        ("tableau-de-bord", _("Tableau de bord"), url_for("payments.dashboard_page"), "view"),
        ("portefeuilles", _("Portefeuilles"), url_for("payments.wallets"), "manage_wallets"),
    ]
    held = _rights_held(user)
    visible = [
        {"key": key, "label": label, "url": url}
        for key, label, url, right in items
        if right is None or user.is_admin or _holds(held, right)
    ]
    if user.is_admin:
        visible.append({"key": "admin", "label": _("Administration"), "url": url_for("admin.users")})
    return visible


class LazyNavigation:
    """The menu of `user`, built when a template first reads it: a fragment swapped by htmx never
    draws the menu, and so never pays for its query."""

    def __init__(self, user):
        self._user, self._items = user, None

    def _load(self):
        if self._items is None:
            self._items = navigation_for(self._user)
        return self._items

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def __bool__(self):
        return bool(self._load())

    def __getitem__(self, index):
        return self._load()[index]


def current_item(items, path):
    """The menu entry the page belongs to: the longest entry URL the path starts with
    (/transactions/tableau-de-bord is the dashboard's, not the list's)."""
    matching = [item for item in items if path.startswith(item["url"])]
    return max(matching, key=lambda item: len(item["url"]))["key"] if matching else None


def remember_rights_held(user, rights):
    """A page that has just read all the user's rights tells the menu, which then asks nothing."""
    g.navigation_rights_held = (user.id, frozenset(rights))


def _rights_held(user):
    """The names of the rights the user holds on any shop, in one query (every page draws the menu)."""
    known = g.get("navigation_rights_held")
    if known is not None and known[0] == user.id:
        return known[1]
    return {right for (right,) in ShopRight.select(ShopRight.right).distinct()
            .where(ShopRight.user == user).tuples()}


def _holds(held, right):
    """One right, or any of a tuple of rights (the payables side opens with any of its rights)."""
    if isinstance(right, tuple):
        return any(one in held for one in right)
    return right in held
