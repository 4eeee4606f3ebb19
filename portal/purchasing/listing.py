"""What the purchasing list page shows (issue 14): one page of purchase orders and one of purchase
requests, sortable, with their totals, reception state and invoice count read for the whole page at
once — a constant number of queries whatever the number of orders."""
from typing import NamedTuple

from peewee import Select, fn

from models import DeliveryLine, Invoice, PurchaseLine, PurchaseOrder, PurchaseRequest, Supplier
from portal.invoices.listing import Formats, IdLinks, labels
from portal.invoices.paging import Order, page_of, requested_page, sort_choice
from portal.purchasing.amounts import totals
from portal.purchasing.service import N_, ORDER_STATUS_LABELS, reception_status

ORDER_SORTS = {"numero": PurchaseOrder.number, "date": PurchaseOrder.created_at, "fournisseur": Supplier.name}
REQUEST_SORTS = {"numero": PurchaseRequest.number, "date": PurchaseRequest.created_at,
                 "objet": PurchaseRequest.title}
REQUEST_STATUS_LABELS = {"OPEN": N_("Ouverte"), "ORDERED": N_("Commandée"), "CANCELLED": N_("Annulée")}


def _count(model, shop_ids):
    return model.select(fn.COUNT(model.id)).where(model.shop.in_(shop_ids))


def _lines_of(order_ids, request_ids):
    """The lines of the page's orders and requests, each with what was received of it, in one query,
    as tuples (id, order id, request id, quantity, unit price, VAT rate, received):
    ({order id: [line]}, {request id: [line]})."""
    received = fn.COALESCE(DeliveryLine.select(fn.SUM(DeliveryLine.quantity_milli))
                           .where(DeliveryLine.order_line == PurchaseLine.id), 0)
    orders, requests = {}, {}
    for line in (PurchaseLine.select(PurchaseLine.id, PurchaseLine.order, PurchaseLine.request,
                                     PurchaseLine.quantity_milli, PurchaseLine.unit_price, PurchaseLine.vat_rate,
                                     received.alias("received"))
                 .where(PurchaseLine.order.in_(order_ids or [0]) | PurchaseLine.request.in_(request_ids or [0]))
                 .order_by(PurchaseLine.position, PurchaseLine.id).tuples()):
        if line[1] in order_ids:
            orders.setdefault(line[1], []).append(line)
        if line[2] in request_ids:
            requests.setdefault(line[2], []).append(line)
    return orders, requests


class OrderRow(NamedTuple):
    """One purchase order of the list, formatted once (no model instance per row)."""

    id: int
    number: str
    link: str
    created: str
    supplier_name: str
    gross: str
    status: str
    status_label: str
    invoices: int


class RequestRow(NamedTuple):
    """One purchase request of the list, formatted once."""

    id: int
    number: str
    link: str
    created: str
    title: str
    net: str
    status_label: str


def purchasing_lists(shop_ids, args):
    """(orders page and sort, requests page and sort): four queries in all, whatever the numbers;
    rows are OrderRow and RequestRow tuples, labels, links, dates and amounts worked out once."""
    order_sort, order_desc = sort_choice(args, ORDER_SORTS, "date", name="tri_bc")
    request_sort, request_desc = sort_choice(args, REQUEST_SORTS, "date", name="tri_da")
    # Both counts in one statement.
    order_total, request_total = (Select(columns=[_count(PurchaseOrder, shop_ids), _count(PurchaseRequest, shop_ids)])
                                  .bind(PurchaseOrder._meta.database).tuples().get())
    invoices = (Invoice.select(fn.COUNT(Invoice.id)).where(Invoice.order == PurchaseOrder.id))
    orders = page_of(PurchaseOrder.select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.created_at,
                                          PurchaseOrder.currency, Supplier.name, invoices.alias("invoice_count"))
                     .join(Supplier).where(PurchaseOrder.shop.in_(shop_ids)).tuples(),
                     [Order(ORDER_SORTS[order_sort], order_desc), Order(PurchaseOrder.id, order_desc)],
                     requested_page(args, "page_bc"), order_total or 0)
    requests = page_of(PurchaseRequest.select(PurchaseRequest.id, PurchaseRequest.number, PurchaseRequest.created_at,
                                              PurchaseRequest.title, PurchaseRequest.currency, PurchaseRequest.status)
                       .where(PurchaseRequest.shop.in_(shop_ids)).tuples(),
                       [Order(REQUEST_SORTS[request_sort], request_desc), Order(PurchaseRequest.id, request_desc)],
                       requested_page(args, "page_da"), request_total or 0)
    order_lines, request_lines = _lines_of({o[0] for o in orders.rows}, {r[0] for r in requests.rows})
    formats = Formats()
    order_link, request_link = IdLinks("purchasing.order_detail", "order_id"), IdLinks("purchasing.request_detail",
                                                                                       "request_id")
    order_labels = labels(**ORDER_STATUS_LABELS)
    request_labels = labels(**REQUEST_STATUS_LABELS)
    order_rows = []
    for order_id, number, created_at, currency, supplier_name, invoice_count in orders.rows:
        lines = order_lines.get(order_id, [])
        status = reception_status({line[0]: line[3] for line in lines}, {line[0]: int(line[6] or 0) for line in lines})
        order_rows.append(OrderRow(order_id, number, order_link(order_id), formats.local_day(created_at),
                                   supplier_name, formats.money(_totals(lines).gross, currency), status,
                                   order_labels[status], invoice_count))
    orders.rows = order_rows
    requests.rows = [RequestRow(request_id, number, request_link(request_id), formats.local_day(created_at), title,
                                formats.money(_totals(request_lines.get(request_id, [])).net, currency),
                                request_labels[status] if status in request_labels else labels(status=status)["status"])
                     for request_id, number, created_at, title, currency, status in requests.rows]
    return (orders, order_sort, order_desc), (requests, request_sort, request_desc)


def _totals(lines):
    return totals((line[3], line[4], line[5]) for line in lines)
