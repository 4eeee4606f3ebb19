"""Per-user, per-shop rights (AUTH-2) and the questions every blueprint asks about them."""
from models import Shop, ShopRight
from portal.texts import N_

# Rights held on a shop. Administering users is global: User.is_admin.
SHOP_RIGHTS = {
    "view": "Consulter",
    "create_payment": "Créer un paiement",
    "validate": "Valider",
    "cancel": "Annuler",
    "refund": "Rembourser",
    "duplicate": "Dupliquer",
    "manage_wallets": "Gérer les portefeuilles",
    "export": "Exporter",
    "manage_suppliers": "Gérer les fournisseurs",
    "approve_invoices": "Approuver les factures",
    "pay_invoices": "Payer les factures",
    "manage_axes": "Gérer les axes analytiques",
}
# ONB-1: role presets that fill a shop's checkboxes in one go; the boxes stay editable after.
ROLE_PRESETS = {
    "manager": ("Gérant", tuple(SHOP_RIGHTS)),
    "accountant": ("Comptable", ("view", "export", "manage_suppliers", "approve_invoices", "pay_invoices",
                                 "manage_axes")),
    "cashier": ("Caissier", ("view", "create_payment", "validate", "cancel", "refund")),
    "read_only": ("Lecture seule", ("view",)),
}
ADMIN_RIGHT = "admin_users"
ADMIN_RIGHT_LABEL = N_("Administrer les utilisateurs")


def rights_on(user, shop):
    """The set of right names a user holds on one shop."""
    query = ShopRight.select(ShopRight.right).where(
        (ShopRight.user == user) & (ShopRight.shop == shop)
    )
    return {row.right for row in query}


def has_right(user, right, shop=None):
    """True if the user holds `right` on `shop`, or on any shop when shop is None."""
    if right == ADMIN_RIGHT:
        return bool(user.is_admin)
    if right not in SHOP_RIGHTS:
        raise ValueError(f"unknown right {right!r}")
    query = ShopRight.select().where((ShopRight.user == user) & (ShopRight.right == right))
    if shop is not None:
        query = query.where(ShopRight.shop == shop)
    return query.exists()


def shops_with_right(user, right):
    """Shops on which the user holds `right`, by name (a user sees only those)."""
    return list(
        Shop.select()
        .join(ShopRight)
        .where((ShopRight.user == user) & (ShopRight.right == right) & Shop.active)
        .order_by(Shop.name)
    )


def rights_grid(user):
    """{shop_id: set(rights)} for the admin rights editor."""
    grid = {}
    for row in ShopRight.select().where(ShopRight.user == user):
        grid.setdefault(row.shop_id, set()).add(row.right)
    return grid


def set_rights(user, shop, rights):
    """Replace the user's rights on one shop; returns (before, after) sorted lists."""
    unknown = set(rights) - set(SHOP_RIGHTS)
    if unknown:
        raise ValueError(f"unknown rights {sorted(unknown)}")
    before = sorted(rights_on(user, shop))
    ShopRight.delete().where((ShopRight.user == user) & (ShopRight.shop == shop)).execute()
    for right in sorted(set(rights)):
        ShopRight.create(user=user, shop=shop, right=right)
    return before, sorted(set(rights))


# Rights that open the payables side (suppliers, purchases, invoices) on a shop.
PAYABLES_RIGHTS = ("manage_suppliers", "approve_invoices", "pay_invoices")


def shops_with_any_right(user, rights):
    """Active shops on which the user holds at least one of `rights`, by name."""
    return list(
        Shop.select().distinct()
        .join(ShopRight)
        .where((ShopRight.user == user) & (ShopRight.right.in_(list(rights))) & Shop.active)
        .order_by(Shop.name)
    )


class ShopRights:
    """All of a user's rights read in one query, for a page that asks about many shops or rows:
    `rights` maps every shop to the rights held on it (inactive shops too, for inline actions and the
    menu), `shops` lists the active shops with any right (by name), `held` every right held anywhere."""

    def __init__(self, user):
        self.rights, self.shops, self.held = {}, [], set()
        query = (ShopRight.select(ShopRight.right, Shop).join(Shop)
                 .where(ShopRight.user == user).order_by(Shop.name, Shop.id))
        for row in query:
            self.held.add(row.right)
            if row.shop.id not in self.rights:
                self.rights[row.shop.id] = set()
                if row.shop.active:
                    self.shops.append(row.shop)
            self.rights[row.shop.id].add(row.right)

    def shops_with(self, right):
        return [shop for shop in self.shops if right in self.rights[shop.id]]

    def shops_with_any(self, rights):
        return [shop for shop in self.shops if self.rights[shop.id] & set(rights)]

    def rights_on(self, shop):
        return set(self.rights.get(getattr(shop, "id", shop), ()))
