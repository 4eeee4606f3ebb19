"""What is still to do before the portal is ready (ONB-1), as plain facts. No Flask here."""
from dataclasses import dataclass

from models import Shop, ShopRight, User
from portal.company import current_identity, missing_fields


@dataclass(frozen=True)
class Step:
    key: str
    done: bool


def steps_for(user):
    """The checklist of an administrator, in the order it is best done."""
    identity_done = not missing_fields(current_identity())
    has_shop = Shop.select().where(Shop.active).exists()
    has_rights = ShopRight.select().where(ShopRight.user == user).exists()
    has_second_factor = user.totp_enrolled_at is not None
    has_colleague = User.select().where((User.id != user.id) & User.active).exists()
    return [
        Step("company", identity_done),
        Step("shop", has_shop),
        Step("rights", has_rights),
        Step("second_factor", has_second_factor),
        Step("users", has_colleague),
    ]


# The last step (colleagues) is welcome but not needed to take a first payment.
ESSENTIAL = ("company", "shop", "rights", "second_factor")


def is_complete(steps):
    return all(step.done for step in steps if step.key in ESSENTIAL)
