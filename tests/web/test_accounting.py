"""Accounting exports (ACC-1, ACC-2, ALLOC-3, AUTH-2): the FEC read back as the tax administration
reads it — name, 18 columns, balanced entries numbered without a gap, dates and amounts — with the
reverse-charge pair, deposits and payments; the analytic CSV without restricted values; the chart
of accounts checked against the PCG; the reverse-charge panel of an invoice."""
import csv
import datetime
import html as html_module
import io
import json
import re
from collections import defaultdict

import pytest

from models import (AnalyticAccess, AnalyticAxis, AnalyticValue, Allocation, AuditRecord, DepositDeduction, Invoice,
                    Setting, SupplierPayment, User)
from portal.company import update_company
from portal.accounting.fec import FEC_COLUMNS
from portal.invoices.service import InvoiceData, LineData, create_invoice
from portal.purchasing.amounts import line_net, vat_amount
from portal.suppliers.identifiers import check_vat_number
from tests.factories import make_shop, make_supplier, make_user

RIGHTS = ["export", "manage_suppliers", "approve_invoices", "pay_invoices"]
SIREN = "552100554"
GERMAN_VAT = "DE136695976"
YEAR_2025 = {"du": "2025-01-01", "au": "2025-12-31"}
AMOUNT = re.compile(r"^\d+,\d{2}$")


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def _invoice(shop, supplier, number, issue_date, lines, *, kind="INVOICE", status="APPROVED", vat_category="S",
             currency="EUR", expense_account=""):
    """lines: (description, quantity_milli, unit_price, vat_rate, charged_vat_rate) — the supplier may charge
    0 % (reverse charge) on a line whose French rate is known."""
    bases = defaultdict(int)
    for _, quantity, price, _, charged in lines:
        bases[charged] += line_net(quantity, price)
    breakdown = [(vat_category, rate, base, vat_amount(base, rate)) for rate, base in bases.items()]
    net, vat = sum(bases.values()), sum(row[3] for row in breakdown)
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=number, issue_date=issue_date, currency=currency, total_net=net,
        total_vat=vat, total_gross=net + vat, kind=kind,
        lines=[LineData(d, q, p, r) for d, q, p, r, _ in lines], vat_breakdown=breakdown), None)
    Invoice.update(status=status, expense_account=expense_account).where(Invoice.id == invoice.id).execute()
    return Invoice.get_by_id(invoice.id)


@pytest.fixture
def books(shop):
    """A year of supplier documents: French and German purchases, a credit note, a deposit deducted from its
    balance invoice, payments, and invoices the FEC must leave out."""
    dupont = make_supplier("Fournitures Dupont")
    assert check_vat_number(GERMAN_VAT, "DE") == GERMAN_VAT  # a real checksum, as the supplier form checks it
    schmidt = make_supplier("Büro Schmidt GmbH", country="DE", vat_number=GERMAN_VAT, siren="")
    acme = make_supplier("Acme Corp", country="US", vat_number="", siren="")
    day = datetime.date
    books = {
        "french": _invoice(shop, dupont, "F-001", day(2025, 3, 10), [("Ramette papier A4", 10000, 1250, 2000, 2000)]),
        "fees": _invoice(shop, dupont, "F-010", day(2025, 3, 20), [("Conseil", 1000, 50000, 2000, 2000)],
                         expense_account="6226"),
        "german": _invoice(shop, schmidt, "DE-77", day(2025, 4, 2),
                           [("Machine", 1000, 100000, 0, 0), ("Fachbücher", 2000, 10000, 550, 0)], vat_category="K"),
        "deposit": _invoice(shop, dupont, "ACPT-1", day(2025, 5, 2), [("Acompte 20 %", 1000, 1667, 2000, 2000)],
                            kind="DEPOSIT", status="PAID"),
        "balance": _invoice(shop, dupont, "SOLDE-1", day(2025, 6, 10), [("Étagères", 1000, 8333, 2000, 2000)]),
        "credit": _invoice(shop, dupont, "AV-1", day(2025, 7, 1), [("Retour", 1000, 1000, 2000, 2000)],
                           kind="CREDIT_NOTE"),
        "received": _invoice(shop, dupont, "F-002", day(2025, 8, 1), [("x", 1000, 999, 2000, 2000)], status="RECEIVED"),
        "refused": _invoice(shop, dupont, "F-003", day(2025, 8, 2), [("x", 1000, 999, 2000, 2000)], status="REFUSED"),
        "disputed": _invoice(shop, dupont, "F-004", day(2025, 8, 3), [("x", 1000, 999, 2000, 2000)], status="DISPUTED"),
        "last_year": _invoice(shop, dupont, "F-000", day(2024, 12, 31), [("x", 1000, 999, 2000, 2000)]),
        "dollars": _invoice(shop, acme, "US-5", day(2025, 9, 1), [("Licence", 1000, 30000, 0, 0)], currency="USD"),
    }
    assert (books["deposit"].total_gross, books["balance"].total_gross) == (2000, 10000)
    DepositDeduction.create(invoice=books["balance"], deposit=books["deposit"], amount=2000)
    SupplierPayment.create(invoice=books["deposit"], amount=2000, paid_on=day(2025, 5, 5))
    SupplierPayment.create(invoice=books["balance"], amount=8000, paid_on=day(2025, 6, 20), reference="VIR-0620")
    SupplierPayment.create(invoice=books["last_year"], amount=1199, paid_on=day(2024, 12, 31))
    return books


