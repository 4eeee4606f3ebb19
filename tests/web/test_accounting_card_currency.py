"""Card sales in a foreign currency (ACC-3, issue 12 item 1): booked in euros at the rate of the
accounting settings, each line with Montantdevise/Idevise, lettered apart from the euro remittance of
the same shop and day; without a rate, left out of the books and named on the accounting page."""
import datetime

from models import LedgerEntry, Operation, Unpaid, User
from portal.accounting.accounts import AccountsConfig, current_accounts, form_values
from portal.company import update_company
from tests.web.test_accounting_books import (DAY, Q1, SIREN, accountant,  # noqa: F401 (a fixture)
                                              _by_account, _capture, _close, _fec, _find,
                                              _save_accounts, _text, reread)

USD_RATE = 923400  # 0,9234 € for 1 $


def _dollar_sales(shop):
    """On 10 March 2025: 150 $ of captures (CB + VISA) and 40 € in the same shop; a refund of 20 $ on
    the 12th, an unpaid of 10 $ on the 20th."""
    update_company({"name": "Épicerie du Port SAS", "siren": SIREN}, None)
    _save_accounts(card_commission_rates=(("CB", 80), ("VISA", 120)))
    _capture(shop, 10000, "CB", datetime.datetime(2025, 3, 10, 17, 0), "U1", currency="USD")
    _capture(shop, 5000, "VISA", datetime.datetime(2025, 3, 10, 18, 0), "U2", currency="USD")
    _capture(shop, 4000, "CB", datetime.datetime(2025, 3, 10, 15, 0), "E1")
    refunded = _capture(shop, 2000, "CB", datetime.datetime(2025, 3, 11, 9, 0), "U3", currency="USD")
    Operation.create(transaction=refunded, kind="CREDIT", amount=2000, succeeded=True,
                     at=datetime.datetime(2025, 3, 12, 9, 0), sent_at=datetime.datetime(2025, 3, 12, 10, 0),
                     remittance_status="ACCEPTED", operation_number="C-U3")
    unpaid = _capture(shop, 1000, "CB", datetime.datetime(2025, 3, 11, 10, 0), "U4", currency="USD")
    Unpaid.create(transaction=unpaid, operation_number="RU4", operation_code="DEBIT", unpaid_date=DAY(2025, 3, 20),
                  file_number="IMP-U4", amount=1000, unpaid_code="4837", reason="Contestation")


def test_ACC_3_card_sales_in_foreign_currency_booked_at_rate(client, accountant, shop):
    _dollar_sales(shop)
    _save_accounts(card_exchange_rates=(("USD", USD_RATE, ""),))
    entries = reread(_fec(client, **Q1).get_data())
    remittance, credit = _find(entries, f"RC20250310-{shop.id}-USD")
    lines = _by_account(remittance)
    # 150 $ x 0,9234 = 138,51 €; the euro remittance of the same day is an entry of its own.
    assert lines[("5115", "D")]["Debit"] == lines[("411", "C")]["Credit"] == "138,51"
    assert {(line["Montantdevise"], line["Idevise"]) for line in remittance} == {("150,00", "USD")}
    assert "(USD 1 = 0,9234 EUR)" in remittance[0]["EcritureLib"]
    lines = _by_account(credit)
    # Commission on the euro gross per network: 92,34 € x 0,80 % = 0,74 €, 46,17 € x 1,20 % = 0,55 €.
    assert lines[("627", "D")]["Debit"] == "1,29" and lines[("512", "D")]["Debit"] == "137,22"
    assert lines[("5115", "C")]["Credit"] == "138,51" and lines[("5115", "C")]["Montantdevise"] == "150,00"
    assert lines[("627", "D")]["Montantdevise"] == "1,40" and lines[("512", "D")]["Montantdevise"] == "148,60"
    assert all(line["Idevise"] == "USD" for line in credit)
    letter = f"C{shop.id}-USD-20250310"
    assert {line["EcritureLet"] for line in remittance + credit if line["CompteNum"] == "5115"} == {letter}
    euro, = [lines for lines in _find(entries, f"RC20250310-{shop.id}") if lines[0]["EcritureDate"] == "20250310"]
    assert _by_account(euro)[("5115", "D")]["Debit"] == "40,00" and _by_account(euro)[("5115", "D")]["Idevise"] == ""
    assert _by_account(euro)[("5115", "D")]["EcritureLet"] == f"C{shop.id}-20250310"
    refund = _by_account(_find(entries, "C-U3")[0])  # 20 $ -> 18,468 € -> 18,47 €
    assert refund[("411", "D")]["Debit"] == refund[("512", "C")]["Credit"] == "18,47"
    assert refund[("512", "C")]["Montantdevise"] == "20,00" and refund[("512", "C")]["Idevise"] == "USD"
    unpaid = _by_account(_find(entries, "IMP-U4")[0])  # 10 $ -> 9,234 € -> 9,23 €
    assert unpaid[("416", "D")]["Debit"] == "9,23" and unpaid[("416", "D")]["Montantdevise"] == "10,00"
    page = _figures(client)
    assert "non comptabilisées" not in page


