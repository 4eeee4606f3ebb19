"""Browser journey of the transaction search (issue 10, PAY-SRCH-1..3, PAY-EXP-1): a merchant searches
by amount range and card last 4 digits, saves the view and gets it back, sorts by a column, exports
the result to Excel, on a desktop (1280 px) and on a phone (390 px) where nothing scrolls sideways."""
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in
from tests.factories import make_shop, make_user
from tests.web.test_payment_search_pages import RIGHTS, add_transactions

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/h1")


@pytest.fixture
def merchant(app, clock):
    make_user("admin", is_admin=True)
    port, station = make_shop("Épicerie du Port"), make_shop("Comptoir de la Gare")
    make_user("lea", rights={port: RIGHTS, station: RIGHTS})
    add_transactions(port, 30, amount=4500, masked="420000######0005")
    add_transactions(port, 2, amount=15000, masked="510000######1234")
    add_transactions(station, 1, amount=18990, masked="420000######1234", order="CMD-7")
    add_transactions(station, 1, amount=99000, masked="420000######1234")
    add_transactions(station, 1, amount=12000, masked="420000######9999")
    return "lea"


def _no_sideways_scroll(page):
    """Measured once htmx has settled its swaps (a table mid-swap is not the page the merchant sees), against
    the width left by a vertical scrollbar."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_pay_srch_3_search_save_sort_export_journey(page, merchant, output_dir, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, merchant)
    page.goto("/transactions/")
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(35)
    page.screenshot(path=str(SHOTS / "list-1280.png"), full_page=True)

    # Amount range and last 4 digits, without a full page load (htmx), filters in the address bar.
    page.get_by_label("Montant de").fill("100")
    page.get_by_label("à", exact=True).first.fill("200")
    page.get_by_label("4 derniers chiffres").fill("1234")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(3)
    assert "fin4=1234" in page.url and "montant_min=100" in page.url
    expect(page.locator("#payment-totals")).to_contain_text("EUR")
    expect(page.locator("#payment-totals")).to_contain_text("489,90")
    page.screenshot(path=str(SHOTS / "search-1280.png"), full_page=True)

    # Bad input: a message under the field, the rest of the page still there.
    page.get_by_label("4 derniers chiffres").fill("12a4")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#f-fin4-error")).to_contain_text("exactement 4 chiffres")
    page.screenshot(path=str(SHOTS / "error-1280.png"), full_page=False)
    page.go_back()
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(3)
    expect(page.get_by_label("4 derniers chiffres")).to_have_value("1234")

    # Save the view, go back to today's list, get the view back from the menu.
    page.locator("#saved-views summary").click()
    page.get_by_label("Enregistrer ces critères sous le nom").fill("Cartes en 1234")
    page.get_by_role("button", name="Enregistrer la vue").click()
    expect(page.locator("#saved-views")).to_contain_text("Cartes en 1234")
    page.get_by_role("link", name="Aujourd'hui").click()
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(35)
    page.locator("#saved-views summary").click()
    page.get_by_role("link", name="Cartes en 1234").click()
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(3)
    expect(page.get_by_label("4 derniers chiffres")).to_have_value("1234")

    # Sort by amount by clicking the column header (twice: descending).
    page.get_by_role("link", name="Montant").click()
    expect(page.locator("th[aria-sort]")).to_contain_text("Montant")
    page.get_by_role("link", name="Montant").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Montant")
    assert "tri=montant" in page.url and "ordre=desc" in page.url
    amounts = page.locator("tr[id^=txn-row-] td.num").all_inner_texts()
    assert [a.split("\n")[0].replace("\xa0", " ") for a in amounts] == ["189,90 €", "150,00 €", "150,00 €"]
    page.screenshot(path=str(SHOTS / "sorted-1280.png"), full_page=True)

    # Export the result to Excel: a real .xlsx download.
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter en Excel (.xlsx)").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    sheet = zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 4  # header + 3 rows

    # The same on a phone: the table becomes cards, nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(3)
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "search-390.png"), full_page=True)
    page.get_by_role("link", name="Aujourd'hui").click()
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(35)
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "list-390.png"), full_page=True)

    # No column headers on a phone: the sort is two drop-down lists of the form, applied as soon as chosen.
    expect(page.locator("table.transactions thead")).to_be_hidden()
    page.get_by_label("Trier par").select_option("montant")
    expect(page).to_have_url(re.compile(r"tri=montant&ordre=desc"))
    page.get_by_label("Ordre").select_option("asc")
    expect(page).to_have_url(re.compile(r"tri=montant&ordre=asc"))
    expect(page.locator("tr[id^=txn-row-]")).to_have_count(35)
    amounts = page.locator("tr[id^=txn-row-] td.num").all_inner_texts()
    assert [a.split("\n")[0].replace("\xa0", " ") for a in amounts][:3] == ["45,00 €"] * 3
    assert [a.split("\n")[0].replace("\xa0", " ") for a in amounts][-1] == "990,00 €"
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "sorted-390.png"), full_page=False)
    # On a wide screen the headers sort and the lists stay out of sight (still sent with a search).
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_label("Trier par")).to_be_hidden()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Montant")
