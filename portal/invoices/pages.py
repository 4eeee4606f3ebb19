"""What the invoice pages show: the filtered, sorted list, the detail with its matching panel,
and the review of an uploaded e-invoice."""
import datetime
from typing import NamedTuple

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from peewee import SQL, fn

from models import Invoice, InvoiceEvent, InvoiceLine, PurchaseLine, PurchaseRequest, Supplier, db
from portal.auth.rights import PAYABLES_RIGHTS, rights_on
from portal.invoices.listing import Formats, IdLinks, day, labels, payables_access, status_badges
from portal.invoices.lifecycle import InvoiceStatus, available_actions
from portal.invoices.einvoice import schema_flag
from portal.invoices.lifecycle import discrepancies_resolved
from portal.invoices.service import (current_tolerances, discrepancies, schema_issues_of, schema_pending,
                                     spend_by_request)
from portal.invoices.paging import Order, page_of, requested_page, sort_choice
from portal.money import MoneyError, parse_amount
from portal.purchasing.service import received_by_line
from portal.numbers import parse_id
from portal.texts import N_, in_user_language
from portal.web import filter_days

PAGE_SIZE = 50
SORTS = {
    "fournisseur": Supplier.name, "numero": Invoice.number, "date": Invoice.issue_date, "echeance": Invoice.due_date,
    "montant": Invoice.total_gross, "statut": Invoice.status, "ecarts": Invoice.discrepancy_count,
}


def visible_shops():
    return payables_access().shops_with_any(PAYABLES_RIGHTS)


def _amount(name, errors):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_amount(raw, "EUR", allow_zero=True)
    except MoneyError as error:
        errors[name] = in_user_language(error)
        return None


class ListedInvoice(NamedTuple):
    """The columns of an invoice the list shows, read as a tuple (no model instance per row)."""

    id: int
    shop_id: int
    number: str
    issue_date: datetime.date | None
    due_date: datetime.date | None
    currency: str
    total_gross: int
    status: str
    schema_issues: str | None
    schema_decision: str | None
    discrepancy_count: int
    override_reason: str | None
    order_id: int | None
    supplier_name: str


LISTED_COLUMNS = (Invoice.id, Invoice.shop, Invoice.number, Invoice.issue_date, Invoice.due_date, Invoice.currency,
                  Invoice.total_gross, Invoice.status, Invoice.schema_issues, Invoice.schema_decision,
                  Invoice.discrepancy_count, Invoice.override_reason, Invoice.order, Supplier.name)


class InvoiceRow(NamedTuple):
    """What one row of the invoice list shows, formatted once (templates/invoices/_list_row.html)."""

    id: int
    supplier_name: str
    number: str
    link: str
    issued: str
    due: str
    late: bool
    amount: str
    status_label: str
    status_tone: str
    non_conforming: bool
    discrepancy_count: int
    discrepancy_state: str
    order_id: int | None
    actions: list  # [(label, link)]


class InvoiceRows:
    """Builds the rows of the list: labels, formatters and links looked up once per request."""

    def __init__(self, rights, today):
        self.rights, self.today = rights, today
        self.badges, self.formats = status_badges(), Formats()
        self.detail = IdLinks("invoices.detail", "invoice_id")
        self._action_links, self._action_labels = {}, {}
        self.labels = labels(non_conforming=N_("non conforme"), conforming=N_("Conforme"),
                             no_order=N_("sans commande"), resolved=N_("Écarts résolus"))

    def _action(self, action, invoice_id):
        links = self._action_links.get(action.name)
        if links is None:
            links = self._action_links[action.name] = IdLinks("invoices.action", "invoice_id", name=action.name,
                                                              contexte="liste")
            self._action_labels[action.name] = _(action.label)  # as the `tr` filter gives it
        return self._action_labels[action.name], links(invoice_id)

    def __call__(self, invoice):
        """The row of a ListedInvoice, or of an Invoice model (the row sent back after an action)."""
        supplier_name = invoice.supplier_name if isinstance(invoice, ListedInvoice) else invoice.supplier.name
        label, tone = self.badges[invoice.status]
        pending = bool(invoice.schema_issues) and not invoice.schema_decision
        state = "none"
        if invoice.discrepancy_count:
            state = "resolved" if discrepancies_resolved(invoice.status, invoice.override_reason) else "open"
        actions = available_actions(invoice.status, self.rights[invoice.shop_id], pending)
        return InvoiceRow(
            invoice.id, supplier_name, invoice.number, self.detail(invoice.id), day(invoice.issue_date),
            day(invoice.due_date),
            bool(invoice.due_date and invoice.due_date < self.today and invoice.status not in ("PAID", "REFUSED")),
            self.formats.money(invoice.total_gross, invoice.currency), label, tone, pending,
            invoice.discrepancy_count, state, invoice.order_id, [self._action(act, invoice.id) for act in actions])


