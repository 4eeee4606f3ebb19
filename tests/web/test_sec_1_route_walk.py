"""SEC-1: a generated walk of every route of the application (app.url_map) with objects of two
shops and a user for every right. Each user holds rights on shop A only; every id the walk sends
(path, query string, form field, HTMX request) points at shop B. The walk fails when
- a route answers 2xx for an object of shop B,
- any page shows something of shop B (every B object carries the marker ZZB),
- shop B's data changed after a request.
A route added later is walked without touching this file; a path parameter the walk cannot fill
fails the test, so the walk is extended at the same time."""
import datetime
import hashlib
import re

import pytest

from models import (Invoice, InvoiceMessage, Operation, OutgoingMail, PaymentBatch, PurchaseOrder, PurchaseRequest,
                    SupplierPayment, Transaction)
from portal.auth.rights import SHOP_RIGHTS
from portal.documents import DocumentStore
from tests.factories import make_shop, make_transaction, make_user
from tests.worlds import make_shared_objects, make_shop_objects

MARK = "ZZB"
# Signed CSRF tokens change every second and are random-looking: one in ten thousand contains
# "ZZB" by chance, so they are removed before a page is searched for shop B's marker.
# The same holds for a freshly generated TOTP secret shown on the enrolment page.
CSRF_TOKENS = re.compile(rb'("X-CSRFToken": "|name="csrf_token"[^>]*?value="|id="totp-secret">)[^"<]*')
TODAY = datetime.date.today()
# Routes that are not about objects of a shop, or that end the walking user's own session.
UNWALKED = {"static", "auth.logout", "auth.login", "auth.setup", "auth.account"}

# Valid-looking values for the fields of the portal's forms, so that a missing check cannot hide
# behind a validation error; prefixed variants cover forms rendered with a prefix.
PLAUSIBLE = {
    "amount": "1,00", "reason": "Essai", "override_reason": "Essai", "body": f"Bonjour", "text": "Bonjour",
    "paid_on": TODAY.isoformat(), "method": "TRANSFER", "reference": "WALK1", "execution_date": TODAY.isoformat(),
    "quantity": "1", "date": TODAY.isoformat(), "delivery_date": TODAY.isoformat(), "number": "WALK-1",
    "note": "Essai", "name": "Essai", "title": "Essai", "context": "detail", "contexte": "detail",
    "layout": "a4", "kind": "INVOICE", "confirm": "y", "score": "3", "label": "Essai", "debited_eur": "1,00",
}
PREFIXES = ("", "payment-", "deduction-", "message-", "reply-", "op-", "action-")


def _fill(names_to_values):
    data = {}
    for name, value in names_to_values.items():
        for prefix in PREFIXES:
            data[prefix + name] = value
    return data


@pytest.fixture
def world(app, payment_ctx):
    """Shop A (the walkers' shop) and shop B with one object of every shop-scoped kind."""
    shop_a, shop_b = make_shop("Boutique A"), make_shop(f"Boutique {MARK}")
    owner_b = make_user(f"gerant{MARK.lower()}", rights={shop_b: list(SHOP_RIGHTS)})
    shared = make_shared_objects(owner_b)
    make_transaction(payment_ctx, shop_a, reference="AREF1")
    ids = make_shop_objects(shop_b, owner_b, shared["supplier"], payment_ctx,
                            DocumentStore(app.config["DOCUMENTS_DIR"]), MARK)
    return {"shop_a": shop_a, "shop_b": shop_b, "owner_b": owner_b,
            "ids": {**ids, "supplier_id": shared["supplier_id"]}, "shared": shared}


# Path parameters that are not ids of shop objects: the value the walk gives them.
FIXED_PARAMS = {"slug": ["valider", "annuler", "rembourser", "dupliquer"], "name": ["approve", "reject", "pay"],
                "layout": ["a4", "ticket"], "kind": ["axes", "valeurs"], "area": ["tableau-de-bord"],
                "field_name": ["amount", "reference"], "index": [0], "fmt": ["xlsx", "csv"]}
# Ids of objects shared by all shops (suppliers, analytic axes, evaluation grids…): the walk
# gives the first one, the route's own checks are tested in its area's tests.
GLOBAL_PARAMS = {"contact_id", "change_id", "evaluation_id", "action_id", "grid_id", "axis_id", "value_id",
                 "grant_id", "target_id"}


def _param_values(name, ids):
    if name in FIXED_PARAMS:
        return FIXED_PARAMS[name]
    if name in ids:
        return [ids[name]]
    if name in GLOBAL_PARAMS:
        return [ids.get(name, 1)]
    raise AssertionError(f"the SEC-1 walk does not know how to fill the path parameter {name!r}: "
                         "add it to the world fixture (an object of shop B) or to FIXED_PARAMS")


def _urls(app, rule, ids):
    combos = [{}]
    for name in rule.arguments:
        combos = [{**combo, name: value} for combo in combos for value in _param_values(name, ids)]
    with app.test_request_context():
        from flask import url_for

        return [url_for(rule.endpoint, **combo) for combo in combos]


def _query(world):
    ids = world["ids"]
    shop_b = world["shop_b"].id
    return {"boutique": shop_b, "shop": shop_b, "commande": ids["order_id"], "depot": ids["upload_id"],
            "demande": ids["request_id"], "facture": ids["invoice_id"], "transaction": ids["transaction_id"]}


