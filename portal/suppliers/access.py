"""Who may see and change suppliers (AUTH-2). Suppliers are shared by every shop, so a right held on
at least one shop is enough; the server refuses (403) whatever the page shows."""
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from models import ShopRight
from portal.suppliers.service import bank_change_approval_refusal

VIEW_RIGHTS = ("manage_suppliers", "approve_invoices", "pay_invoices")
MANAGE_RIGHT = "manage_suppliers"
# Approving new bank details: whoever keeps the supplier file, or whoever pays it (AP-SUP-2).
BANK_APPROVAL_RIGHTS = ("manage_suppliers", "pay_invoices")


def supplier_rights(user):
    """The supplier-related rights the user holds on at least one shop."""
    if user is None or not user.is_authenticated:
        return frozenset()
    query = (ShopRight.select(ShopRight.right).distinct()
             .where((ShopRight.user == user) & ShopRight.right.in_(VIEW_RIGHTS)))
    return frozenset(row.right for row in query)


@dataclass(frozen=True)
class SupplierAccess:
    """What the current user may do on the supplier pages; templates ask it rather than decide."""

    user: object
    rights: frozenset

    @property
    def can_view(self):
        return bool(self.rights)

    @property
    def can_manage(self):
        return MANAGE_RIGHT in self.rights

    @property
    def can_decide_bank_change(self):
        return bool(self.rights & set(BANK_APPROVAL_RIGHTS))

    def may_approve(self, change):
        return self.can_decide_bank_change and bank_change_approval_refusal(change, self.user) is None

    def may_reject(self, change):
        return self.can_decide_bank_change and change.status == "PENDING"

    def is_requester(self, change):
        return change.requested_by_id == self.user.id


def access_for(user):
    return SupplierAccess(user, supplier_rights(user))


def current_access():
    return access_for(current_user._get_current_object() if current_user.is_authenticated else None)


def require(permission):
    """Abort with 403 unless the current user has `permission` (a SupplierAccess property name)."""
    access = current_access()
    if not getattr(access, permission):
        abort(403)
    return access


def access_required(permission):
    """View decorator: logged in and allowed; the view receives the SupplierAccess as `access`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            return view(*args, access=require(permission), **kwargs)

        return wrapped

    return decorator
