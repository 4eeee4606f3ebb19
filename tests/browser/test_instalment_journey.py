"""Browser journeys of issue 10 items 4 and 5: a payment in 3 instalments with a schedule edited by
hand, reviewed, created, then the 2nd instalment's detail showing the whole schedule (PAY-INST-1/2);
a card saved in a customer's wallet, found by its id and deleted after confirmation (PAY-WAL-1).
Screenshots at 1280 and 390 px go to test-output/ and, when it exists, /tmp/shots/h3/."""
import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import Transaction, WalletCard
from tests.browser.steps import log_in
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.browser

RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate", "manage_wallets"]
SHOTS = Path("/tmp/shots/h3")


def _shoot(page, output_dir, name):
    """The page at 1280 px and at 390 px (phone), full height."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        path = output_dir / f"h3-{name}-{width}.png"
        page.screenshot(path=path, full_page=True)
        if SHOTS.is_dir():
            (SHOTS / path.name).write_bytes(path.read_bytes())
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{name} scrolls sideways at {width}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_payment_in_three_instalments_with_an_edited_schedule(app, page, output_dir, clock):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port", default_network="CB")
    make_user("lea", rights={shop: RIGHTS})
    today = clock.now.date()
    log_in(page, "lea")

    page.goto("/transactions/nouveau")
    page.get_by_role("link", name="Paiement en plusieurs fois").click()
    page.wait_for_url("**/transactions/echelonne")
    page.wait_for_load_state("load")
    page.get_by_label("Numéro de carte").press_sequentially("4300000000000900")
    expect(page.get_by_label("Numéro de carte")).to_have_value("4300 0000 0000 0900")  # spaced while typed
    page.get_by_label("Date d'expiration (MM/AA)").fill("1229")
    page.get_by_label("Date d'expiration (MM/AA)").blur()
    expect(page.get_by_label("Date d'expiration (MM/AA)")).to_have_value("12/29")
    page.get_by_label("Référence de base").fill("CMD2026")
    page.get_by_label("Nombre d'échéances").fill("3")
    page.get_by_label("Périodicité (jours)").fill("30")
    page.get_by_label("Montant total").fill("300,00")
    page.get_by_label("Montant total").blur()
    # Pre-filled on the server: three lines of 100,00, every 30 days.
    expect(page.get_by_label("Montant de l'échéance 3")).to_have_value("100,00")
    expect(page.get_by_label("Date de l'échéance 2")).to_have_value((today + datetime.timedelta(days=30)).isoformat())
    # Edited by hand: a wrong sum first, with its message, then the right one.
    page.get_by_label("Montant de l'échéance 2").fill("120,00")
    page.get_by_label("Date de l'échéance 3").fill((today + datetime.timedelta(days=75)).isoformat())
    page.get_by_role("button", name="Vérifier avant de créer").click()
    expect(page.get_by_text(re.compile(r"20,00\s*€ de trop"))).to_be_visible()
    page.get_by_label("Montant de l'échéance 3").fill("80,00")
    _shoot(page, output_dir, "instalment-form")
    page.get_by_role("button", name="Vérifier avant de créer").click()

    expect(page.get_by_role("heading", name="Vérifier le paiement en plusieurs fois")).to_be_visible()
    expect(page.get_by_role("cell", name="CMD2026E03")).to_be_visible()
    assert Transaction.select().count() == 0
    page.get_by_label("Cryptogramme visuel").fill("123")
    _shoot(page, output_dir, "instalment-review")
    page.get_by_role("button", name="Créer l'échéancier et débiter la première échéance").click()

    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    amounts = [t.amount for t in Transaction.select().order_by(Transaction.instalment_rank)]
    assert amounts == [10000, 12000, 8000]
    page.get_by_role("link", name="CMD2026E02").click()
    expect(page.get_by_role("heading", name="Transaction CMD2026E02")).to_be_visible()
    schedule = page.locator("#txn-schedule")
    expect(schedule.get_by_role("link", name="CMD2026E01")).to_be_visible()
    expect(schedule.get_by_role("link", name="CMD2026E03")).to_be_visible()
    expect(schedule.get_by_text("En attente de demande d'autorisation")).to_have_count(2)
    expect(schedule.get_by_text("À envoyer en banque")).to_be_visible()
    _shoot(page, output_dir, "instalment-detail")


def test_card_saved_in_a_wallet_found_and_deleted(app, page, output_dir, clock):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port", default_network="CB")
    make_user("lea", rights={shop: RIGHTS})
    log_in(page, "lea")

    page.goto("/transactions/nouveau")
    page.wait_for_load_state("load")
    page.get_by_label("Numéro de carte").fill("4300 0000 0000 0900")
    page.get_by_label("Date d'expiration (MM/AA)").fill("12/29")
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label("Montant").fill("25,00")
    # The fields' checks (htmx, on change and as the card number is typed) swap parts of the form:
    # a box ticked while one lands can come back unticked (seen once on a loaded machine).
    page.wait_for_load_state("networkidle")
    page.get_by_label("Enregistrer la carte dans le portefeuille du client").check()
    page.get_by_role("button", name="Payer").click()
    # Refused: the wallet id is missing; the focus goes to the first field in error.
    expect(page.get_by_text("Saisissez l'identifiant du portefeuille")).to_be_visible()
    expect(page.get_by_label("Identifiant du portefeuille")).to_be_focused()
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label("Identifiant du portefeuille").fill("CLIENT-42")
    page.get_by_label("Libellé de la carte (facultatif)").fill("Carte perso")
    page.get_by_role("button", name="Payer").click()
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()

    page.goto("/transactions/portefeuilles/")
    page.wait_for_load_state("load")
    page.get_by_label("Identifiant complet du portefeuille").fill("CLIENT-42")
    page.get_by_role("button", name="Rechercher").click()
    row = page.locator("#wallet-result tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_text("•••• 0900")).to_be_visible()
    expect(row.get_by_text("Carte perso")).to_be_visible()
    assert "portefeuille=CLIENT-42" in page.url  # the search is in the URL (hx-push-url)
    _shoot(page, output_dir, "wallet")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    row.get_by_role("link", name="Supprimer").click()
    expect(row.get_by_text("Supprimée")).to_be_visible()
    assert "0900" in messages[0]
    assert WalletCard.get().deleted_at is not None
    page.reload()
    expect(page.get_by_text("Aucune carte dans ce portefeuille.")).to_be_visible()