@pytest.fixture
def accountant(login_as, shop):
    user = login_as("compta", rights=RIGHTS, shop=shop)
    return user


def _company(client):
    """The company identity, set by an administrator (the only ones allowed: it is every shop's)."""
    update_company({"name": "Comptoir Démo", "siren": SIREN}, None)


def _fec(client, **args):
    response = client.get("/comptabilite/fec", query_string={**YEAR_2025, **args})
    assert response.status_code == 200, _text(response)
    return response


def _rows(response, encoding="iso-8859-15"):
    text = response.get_data().decode(encoding)
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))


def _entries(rows):
    entries = defaultdict(list)
    for row in rows[1:]:
        entries[int(row[2])].append(dict(zip(FEC_COLUMNS, row)))
    return entries


def _setting(key):
    return json.loads(Setting.get(Setting.key == key).value)


def _cents(amount):
    whole, fraction = amount.split(",")
    return int(whole) * 100 + int(fraction)


def _entry_of(entries, piece_ref, journal="AC"):
    found = [lines for lines in entries.values()
             if lines[0]["PieceRef"] == piece_ref and lines[0]["JournalCode"] == journal]
    assert len(found) == 1, (piece_ref, journal)
    return {(line["CompteNum"], "D" if _cents(line["Debit"]) else "C"): line for line in found[0]}


# --- The FEC ---------------------------------------------------------------------------------------


