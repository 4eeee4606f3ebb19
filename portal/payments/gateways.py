"""Which gateway serves a shop (PAY-GW-1, PAY-GW-2): the embedded simulator, or a Sips Office
account (test or production) built from the shop's merchant id, its secret key decrypted from the
vault key, and the server settings. Saving a new secret key is audited; the key is never shown."""
from models import db, utcnow
from portal.audit import record_action
from portal.payments.acquirer import GatewayUnavailable
from portal.payments.cards import detect_networks
from portal.payments.sips import SERVERS, SipsGateway

SIMULATOR = "SIMULATOR"
SIPS_TEST = "SIPS_TEST"
SIPS_PRODUCTION = "SIPS_PRODUCTION"
GATEWAY_KINDS = (SIMULATOR, SIPS_TEST, SIPS_PRODUCTION)
GATEWAY_LABELS = {SIMULATOR: "Simulateur intégré", SIPS_TEST: "Worldline Sips — test",
                  SIPS_PRODUCTION: "Worldline Sips — production"}


class GatewayRegistry:
    """Built once per app: the simulator, the vault that holds the secret keys, and the settings."""

    def __init__(self, simulator, vault, config=None):
        self.simulator = simulator
        self.vault = vault
        self.config = config if config is not None else {}  # read at each use: tests and admins change it

    def url(self, kind):
        return self.config.get(f"{kind}_URL") or SERVERS[kind]

    def for_shop(self, shop):
        if (shop.gateway or SIMULATOR) == SIMULATOR:
            return self.simulator
        if not shop.gateway_secret:
            raise GatewayUnavailable("La clé secrète Sips de cette boutique n'est pas enregistrée : un administrateur "
                                     "doit la saisir dans les réglages de la boutique.", maybe_processed=False)
        return SipsGateway(base_url=self.url(shop.gateway), merchant_id=shop.merchant_id,
                           secret_key=self.vault.decrypt_secret(shop.gateway_secret),
                           key_version=shop.gateway_key_version, vault=self.vault,
                           connect_timeout=float(self.config.get("SIPS_CONNECT_TIMEOUT", 5)),
                           read_timeout=float(self.config.get("SIPS_READ_TIMEOUT", 30)))


def card_networks_for(ctx, shop, number):
    """The networks a card offers in `shop` (PAY-ACQ-3): its gateway's lookup (Sips: paymentMeanInfo,
    which knows the CB co-badging of real cards), the local BIN table for the simulator, for no shop
    yet, or when the shop's gateway cannot be built (no key saved)."""
    if shop is None or (shop.gateway or SIMULATOR) == SIMULATOR:
        return detect_networks(number)
    try:
        gateway = ctx.gateway_for(shop)
    except GatewayUnavailable:
        return detect_networks(number)
    return tuple(gateway.card_networks(shop.merchant_id, number))


def save_gateway_settings(vault, shop, kind, key_version, secret_key, user=None, remote_addr=""):
    """Change a shop's gateway; a non-empty `secret_key` replaces the stored one. The audit record
    says that the key changed and its version, never the key."""
    before = gateway_summary(shop)
    shop.gateway = kind
    shop.gateway_key_version = key_version
    if secret_key:
        shop.gateway_secret = vault.encrypt_secret(secret_key)
        shop.gateway_key_saved_at = utcnow()
    with db.atomic():
        shop.save(only=[type(shop).gateway, type(shop).gateway_key_version, type(shop).gateway_secret,
                        type(shop).gateway_key_saved_at])
        after = gateway_summary(shop)
        if before != after or secret_key:
            record_action("shop.gateway", "shop", shop.id, user=user, remote_addr=remote_addr, before=before,
                          after={**after, "secret_key_changed": bool(secret_key)})


def gateway_summary(shop):
    """What may be shown or audited about a shop's gateway: never the key itself."""
    return {"gateway": shop.gateway, "key_version": shop.gateway_key_version,
            "key_saved_at": shop.gateway_key_saved_at.isoformat(timespec="seconds") if shop.gateway_key_saved_at else None,
            "has_key": bool(shop.gateway_secret)}
