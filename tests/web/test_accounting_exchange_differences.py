"""Exchange differences on the payments of foreign-currency supplier invoices (ACC-4, issue 12): the
payment form takes the euros the bank debited; the FEC settles the supplier at the invoice's rate, the
bank at what it debited, and books the difference to 656 (loss) or 756 (gain). Without that amount, the
payment is booked at the invoice's rate as before."""
import datetime

from models import AuditRecord, SupplierPayment
from portal.accounting.accounts import current_accounts
from portal.company import update_company
from portal.payments.service import new_idempotency_key
from tests.factories import make_supplier
from tests.web.test_accounting_books import (DAY, Q1, SIREN, _book_choices, _by_account,  # noqa: F401
                                             _fec, _find, _invoice, _text, accountant, reread)

HX_PANEL = {"HX-Request": "true", "HX-Target": "inv-payments"}


def _dollar_invoice(client, shop, rate="0,92"):
    """US-7: 1 000 $ of a coffee grinder, approved, booked at `rate`."""
    update_company({"name": "Épicerie du Port SAS", "siren": SIREN}, None)
    acme = make_supplier("Acme Machines Inc", country="US", vat_number="", siren="")
    invoice = _invoice(shop, acme, "US-7", DAY(2025, 3, 5), [("Moulin à café", 1000, 100000, 0, 0)], currency="USD")
    assert _book_choices(client, invoice, exchange_rate=rate, nature="", reverse_charge="").status_code == 200
    return invoice


def _pay(client, invoice, amount, debited, paid_on=DAY(2025, 3, 20), reference=""):
    return client.post(f"/reglements/factures/{invoice.id}/paiements", headers=HX_PANEL, data={
        "payment-amount": amount, "payment-paid_on": paid_on.isoformat(), "payment-method": "OTHER",
        "payment-reference": reference, "payment-debited_eur": debited,
        "payment-idempotency_key": new_idempotency_key()})


def _summaries_agree(shop, end=DAY(2025, 3, 31)):
    from portal.accounting.fec import Period, summarise, summarise_by_entries

    period, config = Period(DAY(2025, 1, 1), end), current_accounts()
    fast = summarise(period, [shop.id], config)
    assert vars(fast) == vars(summarise_by_entries(period, [shop.id], config))
    return fast


def test_acc_4_exchange_loss_and_gain_on_foreign_supplier_payments(client, accountant, shop):
    invoice = _dollar_invoice(client, shop)
    panel = _text(client.get(f"/reglements/factures/{invoice.id}"))
    assert "Montant débité en euros (facultatif)" in panel
    # 400 $ at 0,92 = 368,00 €, the bank took 372,00 €: a loss of 4,00 €.
    loss = _pay(client, invoice, "400,00", "372,00", reference="VIR-A")
    assert loss.status_code == 200, _text(loss)[:1500]
    assert "372,00\u00a0€" in _text(loss) and "Débité en euros" in _text(loss)
    # 600 $ at 0,92 = 552,00 €, the bank took 546,00 €: a gain of 6,00 €.
    assert _pay(client, invoice, "600", "546", DAY(2025, 3, 25), reference="VIR-B").status_code == 200
    assert [p.debited_eur for p in SupplierPayment.select().order_by(SupplierPayment.id)] == [37200, 54600]
    audit = AuditRecord.select().where(AuditRecord.action == "invoice.payment").order_by(AuditRecord.id).first()
    assert '"debited_eur": 37200' in audit.after

    entries = reread(_fec(client, **Q1).get_data())
    first = _by_account(_find(entries, "VIR-A", "BQ")[0])
    assert first[("401", "D")]["Debit"] == "368,00" and first[("401", "D")]["Montantdevise"] == "400,00"
    assert first[("512", "C")]["Credit"] == "372,00" and first[("512", "C")]["Idevise"] == "USD"
    assert first[("656", "D")]["Debit"] == "4,00" and first[("656", "D")]["Idevise"] == ""
    assert first[("656", "D")]["CompteLib"] == "Pertes de change sur créances et dettes commerciales"
    second = _by_account(_find(entries, "VIR-B", "BQ")[0])
    assert second[("401", "D")]["Debit"] == "552,00" and second[("512", "C")]["Credit"] == "546,00"
    assert second[("756", "C")]["Credit"] == "6,00" and len(second) == 3
    # The supplier is settled at the invoice's rate: 368 + 552 = 920 € letter the invoice's 401 line.
    supplier_lines = [line for lines in entries.values() for line in lines if line["CompteNum"] == "401"]
    assert len({line["EcritureLet"] for line in supplier_lines}) == 1 and supplier_lines[0]["EcritureLet"]
    summary = _summaries_agree(shop)
    assert summary.by_kind["PAYMENT"] == [2, 92000]

    csv_text = client.get("/comptabilite/ecritures.csv", query_string=Q1).get_data().decode("utf-8-sig")
    assert ";656;" in csv_text and ";756;" in csv_text


