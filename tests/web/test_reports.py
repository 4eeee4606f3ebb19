"""Cash-flow timeline from the bank accounts' opening balances (AP-CASH-1), the bank accounts
form, the spend dashboard and its CSV (AP-REP-1, SEC-3), both in French and English (LOC-3),
within the user's shops and visible analytic values."""
import csv
import datetime
import io
import re

import pytest

from models import (AnalyticAccess, AnalyticAxis, AnalyticValue, Allocation, AuditRecord, BankAccount, Invoice,
                    Operation, SupplierPayment, Transaction, Unpaid)
from portal.invoices.service import InvoiceData, LineData, create_invoice
from portal.reports.timeline import build_timeline
from tests.factories import make_shop, make_supplier, make_transaction
from tests.query_count import counting

ALL = ["manage_suppliers", "approve_invoices", "pay_invoices", "view"]
TODAY = datetime.date.today()
IBAN = "FR7630006000011234567890189"
HX = {"HX-Request": "true", "HX-Target": "bank-account-form"}


def _invoice(shop, supplier, number, net, due, status="APPROVED", kind="INVOICE", issued=None):
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=number, issue_date=issued or TODAY, due_date=due, currency="EUR",
        total_net=net, total_vat=net // 5, total_gross=net + net // 5, kind=kind,
        lines=[LineData("Prestation", 1000, net, 2000)]), None)
    Invoice.update(status=status).where(Invoice.id == invoice.id).execute()
    return Invoice.get_by_id(invoice.id)


def _text(response):
    return response.get_data(as_text=True)


def _cumul_column(page):
    """The « Cumul » cells of the timeline table, in order."""
    table = page[page.index("<tbody>", page.index("Solde de la période")):]
    table = table[:table.index("</tbody>")]
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', table)
    return [cells[i] for i in range(3, len(cells), 4)]


@pytest.fixture
def today(clock):
    clock.set_local_day(TODAY)
    return TODAY


def test_ap_cash_1_timeline_buckets_and_cumulated_balance():
    monday = datetime.date(2026, 11, 23)
    rows = build_timeline(monday, 3, "week", inflows=[(monday, 10000, "remise"), (monday + datetime.timedelta(days=8), 500, "r")],
                          outflows=[(monday - datetime.timedelta(days=30), 3000, "retard"), (monday + datetime.timedelta(days=15), 2000, "f")])
    assert [(r.inflow, r.outflow, r.cumulated) for r in rows] == [(10000, 3000, 7000), (500, 0, 7500), (0, 2000, 5500)]
    months = build_timeline(datetime.date(2026, 1, 31), 2, "month", [(datetime.date(2026, 2, 28), 1, "x")], [])
    assert [r.start for r in months] == [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]
    assert months[1].inflow == 1


def test_ap_cash_1_payables_and_card_remittances_on_the_timeline(client, login_as, shop, today):
    login_as("tresorier", rights=ALL, shop=shop)
    supplier = make_supplier()
    invoice = _invoice(shop, supplier, "F-1", 10000, TODAY + datetime.timedelta(days=10))
    SupplierPayment.create(invoice=invoice, amount=2000, paid_on=TODAY)
    _invoice(shop, supplier, "F-LATE", 5000, TODAY - datetime.timedelta(days=3))
    _invoice(shop, supplier, "F-REFUSED", 7777, TODAY, status="REFUSED")
    page = _text(client.get("/rapports/tresorerie"))
    assert "100,00\u00a0€" in page  # 120,00 € due minus 20,00 € already paid
    assert "F-LATE" in page and "échue le" in page
    assert "93,32" not in page  # the refused invoice is not a payable
    assert "<svg" in page and 'class="chart-out"' in page
    assert "Aucun compte bancaire saisi : le cumul part de zéro." in page


def test_ap_cash_1_expected_card_remittances_summed_per_shop_and_day(app, shop):
    from portal.payments.service import PaymentContext
    from portal.reports.data import remittances_by_day
    from tests.factories import FakeClock

    clock = FakeClock(datetime.datetime.combine(TODAY, datetime.time(9)))
    ctx = PaymentContext(app.extensions["comptoir.acquirer"], clock=clock)
    make_transaction(ctx, shop, 4000, capture_delay=2)
    make_transaction(ctx, shop, 1500, capture_delay=2)
    make_transaction(ctx, shop, 3000, capture_mode="VALIDATION", capture_delay=1)
    flows = remittances_by_day([shop.id], "EUR", include_to_validate=False)
    assert [(f.shop_id, f.day, f.amount) for f in flows] == [(shop.id, TODAY + datetime.timedelta(days=2), 5500)]
    flows = remittances_by_day([shop.id], "EUR", include_to_validate=True)
    assert sorted(f.amount for f in flows) == [3000, 5500]


