"""PDF receipts (PAY-RCPT-1, DOC-1, DOC-2): one per operation the cardholder is told about — the
payment, a validation, a cancellation, a refund, a duplication — each with that operation's amount
and the balance it leaves. Rendered once with WeasyPrint in the reader's language, stored under
their SHA-256, then served byte for byte. A4 and narrow-ticket layouts."""
import datetime
import re
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import get_locale
from peewee import IntegrityError

from models import Operation, Receipt, RemittanceRun, Transaction, db
from portal.company import current_identity, missing_mentions
from portal.documents import document_store
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import local_date

LAYOUTS = ("a4", "ticket")
RECEIPT_KINDS = (Kind.AUTHOR, Kind.VALIDATE, Kind.CANCEL, Kind.CREDIT, Kind.DUPLICATE)
# The rest a partial validation cancels by itself (payments.service._apply_validate): the validation
# receipt tells it, so it gets no receipt of its own.
AUTOMATIC_REST = "Solde annulé automatiquement"
# French keeps the layout's own name, so the receipts issued before the English version stay valid.
_STORED_LAYOUT = {("a4", "fr"): "a4", ("ticket", "fr"): "ticket", ("a4", "en"): "a4-en", ("ticket", "en"): "tick-en"}


def is_automatic_rest(operation):
    return operation.kind == Kind.CANCEL and (operation.reason or "").startswith(AUTOMATIC_REST)


def has_receipt(operation):
    """Answered, succeeded operations the cardholder is told about; a payment only if authorised."""
    if not operation.succeeded or operation.gateway_status:
        return False
    if operation.kind == Kind.AUTHOR:
        return operation.amount > 0
    return operation.kind in RECEIPT_KINDS and not is_automatic_rest(operation)


def receipt_operations(txn):
    return [op for op in txn.operations.order_by(Operation.at, Operation.id) if has_receipt(op)]


@dataclass(frozen=True)
class ReceiptFigures:
    """What one receipt states, as of its operation: later operations never change it."""

    kind: str
    amount: int  # this operation's amount
    authorised: int  # the payment's amount
    to_debit: int  # what the cardholder is (or will be) debited after this operation
    rest_cancelled: int = 0  # a validation: the part of the authorisation it cancelled
    cancelled: int = 0  # everything cancelled so far
    refunded: int = 0  # everything refunded so far, this refund included
    refundable: int = 0  # what can still be refunded after this refund
    awaiting_validation: bool = False  # a payment in validation mode: the merchant chooses what is debited


def receipt_figures(operations, operation, authorised, capture_mode="AUTO"):
    """The figures of `operation`'s receipt; `operations` are the transaction's (any order). Pure."""
    ordered = sorted(operations, key=lambda op: op.id)
    position = next(i for i, op in enumerate(ordered) if op.id == operation.id)
    rest = 0
    if operation.kind == Kind.VALIDATE:
        follower = ordered[position + 1] if position + 1 < len(ordered) else None
        if follower is not None and follower.succeeded and is_automatic_rest(follower):
            rest = follower.amount
            position += 1
    cancelled = captured = refunded = 0
    validated = None
    for op in ordered[:position + 1]:
        if not op.succeeded:
            continue
        if op.kind == Kind.CANCEL:
            cancelled += op.amount
        elif op.kind == Kind.VALIDATE:
            validated = op.amount
        elif op.kind == Kind.CAPTURE:
            captured += op.amount
        elif op.kind == Kind.CREDIT:
            refunded += op.amount
    to_debit = max(authorised - cancelled, 0)
    if operation.kind == Kind.DUPLICATE:
        to_debit = operation.amount  # on the new transaction
    return ReceiptFigures(
        kind=str(operation.kind), amount=operation.amount, authorised=authorised, to_debit=to_debit,
        rest_cancelled=rest, cancelled=cancelled, refunded=refunded,
        refundable=max(captured - refunded, 0) if operation.kind == Kind.CREDIT else 0,
        awaiting_validation=operation.kind == Kind.AUTHOR and validated is None and capture_mode == "VALIDATION",
    )


def last4(masked_pan):
    """The card as printed on a document (DOC-2): its last four digits, never the BIN."""
    digits = re.sub(r"\D", "", (masked_pan or "")[-4:])
    return f"•••• {digits}" if len(digits) == 4 else "••••"


def refund_bank_day(operation, shop, timezone):
    """The remittance day a simulator refund goes with: the day it was entered, or the next one when
    that day's run had already started. None for a gateway that remits by itself."""
    if (shop.gateway or "SIMULATOR") != "SIMULATOR":
        return None
    day = local_date(operation.at, timezone)
    run = RemittanceRun.get_or_none(RemittanceRun.day == day)
    if run is not None and run.started_at <= operation.at:
        day += datetime.timedelta(days=1)
    return day


def duplicated_into(operation, txn):
    """The transaction a duplication created (its reason names it « … #id »), in the same shop."""
    found = re.search(r"#(\d+)\s*$", operation.reason or "")
    if not found:
        return None
    return Transaction.get_or_none((Transaction.id == int(found.group(1))) & (Transaction.shop == txn.shop_id))


def _language():
    return "en" if str(get_locale() or "fr").startswith("en") else "fr"


def render_receipt_pdf(txn, operation, layout):
    from weasyprint import HTML

    operations = list(txn.operations.order_by(Operation.id))
    identity = current_identity()
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    html = render_template(
        "pdf/receipt.html", txn=txn, operation=operation, layout=layout, shop=txn.shop,
        figures=receipt_figures(operations, operation, txn.amount, txn.capture_mode), card=last4(txn.masked_pan),
        identity=identity, missing=missing_mentions(identity), lang=_language(),
        bank_day=refund_bank_day(operation, txn.shop, timezone) if operation.kind == Kind.CREDIT else None,
        new_txn=duplicated_into(operation, txn) if operation.kind == Kind.DUPLICATE else None)
    # A fixed identifier and no creation date keep the output reproducible for the same input.
    return HTML(string=html, base_url=current_app.static_folder).write_pdf(
        pdf_identifier=f"comptoir-{txn.id}-{operation.id}-{layout}".encode(), uncompressed_pdf=False)


def receipt_document(txn, operation, layout):
    """The stored receipt in the reader's language, created at first request; every later request
    gets the same bytes (DOC-1), whatever the company identity or the template became since."""
    store = document_store(current_app.config)
    stored_layout = _STORED_LAYOUT[(layout, _language())]
    where = (Receipt.operation == operation) & (Receipt.layout == stored_layout)
    existing = Receipt.get_or_none(where)
    if existing is None:
        data = render_receipt_pdf(txn, operation, layout)
        document = store.put(data, "application/pdf")
        try:
            with db.atomic():
                existing = Receipt.create(transaction=txn, operation=operation, layout=stored_layout,
                                          document=document)
        except IntegrityError:  # two first requests at once: the first stored one wins
            existing = Receipt.get(where)
    return store.read(existing.document)