def test_acc_4_without_the_debited_euros_a_foreign_payment_books_at_the_invoice_rate(client, accountant, shop):
    invoice = _dollar_invoice(client, shop)
    assert _pay(client, invoice, "400,00", "", reference="VIR-A").status_code == 200
    assert SupplierPayment.get().debited_eur is None
    payment = _by_account(_find(reread(_fec(client, **Q1).get_data()), "VIR-A", "BQ")[0])
    assert set(payment) == {("401", "D"), ("512", "C")} and payment[("512", "C")]["Credit"] == "368,00"
    _summaries_agree(shop)


def test_acc_4_debited_euros_bad_input_gets_a_message_and_records_nothing(client, accountant, shop):
    invoice = _dollar_invoice(client, shop)
    for typed, status, message in (
            ("douze", 422, ""),
            ("0", 422, "Le montant doit être supérieur à zéro."),
            ("-5", 422, "Le montant doit être positif."),
            ("12,345", 422, "Trop de décimales : 2 au plus pour EUR."),
            ("3 680,00", 409, "s'écarte de plus de 25 % de la contre-valeur au cours de la facture (368,00")):
        response = _pay(client, invoice, "400,00", typed)
        assert response.status_code == status, (typed, _text(response)[:1500])
        text = _text(response)
        assert message in text
        assert 'id="payment-debited_eur"' in text and 'aria-invalid="true"' in text, typed
    assert SupplierPayment.select().count() == 0


def test_acc_4_euro_invoice_has_no_debited_field_and_ignores_one_sent(client, accountant, shop):
    dupont = make_supplier("Fournitures Dupont")
    invoice = _invoice(shop, dupont, "F-1", datetime.date.today() - datetime.timedelta(days=5),
                       [("Sacs kraft", 1000, 10000, 0, 0)])
    assert "payment-debited_eur" not in _text(client.get(f"/reglements/factures/{invoice.id}"))
    response = _pay(client, invoice, "50,00", "40,00", paid_on=datetime.date.today())
    assert response.status_code == 200
    assert SupplierPayment.get().debited_eur is None


def test_loc_3_debited_euros_field_and_its_messages_in_english(client, login_as, shop):
    login_as("compta_en", rights=["export", "manage_suppliers", "pay_invoices", "approve_invoices"], shop=shop,
             language="en")
    invoice = _dollar_invoice(client, shop)
    panel = _text(client.get(f"/reglements/factures/{invoice.id}"))
    assert "Amount debited in euros (optional)" in panel and "Montant débité" not in panel
    refused = _text(_pay(client, invoice, "400,00", "3680"))
    assert "differs by more than 25 %" in refused and "écarte" not in refused
    assert _pay(client, invoice, "400,00", "").status_code == 200
    assert ">Enter<" in _text(client.get(f"/reglements/factures/{invoice.id}"))
    later = _text(_correct(client, SupplierPayment.get(), "3680"))
    assert "Amount debited not saved: The amount debited" in later and "Montant" not in later
    assert "Amount debited saved: €370.00." in _text(_correct(client, SupplierPayment.get(), "370"))
    accounts = _text(client.get("/comptabilite/comptes"))
    assert "Exchange losses" in accounts and "Exchange gains" in accounts and "Pertes de change" not in accounts


def _correct(client, payment, typed):
    return client.post(f"/reglements/paiements/{payment.id}/debite", headers=HX_PANEL, data={"debited_eur": typed})