def test_ap_cash_1_running_total_starts_from_the_opening_balance(client, login_as, shop, today, payment_ctx):
    """Opening 1 000,00 € at the start of 3 days ago. Counted to reach today's balance: what reached
    the bank from that day on (a card remittance −, a supplier payment, an unpaid, a refund sent);
    not counted: the same movements the day before (already in the balance)."""
    login_as("tresorier", rights=ALL, shop=shop)
    opened = TODAY - datetime.timedelta(days=3)
    BankAccount.create(shop=shop, label="Compte courant", iban=IBAN, opening_balance=100000, opening_date=opened)
    supplier = make_supplier()
    paid = _invoice(shop, supplier, "F-PAID", 50000, opened, status="PAID")
    SupplierPayment.create(invoice=paid, amount=20000, paid_on=opened - datetime.timedelta(days=1))  # inside
    SupplierPayment.create(invoice=paid, amount=30000, paid_on=opened)  # counted: -300,00
    later = _invoice(shop, supplier, "F-LATER", 10000, TODAY + datetime.timedelta(days=9))
    SupplierPayment.create(invoice=later, amount=5000, paid_on=TODAY + datetime.timedelta(days=2))  # scheduled
    sent = make_transaction(payment_ctx, shop, 7000)
    before = make_transaction(payment_ctx, shop, 900)
    for txn, day in ((sent, opened), (before, opened - datetime.timedelta(days=1))):
        Operation.create(transaction=txn, kind="CAPTURE", amount=txn.amount, remittance_status="ACCEPTED",
                         sent_at=datetime.datetime.combine(day, datetime.time(22)))
        Transaction.update(state="CAPTURED").where(Transaction.id == txn.id).execute()
    Unpaid.create(transaction=sent, operation_number="OP1", operation_code="DEBIT", unpaid_date=TODAY,
                  file_number="U1", amount=1000, unpaid_code="4837", reason="Contestation")
    make_transaction(payment_ctx, shop, 4000, capture_delay=8)  # still to send: forecast
    page = _text(client.get("/rapports/tresorerie"))
    # 1 000 − 300 (payment) + 70 (remittance) − 10 (unpaid) = 760,00 today
    assert "760,00\u00a0€" in page and "au début du " + opened.strftime("%d/%m/%Y") in page
    assert "-240,00\u00a0€" in page  # movements since the opening
    cumul = _cumul_column(page)
    # forecast: +40 (card, day 8), −50 (scheduled payment, day 2), −70 left on F-LATER (day 9)
    assert cumul[-1] == "680,00\u00a0€" and len(cumul) == 13
    next_monday = TODAY + datetime.timedelta(days=7 - TODAY.weekday())
    first_week = 76000 + sum(amount for days, amount in ((2, -5000), (8, 4000), (9, -7000))
                             if TODAY + datetime.timedelta(days=days) < next_monday)
    assert cumul[0] == f"{first_week // 100},00\u00a0€"
    assert 'class="chart-today"' in page and 'class="chart-balance"' in page


def test_ap_cash_1_per_account_and_shops_without_account(client, login_as, shop, today):
    other = make_shop("Boutique du quai")
    user = login_as("tresorier", rights=ALL, shop=shop)
    from portal.auth.rights import set_rights

    set_rights(user, other, ALL)
    BankAccount.create(shop=shop, label="Courant BNP", iban=IBAN, opening_balance=200000, opening_date=TODAY)
    BankAccount.create(shop=shop, label="Livret", iban="DE89370400440532013000", opening_balance=-5000,
                       opening_date=TODAY)
    _invoice(other, make_supplier(), "Q-1", 10000, TODAY + datetime.timedelta(days=7))
    page = _text(client.get("/rapports/tresorerie"))
    assert "Courant BNP" in page and "Livret" in page and "Boutiques sans compte saisi" in page
    assert "Les flux de la boutique sont comptés sur son premier compte." in page
    assert "1\u202f950,00\u00a0€" in page  # total today: 2 000 − 50
    assert _cumul_column(page)[-1] == "1\u202f830,00\u00a0€"  # minus 120,00 of Q-1


