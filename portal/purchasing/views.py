"""Purchasing pages: thin views over service.py and amounts.py."""
import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from models import PurchaseLine, PurchaseOrder, PurchaseRequest, Shop, Supplier
from portal.auth.decorators import require_right
from portal.auth.rights import PAYABLES_RIGHTS, has_right, shops_with_any_right, shops_with_right
from portal.purchasing import bp
from portal.purchasing.amounts import QuantityError, format_quantity, parse_quantity
from portal.purchasing.forms import (DeliveryForm, LineForm, OrderFromRequestForm, PurchaseOrderForm,
                                     PurchaseRequestForm)
from portal.purchasing.service import (ORDER_STATUS_LABELS, DeliveryRefused, create_order, create_request,
                                       document_totals, order_from_request, order_status, received_by_line,
                                       record_delivery)


def _visible_shops():
    shops = shops_with_any_right(current_user, PAYABLES_RIGHTS)
    if not shops:
        abort(403)
    return shops


def _buyer_shops():
    shops = shops_with_right(current_user, "manage_suppliers")
    if not shops:
        abort(403)
    return shops


def _require_visible(shop):
    if not any(has_right(current_user, right, shop) for right in PAYABLES_RIGHTS):
        abort(403)


def supplier_choices(empty_label):
    from portal.suppliers.service import active_suppliers

    active = active_suppliers()
    return [(0, empty_label)] + [(s.id, s.name) for s in active]


def _prepare(form, shops, supplier_label):
    form.shop.choices = [(s.id, s.name) for s in shops]
    form.supplier.choices = supplier_choices(supplier_label)


@bp.route("/")
@login_required
def index():
    shops = _visible_shops()
    # Imported here: the listing reads portal.invoices (paging), whose views import this module.
    from portal.purchasing import listing

    shop_ids = [s.id for s in shops]
    (orders, order_sort, order_desc), (requests, request_sort, request_desc) = \
        listing.purchasing_lists(shop_ids, request.args)
    return render_template("purchasing/index.html", orders=orders, requests=requests, args=request.args.to_dict(),
                           order_sort=(order_sort, order_desc), request_sort=(request_sort, request_desc),
                           can_buy=bool(shops_with_right(current_user, "manage_suppliers")),
                           status_labels=ORDER_STATUS_LABELS)


@bp.route("/demandes/nouvelle", methods=["GET", "POST"])
@login_required
def new_request():
    shops = _buyer_shops()
    form = PurchaseRequestForm()
    _prepare(form, shops, "— à choisir plus tard —")
    if form.validate_on_submit():
        shop = Shop.get_by_id(form.shop.data)
        require_right("manage_suppliers", shop)
        supplier = Supplier.get_or_none(Supplier.id == form.supplier.data) if form.supplier.data else None
        purchase_request = create_request(shop, form.title.data.strip(), form.parsed_lines(), current_user._get_current_object(),
                                          supplier=supplier, currency=form.currency.data)
        flash(f"Demande d'achat {purchase_request.number} enregistrée.", "success")
        return redirect(url_for("purchasing.request_detail", request_id=purchase_request.id), 303)
    return render_template("purchasing/request_form.html", form=form), 422 if form.errors else 200


@bp.route("/demandes/<int:request_id>", methods=["GET", "POST"])
@login_required
def request_detail(request_id):
    purchase_request = PurchaseRequest.get_or_none(PurchaseRequest.id == request_id) or abort(404)
    _require_visible(purchase_request.shop)
    form = OrderFromRequestForm()
    form.supplier.choices = supplier_choices("— choisir —")
    if request.method == "GET" and purchase_request.supplier_id:
        form.supplier.data = purchase_request.supplier_id
    if form.validate_on_submit():
        require_right("manage_suppliers", purchase_request.shop)
        if purchase_request.status != "OPEN":
            abort(409)
        order = order_from_request(purchase_request, Supplier.get_by_id(form.supplier.data), current_user._get_current_object())
        flash(f"Bon de commande {order.number} créé à partir de la demande {purchase_request.number}.", "success")
        return redirect(url_for("purchasing.order_detail", order_id=order.id), 303)
    return render_template("purchasing/request_detail.html", purchase_request=purchase_request, form=form,
                           totals=document_totals(purchase_request),
                           can_buy=has_right(current_user, "manage_suppliers", purchase_request.shop)), \
        422 if form.errors else 200


