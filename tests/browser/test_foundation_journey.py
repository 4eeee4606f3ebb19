"""Browser journeys on Debian's Chromium: first-run setup, login, navigation, lock-out."""
import pytest
from playwright.sync_api import expect

from portal.auth.setup_token import ensure_token
from tests.factories import PASSWORD, make_shop, make_user

pytestmark = pytest.mark.browser


def test_first_run_setup_login_and_navigation(app, page, output_dir):
    token = ensure_token(app.config["INSTANCE_DIR"])
    page.goto("/")
    assert page.url.endswith("/setup")
    page.screenshot(path=output_dir / "01-setup.png", full_page=True)

    page.get_by_label("Jeton d'installation").fill("faux-jeton")
    page.get_by_label("Identifiant de l'administrateur").fill("patronne")
    page.get_by_label("Mot de passe", exact=True).fill("Boutique2026ok")
    page.get_by_label("Confirmation du mot de passe").fill("Boutique2026ok")
    page.get_by_role("button", name="Créer l'administrateur").click()
    expect(page.get_by_text("Jeton incorrect")).to_be_visible()

    page.get_by_label("Jeton d'installation").fill(token)
    page.get_by_label("Mot de passe", exact=True).fill("Boutique2026ok")
    page.get_by_label("Confirmation du mot de passe").fill("Boutique2026ok")
    page.get_by_role("button", name="Créer l'administrateur").click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("Administrateur créé")).to_be_visible()

    page.get_by_label("Identifiant").fill("patronne")
    page.get_by_label("Mot de passe").fill("Boutique2026ok")
    page.get_by_role("button", name="Se connecter").click()
    nav = page.get_by_role("navigation", name="Navigation principale")
    for label in ("Transactions", "Factures", "Fournisseurs", "Ventilation analytique",
                  "Tableau de bord", "Administration"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    # ONB-1: the home page leads to the checklist, which leads through the company and the shop.
    expect(page.get_by_text("Premiers pas : 0 étapes sur 5")).to_be_visible()
    page.screenshot(path=output_dir / "02-home.png", full_page=True)
    page.get_by_role("link", name="Continuer").click()
    page.get_by_role("link", name="Renseigner l'entreprise").click()
    page.get_by_label("Raison sociale").fill("Épicerie du Port SARL")
    page.get_by_label("Adresse", exact=True).fill("3 quai du Port")
    page.get_by_label("Code postal").fill("13002")
    page.get_by_label("Ville").fill("Marseille")
    page.get_by_label("SIREN").fill("552 100 554")
    page.get_by_label("IBAN du compte de l'entreprise").fill("FR76 3000 4000 0312 3456 7890 143")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Identité de l'entreprise enregistrée")).to_be_visible()
    page.get_by_role("link", name="Créer une boutique").click()
    page.get_by_label("Nom de la boutique").fill("Épicerie du Port")
    page.get_by_label("Identifiant commerçant").fill("12345")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("exactement 15 chiffres")).to_be_visible()
    page.screenshot(path=output_dir / "03-shop-error.png", full_page=True)
    page.get_by_label("Identifiant commerçant").fill("012345678901234")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("vous y avez tous les droits")).to_be_visible()
    page.screenshot(path=output_dir / "03-checklist.png", full_page=True)
    page.get_by_role("link", name="Boutiques").click()
    expect(page.get_by_role("cell", name="012345678901234")).to_be_visible()

    # The first payment, with no 403 on the way.
    nav.get_by_role("link", name="Transactions").click()
    page.get_by_role("link", name="Nouveau paiement").click()
    page.wait_for_url("**/transactions/nouveau")
    page.wait_for_load_state("load")
    page.get_by_label("Numéro de carte").fill("4300 0000 0000 0900")
    page.get_by_label("Date d'expiration (MM/AA)").fill("12/29")
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label("Montant").fill("25,00")
    page.get_by_role("button", name="Payer").click()
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    page.screenshot(path=output_dir / "03-first-payment.png", full_page=True)
    nav.get_by_role("link", name="Administration").click()

    page.get_by_role("link", name="Utilisateurs").click()
    page.get_by_role("link", name="Nouvel utilisateur").click()
    page.get_by_label("Identifiant", exact=True).fill("caisse")
    page.get_by_label("Mot de passe").fill("caisse2026secret")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_label("Rembourser").check()
    page.get_by_label("Consulter").check()
    page.get_by_role("button", name="Enregistrer les droits").click()
    expect(page.get_by_text("Droits de caisse enregistrés")).to_be_visible()
    page.screenshot(path=output_dir / "04-user-rights.png", full_page=True)

    page.get_by_role("link", name="Journal d'audit").click()
    expect(page.get_by_role("cell", name="user.rights").first).to_be_visible()
    page.screenshot(path=output_dir / "05-audit.png", full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")


def test_lockout_message_after_ten_failures(app, page, output_dir):
    make_user("admin", is_admin=True)
    make_user("vendeur")
    page.goto("/login")
    for attempt in range(10):
        page.get_by_label("Identifiant").fill("vendeur")
        page.get_by_label("Mot de passe").fill(f"mauvais {attempt}")
        page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert").filter(has_text="Compte verrouillé")).to_be_visible()
    page.screenshot(path=output_dir / "06-locked.png", full_page=True)


def test_user_without_admin_right_sees_no_admin_link_on_phone(app, browser, live_server, output_dir):
    make_user("admin", is_admin=True)
    make_user("vendeur", rights={make_shop(): ["view"]})
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Identifiant").fill("vendeur")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Transactions")).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    page.screenshot(path=output_dir / "07-phone-home.png", full_page=True)
    response = page.goto("/admin/users")
    assert response.status == 403
    context.close()
