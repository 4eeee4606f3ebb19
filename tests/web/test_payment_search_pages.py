"""The transaction list's search, totals, saved views and exports through the Flask test client
(PAY-SRCH-1..3, PAY-EXP-1, SEC-3), and its constant number of SQL queries."""
import datetime
import html
import re

import pytest

from models import Operation, SavedView, Transaction
from tests.factories import make_shop, make_user
from tests.query_count import counting

RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate", "export"]
HX = {"HX-Request": "true", "HX-Target": "payment-search"}
NOW = datetime.datetime(2026, 3, 10, 9, 0, 0)  # the FakeClock's default: 10:00 in Paris
TODAY = NOW.date()
_ids = iter(range(1, 10**6))


def add_transactions(shop, count, *, day=TODAY, amount=1000, state="CAPTURED", masked="420000######0005",
                     currency="EUR", reference=None, order="", customer="", remitted=True, refunded=0):
    """`count` transactions of `shop` created on `day` (08:00 UTC onwards, a second apart), with their
    AUTHOR operation, a CAPTURE sent the same evening when `remitted`, and a CREDIT of `refunded`."""
    created = []
    for n in range(count):
        number = next(_ids)
        at = datetime.datetime.combine(day, datetime.time(8)) + datetime.timedelta(seconds=n)
        txn = Transaction.create(
            shop=shop, reference=reference or f"T{number:07d}", order_reference=order, customer_code=customer,
            amount=amount, currency=currency, capture_mode="AUTO", state=state, created_at=at,
            card_token=f"tok{number}", masked_pan=masked, networks="CB,VISA", network="CB", card_expiry_year=2030,
            card_expiry_month=12, capture_date=day)
        Operation.create(transaction=txn, kind="AUTHOR", amount=amount, at=at,
                         succeeded=state not in ("REFUSED", "FRAUD_SUSPECTED"))
        if remitted and state in ("CAPTURED", "CREDITED"):
            sent = datetime.datetime.combine(day, datetime.time(21))
            Operation.create(transaction=txn, kind="CAPTURE", amount=amount, at=sent, sent_at=sent)
        if refunded:
            Operation.create(transaction=txn, kind="CREDIT", amount=refunded, at=at)
        created.append(txn)
    return created


@pytest.fixture
def merchant(client, admin, shop, clock):
    user = make_user("marchand", rights={shop: RIGHTS})
    assert client.login("marchand").status_code == 302
    return user


def _page(client, url, status=200, headers=None):
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:800])
    return html.unescape(response.get_data(as_text=True))


def _refs(body):
    return re.findall(r'class="mono">(T\d{7}|[A-Z0-9]+)</a>', body)


def test_pay_srch_1_default_is_today_and_old_day_parameter_still_works(client, merchant, shop):
    today = add_transactions(shop, 2)
    old = add_transactions(shop, 1, day=TODAY - datetime.timedelta(days=3))
    body = _page(client, "/transactions/")
    assert all(f"txn-row-{t.id}" in body for t in today) and f"txn-row-{old[0].id}" not in body
    day = (TODAY - datetime.timedelta(days=3)).isoformat()
    body = _page(client, f"/transactions/?jour={day}")
    assert f"txn-row-{old[0].id}" in body and f"txn-row-{today[0].id}" not in body


def test_pay_srch_1_date_range_reference_customer_and_remittance_date(client, merchant, shop):
    add_transactions(shop, 3, day=TODAY - datetime.timedelta(days=40))
    mine = add_transactions(shop, 1, day=TODAY - datetime.timedelta(days=20), order="CMD-Été-42", customer="Dupont")[0]
    start = (TODAY - datetime.timedelta(days=60)).isoformat()
    body = _page(client, f"/transactions/?du={start}&au={TODAY.isoformat()}")
    assert body.count('id="txn-row-') == 4
    # LOC-2: case-insensitive, accent-sensitive.
    assert f"txn-row-{mine.id}" in _page(client, f"/transactions/?du={start}&ref=cmd-été")
    assert f"txn-row-{mine.id}" not in _page(client, f"/transactions/?du={start}&ref=cmd-ete")
    assert f"txn-row-{mine.id}" in _page(client, f"/transactions/?du={start}&client=DUPONT")
    sent = (TODAY - datetime.timedelta(days=20)).isoformat()
    body = _page(client, f"/transactions/?du={start}&remise_du={sent}&remise_au={sent}")
    assert body.count('id="txn-row-') == 1 and f"txn-row-{mine.id}" in body


