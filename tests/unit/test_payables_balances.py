"""Rules of supplier payments in plain Python (AP-PAY-1): what is left to pay, the limits of a payment,
of a deposit deduction and of a SEPA batch line, and the status reached once paid."""
import datetime

import pytest

from portal.payables.balances import (Balance, InvoiceFacts, PaymentRefused, check_batch_line, check_deduction,
                                      check_execution_date, check_payment, deposit_available, payable_refusal,
                                      status_after)

SUPPLIER, OTHER_SUPPLIER, SHOP = 1, 2, 1


def facts(id=1, kind="INVOICE", status="APPROVED", due=10000, paid=0, deducted=0, currency="EUR",
          supplier=SUPPLIER, shop=SHOP, deducted_elsewhere=0):
    return InvoiceFacts(id, kind, status, currency, supplier, shop, Balance(due, paid, deducted), deducted_elsewhere)


def refusal(check, *args):
    with pytest.raises(PaymentRefused) as raised:
        check(*args)
    return raised.value


def test_ap_pay_1_outstanding_is_total_minus_payments_minus_deductions():
    balance = Balance(10000, paid=2000, deducted=3000)
    assert balance.settled == 5000 and balance.outstanding == 5000
    assert balance.after_payment(1500).outstanding == 3500
    assert balance.after_deduction(5000).outstanding == 0


def test_ap_pay_1_twenty_then_eighty_settles_a_hundred():
    invoice = facts(due=10000)
    check_payment(invoice, 2000, "TRANSFER")
    after_deposit = invoice.balance.after_payment(2000)
    assert after_deposit.outstanding == 8000
    assert status_after("APPROVED", after_deposit) == "PARTIALLY_PAID"
    check_payment(facts(due=10000, paid=2000, status="PARTIALLY_PAID"), 8000, "CHEQUE")
    settled = after_deposit.after_payment(8000)
    assert settled.outstanding == 0 and status_after("PARTIALLY_PAID", settled) == "PAID"


@pytest.mark.parametrize("amount", [0, -1, None])
def test_ap_pay_1_payment_must_be_positive(amount):
    assert "supérieur à zéro" in refusal(check_payment, facts(), amount, "TRANSFER").message


def test_ap_pay_1_payment_never_above_outstanding():
    invoice = facts(due=10000, paid=2000, status="PARTIALLY_PAID")
    check_payment(invoice, 8000, "TRANSFER")  # exactly the rest is fine
    refused = refusal(check_payment, invoice, 8001, "TRANSFER")
    assert refused.field == "amount" and "80,01" in refused.message and "80,00" in refused.message


@pytest.mark.parametrize("status", ["APPROVED", "PARTIALLY_APPROVED", "PARTIALLY_PAID"])
def test_ap_pay_1_only_approved_or_partially_paid_invoices_are_paid(status):
    assert payable_refusal("INVOICE", status) is None
    assert payable_refusal("DEPOSIT", status) is None


@pytest.mark.parametrize("status,words", [
    ("RECEIVED", "approuvée"), ("IN_HAND", "approuvée"), ("DISPUTED", "litige"), ("SUSPENDED", "suspendue"),
    ("REFUSED", "refusée"), ("PAID", "déjà entièrement payée"),
])
def test_ap_pay_1_other_statuses_refused_with_the_reason(status, words):
    assert words in refusal(check_payment, facts(status=status), 100, "TRANSFER").message


def test_ap_pay_1_credit_notes_are_not_paid():
    assert "avoir" in refusal(check_payment, facts(kind="CREDIT_NOTE"), 100, "TRANSFER").message


def test_ap_pay_1_unknown_method_refused():
    assert refusal(check_payment, facts(), 100, "BITCOIN").field == "method"


def test_ap_pay_1_status_unchanged_without_settlement():
    assert status_after("APPROVED", Balance(10000)) == "APPROVED"
    assert status_after("PARTIALLY_APPROVED", Balance(10000, paid=1)) == "PARTIALLY_PAID"


