"""Books an accountant signs (issue 12): the card sales journal (ACC-3), closed periods whose entries
never change and lettering (ACC-4), foreign currency and ISO 8859-15 (ACC-4), reverse charge at each
line's rate with its own accounts per regime (ACC-5) — and a FEC holding all of them read back by an
independent parser (the csv module, the declared encoding, nothing from portal.accounting)."""
import csv
import datetime
import html as html_module
import io
import re
from collections import defaultdict

import pytest

from models import (AuditRecord, ClosedPeriod, Invoice, InvoiceBooking, InvoiceLine, LedgerEntry, Operation,
                    Transaction, Unpaid, User)
from portal.accounting.accounts import AccountsConfig, current_accounts, form_values
from portal.company import update_company
from portal.invoices.service import InvoiceData, LineData, create_invoice
from portal.purchasing.amounts import line_net, vat_amount
from tests.factories import make_shop, make_supplier, make_user

RIGHTS = ["export", "manage_suppliers", "approve_invoices", "pay_invoices"]
SIREN = "552100554"
GERMAN_VAT = "DE136695976"
DAY = datetime.date
Q1 = {"du": "2025-01-01", "au": "2025-03-31"}
JAN_APR = {"du": "2025-01-01", "au": "2025-04-30"}
COLUMNS = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise"]


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def _invoice(shop, supplier, number, issue_date, lines, *, status="APPROVED", currency="EUR", category="S",
             expense_account=""):
    """lines: (description, quantity_milli, unit_price, line vat_rate, charged rate)."""
    bases = defaultdict(int)
    for _, quantity, price, _, charged in lines:
        bases[charged] += line_net(quantity, price)
    breakdown = [(category, rate, base, vat_amount(base, rate)) for rate, base in bases.items()]
    net, vat = sum(bases.values()), sum(row[3] for row in breakdown)
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=number, issue_date=issue_date, currency=currency, total_net=net,
        total_vat=vat, total_gross=net + vat, lines=[LineData(d, q, p, r) for d, q, p, r, _ in lines],
        vat_breakdown=breakdown), None)
    Invoice.update(status=status, expense_account=expense_account).where(Invoice.id == invoice.id).execute()
    return Invoice.get_by_id(invoice.id)


def _capture(shop, amount, network, sent_at, reference, currency="EUR"):
    txn = Transaction.create(shop=shop, reference=reference, amount=amount, currency=currency, capture_mode="AUTO",
                             state="CAPTURED", card_token="tok", masked_pan="4300XXXXXXXX0900", networks="CB,VISA",
                             network=network, card_expiry_year=2030, card_expiry_month=12)
    Operation.create(transaction=txn, kind="CAPTURE", amount=amount, succeeded=True, at=sent_at, sent_at=sent_at,
                     remittance_status="ACCEPTED", operation_number=f"R{reference}")
    return txn


def _save_accounts(**changes):
    from portal.accounting.accounts import save_accounts

    config = current_accounts()
    from dataclasses import replace
    save_accounts(replace(config, **changes), None)


@pytest.fixture
def accountant(login_as, shop):
    return login_as("compta", rights=RIGHTS, shop=shop)


@pytest.fixture
def quarter(shop):
    """A first quarter of an épicerie: a French invoice paid in full, German coffee at 0 % on the invoice
    (5,5 % in France), an American machine in dollars, and card sales with a refund and an unpaid."""
    update_company({"name": "Épicerie du Port SAS", "siren": SIREN}, None)
    _save_accounts(card_commission_rates=(("CB", 80), ("VISA", 120)))
    dupont = make_supplier("Fournitures Dupont")
    roaster = make_supplier("Kaffee Rösterei GmbH", country="DE", vat_number=GERMAN_VAT, siren="")
    acme = make_supplier("Acme Machines Inc", country="US", vat_number="", siren="")
    french = _invoice(shop, dupont, "F-100", DAY(2025, 1, 10), [("Sacs kraft", 10000, 1250, 2000, 2000)])
    from models import SupplierPayment
    SupplierPayment.create(invoice=french, amount=15000, paid_on=DAY(2025, 2, 10), reference="VIR-F100")
    coffee = _invoice(shop, roaster, "DE-5", DAY(2025, 2, 3), [("Café en grains", 20000, 1500, 0, 0)], category="K")
    dollars = _invoice(shop, acme, "US-7", DAY(2025, 3, 5), [("Moulin à café", 1000, 100000, 0, 0)], currency="USD")
    _capture(shop, 10000, "CB", datetime.datetime(2025, 3, 10, 17, 0), "T1")
    _capture(shop, 5000, "VISA", datetime.datetime(2025, 3, 10, 18, 0), "T2")
    refunded = _capture(shop, 2000, "CB", datetime.datetime(2025, 3, 11, 9, 0), "T3")
    Operation.create(transaction=refunded, kind="CREDIT", amount=2000, succeeded=True,
                     at=datetime.datetime(2025, 3, 12, 9, 0), sent_at=datetime.datetime(2025, 3, 12, 20, 0),
                     remittance_status="ACCEPTED", operation_number="C-T3")
    unpaid = _capture(shop, 5000, "CB", datetime.datetime(2025, 3, 14, 9, 0), "T4")
    Unpaid.create(transaction=unpaid, operation_number="RT4", operation_code="DEBIT", unpaid_date=DAY(2025, 3, 20),
                  file_number="IMP-1", amount=5000, unpaid_code="4837", reason="Contestation")
    return {"french": french, "coffee": coffee, "dollars": dollars, "dupont": dupont}


