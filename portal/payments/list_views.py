"""The transaction list (PAY-SRCH-1..3, PAY-EXP-1): the page a merchant opens every morning, its
search, totals, saved views and exports. The rules live in payments/search.py and export.py."""
import dataclasses
from urllib.parse import urlencode

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from peewee import IntegrityError
from werkzeug.datastructures import MultiDict

from models import SavedView, db
from portal.auth.decorators import MissingRight
from portal.auth.rights import ShopRights
from portal.navigation import remember_rights_held
from portal.numbers import parse_id
from portal.payments import bp, export, search
from portal.payments.context import payment_context
from portal.payments.pages import RowFormatting, transaction_view
from portal.web import url_with

SAVED_VIEWS_MAX = 50
RESULTS = "#payment-search"


class Access(ShopRights):
    """The user's shops and rights, read in one query for the whole request (not per row); the main
    menu is told what the user holds on any shop, and asks nothing more."""

    def __init__(self, user):
        super().__init__(user)
        remember_rights_held(user, self.held)

    def require(self, right):
        shops = self.shops_with(right)
        if not shops:
            abort(403, description=MissingRight(right))
        return shops


def _translated(errors):
    return {name: _(message, **values) for name, (message, values) in errors.items()}


def _listing(ctx, access, found):
    """The rows of one page with their operations (one query) and each shop's rights (no query)."""
    viewable = access.shops_with("view")
    shop_by_id = {shop.id: shop for shop in viewable}
    shop_ranks = {shop.id: rank for rank, shop in enumerate(viewable)}
    page = search.read_page(found, ctx.timezone, shop_ranks)
    operations = search.operations_by_transaction(page.rows)
    rows = []
    formatting = RowFormatting(ctx)
    for txn in page.rows:
        txn.shop = shop_by_id[txn.shop_id]  # already read: no query per row for its name
        rows.append(transaction_view(ctx, txn, access.rights[txn.shop_id], operations[txn.id], formatting))
    return page, rows


def _context(access, found, with_totals=False):
    ctx = payment_context()
    page, rows = (_listing(ctx, access, found) if found.criteria else (None, []))
    viewable = access.shops_with("view")
    return {
        "found": found, "errors": _translated(found.errors), "page": page, "rows": rows,
        "shops": viewable, "several_shops": len(viewable) > 1, "today": ctx.today(),
        "totals": search.totals(found.criteria, ctx.timezone) if with_totals and found.criteria else None,
        "can_create": bool(access.shops_with("create_payment")), "can_export": bool(access.shops_with("export")),
        "currencies": search.CURRENCIES,
        # What « Enregistrer la vue » keeps: the filters and the sort (never a page cursor).
        "query_string": urlencode(found.sort_args, doseq=True),
    }


@bp.route("/")
@login_required
def index():
    access = Access(current_user)
    shops = access.require("view")
    found = search.parse_search(request.args, shops, payment_context().today())
    values = _context(access, found, with_totals=request.args.get("totaux") == "1")
    status = 422 if found.errors else 200
    # The fragment holds the saved-views menu too: without them, a search would empty it.
    values["saved_views"] = list(SavedView.select().where(SavedView.user == current_user).order_by(SavedView.name))
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == RESULTS[1:]:
        response = render_template("payments/_search.html", **values)
    else:
        response = render_template("payments/index.html", **values)
    return response, status, {"Vary": "HX-Request, HX-Target"}


@bp.route("/totaux")
@login_required
def totals():
    """The totals of a result, asked by the list after it is shown (they read the whole result,
    the list only one page); without htmx, the list with its totals."""
    access = Access(current_user)
    shops = access.require("view")
    if request.headers.get("HX-Request") != "true":
        return redirect(url_with("payments.index", request.args.to_dict(flat=False), totaux="1"))
    found = search.parse_search(request.args, shops, payment_context().today())
    if found.errors:
        return render_template("payments/_totals.html", totals=None, found=found), 422
    ctx = payment_context()
    return render_template("payments/_totals.html", totals=search.totals(found.criteria, ctx.timezone), found=found)


