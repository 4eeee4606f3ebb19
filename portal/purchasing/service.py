"""Purchase requests, orders and delivery notes in the database (AP-PO-1, AP-DN-1). No Flask here."""
import datetime
from dataclasses import dataclass

from peewee import IntegrityError, fn

from models import DeliveryLine, DeliveryNote, PurchaseLine, PurchaseOrder, PurchaseRequest, db
from portal.audit import record_action
from portal.purchasing.amounts import totals


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
    pass


def record_delivery(order, received: dict, user, received_on, reference=""):
    """Record what arrived, line by line (partial deliveries allowed). `received`: {line_id: quantity_milli}."""
    lines = {line.id: line for line in order.lines}
    if not any(quantity > 0 for quantity in received.values()):
        raise DeliveryRefused("Indiquez au moins une quantité reçue.")
    unknown = set(received) - set(lines)
    if unknown:
        raise DeliveryRefused("Une ligne ne fait pas partie de ce bon de commande.")
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


def order_status(order):
    """« Non reçue », « Reçue partiellement », « Reçue » from what the delivery notes say."""
    return reception_status({line.id: line.quantity_milli for line in order.lines}, received_by_line(order))


def reception_status(ordered, received):
    """The reception state from {line id: quantity ordered} and {line id: quantity received}."""
    if not any(received.values()):
        return "NOT_RECEIVED"
    if all(received.get(line_id, 0) >= quantity for line_id, quantity in ordered.items()):
        return "RECEIVED"
    return "PARTIALLY_RECEIVED"


ORDER_STATUS_LABELS = {"NOT_RECEIVED": "Non reçue", "PARTIALLY_RECEIVED": "Reçue partiellement",
                       "RECEIVED": "Reçue"}