def test_acc_4_debited_euros_entered_later_from_the_bank_statement(client, accountant, shop):
    invoice = _dollar_invoice(client, shop)
    assert _pay(client, invoice, "1000,00", "", reference="VIR-A").status_code == 200  # the invoice is paid now
    payment = SupplierPayment.get()
    panel = _text(client.get(f"/reglements/factures/{invoice.id}"))
    assert f'action="/reglements/paiements/{payment.id}/debite"' in panel and ">Saisir<" in panel
    bad = _correct(client, payment, "9,99")
    assert bad.status_code == 409 and "s'écarte de plus de 25 %" in _text(bad)
    # Told next to the field it concerns, which stays open with what was typed.
    assert f'<details class="inline-edit has-error" open>' in _text(bad) and 'value="9,99"' in _text(bad)
    assert f'id="debited-{payment.id}-error"' in _text(bad) and 'aria-invalid="true"' in _text(bad)
    unreadable = _correct(client, payment, "neuf cents")
    assert unreadable.status_code == 422 and "Montant débité non enregistré" in _text(unreadable)
    assert SupplierPayment.get().debited_eur is None
    saved = _correct(client, payment, "931,50")
    assert saved.status_code == 200 and "Montant débité enregistré : 931,50\u00a0€." in _text(saved)
    assert SupplierPayment.get().debited_eur == 93150 and ">Corriger<" in _text(saved)
    history = _text(client.get(f"/factures/{invoice.id}"))
    assert "Montant débité en euros" in history and "Paiement du 20/03/2025 de 1 000,00 $US : débité 931,50 €." in history
    audit = AuditRecord.get(AuditRecord.action == "invoice.payment_debited")
    assert '"debited_eur": null' in audit.before and '"debited_eur": 93150' in audit.after
    payment_entry = _by_account(_find(reread(_fec(client, **Q1).get_data()), "VIR-A", "BQ")[0])
    assert payment_entry[("512", "C")]["Credit"] == "931,50" and payment_entry[("656", "D")]["Debit"] == "11,50"
    _summaries_agree(shop)
    cleared = _correct(client, payment, "")
    assert cleared.status_code == 200 and "Montant débité effacé" in _text(cleared)
    assert SupplierPayment.get().debited_eur is None


def test_acc_4_debited_euros_need_the_pay_right_and_a_foreign_invoice(client, login_as, shop):
    from tests.web.test_accounting_books import _invoice as make_invoice

    login_as("compta", rights=["export", "approve_invoices", "pay_invoices"], shop=shop)
    invoice = _dollar_invoice(client, shop)
    assert _pay(client, invoice, "100,00", "").status_code == 200
    dupont = make_supplier("Fournitures Dupont")
    euros = make_invoice(shop, dupont, "F-1", datetime.date.today(), [("Sacs", 1000, 10000, 0, 0)])
    assert _pay(client, euros, "50,00", "", paid_on=datetime.date.today()).status_code == 200
    euro_payment = SupplierPayment.get(SupplierPayment.invoice == euros.id)
    refused = _correct(client, euro_payment, "50,00")
    assert refused.status_code == 409 and "autre devise" in _text(refused)
    assert _correct(client, SupplierPayment.get(SupplierPayment.invoice == invoice.id), "").status_code == 200
    client.post("/logout")
    login_as("lecteur", rights=["export"], shop=shop)
    dollar_payment = SupplierPayment.get(SupplierPayment.invoice == invoice.id)
    assert "/debite" not in _text(client.get(f"/reglements/factures/{invoice.id}"))
    assert _correct(client, dollar_payment, "92,00").status_code == 403
    assert _correct(client, SupplierPayment(id=999999), "92,00").status_code == 404
    assert SupplierPayment.get(SupplierPayment.invoice == invoice.id).debited_eur is None


def test_acc_4_debited_euros_of_a_closed_payment_are_corrected_in_the_next_open_period(client, accountant, shop):
    from models import User
    from tests.web.test_accounting_books import JAN_APR, _close

    User.update(is_admin=True).where(User.id == accountant.id).execute()
    invoice = _dollar_invoice(client, shop)
    assert _pay(client, invoice, "400,00", "", reference="VIR-A").status_code == 200
    assert _close(client, "2025-03-31").status_code == 204
    closed = reread(_fec(client, **Q1).get_data())
    assert _correct(client, SupplierPayment.get(), "372,00").status_code == 200
    assert reread(_fec(client, **Q1).get_data()) == closed  # the closed quarter does not move
    april = reread(_fec(client, **JAN_APR).get_data())
    validated, reversal, corrected = (_by_account(lines) for lines in _find(april, "VIR-A", "BQ"))
    assert set(validated) == {("401", "D"), ("512", "C")} and validated[("512", "C")]["Credit"] == "368,00"
    assert reversal[("512", "D")]["Debit"] == "368,00" and reversal[("512", "D")]["EcritureDate"] == "20250401"
    assert corrected[("512", "C")]["Credit"] == "372,00" and corrected[("656", "D")]["Debit"] == "4,00"
    assert corrected[("656", "D")]["EcritureDate"] == "20250401"
    _summaries_agree(shop, DAY(2025, 4, 30))


