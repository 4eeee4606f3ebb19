"""PAY-DASH-1 pages: the dashboard (figures linking into the filtered transaction list, charts, the
htmx fragment, bad input under its field, shops checked) and the home page for each combination
of rights."""
import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from models import Invoice, Transaction
from portal.payments.acquirer import simulator_card
from portal.payments.remittance import remit
from tests.factories import make_shop, make_supplier, make_transaction, make_user
from tests.query_count import counting

DAY = datetime.timedelta(days=1)
HX = {"HX-Request": "true", "HX-Target": "dashboard"}
DEBUG_SQL = False


def _links(page):
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/transactions/\?[^"]+)"', page)]


def test_pay_dash_1_menu_entry_opens_the_dashboard(client, login_as, shop, clock):
    login_as(rights=["view"], shop=shop)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/transactions/tableau-de-bord"' in home
    assert client.get("/tableau-de-bord/").headers["Location"].endswith("/transactions/tableau-de-bord")
    response = client.get("/transactions/tableau-de-bord")
    assert response.status_code == 200
    assert "Tableau de bord des paiements" in response.get_data(as_text=True)


def test_pay_dash_1_figures_and_links_into_the_list(client, login_as, shop, payment_ctx, clock):
    login_as(rights=["view"], shop=shop)
    make_transaction(payment_ctx, shop, 12000)
    make_transaction(payment_ctx, shop, 3000, card=simulator_card("430000", "00", "51"))
    remit(payment_ctx, clock.now.date())
    response = client.get("/transactions/tableau-de-bord")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request, HX-Target" in response.headers["Vary"]
    assert "120,00\u00a0€" in page and "30,00\u00a0€" in page
    assert "Montant trop élevé ou provision insuffisante (51)" in page  # a label, never the code alone
    assert page.count("<svg") == 2 and 'hx-get="/transactions/tableau-de-bord/jours?' in page
    series = client.get("/transactions/tableau-de-bord/jours", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in series and series.count("<svg") == 2  # wide, and narrow for phones
    assert "Montant (EUR)" in series and "Jour de création des transactions" in series
    assert "120,00\u00a0€" in series  # the top of the scale is a round amount above the busiest day
    day = clock.now.date().isoformat()
    links = [parse_qs(urlsplit(link).query) for link in _links(page)]
    accepted = next(q for q in links if "CAPTURED" in q.get("etat", []) and "reseau" not in q)
    assert accepted["du"] == accepted["au"] == [day] and accepted["devise"] == ["EUR"]
    assert any(q.get("etat") == ["REFUSED", "FRAUD_SUSPECTED"] for q in links)
    assert any(q.get("etat") == ["TO_VALIDATE", "TO_CAPTURE"] for q in links)
    assert any(q.get("reseau") == ["CB"] for q in links)


def test_pay_dash_1_htmx_gets_the_fragment_and_a_count_scale(client, login_as, shop, payment_ctx, clock):
    login_as(rights=["view"], shop=shop)
    make_transaction(payment_ctx, shop, 12000)
    fragment = client.get("/transactions/tableau-de-bord?echelle=nombre", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'class="dash-figures"' in fragment and "echelle=nombre" in fragment
    series = client.get("/transactions/tableau-de-bord/jours?echelle=nombre", headers={"HX-Request": "true"})
    assert "Nombre de transactions" in series.get_data(as_text=True)
    without_htmx = client.get("/transactions/tableau-de-bord/jours").get_data(as_text=True)
    assert "<html" in without_htmx and "Retour au tableau de bord" in without_htmx
    assert client.get("/transactions/tableau-de-bord/jours?jour=2099-01-01").status_code == 422


@pytest.mark.parametrize("value, message", [
    ("2099-01-01", "Ce jour est dans le futur"),
    ("2026-01-01", "Le tableau de bord remonte à 60 jours"),
    ("10/03/2026x", "Date illisible"),
    ("'; DROP TABLE card_transaction; --", "Date illisible"),
])
def test_pay_dash_1_day_outside_the_window_says_why(client, login_as, shop, clock, value, message):
    login_as(rights=["view"], shop=shop)
    for headers in ({}, HX):
        response = client.get("/transactions/tableau-de-bord", query_string={"jour": value}, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in page and 'id="jour-error"' in page and 'class="dash-figures"' not in page


def test_pay_dash_1_sixty_days_back_is_allowed(client, login_as, shop, clock):
    login_as(rights=["view"], shop=shop)
    oldest = (clock.now.date() - 60 * DAY).isoformat()
    assert client.get(f"/transactions/tableau-de-bord?jour={oldest}").status_code == 200


def test_pay_dash_1_bad_currency_and_shop(client, login_as, shop, clock):
    login_as(rights=["view"], shop=shop)
    assert client.get("/transactions/tableau-de-bord?devise=<script>").status_code == 422
    assert client.get("/transactions/tableau-de-bord?boutique=abc").status_code == 422
    assert client.get("/transactions/tableau-de-bord?devise=usd").status_code == 200


def test_sec_1_dashboard_only_for_the_users_shops(client, login_as, shop, payment_ctx, clock):
    other = make_shop(name="Boutique d'à côté")
    make_transaction(payment_ctx, other, 77700)
    login_as(rights=["view"], shop=shop)
    page = client.get("/transactions/tableau-de-bord").get_data(as_text=True)
    assert "777,00" not in page and "Boutique d'à côté" not in page
    assert client.get(f"/transactions/tableau-de-bord?boutique={other.id}").status_code == 403


def test_pay_dash_1_shop_filter_when_several(client, admin, shop, payment_ctx, clock):
    second = make_shop(name="Seconde boutique")
    make_user("gerant", rights={shop: ["view"], second: ["view"]})
    client.login("gerant")
    make_transaction(payment_ctx, shop, 1000)
    make_transaction(payment_ctx, second, 2000)
    page = client.get("/transactions/tableau-de-bord").get_data(as_text=True)
    assert 'name="boutique"' in page and "30,00\u00a0€" in page
    only = client.get(f"/transactions/tableau-de-bord?boutique={second.id}").get_data(as_text=True)
    assert "20,00\u00a0€" in only and f"boutique={second.id}" in only


def test_auth_2_dashboard_needs_the_view_right(client, login_as, shop):
    login_as(rights=["approve_invoices"], shop=shop)
    assert client.get("/transactions/tableau-de-bord").status_code == 403


def test_pay_dash_1_page_query_count_is_constant(client, login_as, shop, payment_ctx, clock):
    login_as(rights=["view"], shop=shop)
    make_transaction(payment_ctx, shop, 1000)
    with counting() as few:
        assert client.get("/transactions/tableau-de-bord").status_code == 200
    with counting() as few_series:
        assert client.get("/transactions/tableau-de-bord/jours").status_code == 200
    Transaction.insert_many([
        dict(shop=shop.id, reference=f"B{n:06d}", amount=1000 + n, currency="EUR", capture_mode="AUTO",
             state=("CAPTURED", "REFUSED", "TO_CAPTURE")[n % 3], created_at=clock.now - datetime.timedelta(hours=n % 200),
             card_token="tok", masked_pan="430000******0000", networks="CB,VISA", network=("CB", "VISA")[n % 2],
             card_expiry_year=2030, card_expiry_month=12, response_code=("00", "05", "00")[n % 3])
        for n in range(400)]).execute()
    with counting() as many:
        assert client.get("/transactions/tableau-de-bord").status_code == 200
    with counting() as many_series:
        assert client.get("/transactions/tableau-de-bord/jours").status_code == 200
    assert many[0] == few[0] <= 8, (few[0], many[0])
    assert many_series[0] == few_series[0] <= 6, (few_series[0], many_series[0])


# --- Home page ------------------------------------------------------------------------------------


def _invoice(shop, number, status, due, gross=12000):
    supplier = make_supplier(name=f"Fournisseur {number}")
    return Invoice.create(shop=shop, supplier=supplier, number=number, issue_date=due - 30 * DAY, due_date=due,
                          currency="EUR", total_net=gross * 5 // 6, total_vat=gross - gross * 5 // 6,
                          total_gross=gross, status=status)


@pytest.fixture
def merchant_day(shop, payment_ctx, clock):
    today = clock.now.date()
    make_transaction(payment_ctx, shop, 4500)
    _invoice(shop, "F-RECU", "RECEIVED", today + 20 * DAY)
    _invoice(shop, "F-APPROUVER", "IN_HAND", today + 20 * DAY)
    _invoice(shop, "F-SEMAINE", "APPROVED", today + DAY, gross=30000)
    _invoice(shop, "F-RETARD", "APPROVED", today - 5 * DAY, gross=10000)
    _invoice(shop, "F-PLUS-TARD", "APPROVED", today + 40 * DAY, gross=99900)
    return today


def test_home_payments_only_with_view(client, login_as, shop, merchant_day):
    login_as(rights=["view"], shop=shop)
    page = client.get("/").get_data(as_text=True)
    assert "Paiements carte du jour" in page and "45,00\u00a0€" in page
    assert f"/transactions/?du={merchant_day.isoformat()}&amp;au={merchant_day.isoformat()}" in page
    assert "Factures en attente" not in page and "Règlements fournisseurs" not in page and "Solde prévu" not in page


def test_home_invoices_to_approve_with_approve_right(client, login_as, shop, merchant_day):
    login_as(rights=["approve_invoices"], shop=shop)
    page = client.get("/").get_data(as_text=True)
    assert "Factures en attente d&#39;approbation" in page or "Factures en attente d'approbation" in page
    assert "1 à approuver" in page and "1 reçue, à prendre en charge" in page
    assert "/factures/?statut=IN_HAND" in page
    assert "Paiements carte du jour" not in page and "Règlements fournisseurs" not in page
    assert "Solde prévu dans 4 semaines" in page  # any payables right opens the cash position


def test_home_payments_due_this_week_and_cash_with_pay_right(client, login_as, shop, merchant_day):
    login_as(rights=["pay_invoices", "view"], shop=shop)
    page = client.get("/").get_data(as_text=True)
    # Due by Sunday: this week's 300,00 € and the overdue 100,00 €; not the one due in 40 days.
    assert "2 factures à payer d&#39;ici le" in page or "2 factures à payer d'ici le" in page
    assert "400,00\u00a0€" in page and "dont 1 en retard (100,00\u00a0€)" in page
    assert "Solde prévu" in page and "/rapports/tresorerie" in page
    assert "Paiements carte du jour" in page and "Factures en attente" not in page


def test_home_no_right_says_what_to_do(client, login_as):
    login_as("sans-droit")
    page = client.get("/").get_data(as_text=True)
    assert "aucun droit sur une boutique" in page and "Paiements carte du jour" not in page


def test_home_other_shops_never_counted(client, login_as, shop, payment_ctx, clock):
    other = make_shop()
    make_transaction(payment_ctx, other, 88800)
    _invoice(other, "F-AUTRE", "IN_HAND", clock.now.date())
    login_as(rights=["view", "approve_invoices"], shop=shop)
    page = client.get("/").get_data(as_text=True)
    assert "888,00" not in page and "0 à approuver" in page


def test_loc_3_menu_marks_only_the_page_s_own_entry(client, login_as, shop):
    """/transactions/tableau-de-bord belongs to the dashboard entry, not to Transactions as well."""
    login_as("gerante", rights=["view", "manage_wallets"], shop=shop)
    page = client.get("/transactions/tableau-de-bord").get_data(as_text=True)
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert nav.count('aria-current="page"') == 1
    assert re.search(r'aria-current="page">Tableau de bord<', nav)
    assert "Portefeuilles" in nav
    page = client.get("/transactions/").get_data(as_text=True)
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert nav.count('aria-current="page"') == 1 and re.search(r'aria-current="page">Transactions<', nav)