# --- Deposit deductions ------------------------------------------------------------------------------


def paid_deposit(due=3000, deducted_elsewhere=0, **kw):
    return facts(id=2, kind="DEPOSIT", status="PAID", due=due, paid=due, deducted_elsewhere=deducted_elsewhere, **kw)


def test_ap_pay_1_paid_deposit_deducted_from_balance_invoice():
    check_deduction(facts(due=10000), paid_deposit(3000), 3000)
    after = Balance(10000).after_deduction(3000)
    assert after.outstanding == 7000 and status_after("APPROVED", after) == "PARTIALLY_PAID"


def test_ap_pay_1_deposit_must_itself_be_fully_paid():
    unpaid = facts(id=2, kind="DEPOSIT", status="PARTIALLY_PAID", due=3000, paid=1000)
    refused = refusal(check_deduction, facts(), unpaid, 1000)
    assert refused.field == "deposit" and "entièrement payée" in refused.message


def test_ap_pay_1_only_deposit_invoices_of_the_same_supplier_are_deducted():
    assert "acompte" in refusal(check_deduction, facts(), facts(id=2, status="PAID"), 100).message
    other = paid_deposit(supplier=OTHER_SUPPLIER)
    assert "même fournisseur" in refusal(check_deduction, facts(), other, 100).message
    assert "elle-même" in refusal(check_deduction, facts(id=2, kind="INVOICE"), paid_deposit(), 100).message
    assert "USD" in refusal(check_deduction, facts(), paid_deposit(currency="USD"), 100).message


def test_ap_pay_1_deduction_never_more_than_what_is_left_of_the_deposit():
    deposit = paid_deposit(3000, deducted_elsewhere=2000)
    assert deposit_available(deposit) == 1000
    check_deduction(facts(), deposit, 1000)
    refused = refusal(check_deduction, facts(), deposit, 1001)
    assert refused.field == "amount" and "reste à déduire" in refused.message
    used_up = paid_deposit(3000, deducted_elsewhere=3000)
    assert "déjà été entièrement déduite" in refusal(check_deduction, facts(), used_up, 1).message


def test_ap_pay_1_deduction_never_more_than_the_outstanding():
    invoice = facts(due=10000, paid=9000, status="PARTIALLY_PAID")
    refused = refusal(check_deduction, invoice, paid_deposit(3000), 2000)
    assert "reste à payer" in refused.message


def test_ap_pay_1_deduction_only_on_a_payable_balance_invoice():
    assert "approuvée" in refusal(check_deduction, facts(status="RECEIVED"), paid_deposit(), 100).message
    assert "avoir" in refusal(check_deduction, facts(kind="CREDIT_NOTE"), paid_deposit(), 100).message
    assert "autre acompte" in refusal(check_deduction, facts(kind="DEPOSIT"), paid_deposit(), 100).message


# --- SEPA batch lines ------------------------------------------------------------------------------


def test_ap_pay_1_batch_line_in_euros_within_the_outstanding():
    check_batch_line(facts(due=10000, paid=2500, status="PARTIALLY_PAID"), 7500, "F-1")
    assert "euros" in refusal(check_batch_line, facts(currency="USD"), 100, "F-1").message
    assert refusal(check_batch_line, facts(due=100), 101, "F-1").message.startswith("F-1 : ")
    assert "approuvée" in refusal(check_batch_line, facts(status="IN_HAND"), 100, "F-1").message


def test_ap_pay_1_execution_date_today_or_later():
    today = datetime.date(2026, 3, 10)
    check_execution_date(today, today)
    check_execution_date(today + datetime.timedelta(days=3), today)
    assert refusal(check_execution_date, today - datetime.timedelta(days=1), today).field == "execution_date"
    assert refusal(check_execution_date, None, today).field == "execution_date"
