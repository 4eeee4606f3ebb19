"""ACC-1/ACC-4, issue 12 item 8: the shortcuts the FEC takes for the usual documents give exactly what
the general code gives — the Latin-9 encoding through Latin-1, and the purchase entry of an invoice in
euros from a French supplier without self-assessment written out (fec._DomesticEntries) — and leave
every other invoice to the general code."""
import datetime
import itertools

import pytest

from portal.accounting import fec
from portal.accounting.accounts import AccountsConfig

LATIN9_ONLY = "€ŠšŽžŒœŸ"
LATIN1_ONLY = "¤¦¨´¸¼½¾"


@pytest.mark.parametrize("text", [
    "", "Règlement facture F1 Épicerie\r\n", "".join(chr(code) for code in range(256)), LATIN9_ONLY, LATIN1_ONLY,
    "Société’s « café » – 5 €", "x" * 5000 + "½", "Œnologie\t12,50\r\n" * 3, "\u00a0\u202f…\u2028\U0001f600",
])
def test_acc_1_latin9_through_latin1_equals_the_latin9_codec(text):
    assert fec._latin9(text) == text.encode("iso-8859-15", errors="fec-latin9")


def test_acc_1_latin9_of_every_character_alone():
    for code in range(0x3000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        assert fec._latin9(f"a{char}b") == f"a{char}b".encode("iso-8859-15", errors="fec-latin9"), hex(code)


def _values(invoice_id, kind="INVOICE", gross=12000, vat=2000, deducted=0, currency="EUR", country="FR",
            vat_number="", marked=0, choice=None, approved_at="2025-03-06 10:00:00", created_at="2025-03-05 09:00:00",
            expense_account="", rate=None):
    """An invoice row as fec._invoice_rows() reads it (SQLite's text dates)."""
    return (invoice_id, "2025-03-05", kind, f"F{invoice_id:04d}", gross, gross - vat, vat, expense_account, created_at,
            currency, 7, 1, "Dupont ; fils", country, vat_number, deducted, approved_at, marked, rate, "", choice,
            None)


CASES = [
    dict(), dict(kind="CREDIT_NOTE"), dict(kind="DEPOSIT"), dict(deducted=3000), dict(deducted=12000),
    dict(kind="CREDIT_NOTE", deducted=3000), dict(vat=0), dict(gross=0, vat=0), dict(vat=12000), dict(currency=""),
    dict(currency=None), dict(country="MC"), dict(country=""), dict(country=None), dict(choice="NONE"),
    dict(choice=""), dict(marked=1, choice="NONE"), dict(approved_at=None), dict(approved_at=None, created_at=None),
    dict(approved_at=datetime.datetime(2025, 3, 7, 8)), dict(expense_account="6226"), dict(expense_account=" 611 "),
    dict(kind="DEPOSIT", vat=0), dict(kind="DEPOSIT", gross=0, vat=0),
]
# Left to invoice_entry(): other currencies, self-assessment, foreign suppliers, amounts of odd signs.
GENERAL = [
    dict(currency="USD", rate=920000), dict(country="DE", vat_number="DE136695976"), dict(country="US"),
    dict(marked=1), dict(marked=1, choice=""), dict(choice="DOMESTIC"), dict(vat=-100), dict(vat=13000),
    dict(deducted=13000), dict(deducted=-5), dict(gross=-12000, vat=-2000), dict(kind="OTHER"),
]


def _general(values, config, codes):
    row = fec._row_of(values, fec.as_date(values[1]), {})
    aux = config.suppliers + codes[row.supplier_id] if row.supplier_id in codes else ""
    return fec.invoice_entry(row, fec.treatment_of(row, [], [], config), config, aux, row.deducted,
                             row.approved_at or (row.created_at.date() if row.created_at else None), row.rate)


@pytest.mark.parametrize("codes", [{}, {7: "DUPONT"}])
def test_acc_4_domestic_invoice_entry_written_out_equals_invoice_entry(app, codes):
    config = AccountsConfig()
    domestic = fec._DomesticEntries(config, codes)
    for number, case in enumerate(CASES, start=1):
        values = _values(number, **case)
        assert domestic.entry(values, fec.as_date(values[1])) == _general(values, config, codes), case
    for number, case in enumerate(GENERAL, start=100):
        assert domestic.entry(_values(number, **case), datetime.date(2025, 3, 5)) is None, case


def test_acc_4_purchase_journal_equals_the_general_entries(app, monkeypatch):
    """supplier_invoice_entries() over a stream mixing both kinds of invoices gives, in order, the
    entries invoice_entry() gives each (an entry of zero left out)."""
    config = AccountsConfig()
    rows = [_values(number, **case) for number, case in enumerate(CASES + GENERAL[:-1], start=1)]
    streamed = [(values, fec.as_date(values[1]), [], []) for values in rows]
    monkeypatch.setattr(fec, "_invoice_rows", lambda period, shop_ids, where=None: iter(streamed))
    period = fec.Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    entries = list(fec.supplier_invoice_entries(period, [1], config, {7: "DUPONT"}))
    expected = [entry for entry in (_general(values, config, {7: "DUPONT"}) for values in rows) if entry.lines]
    assert entries == expected
    assert len(entries) == len(rows) - 2  # the two documents of zero (an invoice, a deposit)


def test_acc_4_payment_entries_in_euros_written_out_equal_payment_entry(app, monkeypatch):
    config = AccountsConfig()
    rows = [(payment_id, "2025-04-0%d" % (payment_id % 9 + 1), amount, reference, created_at, 12, "F0012", 7,
             currency, 1, "=Dupont", rate, debited)
            for payment_id, (amount, reference, created_at, currency, rate, debited) in enumerate(itertools.product(
                [1, 12345, 0, -500], ["VIR-1", "", None], ["2025-04-03 10:00:00", "2025-04-09 23:00:00", None],
                ["EUR", "", "USD"], [920000], [None, 11500, 100]), start=1)]
    monkeypatch.setattr(fec, "stream_raw", lambda query, dates=(), datetimes=(): iter(rows))
    general, booked_generally = fec.payment_entry, []
    monkeypatch.setattr(fec, "payment_entry", lambda payment, *args: booked_generally.append(payment.id)
                        or general(payment, *args))
    period = fec.Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    entries = list(fec.supplier_payment_entries(period, [1], config, {7: "DUPONT"}))
    # Only the payments in another currency, or of zero or less, go through payment_entry().
    assert booked_generally == [row[0] for row in rows if row[8] == "USD" or row[2] <= 0]
    expected = []
    for values in rows:
        payment, invoice = fec._Payment(), fec._PaidInvoice()
        (payment.id, paid_on, amount, payment.reference, created_at, invoice.id, invoice.number, invoice.supplier_id,
         invoice.currency, invoice.shop_id, name, rate, payment.debited_eur) = values
        payment.paid_on, payment.created_at = fec.as_date(paid_on), fec.as_datetime(created_at)
        payment.amount, invoice.supplier, payment.invoice = amount, fec._Supplier(name, "", ""), invoice
        entry = general(payment, config, "401DUPONT", rate)
        if entry.lines:
            expected.append(entry)
    # A payment of zero with the euros debited known books the loss: 512 / 656 (of the USD ones).
    assert entries == expected and len(entries) == len([row for row in rows if row[2] or (row[8] == "USD" and row[12])])
    assert {line.account for entry in entries for line in entry.lines} == {"401", "512", "656", "756"}
