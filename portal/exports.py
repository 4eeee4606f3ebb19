"""What every CSV and spreadsheet export shares: text that a spreadsheet would run as a formula
is written as text (SEC-3, CSV injection)."""
import re

# A cell starting with one of these is a formula (or a DDE call) to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
# Numbers stay numbers: a negative amount is not a formula.
_NUMBER = re.compile(r"^[-+]?[0-9][0-9 \u00a0\u202f]*(?:[.,][0-9]+)?$")


def spreadsheet_safe(value):
    """`=HYPERLINK(…)` -> `'=HYPERLINK(…)`; numbers, dates and non-text values unchanged."""
    if not isinstance(value, str) or not value or value[0] not in FORMULA_STARTS or _NUMBER.match(value):
        return value
    return "'" + value


def spreadsheet_safe_row(row):
    return [spreadsheet_safe(value) for value in row]
