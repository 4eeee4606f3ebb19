"""Browser journey of a new merchant user (issue 3): pay in validation mode, validate part,
remit, refund twice, be refused a refund above the balance, duplicate, download the receipt."""
import re

import pytest
from playwright.sync_api import expect

from models import Transaction
from portal.payments.remittance import remit
from tests.browser.steps import log_in
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.browser

RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate"]


def test_merchant_day_with_inline_operations(app, page, output_dir, clock, payment_ctx):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port", default_network="CB")
    make_user("lea", rights={shop: RIGHTS})
    log_in(page, "lea")

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Transactions").click()
    page.get_by_role("link", name="Nouveau paiement").click()
    # A click does not wait for the new page's deferred scripts: typing before htmx is wired
    # would send no live check (the networks would never appear).
    page.wait_for_url("**/transactions/nouveau")
    page.wait_for_load_state("load")
    page.get_by_label("Numéro de carte").fill("4300 0000 0000 0900")
    # Co-badged card: both networks appear while typing, CB preselected (shop setting).
    expect(page.get_by_role("radio", name="CB")).to_be_checked()
    expect(page.get_by_role("radio", name="Visa")).to_be_visible()
    page.get_by_role("radio", name="Visa").check()
    page.get_by_label("Date d'expiration (MM/AA)").fill("12/29")
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label("Montant").fill("1,5")
    page.get_by_label("Montant").fill("100,001")
    page.get_by_label("Montant").blur()
    expect(page.get_by_text("Trop de décimales")).to_be_visible()
    page.get_by_label("Montant").fill("100,00")
    page.get_by_label("Montant").blur()
    expect(page.get_by_text("Trop de décimales")).to_have_count(0)
    page.get_by_label("Par validation").check()
    page.get_by_label("Délai d'envoi en banque (jours)").fill("3")
    page.get_by_label("Référence de commande (facultatif)").fill("CMD-2026-001")
    page.screenshot(path=output_dir / "10-new-payment.png", full_page=True)
    page.get_by_role("button", name="Payer").click()

    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    expect(page.get_by_text("Autorisation n°")).to_be_visible()
    page.screenshot(path=output_dir / "11-payment-accepted.png", full_page=True)
    txn = Transaction.get()
    assert txn.network == "VISA" and txn.state == "TO_VALIDATE"

    # Validate part of it from the list: the rest is cancelled.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Transactions").click()
    page.wait_for_load_state("load")  # htmx wired before the inline operation is opened
    row = page.locator(f"#txn-row-{txn.id}")
    expect(row.get_by_role("button", name="Rembourser")).to_be_disabled()
    row.get_by_role("link", name="Valider").click()
    amount = page.locator(f"#op-panel-{txn.id}").get_by_label("Montant")
    expect(amount).to_have_value("100,00")
    amount.press("Escape")  # closes the panel and gives the focus back to the button that opened it
    expect(page.locator(f"#op-panel-{txn.id}")).to_be_empty()
    expect(row.get_by_role("link", name="Valider")).to_be_focused()
    row.get_by_role("link", name="Valider").click()
    expect(amount).to_have_value("100,00")
    amount.fill("80,00")
    page.screenshot(path=output_dir / "12-validate-form.png", full_page=True)
    page.locator(f"#op-panel-{txn.id}").get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Le solde de 20,00")).to_be_visible()
    expect(row.get_by_text("À envoyer en banque")).to_be_visible()
    page.screenshot(path=output_dir / "13-validated-row-updated.png", full_page=True)

    # The nightly run sends it to the bank.
    remit(payment_ctx, clock.now.date())

    row.get_by_role("link", name=txn.reference).click()
    expect(page.get_by_text("Envoyée en banque").first).to_be_visible()
    for refund in ("30,00", "20,00"):
        page.locator("#txn-operations").get_by_role("link", name="Rembourser").click()
        panel = page.locator("#op-panel-detail")
        panel.get_by_label("Montant").fill(refund)
        panel.get_by_role("button", name="Rembourser").click()
        expect(panel.get_by_text("opération réussie")).to_be_visible()
    expect(page.locator("#txn-summary").get_by_text("30,00", exact=False).first).to_be_visible()
    page.screenshot(path=output_dir / "14-two-refunds.png", full_page=True)

    page.locator("#txn-operations").get_by_role("link", name="Rembourser").click()
    panel = page.locator("#op-panel-detail")
    expect(panel.get_by_label("Montant")).to_have_value("30,00")
    panel.get_by_label("Montant").fill("30,01")
    panel.get_by_role("button", name="Rembourser").click()
    expect(panel.get_by_text("Montant trop élevé : il reste 30,00")).to_be_visible()
    page.screenshot(path=output_dir / "15-refund-refused.png", full_page=True)

    page.locator("#txn-operations").get_by_role("link", name="Dupliquer").click()
    panel = page.locator("#op-panel-detail")
    panel.get_by_label("Montant").fill("45,00")
    panel.get_by_label("Automatique").check()
    page.screenshot(path=output_dir / "16-duplicate-form.png", full_page=True)
    panel.get_by_role("button", name="Dupliquer").click()
    expect(panel.get_by_text("Transaction dupliquée")).to_be_visible()
    page.screenshot(path=output_dir / "17-duplicated.png", full_page=True)
    copy = Transaction.get(Transaction.duplicated_from == txn)
    assert copy.amount == 4500 and copy.state == "TO_CAPTURE"

    with page.expect_download() as download_info:
        page.evaluate("""() => {
            const link = [...document.querySelectorAll('#receipts-title ~ ul a')].find(a => a.textContent.includes('PDF A4'));
            const a = document.createElement('a'); a.href = link.href; a.download = 'recu.pdf'; document.body.append(a); a.click();
        }""")
    receipt_path = output_dir / "18-receipt.pdf"
    download_info.value.save_as(receipt_path)
    assert receipt_path.read_bytes().startswith(b"%PDF")
    page.screenshot(path=output_dir / "19-detail.png", full_page=True)
    assert re.search(r"Remboursement de 30,00", page.content())


def test_new_payment_errors_and_phone_layout(app, browser, live_server, output_dir, clock, payment_ctx):
    from tests.factories import make_transaction

    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    other = make_shop("Marché couvert")
    make_user("lea", rights={shop: RIGHTS, other: ["view"]})
    make_transaction(payment_ctx, shop, 4990)
    make_transaction(payment_ctx, other, 123456, capture_mode="VALIDATION", capture_delay=2)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10000)
    log_in(page, "lea")
    page.goto("/transactions/")
    expect(page.get_by_role("cell", name="Marché couvert")).to_be_visible()
    page.screenshot(path=output_dir / "20-phone-list.png", full_page=True)
    page.goto("/transactions/nouveau")
    page.get_by_label("Numéro de carte").fill("4300 0000 0000 0901")
    expect(page.get_by_text("clé de contrôle Luhn")).to_be_visible()
    page.get_by_label("Date d'expiration (MM/AA)").fill("01/21")
    page.get_by_label("Montant").fill("abc")
    page.get_by_role("button", name="Payer").click()
    expect(page.get_by_text("corrigez les champs signalés")).to_be_visible()
    expect(page.get_by_text("Cette carte est expirée")).to_be_visible()
    expect(page.get_by_text("Montant illisible")).to_be_visible()
    page.screenshot(path=output_dir / "21-phone-new-payment-errors.png", full_page=True)
    page.goto("/transactions/cartes-de-test")
    page.screenshot(path=output_dir / "22-phone-test-cards.png", full_page=True)
    context.close()
