"""What the invoice pages show: the filtered, sorted list, the detail with its matching panel,
and the review of an uploaded e-invoice."""
import datetime

from flask import request
from flask_login import current_user
from peewee import SQL, fn

from models import Invoice, InvoiceEvent, InvoiceLine, PurchaseLine, PurchaseRequest, Supplier
from portal.auth.rights import PAYABLES_RIGHTS, rights_on, shops_with_any_right
from portal.invoices.lifecycle import InvoiceStatus, available_actions
from portal.invoices.einvoice import schema_flag
from portal.invoices.lifecycle import discrepancies_resolved
from portal.invoices.service import (current_tolerances, discrepancies, schema_issues_of, schema_pending,
                                     spend_by_request)
from portal.invoices.paging import Order, page_of, requested_page, sort_choice
from portal.money import MoneyError, parse_amount
from portal.purchasing.service import received_by_line

PAGE_SIZE = 50
SORTS = {
    "fournisseur": Supplier.name, "numero": Invoice.number, "date": Invoice.issue_date, "echeance": Invoice.due_date,
    "montant": Invoice.total_gross, "statut": Invoice.status, "ecarts": Invoice.discrepancy_count,
}


def visible_shops():
    return shops_with_any_right(current_user, PAYABLES_RIGHTS)


def _date(name):
    try:
        return datetime.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _amount(name, errors):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_amount(raw, "EUR", allow_zero=True)
    except MoneyError as error:
        errors[name] = str(error)
        return None


def invoice_listing(shops):
    """Filters: supplier, status, due date range, PO, amount range, with discrepancies; any column sorts."""
    args, errors = request.args, {}
    where = Invoice.shop.in_([shop.id for shop in shops])
    if args.get("fournisseur", type=int):
        where &= Invoice.supplier == args.get("fournisseur", type=int)
    if args.get("statut") in InvoiceStatus.__members__:
        where &= Invoice.status == args["statut"]
    if _date("du"):
        where &= Invoice.due_date >= _date("du")
    if _date("au"):
        where &= Invoice.due_date <= _date("au")
    if args.get("commande", "").strip():
        where &= fn.UPPER(Invoice.po_reference).contains(args["commande"].strip().upper())
    minimum, maximum = _amount("min", errors), _amount("max", errors)
    if minimum is not None:
        where &= Invoice.total_gross >= minimum
    if maximum is not None:
        where &= Invoice.total_gross <= maximum
    if args.get("ecarts"):
        where &= Invoice.discrepancy_count > 0
    query = Invoice.select(Invoice, Supplier).join(Supplier).where(where)
    sort, descending = sort_choice(args, SORTS, "echeance")
    # Counted without the join: the supplier is only needed for the rows shown. COUNT(*), not of a
    # column: PostgreSQL counts from an index alone (half the time at 100,000 invoices).
    total = Invoice.select(fn.COUNT(SQL("*"))).where(where).scalar()
    ordering = [Order(SORTS[sort], descending), Order(Invoice.id, True)]
    listing_page = page_of(query, ordering, requested_page(args), total, PAGE_SIZE)
    rights = {shop.id: rights_on(current_user, shop) for shop in shops}
    return {"invoices": listing_page.rows, "total": total, "page": listing_page.number, "pages": listing_page.pages,
            "listing_page": listing_page, "args": {**args.to_dict(), "page": listing_page.number},
            "sort": sort, "descending": descending, "errors": errors, "rights": rights,
            "actions_of": lambda invoice: available_actions(invoice.status, rights[invoice.shop_id],
                                                            schema_pending(invoice)),
            # (id, name) only: a merchant may have a thousand suppliers in this filter.
            "suppliers": list(Supplier.select(Supplier.id, Supplier.name).order_by(Supplier.name, Supplier.id).tuples()),
            "chosen_supplier": args.get("fournisseur", type=int), "statuses": list(InvoiceStatus),
            "today": datetime.date.today()}


def sort_url_args(sort, current, descending):
    """Query arguments for a column header: the same filters, this column, the other direction if already sorted."""
    args = {k: v for k, v in request.args.items() if k not in ("tri", "ordre", "page")}
    args["tri"] = sort
    if sort == current and not descending:
        args["ordre"] = "desc"
    return args


def invoice_detail(invoice):
    rights = rights_on(current_user, invoice.shop)
    found = discrepancies(invoice)
    order_lines, received = [], {}
    if invoice.order:
        order_lines = list(invoice.order.lines.order_by(PurchaseLine.position))
        received = received_by_line(invoice.order)
    requests = list(PurchaseRequest.select().where(PurchaseRequest.shop == invoice.shop)
                    .order_by(PurchaseRequest.created_at.desc()).limit(50))
    shares = {share.request_id: share.amount for share in invoice.request_shares}
    pending = schema_pending(invoice)
    return {
        "invoice": invoice, "lines": list(invoice.lines.order_by(InvoiceLine.position)),
        "vat_breakdown": list(invoice.vat_breakdown), "discrepancies": found, "order_lines": order_lines,
        "received": received, "tolerances": current_tolerances(),
        "discrepancies_resolved": discrepancies_resolved(invoice.status, invoice.override_reason),
        "schema_flag": schema_flag(invoice.source, invoice.einvoice_profile, schema_issues_of(invoice)),
        "schema_pending": pending,
        "actions": available_actions(invoice.status, rights, pending), "rights": rights,
        "history": list(invoice.events.order_by(InvoiceEvent.at, InvoiceEvent.id)),
        "requests": requests, "shares": shares, "spend": spend_by_request([r.id for r in requests]),
        "status": InvoiceStatus(invoice.status),
    }