def test_ap_cash_1_query_count_does_not_grow_with_invoices(client, login_as, shop, today, payment_ctx):
    login_as("tresorier", rights=ALL, shop=shop)
    BankAccount.create(shop=shop, label="Courant", iban=IBAN, opening_balance=100000,
                       opening_date=TODAY - datetime.timedelta(days=30))
    supplier = make_supplier()

    def add(count, start):
        Invoice.insert_many([{
            "shop": shop, "supplier": supplier, "number": f"Q-{n}", "kind": "INVOICE", "issue_date": TODAY,
            "due_date": TODAY + datetime.timedelta(days=n % 90 - 10), "currency": "EUR", "total_net": 10000,
            "total_vat": 2000, "total_gross": 12000, "status": "APPROVED"} for n in range(start, start + count)]).execute()
        invoices = Invoice.select(Invoice.id).where(Invoice.number.startswith("Q-")).order_by(Invoice.id.desc()).limit(count)
        SupplierPayment.insert_many([{"invoice": i.id, "amount": 1000, "paid_on": TODAY - datetime.timedelta(days=n % 40)}
                                     for n, i in enumerate(invoices)]).execute()

    add(5, 0)
    make_transaction(payment_ctx, shop, 3000, capture_delay=3)
    with counting() as small:
        first = client.get("/rapports/tresorerie")
    add(495, 5)
    with counting() as large:
        second = client.get("/rapports/tresorerie?periode=month")
    assert first.status_code == second.status_code == 200
    assert small[0] == large[0] <= 25, (small[0], large[0])
    print(f"cash-flow page: {small[0]} queries with 5 invoices, {large[0]} with 500")
    assert "475 factures échues en tout" not in _text(second)  # only those past due are counted
    overdue = Invoice.select().where(Invoice.due_date < TODAY).count()
    assert f"{overdue} factures échues en tout, dont {overdue - 20} non listées ici" in _text(second)


# --- Bank accounts form --------------------------------------------------------------------------


def _account_form(owner, **changes):
    form = {"shop": str(owner.id), "label": "Compte courant", "iban": "FR76 3000 6000 0112 3456 7890 189",
            "opening_balance": "-1 234,56", "opening_date": TODAY.isoformat()}
    form.update(changes)
    return form


@pytest.mark.parametrize("field, value, message", [
    ("opening_balance", "12,3456", "Deux décimales au plus"),
    ("opening_balance", "douze", "Montant illisible"),
    ("opening_balance", "99999999999999999", "Montant trop élevé."),
    ("opening_balance", "", "Saisissez le solde"),
    ("opening_date", "2099-01-01", "Un solde d'ouverture est un solde connu"),
    ("opening_date", "31/02/2026", "Date illisible"),
    ("opening_date", "1999-12-31", "Date trop ancienne"),
    ("iban", "FR7630006000011234567890188", "IBAN invalide"),
    ("iban", "12345", "Un IBAN commence par 2 lettres"),
    ("label", "", "Donnez un nom au compte"),
    ("shop", "999999", "Choisissez une boutique de la liste."),
])
def test_ap_cash_1_bad_account_input_is_told_under_its_field(client, login_as, shop, today, field, value, message):
    login_as("tresorier", rights=ALL, shop=shop)
    response = client.post("/rapports/comptes-bancaires", data=_account_form(shop, **{field: value}))
    page = _text(response)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', page)
    assert error and message in error.group(1).replace("&#39;", "'"), page[-3000:]
    assert BankAccount.select().count() == 0


