"""Issue 11 items 5 and 6: the main pages, with data in them, load without a console error (a CSP
refusal, a missing file, a script error) at desktop and phone widths, and none scrolls sideways
on a 390 px phone (a wide table scrolls inside its own box)."""
import pytest

from portal.auth.rights import SHOP_RIGHTS
from portal.documents import DocumentStore
from tests.browser.steps import log_in
from tests.factories import make_shop, make_user
from tests.worlds import make_shared_objects, make_shop_objects

pytestmark = pytest.mark.browser

PAGES = ["/", "/transactions/", "/transactions/nouveau", "/factures/", "/factures/deposer", "/fournisseurs/",
         "/achats/", "/reglements/", "/ventilation/", "/comptabilite/", "/rapports/depenses", "/rapports/tresorerie",
         "/evaluations/", "/messages/file", "/admin/users", "/premiers-pas", "/entreprise", "/account"]


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_console_error(app, browser, live_server, payment_ctx, width):
    shop = make_shop("Épicerie du Port")
    user = make_user("gerante", is_admin=True, rights={shop: list(SHOP_RIGHTS)})
    shared = make_shared_objects(user)
    ids = make_shop_objects(shop, user, shared["supplier"], payment_ctx,
                            DocumentStore(app.config["DOCUMENTS_DIR"]), "DEMO")
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10000)
    problems = []
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on("response", lambda response: problems.append(f"{response.url}: {response.status}")
            if response.status >= 400 else None)
    log_in(page, "gerante")
    for path in PAGES + [f"/transactions/{ids['transaction_id']}", f"/factures/{ids['invoice_id']}",
                         f"/ventilation/facture/{ids['invoice_id']}", f"/admin/users/{user.id}",
                         f"/fournisseurs/{shared['supplier_id']}", f"/achats/commandes/{ids['order_id']}"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{path}: {scroll_width} px wide at {width} px")
    context.close()
    assert not problems, "\n".join(problems)
