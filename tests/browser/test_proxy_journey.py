"""Browser journeys of OPS-4 and OPS-8: a user logs in through nginx at /comptoir/ and moves between
pages (links, styles, scripts and htmx all under the prefix); the page shown while the database
is down."""
import re

import pytest
from playwright.sync_api import expect

from config import TestConfig
from portal import create_app
from tests.factories import PASSWORD, make_shop, make_user
from tests.nginx import free_port, running_nginx, serving

pytestmark = pytest.mark.browser


@pytest.fixture
def proxied_page(browser, app, tmp_path):
    app.config.update(BEHIND_PROXY=True, TRUSTED_PROXIES="127.0.0.1 ::1")
    with serving(app) as port, running_nginx(tmp_path / "nginx", port) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(10000)
        failures = []
        page.on("response", lambda response: failures.append(response.url) if response.status >= 400 else None)
        page.on("requestfailed", lambda request: failures.append(request.url))
        yield page, url, failures
        context.close()


# The stylesheet came through the prefix: the header has its colours, not the browser's defaults.
HEADER_STYLED = ("getComputedStyle(document.querySelector('.site-header')).backgroundColor"
                 " !== 'rgba(0, 0, 0, 0)'")

def test_ops_4_logs_in_and_navigates_under_comptoir_through_nginx(proxied_page, output_dir):
    page, url, failures = proxied_page
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("lea", display_name="Léa Martin", rights={shop: ["view", "manage_suppliers", "approve_invoices"]})

    page.goto(url + "/")
    expect(page).to_have_url(url + "/login?next=%2Fcomptoir%2F")
    page.get_by_label("Identifiant").fill("lea")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Bonjour Léa Martin")).to_be_visible()
    assert page.url == url + "/"
    # Waits for the stylesheet (it may still be loading when the heading shows) and fails if it never applies.
    page.wait_for_function(HEADER_STYLED)
    page.screenshot(path=output_dir / "90-proxy-home.png", full_page=True)

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Factures").click()
    expect(page.get_by_role("heading", name="Factures fournisseurs")).to_be_visible()
    assert page.url.startswith(url + "/factures/")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_label("Statut").select_option(index=1)  # htmx swaps the results and pushes the URL
    expect(page).to_have_url(re.compile(re.escape(url + "/factures/?") + ".*statut="))
    page.screenshot(path=output_dir / "91-proxy-invoices.png", full_page=True)

    page.get_by_role("link", name="Léa Martin").click()
    expect(page).to_have_url(url + "/account")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(url + "/login")
    assert failures == []


def test_ops_8_database_down_page_in_the_browser(browser, tmp_path, output_dir):
    app = create_app(TestConfig, DATABASE_URL=f"postgresql://comptoir@127.0.0.1:{free_port()}/comptoir",
                     INSTANCE_DIR=tmp_path / "instance", DB_CONNECT_TIMEOUT=2)
    with serving(app) as port:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page = context.new_page()
        response = page.goto(f"http://127.0.0.1:{port}/factures/")
        assert response.status == 503
        expect(page.get_by_role("heading", name="Service momentanément indisponible")).to_be_visible()
        expect(page.get_by_role("link", name="Réessayer")).to_have_attribute("href", "/factures/")
        page.wait_for_function(HEADER_STYLED)
        page.screenshot(path=output_dir / "92-database-down.png", full_page=True)
        context.close()
