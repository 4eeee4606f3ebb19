"""PDF receipts (PAY-RCPT-1, DOC-1): rendered once with WeasyPrint, stored under their SHA-256,
then served byte for byte. A4 and narrow-ticket layouts."""
from flask import current_app, render_template
from peewee import IntegrityError

from models import Operation, Receipt, db
from portal.documents import document_store
from portal.payments.lifecycle import OperationKind as Kind

LAYOUTS = ("a4", "ticket")


def receipt_operations(txn):
    """Operations that have a receipt: the accepted payment and each refund."""
    return [op for op in txn.operations.order_by(Operation.at, Operation.id) if has_receipt(op)]


def has_receipt(operation):
    return operation.succeeded and not operation.gateway_status and (
        (operation.kind == Kind.AUTHOR and operation.amount > 0) or operation.kind == Kind.CREDIT)


def render_receipt_pdf(txn, operation, layout):
    from weasyprint import HTML

    html = render_template("pdf/receipt.html", txn=txn, operation=operation, layout=layout, shop=txn.shop)
    # A fixed identifier and no creation date keep the output reproducible for the same input.
    return HTML(string=html, base_url=current_app.static_folder).write_pdf(
        pdf_identifier=f"comptoir-{txn.id}-{operation.id}-{layout}".encode(), uncompressed_pdf=False)


def receipt_document(txn, operation, layout):
    """The stored receipt, created at first request; every later request gets the same bytes."""
    store = document_store(current_app.config)
    existing = Receipt.get_or_none((Receipt.operation == operation) & (Receipt.layout == layout))
    if existing is None:
        data = render_receipt_pdf(txn, operation, layout)
        document = store.put(data, "application/pdf")
        try:
            with db.atomic():
                existing = Receipt.create(transaction=txn, operation=operation, layout=layout, document=document)
        except IntegrityError:  # two first requests at once: the first stored one wins
            existing = Receipt.get((Receipt.operation == operation) & (Receipt.layout == layout))
    return store.read(existing.document)