# --- An independent reader of the file ------------------------------------------------------------------


def reread(data, encoding="iso-8859-15"):
    """Read a FEC the way a checker would, knowing only the published format; returns {number: lines}."""
    text = data.decode(encoding)  # raises on a byte the encoding does not have
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == COLUMNS
    entries = defaultdict(list)
    for row in rows[1:]:
        assert len(row) == 18, row
        line = dict(zip(COLUMNS, row))
        for column in ("EcritureDate", "PieceDate", "ValidDate"):
            datetime.datetime.strptime(line[column], "%Y%m%d")
        assert re.fullmatch(r"\d+,\d{2}", line["Debit"]) and re.fullmatch(r"\d+,\d{2}", line["Credit"])
        assert (line["Debit"] == "0,00") != (line["Credit"] == "0,00")
        assert bool(line["EcritureLet"]) == bool(line["DateLet"])
        if line["DateLet"]:
            datetime.datetime.strptime(line["DateLet"], "%Y%m%d")
        assert bool(line["Montantdevise"]) == bool(line["Idevise"])
        if line["Idevise"]:
            assert re.fullmatch(r"[A-Z]{3}", line["Idevise"]) and line["Idevise"] != "EUR"
            assert re.fullmatch(r"\d+(,\d+)?", line["Montantdevise"])
        assert re.fullmatch(r"[0-9]+", line["CompteNum"]) and line["JournalCode"]
        entries[int(line["EcritureNum"])].append(line)
    for number, lines in entries.items():
        cents = lambda field: sum(int(line[field].replace(",", "")) for line in lines)  # noqa: E731
        assert cents("Debit") == cents("Credit"), number
        assert len({(line["JournalCode"], line["EcritureDate"], line["PieceRef"]) for line in lines}) == 1
    assert sorted(entries) == list(range(min(entries), max(entries) + 1))  # no gap
    letters = defaultdict(int)
    for lines in entries.values():
        for line in lines:
            if line["EcritureLet"]:
                letters[(line["CompteNum"], line["EcritureLet"])] += (int(line["Debit"].replace(",", ""))
                                                                      - int(line["Credit"].replace(",", "")))
    assert all(balance == 0 for balance in letters.values()), letters  # a letter settles its lines
    return entries


def _fec(client, **period):
    response = client.get("/comptabilite/fec", query_string=period)
    assert response.status_code == 200, _text(response)[:2000]
    return response


def _find(entries, piece_ref, journal=None):
    found = [lines for lines in entries.values() if lines[0]["PieceRef"] == piece_ref
             and (journal is None or lines[0]["JournalCode"] == journal)]
    assert found, piece_ref
    return found


def _by_account(lines):
    return {(line["CompteNum"], "D" if line["Debit"] != "0,00" else "C"): line for line in lines}


def _book_choices(client, invoice, **data):
    response = client.post(f"/comptabilite/factures/{invoice.id}/comptabilisation", data=data,
                           headers={"HX-Request": "true"})
    return response


# --- ACC-5: reverse charge at each line's rate ---------------------------------------------------------------


