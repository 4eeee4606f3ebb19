"""Customer wallets (PAY-WAL-1): cards a shop keeps for a customer under a wallet id, found by the
full id, listed with the last 4 digits only, deleted after confirmation (audited), and used again for
a new payment on the stored card (PAY-DUP-1 rules). The gateway holds the wallet: the simulator keeps
it in the WalletCard table, Sips in its wallet service; the portal keeps its own row so that a card
can be paid with again. No Flask here: messages are French templates marked with N_()."""
import re
import secrets
from dataclasses import dataclass

from models import VaultCard, WalletCard, db
from portal.audit import record_action
from portal.payments.cards import NETWORK_LABELS, Expiry
from portal.payments.lifecycle import N_

WALLET_ID_SHAPE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MEAN_ID_SHAPE = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")  # a payment mean's id at the gateway
LABEL_MAX = 50


class WalletError(ValueError):
    """A refused wallet request; `template` and `params` let a page translate it."""

    def __init__(self, template, **params):
        self.template, self.params = template, params
        super().__init__(template % params if params else template)


def check_wallet_id(text):
    """The wallet id as typed, trimmed; WalletError unless it is 1 to 64 letters, digits or - _ . @."""
    wallet_id = (text or "").strip()
    if not wallet_id:
        raise WalletError(N_("Saisissez l'identifiant complet du portefeuille."))
    if not WALLET_ID_SHAPE.match(wallet_id):
        raise WalletError(N_("Un identifiant de portefeuille compte de 1 à 64 lettres, chiffres ou - _ . @, "
                             "sans espace."))
    return wallet_id


def new_mean_id():
    return "wm_" + secrets.token_hex(8)


def keep_in_wallet(ctx, shop, wallet_id, txn, label, user):
    """Keep the card of an accepted payment in the customer's wallet (inside the payment's database
    transaction). The same card already in that wallet is not added twice."""
    fingerprint = VaultCard.select(VaultCard.fingerprint).where(VaultCard.token == txn.card_token).scalar() or ""
    if fingerprint:
        existing = (WalletCard.select().join(VaultCard, on=(WalletCard.card_token == VaultCard.token))
                    .where((WalletCard.shop == shop) & (WalletCard.wallet_id == wallet_id)
                           & WalletCard.deleted_at.is_null() & (VaultCard.fingerprint == fingerprint)).first())
        if existing is not None:
            return existing
    card = WalletCard.create(
        shop=shop, wallet_id=wallet_id, mean_id=new_mean_id(), card_token=txn.card_token,
        last4=txn.masked_pan[-4:], network=txn.network, networks=txn.networks, label=(label or "")[:LABEL_MAX],
        expiry_year=txn.card_expiry_year, expiry_month=txn.card_expiry_month, created_at=ctx.now(),
        created_by=user)
    record_action("wallet.add", "wallet_card", card.id, user=user,
                  after={"shop": shop.id, "wallet_id": wallet_id, "mean_id": card.mean_id, "last4": card.last4,
                         "transaction": txn.reference})
    return card


@dataclass(frozen=True)
class WalletEntry:
    """One payment mean of a wallet as the page shows it: never more than the last 4 digits."""

    mean_id: str
    network: str
    last4: str
    label: str
    expiry: str  # MM/AA
    card: object = None  # the portal's WalletCard, when the card can be paid with again
    expired: bool = False

    @property
    def network_label(self):
        return NETWORK_LABELS.get(self.network, self.network)


def _expiry_text(year, month):
    return f"{month:02d}/{year % 100:02d}"


def _entry(mean, card, today):
    expired = False
    if card is not None:
        expired = not Expiry(card.expiry_year, card.expiry_month).valid_on(today)
    return WalletEntry(mean.mean_id, mean.brand, mean.masked_pan[-4:], mean.label, mean.expiry, card, expired)


def find_wallet(ctx, shop, wallet_id):
    """The payment means of a wallet of `shop`, as its gateway lists them (GatewayUnavailable when it
    cannot be asked). A Sips mean is matched with the portal's row by last 4 digits and expiry."""
    gateway = ctx.gateway_for(shop)
    means = gateway.wallet_means(shop.merchant_id, wallet_id)
    cards = list(WalletCard.select().where((WalletCard.shop == shop) & (WalletCard.wallet_id == wallet_id)
                                           & WalletCard.deleted_at.is_null()))
    by_mean = {card.mean_id: card for card in cards}
    by_look = {(card.last4, _expiry_text(card.expiry_year, card.expiry_month)): card for card in cards}
    today = ctx.today()
    return [_entry(mean, by_mean.get(mean.mean_id) or by_look.get((mean.masked_pan[-4:], mean.expiry)), today)
            for mean in means]


def wallet_card(shop, wallet_id, mean_id):
    """The portal's row of one live card of a wallet, or None."""
    return WalletCard.get_or_none((WalletCard.shop == shop) & (WalletCard.wallet_id == wallet_id)
                                  & (WalletCard.mean_id == mean_id) & WalletCard.deleted_at.is_null())


def delete_mean(ctx, shop, wallet_id, mean_id, user, key="", remote_addr=""):
    """Remove one payment mean from a wallet at the gateway, then in the portal; audited. Returns the
    entry removed; WalletError when the gateway does not know it or refuses."""
    entries = {entry.mean_id: entry for entry in find_wallet(ctx, shop, wallet_id)}
    entry = entries.get(mean_id)
    if entry is None:
        raise WalletError(N_("Ce moyen de paiement n'est plus dans le portefeuille."))
    answer = ctx.gateway_for(shop).delete_wallet_mean(shop.merchant_id, wallet_id, mean_id, key)
    if not answer.accepted:
        raise WalletError(N_("La passerelle a refusé la suppression (code %(code)s)."), code=answer.response_code)
    with db.atomic():
        if entry.card is not None:
            WalletCard.update(deleted_at=ctx.now(), deleted_by=user).where(WalletCard.id == entry.card.id).execute()
        record_action("wallet.delete", "wallet_card", entry.card.id if entry.card else mean_id, user=user,
                      remote_addr=remote_addr,
                      before={"shop": shop.id, "wallet_id": wallet_id, "mean_id": mean_id, "last4": entry.last4,
                              "network": entry.network, "label": entry.label, "expiry": entry.expiry})
    return entry


def card_payment_facts(ctx, card):
    """What a new payment on a wallet's card needs from the vault: (masked number, Expiry). The mask
    is BIN + last 4 as on any transaction (PAY-ACQ-2); the card number never leaves the vault."""
    from portal.payments.cards import mask

    number, expiry = ctx.acquirer.vault.card(card.card_token)
    return mask(number), expiry

