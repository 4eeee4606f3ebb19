"""SEC-2 regressions of issue 9: each malformed input that gave a 500 now gets a clear answer
(a 4xx with a message next to the field, or a page that ignores it), and nothing is written."""
import concurrent.futures
import datetime

import pytest

from models import Operation, PurchaseRequest, Setting, Transaction, User
from portal.payments.service import new_idempotency_key
from tests.factories import ACCEPTED_CARD, make_shop, make_supplier, make_transaction, make_user

PAY_RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate"]


def _new_payment(client, target_shop, **fields):
    data = {"shop": target_shop.id, "card_number": ACCEPTED_CARD, "expiry": "12/29", "cvv": "123",
            "reference": "CMD-1", "amount": "12,50", "currency": "EUR", "capture_mode": "AUTO",
            "capture_delay": "0", "idempotency_key": new_idempotency_key()}
    data.update(fields)
    return client.post("/transactions/nouveau", data=data)


def test_sec_2_admin_sets_a_user_email(client, admin):
    client.login("admin")
    response = client.post("/admin/users/new", data={
        "username": "caissiere", "display_name": "Caissière", "email": "caisse@boutique.fr", "department": "0", "establishment": "0",
        "password": "un mot de passe 2026 sûr", "language": "fr"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert User.get(User.username == "caissiere").email == "caisse@boutique.fr"
    refused = client.post("/admin/users/new", data={
        "username": "autre", "email": "pas-une-adresse", "department": "0", "establishment": "0", "password": "un mot de passe 2026 sûr", "language": "fr"})
    assert refused.status_code == 422


@pytest.mark.parametrize("amount", ["1" * 4400, "NaN", "1e309", "²", "١٢", "9" * 25])
def test_sec_2_hostile_amounts_are_refused_with_a_message(client, login_as, shop, amount):
    login_as(rights=PAY_RIGHTS, shop=shop)
    response = _new_payment(client, shop, amount=amount)
    assert response.status_code == 422
    assert Transaction.select().count() == 0


@pytest.mark.parametrize("field,value", [("expiry", "1²/29"), ("expiry", "²²/²²"), ("card_number", "4970²01234567890"),
                                         ("capture_delay", "²"), ("capture_delay", "9" * 30), ("shop", "²"),
                                         ("expiry", "a\x00b"), ("reference", "REF\x00")])
def test_sec_2_unicode_digits_and_nul_bytes_in_the_payment_form(client, login_as, shop, field, value):
    login_as(rights=PAY_RIGHTS, shop=shop)
    response = _new_payment(client, shop, **{field: value})
    assert response.status_code in (200, 303, 422)
    assert all("\x00" not in txn.reference for txn in Transaction.select())


def test_sec_2_nul_byte_in_a_text_field_is_dropped_not_a_500(client, login_as, shop):
    login_as(rights=["manage_suppliers"], shop=shop)
    response = client.post("/achats/demandes/nouvelle", data={
        "shop": shop.id, "title": "Papier\x00 A4", "supplier": "0", "currency": "EUR",
        "lines-0-description": "Ramette\x00", "lines-0-quantity": "1", "lines-0-unit_price": "5", "lines-0-vat_rate": "2000"})
    assert response.status_code == 303
    assert PurchaseRequest.get().title == "Papier A4"


def test_sec_2_quantity_of_ten_to_the_23_is_refused(client, login_as, shop):
    login_as(rights=["manage_suppliers"], shop=shop)
    response = client.post("/achats/demandes/nouvelle", data={
        "shop": shop.id, "title": "Papier", "supplier": "0", "currency": "EUR",
        "lines-0-description": "Ramette", "lines-0-quantity": str(10**23), "lines-0-unit_price": "5",
        "lines-0-vat_rate": "2000"})
    assert response.status_code == 422 and "trop grande" in response.get_data(as_text=True)
    assert PurchaseRequest.select().count() == 0


def test_sec_2_line_amount_beyond_64_bits_is_refused(client, login_as, shop):
    login_as(rights=["manage_suppliers"], shop=shop)
    response = client.post("/achats/demandes/nouvelle", data={
        "shop": shop.id, "title": "Papier", "supplier": "0", "currency": "EUR",
        "lines-0-description": "Ramette", "lines-0-quantity": "999999999", "lines-0-unit_price": "9999999999",
        "lines-0-vat_rate": "2000"})
    assert response.status_code == 422 and "trop élevé" in response.get_data(as_text=True)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30", "²"])
def test_sec_2_day_out_of_range_on_the_payments_list(client, login_as, shop, day):
    login_as(rights=PAY_RIGHTS, shop=shop)
    assert client.get("/transactions/", query_string={"jour": day}).status_code in (200, 422)


@pytest.mark.parametrize("url", ["/factures/99999999999999999999", "/transactions/99999999999999999999",
                                 "/achats/commandes/99999999999999999999.pdf", "/fournisseurs/9223372036854775808"])
def test_sec_2_huge_id_in_a_url_is_not_found(client, login_as, shop, url):
    login_as(rights=["view", "manage_suppliers"], shop=shop)
    assert client.get(url).status_code == 404


def test_sec_2_idempotency_key_over_64_characters(client, login_as, shop):
    login_as(rights=PAY_RIGHTS, shop=shop)
    response = _new_payment(client, shop, idempotency_key="k" * 300)
    assert response.status_code in (303, 422)
    assert Operation.select().where(Operation.idempotency_key == "k" * 300).count() == 0


@pytest.mark.parametrize("value", ["NaN", "1e309", "²", "1" * 4400])
def test_sec_2_hostile_thresholds_and_tolerances(client, login_as, shop, value):
    login_as(rights=["manage_suppliers", "manage_axes", "export"], shop=shop)
    before = list(Setting.select().dicts())
    for url, data in [("/factures/tolerances", {"quantity_pct": value, "price_pct": "1", "amount_abs": "0"}),
                      ("/factures/tolerances", {"quantity_pct": "1", "price_pct": value, "amount_abs": "0"}),
                      ("/factures/tolerances", {"quantity_pct": "1", "price_pct": "1", "amount_abs": value}),
                      ("/evaluations/seuil", {"threshold": value})]:
        assert client.post(url, data=data).status_code in (403, 422), url
    assert list(Setting.select().dicts()) == before