def test_acc_5_german_coffee_is_reverse_charged_at_5_5_once_the_line_rate_is_chosen(client, accountant, quarter):
    coffee = quarter["coffee"]
    page = _text(client.get(f"/factures/{coffee.id}"))
    assert "Autoliquidation (acquisition intracommunautaire de biens)" in page and "60,00\u00a0€" in page  # 20 %
    line = InvoiceLine.get(InvoiceLine.invoice == coffee)
    response = _book_choices(client, coffee, **{f"taux-{line.id}": "550", "nature": "", "reverse_charge": ""})
    assert response.status_code == 200, _text(response)
    fragment = _text(response)
    assert "<html" not in fragment and "16,50\u00a0€" in fragment and "60,00\u00a0€" not in fragment
    assert AuditRecord.select().where(AuditRecord.action == "accounting.invoice_booking").count() == 1
    entries = reread(_fec(client, **Q1).get_data())
    german = _by_account(_find(entries, "DE-5")[0])
    assert german[("445662", "D")]["Debit"] == german[("4452", "C")]["Credit"] == "16,50"
    assert german[("607", "D")]["Debit"] == german[("401", "C")]["Credit"] == "300,00"
    assert "acquisition intracommunautaire de biens" in german[("401", "C")]["EcritureLib"]


def test_acc_5_order_line_rate_is_used_when_the_supplier_writes_0(app, shop):
    from portal.accounting.vat import VatRegime, invoice_vat_treatment
    from tests.factories import make_order

    roaster = make_supplier("Kaffee Rösterei GmbH", country="DE", vat_number=GERMAN_VAT, siren="")
    order = make_order(shop, roaster, lines=((20000, 1500, 550),), description="Café en grains")
    invoice = _invoice(shop, roaster, "DE-6", DAY(2025, 2, 4), [("Café en grains", 20000, 1500, 0, 0)], category="K")
    InvoiceLine.update(order_line=order.lines[0].id).where(InvoiceLine.invoice == invoice).execute()
    treatment = invoice_vat_treatment(Invoice.get_by_id(invoice.id))
    assert treatment.regime == VatRegime.REVERSE_CHARGE and treatment.by_rate == ((550, 30000, 1650),)


@pytest.mark.parametrize("country,vat_number,account,nature,regime,accounts", [
    ("DE", GERMAN_VAT, "607", "", "REVERSE_CHARGE", ("4452", "445662")),
    ("DE", GERMAN_VAT, "6226", "", "EU_SERVICES", ("445201", "445663")),
    ("DE", GERMAN_VAT, "607", "SERVICES", "EU_SERVICES", ("445201", "445663")),
    ("US", "", "607", "", "IMPORT", ("445202", "445664")),
    ("CH", "", "6226", "", "FOREIGN_SERVICES", ("445201", "445663")),
])
def test_acc_5_goods_services_and_imports_have_their_own_accounts(client, accountant, shop, country, vat_number,
                                                                   account, nature, regime, accounts):
    update_company({"name": "Épicerie du Port SAS", "siren": SIREN}, None)
    supplier = make_supplier("Fournisseur étranger", country=country, vat_number=vat_number, siren="")
    invoice = _invoice(shop, supplier, "X-1", DAY(2025, 2, 1), [("Article", 1000, 10000, 1000, 0)],
                       expense_account=account)
    if nature:
        assert _book_choices(client, invoice, nature=nature, reverse_charge="").status_code == 200
    page = _text(client.get(f"/factures/{invoice.id}"))
    assert f"TVA due ({accounts[0]})" in page and f"TVA déductible ({accounts[1]})" in page
    lines = _by_account(reread(_fec(client, **Q1).get_data())[1])
    assert lines[(accounts[0], "C")]["Credit"] == lines[(accounts[1], "D")]["Debit"] == "10,00"  # 10 % of 100 €


def test_acc_5_domestic_reverse_charge_from_category_ae_or_the_accountants_choice(client, accountant, shop):
    update_company({"name": "Épicerie du Port SAS", "siren": SIREN}, None)
    builder = make_supplier("Maçonnerie Martin")
    marked = _invoice(shop, builder, "BTP-1", DAY(2025, 2, 1), [("Gros œuvre", 1000, 100000, 2000, 0)],
                      category="AE", expense_account="611")
    plain = _invoice(shop, builder, "BTP-2", DAY(2025, 2, 2), [("Second œuvre", 1000, 50000, 1000, 0)],
                     expense_account="611")
    assert _book_choices(client, plain, nature="", reverse_charge="DOMESTIC").status_code == 200
    entries = reread(_fec(client, **Q1).get_data())
    first, second = _by_account(_find(entries, "BTP-1")[0]), _by_account(_find(entries, "BTP-2")[0])
    assert first[("445203", "C")]["Credit"] == first[("445665", "D")]["Debit"] == "200,00"
    assert second[("445203", "C")]["Credit"] == "50,00" and "sous-traitance" in second[("401", "C")]["EcritureLib"]
    assert ("44566", "D") not in first and first[("611", "D")]["Debit"] == "1000,00"