@bp.route("/export.<any(xlsx, csv):fmt>")
@login_required
def export_result(fmt):
    """The current result (or the rows ticked in it) as .xlsx or CSV, streamed (PAY-EXP-1)."""
    access = Access(current_user)
    viewable = access.require("view")
    shops = [shop for shop in access.require("export") if "view" in access.rights[shop.id]]
    if not shops:
        abort(403, description=MissingRight("export"))
    # Read as the list reads it (amounts in the same currency), then kept to the shops it may export.
    found = search.parse_search(request.args, viewable, payment_context().today())
    if found.errors:  # the list says what is wrong, under each field
        return redirect(url_with("payments.index", request.args.to_dict(flat=False)))
    exportable = {shop.id for shop in shops}
    criteria = dataclasses.replace(found.criteria,
                                   shop_ids=[i for i in found.criteria.shop_ids if i in exportable])
    if not criteria.shop_ids:  # only shops it may not export were chosen
        abort(403, description=MissingRight("export"))
    chosen = export.chosen_ids(request.args.getlist("choix")) if request.args.getlist("choix") else None
    ctx = payment_context()
    return export.response(fmt, criteria, ctx.timezone, {shop.id: shop for shop in shops}, chosen,
                           found.sort, found.descending)


@bp.route("/vues", methods=["POST"])
@login_required
def save_view():
    """Names the current filters (PAY-SRCH-3); the same name again replaces them."""
    access = Access(current_user)
    shops = access.require("view")
    name = (request.form.get("name") or "").strip()
    filters = MultiDict([(k, v) for k, v in MultiDict(_query_pairs(request.form.get("filters", ""))).items(multi=True)
                         if k in search.FILTER_NAMES + search.SORT_NAMES])
    found = search.parse_search(filters, shops, payment_context().today())
    error = None
    if not name:
        error = _("Donnez un nom à cette vue.")
    elif len(name) > 80:
        error = _("Nom trop long : 80 caractères au plus.")
    elif found.errors:
        error = _("Corrigez d'abord les critères signalés.")
    elif SavedView.select().where(SavedView.user == current_user).count() >= SAVED_VIEWS_MAX \
            and not SavedView.select().where((SavedView.user == current_user) & (SavedView.name == name)).exists():
        error = _("%(n)s vues au plus : supprimez-en une.", n=SAVED_VIEWS_MAX)
    query = urlencode(found.sort_args, doseq=True)
    if error is None:
        with db.atomic():
            updated = (SavedView.update(query=query)
                       .where((SavedView.user == current_user) & (SavedView.name == name)).execute())
            if not updated:
                try:
                    with db.atomic():
                        SavedView.create(user=current_user, name=name, query=query)
                except IntegrityError:  # saved at the same moment from another tab
                    pass
    return _saved_views_response(error, name)


@bp.route("/vues/supprimer", methods=["POST"])
@login_required
def delete_view():
    access = Access(current_user)
    access.require("view")
    view_id = parse_id(request.form.get("vue")) or 0
    # Only the user's own views: another user's id deletes nothing.
    SavedView.delete().where((SavedView.id == view_id) & (SavedView.user == current_user)).execute()
    return _saved_views_response(None, "")


def _query_pairs(text):
    from urllib.parse import parse_qsl

    return parse_qsl(text[:4000], keep_blank_values=False)


def _saved_views_response(error, name):
    views = list(SavedView.select().where(SavedView.user == current_user).order_by(SavedView.name))
    if request.headers.get("HX-Request") == "true":
        return render_template("payments/_saved_views.html", saved_views=views, view_error=error,
                               view_name=name, query_string=request.form.get("filters", "")[:4000]), \
            422 if error else 200
    if error:
        return render_template("payments/_saved_views.html", saved_views=views, view_error=error, view_name=name,
                               query_string=request.form.get("filters", "")[:4000]), 422
    return redirect(url_for("payments.index") + "?" + urlencode(_query_pairs(request.form.get("filters", ""))),
                    code=303)