def _figures(client):
    """The page's figures as htmx fetches them once the page is shown (HX-Target accounting-figures)."""
    response = client.get("/comptabilite/", query_string=Q1,
                          headers={"HX-Request": "true", "HX-Target": "accounting-figures"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert 'id="accounting-figures"' in response.get_data(as_text=True)
    return _text(response)


def test_ACC_3_card_sales_without_rate_are_left_out_and_the_page_says_so(client, accountant, shop):
    from portal.accounting.fec import Period, summarise, summarise_by_entries

    _dollar_sales(shop)
    entries = reread(_fec(client, **Q1).get_data())
    assert not any(line["Idevise"] for lines in entries.values() for line in lines)
    assert [lines[0]["PieceRef"] for lines in entries.values() if lines[0]["EcritureDate"] == "20250310"] \
        == [f"RC20250310-{shop.id}"]
    page = _figures(client)
    # 4 captures, a refund and an unpaid; the sales: 100 + 50 + 20 + 10 $.
    assert "Ventes carte en USD non comptabilisées : 6 opérations, montant 180,00\u00a0$US — saisissez un taux " \
           "dans les réglages." in page
    assert 'href="/comptabilite/comptes#card_exchange_rates"' in page
    period, config = Period(DAY(2025, 1, 1), DAY(2025, 3, 31)), current_accounts()
    assert vars(summarise(period, [shop.id], config)) == vars(summarise_by_entries(period, [shop.id], config))
    User.update(language="en").where(User.id == accountant.id).execute()
    assert "Card sales in USD not booked: 6 operations" in _figures(client)


def test_ACC_3_card_exchange_rates_setting_checked_and_shown_back(client, accountant):
    data = form_values(AccountsConfig())
    for value, message in (("XYZ 1,2", "ISO 4217"), ("EUR 1", "l'euro est la monnaie des comptes"),
                           ("USD 0", "supérieur à zéro"), ("USD 0,12345678", "six décimales"),
                           ("USD douze", "cours illisible"), ("USD 0,9\nusd 0,8", "a déjà un cours à cette date"),
                           ("USD 0,9 01/04/2025\nUSD 0,8 2025-04-01", "a déjà un cours à cette date"),
                           ("USD 0,93 31/02/2025", "le jour à partir duquel"), ("USD 0,93 01/04/2025 x", "le jour à partir duquel"),
                           ("0,92", "ISO 4217"), ("USD -1", "cours illisible")):
        response = client.post("/comptabilite/comptes", data={**data, "card_exchange_rates": value})
        assert response.status_code == 422, value
        page = _text(response)
        assert message in page, value
        assert page.index(message) > page.index('id="card_exchange_rates"'), value  # under its field
    saved = client.post("/comptabilite/comptes", data={
        **data, "card_exchange_rates": "usd 0,9310 01/04/2025\n\nGBP 1.17 \nJPY 0,006123\nUSD\u00a00,9234"})
    assert saved.status_code == 303, _text(saved)
    assert current_accounts().card_exchange_rates == (("GBP", 1170000, ""), ("JPY", 6123, ""), ("USD", 923400, ""),
                                                      ("USD", 931000, "2025-04-01"))
    page = _text(client.get("/comptabilite/comptes"))
    assert "GBP 1,1700\nJPY 0,006123\nUSD 0,9234\nUSD 0,9310 01/04/2025" in page


def test_ACC_3_closed_foreign_remittances_keep_euro_sources_and_letters_apart(client, accountant, shop):
    """Closing validates the dollar remittance beside the euro one of the same shop and day: distinct
    sources and letters, the euro's unchanged; the closed FEC re-reads and its letters balance."""
    _dollar_sales(shop)
    _save_accounts(card_exchange_rates=(("USD", USD_RATE, ""),))
    User.update(is_admin=True).where(User.id == accountant.id).execute()
    assert _close(client, "2025-03-31").status_code == 204
    sources = [entry.source for entry in LedgerEntry.select().where(LedgerEntry.kind.in_(("REMITTANCE", "CARD_CREDIT")))]
    assert sorted(sources) == sorted([f"CB:R:{shop.id}:20250310", f"CB:B:{shop.id}:20250310",
                                      f"CB:R:{shop.id}:20250310:USD", f"CB:B:{shop.id}:20250310:USD",
                                      f"CB:R:{shop.id}:20250311:USD", f"CB:B:{shop.id}:20250311:USD"])
    usd = LedgerEntry.get(LedgerEntry.source == f"CB:R:{shop.id}:20250310:USD")
    assert usd.currency == "USD" and usd.amount == 13851
    entries = reread(_fec(client, **Q1).get_data())
    assert {line["EcritureLet"] for lines in entries.values() for line in lines if line["CompteNum"] == "5115"} \
        == {f"C{shop.id}-20250310", f"C{shop.id}-USD-20250310", f"C{shop.id}-USD-20250311"}
    closed = reread(_fec(client, **Q1).get_data())
    # April's rate added as a dated line: the closed March days keep theirs, nothing is corrected, and
    # an April sale is booked at the new rate.
    _capture(shop, 10000, "CB", datetime.datetime(2025, 4, 7, 12, 0), "U5", currency="USD")
    _save_accounts(card_exchange_rates=(("USD", USD_RATE, ""), ("USD", 950000, "2025-04-01")))
    april = reread(_fec(client, du="2025-04-01", au="2025-04-30").get_data())
    labels = [lines[0]["EcritureLib"] for lines in april.values()]
    assert not any("Extourne" in label or "Correction" in label for label in labels), labels
    remittance, _credit = _find(april, f"RC20250407-{shop.id}-USD")
    assert _by_account(remittance)[("5115", "D")]["Debit"] == "95,00" and "0,9500" in remittance[0]["EcritureLib"]
    # The rate of the closed days themselves changed: the closed entries stay as validated (ACC-4); the
    # next period reverses the dollar ones at the old rate and books them again at the new one.
    _save_accounts(card_exchange_rates=(("USD", 950000, ""),))
    assert reread(_fec(client, **Q1).get_data()) == closed
    april = reread(_fec(client, du="2025-04-01", au="2025-04-30").get_data())
    labels = [lines[0]["EcritureLib"] for lines in april.values()]
    assert labels and all("USD 1 = 0,9" in label for label in labels)
    assert sum("Extourne" in label and "0,9234" in label for label in labels) \
        == sum("Correction" in label and "0,9500" in label for label in labels) == 6
