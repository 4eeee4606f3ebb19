"""Purchase requests, orders and delivery notes in the database (AP-PO-1, AP-DN-1). No Flask here."""
import datetime
from dataclasses import dataclass

from peewee import IntegrityError, fn

from models import DeliveryLine, DeliveryNote, PurchaseLine, PurchaseOrder, PurchaseRequest, db
from portal.audit import record_action
from portal.purchasing.amounts import totals
from portal.purchasing.reception import note_is_locked, over_deliveries, reception_status  # noqa: F401


def N_(text):
    """Marks a French text for the catalogue; the page translates it (LOC-3)."""
    return text


@dataclass
class LineInput:
    description: str
    quantity_milli: int
    unit_price: int
    vat_rate: int


def next_number(model, prefix, year):
    """« BC-2026-0007 »: the next number of the year; the unique index catches a race, the caller retries."""
    start = f"{prefix}-{year}-"
    last = (model.select(fn.MAX(model.number)).where(model.number.startswith(start)).scalar())
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{start}{sequence:04d}"


def _create_numbered(model, prefix, year, **fields):
    for _ in range(5):
        try:
            with db.atomic():
                return model.create(number=next_number(model, prefix, year), **fields)
        except IntegrityError:
            continue
    raise RuntimeError("numbering kept colliding")


def _add_lines(lines, **owner):
    for position, line in enumerate(lines, start=1):
        PurchaseLine.create(position=position, description=line.description, quantity_milli=line.quantity_milli,
                            unit_price=line.unit_price, vat_rate=line.vat_rate, **owner)


def create_request(shop, title, lines, user, supplier=None, currency="EUR", today=None):
    today = today or datetime.date.today()
    with db.atomic():
        request = _create_numbered(PurchaseRequest, "DA", today.year, shop=shop, title=title, supplier=supplier,
                                   currency=currency, requested_by=user)
        _add_lines(lines, request=request)
        record_action("purchase_request.create", "purchase_request", request.id, user=user,
                      after={"number": request.number, "title": title, "lines": len(lines)})
    return request


def create_order(shop, supplier, lines, user, request=None, currency="EUR", notes="", today=None):
    today = today or datetime.date.today()
    with db.atomic():
        order = _create_numbered(PurchaseOrder, "BC", today.year, shop=shop, supplier=supplier, request=request,
                                 currency=currency, notes=notes, created_by=user)
        _add_lines(lines, order=order)
        if request is not None:
            request.status = "ORDERED"
            request.save()
        record_action("purchase_order.create", "purchase_order", order.id, user=user,
                      after={"number": order.number, "supplier": supplier.name, "lines": len(lines),
                             "request": request.number if request else None})
    return order


def order_from_request(request, supplier, user, today=None):
    """Turn a purchase request into a numbered purchase order with the same lines."""
    lines = [LineInput(l.description, l.quantity_milli, l.unit_price, l.vat_rate)
             for l in request.lines.order_by(PurchaseLine.position)]
    return create_order(request.shop, supplier, lines, user, request=request, currency=request.currency, today=today)


def document_totals(owner):
    return totals((l.quantity_milli, l.unit_price, l.vat_rate) for l in owner.lines)


def received_by_line(order):
    """{order_line_id: quantity received so far, in thousandths}."""
    rows = (DeliveryLine.select(DeliveryLine.order_line, fn.SUM(DeliveryLine.quantity_milli).alias("received"))
            .join(DeliveryNote).where(DeliveryNote.order == order).group_by(DeliveryLine.order_line))
    return {row.order_line_id: int(row.received) for row in rows}


class DeliveryRefused(ValueError):
    """str() is a French text of the catalogue: the page translates it."""


def _check_received(lines, received):
    if not any(quantity > 0 for quantity in received.values()):
        raise DeliveryRefused(N_("Indiquez au moins une quantité reçue."))
    if set(received) - set(lines):
        raise DeliveryRefused(N_("Une ligne ne fait pas partie de ce bon de commande."))


