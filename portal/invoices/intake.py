"""Turning what was typed or uploaded into an InvoiceData for the service."""
import json

from portal.invoices.service import InvoiceData, LineData
from portal.purchasing.amounts import totals

MEDIA_TYPES = {"pdf": "application/pdf", "xml": "application/xml"}


def media_type_of(data: bytes, filename: str) -> str:
    if data[:5] == b"%PDF-":
        return "application/pdf"
    head = data[:200].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<"):
        return "application/xml"
    return MEDIA_TYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def data_from_form(form, document=None):
    """`document`: the uploaded PDF to attach, already checked to be the user's own upload."""
    from models import Shop, Supplier

    lines = [LineData(l.description, l.quantity_milli, l.unit_price, l.vat_rate) for l in form.parsed_lines()]
    computed = totals((l.quantity_milli, l.unit_price, l.vat_rate) for l in lines)
    return InvoiceData(
        shop=Shop.get_by_id(form.shop.data), supplier=Supplier.get_by_id(form.supplier.data),
        number=form.number.data.strip(), kind=form.kind.data, issue_date=form.issue_date.data,
        due_date=form.due_date.data, currency=form.currency.data, total_net=computed.net, total_vat=computed.vat,
        total_gross=computed.gross, po_reference=form.po_reference.data or "", lines=lines,
        vat_breakdown=[("S" if rate else "Z", rate, base, vat) for rate, base, vat in computed.by_rate],
        source="PDF" if document else "MANUAL", document=document,
    )


def data_from_einvoice(einvoice, shop, supplier, po_reference, document):
    return InvoiceData(
        shop=shop, supplier=supplier, number=einvoice.number,
        kind="DEPOSIT" if einvoice.type_code == "386" else einvoice.kind, issue_date=einvoice.issue_date,
        due_date=einvoice.due_date, currency=einvoice.currency, total_net=einvoice.total_net,
        total_vat=einvoice.total_vat, total_gross=einvoice.total_gross, po_reference=po_reference,
        lines=[LineData(l.description[:300], l.quantity_milli, l.unit_price, l.vat_rate, l.net_amount)
               for l in einvoice.lines],
        vat_breakdown=[(v.category, v.rate, v.base, v.amount) for v in einvoice.vat_breakdown],
        source=einvoice.syntax, einvoice_profile=einvoice.profile[:20], document=document,
        schema_issues=json.dumps(list(einvoice.schema_issues), ensure_ascii=False) if einvoice.schema_issues else "",
    )


def save_einvoice(upload, einvoice, shop, supplier_id, po_reference, user):
    """The invoice of an uploaded e-invoice, as reviewed. `supplier_id` -1 creates its supplier unless one
    is found by the invoice's VAT number or SIRET by then. Saves of one upload run one at a time (a double
    click): the second finds the supplier the first created, then DuplicateInvoice, never a second copy."""
    from models import Supplier, Upload
    from portal.database import is_postgres
    from portal.invoices.service import create_invoice, create_supplier_from_einvoice, find_supplier
    from portal.payments.service import money_transaction

    with money_transaction():
        if is_postgres():  # SQLite's BEGIN IMMEDIATE already lets one writer in
            Upload.select(Upload.id).where(Upload.id == upload.id).for_update().execute()
        if supplier_id == -1:
            supplier = find_supplier(einvoice.seller_vat_number, einvoice.seller_siret_or_siren) \
                or create_supplier_from_einvoice(einvoice.seller_name, einvoice.seller_vat_number,
                                                 einvoice.seller_siret_or_siren, einvoice.seller_country, user)
        else:
            supplier = Supplier.get_by_id(supplier_id)
        return create_invoice(data_from_einvoice(einvoice, shop, supplier, po_reference, upload.document), user)
