"""The reading of an uploaded e-invoice kept with the upload (issue 14): parsed once when the file
arrives, stored as JSON in Upload.reading, read back by the review and save steps. Kept in the
database rather than in a per-process cache so that every worker and machine sees it; an upload
without a reading (older ones) is parsed again, once, and its reading stored."""
import dataclasses
import datetime
import json

from portal.invoices.einvoice import EInvoice, EInvoiceLine, EInvoiceVat

_DATES = ("issue_date", "due_date")


def dump_reading(einvoice: EInvoice) -> str:
    data = dataclasses.asdict(einvoice)
    for name in _DATES:
        data[name] = data[name].isoformat() if data[name] else None
    return json.dumps(data, ensure_ascii=False)


def load_reading(text):
    """The EInvoice of a stored reading, or None when there is none or it no longer fits the class."""
    if not text:
        return None
    try:
        data = json.loads(text)
        for name in _DATES:
            data[name] = datetime.date.fromisoformat(data[name]) if data[name] else None
        data["lines"] = tuple(EInvoiceLine(**line) for line in data.get("lines", ()))
        data["vat_breakdown"] = tuple(EInvoiceVat(**row) for row in data.get("vat_breakdown", ()))
        data["schema_issues"] = tuple(data.get("schema_issues", ()))
        return EInvoice(**data)
    except (TypeError, ValueError, KeyError):
        return None