def invoice_listing(shops):
    """Filters: supplier, status, due date range, PO, amount range, with discrepancies; any column sorts."""
    args, errors = request.args, {}
    where = Invoice.shop.in_([shop.id for shop in shops])
    supplier_id = parse_id(args.get("fournisseur"))
    if supplier_id:
        where &= Invoice.supplier == supplier_id
    if args.get("statut") in InvoiceStatus.__members__:
        where &= Invoice.status == args["statut"]
    due_from, due_to = filter_days(args, errors)
    if due_from:
        where &= Invoice.due_date >= due_from
    if due_to:
        where &= Invoice.due_date <= due_to
    if args.get("commande", "").strip():
        where &= fn.UPPER(Invoice.po_reference).contains(args["commande"].strip().upper())
    minimum, maximum = _amount("min", errors), _amount("max", errors)
    if minimum is not None or maximum is not None:
        where &= Invoice.currency == "EUR"  # the bounds are euros: a ¥5 000 invoice is not « 40 to 60 »
    if minimum is not None:
        where &= Invoice.total_gross >= minimum
    if maximum is not None:
        where &= Invoice.total_gross <= maximum
    if args.get("ecarts"):
        where &= Invoice.discrepancy_count > 0
    query = Invoice.select(*LISTED_COLUMNS).join(Supplier).where(where).tuples()
    sort, descending = sort_choice(args, SORTS, "echeance")
    # Counted without the join: the supplier is only needed for the rows shown. COUNT(*), not of a
    # column: PostgreSQL counts from an index alone (half the time at 100,000 invoices).
    total = Invoice.select(fn.COUNT(SQL("*"))).where(where).scalar()
    ordering = [Order(SORTS[sort], descending), Order(Invoice.id, True)]
    listing_page = page_of(query, ordering, requested_page(args), total, PAGE_SIZE)
    listing_page.rows = [ListedInvoice(*row) for row in listing_page.rows]
    access = payables_access()
    rights = {shop.id: access.rights_on(shop) for shop in shops}
    today = datetime.date.today()
    row_of = InvoiceRows(rights, today)
    return {"invoices": listing_page.rows, "rows": [row_of(invoice) for invoice in listing_page.rows],
            "row_of": row_of, "labels": row_of.labels,
            "total": total, "page": listing_page.number, "pages": listing_page.pages,
            "listing_page": listing_page, "args": {**args.to_dict(), "page": listing_page.number},
            "sort": sort, "descending": descending, "errors": errors, "rights": rights,
            "actions_of": lambda invoice: available_actions(invoice.status, rights[invoice.shop_id],
                                                            schema_pending(invoice)),
            # (id, name) only, fetched straight from the cursor: a merchant may have a thousand
            # suppliers in this filter, and two plain columns need no conversion per row.
            "suppliers": db.execute(Supplier.select(Supplier.id, Supplier.name)
                                    .order_by(Supplier.name, Supplier.id)).fetchall(),
            "chosen_supplier": supplier_id, "statuses": list(InvoiceStatus),
            "status_badges": row_of.badges, "today": today}


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
