"""Plain factory functions for tests: make_user(), make_shop() …"""
import itertools

from models import Shop, ShopRight, User
from portal.auth.passwords import hash_password

PASSWORD = "correct horse 42 battery"
_merchant_ids = itertools.count(1)


def make_shop(name=None, **fields):
    number = next(_merchant_ids)
    merchant_id = fields.pop("merchant_id", f"{200000000000000 + number:015d}")
    return Shop.create(name=name or f"Boutique {number}", merchant_id=merchant_id, **fields)


def make_user(username, password=PASSWORD, rights=None, **fields):
    """rights: {shop: [right, ...]}"""
    user = User.create(username=username, password_hash=hash_password(password, "pbkdf2:sha256:1000"),
                       **fields)
    for shop, names in (rights or {}).items():
        for name in names:
            ShopRight.create(user=user, shop=shop, right=name)
    return user
