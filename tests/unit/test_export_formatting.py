"""Issues 12 and 14: the fast formatting of the exports (integer arithmetic, values cleaned once,
whole blocks written at a time) gives exactly what the plain formatting gave, edge values included."""
import csv
import datetime
import io
import random
from decimal import Decimal

import pytest

from portal.accounting import fec
from portal.accounting.streaming import Follower
from portal.exports import spreadsheet_safe, spreadsheet_safe_row
from portal.money import exponent
from portal.reports.export import amount_formatter

EDGES = [0, 1, 5, 9, 10, 99, 100, 101, 999, 1000, 12345, 100000, 123456789, 10**15 + 7]


def _plain(minor, currency, mark):
    """The amount through Decimal, the way a reader would check it: « -1234,56 », no grouping."""
    digits = exponent(currency)
    text = f"{abs(Decimal(minor).scaleb(-digits)):.{digits}f}".replace(".", mark)
    return ("-" if minor < 0 else "") + text


@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "KWD"])
@pytest.mark.parametrize("mark", [",", "."])
def test_issue_14_spend_amounts_equal_the_decimal_formatting(currency, mark):
    amount = amount_formatter(currency, mark)
    for minor in EDGES + [-value for value in EDGES]:
        assert amount(minor) == _plain(minor, currency, mark), (currency, minor)


@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "KWD"])
def test_issue_12_fec_amounts_equal_the_decimal_formatting(currency):
    for minor in EDGES + [-value for value in EDGES]:
        assert fec.fec_amount(minor, currency) == _plain(minor, currency, ","), (currency, minor)
        if currency == "EUR":
            assert fec._cents(minor) == _plain(minor, "EUR", ","), minor


def _edge_entries():
    """Entries with every kind of amount the file may hold: zero, cents, large, negative (a stored
    entry read back as it was written), foreign amounts in 0- and 3-decimal currencies, hostile texts."""
    line = fec.EntryLine
    day = datetime.date(2025, 3, 5)
    entries = []
    for index, (amount, currency, foreign) in enumerate([(5, "", None), (100, "", None), (0, "", None),
                                                         (123456789, "USD", 133456789), (-250, "", None),
                                                         (1, "JPY", 7), (99, "KWD", 1234), (10**12, "", None)]):
        entries.append(fec.Entry(
            journal="AC" if index % 2 else "BQ", journal_label="Achats ; frais" if index % 3 else '=Banque "x"',
            date=day + datetime.timedelta(days=index), piece_ref=f"F{index};\"{index}\"", piece_date=day,
            label=f"  +Facture\t{index}  ", valid_date=day, kind="INVOICE", currency=currency, source=f"INV:{index}",
            number=None if index % 3 else 40 + index,
            lines=(line("607", "Achats", amount if amount >= 0 else 0, 0 if amount >= 0 else amount, foreign=foreign),
                   line("401", "Fournisseurs", 0 if amount >= 0 else -amount, amount if amount >= 0 else 0,
                        "401DUP" if index % 2 else "", "-Dupont" if index % 2 else "", foreign, f"F{index}"),
                   line("5115", "Cartes", 0, 0, letter_ref=f"C1-2025030{index % 9 + 1}"))))
    return entries


class _Letters:
    def of(self, ref):
        if ref.startswith("C"):
            return (ref, "20250320") if ref.endswith(("1", "3")) else ("", "")
        return (ref, "20250310") if ref in ("F1", "F4") else ("", "")


def test_issue_12_fast_fec_and_csv_equal_the_fields_of_fec_rows_on_edge_values():
    rows = list(fec.fec_rows(_edge_entries(), _Letters()))
    text = b"".join(fec.fec_chunks(_edge_entries(), "utf-8", _Letters())).decode("utf-8")
    assert text == "\t".join(fec.FEC_COLUMNS) + "\r\n" + "".join("\t".join(row) + "\r\n" for row in rows)
    latin = b"".join(fec.fec_chunks(_edge_entries(), "iso-8859-15", _Letters()))
    assert latin == text.encode("iso-8859-15")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(fec.FEC_COLUMNS)
    writer.writerows(rows)
    assert b"".join(fec.csv_chunks(_edge_entries(), _Letters())).decode("utf-8") == "\ufeff" + buffer.getvalue()
    # Blocks of a few hundred entries: a file of many entries comes out the same, entry for entry.
    many = _edge_entries() * 120
    assert b"".join(fec.fec_chunks(many, "utf-8")).decode("utf-8") == "\t".join(fec.FEC_COLUMNS) + "\r\n" + "".join(
        "\t".join(row) + "\r\n" for row in fec.fec_rows(many))


def test_issue_12_csv_blocks_equal_csv_stream_of_neutralised_rows():
    header = ["Date", "Fournisseur", "Montant"]
    rows = [["01/02/2025", spreadsheet_safe(name), fec.fec_amount(amount)]
            for name, amount in zip(["=SUM(A1)", "Dupont; fils", 'a"b', "-12,50", "", "x\ny"] * 900,
                                    [-5, 0, 5, 100, 123456, -10**9] * 900)]
    assert b"".join(fec.csv_blocks(header, iter(rows), size=1000)) == b"".join(fec.csv_stream(header, rows))
    assert b"".join(fec.csv_blocks(header, iter([]))) == b"".join(fec.csv_stream(header, []))
    assert spreadsheet_safe_row(rows[0]) == rows[0]  # already neutralised: csv_stream changes nothing


def test_issue_12_follower_takes_the_same_groups_as_a_plain_filter():
    rng = random.Random(7)
    keys = sorted((datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 30)), rng.randint(1, 60))
                  for _ in range(400))
    follower_rows = sorted(((day, number, rng.random()) for day, number in keys if rng.random() < 0.3),
                           key=lambda row: row[:2])
    follower = Follower(iter(follower_rows), key=lambda row: (row[0], row[1]))
    for key in sorted(set(keys)):
        assert follower.take(key) == [row for row in follower_rows if row[:2] == key]
    assert follower.take((datetime.date(2026, 1, 1), 0)) == []


def test_issue_12_labels_cache_equals_label_of():
    from portal.accounting.accounts import AccountsConfig

    config = AccountsConfig(expense_accounts=(("6061", "Fournitures"), ("622", "Honoraires")))
    labels = fec._labels_of(config)
    for account in ("6061", "622", config.suppliers, config.bank, "999999"):
        assert labels[account] == config.label_of(account)
    assert fec._labels_of(config) is labels
