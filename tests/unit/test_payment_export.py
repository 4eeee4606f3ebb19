"""PAY-EXP-1 and SEC-3 of portal/payments/export.py: the .xlsx read back by LibreOffice headless
(numbers stay numbers with the currency's decimals, dates stay dates), the CSV as French Excel
opens it, formulas neutralised in text cells, and English headers for an English user."""
import csv
import datetime
import io
import os
import re
import shutil
import subprocess
import zipfile

import pytest

from portal.payments import export

RECORDS = [
    ("T0001", datetime.datetime(2026, 3, 10, 9, 5, 7), "Épicerie du port", "420000######0005", "CB", 123456,
     "EUR", "Envoyée en banque", "=HYPERLINK(\"http://evil\")", "C-1"),
    ("T0002", datetime.datetime(2026, 1, 31, 23, 59, 59), "Épicerie du port", "510000######1234", "Mastercard", 1250,
     "JPY", "Remboursée", "@SUM(A1)", ""),
    ("T0003", datetime.datetime(2025, 12, 24, 18, 0, 0), "Marché", "340000#####0009", "American Express", 5,
     "KWD", "Refusée", "-5", "+33 6 00"),
]


@pytest.fixture
def french(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        yield


def _soffice_csv(path, tmp_path, as_shown=True):
    """The workbook converted by LibreOffice: each cell as LibreOffice formats it (numbers with their
    number format, dates with theirs) — a string cell would come back as typed."""
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    if not os.path.exists(soffice):
        pytest.fail("LibreOffice is missing: .ci/run installs it (apt-get install libreoffice-calc)")
    out = tmp_path / ("shown" if as_shown else "raw")
    profile = tmp_path / "lo-profile"
    # Filter options: comma, double quote, UTF-8, from line 1, …, cells "as shown" (formatted) or raw.
    options = f"44,34,76,1,,1033,false,true,{'true' if as_shown else 'false'}"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(out), str(path)],
                   check=True, timeout=120, capture_output=True)
    return list(csv.reader(io.StringIO((out / (path.stem + ".csv")).read_text(encoding="utf-8"))))


def test_pay_exp_1_xlsx_numbers_and_dates_read_back_by_libreoffice(french, tmp_path):
    path = tmp_path / "transactions.xlsx"
    export.write_xlsx(str(path), iter(RECORDS))
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    # Typed cells: the amount a number (no t="s"/"str"), the date a number with a date style.
    assert '<c r="F2" s="' in sheet and "<v>1234.56</v>" in sheet
    assert "<v>46091.37" in sheet  # 10/03/2026 09:05:07 as a spreadsheet serial date
    rows = _soffice_csv(path, tmp_path)
    assert rows[0][:6] == ["Référence", "Date et heure", "Boutique", "Carte", "Réseau", "Montant"]
    first, second, third = rows[1:4]
    # Formatted by LibreOffice from the number and its format: 2, 0 and 3 decimals.
    assert first[5] == "1,234.56" and second[5] == "1,250" and third[5] == "0.005"
    assert first[1] == "10/03/2026 09:05:07" and second[1] == "31/01/2026 23:59:59"
    # SEC-3: text that a spreadsheet would run is kept as text; a number-looking text is left alone.
    assert first[8] == "'=HYPERLINK(\"http://evil\")" and second[8] == "'@SUM(A1)" and third[8] == "-5"
    assert third[9] == "+33 6 00"  # reads as a number: left alone by SEC-3, written as text


def test_pay_exp_1_xlsx_values_are_numbers_for_libreoffice(french, tmp_path):
    """The values LibreOffice read, without our number formats: amounts keep their exact value, and
    dates are dates (LibreOffice writes them in its own locale's order)."""
    path = tmp_path / "raw.xlsx"
    export.write_xlsx(str(path), iter(RECORDS))
    rows = _soffice_csv(path, tmp_path, as_shown=False)
    assert [row[5] for row in rows[1:4]] == ["1234.56", "1250", "0.005"]
    # A date cell comes back in LibreOffice's own (en-US) date order: a text cell would keep ours.
    assert rows[1][1] == "03/10/2026 09:05:07" and rows[2][1] == "01/31/2026 23:59:59"
    assert rows[1][0] == "T0001" and rows[1][6] == "EUR"


def test_pay_exp_1_csv_for_french_excel(french):
    data = b"".join(export.csv_chunks(iter(RECORDS)))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Référence" and len(rows) == 4
    assert rows[1][1] == "10/03/2026 09:05:07" and rows[1][5] == "1234,56"
    assert rows[2][5] == "1250" and rows[3][5] == "0,005"
    assert rows[1][8].startswith("'=") and rows[3][8] == "-5" and rows[3][9] == "+33 6 00"


def test_pay_exp_1_headers_in_english(app):
    with app.test_request_context("/"):
        from flask_babel import force_locale

        with force_locale("en"):
            assert export.headers()[:3] == ["Reference", "Date and time", "Shop"]
            assert export.state_labels()["CAPTURED"] == "Sent to the bank"


def test_pay_exp_1_chosen_ids_are_numbers_only():
    assert export.chosen_ids(["3", "1", "x", "3", "-2", "9" * 30]) == [1, 3]
    assert export.chosen_ids([str(n) for n in range(5000)]) == list(range(export.MAX_CHOSEN))


def test_pay_exp_1_xlsx_parts_are_well_formed_and_text_survives(french, tmp_path):
    """Every part of the workbook parses as XML; text that XML or Excel would read differently
    (markup, control characters, a literal `_x0041_`) comes back as written; dates are day
    numbers with a date format, the header row is frozen."""
    import xml.etree.ElementTree as ET

    tricky = "a<b>&\"c\" _x0041_ \x01\x1f tab\tline\nend "
    records = [RECORDS[0][:8] + (tricky, " espace ")]
    path = tmp_path / "tricky.xlsx"
    export.write_xlsx(str(path), iter(records))
    book = zipfile.ZipFile(path)
    for name in book.namelist():
        if name.endswith(".xml") or name.endswith(".rels"):
            ET.fromstring(book.read(name))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        shared = ["".join(item.itertext()) for item in ET.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", ns)]

    def text_of(cell):
        value = cell.find("m:v", ns)
        return shared[int(value.text)] if cell.get("t") == "s" else "".join(cell.itertext())

    texts = {cell.get("r"): text_of(cell) for cell in sheet.findall(".//m:row[@r='2']/m:c", ns)}
    unescaped = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), texts["I2"])  # as Excel reads it
    assert unescaped == tricky and texts["J2"] == " espace "
    assert float(texts["B2"]) == (RECORDS[0][1] - datetime.datetime(1899, 12, 30)).total_seconds() // 1 / 86400
    assert sheet.find(".//m:pane", ns).get("state") == "frozen"


def test_pay_exp_1_xlsx_stops_at_a_sheets_last_row(french, tmp_path, monkeypatch):
    """A sheet holds 1,048,576 rows, header included: the rows past it are left out, the file stays valid."""
    monkeypatch.setattr(export, "MAX_ROWS", 3)
    path = tmp_path / "full.xlsx"
    export.write_xlsx(str(path), iter(RECORDS * 2))
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 3 and sheet.endswith("</worksheet>")