def test_ap_cash_1_account_saved_audited_and_edited(client, login_as, shop, today):
    login_as("tresorier", rights=ALL, shop=shop)
    saved = client.post("/rapports/comptes-bancaires", data=_account_form(shop))
    assert saved.status_code == 303
    account = BankAccount.get()
    assert (account.iban, account.opening_balance, account.opening_date) == (IBAN, -123456, TODAY)
    record = AuditRecord.get(AuditRecord.action == "bank_account.create")
    assert record.after_data["opening_balance"] == -123456 and record.user.username == "tresorier"
    listing = _text(client.get("/rapports/comptes-bancaires"))
    assert "FR76 3000 6000 0112 3456 7890 189" in listing and "-1\u202f234,56\u00a0€" in listing
    edit = _text(client.get(f"/rapports/comptes-bancaires/{account.id}"))
    assert 'value="-1234,56"' in edit
    earlier = TODAY - datetime.timedelta(days=5)
    changed = client.post(f"/rapports/comptes-bancaires/{account.id}",
                          data=_account_form(shop, opening_balance="2500", opening_date=earlier.strftime("%d/%m/%Y")))
    assert changed.status_code == 303
    assert (BankAccount.get().opening_balance, BankAccount.get().opening_date) == (250000, earlier)
    update = AuditRecord.get(AuditRecord.action == "bank_account.update")
    assert update.before_data["opening_balance"] == -123456 and update.after_data["opening_balance"] == 250000


def test_ap_cash_1_htmx_form_swaps_alone_and_redirects_when_saved(client, login_as, shop, today):
    login_as("tresorier", rights=ALL, shop=shop)
    refused = client.post("/rapports/comptes-bancaires", data=_account_form(shop, opening_balance="12,3456"), headers=HX)
    fragment = _text(refused)
    assert refused.status_code == 422 and fragment.lstrip().startswith('<form id="bank-account-form"')
    assert "<html" not in fragment and "Deux décimales au plus" in fragment
    saved = client.post("/rapports/comptes-bancaires", data=_account_form(shop), headers=HX)
    assert saved.status_code == 204 and saved.headers["HX-Redirect"].endswith("/rapports/comptes-bancaires")


def test_sec_1_bank_accounts_of_other_shops_stay_out_of_reach(client, login_as, shop, today):
    other = make_shop("Boutique B")
    theirs = BankAccount.create(shop=other, label="Compte ZZB", iban=IBAN, opening_balance=777700, opening_date=TODAY)
    login_as("tresorier", rights=ALL, shop=shop)
    assert "ZZB" not in _text(client.get("/rapports/comptes-bancaires"))
    assert "ZZB" not in _text(client.get("/rapports/tresorerie")) and "7\u202f777,00" not in _text(client.get("/rapports/tresorerie"))
    assert client.get(f"/rapports/comptes-bancaires/{theirs.id}").status_code == 404
    assert client.post(f"/rapports/comptes-bancaires/{theirs.id}", data=_account_form(shop)).status_code == 404
    assert client.post("/rapports/comptes-bancaires", data=_account_form(other)).status_code == 422
    assert BankAccount.select().where(BankAccount.shop == shop).count() == 0
    assert BankAccount.get_by_id(theirs.id).opening_balance == 777700


def test_ap_cash_1_only_the_paying_right_enters_accounts(client, login_as, shop, today):
    BankAccount.create(shop=shop, label="Courant", iban=IBAN, opening_balance=100, opening_date=TODAY)
    login_as("approbateur", rights=["approve_invoices"], shop=shop)
    page = _text(client.get("/rapports/comptes-bancaires"))
    assert "Courant" in page and "Payer les factures" in page and 'id="bank-account-form"' not in page
    assert client.post("/rapports/comptes-bancaires", data=_account_form(shop)).status_code == 403
    account = BankAccount.get()
    assert client.get(f"/rapports/comptes-bancaires/{account.id}").status_code == 404
    assert BankAccount.select().count() == 1


# --- Spend dashboard and CSV -----------------------------------------------------------------------