def test_pay_srch_3_amount_range_last4_bin_and_several_states(client, merchant, shop):
    cheap = add_transactions(shop, 2, amount=500)
    dear = add_transactions(shop, 1, amount=12350, masked="510000######1234")[0]
    refused = add_transactions(shop, 1, amount=12350, state="REFUSED", masked="420000######1234")[0]
    body = _page(client, "/transactions/?montant_min=100&montant_max=123,50")
    assert f"txn-row-{dear.id}" in body and f"txn-row-{refused.id}" in body and f"txn-row-{cheap[0].id}" not in body
    body = _page(client, "/transactions/?fin4=1234")
    assert body.count('id="txn-row-') == 2
    body = _page(client, "/transactions/?fin4=1234&bin=510000")
    assert body.count('id="txn-row-') == 1 and f"txn-row-{dear.id}" in body
    body = _page(client, "/transactions/?etat=REFUSED&etat=CAPTURED")
    assert body.count('id="txn-row-') == 4
    body = _page(client, "/transactions/?etat=REFUSED")
    assert body.count('id="txn-row-') == 1 and "Refusée" in body


@pytest.mark.parametrize("query, field, message", [
    ("du=2026-03-09&au=2026-03-01", "au", "La date de fin précède la date de début."),
    ("montant_min=12,3456", "montant_min", "Montant illisible"),
    ("montant_min=50&montant_max=10", "montant_max", "inférieur au minimum"),
    ("fin4=12a4", "fin4", "exactement 4 chiffres"),
    ("bin=4200", "bin", "exactement 6 chiffres"),
    ("du=2099-01-01", "du", "Date dans le futur"),
    ("au=0001-01-01", "au", "Date trop ancienne"),
    ("du=31/02/2026", "du", "Date illisible"),
    ("etat=PAYE", "etat", "État inconnu"),
    ("devise=XXX", "devise", "Devise inconnue"),
    ("boutique=999999", "boutique", "Boutique inconnue"),
    ("ref=" + "x" * 65, "ref", "Texte trop long"),
])
def test_pay_srch_1_bad_input_gets_a_message_under_the_field(client, merchant, shop, query, field, message):
    body = _page(client, f"/transactions/?{query}", status=422)
    assert message in body
    assert f'id="f-{field}-error"' in body
    partial = _page(client, f"/transactions/?{query}", status=422, headers=HX)
    assert message in partial and "<html" not in partial


def test_pay_srch_2_sort_by_any_column_and_keyset_pages(client, merchant, shop):
    rows = add_transactions(shop, 120, amount=100)
    for n, txn in enumerate(rows):
        Transaction.update(amount=1000 + (n * 37) % 120).where(Transaction.id == txn.id).execute()
    body = _page(client, "/transactions/?tri=montant&ordre=desc")
    amounts = [int(a) for a in re.findall(r"txn-row-(\d+)", body)]
    by_amount = sorted(Transaction.select(), key=lambda t: (-t.amount, -t.id))
    assert amounts == [t.id for t in by_amount[:50]]
    seen = []
    url = "/transactions/?tri=montant&ordre=desc"
    while url:
        body = _page(client, url)
        seen += [int(i) for i in re.findall(r"txn-row-(\d+)", body)]
        nxt = re.search(r'<a rel="next" href="([^"]+)"', body)
        url = nxt.group(1) if nxt else None
    assert seen == [t.id for t in by_amount], "next links walk the whole result once, in order"
    last = _page(client, "/transactions/?tri=montant&ordre=desc&fin=1")
    assert [int(i) for i in re.findall(r"txn-row-(\d+)", last)] == [t.id for t in by_amount[-50:]]
    previous = re.search(r'<a rel="prev" href="([^"]+)"', last).group(1)
    before_last = [int(i) for i in re.findall(r"txn-row-(\d+)", _page(client, previous))]
    assert before_last == [t.id for t in by_amount[-100:-50]]
    for key in ("reference", "date", "carte", "etat", "boutique"):
        for order in ("asc", "desc"):
            assert _page(client, f"/transactions/?tri={key}&ordre={order}").count('id="txn-row-') == 50
    assert 'aria-sort="descending"' in body or 'aria-sort="ascending"' in body


