"""ACC-2/ACC-4, issue 12 item 8: the fast writers of the FEC and of the entries CSV give exactly what the
plain ones gave (csv.writer, the whitespace-collapsing and formula-neutralising text cleaning), and the
card journal's local days are those of the time zone, daylight saving included."""
import csv
import datetime
import io
import zoneinfo

import pytest

from portal.accounting import fec
from portal.accounting.card import utc_offsets
from portal.exports import spreadsheet_safe

HOSTILE = ["", " ", "Fournitures Dupont", "  deux  espaces ", "=HYPERLINK(\"x\")", "+33 1 23", "-12,50", "-abc",
           "@SUM(A1)", "|cmd", "%x", "tab\tinside", "line\nbreak", "cr\rlf", "a;b", 'guil"lemet', '";"', "\u00a0nbsp",
           "fin\u2028ligne", "Rösterei GmbH – café « 5,5 % »", "\x1ccontrole", "\u3000ideographic", "12", "x" * 300]


@pytest.mark.parametrize("value", HOSTILE + [None, 12])
def test_acc_2_text_fast_path_equals_the_plain_cleaning(value):
    assert fec._text(value) == spreadsheet_safe(" ".join(str(value or "").split()))


def test_acc_2_csv_fields_are_quoted_as_csv_writer_does():
    for value in HOSTILE:
        cleaned = fec._text(value)
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(["a", cleaned, "b"])
        assert buffer.getvalue() == f"a;{fec._csv_text(value)};b\r\n", value


def _entries():
    line = fec.EntryLine
    return [
        fec.Entry(journal="AC", journal_label="Achats", date=datetime.date(2025, 3, 5), piece_ref='F;"1"',
                  piece_date=datetime.date(2025, 3, 5), label="=Facture F;1 Dupont", valid_date=datetime.date(2025, 3, 6),
                  kind="INVOICE", currency="USD", source="INV:1",
                  lines=(line("607", "Achats; marchandises", 11501, 0, foreign=12500),
                         line("401", "Fournisseurs", 0, 11501, "401DUPONT", 'Dupont "et fils"', 12500, "F1"))),
        fec.Entry(journal="BQ", journal_label="Banque", date=datetime.date(2025, 3, 9), piece_ref="VIR-1",
                  piece_date=datetime.date(2025, 3, 9), label="Règlement", valid_date=datetime.date(2025, 3, 9),
                  kind="PAYMENT", number=42, provisional=False,
                  lines=(line("401", "Fournisseurs", 7, 0, letter_ref="F1"), line("512", "Banque", 0, 7))),
    ]


class _Letters:
    def of(self, ref):
        return (ref, "20250310") if ref == "F1" else ("", "")


def test_acc_4_fec_and_csv_lines_equal_the_fields_joined():
    rows = list(fec.fec_rows(_entries(), _Letters()))
    assert rows[2][2] == "42" and rows[0][2] == "1" and rows[0][16:] == ("125,00", "USD")
    fec_text = b"".join(fec.fec_chunks(_entries(), "utf-8", _Letters())).decode("utf-8")
    assert fec_text == "\t".join(fec.FEC_COLUMNS) + "\r\n" + "".join("\t".join(row) + "\r\n" for row in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(fec.FEC_COLUMNS)
    writer.writerows(rows)
    assert b"".join(fec.csv_chunks(_entries(), _Letters())).decode("utf-8") == "\ufeff" + buffer.getvalue()


def test_acc_3_utc_offsets_follow_daylight_saving():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    spans = utc_offsets(datetime.datetime(2024, 12, 30), datetime.datetime(2026, 1, 2), paris)
    assert spans == [(datetime.datetime(2025, 3, 30, 1), 3600), (datetime.datetime(2025, 10, 26, 1), 7200),
                     (datetime.datetime(2026, 1, 2), 3600)]
    # Half an hour of daylight saving (Lord Howe Island): found to the minute.
    howe = utc_offsets(datetime.datetime(2025, 1, 1), datetime.datetime(2025, 12, 31),
                       zoneinfo.ZoneInfo("Australia/Lord_Howe"))
    assert [seconds for _, seconds in howe] == [39600, 37800, 39600]
    assert utc_offsets(datetime.datetime(2025, 6, 1), datetime.datetime(2025, 6, 2), paris) == [
        (datetime.datetime(2025, 6, 2), 7200)]