def _form(world):
    ids = world["ids"]
    data = _fill(PLAUSIBLE)
    data.update(_fill({"shop": world["shop_b"].id, "invoice": ids["invoice_id"], "invoice_id": ids["invoice_id"],
                       "request": ids["request_id"], "order": ids["order_id"], "upload_id": ids["upload_id"],
                       "document_id": ids["upload_id"], "transaction": ids["transaction_id"],
                       "deposit": ids["invoice_id"], "batch": ids["batch_id"]}))
    data[f"amount-{ids['invoice_id']}"] = "1,00"
    data[f"share-{ids['request_id']}"] = "1,00"
    return data


def shop_b_fingerprint(shop_b):
    """A digest of everything shop B owns: it must not move while shop A's users walk."""
    invoices = Invoice.select(Invoice.id).where(Invoice.shop == shop_b)
    transactions = Transaction.select(Transaction.id).where(Transaction.shop == shop_b)
    rows = [
        list(Transaction.select().where(Transaction.shop == shop_b).order_by(Transaction.id).dicts()),
        list(Operation.select().where(Operation.transaction.in_(transactions)).order_by(Operation.id).dicts()),
        list(Invoice.select().where(Invoice.shop == shop_b).order_by(Invoice.id).dicts()),
        list(SupplierPayment.select().where(SupplierPayment.invoice.in_(invoices)).order_by(SupplierPayment.id).dicts()),
        list(InvoiceMessage.select().where(InvoiceMessage.invoice.in_(invoices)).order_by(InvoiceMessage.id).dicts()),
        list(OutgoingMail.select().where(OutgoingMail.invoice.in_(invoices)).order_by(OutgoingMail.id).dicts()),
        list(PurchaseRequest.select().where(PurchaseRequest.shop == shop_b).order_by(PurchaseRequest.id).dicts()),
        list(PurchaseOrder.select().where(PurchaseOrder.shop == shop_b).order_by(PurchaseOrder.id).dicts()),
        list(PaymentBatch.select().where(PaymentBatch.shop == shop_b).order_by(PaymentBatch.id).dicts()),
    ]
    from models import Allocation, DeliveryNote, InvoiceRequestShare

    rows.append(list(Allocation.select().where(Allocation.invoice.in_(invoices)).order_by(Allocation.id).dicts()))
    rows.append(list(InvoiceRequestShare.select().where(InvoiceRequestShare.invoice.in_(invoices)).dicts()))
    rows.append(list(DeliveryNote.select().join(PurchaseOrder).where(PurchaseOrder.shop == shop_b).dicts()))
    # Suppliers and their contacts are shared by every shop: removing a contact clears it from
    # shop B's messages by design, so that column is left out.
    rows = [[{k: v for k, v in row.items() if k != "contact"} for row in table] for table in rows]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


WALKERS = [[right] for right in SHOP_RIGHTS] + [list(SHOP_RIGHTS), "admin"]


@pytest.mark.parametrize("rights", WALKERS, ids=lambda r: r if isinstance(r, str) else "+".join(r))
def test_sec_1_route_walk_finds_no_cross_shop_access(app, client, admin, world, rights):
    if rights == "admin":
        user = make_user("walker", is_admin=True)
    else:
        user = make_user("walker", rights={world["shop_a"]: rights})
    assert client.login(user.username).status_code == 302
    failures, requests = [], 0
    query, form = _query(world), _form(world)
    before = shop_b_fingerprint(world["shop_b"])
    shop_b_routes = set(world["ids"]) - {"supplier_id"} - ({"shop_id", "user_id"} if rights == "admin" else set())
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in UNWALKED:
            continue
        about_shop_b = bool(set(rule.arguments) & shop_b_routes)
        # An administrator's own pages (users, shops, audit) are global by design: they name every shop.
        check_content = not (rights == "admin" and rule.endpoint.startswith("admin."))
        for url in _urls(app, rule, {**world["shared"], **world["ids"]}):
            attempts = []
            if "GET" in rule.methods:
                attempts += [("GET", {}), ("GET", {"HX-Request": "true"})]
            if "POST" in rule.methods:
                attempts += [("POST", {}), ("POST", {"HX-Request": "true"})]
            for method, headers in attempts:
                if method == "GET":
                    response = client.get(url, query_string=query, headers=headers)
                else:
                    response = client.post(url, data=form, headers=headers)
                requests += 1
                body = CSRF_TOKENS.sub(rb"\1", response.get_data())
                if about_shop_b and 200 <= response.status_code < 300:
                    failures.append(f"{method} {url} {headers or ''} -> {response.status_code} on a shop B object")
                if check_content and MARK.encode() in body:
                    at = body.find(MARK.encode())
                    context = body[max(0, at - 120):at + 40].decode("utf-8", "replace").replace("\n", " ")
                    failures.append(f"{method} {url} {headers or ''} -> {response.status_code} shows shop B data: "
                                    f"…{context}…")
                if response.status_code >= 500:
                    failures.append(f"{method} {url} {headers or ''} -> {response.status_code}")
        after = shop_b_fingerprint(world["shop_b"])
        if after != before:
            failures.append(f"{rule.rule}: shop B's data changed")
            before = after
    print(f"SEC-1 walk [{rights}]: {requests} requests, {len(failures)} findings")
    assert requests > 300
    assert not failures, f"{len(failures)} findings in {requests} requests:\n" + "\n".join(failures[:60])