def test_ap_rep_1_spend_by_supplier_month_and_value_with_filters(client, login_as, shop):
    user = login_as("compta", rights=ALL, shop=shop)
    dupont = make_supplier()
    martin = make_supplier("Papeterie Martin", vat_number="FR32123456789", siren="123456789")
    first = _invoice(shop, dupont, "D-1", 500000, TODAY, issued=datetime.date(2026, 10, 5))
    _invoice(shop, martin, "M-1", 120000, TODAY, issued=datetime.date(2026, 11, 5))
    _invoice(shop, martin, "M-AV", 20000, TODAY, kind="CREDIT_NOTE", issued=datetime.date(2026, 11, 6))
    axis = AnalyticAxis.create(name="Centre de coût")
    secret = AnalyticAxis.create(name="Client", restricted=True)
    commercial = AnalyticValue.create(axis=axis, name="Commercial")
    accor = AnalyticValue.create(axis=secret, name="Accor Hôtels")
    Allocation.create(invoice=first, value=commercial, amount=200000)
    Allocation.create(invoice=first, value=accor, amount=300000)
    page = _text(client.get("/rapports/depenses"))
    assert "5\u202f000,00\u00a0€" in page and "1\u202f000,00\u00a0€" in page  # Martin: 1 200 − 200
    assert "10/2026" in page and "11/2026" in page
    assert "Commercial" in page and "Accor" not in page  # restricted axis invisible (ALLOC-3)
    AnalyticAccess.create(axis=secret, user=user)
    assert "Accor Hôtels" in _text(client.get("/rapports/depenses"))
    filtered = _text(client.get(f"/rapports/depenses?fournisseur={martin.id}&du=2026-11-01"))
    assert "Fournitures Dupont <span" not in filtered and "Papeterie Martin <span" in filtered
    export = client.get(f"/rapports/depenses.csv?fournisseur={martin.id}")
    text = _text(export)
    assert export.mimetype == "text/csv" and text.startswith("\ufeffDate;Fournisseur")
    assert "M-1" in text and "D-1" not in text and "1200,00" in text


def _csv_rows(response, delimiter):
    return list(csv.reader(io.StringIO(_text(response).lstrip("\ufeff")), delimiter=delimiter))


def test_loc_3_spend_csv_shows_words_not_codes_and_neutralises_formulas(client, login_as, shop):
    login_as("compta", rights=ALL, shop=shop)
    evil = make_supplier("=HYPERLINK(\"http://x.test\",\"clic\")", vat_number="", siren="")
    _invoice(shop, evil, "@SUM(1)", 10000, TODAY, status="PAID")
    _invoice(shop, make_supplier(), "AV-1", 2000, TODAY, kind="CREDIT_NOTE", status="RECEIVED")
    rows = _csv_rows(client.get("/rapports/depenses.csv"), ";")
    assert rows[0] == ["Date", "Fournisseur", "Numéro", "Type", "HT", "TVA", "TTC", "Devise", "Statut", "Échéance"]
    body = {row[2]: row for row in rows[1:]}
    assert body["'@SUM(1)"][1].startswith("'=HYPERLINK")  # SEC-3
    assert (body["'@SUM(1)"][3], body["'@SUM(1)"][8]) == ("Facture", "Paiement transmis")
    assert (body["AV-1"][3], body["AV-1"][8]) == ("Avoir", "Reçue (déposée)")
    text = _text(client.get("/rapports/depenses.csv"))
    assert not re.search(r"\b(INVOICE|CREDIT_NOTE|PAID|RECEIVED|APPROVED)\b", text)


def test_loc_3_spend_csv_in_english(client, login_as, shop):
    login_as("anne", rights=ALL, shop=shop, language="en")
    _invoice(shop, make_supplier("Acme Ltd", vat_number="", siren=""), "A-1", 123456, TODAY, status="PARTIALLY_PAID")
    response = client.get("/rapports/depenses.csv")
    rows = _csv_rows(response, ",")
    assert rows[0] == ["Date", "Supplier", "Number", "Type", "Net", "VAT", "Gross", "Currency", "Status", "Due date"]
    assert rows[1][3:] == ["Invoice", "1234.56", "246.91", "1481.47", "EUR", "Partially paid", TODAY.strftime("%d/%m/%Y")]
    assert 'filename="spend.csv"' in response.headers["Content-Disposition"]



def test_ap_rep_1_spend_csv_amounts_over_several_chunks(client, login_as, shop, monkeypatch):
    """Amounts written to the cent, negative ones too, whatever the chunk a row is read in."""
    from portal.accounting import streaming

    monkeypatch.setattr(streaming, "FETCH_SIZE", 2)  # five rows: three chunks
    login_as("compta", rights=ALL, shop=shop)
    supplier = make_supplier("Grossiste", vat_number="", siren="")
    for number, net in (("C-1", 5), ("C-2", 100), ("C-3", 123456789), ("C-4", 0), ("C-5", 7)):
        _invoice(shop, supplier, number, net, TODAY)
    Invoice.update(total_net=-12345, total_vat=-5, total_gross=-12350).where(Invoice.number == "C-5").execute()
    rows = _csv_rows(client.get("/rapports/depenses.csv"), ";")
    assert {row[2]: row[4:7] for row in rows[1:]} == {
        "C-1": ["0,05", "0,01", "0,06"], "C-2": ["1,00", "0,20", "1,20"],
        "C-3": ["1234567,89", "246913,57", "1481481,46"], "C-4": ["0,00", "0,00", "0,00"],
        "C-5": ["-123,45", "-0,05", "-123,50"]}