# --- ACC-4: foreign currency -------------------------------------------------------------------------------


def test_acc_4_usd_invoice_enters_the_fec_at_its_rate_with_montantdevise(client, accountant, quarter):
    dollars = quarter["dollars"]
    page = _text(client.get("/comptabilite/", query_string={**Q1, "totaux": "1"}))
    assert "US-7" in page and "sans cours" in page
    refused = _book_choices(client, dollars, exchange_rate="0,92 €", nature="", reverse_charge="")
    assert refused.status_code == 422 and "par exemple 0,9215" in _text(refused)
    saved = _book_choices(client, dollars, exchange_rate="0,92", nature="", reverse_charge="")
    assert saved.status_code == 200
    assert "184,00\u00a0€" in _text(saved) and "920,00\u00a0€" in _text(saved)  # the panel in euros at the rate
    assert InvoiceBooking.get(InvoiceBooking.invoice == dollars).exchange_rate == 920000
    entries = reread(_fec(client, **Q1).get_data())
    machine = _by_account(_find(entries, "US-7")[0])
    supplier = machine[("401", "C")]
    assert supplier["Credit"] == "920,00" and supplier["Montantdevise"] == "1000,00" and supplier["Idevise"] == "USD"
    assert machine[("607", "D")]["Montantdevise"] == "1000,00"
    # Imported goods: import VAT self-assessed at 20 % of the euro base, on its own accounts, without Montantdevise.
    assert machine[("445202", "C")]["Credit"] == machine[("445664", "D")]["Debit"] == "184,00"
    assert machine[("445202", "C")]["Montantdevise"] == ""
    assert "USD 1 = 0,9200 EUR" in supplier["EcritureLib"]
    assert "sans cours" not in _text(client.get("/comptabilite/", query_string={**Q1, "totaux": "1"}))


# --- ACC-3: the card sales journal -------------------------------------------------------------------------


def test_acc_3_card_journal_remittance_commission_refund_and_unpaid(client, accountant, quarter, shop):
    entries = reread(_fec(client, **Q1).get_data())
    card = [lines for lines in entries.values() if lines[0]["JournalCode"] == "CB"]
    assert {lines[0]["JournalLib"] for lines in card} == {"Ventes par carte"}
    remittance = _by_account(_find(entries, f"RC20250310-{shop.id}", "CB")[0])
    assert remittance[("5115", "D")]["Debit"] == remittance[("411", "C")]["Credit"] == "150,00"
    assert remittance[("5115", "D")]["EcritureDate"] == "20250310"
    credit = [lines for lines in _find(entries, f"RC20250310-{shop.id}", "CB") if lines[0]["EcritureDate"] == "20250311"]
    credit = _by_account(credit[0])
    # Commission CB 0,80 % of 100,00 + VISA 1,20 % of 50,00 = 0,80 + 0,60.
    assert credit[("627", "D")]["Debit"] == "1,40" and credit[("512", "D")]["Debit"] == "148,60"
    assert credit[("5115", "C")]["Credit"] == "150,00"
    assert remittance[("5115", "D")]["EcritureLet"] == credit[("5115", "C")]["EcritureLet"] != ""
    assert credit[("5115", "C")]["DateLet"] == "20250311"
    refund = _by_account(_find(entries, "C-T3", "CB")[0])
    assert refund[("411", "D")]["Debit"] == refund[("512", "C")]["Credit"] == "20,00"
    unpaid = _by_account(_find(entries, "IMP-1", "CB")[0])
    assert unpaid[("416", "D")]["Debit"] == unpaid[("512", "C")]["Credit"] == "50,00"
    journals = [lines[0]["JournalCode"] for _, lines in sorted(entries.items())]
    assert journals == sorted(journals, key=["AC", "BQ", "CB"].index)
    page = _text(client.get("/comptabilite/", query_string={**Q1, "totaux": "1"}))
    assert "Remises cartes" in page and "Impayés cartes" in page


