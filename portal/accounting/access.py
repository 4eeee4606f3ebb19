"""Who may export the accounts and who may set them up (AUTH-2); the server refuses (403) whatever
the page shows. Exporting reveals supplier invoices, so a shop counts only where the user holds the
export right and a right on its payables."""
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from models import Shop, ShopRight
from portal.auth.rights import PAYABLES_RIGHTS, has_right

EXPORT_RIGHT = "export"
CONFIGURE_RIGHT = "manage_suppliers"


def export_shops(user):
    """Active shops whose supplier accounts `user` may export, by name."""
    payables = ShopRight.select(ShopRight.shop).where((ShopRight.user == user)
                                                      & ShopRight.right.in_(list(PAYABLES_RIGHTS)))
    return list(Shop.select().join(ShopRight)
                .where((ShopRight.user == user) & (ShopRight.right == EXPORT_RIGHT) & Shop.active
                       & Shop.id.in_(payables))
                .order_by(Shop.name))


@dataclass(frozen=True)
class AccountingAccess:
    """What the current user may do in the accounting area; templates ask it rather than decide."""

    user: object
    shops: tuple
    can_configure: bool

    @property
    def can_export(self):
        return bool(self.shops)

    @property
    def can_set_company(self):
        """The company is the SEPA payer and the FEC's SIREN for every shop: administrators only."""
        return bool(self.user is not None and self.user.is_authenticated and self.user.is_admin)

    @property
    def can_close(self):
        """Closing validates the books of the whole company: an administrator, or an accountant who
        may export every active shop."""
        if self.user is None or not self.user.is_authenticated:
            return False
        if self.user.is_admin:
            return True
        active = set(shop_id for shop_id, in Shop.select(Shop.id).where(Shop.active).tuples())
        return bool(active) and active <= {shop.id for shop in self.shops}

    @property
    def can_open(self):
        return self.can_export or self.can_configure


def access_for(user):
    if user is None or not user.is_authenticated:
        return AccountingAccess(user, (), False)
    return AccountingAccess(user, tuple(export_shops(user)),
                            bool(user.is_admin or has_right(user, CONFIGURE_RIGHT)))


def access_required(permission):
    """View decorator: logged in and allowed; the view receives the AccountingAccess as `access`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            access = access_for(current_user._get_current_object())
            if not getattr(access, permission):
                abort(403)
            return view(*args, access=access, **kwargs)

        return wrapped

    return decorator
