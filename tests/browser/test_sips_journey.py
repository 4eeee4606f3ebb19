"""Browser journey through the Sips Office connector (PAY-GW-1, PAY-GW-2) against the local fake
Office server: an administrator sets the shop's gateway and secret key, a merchant takes a payment,
the gateway remits it at night, the detail page's refresh button reads it back, the merchant
refunds part of it and the refund is read back as credited."""
import pytest
from playwright.sync_api import expect

from models import Shop, Transaction
from tests.browser.steps import log_in
from tests.factories import make_shop, make_user
from tests.fake_sips import MERCHANT_ID, SECRET_KEY, fake_sips  # noqa: F401

pytestmark = pytest.mark.browser

RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate"]


def test_payment_and_refund_through_sips(app, page, output_dir, clock, fake_sips):
    make_user("admin", is_admin=True)
    shop = make_shop("Librairie du Quai", merchant_id=MERCHANT_ID)
    make_user("lea", rights={shop: RIGHTS})

    # The administrator points the shop at its Sips test account.
    log_in(page, "admin")
    page.goto(f"/admin/shops/{shop.id}")
    page.get_by_label("Passerelle de paiement").select_option("SIPS_TEST")
    page.get_by_label("Clé secrète Sips").fill(SECRET_KEY)
    page.get_by_label("Version de la clé secrète").fill("1")
    page.get_by_role("button", name="Enregistrer").click()
    page.goto(f"/admin/shops/{shop.id}")
    expect(page.locator("#gateway-key-status")).to_contain_text("Clé secrète enregistrée : version 1")
    assert SECRET_KEY not in page.content()
    expect(page.get_by_label("Clé secrète Sips")).to_have_value("")
    page.screenshot(path=output_dir / "60-shop-gateway-settings.png", full_page=True)
    assert Shop.get_by_id(shop.id).gateway == "SIPS_TEST"

    # The merchant takes a payment: it goes to the (fake) Office server.
    log_in(page, "lea")
    page.goto("/transactions/nouveau")
    page.wait_for_load_state("load")
    page.get_by_label("Numéro de carte").fill("4300 0000 0000 0900")
    expect(page.get_by_role("radio", name="CB")).to_be_checked()
    page.get_by_label("Date d'expiration (MM/AA)").fill("12/29")
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label("Montant").fill("80,00")
    page.get_by_role("button", name="Payer").click()
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    txn = Transaction.get()
    assert len(fake_sips.calls("cardOrder", txn.reference)) == 1

    # The gateway remits at night; the detail page reads it back on demand.
    fake_sips.nightly()
    page.goto(f"/transactions/{txn.id}")
    page.wait_for_load_state("load")
    expect(page.get_by_text("Worldline Sips — test")).to_be_visible()
    page.get_by_role("button", name="Actualiser depuis la passerelle").click()
    expect(page.get_by_text("Transaction actualisée depuis la passerelle")).to_be_visible()
    expect(page.locator("#txn-summary").get_by_text("Envoyée en banque")).to_be_visible()
    page.screenshot(path=output_dir / "61-transaction-refreshed-from-sips.png", full_page=True)

    # Refund part of it through Sips.
    page.locator("#txn-operations").get_by_role("link", name="Rembourser").click()
    panel = page.locator("#op-panel-detail")
    panel.get_by_label("Montant").fill("30,00")
    panel.get_by_role("button", name="Rembourser").click()
    expect(page.get_by_text("Remboursement enregistré")).to_be_visible()
    assert fake_sips.calls("refund", txn.reference)[0]["operationAmount"] == 3000

    fake_sips.nightly()
    page.get_by_role("button", name="Actualiser depuis la passerelle").click()
    expect(page.locator("#txn-summary").get_by_text("Remboursée")).to_be_visible()
    page.screenshot(path=output_dir / "62-refund-credited-by-sips.png", full_page=True)
    assert Transaction.get_by_id(txn.id).state == "CREDITED"