def test_acc_3_card_entries_in_the_entries_csv(client, accountant, quarter, shop):
    response = client.get("/comptabilite/ecritures.csv", query_string=Q1)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == COLUMNS
    assert any(row[0] == "CB" and row[4] == "627" and row[11] == "1,40" for row in rows[1:])


def test_acc_3_remittances_are_summed_by_local_day_across_daylight_saving(app, shop):
    """The database sums the captures per local day of Paris: 22:59 UTC is the same day in winter, 23:30
    UTC the next one; in summer (UTC+2 from 30 March to 26 October) 21:30 UTC is the same day and 22:30
    UTC the next one."""
    import zoneinfo

    from portal.accounting.card import remittances
    from portal.accounting.fec import Period

    other = make_shop("Épicerie de la Gare")
    captures = [((2025, 3, 29, 22, 59), 100, "CB", shop), ((2025, 3, 29, 23, 30), 200, "cb", shop),
                ((2025, 3, 30, 21, 30), 400, "VISA", shop), ((2025, 3, 30, 22, 30), 800, "CB", shop),
                ((2025, 3, 30, 22, 30), 1600, "CB", other), ((2025, 10, 25, 22, 30), 3200, "CB", shop),
                ((2025, 10, 26, 22, 30), 6400, "CB", shop)]
    for n, (sent, amount, network, where) in enumerate(captures):
        _capture(where, amount, network, datetime.datetime(*sent), f"D{n}")
    found = remittances(Period(DAY(2025, 3, 1), DAY(2025, 10, 31)), [shop.id, other.id],
                        AccountsConfig(card_credit_delay_days=0), zoneinfo.ZoneInfo("Europe/Paris"))
    assert found == {(DAY(2025, 3, 29), shop.id, "EUR"): {"CB": 100},
                     (DAY(2025, 3, 30), shop.id, "EUR"): {"CB": 200, "VISA": 400},
                     (DAY(2025, 3, 31), shop.id, "EUR"): {"CB": 800}, (DAY(2025, 3, 31), other.id, "EUR"): {"CB": 1600},
                     (DAY(2025, 10, 26), shop.id, "EUR"): {"CB": 9600}}


def test_acc_2_card_accounts_and_commission_rates_are_checked(client, accountant):
    data = form_values(AccountsConfig())
    for name, value, message in (("card_clearing", "512", "5115"), ("card_commission_rates", "CB douze", "taux"),
                                 ("card_commission_rates", "CB 12", "10 %"), ("card_journal", "AC", "propre code"),
                                 ("card_credit_delay_days", "30", "0 à 10"), ("vat_import_due", "607", "445")):
        response = client.post("/comptabilite/comptes", data={**data, name: value})
        assert response.status_code == 422, name
        assert message in _text(response), name
    saved = client.post("/comptabilite/comptes", data={**data, "card_commission_rates": "cb 0,8\nAMEX 2,5"})
    assert saved.status_code == 303, _text(saved)
    assert current_accounts().card_commission_rates == (("CB", 80), ("AMEX", 250))


# --- ACC-4: closed periods and lettering -----------------------------------------------------------------


def _without_valid_date(entries):
    return {number: [dict(line, ValidDate="") for line in lines] for number, lines in entries.items()}


def _close(client, day):
    return client.post("/comptabilite/cloture", data={"au": day}, headers={"HX-Request": "true"})


def test_acc_4_lettering_of_a_paid_invoice(client, accountant, quarter):
    entries = reread(_fec(client, **Q1).get_data())
    invoice = _by_account(_find(entries, "F-100", "AC")[0])[("401", "C")]
    payment = _by_account(_find(entries, "VIR-F100", "BQ")[0])[("401", "D")]
    assert invoice["EcritureLet"] == payment["EcritureLet"] == f"F{quarter['french'].id}"
    assert invoice["DateLet"] == payment["DateLet"] == "20250210"
    unpaid = _by_account(_find(entries, "DE-5", "AC")[0])[("401", "C")]
    assert unpaid["EcritureLet"] == unpaid["DateLet"] == ""
    early = reread(_fec(client, du="2025-01-01", au="2025-01-31").get_data())  # not yet paid on 31/01
    assert _by_account(_find(early, "F-100", "AC")[0])[("401", "C")]["EcritureLet"] == ""