FRENCH_WORDS = ("Trésorerie", "Encaissements", "Décaissements", "Fournisseur", "Enregistrer", "Solde", "Compte",
                "Montant", "Factures", "Aujourd", "Semaine", "Afficher", "Dépenses", "échue", "Boutique")


def _english(page, user_data=()):
    interface = re.sub(r'name="csrf_token"[^>]*>', "", page)
    for value in user_data:
        interface = interface.replace(value, "")
    french = [word for word in FRENCH_WORDS if word in interface]
    assert not french, french
    return page


def test_loc_3_report_pages_in_english(client, login_as, shop, today):
    login_as("anne", rights=ALL, shop=shop, language="en")
    data = [shop.name, "Main account", "Acme Ltd", "Compte courant"]
    BankAccount.create(shop=shop, label="Main account", iban=IBAN, opening_balance=150000,
                       opening_date=TODAY - datetime.timedelta(days=2))
    supplier = make_supplier("Acme Ltd", vat_number="", siren="")
    _invoice(shop, supplier, "A-1", 10000, TODAY - datetime.timedelta(days=1))
    cashflow = _english(_text(client.get("/rapports/tresorerie")), data)
    assert "Cash-flow forecast" in cashflow and "Estimated balance today" in cashflow and "Today" in cashflow
    assert "1,500.00" in cashflow and "Overdue invoices" in cashflow and "Acme Ltd no. A-1" in cashflow
    assert "Running balance" in cashflow and "€" in cashflow
    months = _english(_text(client.get("/rapports/tresorerie?periode=month")), data)
    assert "Month" in months
    accounts = _english(_text(client.get("/rapports/comptes-bancaires")), data)
    assert "Bank accounts" in accounts and "Save the account" in accounts and "Opening balance (€)" in accounts
    refused = client.post("/rapports/comptes-bancaires", data=_account_form(shop, opening_balance="12,3456",
                                                                            opening_date="2099-01-01", iban="FR00"))
    page = _english(_text(refused), data)
    assert refused.status_code == 422 and "Two decimals at most" in page
    assert "An opening balance is a known balance" in page and "An IBAN starts with 2 letters" in page
    spend = _english(_text(client.get("/rapports/depenses")), data)
    assert "Supplier spend" in spend and "By supplier" in spend and "Export (CSV)" in spend


def test_ap_cash_1_a_dollar_invoice_paid_from_the_euro_account_counts_the_euros_debited(client, login_as, shop, today):
    """A payment of a USD invoice whose euros debited are known left the euro account: 372,00 € out of
    the balance (and a scheduled one in the forecast); one without them is not counted in euros."""
    login_as("tresorier", rights=ALL, shop=shop)
    opened = TODAY - datetime.timedelta(days=3)
    BankAccount.create(shop=shop, label="Compte courant", iban=IBAN, opening_balance=100000, opening_date=opened)
    dollars = create_invoice(InvoiceData(
        shop=shop, supplier=make_supplier("Acme Machines Inc", country="US", vat_number="", siren=""), number="US-7",
        issue_date=opened, due_date=TODAY + datetime.timedelta(days=30), currency="USD", total_net=100000,
        total_vat=0, total_gross=100000), None)
    Invoice.update(status="PARTIALLY_PAID").where(Invoice.id == dollars.id).execute()
    SupplierPayment.create(invoice=dollars, amount=40000, paid_on=opened, debited_eur=37200)
    SupplierPayment.create(invoice=dollars, amount=10000, paid_on=opened)  # euros debited not known yet
    SupplierPayment.create(invoice=dollars, amount=20000, paid_on=TODAY + datetime.timedelta(days=2),
                           debited_eur=18500)
    page = _text(client.get("/rapports/tresorerie"))
    assert "628,00\u00a0€" in page and "-372,00\u00a0€" in page  # 1 000 − 372
    assert _cumul_column(page)[-1] == "443,00\u00a0€"  # − 185 scheduled; the dollars left to pay are not euros
