"""Who may do what with analytic axes and allocations (AUTH-2). Axes are shared by every shop:
"manage_axes" on at least one shop manages them. An invoice's allocation is seen with any payables
right on the invoice's shop and edited with manage_suppliers or approve_invoices there. The server
refuses (403) whatever the page shows."""
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from models import ShopRight
from portal.auth.rights import PAYABLES_RIGHTS, rights_on, shops_with_any_right

MANAGE_AXES = "manage_axes"
EDIT_RIGHTS = ("manage_suppliers", "approve_invoices")


@dataclass(frozen=True)
class AxesAccess:
    """What the current user may do on the axes pages; templates ask it rather than decide."""

    user: object
    rights: frozenset  # held on at least one shop

    @property
    def can_manage(self):
        return MANAGE_AXES in self.rights

    @property
    def can_view(self):
        """The axes page and the reports: whoever manages axes or works on invoices."""
        return self.can_manage or bool(self.rights & set(PAYABLES_RIGHTS))

    @property
    def can_export(self):
        return bool(self.rights & set(PAYABLES_RIGHTS))


def axes_access(user):
    if user is None or not user.is_authenticated:
        return AxesAccess(user, frozenset())
    query = (ShopRight.select(ShopRight.right).distinct()
             .where((ShopRight.user == user) & ShopRight.right.in_([MANAGE_AXES, *PAYABLES_RIGHTS])))
    return AxesAccess(user, frozenset(row.right for row in query))


def axes_access_required(permission):
    """View decorator: logged in and allowed; the view receives the AxesAccess as `access`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            access = axes_access(current_user._get_current_object())
            if not getattr(access, permission):
                abort(403)
            return view(*args, access=access, **kwargs)

        return wrapped

    return decorator


@dataclass(frozen=True)
class InvoiceAccess:
    """What a user may do with the allocation of one invoice."""

    rights: frozenset  # on the invoice's shop

    @property
    def can_view(self):
        return bool(self.rights & set(PAYABLES_RIGHTS))

    @property
    def can_edit(self):
        return bool(self.rights & set(EDIT_RIGHTS))


def invoice_access(user, invoice, rights=None):
    """`rights`: the user's rights on the invoice's shop when the caller already has them."""
    if user is None or not user.is_authenticated:
        return InvoiceAccess(frozenset())
    return InvoiceAccess(frozenset(rights if rights is not None else rights_on(user, invoice.shop)))


def export_shops(user):
    """The shops whose invoices the user sees, so whose allocations may appear in exports."""
    return shops_with_any_right(user, PAYABLES_RIGHTS)