def test_acc_2_fec_file_name_columns_numbering_dates_and_amounts(client, accountant, books):
    _company(client)
    response = _fec(client)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SIREN}FEC20251231.txt"'
    assert response.mimetype == "text/plain" and response.mimetype_params["charset"] == "iso-8859-15"
    rows = _rows(response)
    assert tuple(rows[0]) == FEC_COLUMNS == (
        "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
        "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
        "ValidDate", "Montantdevise", "Idevise")
    assert all(len(row) == 18 for row in rows)
    numbers = [int(row[2]) for row in rows[1:]]
    assert numbers == sorted(numbers) and sorted(set(numbers)) == list(range(1, max(numbers) + 1))
    entries = _entries(rows)
    # 6 booked documents (received, refused, disputed, last year's and the dollar invoice left out) + 2 payments.
    assert len(entries) == 8
    for lines in entries.values():
        assert sum(_cents(line["Debit"]) for line in lines) == sum(_cents(line["Credit"]) for line in lines) > 0
        assert len({(line["JournalCode"], line["EcritureDate"], line["PieceRef"]) for line in lines}) == 1
    journals = [row[0] for row in rows[1:]]
    assert journals == sorted(journals, key=["AC", "BQ"].index)  # journal by journal: purchases, then bank
    for journal in ("AC", "BQ"):  # chronological, and numbered without a gap, within each journal too
        own = [row for row in rows[1:] if row[0] == journal]
        assert [row[3] for row in own] == sorted(row[3] for row in own)
        own_numbers = sorted({int(row[2]) for row in own})
        assert own_numbers == list(range(own_numbers[0], own_numbers[-1] + 1))
    for row in rows[1:]:
        for column in (3, 9, 15):  # EcritureDate, PieceDate, ValidDate: AAAAMMJJ
            assert re.fullmatch(r"\d{8}", row[column]) and datetime.datetime.strptime(row[column], "%Y%m%d")
        assert "20250101" <= row[3] <= "20251231"
        assert AMOUNT.match(row[11]) and AMOUNT.match(row[12])  # decimal comma, no thousands separator
        assert (row[11] == "0,00") != (row[12] == "0,00")  # one side per line
        assert row[16:] == ["", ""]  # all in euros
        assert (row[13] == "") == (row[14] == "")  # a letter comes with its date
    pieces = {row[8] for row in rows[1:]}
    assert not pieces & {"F-002", "F-003", "F-004", "F-000", "US-5"}
    french = _entry_of(entries, "F-001")
    assert french[("607", "D")]["Debit"] == "125,00" and french[("44566", "D")]["Debit"] == "25,00"
    supplier_line = french[("401", "C")]
    assert supplier_line["Credit"] == "150,00" and supplier_line["CompAuxLib"] == "Fournitures Dupont"
    assert supplier_line["CompAuxNum"] == "401FOURNITURE" and french[("607", "D")]["CompAuxNum"] == ""
    assert french[("607", "D")]["CompteLib"] == "Achats de marchandises"
    assert _entry_of(entries, "F-010")[("6226", "D")]["CompteLib"] == "Honoraires"
    assert AuditRecord.select().where(AuditRecord.action == "accounting.export_fec").count() == 1


def test_acc_1_acc_2_fec_holds_the_reverse_charge_pair_of_a_german_invoice(client, accountant, books):
    _company(client)
    entries = _entries(_rows(_fec(client)))
    german = _entry_of(entries, "DE-77")
    # 1 000,00 € at 20 % + 200,00 € of books at 5,5 %: 211,00 € due (4452) and deductible (445662).
    assert german[("4452", "C")]["Credit"] == "211,00" and german[("4452", "C")]["CompteLib"] == "TVA due intracommunautaire"
    assert german[("445662", "D")]["Debit"] == "211,00"
    assert german[("607", "D")]["Debit"] == "1200,00"  # no thousands separator
    assert german[("401", "C")]["Credit"] == "1200,00" and german[("401", "C")]["CompAuxNum"] == "401BUROSCHMID"
    assert set(german) == {("607", "D"), ("445662", "D"), ("4452", "C"), ("401", "C")}
    assert "autoliquidation" in german[("401", "C")]["EcritureLib"]
    assert ("44566", "D") not in german


def test_acc_2_fec_books_deposits_their_deduction_payments_and_credit_notes(client, accountant, books):
    _company(client)
    entries = _entries(_rows(_fec(client)))
    deposit = _entry_of(entries, "ACPT-1")
    assert set(deposit) == {("4091", "D"), ("401", "C")}
    assert deposit[("4091", "D")]["Debit"] == deposit[("401", "C")]["Credit"] == "20,00"
    balance = _entry_of(entries, "SOLDE-1")  # the full price, less the deposit already paid
    assert balance[("607", "D")]["Debit"] == "83,33" and balance[("44566", "D")]["Debit"] == "16,67"
    assert balance[("4091", "C")]["Credit"] == "20,00" and balance[("401", "C")]["Credit"] == "80,00"
    paid_deposit = _entry_of(entries, "ACPT-1", journal="BQ")
    assert paid_deposit[("401", "D")]["Debit"] == paid_deposit[("512", "C")]["Credit"] == "20,00"
    assert paid_deposit[("401", "D")]["JournalLib"] == "Banque" and paid_deposit[("401", "D")]["EcritureDate"] == "20250505"
    paid_balance = _entry_of(entries, "VIR-0620", journal="BQ")
    assert paid_balance[("401", "D")]["Debit"] == "80,00" and paid_balance[("401", "D")]["CompAuxNum"] == "401FOURNITURE"
    credit = _entry_of(entries, "AV-1")  # a credit note reverses an invoice
    assert credit[("401", "D")]["Debit"] == "12,00"
    assert credit[("607", "C")]["Credit"] == "10,00" and credit[("44566", "C")]["Credit"] == "2,00"
    # The supplier's account is settled: invoices and deposit credited, payments and the credit note debited.
    lines = [line for entry in entries.values() for line in entry if line["CompAuxNum"] == "401FOURNITURE"]
    balance_401 = sum(_cents(line["Credit"]) - _cents(line["Debit"]) for line in lines)
    assert balance_401 == 15000 + 60000 - 1200  # F-001 and F-010 unpaid, less the credit note
    deposits_4091 = [line for entry in entries.values() for line in entry if line["CompteNum"] == "4091"]
    assert sum(_cents(line["Debit"]) - _cents(line["Credit"]) for line in deposits_4091) == 0


