"""The transaction list's per-request shortcuts (PAY-SRCH-1 performance, issue 10) give exactly what
the slow path gives: the money formatter = format_money, the cached links = url_for, the row's date
and time = the `date`/`time` filters, the cached translator = the page's translator."""
import datetime
import random

import pytest
from flask import url_for

from portal.formatting import date_filter, time_filter
from portal.money import format_money
from portal.fastmoney import money_formatter
from portal.payments.pages import Links, RowFormatting, TransactionView


@pytest.mark.parametrize("locale", ["fr", "en", "fr_FR", "en_US", "de"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "KWD", "GBP"])
def test_pay_srch_1_fast_money_matches_babel(locale, currency):
    fmt = money_formatter(currency, locale)
    rng = random.Random(7)
    values = list(range(0, 2100, 7)) + [rng.randint(0, 10**12) for _ in range(300)] + [10**12, -1, -123456]
    assert [fmt(v) for v in values] == [format_money(v, currency, locale=locale) for v in values]


def test_pay_srch_1_links_match_url_for(app):
    with app.test_request_context("/transactions/"):
        links = Links()
        for transaction_id in (1, 42, 10**9):
            for slug in ("valider", "annuler", "rembourser", "dupliquer"):
                assert links("payments.operation", transaction_id, {"slug": slug, "contexte": "liste"}) == \
                    url_for("payments.operation", transaction_id=transaction_id, slug=slug, contexte="liste")
            assert links("payments.detail", transaction_id, {}) == url_for("payments.detail",
                                                                            transaction_id=transaction_id)


class _Txn:
    def __init__(self, created_at):
        self.created_at, self.currency, self.id = created_at, "EUR", 1


@pytest.mark.parametrize("created_at", [datetime.datetime(2026, 3, 29, 0, 59, 59), datetime.datetime(2026, 3, 29, 1, 0),
                                        datetime.datetime(2026, 10, 25, 0, 30), datetime.datetime(2026, 10, 25, 1, 30),
                                        datetime.datetime(2026, 12, 31, 23, 0, 1), datetime.datetime(2026, 7, 1, 12)])
def test_pay_srch_1_row_date_and_time_match_filters(app, created_at):
    with app.test_request_context("/transactions/"):
        view = TransactionView(_Txn(created_at), None, [])
        assert (view.created_day, view.created_time) == (date_filter(created_at), time_filter(created_at))


def test_pay_srch_1_row_formatting_caches_translations(app, payment_ctx):
    calls = []

    def translate(template, **params):
        calls.append(template)
        return "T:" + (template % params if params else template)
    payment_ctx.translate = translate
    with app.test_request_context("/transactions/"):
        formatting = RowFormatting(payment_ctx)
        assert formatting.t("a %(x)s", x="b") == formatting.t("a %(x)s", x="b") == "T:a b"
        assert formatting.t("a %(x)s", x="c") == "T:a c"
        assert formatting.t("z") == "T:z" and formatting.t("z") == "T:z"
        # The catalogue is read once per message, whatever the values filled in.
        assert calls == ["a %(x)s", "z"]
