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


# --- Card payments ---------------------------------------------------------------------------
import datetime  # noqa: E402

from portal.payments.acquirer import simulator_card  # noqa: E402
from portal.payments.cards import Expiry, detect_networks, mask  # noqa: E402
from portal.payments.service import NewPayment, create_payment, new_idempotency_key  # noqa: E402

ACCEPTED_CARD = simulator_card("430000")  # CB + Visa, accepted


class FakeClock:
    """An injectable clock (naive UTC, like stored timestamps) that tests move by hand."""

    def __init__(self, now=datetime.datetime(2026, 3, 10, 9, 0, 0)):
        self.now = now

    def __call__(self):
        return self.now

    def set_local_day(self, day, hour=10):
        """Put the clock at `hour` o'clock UTC on `day` (the same calendar day in Paris)."""
        self.now = datetime.datetime.combine(day, datetime.time(hour))

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


def make_transaction(ctx, shop, amount=10000, *, card=ACCEPTED_CARD, capture_mode="AUTO", capture_delay=0,
                     user=None, reference=None, currency="EUR", expiry=None, network=None):
    networks = detect_networks(card)
    payment = NewPayment(
        shop=shop, reference=reference or f"T{new_idempotency_key()[:12].replace('-', 'x').replace('_', 'y')}",
        amount=amount, currency=currency, capture_mode=capture_mode, capture_delay=capture_delay,
        network=network or networks[0], networks=networks, masked_pan=mask(card),
        expiry=expiry or Expiry(ctx.today().year + 3, 12), card_number=card,
    )
    return create_payment(ctx, payment, user, new_idempotency_key())


# --- Suppliers, purchases, invoices ---------------------------------------------------------------
from models import Supplier  # noqa: E402


def make_supplier(name="Fournitures Dupont", **fields):
    fields.setdefault("vat_number", "FR44732829320")
    fields.setdefault("siren", "732829320")
    return Supplier.create(name=name, **fields)


def make_order(shop, supplier, lines=((10000, 1250, 2000),), user=None, description="Ramette papier A4"):
    """lines: (quantity_milli, unit_price, vat_rate) tuples."""
    from portal.purchasing.service import LineInput, create_order

    inputs = [LineInput(f"{description}" if i == 0 else f"{description} {i + 1}", q, p, r)
              for i, (q, p, r) in enumerate(lines)]
    return create_order(shop, supplier, inputs, user)
