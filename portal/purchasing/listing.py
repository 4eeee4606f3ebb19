"""What the purchasing list page shows (issue 14): one page of purchase orders and one of purchase
requests, sortable, with their totals, reception state and invoice count read for the whole page at
once — a constant number of queries whatever the number of orders."""
from peewee import Select, fn

from models import DeliveryLine, Invoice, PurchaseLine, PurchaseOrder, PurchaseRequest, Supplier
from portal.invoices.paging import Order, page_of, requested_page, sort_choice
from portal.purchasing.amounts import totals
from portal.purchasing.service import N_, reception_status

ORDER_SORTS = {"numero": PurchaseOrder.number, "date": PurchaseOrder.created_at, "fournisseur": Supplier.name}
REQUEST_SORTS = {"numero": PurchaseRequest.number, "date": PurchaseRequest.created_at,
                 "objet": PurchaseRequest.title}
REQUEST_STATUS_LABELS = {"OPEN": N_("Ouverte"), "ORDERED": N_("Commandée"), "CANCELLED": N_("Annulée")}


def _count(model, shop_ids):
    return model.select(fn.COUNT(model.id)).where(model.shop.in_(shop_ids))


def _lines_of(order_ids, request_ids):
    """The lines of the page's orders and requests, each with what was received of it, in one query:
    ({order id: [line]}, {request id: [line]})."""
    received = fn.COALESCE(DeliveryLine.select(fn.SUM(DeliveryLine.quantity_milli))
                           .where(DeliveryLine.order_line == PurchaseLine.id), 0)
    orders, requests = {}, {}
    for line in (PurchaseLine.select(PurchaseLine, received.alias("received"))
                 .where(PurchaseLine.order.in_(order_ids or [0]) | PurchaseLine.request.in_(request_ids or [0]))
                 .order_by(PurchaseLine.position, PurchaseLine.id)):
        if line.order_id in order_ids:
            orders.setdefault(line.order_id, []).append(line)
        if line.request_id in request_ids:
            requests.setdefault(line.request_id, []).append(line)
    return orders, requests


def purchasing_lists(shop_ids, args):
    """(orders page and sort, requests page and sort): six queries in all, whatever the numbers."""
    order_sort, order_desc = sort_choice(args, ORDER_SORTS, "date", name="tri_bc")
    request_sort, request_desc = sort_choice(args, REQUEST_SORTS, "date", name="tri_da")
    # Both counts in one statement.
    order_total, request_total = (Select(columns=[_count(PurchaseOrder, shop_ids), _count(PurchaseRequest, shop_ids)])
                                  .bind(PurchaseOrder._meta.database).tuples().get())
    invoices = (Invoice.select(fn.COUNT(Invoice.id)).where(Invoice.order == PurchaseOrder.id))
    orders = page_of(PurchaseOrder.select(PurchaseOrder, Supplier, invoices.alias("invoice_count")).join(Supplier)
                     .where(PurchaseOrder.shop.in_(shop_ids)),
                     [Order(ORDER_SORTS[order_sort], order_desc), Order(PurchaseOrder.id, order_desc)],
                     requested_page(args, "page_bc"), order_total or 0)
    requests = page_of(PurchaseRequest.select().where(PurchaseRequest.shop.in_(shop_ids)),
                       [Order(REQUEST_SORTS[request_sort], request_desc), Order(PurchaseRequest.id, request_desc)],
                       requested_page(args, "page_da"), request_total or 0)
    order_lines, request_lines = _lines_of({o.id for o in orders.rows}, {r.id for r in requests.rows})
    orders.rows = [{"order": order, "invoices": order.invoice_count,
                    "totals": _totals(order_lines.get(order.id, [])),
                    "status": reception_status({l.id: l.quantity_milli for l in order_lines.get(order.id, [])},
                                               {l.id: int(l.received or 0) for l in order_lines.get(order.id, [])})}
                   for order in orders.rows]
    requests.rows = [{"request": item, "totals": _totals(request_lines.get(item.id, [])),
                      "status_label": REQUEST_STATUS_LABELS.get(item.status, item.status)} for item in requests.rows]
    return (orders, order_sort, order_desc), (requests, request_sort, request_desc)


def _totals(lines):
    return totals((line.quantity_milli, line.unit_price, line.vat_rate) for line in lines)
