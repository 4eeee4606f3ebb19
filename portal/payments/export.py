"""Export of a transaction search (PAY-EXP-1): .xlsx with amounts as numbers in the currency's
decimals and dates as real dates, or CSV as French Excel opens it (UTF-8 with BOM, `;`, decimal
comma). Rows are read by keyset chunks and written one by one, so memory stays flat whatever the
size; text cells are neutralised against formulas (SEC-3)."""
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
        if value.isdigit() and len(value) < 19:
            ids.add(int(value))
    return sorted(ids)


def rows(criteria, timezone, shops_by_id, chosen=None, sort="date", descending=True):
    """(reference, local datetime, shop, card, network, amount minor, currency, state, order, customer)
    of every transaction of the result, or of the `chosen` ids within it."""
    zone = zoneinfo.ZoneInfo(timezone)
    labels = state_labels()
    where = Transaction.id.in_(chosen or [0]) if chosen is not None else None
    for row in search.ordered_rows(criteria, timezone, COLUMNS, sort, descending, CHUNK, where=where):
        _id, reference, created_at, shop_id, masked_pan, network, amount, currency, state, order, customer = row[:11]
        if isinstance(created_at, str):  # SQLite hands back the stored text
            created_at = datetime.datetime.fromisoformat(created_at)
        local = created_at.replace(tzinfo=datetime.UTC).astimezone(zone).replace(tzinfo=None)
        yield (reference, local, shops_by_id[shop_id].name, masked_pan, NETWORK_LABELS.get(network, network),
               amount, currency, labels.get(state, state), order, customer)


TEXT_COLUMNS = (0, 2, 3, 4, 8, 9)


def write_xlsx(target, records):
    """Write `records` (from rows()) as a one-sheet workbook to the file path `target`."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "tmpdir": tempfile.gettempdir(),
                                        "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet(_("Transactions"))
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    amounts = {}
    for column, width in enumerate((22, 19, 22, 20, 12, 14, 8, 28, 20, 14)):
        sheet.set_column(column, column, width)
    sheet.write_row(0, 0, headers(), bold)
    sheet.freeze_panes(1, 0)
    for number, record in enumerate(records, start=1):
        reference, local, shop, card, network, amount, currency, state, order, customer = record
        digits = exponent(currency)
        if digits not in amounts:
            amounts[digits] = book.add_format({"num_format": "#,##0" + ("." + "0" * digits if digits else "")})
        sheet.write_string(number, 0, spreadsheet_safe(reference))
        sheet.write_datetime(number, 1, local, when)
        sheet.write_string(number, 2, spreadsheet_safe(shop))
        sheet.write_string(number, 3, spreadsheet_safe(card))
        sheet.write_string(number, 4, spreadsheet_safe(network))
        # A spreadsheet number is a double: the one nearest the exact amount, shown with its decimals.
        sheet.write_number(number, 5, amount / 10**digits if digits else amount, amounts[digits])
        sheet.write_string(number, 6, currency)
        sheet.write_string(number, 7, state)
        sheet.write_string(number, 8, spreadsheet_safe(order))
        sheet.write_string(number, 9, spreadsheet_safe(customer))
    book.close()


def csv_chunks(records):
    """CSV bytes by chunks of rows: BOM, `;`, decimal comma, dates jj/mm/aaaa HH:MM:SS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers())
    count = 0
    for reference, local, shop, card, network, amount, currency, state, order, customer in records:
        digits = exponent(currency)
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