def test_pay_srch_1_filters_in_url_and_htmx_partial_is_the_same_result(client, merchant, shop):
    add_transactions(shop, 3, amount=4200)
    full = _page(client, "/transactions/?montant_min=42")
    partial = client.get("/transactions/?montant_min=42", headers=HX)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    text = html.unescape(partial.get_data(as_text=True))
    assert "<html" not in text and 'id="search-form"' in text
    assert re.findall(r"txn-row-(\d+)", text) == re.findall(r"txn-row-(\d+)", full)
    assert 'hx-push-url="true"' in full and 'value="42"' in full


def test_pay_srch_3_totals_per_currency(client, merchant, shop):
    add_transactions(shop, 2, amount=1000)                       # remitted
    add_transactions(shop, 1, amount=2500, state="CREDITED", refunded=700)
    add_transactions(shop, 1, amount=900, state="REFUSED")
    add_transactions(shop, 1, amount=300, state="TO_CAPTURE", remitted=False)
    add_transactions(shop, 2, amount=5000, currency="USD")
    totals = _page(client, "/transactions/totaux", headers={"HX-Request": "true"})
    eur = totals[totals.index(">EUR<"):totals.index(">USD<")]
    assert re.search(r'<td class="num">5</td>', eur)
    assert "48,00" in eur  # accepted: 10 + 10 + 25 + 3 (the refused 9 left out)
    assert "7,00" in eur   # refunded
    assert "45,00" in eur  # remitted: 10 + 10 + 25
    assert "100,00" in totals[totals.index(">USD<"):]
    without_js = client.get("/transactions/totaux?montant_min=1")
    assert without_js.status_code == 302 and "totaux=1" in without_js.headers["Location"]
    assert "Remises en banque" in _page(client, "/transactions/?totaux=1")


def test_pay_srch_3_totals_definitions(app, shop):
    from portal.payments import search

    add_transactions(shop, 1, amount=2500, state="CREDITED", refunded=700)
    add_transactions(shop, 1, amount=900, state="FRAUD_SUSPECTED")
    add_transactions(shop, 1, amount=400, state="TO_CAPTURE", remitted=False, currency="USD")
    eur, usd = search.totals(search.Criteria([shop.id], TODAY, TODAY), "Europe/Paris")
    assert (eur.count, eur.accepted_count, eur.accepted, eur.refunded_count, eur.refunded, eur.remitted_count,
            eur.remitted) == (2, 1, 2500, 1, 700, 1, 2500)
    assert (usd.currency, usd.count, usd.accepted, usd.refunded, usd.remitted) == ("USD", 1, 400, 0, 0)


