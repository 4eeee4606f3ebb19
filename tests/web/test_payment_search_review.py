"""What a review of the transaction list found (issue 10): the export sorted by shop, a state given
twice, forged page cursors, the dashboard's currency and shop, the saved view's sort, the export of a
user whose export right covers fewer shops than the list, and query arguments url_for takes as its own."""
import base64
import html
import re

import pytest

from models import SavedView
from tests.factories import make_shop, make_user
from tests.web.test_payment_search_pages import HX, RIGHTS, TODAY, add_transactions


def _csv_lines(response):
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:500])
    return response.get_data().decode("utf-8-sig").strip().split("\r\n")[1:]


@pytest.fixture
def two_shops(client, admin, clock):
    """A merchant with every right on « Alpha » (EUR) and « Bravo » (USD)."""
    alpha, bravo = make_shop("Alpha"), make_shop("Bravo", currency="USD")
    user = make_user("marchand", rights={alpha: RIGHTS, bravo: RIGHTS})
    assert client.login("marchand").status_code == 302
    return user, alpha, bravo


def test_pay_exp_1_export_sorted_by_shop_follows_the_list(client, two_shops):
    _, alpha, bravo = two_shops
    add_transactions(alpha, 2, reference=None, order="ALPHA")
    add_transactions(bravo, 2, currency="USD", order="BRAVO")
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/transactions/export.{fmt}?tri=boutique&ordre=asc").status_code == 200
    lines = _csv_lines(client.get("/transactions/export.csv?tri=boutique&ordre=asc"))
    assert [line.split(";")[2] for line in lines] == ["Alpha", "Alpha", "Bravo", "Bravo"]
    lines = _csv_lines(client.get("/transactions/export.csv?tri=boutique&ordre=desc"))
    assert [line.split(";")[2] for line in lines] == ["Bravo", "Bravo", "Alpha", "Alpha"]


def test_pay_srch_1_a_state_given_twice_lists_each_row_once(client, two_shops):
    _, alpha, _ = two_shops
    add_transactions(alpha, 3, state="TO_CAPTURE")
    add_transactions(alpha, 2, state="CAPTURED")
    query = "etat=TO_CAPTURE&etat=TO_CAPTURE&etat=CAPTURED"
    body = html.unescape(client.get(f"/transactions/?{query}").get_data(as_text=True))
    assert len(re.findall(r'id="txn-row-\d+"', body)) == 5
    assert len(_csv_lines(client.get(f"/transactions/export.csv?{query}"))) == 5


@pytest.mark.parametrize("raw", [b"\x00\x1f5", b"AB\x00C\x1f7", b"2026-01-01T00:00:00\x00\x1f3"])
@pytest.mark.parametrize("sort", ["reference", "carte", "date", "montant"])
def test_pay_srch_2_forged_cursor_with_a_nul_shows_the_first_page(client, two_shops, raw, sort):
    _, alpha, _ = two_shops
    add_transactions(alpha, 2)
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for name in ("apres", "avant"):
        response = client.get(f"/transactions/?tri={sort}&{name}={token}")
        assert response.status_code == 200 and 'id="txn-row-' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["devise=ABC", "devise=ZZZ", "boutique=%C2%B2", "boutique=99999999999999999999"])
def test_pay_dash_1_unknown_currency_or_shop_gets_a_message(client, two_shops, query):
    for path in ("/transactions/tableau-de-bord", "/transactions/tableau-de-bord/jours"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 422), (path, query, response.status_code)
        assert "inconnue" in response.get_data(as_text=True), (path, query)


def test_pay_exp_1_chosen_rows_ignore_what_is_not_an_id(client, two_shops):
    _, alpha, _ = two_shops
    row = add_transactions(alpha, 2)[0]
    lines = _csv_lines(client.get(f"/transactions/export.csv?choix=%C2%B2&choix={row.id}&choix=99999999999999999999"))
    assert len(lines) == 1 and row.reference in lines[0]


def test_pay_srch_3_a_saved_view_keeps_the_sort(client, two_shops):
    user, alpha, _ = two_shops
    add_transactions(alpha, 2)
    body = html.unescape(client.get("/transactions/?tri=montant&ordre=asc&devise=EUR").get_data(as_text=True))
    kept = re.search(r'name="filters" value="([^"]*)"', body).group(1)
    assert "tri=montant" in kept and "ordre=asc" in kept and "devise=EUR" in kept
    client.post("/transactions/vues", data={"name": "Par montant", "filters": kept}, headers={"HX-Request": "true"})
    saved = SavedView.get(SavedView.user == user).query
    assert "tri=montant" in saved and "ordre=asc" in saved
    # An id beyond what the database holds deletes nothing and is no error.
    assert client.post("/transactions/vues/supprimer", data={"vue": "99999999999999999999"}).status_code == 303
    assert SavedView.select().count() == 1


def test_pay_exp_1_export_reads_amounts_as_the_list_does_and_keeps_to_exportable_shops(client, admin, clock):
    alpha, bravo = make_shop("Alpha"), make_shop("Bravo", currency="USD")
    make_user("vendeur", rights={alpha: ["view"], bravo: ["view", "export"]})
    assert client.login("vendeur").status_code == 302
    add_transactions(alpha, 2, amount=150, order="ALPHA")  # 1,50 €
    add_transactions(bravo, 3, amount=150, currency="USD", order="BRAVO")  # 1,50 $
    add_transactions(bravo, 1, amount=50, currency="USD", order="BRAVO")  # 0,50 $
    # The list reads « 1 » in the first shop's currency (euros): only its euro rows match ...
    body = html.unescape(client.get("/transactions/?montant_min=1").get_data(as_text=True))
    assert "ALPHA" in body and "BRAVO" not in body
    # ... and the export reads it the same way, then keeps what it may export: nothing here.
    assert _csv_lines(client.get("/transactions/export.csv?montant_min=1")) == []
    lines = _csv_lines(client.get("/transactions/export.csv?devise=USD&montant_min=1"))
    assert len(lines) == 3 and all("BRAVO" in line for line in lines)
    assert client.get(f"/transactions/export.csv?boutique={alpha.id}").status_code == 403


@pytest.mark.parametrize("name", ["endpoint", "_anchor", "_scheme", "_method", "_external", "totaux", "values"])
def test_sec_2_query_arguments_named_like_url_for_parameters(client, two_shops, name):
    _, alpha, _ = two_shops
    add_transactions(alpha, 1)
    totals = client.get(f"/transactions/totaux?{name}=x")
    assert totals.status_code == 302 and "totaux=1" in totals.headers["Location"]
    assert client.get(f"/transactions/export.csv?du=bad&{name}=x").status_code == 302
    for url in (f"/factures/?{name}=x", f"/rapports/depenses?{name}=x", f"/ventilation/rapport?{name}=x",
                f"/messages/file?{name}=x", f"/achats/?{name}=x", f"/comptabilite/fec?{name}=x"):
        assert client.get(url).status_code in (200, 303, 403), url


def test_pay_srch_1_export_of_a_bad_filter_goes_back_to_the_list(client, two_shops):
    response = client.get(f"/transactions/export.xlsx?du={TODAY.isoformat()}&au=2020-01-01")
    assert response.status_code == 302
    listed = client.get(response.headers["Location"], headers=HX)
    assert listed.status_code == 422 and "La date de fin précède" in listed.get_data(as_text=True)