def test_acc_4_a_dollar_invoice_paid_in_three_parts_letters_only_when_its_euros_add_up(client, accountant, shop):
    """1 000 $ at 0,9215 = 921,50 € on 401; paid 333,33 + 333,33 + 333,34 $, each converted on its own:
    307,16 + 307,16 + 307,17 = 921,49 €. A letter must settle its lines: the invoice stays unlettered
    (the accountant writes the cent off); paid in two halves (460,75 + 460,75) it is lettered."""
    invoice = _dollar_invoice(client, shop, rate="0,9215")
    for amount, day in (("333,33", 20), ("333,33", 21), ("333,34", 22)):
        assert _pay(client, invoice, amount, "", DAY(2025, 3, day)).status_code == 200
    entries = reread(_fec(client, **Q1).get_data())  # checks that every letter settles its lines
    supplier_lines = [line for lines in entries.values() for line in lines if line["CompteNum"] == "401"]
    assert len(supplier_lines) == 4 and not any(line["EcritureLet"] for line in supplier_lines)

    halves = _invoice(shop, invoice.supplier, "US-8", DAY(2025, 3, 6), [("Moulin", 1000, 100000, 0, 0)],
                      currency="USD")
    assert _book_choices(client, halves, exchange_rate="0,9215", nature="", reverse_charge="").status_code == 200
    for day in (23, 24):
        assert _pay(client, halves, "500,00", "", DAY(2025, 3, day)).status_code == 200
    entries = reread(_fec(client, **Q1).get_data())
    lettered = {line["EcritureLet"] for lines in entries.values() for line in lines if line["CompteNum"] == "401"
                and line["EcritureLet"]}
    assert lettered == {f"F{halves.id}"}


def test_acc_4_a_rate_entered_after_a_debited_amount_is_checked_against_it(client, accountant, shop):
    """Paid before the accountant entered the rate: the euros debited (a slip, 36 800,00 €) cannot be
    checked then; saving the rate checks them and names the payment, under the rate's field."""
    acme = make_supplier("Acme Machines Inc", country="US", vat_number="", siren="")
    invoice = _invoice(shop, acme, "US-7", DAY(2025, 3, 5), [("Moulin à café", 1000, 100000, 0, 0)], currency="USD")
    assert _pay(client, invoice, "400,00", "36800").status_code == 200
    refused = _book_choices(client, invoice, exchange_rate="0,92", nature="", reverse_charge="")
    assert refused.status_code == 422
    text = _text(refused)
    assert "Paiement du 20/03/2025 : Le montant débité (36\u202f800,00\u00a0€) s'écarte de plus de 25 %" in text
    assert "Corrigez ce cours, ou ce montant débité dans le panneau Règlements." in text
    from models import InvoiceBooking
    assert InvoiceBooking.get_or_none(InvoiceBooking.invoice == invoice.id) is None
    assert _correct(client, SupplierPayment.get(), "368,00").status_code == 200
    assert _book_choices(client, invoice, exchange_rate="0,92", nature="", reverse_charge="").status_code == 200


def test_acc_2_exchange_accounts_are_656_756_by_default_and_666_766_accepted():
    from portal.accounting.accounts import AccountError, AccountsConfig, check_account

    config = AccountsConfig()
    assert (config.exchange_loss, config.exchange_gain) == ("656", "756")
    assert config.label_of("656") == "Pertes de change sur créances et dettes commerciales"
    assert check_account("666", "exchange_loss") == "666" and check_account("7661", "exchange_gain") == "7661"
    for number, role in (("601", "exchange_loss"), ("656", "exchange_gain"), ("512", "exchange_gain")):
        try:
            check_account(number, role)
        except AccountError as error:
            assert "change" in str(error)
        else:
            raise AssertionError(f"{number} accepted as {role}")
