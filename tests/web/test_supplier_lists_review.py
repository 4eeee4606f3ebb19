"""What a review of the supplier-side lists and reports found (issue 14): ids beyond what the database
holds, periods beyond the books, amount bounds across currencies, dates that were silently ignored,
and French left in English pages."""
import datetime
import html

import pytest

from models import Setting, User
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.factories import make_supplier

RIGHTS = ["manage_suppliers", "approve_invoices", "pay_invoices", "export", "manage_axes"]
HUGE = "99999999999999999999"


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _invoice(shop, supplier, number, gross, currency="EUR"):
    net = gross * 5 // 6
    return create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=number, issue_date=datetime.date(2026, 11, 20), currency=currency,
        total_net=net, total_vat=gross - net, total_gross=gross,
        lines=[LineData("Ramette papier A4", 1000, net, 2000)]), None)


@pytest.fixture
def buyer(client, login_as, shop):
    user = login_as("compta", rights=RIGHTS, shop=shop)
    _invoice(shop, make_supplier(), "EU-1", 5000)
    return user


@pytest.mark.parametrize("url", [
    f"/factures/?fournisseur={HUGE}", f"/rapports/depenses?fournisseur={HUGE}", f"/rapports/depenses?boutique={HUGE}",
    f"/rapports/depenses.csv?fournisseur={HUGE}", f"/ventilation/rapport?axe={HUGE}",
    f"/ventilation/export.csv?axe={HUGE}", "/factures/?fournisseur=%C2%B2",
])
def test_sec_2_ids_beyond_the_database_in_list_filters_are_ignored(client, buyer, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    response.get_data()  # a CSV is streamed: read it whole


@pytest.mark.parametrize("period", [("9999-01-01", "9999-12-31"), ("0001-01-01", "0001-12-31"),
                                    ("1999-12-31", "2000-06-30")])
@pytest.mark.parametrize("path", ["/comptabilite/fec", "/comptabilite/ecritures.csv", "/comptabilite/analytique.csv",
                                  "/comptabilite/"])
def test_acc_2_a_period_beyond_the_books_gets_a_message(client, buyer, path, period):
    Setting.create(key="company", value='{"name": "Épicerie du Port SAS", "siren": "732829320"}')
    response = client.get(path, query_string={"du": period[0], "au": period[1], "totaux": "1"})
    assert response.status_code == 422, (path, period, response.status_code)
    assert "Choisissez une date du 01/01/2000 au" in _text(response)


def test_ap_inv_1_amount_bounds_of_the_invoice_list_are_euros(client, buyer, shop):
    _invoice(shop, make_supplier("Tokyo Paper", vat_number="", siren=""), "JP-1", 5000, currency="JPY")  # ¥5 000
    page = _text(client.get("/factures/?min=40&max=60"))
    assert ">EU-1</a>" in page and ">JP-1</a>" not in page
    page = _text(client.get("/factures/"))
    assert ">EU-1</a>" in page and ">JP-1</a>" in page and "Montant TTC (€) de" in page


def test_loc_2_invoice_list_amount_error_and_admin_right_in_english(client, buyer):
    User.update(language="en").where(User.id == buyer.id).execute()
    page = _text(client.get("/factures/?min=abc"))
    assert "Minimum amount" in page and "illisible" not in page
    forbidden = client.get("/messages/file")
    assert forbidden.status_code == 403 and "Administer users" in _text(forbidden)


def test_ap_rep_1_unreadable_or_inverted_dates_are_said_not_ignored(client, buyer):
    page = _text(client.get("/rapports/depenses?du=x"))
    assert 'aria-invalid="true" aria-describedby="du-error"' in page and "Date illisible" in page
    page = _text(client.get("/factures/?du=2026-12-31&au=2026-01-01"))
    assert "Échéance au : La date de fin précède la date de début." in page
    page = _text(client.get("/ventilation/rapport?du=2025-12-31&au=2025-01-01"))
    assert 'id="au-error"' in page and "La date de fin précède la date de début." in page
    for export, report in (("/rapports/depenses.csv?du=x", "/rapports/depenses?du=x"),
                           ("/ventilation/export.csv?du=2025-12-31&au=2025-01-01",
                            "/ventilation/rapport?du=2025-12-31&au=2025-01-01")):
        response = client.get(export)
        assert response.status_code == 303 and response.headers["Location"] == report
