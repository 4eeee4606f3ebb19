"""Export of a transaction search (PAY-EXP-1): .xlsx with amounts as numbers in the currency's
decimals and dates as real dates, or CSV as French Excel opens it (UTF-8 with BOM, `;`, decimal
comma). Rows are read by keyset chunks as plain tuples and written one by one, so memory stays
flat whatever the size; text cells are neutralised against formulas (SEC-3)."""
import csv
import datetime
import io
import os
import tempfile
import zoneinfo

from flask import Response, stream_with_context
from flask_babel import gettext as _

from models import Transaction
from portal.exports import spreadsheet_safe
from portal.money import exponent
from portal.numbers import parse_id
from portal.payments import search
from portal.payments.cards import NETWORK_LABELS

CHUNK = 2000
MAX_CHOSEN = 1000
COLUMNS = (Transaction.id, Transaction.reference, Transaction.created_at, Transaction.shop,
           Transaction.masked_pan, Transaction.network, Transaction.amount, Transaction.currency,
           Transaction.state, Transaction.order_reference, Transaction.customer_code)


def state_labels():
    """The states as the merchant reads them, in the user's language (same words as the list)."""
    return {
        "TO_VALIDATE": _("À valider (avec autorisation)"),
        "TO_VALIDATE_NO_AUTH": _("À valider (sans autorisation)"),
        "TO_AUTHORIZE": _("En attente de demande d'autorisation"),
        "TO_CAPTURE": _("À envoyer en banque"),
        "CAPTURED": _("Envoyée en banque"),
        "CAPTURE_REFUSED": _("Envoi en banque refusé"),
        "EXPIRED": _("Expirée"),
        "FRAUD_SUSPECTED": _("Fraude suspectée"),
        "REFUSED": _("Refusée"),
        "CANCELLED": _("Annulée"),
        "TO_CREDIT": _("Remboursement à envoyer en banque"),
        "CREDITED": _("Remboursée"),
        "UNPAID": _("Impayée"),
    }


def headers():
    return [_("Référence"), _("Date et heure"), _("Boutique"), _("Carte"), _("Réseau"), _("Montant"),
            _("Devise"), _("État"), _("Référence de commande"), _("Code client")]


def chosen_ids(values):
    """The ids of the rows ticked in the list (at most MAX_CHOSEN, non-numbers dropped); the
    search's own shop condition still applies to them."""
    ids = set()
    for value in values[:MAX_CHOSEN]:
        if (row_id := parse_id(value)) is not None:
            ids.add(row_id)
    return sorted(ids)


def rows(criteria, timezone, shops_by_id, chosen=None, sort="date", descending=True):
    """(reference, local datetime, shop, card, network, amount minor, currency, state, order, customer)
    of every transaction of the result, or of the `chosen` ids within it: tuples straight from the
    cursor, the labels looked up in dicts made once."""
    zone = zoneinfo.ZoneInfo(timezone)
    labels = state_labels()
    shop_names = {}
    utc = datetime.UTC
    from_text = datetime.datetime.fromisoformat
    where = Transaction.id.in_(chosen or [0]) if chosen is not None else None
    for row in search.ordered_rows(criteria, timezone, COLUMNS, sort, descending, CHUNK, where=where):
        _id, reference, created_at, shop_id, masked_pan, network, amount, currency, state, order, customer = row[:11]
        if created_at.__class__ is str:  # SQLite hands back the stored text
            created_at = from_text(created_at)
        shop = shop_names.get(shop_id)
        if shop is None:
            shop = shop_names[shop_id] = shops_by_id[shop_id].name
        yield (reference, created_at.replace(tzinfo=utc).astimezone(zone).replace(tzinfo=None), shop, masked_pan,
               NETWORK_LABELS.get(network, network), amount, currency, labels.get(state, state), order, customer)


WIDTHS = (22, 19, 22, 20, 12, 14, 8, 28, 20, 14)
MAX_ROWS = 1_048_576  # a sheet holds no more, header included
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_DAY_SECONDS = 86400


class _Cached(dict):
    """value -> its form in the file, computed once (shops, networks, states, currencies repeat)."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def write_xlsx(target, records):
    """Write `records` (from rows()) as a one-sheet workbook to the file path `target`: amounts are
    numbers shown with their currency's decimals, dates real dates, text cells neutralised (SEC-3).
    XlsxWriter in constant_memory mode writes each row to disk as it goes: memory stays flat."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "tmpdir": tempfile.gettempdir(),
                                        "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet(_("Transactions")[:31])
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width)
    sheet.write_row(0, 0, headers(), bold)
    sheet.freeze_panes(1, 0)

    def currency_form(currency):
        digits = exponent(currency)
        style = book.add_format({"num_format": "#,##0" + ("." + "0" * digits if digits else "")})
        return 10**digits if digits else None, style

    currencies = _Cached(currency_form)
    labels = _Cached(spreadsheet_safe)  # shops, networks, states: few distinct values
    text, number_cell = sheet.write_string, sheet.write_number
    epoch = _EXCEL_EPOCH
    for row, (reference, local, shop, card, network, amount, currency, state, order, customer) in enumerate(
            records, start=1):
        if row >= MAX_ROWS:
            break  # XlsxWriter refuses rows past the sheet's last one
        divisor, style = currencies[currency]
        text(row, 0, spreadsheet_safe(reference))
        # A date is a number of days since Excel's epoch with a date format: the same cell write_datetime makes.
        delta = local - epoch
        number_cell(row, 1, delta.days + delta.seconds / _DAY_SECONDS, when)
        text(row, 2, labels[shop])
        text(row, 3, spreadsheet_safe(card))
        text(row, 4, labels[network])
        # A spreadsheet number is a double: the one nearest the exact amount, shown with its decimals.
        number_cell(row, 5, amount / divisor if divisor else amount, style)
        text(row, 6, currency)
        text(row, 7, labels[state])
        text(row, 8, spreadsheet_safe(order))
        text(row, 9, spreadsheet_safe(customer))
    book.close()


def csv_chunks(records):
    """CSV bytes by chunks of rows: BOM, `;`, decimal comma, dates jj/mm/aaaa HH:MM:SS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers())
    count = 0
    digits_of = _Cached(exponent)
    for reference, local, shop, card, network, amount, currency, state, order, customer in records:
        digits = digits_of[currency]
        whole, fraction = divmod(amount, 10**digits)
        text = f"{whole},{fraction:0{digits}d}" if digits else str(amount)
        writer.writerow([spreadsheet_safe(reference), local.strftime("%d/%m/%Y %H:%M:%S"), spreadsheet_safe(shop),
                         spreadsheet_safe(card), spreadsheet_safe(network), text, currency, state,
                         spreadsheet_safe(order), spreadsheet_safe(customer)])
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _file_chunks(path, size=256 * 1024):
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(size):
                yield chunk
    finally:
        os.unlink(path)


def response(fmt, criteria, timezone, shops_by_id, chosen, sort, descending):
    stamp = datetime.date.today().strftime("%Y%m%d")
    records = rows(criteria, timezone, shops_by_id, chosen, sort, descending)
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(records)), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="transactions-{stamp}.csv"'})
    # The workbook is a zip assembled at close: rows go to a temporary file, then the file is sent.
    handle, path = tempfile.mkstemp(prefix="comptoir-export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(path, records)
    except BaseException:
        os.unlink(path)
        raise
    return Response(_file_chunks(path), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="transactions-{stamp}.xlsx"',
                             "Content-Length": str(os.path.getsize(path))})