def test_pay_srch_3_saved_views_per_user(client, merchant, shop, admin):
    add_transactions(shop, 2, amount=4200)
    response = client.post("/transactions/vues", data={"name": "Gros paniers", "filters": "montant_min=40&tri=montant&ordre=desc&evil=1"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    view = SavedView.get()
    assert view.user_id == merchant.id and "montant_min=40" in view.query and "evil" not in view.query
    body = _page(client, "/transactions/")
    link = re.search(r'href="(/transactions/\?[^"]*montant_min=40[^"]*)"', body).group(1)
    assert 'value="40"' in _page(client, link)
    # Same name again: replaced, not duplicated. No name: a message under the field.
    client.post("/transactions/vues", data={"name": "Gros paniers", "filters": "montant_min=50"})
    assert SavedView.select().count() == 1 and "montant_min=50" in SavedView.get().query
    bad = client.post("/transactions/vues", data={"name": " ", "filters": ""}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "Donnez un nom" in bad.get_data(as_text=True)
    bad = client.post("/transactions/vues", data={"name": "x", "filters": "fin4=abcd"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    # Another user neither sees nor deletes it.
    other = make_user("autre", rights={shop: ["view"]})
    SavedView.create(user=other, name="À elle", query="fin4=1234")
    assert client.post("/transactions/vues/supprimer", data={"vue": str(SavedView.get(SavedView.user == other).id)}
                       ).status_code == 303
    assert SavedView.select().where(SavedView.user == other).count() == 1
    assert "À elle" not in _page(client, "/transactions/")
    client.post("/transactions/vues/supprimer", data={"vue": str(view.id)})
    assert SavedView.select().where(SavedView.user == merchant).count() == 0


def test_pay_srch_1_other_shop_never_listed_nor_exported(client, merchant, shop):
    other = make_shop("Boutique ZZB")
    theirs = add_transactions(other, 1, reference="ZZBREF1")[0]
    add_transactions(shop, 1)
    assert "ZZB" not in _page(client, "/transactions/")
    assert "ZZB" not in _page(client, f"/transactions/?boutique={other.id}", status=422)
    csv_text = client.get(f"/transactions/export.csv?choix={theirs.id}").get_data(as_text=True)
    assert "ZZB" not in csv_text


def test_pay_exp_1_csv_export_of_result_and_of_chosen_rows(client, merchant, shop):
    rows = add_transactions(shop, 3, amount=123456, order="=HYPERLINK(\"http://x\")")
    response = client.get("/transactions/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("Référence;Date et heure;Boutique")
    assert len(lines) == 4
    assert ";1234,56;EUR;Envoyée en banque;\"'=HYPERLINK" in lines[1]  # SEC-3
    assert re.search(r";10/03/2026 09:00:0\d;", lines[1])  # Paris time
    chosen = client.get(f"/transactions/export.csv?choix={rows[1].id}&choix=abc").get_data().decode("utf-8-sig")
    assert len(chosen.strip().split("\r\n")) == 2 and rows[1].reference in chosen


def test_pay_exp_1_export_needs_the_export_right(client, admin, shop, clock):
    make_user("lecteur", rights={shop: ["view"]})
    client.login("lecteur")
    assert client.get("/transactions/export.xlsx").status_code == 403
    assert "Exporter en Excel" not in _page(client, "/transactions/")


def _count(client, url, headers=None):
    client.get(url, headers=headers)  # warm
    with counting() as count:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return count[0]


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "htmx"])
def test_pay_srch_2_list_queries_do_not_grow_with_rows(client, merchant, shop, headers):
    # Everything counts: session, main menu, rights, the page of rows, their operations, saved views.
    second = make_shop("Deuxième boutique")
    from models import ShopRight
    for right in RIGHTS:
        ShopRight.create(user=merchant, shop=second, right=right)
    add_transactions(shop, 5, state="TO_CAPTURE", remitted=False)
    small = _count(client, "/transactions/", headers)
    add_transactions(shop, 25, refunded=100)
    add_transactions(second, 20)
    large = _count(client, "/transactions/", headers)
    assert small == large, f"{small} queries with 5 rows, {large} with 50"
    assert large <= 6, f"{large} queries"
    assert _count(client, "/transactions/?fin=1&tri=montant", headers) == large
    # Totals: session, menu, rights, and two aggregate queries (transactions, then their operations).
    assert _count(client, "/transactions/totaux", {"HX-Request": "true"}) <= 5


def test_pay_srch_3_totals_of_a_long_range_on_request(client, merchant, shop):
    add_transactions(shop, 1)
    short = _page(client, "/transactions/")
    assert 'hx-trigger="load"' in short and "/transactions/totaux" in short
    long = _page(client, f"/transactions/?du={(TODAY - datetime.timedelta(days=400)).isoformat()}")
    assert 'hx-trigger="load"' not in long
    assert re.search(r'<a href="[^"]*totaux=1[^"]*" class="button small"\s+hx-get="/transactions/totaux', long)


def test_pay_srch_3_totals_load_by_themselves_up_to_a_quarter(client, merchant, shop):
    add_transactions(shop, 1)
    quarter = _page(client, "/transactions/?du=10/12/2025&au=10/03/2026")
    assert 'hx-trigger="load"' in quarter
    longer = _page(client, "/transactions/?du=01/01/2025&au=10/03/2026")
    assert 'hx-trigger="load"' not in longer and "Afficher les totaux" in longer


def test_pay_srch_1_inactive_shop_neither_searched_nor_offered(client, merchant, shop):
    """The list's rights (one query, shared with the supplier side) keep a closed shop's rights
    for the menu but never search it."""
    closed = make_shop("Boutique fermée ZZC")
    make_user("autre-marchand", rights={shop: ["view"], closed: ["view", "export"]})
    theirs = add_transactions(closed, 1, reference="ZZCREF1")[0]
    closed.active = False
    closed.save()
    assert client.login("autre-marchand").status_code == 302
    body = _page(client, "/transactions/")
    assert "ZZC" not in body
    assert "ZZC" not in _page(client, f"/transactions/?boutique={closed.id}", status=422)
    assert "ZZC" not in client.get(f"/transactions/export.csv?choix={theirs.id}").get_data(as_text=True)