def test_acc_4_closing_needs_the_right_and_a_valid_date(client, login_as, shop, quarter):
    other = make_shop("Autre boutique")
    login_as("partiel", rights=RIGHTS, shop=shop)  # exports one shop of two: may not close the company's books
    assert _close(client, "2025-03-31").status_code == 403
    client.post("/logout")
    make_user("compta2", rights={shop: RIGHTS, other: RIGHTS})
    assert client.login("compta2").status_code == 302
    future = _close(client, (datetime.date.today() + datetime.timedelta(days=3)).isoformat())
    assert future.status_code == 422 and "pas finie" in _text(future)
    assert ClosedPeriod.select().count() == 0
    assert _close(client, "2025-03-31").status_code == 204
    crossing = _close(client, "2026-01-31")
    assert crossing.status_code == 422 and "exercice jusqu'au 31/12/2025" in _text(crossing)
    assert "<html" not in _text(crossing) and 'id="accounting-closing"' in _text(crossing)
    assert ClosedPeriod.select().count() == 1


def test_acc_4_closed_entries_keep_their_number_and_content_and_late_changes_go_to_the_next_period(
        client, accountant, quarter, shop):
    User.update(is_admin=True).where(User.id == accountant.id).execute()
    before = reread(_fec(client, **Q1).get_data())
    page = _text(client.get("/comptabilite/", query_string={**Q1, "totaux": "1"}))
    assert "Période ouverte à partir du 01/01/2025" in page and "Clôturer la période" in page
    response = _close(client, "2025-03-31")
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/comptabilite/"
    closed = ClosedPeriod.get()
    assert (closed.start, closed.end, closed.first_number, closed.last_number) == (
        DAY(2025, 1, 1), DAY(2025, 3, 31), 1, len(before))
    record = AuditRecord.get(AuditRecord.action == "accounting.close_period")
    assert record.after_data["numbers"] == [1, len(before)] and record.user_id == accountant.id
    again = _close(client, "2025-03-31")
    assert again.status_code == 422 and "déjà clôturé" in _text(again)

    # After closing: an invoice dated in the closed quarter is approved, another one is corrected.
    late = _invoice(shop, quarter["dupont"], "F-LATE", DAY(2025, 2, 15), [("Ficelle", 1000, 1000, 2000, 2000)])
    french = quarter["french"]
    Invoice.update(expense_account="606").where(Invoice.id == french.id).execute()

    closed_file = _fec(client, **Q1).get_data()
    after = reread(closed_file)
    # Same numbers, same lines; only ValidDate became the closing date.
    assert _without_valid_date(after) == _without_valid_date(before)
    assert {line["ValidDate"] for lines in after.values() for line in lines} == {datetime.date.today().strftime("%Y%m%d")}
    assert "F-LATE" not in closed_file.decode("iso-8859-15")
    assert "Période clôturée" in _text(client.get("/comptabilite/", query_string={**Q1, "totaux": "1"}))

    april = reread(_fec(client, **JAN_APR).get_data())
    assert {n: lines for n, lines in april.items() if n <= len(before)} == after  # the closed part, unchanged
    late_entry = _find(april, "F-LATE", "AC")[0]
    assert int(late_entry[0]["EcritureNum"]) > len(before) and late_entry[0]["EcritureDate"] == "20250401"
    assert late_entry[0]["PieceDate"] == "20250215"
    fixes = _find(april, "F-100", "AC")
    assert len(fixes) == 3  # the validated entry, its reversal and the corrected entry, in April
    reversal, corrected = (_by_account(lines) for lines in fixes[1:])
    assert reversal[("607", "C")]["Credit"] == "125,00" and reversal[("607", "C")]["EcritureDate"] == "20250401"
    assert corrected[("606", "D")]["Debit"] == "125,00" and corrected[("606", "D")]["EcritureDate"] == "20250401"
    assert LedgerEntry.select().count() == len(before)

    # Closing April stores exactly what the provisional file showed, with the same numbers.
    assert _close(client, "2025-04-30").status_code == 204
    assert reread(_fec(client, **JAN_APR).get_data()).keys() == april.keys()


