"""The sort control of the transaction list (issue 10, PAY-SRCH-2 on a phone): the table becomes cards
without column headers under 700 px, so the filter form carries the sort as two drop-down lists
(column, direction), in the URL, applied by htmx on change and kept by a search."""
import html
import re

from models import Transaction
from tests.factories import make_shop
from tests.web.test_payment_search_pages import HX, RIGHTS, add_transactions, merchant  # noqa: F401


def _body(client, url, headers=None, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _form(body):
    return re.search(r'<form id="search-form".*?</form>', body, re.S).group(0)


def _options(form, name):
    select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', form, re.S).group(1)
    return re.findall(r'<option value="(\w+)"', select), re.findall(r'<option value="(\w+)" selected', select)


def test_pay_srch_2_sort_control_in_the_filter_form(client, merchant, shop):
    add_transactions(shop, 3, amount=1000)
    form = _form(_body(client, "/transactions/"))
    values, selected = _options(form, "tri")
    # One shop: no shop column, so no sort by shop either.
    assert values == ["date", "reference", "carte", "montant", "etat"] and selected == ["date"]
    assert _options(form, "ordre") == (["desc", "asc"], ["desc"])
    assert '<label for="f-tri">Trier par</label>' in form and '<label for="f-ordre">Ordre</label>' in form
    assert 'hx-trigger="submit, change from:#f-tri, change from:#f-ordre"' in form
    # Nothing else sends the sort: the lists are the only fields named tri and ordre.
    assert form.count('name="tri"') == 1 and form.count('name="ordre"') == 1


def test_pay_srch_2_sort_control_follows_the_url_and_sorts(client, merchant, shop):
    rows = add_transactions(shop, 4, amount=1000)
    for n, txn in enumerate(rows):
        Transaction.update(amount=[3000, 1000, 4000, 2000][n]).where(Transaction.id == txn.id).execute()
    # What the form sends after the user picks "Montant" then "Croissant", as htmx asks it.
    body = _body(client, "/transactions/?du=&au=&tri=montant&ordre=asc", headers=HX)
    ids = [int(i) for i in re.findall(r'id="txn-row-(\d+)"', body)]
    assert ids == [rows[1].id, rows[3].id, rows[0].id, rows[2].id]
    form = _form(body)
    assert _options(form, "tri")[1] == ["montant"] and _options(form, "ordre")[1] == ["asc"]
    # The column headers (wide screens) agree with the lists.
    assert re.search(r'aria-sort="ascending">\s*<a class="sort"[^>]*>Montant', body)
    # An unknown column or direction falls back to the default sort, never an error.
    form = _form(_body(client, "/transactions/?tri=evil&ordre=sideways"))
    assert _options(form, "tri")[1] == ["date"] and _options(form, "ordre")[1] == ["desc"]


def test_pay_srch_2_sort_control_offers_the_shop_with_several_shops_and_in_english(client, merchant, shop):
    from models import ShopRight

    second = make_shop("Deuxième boutique")
    for right in RIGHTS:
        ShopRight.create(user=merchant, shop=second, right=right)
    form = _form(_body(client, "/transactions/?tri=boutique&ordre=asc"))
    assert _options(form, "tri") == (["date", "reference", "boutique", "carte", "montant", "etat"], ["boutique"])
    merchant.language = "en"
    merchant.save()
    form = _form(_body(client, "/transactions/"))
    assert '<label for="f-tri">Sort by</label>' in form and ">Descending</option>" in form \
        and ">Ascending</option>" in form and ">Amount</option>" in form


def test_pay_srch_3_saved_views_stay_in_the_menu_after_an_htmx_search(client, merchant, shop):
    from models import SavedView

    SavedView.create(user=merchant, name="Gros paniers", query="montant_min=40")
    partial = _body(client, "/transactions/?montant_min=10", headers=HX)
    assert "<html" not in partial and 'id="saved-views"' in partial
    assert "Gros paniers" in partial and "Aucune vue enregistrée" not in partial