def test_acc_2_fec_in_utf_8_on_request(client, accountant, books):
    _company(client)
    response = _fec(client, encodage="utf-8")
    assert response.mimetype_params["charset"] == "utf-8"
    rows = _rows(response, "utf-8")
    assert any(row[7] == "Büro Schmidt GmbH" for row in rows)


def test_acc_2_plain_csv_of_the_same_entries(client, accountant, books):
    response = client.get("/comptabilite/ecritures.csv", query_string=YEAR_2025)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="ecritures-20250101-20251231.csv"'
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert tuple(rows[0]) == FEC_COLUMNS and len({row[2] for row in rows[1:]}) == 8


def test_acc_2_export_page_links_to_the_company_page_and_shows_counts(client, accountant, books):
    User.update(is_admin=True).where(User.id == accountant.id).execute()
    page = _text(client.get("/comptabilite/", query_string=YEAR_2025))
    # The company identity is owned by /entreprise: the accounting page links there, never edits it.
    assert "Le SIREN de votre entreprise manque" in page and 'name="siren"' not in page and 'href="/entreprise"' in page
    refused = client.get("/comptabilite/fec", query_string=YEAR_2025)
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/comptabilite/?")
    assert client.post("/comptabilite/entreprise", data={"name": "X", "siren": SIREN}).status_code in (404, 405)
    _company(client)
    page = _text(client.get("/comptabilite/", query_string={**YEAR_2025, "totaux": "1"}))
    assert "SIREN de votre entreprise manque" not in page
    assert f"{SIREN}FEC20251231.txt" in page
    assert "Équilibré" in page and "8</strong> (" in page
    assert "3 facture(s) de la période pas encore approuvée(s)" in page
    assert "Période ouverte à partir du 01/01/2025" in page
    assert "US-5" in page and "sans cours" in page  # the dollar invoice is named until its rate is entered
    assert "2\u202f050,00\u00a0€" in page  # TTC of the 4 invoices (150 + 600 + 1 200 + 100), without the RC VAT
    assert "211,00\u00a0€" in page  # reverse-charge VAT of the period
    fragment = _text(client.get("/comptabilite/", query_string={"du": "2025-12-31", "au": "2025-01-01"},
                                headers={"HX-Request": "true", "HX-Target": "accounting-summary"}))
    assert "La date de fin doit suivre la date de début" in fragment and "<html" not in fragment


