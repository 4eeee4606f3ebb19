"""PAY-WAL-1: a payment made with "save the card" keeps its vault token under a wallet id (last 4
digits only shown), the simulator gateway lists and deletes from that table, the Sips gateway asks
its wallet service; a deletion is audited; the same card is not kept twice."""
import pytest

from models import AuditRecord, Transaction, WalletCard
from portal.payments.acquirer import simulator_card
from portal.payments.cards import Expiry, detect_networks, mask
from portal.payments.service import NewPayment, create_payment, new_idempotency_key
from portal.payments.wallets import WalletError, check_wallet_id, delete_mean, find_wallet, wallet_card
from tests.factories import ACCEPTED_CARD
from tests.fake_sips import fake_sips  # noqa: F401 - the fixture


def _pay(ctx, shop, wallet_id="CLIENT-42", card=ACCEPTED_CARD, label="Carte pro", reference=None):
    networks = detect_networks(card)
    payment = NewPayment(
        shop=shop, reference=reference or f"W{new_idempotency_key()[:10].replace('-', 'x').replace('_', 'y')}",
        amount=2500, currency="EUR", capture_mode="AUTO", capture_delay=0, network=networks[0], networks=networks,
        masked_pan=mask(card), expiry=Expiry(ctx.today().year + 2, 6), card_number=card, wallet_id=wallet_id,
        wallet_label=label)
    return create_payment(ctx, payment, None, new_idempotency_key())


def test_pay_wal_1_accepted_payment_keeps_the_card_in_the_wallet(payment_ctx, shop):
    txn = _pay(payment_ctx, shop)
    [card] = WalletCard.select()
    assert (card.shop_id, card.wallet_id, card.card_token) == (shop.id, "CLIENT-42", txn.card_token)
    assert card.last4 == ACCEPTED_CARD[-4:] and len(card.last4) == 4
    assert card.label == "Carte pro" and card.network == txn.network
    assert (card.expiry_year, card.expiry_month) == (payment_ctx.today().year + 2, 6)
    assert AuditRecord.select().where(AuditRecord.action == "wallet.add").count() == 1


def test_pay_wal_1_refused_payment_keeps_nothing(payment_ctx, shop):
    txn = _pay(payment_ctx, shop, card=simulator_card("430000", "00", "05"))
    assert txn.state == "REFUSED" and WalletCard.select().count() == 0


def test_pay_wal_1_same_card_twice_is_kept_once(payment_ctx, shop):
    _pay(payment_ctx, shop)
    _pay(payment_ctx, shop)
    _pay(payment_ctx, shop, card=simulator_card("510000"))
    assert WalletCard.select().count() == 2
    assert Transaction.select().count() == 3


def test_pay_wal_1_simulator_lists_means_with_last4_only(payment_ctx, shop):
    _pay(payment_ctx, shop)
    [entry] = find_wallet(payment_ctx, shop, "CLIENT-42")
    assert entry.last4 == ACCEPTED_CARD[-4:] and entry.card is not None
    means = payment_ctx.acquirer.wallet_means(shop.merchant_id, "CLIENT-42")
    assert means[0].masked_pan == ACCEPTED_CARD[-4:]  # never the BIN
    assert find_wallet(payment_ctx, shop, "AUTRE") == []


def test_pay_wal_1_wallet_is_per_shop(payment_ctx, shop):
    from tests.factories import make_shop

    _pay(payment_ctx, shop)
    other = make_shop("Autre")
    assert find_wallet(payment_ctx, other, "CLIENT-42") == []


def test_pay_wal_1_delete_is_audited_and_final(payment_ctx, shop):
    _pay(payment_ctx, shop)
    card = WalletCard.get()
    removed = delete_mean(payment_ctx, shop, "CLIENT-42", card.mean_id, None)
    assert removed.last4 == card.last4
    assert WalletCard.get_by_id(card.id).deleted_at is not None
    assert find_wallet(payment_ctx, shop, "CLIENT-42") == []
    assert wallet_card(shop, "CLIENT-42", card.mean_id) is None
    record = AuditRecord.get(AuditRecord.action == "wallet.delete")
    assert card.last4 in record.before and ACCEPTED_CARD not in record.before
    with pytest.raises(WalletError):
        delete_mean(payment_ctx, shop, "CLIENT-42", card.mean_id, None)


@pytest.mark.parametrize("typed, ok", [("CLIENT-42", True), (" client@exemple.fr ", True), ("", False),
                                       ("avec espace", False), ("x" * 65, False), ("é", False), ("a\x00b", False)])
def test_pay_wal_1_wallet_id_shape(typed, ok):
    if ok:
        assert check_wallet_id(typed) == typed.strip()
    else:
        with pytest.raises(WalletError):
            check_wallet_id(typed)


def test_pay_wal_1_sips_shop_reads_its_wallet_service(app, clock, fake_sips):
    from tests.fake_sips import gateway_context, make_sips_shop

    shop = make_sips_shop(app)
    ctx = gateway_context(app, clock)
    [entry] = find_wallet(ctx, shop, "WALLET-1")
    assert len(entry.last4) == 4 and entry.card is None  # not saved through the portal: no new payment from it
    delete_mean(ctx, shop, "WALLET-1", entry.mean_id, None)
    assert find_wallet(ctx, shop, "WALLET-1") == []
    assert fake_sips.calls("deletePaymentMean")


def test_pay_wal_1_sips_payment_with_wallet_id_registers_the_card(app, clock, fake_sips):
    from tests.fake_sips import gateway_context, make_sips_shop

    shop = make_sips_shop(app)
    ctx = gateway_context(app, clock)
    txn = _pay(ctx, shop, wallet_id="CLIENT-7")
    [body] = fake_sips.calls("cardOrder")
    assert body["merchantWalletId"] == "CLIENT-7"
    [entry] = find_wallet(ctx, shop, "CLIENT-7")
    assert entry.last4 == txn.masked_pan[-4:] and entry.card is not None  # matched with the portal's row
