"""PAY-WAL-1 pages: find a wallet by its full id within a shop the user manages wallets on, list
its cards (last 4 digits only), delete one after confirmation (htmx with hx-confirm, or a plain
confirmation page), audited; a new payment on a stored card (PAY-DUP-1 rules); the new-payment
form's "save the card" checkbox."""
import re

import pytest

from models import AuditRecord, Transaction, WalletCard
from portal.payments.cards import Expiry, detect_networks, mask
from portal.payments.service import NewPayment, create_payment, new_idempotency_key
from tests.factories import ACCEPTED_CARD, make_shop

HX = {"HX-Request": "true"}
RIGHTS = ["view", "create_payment", "manage_wallets"]


@pytest.fixture
def manager(login_as, shop, clock):
    return login_as("gerante", rights=RIGHTS, shop=shop)


def _saved_card(ctx, shop, wallet_id="CLIENT-42"):
    networks = detect_networks(ACCEPTED_CARD)
    create_payment(ctx, NewPayment(
        shop=shop, reference=f"W{new_idempotency_key()[:8].replace('-', 'x').replace('_', 'y')}", amount=1500,
        currency="EUR", capture_mode="AUTO", capture_delay=0, network=networks[0], networks=networks,
        masked_pan=mask(ACCEPTED_CARD), expiry=Expiry(ctx.today().year + 2, 6), card_number=ACCEPTED_CARD,
        wallet_id=wallet_id, wallet_label="Carte perso"), None, new_idempotency_key())
    return WalletCard.get(WalletCard.wallet_id == wallet_id)


def test_pay_wal_1_search_by_full_id_lists_last4_only(client, manager, shop, payment_ctx):
    card = _saved_card(payment_ctx, shop)
    page = client.get(f"/transactions/portefeuilles/?boutique={shop.id}&portefeuille=CLIENT-42").get_data(as_text=True)
    assert "•••• " + card.last4 in page and "Carte perso" in page and "06/" in page
    assert ACCEPTED_CARD[:6] not in page and mask(ACCEPTED_CARD) not in page  # never the BIN
    partial = client.get(f"/transactions/portefeuilles/?boutique={shop.id}&portefeuille=CLIENT")
    assert "Aucune carte dans ce portefeuille" in partial.get_data(as_text=True)


def test_pay_wal_1_search_result_is_an_htmx_fragment(client, manager, shop, payment_ctx):
    _saved_card(payment_ctx, shop)
    response = client.get(f"/transactions/portefeuilles/?boutique={shop.id}&portefeuille=CLIENT-42",
                          headers={**HX, "HX-Target": "wallet-result"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page and 'id="wallet-result"' in page
    assert "HX-Request" in response.headers["Vary"]


def test_pay_wal_1_bad_wallet_id_says_why(client, manager, shop):
    response = client.get(f"/transactions/portefeuilles/?boutique={shop.id}&portefeuille=avec+espace")
    assert response.status_code == 422
    assert "sans espace" in response.get_data(as_text=True)


def test_pay_wal_1_delete_after_confirmation_page(client, manager, shop, payment_ctx):
    card = _saved_card(payment_ctx, shop)
    url = f"/transactions/portefeuilles/{shop.id}/CLIENT-42/{card.mean_id}/supprimer"
    confirm = client.get(url).get_data(as_text=True)
    assert "se terminant par " + card.last4 in confirm and "Garder la carte" in confirm
    assert WalletCard.get_by_id(card.id).deleted_at is None  # the GET changes nothing
    response = client.post(url)
    assert response.status_code == 303
    assert WalletCard.get_by_id(card.id).deleted_at is not None
    record = AuditRecord.get(AuditRecord.action == "wallet.delete")
    assert record.user_id == manager.id
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "supprimée du portefeuille" in follow and "Aucune carte dans ce portefeuille" in follow


def test_pay_wal_1_delete_with_htmx_replaces_the_row(client, manager, shop, payment_ctx):
    card = _saved_card(payment_ctx, shop)
    page = client.get(f"/transactions/portefeuilles/?boutique={shop.id}&portefeuille=CLIENT-42").get_data(as_text=True)
    assert "hx-confirm=" in page
    response = client.post(f"/transactions/portefeuilles/{shop.id}/CLIENT-42/{card.mean_id}/supprimer", headers=HX)
    assert response.status_code == 200 and "Supprimée" in response.get_data(as_text=True)
    assert response.get_data(as_text=True).lstrip().startswith("<tr")


def test_pay_wal_1_needs_manage_wallets_on_that_shop(client, login_as, shop, payment_ctx, clock):
    card = _saved_card(payment_ctx, shop)
    other = make_shop("Autre")
    login_as("caissier", rights=["view", "create_payment"], shop=shop)
    assert client.get(f"/transactions/portefeuilles/?boutique={shop.id}&portefeuille=CLIENT-42").status_code == 403
    assert client.post(f"/transactions/portefeuilles/{shop.id}/CLIENT-42/{card.mean_id}/supprimer").status_code == 403
    assert WalletCard.get_by_id(card.id).deleted_at is None
    assert client.get(f"/transactions/portefeuilles/{other.id}/CLIENT-42/{card.mean_id}/supprimer").status_code == 403


def test_pay_wal_1_other_shops_wallet_is_not_found(client, manager, shop, payment_ctx):
    other = make_shop("Autre")
    card = _saved_card(payment_ctx, other)
    response = client.get(f"/transactions/portefeuilles/?boutique={other.id}&portefeuille=CLIENT-42")
    assert response.status_code == 404
    assert client.get(f"/transactions/portefeuilles/{other.id}/CLIENT-42/{card.mean_id}/payer").status_code == 403


def test_pay_dup_1_new_payment_on_a_wallet_card(client, manager, shop, payment_ctx):
    card = _saved_card(payment_ctx, shop)
    url = f"/transactions/portefeuilles/{shop.id}/CLIENT-42/{card.mean_id}/payer"
    page = client.get(url).get_data(as_text=True)
    assert "se terminant par " + card.last4 in page
    data = {name: value for name, value in re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page)}
    data.update(amount="42,00", capture_mode="AUTO", capture_delay="0", network="CB")
    response = client.post(url, data=data)
    assert response.status_code == 303
    txn = Transaction.select().order_by(Transaction.id.desc()).get()
    assert txn.amount == 4200 and txn.card_token == card.card_token and txn.authorisation_number
    assert client.post(url, data=data).headers["Location"] == response.headers["Location"]  # once
    assert Transaction.select().count() == 2


def test_pay_wal_1_new_payment_form_saves_the_card(client, manager, shop):
    page = client.get("/transactions/nouveau").get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)
    data = {"shop": str(shop.id), "card_number": ACCEPTED_CARD, "network": "CB", "expiry": "1229", "cvv": "123",
            "reference": "WALLET1", "amount": "10,00", "currency": "EUR", "capture_mode": "AUTO",
            "capture_delay": "0", "save_card": "y", "wallet_id": "", "idempotency_key": key}
    refused = client.post("/transactions/nouveau", data=data)
    assert refused.status_code == 422 and "identifiant du portefeuille" in refused.get_data(as_text=True)
    data["wallet_id"] = "CLIENT-9"
    assert client.post("/transactions/nouveau", data=data).status_code == 303
    assert WalletCard.get().wallet_id == "CLIENT-9"