def test_acc_2_export_page_shows_at_once_and_its_figures_come_by_a_second_request(client, accountant, books):
    """The figures read the whole period (up to a second at 100,000 invoices): the page leaves them to
    htmx, its download links work at once; a page without JavaScript gets them with « Afficher les totaux »."""
    _company(client)
    response = client.get("/comptabilite/", query_string=YEAR_2025)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Target" in response.headers["Vary"]
    placeholder = html[html.index('<div id="accounting-figures"'):]
    placeholder = placeholder[:placeholder.index("</div>")]
    assert 'hx-trigger="load"' in placeholder and 'hx-swap="outerHTML"' in placeholder
    assert 'hx-get="/comptabilite/?' in placeholder and "du=2025-01-01" in placeholder and "au=2025-12-31" in placeholder
    assert "totaux=1" in placeholder and "Afficher les totaux" in placeholder
    assert "Total débit" not in html and f"{SIREN}FEC20251231.txt" in html  # the links without the figures
    fragment = client.get("/comptabilite/", query_string=YEAR_2025,
                          headers={"HX-Request": "true", "HX-Target": "accounting-figures"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and text.count('id="accounting-figures"') == 1
    assert "Équilibré" in text and "8</strong> (" in text and "hx-trigger" not in text
    assert "Télécharger le FEC" not in text  # the figures only: the links stay where they are
    changed = client.get("/comptabilite/", query_string=YEAR_2025,
                         headers={"HX-Request": "true", "HX-Target": "accounting-summary"})
    assert "8</strong> (" in changed.get_data(as_text=True)  # a new period: figures and links in one swap
    wrong = client.get("/comptabilite/", query_string={"du": "2025-12-31", "au": "2025-01-01"},
                       headers={"HX-Request": "true", "HX-Target": "accounting-figures"})
    assert wrong.status_code == 422 and "Choisissez une période valide" in wrong.get_data(as_text=True)


def test_auth_2_accounting_needs_export_and_payables_rights(client, login_as, shop, books):
    login_as("caissier", rights=["view", "export"], shop=shop)  # card payments only
    assert client.get("/comptabilite/").status_code == 403
    assert client.get("/comptabilite/fec", query_string=YEAR_2025).status_code == 403
    assert client.get("/comptabilite/analytique.csv", query_string=YEAR_2025).status_code == 403
    assert client.get("/comptabilite/comptes").status_code == 403
    assert client.post("/comptabilite/cloture", data={"au": "2025-12-31"}).status_code == 403


def test_auth_2_only_an_administrator_rewrites_the_company(client, login_as, shop, books):
    """Issue 9, low: the company is the SEPA payer of every shop; a supplier manager of one shop
    sees it on the accounting pages without a form or a link to change it."""
    _company(client)
    login_as("acheteur", rights=["manage_suppliers", "export", "pay_invoices"], shop=shop)
    page = _text(client.get("/comptabilite/comptes"))
    assert 'name="siren"' not in page and SIREN in page and 'href="/entreprise"' not in page
    assert client.post("/entreprise", data={"name": "Pirate SARL", "siren": "732829320"}).status_code == 403
    assert _setting("company")["siren"] == SIREN


def test_auth_2_supplier_manager_sets_the_accounts_but_exports_nothing_without_the_export_right(client, login_as,
                                                                                                 shop, books):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop)
    page = _text(client.get("/comptabilite/", query_string=YEAR_2025))
    assert "Plan de comptes" in page and "Télécharger le FEC" not in page
    assert client.get("/comptabilite/comptes").status_code == 200
    assert client.get("/comptabilite/fec", query_string=YEAR_2025).status_code == 403
    assert client.get("/comptabilite/ecritures.csv", query_string=YEAR_2025).status_code == 403


def test_auth_2_fec_holds_only_the_shops_the_user_may_export(client, login_as, shop, books):
    other = make_shop("Autre boutique")
    make_user("autre", rights={other: RIGHTS})
    stranger = make_supplier("Voisin SARL", vat_number="", siren="")
    _invoice(other, stranger, "X-1", datetime.date(2025, 3, 1), [("x", 1000, 5000, 2000, 2000)])
    login_as("compta", rights=RIGHTS, shop=shop)
    _company(client)
    rows = _rows(_fec(client))
    assert "X-1" not in {row[8] for row in rows[1:]}


# --- Analytic CSV ----------------------------------------------------------------------------------


def _analytic(client):
    response = client.get("/comptabilite/analytique.csv", query_string=YEAR_2025)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="analytique-20250101-20251231.csv"'
    data = response.get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_alloc_3_acc_2_analytic_csv_leaves_out_restricted_axes_and_values(client, login_as, shop, books):
    centre = AnalyticAxis.create(name="Centre de coût", position=1)
    commercial = AnalyticValue.create(axis=centre, name="Commercial", code="COM")
    consultant = AnalyticValue.create(axis=centre, name="Consultant", code="CST")
    secret = AnalyticValue.create(axis=centre, name="Projet Opale", code="OPA", restricted=True)
    client_axis = AnalyticAxis.create(name="Client", position=2, restricted=True)
    accor = AnalyticValue.create(axis=client_axis, name="Accor Hôtels", code="ACC")
    french, credit = books["french"], books["credit"]  # 125,00 € and a 10,00 € credit note
    Allocation.create(invoice=french, value=commercial, amount=5000, percent=4000)
    Allocation.create(invoice=french, value=consultant, amount=5000)
    Allocation.create(invoice=french, value=secret, amount=2500)
    Allocation.create(invoice=french, value=accor, amount=12500)
    Allocation.create(invoice=credit, value=commercial, amount=1000)
    Allocation.create(invoice=books["received"], value=commercial, amount=999)  # not approved: not exported
    director = make_user("direction", rights={shop: RIGHTS})
    AnalyticAccess.create(axis=client_axis, user=director)
    AnalyticAccess.create(value=secret, user=director)

    login_as("compta", rights=RIGHTS, shop=shop)
    rows = _analytic(client)
    assert rows[0][:3] == ["Date facture", "N° facture", "Type"] and "Montant HT" in rows[0]
    amount = rows[0].index("Montant HT")
    seen = {(row[1], row[8], row[amount]) for row in rows[1:]}
    assert seen == {("F-001", "Commercial", "50,00"), ("F-001", "Consultant", "50,00"), ("AV-1", "Commercial", "-10,00")}
    text = "\n".join(";".join(row) for row in rows)
    assert "Accor" not in text and "Client" not in text and "Opale" not in text
    assert rows[1][0] == "10/03/2025" and rows[1][rows[0].index("Pourcentage")] == "40,00"

    client.post("/logout")
    assert client.login("direction").status_code == 302
    rows = _analytic(client)
    granted = {(row[6], row[8], row[amount]) for row in rows[1:]}
    assert ("Client", "Accor Hôtels", "125,00") in granted and ("Centre de coût", "Projet Opale", "25,00") in granted


# --- Chart of accounts ----------------------------------------------------------------------------


def _accounts_form(**overrides):
    from portal.accounting.accounts import AccountsConfig, form_values

    data = form_values(AccountsConfig())
    data.update({"suppliers": "401", "expense_default": "606", "vat_deductible": "44566", "vat_intracom_deductible": "445662",
            "vat_intracom_due": "4452", "deposits": "4091", "bank": "5121", "purchases_journal": "HA",
            "purchases_journal_label": "Achats", "bank_journal": "BQ1", "bank_journal_label": "Banque Populaire",
            "default_vat_rate": "20", "expense_accounts": "607 Achats de marchandises\n606 Achats non stockés\n"
                                                          "6226 Honoraires\n613 Locations"})
    data.update(overrides)
    return data


def test_acc_2_accounts_are_checked_against_the_pcg(client, accountant):
    page = _text(client.get("/comptabilite/comptes"))
    assert 'value="401"' in page and "6226 Honoraires" in page and 'value="4452"' in page
    cases = {
        "suppliers": ("501", "doit être un compte fournisseurs de la classe 4"),
        "vat_intracom_due": ("44571", "TVA due intracommunautaire"),
        "bank": ("51A", "ne contient que des chiffres"),
        "expense_default": ("615", "Ajoutez le compte 615 à la liste"),
        "expense_accounts": ("401 Fournisseurs", "n'est pas un compte de charges"),
        "bank_journal": ("HA", "un autre code que le journal des achats"),
        "default_vat_rate": ("vingt", "Taux de TVA illisible"),
    }
    for name, (value, message) in cases.items():
        response = client.post("/comptabilite/comptes", data=_accounts_form(**{name: value}))
        assert response.status_code == 422, name
        assert message in _text(response), name
    assert Setting.get_or_none(Setting.key == "accounts") is None


def test_loc_3_acc_2_chart_of_accounts_messages_in_english(client, login_as, shop):
    login_as("accountant", rights=["export", "manage_suppliers", "approve_invoices", "pay_invoices"], shop=shop,
             language="en")
    cases = {
        "suppliers": ("501", "The “Suppliers” account must be a class 4 supplier account (401…); “501” is not one."),
        "vat_intracom_due": ("44571", "must be an intra-EU VAT due account (4452…)"),
        "bank": ("51A", "An account number holds digits only, 3 to 10 of them (for example 512)."),
        "expense_default": ("615", "Add account 615 to the list of expense accounts"),
        "expense_accounts": ("606 Achats\n401 Fournisseurs", "Line 2: “401” is not an expense account"),
        "bank_journal": ("HA", "The bank journal needs a code other than the purchases journal's."),
        "card_commission_rates": ("CB 12", "Line 1: a commission above 10 % is not plausible."),
        "fiscal_year_start_month": ("13", "A month from 1 (January) to 12 (December)."),
    }
    for name, (value, message) in cases.items():
        response = client.post("/comptabilite/comptes", data=_accounts_form(**{name: value}))
        assert response.status_code == 422, name
        assert message in _text(response), (name, re.findall(r'class="error"[^<]*<?[^<]*', _text(response)))
        assert "doit être" not in _text(response) and "Ligne " not in _text(response), name


def test_acc_2_edited_accounts_and_journals_are_used_by_the_fec(client, accountant, books):
    response = client.post("/comptabilite/comptes", data=_accounts_form())
    assert response.status_code == 303, _text(response)
    assert AuditRecord.select().where(AuditRecord.action == "accounting.accounts").count() == 1
    _company(client)
    entries = _entries(_rows(_fec(client)))
    french = _entry_of(entries, "F-001", journal="HA")
    assert french[("606", "D")]["Debit"] == "125,00" and french[("606", "D")]["JournalLib"] == "Achats"
    payment = _entry_of(entries, "VIR-0620", journal="BQ1")
    assert payment[("5121", "C")]["Credit"] == "80,00" and payment[("5121", "C")]["JournalLib"] == "Banque Populaire"
    assert _entry_of(entries, "F-010", journal="HA")[("6226", "D")]["Debit"] == "500,00"
    page = _text(client.get("/comptabilite/comptes"))
    assert "401FOURNITURE" in page and "401BUROSCHMID" in page


def test_acc_2_supplier_accounts_are_unique_and_survive_a_rename(client, accountant, shop):
    twin = make_supplier("Fournitures Dupont & Fils")  # same first ten letters as Fournitures Dupont
    dupont = make_supplier("Fournitures Dupont", vat_number="", siren="")
    _invoice(shop, twin, "T-1", datetime.date(2025, 2, 1), [("x", 1000, 1000, 2000, 2000)])
    _invoice(shop, dupont, "D-1", datetime.date(2025, 2, 2), [("x", 1000, 1000, 2000, 2000)])
    _company(client)
    first = {row[8]: row[6] for row in _rows(_fec(client))[1:] if row[4] == "401"}
    assert first == {"T-1": "401FOURNITURE", "D-1": "401FOURNITU02"}
    dupont.name = "Dupont Bureautique"
    dupont.save()
    again = {row[8]: (row[6], row[7]) for row in _rows(_fec(client))[1:] if row[4] == "401"}
    assert again["D-1"] == ("401FOURNITU02", "Dupont Bureautique")


# --- Invoice panel ----------------------------------------------------------------------------------


def test_acc_1_invoice_page_shows_reverse_charge_and_vat_due_and_deductible(client, accountant, books):
    page = _text(client.get(f"/factures/{books['german'].id}"))
    assert "Autoliquidation (acquisition intracommunautaire de biens)" in page
    assert "TVA due (4452)" in page and "TVA déductible (445662)" in page
    assert page.count("211,00\u00a0€") >= 2
    french = _text(client.get(f"/factures/{books['french'].id}"))
    assert "TVA française déductible" in french and "TVA déductible (44566)" in french and "Autoliquidation (" not in french
    fees = _text(client.get(f"/factures/{books['fees'].id}"))
    assert "6226" in fees and "Honoraires" in fees
