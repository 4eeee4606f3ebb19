"""The supplier-side lists' per-request shortcuts (issue 14) give exactly what the template filters
and Jinja's gettext give: dates, dates with times (in the user's time zone, across the DST changes),
money, pre-filled amounts, translated labels with their values escaped, and links = url_for."""
import datetime

import pytest
from flask import render_template_string, url_for
from flask_babel import force_locale
from markupsafe import Markup

from portal.formatting import date_filter, datetime_filter, money_filter
from portal.invoices.listing import Formats, IdLinks, day, labels, status_badges
from portal.invoices.views import amount_input_filter, invoice_status_filter
from portal.invoices.lifecycle import InvoiceStatus

MOMENTS = [datetime.datetime(2026, 3, 29, 0, 59, 59), datetime.datetime(2026, 3, 29, 1, 0),
           datetime.datetime(2026, 10, 25, 0, 30), datetime.datetime(2026, 10, 25, 1, 30),
           datetime.datetime(2026, 12, 31, 23, 0, 1), datetime.datetime(2026, 7, 1, 12),
           datetime.datetime(999, 1, 2, 3, 4, 5)]


@pytest.mark.parametrize("moment", MOMENTS)
def test_issue_14_list_dates_match_filters(app, moment):
    with app.test_request_context("/factures/"):
        formats = Formats()
        assert formats.stamp(moment) == datetime_filter(moment)
        assert formats.local_day(moment) == date_filter(moment)
        assert formats.local_day(moment.date()) == day(moment.date()) == date_filter(moment.date())
        assert formats.stamp(None) == datetime_filter(None) == "" and day(None) == date_filter(None) == ""


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "KWD", "eur", None])
def test_issue_14_list_amounts_match_filters(app, language, currency):
    values = [0, 1, 9, 99, 100, 12345, 999999, 10**9 + 7, 10**12, 10**13, -1, -123456, None]
    with app.test_request_context("/reglements/"), force_locale(language):
        formats = Formats()
        assert formats.locale == language
        assert [formats.money(v, currency) for v in values] == [money_filter(v, currency) for v in values]
        if currency and currency.isupper():
            numbers = [v for v in values if v is not None]
            assert [formats.amount_input(v, currency) for v in numbers] == \
                [amount_input_filter(v, currency) for v in numbers]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_issue_14_labels_are_what_jinja_gettext_gives(app, language):
    with app.test_request_context("/reglements/"), force_locale(language):
        text = labels(pay="Payer la facture n° %(number)s", late="En retard", percent="100 %% payé")
        for number in ("F-1", "<b>&'\"</b>"):
            assert text["pay"] % {"number": number} == \
                render_template_string('{{ _("Payer la facture n° %(number)s", number=n) }}', n=number)
        assert isinstance(text["late"], Markup) and text["late"] == render_template_string('{{ _("En retard") }}')
        assert (text["late"] == "En retard") == (language == "fr")
        assert text["percent"] == render_template_string('{{ _("100 %% payé") }}') == "100 % payé"
        badges = status_badges()
        for status in InvoiceStatus:
            expected = invoice_status_filter(status.value)
            assert badges[status.value] == (expected["label"], expected["tone"])


def test_issue_14_id_links_match_url_for(app):
    with app.test_request_context("/factures/"):
        detail = IdLinks("invoices.detail", "invoice_id")
        action = IdLinks("invoices.action", "invoice_id", name="approve", contexte="liste")
        for invoice_id in (1, 42, 10**9):
            assert detail(invoice_id) == url_for("invoices.detail", invoice_id=invoice_id)
            assert action(invoice_id) == url_for("invoices.action", invoice_id=invoice_id, name="approve",
                                                 contexte="liste")
