"""PAY-SRCH-1..3 rules of portal/payments/search.py: criteria read and checked from a query string,
keyset cursors, and the indexes of migration 0010 used by the card searches."""
import datetime
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from models import Transaction, db
from portal.database import is_postgres
from portal.payments import search

TODAY = datetime.date(2026, 3, 10)
SHOPS = [SimpleNamespace(id=1, currency="EUR"), SimpleNamespace(id=2, currency="EUR")]


def parse(query):
    from urllib.parse import parse_qsl

    return search.parse_search(MultiDict(parse_qsl(query, keep_blank_values=True)), SHOPS, TODAY)


def test_pay_srch_1_default_is_today_in_every_shop_of_the_user():
    found = parse("")
    assert not found.errors
    assert (found.criteria.start, found.criteria.end, found.criteria.shop_ids) == (TODAY, TODAY, [1, 2])
    assert (found.sort, found.descending) == ("date", True)


def test_pay_srch_1_range_of_any_length_and_open_ends():
    found = parse("du=2024-03-01&au=2026-03-10")
    assert (found.criteria.start, found.criteria.end) == (datetime.date(2024, 3, 1), TODAY)
    found = parse("du=01/03/2025")
    assert (found.criteria.start, found.criteria.end) == (datetime.date(2025, 3, 1), None)
    found = parse("jour=2026-03-02")
    assert found.criteria.start == found.criteria.end == datetime.date(2026, 3, 2)


@pytest.mark.parametrize("query, field", [
    ("du=2026-03-09&au=2026-03-01", "au"), ("montant_min=12,3456", "montant_min"), ("montant_max=abc", "montant_max"),
    ("montant_min=-5", "montant_min"), ("fin4=12a4", "fin4"), ("fin4=12345", "fin4"), ("bin=42000", "bin"),
    ("du=2099-01-01", "du"), ("du=0001-01-01", "du"), ("au=1999-12-31", "au"), ("du=2026-02-30", "du"),
    ("remise_du=2026-03-05&remise_au=2026-03-01", "remise_au"), ("etat=PAID", "etat"), ("reseau=DINERS", "reseau"),
    ("devise=EURO", "devise"), ("boutique=3", "boutique"), ("boutique=abc", "boutique"), ("client=" + "é" * 65, "client"),
    ("du=²", "du"), ("montant_min=٣", "montant_min"),
])
def test_pay_srch_1_bad_input_is_a_message_for_its_field(query, field):
    found = parse(query)
    assert field in found.errors and found.criteria is None
    message, values = found.errors[field]
    assert message % values  # the placeholders are filled by the values given


def test_pay_srch_3_amounts_in_the_currency_decimals():
    found = parse("montant_min=12,5&montant_max=1 234,56")
    assert (found.criteria.amount_min, found.criteria.amount_max, found.criteria.amount_currency) == (1250, 123456, "EUR")
    found = parse("devise=JPY&montant_min=1250")
    assert (found.criteria.amount_min, found.criteria.amount_currency) == (1250, "JPY")
    assert "montant_min" in parse("devise=JPY&montant_min=12,5").errors


def test_pay_srch_3_several_states_card_digits_and_shop_subset():
    found = parse("etat=REFUSED&etat=CAPTURED&fin4=0005&bin=420000&boutique=2&impayes=1")
    c = found.criteria
    assert (c.states, c.last4, c.bin, c.shop_ids, c.unpaid_only) == (["REFUSED", "CAPTURED"], "0005", "420000", [2], True)
    assert parse("fin4= 12 34").criteria.last4 == "1234"


def test_pay_srch_2_sort_whitelist_and_cursors():
    found = parse("tri=montant&ordre=asc")
    assert (found.sort, found.descending) == ("montant", False)
    assert parse("tri=password&ordre=asc").sort == "date"
    token = search.encode_cursor(datetime.datetime(2026, 3, 1, 9, 30, 0, 123), 42)
    assert search.decode_cursor(token, "date") == (datetime.datetime(2026, 3, 1, 9, 30, 0, 123), 42)
    assert search.decode_cursor(search.encode_cursor(1250, 7), "montant") == (1250, 7)
    for bad in ("", "%%%", "x" * 300, search.encode_cursor("abc", 1), search.encode_cursor(1, -3)):
        assert search.decode_cursor(bad, "montant") is None
    assert parse(f"tri=montant&apres={search.encode_cursor(1250, 7)}").after == (1250, 7)


def test_pay_srch_3_saved_filters_keep_only_known_names():
    found = parse("montant_min=10&etat=REFUSED&etat=CAPTURED&tri=montant")
    assert found.filter_args == {"montant_min": "10", "etat": ["REFUSED", "CAPTURED"]}
    assert found.sort_args["tri"] == "montant"


def _plan(query):
    sql, params = query.sql()
    prefix = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    return " ".join(str(row) for row in db.execute_sql(prefix + sql, params).fetchall())


def test_pay_srch_3_last4_and_bin_read_through_their_index(app):
    criteria = search.Criteria([1], datetime.date(2024, 1, 1), TODAY, last4="1234")
    if is_postgres():
        db.execute_sql("SET enable_seqscan = off")  # an empty table: ask whether the index can serve
    try:
        plan = _plan(Transaction.select().where(search.conditions(criteria, "Europe/Paris")))
        assert "card_transaction_shop_last4_created" in plan, plan
        criteria = search.Criteria([1], datetime.date(2024, 1, 1), TODAY, bin="420000")
        plan = _plan(Transaction.select().where(search.conditions(criteria, "Europe/Paris")))
        assert "card_transaction_shop_bin_created" in plan, plan
    finally:
        if is_postgres():
            db.execute_sql("RESET enable_seqscan")
