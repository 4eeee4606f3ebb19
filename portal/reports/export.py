"""The spend CSV (AP-REP-1) at any size: one query read as a stream, rows written a few thousand at
a time; headers, kinds and statuses in the user's language, never their codes (LOC-3); the
merchant's texts neutralised for spreadsheets (SEC-3)."""
import csv
import datetime
import functools
import io

from flask_babel import gettext as _

from models import Invoice, Supplier
from portal.accounting.streaming import stream_raw_chunks
from portal.exports import FORMULA_STARTS, spreadsheet_safe, spreadsheet_safe_row
from portal.money import exponent
from portal.reports import data
from portal.reports.pages import KIND_LABELS, STATUS_LABELS, label_of

CURRENCY = "EUR"  # the export holds this currency's invoices only, as the dashboard


def spend_csv_header():
    return [_("Date"), _("Fournisseur"), _("Numéro"), _("Type"), _("HT"), _("TVA"), _("TTC"), _("Devise"),
            _("Statut"), _("Échéance")]


def amount_formatter(currency, decimal_mark):
    """1200,00 from the integer, never through a float (MONEY-1), and far faster than Babel."""
    digits = exponent(currency)
    scale = 10 ** digits
    if digits == 2:  # most currencies: the format without a nested width, the faster one
        def cents(minor):
            if minor >= 0:
                return f"{minor // 100}{decimal_mark}{minor % 100:02d}"
            minor = -minor
            return f"-{minor // 100}{decimal_mark}{minor % 100:02d}"
        return cents

    def amount(minor):
        whole, fraction = divmod(-minor if minor < 0 else minor, scale)
        text = f"{whole}{decimal_mark}{fraction:0{digits}d}" if digits else str(whole)
        return "-" + text if minor < 0 else text

    return amount


@functools.lru_cache(maxsize=4096)  # a year of invoices has a few hundred distinct days
def day_text(day):
    """dd/mm/yyyy of a date, or of the ISO text SQLite hands back (no date object per row)."""
    if not day:
        return ""
    text = day.isoformat() if isinstance(day, datetime.date) else str(day)
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}"


def _written(buffer, writer, rows):
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(rows)
    return buffer.getvalue()


def spend_csv(shop_ids, args, locale):
    """Text chunks of the CSV. French spreadsheets read « 1200,00 » split by « ; », English ones
    « 1200.00 » split by « , ». Words are looked up before the first row, inside the request."""
    french = locale.startswith("fr")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if french else ",")
    amount = amount_formatter(CURRENCY, "," if french else ".")  # negative amounts (credit notes)
    kinds = {code: label_of(KIND_LABELS, code) for code in KIND_LABELS}
    statuses = {code: label_of(STATUS_LABELS, code) for code in STATUS_LABELS}
    other = label_of({}, "")
    writer.writerow(spreadsheet_safe_row(spend_csv_header()))
    yield "\ufeff" + buffer.getvalue()
    query = data.invoices_for_export(shop_ids, CURRENCY, args).select(
        Invoice.issue_date, Supplier.name, Invoice.number, Invoice.kind, Invoice.total_net, Invoice.total_vat,
        Invoice.total_gross, Invoice.currency, Invoice.status, Invoice.due_date)
    # What amount_formatter(CURRENCY) writes, inlined in the comprehension below for the positive
    # amounts (a function call per amount was a quarter of the export): the whole units, then the
    # fraction's text looked up by its value.
    digits = exponent(CURRENCY)
    scale = 10**digits
    mark = "," if french else "."
    fractions = [f"{mark}{fraction:0{digits}d}" if digits else "" for fraction in range(scale)]
    suppliers = {}  # a few hundred suppliers name every invoice: each neutralised once

    def safe_supplier(name):
        # Only the merchant's texts can hold a formula (SEC-3); dates, words and amounts are ours.
        if len(suppliers) > 50_000:
            suppliers.clear()
        safe = suppliers[name] = spreadsheet_safe(name)
        return safe

    for chunk in stream_raw_chunks(query):
        yield _written(buffer, writer, [
            [day_text(issued), suppliers[supplier] if supplier in suppliers else safe_supplier(supplier),
             number if type(number) is str and number[:1] not in FORMULA_STARTS else spreadsheet_safe(number),
             kinds.get(kind, other),
             f"{net // scale}{fractions[net % scale]}" if net >= 0 else amount(net),
             f"{vat // scale}{fractions[vat % scale]}" if vat >= 0 else amount(vat),
             f"{gross // scale}{fractions[gross % scale]}" if gross >= 0 else amount(gross),
             currency, statuses.get(status, other), day_text(due)]
            for issued, supplier, number, kind, net, vat, gross, currency, status, due in chunk])