def test_acc_4_fec_of_a_closed_quarter_with_card_sales_5_5_reverse_charge_and_dollars_passes_an_independent_reread(
        client, accountant, quarter, shop):
    """The acceptance file of issue 12: every kind of entry, validated, re-read without the portal's code."""
    User.update(is_admin=True).where(User.id == accountant.id).execute()
    line = InvoiceLine.get(InvoiceLine.invoice == quarter["coffee"])
    _book_choices(client, quarter["coffee"], **{f"taux-{line.id}": "550", "nature": "", "reverse_charge": ""})
    _book_choices(client, quarter["dollars"], exchange_rate="0,92", nature="", reverse_charge="")
    _capture(shop, 25000, "CB", datetime.datetime(2025, 3, 10, 16, 0), "USD1", currency="USD")  # a dollar sale
    _save_accounts(card_exchange_rates=(("USD", 923400, ""),))
    assert _close(client, "2025-03-31").status_code == 204
    response = _fec(client, **Q1)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SIREN}FEC20250331.txt"'
    assert response.mimetype_params["charset"] == "iso-8859-15"
    data = response.get_data()
    entries = reread(data)
    assert "Rösterei".encode("iso-8859-15") in data  # accented letters in Latin-9, not UTF-8
    journals = {lines[0]["JournalCode"] for lines in entries.values()}
    assert journals == {"AC", "BQ", "CB"}
    assert {line["ValidDate"] for lines in entries.values() for line in lines} == {datetime.date.today().strftime("%Y%m%d")}
    assert _by_account(_find(entries, "DE-5")[0])[("4452", "C")]["Credit"] == "16,50"
    assert any(line["Idevise"] == "USD" for line in _find(entries, "US-7")[0])
    assert any(line["EcritureLet"] for lines in entries.values() for line in lines if line["CompteNum"] == "5115")
    dollar_sales = [line for lines in _find(entries, f"RC20250310-{shop.id}-USD", "CB") for line in lines]
    assert len(dollar_sales) == 5 and {(line["Idevise"], line["EcritureLet"]) for line in dollar_sales
                                       if line["CompteNum"] == "5115"} == {("USD", f"C{shop.id}-USD-20250310")}
    assert _by_account(dollar_sales[:2])[("5115", "D")]["Debit"] == "230,85"  # 250 $ at 0,9234
    utf8 = reread(_fec(client, encodage="utf-8", **Q1).get_data(), "utf-8")
    amounts = lambda found: {n: [(l["CompteNum"], l["Debit"], l["Credit"], l["EcritureLet"]) for l in lines]  # noqa
                             for n, lines in found.items()}
    assert amounts(utf8) == amounts(entries)


def test_acc_4_a_later_period_naming_other_suppliers_corrects_nothing_of_the_closed_history(
        client, accountant, quarter, shop):
    """The closed quarter's suppliers keep their auxiliary accounts when the exported period does not
    name them: their validated entries still match their documents, so April holds no reversal."""
    User.update(is_admin=True).where(User.id == accountant.id).execute()
    _book_choices(client, quarter["dollars"], exchange_rate="0,92", nature="", reverse_charge="")
    assert _close(client, "2025-03-31").status_code == 204
    other = make_supplier("Emballages Martin", siren="")
    _invoice(shop, other, "AVR-1", DAY(2025, 4, 10), [("Cartons", 1000, 5000, 2000, 2000)])
    april = reread(_fec(client, du="2025-04-01", au="2025-04-30").get_data())
    assert [lines[0]["PieceRef"] for lines in april.values()] == ["AVR-1"]
    assert not any("Extourne" in line["EcritureLib"] for lines in april.values() for line in lines)


# --- LOC-3 --------------------------------------------------------------------------------------------------


def test_loc_3_accounting_pages_and_analytic_header_in_english(client, login_as, shop, quarter):
    login_as("accountant", rights=RIGHTS, shop=shop, language="en")
    page = _text(client.get("/comptabilite/", query_string={**Q1, "totaux": "1"}))
    assert "Accounting exports" in page and "Card remittances" in page and "Close the period" in page
    assert "Exports comptables" not in page and "Clôturer la période" not in page
    assert "Chart of accounts" in _text(client.get("/comptabilite/comptes"))
    invoice = _text(client.get(f"/factures/{quarter['coffee'].id}"))
    assert "Reverse charge (intra-EU acquisition of goods)" in invoice
    analytic = client.get("/comptabilite/analytique.csv", query_string=Q1).get_data().decode("utf-8-sig")
    assert analytic.startswith("Invoice date;Invoice no.;Type;Supplier")