def record_delivery(order, received: dict, user, received_on, reference=""):
    """Record what arrived, line by line (partial deliveries allowed; beyond the order too, flagged by
    over_deliveries). `received`: {line_id: quantity_milli}."""
    lines = {line.id: line for line in order.lines}
    _check_received(lines, received)
    with db.atomic():
        note = DeliveryNote.create(order=order, reference=reference, received_on=received_on, received_by=user)
        for line_id, quantity in received.items():
            if quantity > 0:
                DeliveryLine.create(note=note, order_line=lines[line_id], quantity_milli=quantity)
        record_action("delivery_note.create", "purchase_order", order.id, user=user,
                      after={"reference": reference, "received_on": received_on.isoformat(),
                             "lines": {lines[k].position: v for k, v in received.items() if v > 0}})
        from portal.invoices.service import refresh_order_invoices  # invoices depend on purchasing, not the reverse

        refresh_order_invoices(order)
    return note


def note_locked(note):
    """AP-MATCH-1: true once an invoice approved or paid was matched against this delivery note."""
    from models import Invoice, InvoiceLine

    # {invoice id: (status, order lines billed, None for an invoice without lines)}: two queries.
    invoices = {invoice_id: (status, None) for invoice_id, status in
                Invoice.select(Invoice.id, Invoice.status).where(Invoice.order == note.order_id).tuples()}
    for invoice_id, order_line_id in (InvoiceLine.select(InvoiceLine.invoice, InvoiceLine.order_line).join(Invoice)
                                      .where(Invoice.order == note.order_id).tuples()):
        status, billed = invoices[invoice_id]
        invoices[invoice_id] = (status, (billed or set()) | ({order_line_id} if order_line_id else set()))
    invoices = list(invoices.values())
    return note_is_locked([line.order_line_id for line in note.lines], invoices)


class DeliveryLocked(DeliveryRefused):
    pass


def _check_unlocked(note):
    if note_locked(note):
        raise DeliveryLocked(N_("Une facture approuvée ou payée a été rapprochée de ce bon de livraison : il ne peut "
                                "plus être corrigé ni supprimé."))


def _note_audit(note):
    return {"reference": note.reference, "received_on": note.received_on.isoformat(),
            "lines": {line.order_line.position: line.quantity_milli for line in note.lines}}


def correct_delivery(note, received: dict, user, received_on, reference=""):
    """Correct a delivery note (quantities, date, reference) until an invoice is matched against it; audited."""
    order = note.order
    lines = {line.id: line for line in order.lines}
    _check_received(lines, received)
    with db.atomic():
        _check_unlocked(note)
        before = _note_audit(note)
        DeliveryLine.delete().where(DeliveryLine.note == note).execute()
        for line_id, quantity in received.items():
            if quantity > 0:
                DeliveryLine.create(note=note, order_line=lines[line_id], quantity_milli=quantity)
        note.reference, note.received_on = reference, received_on
        note.save()
        record_action("delivery_note.correct", "delivery_note", note.id, user=user, before=before,
                      after=_note_audit(note))
        from portal.invoices.service import refresh_order_invoices

        refresh_order_invoices(order)
    return note


def delete_delivery(note, user):
    """Delete a delivery note recorded by mistake, until an invoice is matched against it; audited."""
    order = note.order
    with db.atomic():
        _check_unlocked(note)
        record_action("delivery_note.delete", "delivery_note", note.id, user=user, before=_note_audit(note),
                      after={"order": order.number})
        note.delete_instance(recursive=True)
        from portal.invoices.service import refresh_order_invoices

        refresh_order_invoices(order)


def order_status(order):
    """« Non reçue », « Reçue partiellement », « Reçue » from what the delivery notes say."""
    return reception_status({line.id: line.quantity_milli for line in order.lines}, received_by_line(order))


ORDER_STATUS_LABELS = {"NOT_RECEIVED": N_("Non reçue"), "PARTIALLY_RECEIVED": N_("Reçue partiellement"),
                       "RECEIVED": N_("Reçue"), "OVER_RECEIVED": N_("Reçue au-delà de la commande")}
