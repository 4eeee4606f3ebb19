"""Issue 11 (DEMO-1, LOC-1, LOC-3): the demo instance, browsed as a newcomer would, in French and in
English, at desktop and phone widths. In English, the interface itself (headings, labels, buttons,
column heads, menu) holds none of a list of French words; the demo's own data (supplier names, invoice
lines, shop names) is French and is not looked at."""
import re

import pytest
from playwright.sync_api import expect

from models import Invoice, Transaction, User
from portal.demo import _demo_payments, build_demo
from portal.documents import document_store
from tests.browser.steps import log_in

pytestmark = pytest.mark.browser

PAGES = ["/", "/transactions/", "/transactions/tableau-de-bord", "/transactions/nouveau", "/transactions/echelonne",
         "/transactions/portefeuilles/", "/factures/", "/fournisseurs/", "/achats/", "/reglements/", "/ventilation/",
         "/comptabilite/", "/rapports/depenses", "/rapports/tresorerie", "/evaluations/", "/messages/file",
         "/admin/users", "/admin/audit", "/entreprise", "/account"]
FRENCH_WORDS = ["Annuler", "Rembourser", "Fournisseur", "Montant", "Enregistrer", "Rechercher", "Statut",
                "Référence", "Échéance", "Facture", "Enregistrée", "Valider", "Payer", "Ajouter"]
INTERFACE = ("main h1, main h2, main h3, main label, main button, main th, main legend, main summary, "
             "main .button, .main-nav a, .user-menu a, .user-menu button")


def test_demo_1_loc_3_demo_browsed_in_french_and_english(app, browser, live_server, output_dir):
    username, password = build_demo(document_store(app.config), payments=_demo_payments(app))
    details = [f"/transactions/{Transaction.select().order_by(Transaction.id).first().id}",
               f"/factures/{Invoice.select().order_by(Invoice.id).first().id}"]
    problems = []
    for language in ("fr", "en"):
        User.update(language=language).where(User.username == username).execute()
        for width in (1280, 390):
            context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15000)
            page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
            log_in(page, username, password)
            expect(page.locator("main h1").first).to_be_visible()
            for number, path in enumerate(PAGES + details):
                response = page.goto(path)
                if response.status >= 400:
                    problems.append(f"{language} {path}: {response.status}")
                page.wait_for_load_state("networkidle")
                if page.evaluate("document.documentElement.scrollWidth") > width:
                    problems.append(f"{language} {path}: wider than {width} px")
                if language == "en":
                    texts = page.locator(INTERFACE).all_inner_texts()
                    for word in FRENCH_WORDS:
                        found = [text for text in texts if re.search(rf"\b{word}\b", text)]
                        if found:
                            problems.append(f"en {path}: « {word} » in {found[:3]}")
                if width == 1280 or path in ("/", "/transactions/", "/factures/"):
                    page.screenshot(path=output_dir / f"demo-{language}-{width}-{number:02d}.png", full_page=True)
            context.close()
    assert not problems, "\n".join(problems)