@bp.route("/commandes/nouvelle", methods=["GET", "POST"])
@login_required
def new_order():
    shops = _buyer_shops()
    form = PurchaseOrderForm()
    _prepare(form, shops, "— choisir —")
    if form.validate_on_submit():
        shop = Shop.get_by_id(form.shop.data)
        require_right("manage_suppliers", shop)
        order = create_order(shop, Supplier.get_by_id(form.supplier.data), form.parsed_lines(),
                             current_user._get_current_object(), currency=form.currency.data, notes=form.notes.data or "")
        flash(f"Bon de commande {order.number} créé.", "success")
        return redirect(url_for("purchasing.order_detail", order_id=order.id), 303)
    return render_template("purchasing/order_form.html", form=form), 422 if form.errors else 200


@bp.route("/ligne", methods=["POST"])
@login_required
def new_line_row():
    """One more empty line for a lines table (the index follows the lines already in the form)."""
    prefix = request.args.get("prefix", "lines")
    index = len({key.split("-")[1] for key in request.form if key.startswith(f"{prefix}-")})
    line = LineForm(prefix=f"{prefix}-{index}")
    return render_template("purchasing/_line_row.html", line=line, index=index)


def _order_or_404(order_id):
    order = PurchaseOrder.get_or_none(PurchaseOrder.id == order_id) or abort(404)
    _require_visible(order.shop)
    return order


@bp.route("/commandes/<int:order_id>")
@login_required
def order_detail(order_id):
    order = _order_or_404(order_id)
    form = DeliveryForm(received_on=datetime.date.today())
    return render_template("purchasing/order_detail.html", **_order_context(order, form))


def _order_context(order, form, errors=None):
    return {"order": order, "form": form, "lines": list(order.lines.order_by(PurchaseLine.position)),
            "received": received_by_line(order), "totals": document_totals(order),
            "status": ORDER_STATUS_LABELS[order_status(order)], "format_quantity": format_quantity,
            "can_buy": has_right(current_user, "manage_suppliers", order.shop), "line_errors": errors or {}}


@bp.route("/commandes/<int:order_id>/reception", methods=["POST"])
@login_required
def receive(order_id):
    order = _order_or_404(order_id)
    require_right("manage_suppliers", order.shop)
    form = DeliveryForm()
    received, errors = {}, {}
    for line in order.lines:
        raw = (request.form.get(f"received-{line.id}") or "").strip()
        if raw in ("", "0"):
            continue
        try:
            received[line.id] = parse_quantity(raw)
        except QuantityError as error:
            errors[line.id] = str(error)
    if form.validate_on_submit() and not errors:
        try:
            note = record_delivery(order, received, current_user._get_current_object(), form.received_on.data,
                                   form.reference.data or "")
        except DeliveryRefused as refused:
            form.reference.errors = list(form.reference.errors) + [str(refused)]
        else:
            flash(f"Réception du {note.received_on:%d/%m/%Y} enregistrée.", "success")
            return redirect(url_for("purchasing.order_detail", order_id=order.id), 303)
    return render_template("purchasing/order_detail.html", **_order_context(order, form, errors)), 422


@bp.route("/commandes/<int:order_id>.pdf")
@login_required
def order_pdf(order_id):
    from weasyprint import HTML

    order = _order_or_404(order_id)
    html = render_template("pdf/purchase_order.html", order=order, totals=document_totals(order),
                           lines=list(order.lines.order_by(PurchaseLine.position)), format_quantity=format_quantity)
    data = HTML(string=html, base_url=current_app.static_folder).write_pdf()
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{order.number}.pdf"'})


@bp.app_template_global("line_net")
def line_net_of(line):
    from portal.purchasing.amounts import line_net

    return line_net(line.quantity_milli, line.unit_price)
