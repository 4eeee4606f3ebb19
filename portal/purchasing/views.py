"""Purchasing pages: thin views over service.py and amounts.py."""
import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _
from flask_login import current_user, login_required

from models import DeliveryNote, PurchaseLine, PurchaseOrder, PurchaseRequest, Shop, Supplier
from portal.auth.decorators import require_right
from portal.auth.rights import PAYABLES_RIGHTS, has_right, shops_with_right
from portal.purchasing import bp
from portal.purchasing.amounts import QuantityError, format_quantity, parse_quantity
from portal.purchasing.forms import (DeliveryForm, LineForm, OrderFromRequestForm, PurchaseOrderForm,
                                     PurchaseRequestForm)
from portal.purchasing.service import (ORDER_STATUS_LABELS, DeliveryRefused, correct_delivery, create_order,
                                       create_request, delete_delivery, document_totals, note_locked,
                                       order_from_request, order_status, over_deliveries, received_by_line,
                                       record_delivery)
from portal.texts import in_user_language


def _visible_shops():
    from portal.invoices.listing import payables_access  # portal.invoices' views import this module

    shops = payables_access().shops_with_any(PAYABLES_RIGHTS)
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
    from portal.invoices.listing import payables_access
    from portal.purchasing import listing

    access = payables_access()  # read by _visible_shops() above: no query
    shop_ids = [s.id for s in shops]
    (orders, order_sort, order_desc), (requests, request_sort, request_desc) = \
        listing.purchasing_lists(shop_ids, request.args)
    return render_template("purchasing/index.html", orders=orders, requests=requests, args=request.args.to_dict(),
                           order_sort=(order_sort, order_desc), request_sort=(request_sort, request_desc),
                           can_buy=any("manage_suppliers" in access.rights_on(shop) for shop in shops),
                           status_labels=ORDER_STATUS_LABELS)


@bp.route("/demandes/nouvelle", methods=["GET", "POST"])
@login_required
def new_request():
    shops = _buyer_shops()
    form = PurchaseRequestForm()
    _prepare(form, shops, _("— à choisir plus tard —"))
    if form.validate_on_submit():
        shop = Shop.get_by_id(form.shop.data)
        require_right("manage_suppliers", shop)
        supplier = Supplier.get_or_none(Supplier.id == form.supplier.data) if form.supplier.data else None
        purchase_request = create_request(shop, form.title.data.strip(), form.parsed_lines(), current_user._get_current_object(),
                                          supplier=supplier, currency=form.currency.data)
        flash(_("Demande d'achat %(number)s enregistrée.", number=purchase_request.number), "success")
        return redirect(url_for("purchasing.request_detail", request_id=purchase_request.id), 303)
    return render_template("purchasing/request_form.html", form=form), 422 if form.errors else 200


@bp.route("/demandes/<int:request_id>", methods=["GET", "POST"])
@login_required
def request_detail(request_id):
    purchase_request = PurchaseRequest.get_or_none(PurchaseRequest.id == request_id) or abort(404)
    _require_visible(purchase_request.shop)
    form = OrderFromRequestForm()
    form.supplier.choices = supplier_choices(_("— choisir —"))
    if request.method == "GET" and purchase_request.supplier_id:
        form.supplier.data = purchase_request.supplier_id
    if form.validate_on_submit():
        require_right("manage_suppliers", purchase_request.shop)
        if purchase_request.status != "OPEN":
            abort(409)
        order = order_from_request(purchase_request, Supplier.get_by_id(form.supplier.data), current_user._get_current_object())
        flash(_("Bon de commande %(order)s créé à partir de la demande %(request)s.", order=order.number,
                request=purchase_request.number), "success")
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
    _prepare(form, shops, _("— choisir —"))
    if form.validate_on_submit():
        shop = Shop.get_by_id(form.shop.data)
        require_right("manage_suppliers", shop)
        order = create_order(shop, Supplier.get_by_id(form.supplier.data), form.parsed_lines(),
                             current_user._get_current_object(), currency=form.currency.data, notes=form.notes.data or "")
        flash(_("Bon de commande %(number)s créé.", number=order.number), "success")
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
    lines = list(order.lines.order_by(PurchaseLine.position))
    received = received_by_line(order)
    notes = list(order.deliveries.order_by(DeliveryNote.received_on, DeliveryNote.id))
    return {"order": order, "form": form, "lines": lines, "received": received, "totals": document_totals(order),
            "status": order_status(order), "status_labels": ORDER_STATUS_LABELS, "format_quantity": format_quantity,
            "over": {o.line_id: o for o in over_deliveries({l.id: l.quantity_milli for l in lines}, received)},
            "notes": [(note, note_locked(note)) for note in notes],
            "can_buy": has_right(current_user, "manage_suppliers", order.shop), "line_errors": errors or {}}


def _posted_quantities(order):
    """{line id: quantity received} from the `received-<line id>` fields, and the errors per line."""
    received, errors = {}, {}
    for line in order.lines:
        raw = (request.form.get(f"received-{line.id}") or "").strip()
        if raw in ("", "0"):
            continue
        try:
            received[line.id] = parse_quantity(raw)
        except QuantityError as error:
            errors[line.id] = in_user_language(error)
    return received, errors


def _flash_over_delivery(order):
    """AP-MATCH-1: a delivery beyond the order is recorded, and said so, line by line."""
    lines = {line.id: line for line in order.lines}
    for over in over_deliveries({l.id: l.quantity_milli for l in lines.values()}, received_by_line(order)):
        flash(_("Reçu au-delà de la commande — %(line)s : %(received)s reçus pour %(ordered)s commandés.",
                line=lines[over.line_id].description, received=format_quantity(over.received_milli),
                ordered=format_quantity(over.ordered_milli)), "warning")


@bp.route("/commandes/<int:order_id>/reception", methods=["POST"])
@login_required
def receive(order_id):
    order = _order_or_404(order_id)
    require_right("manage_suppliers", order.shop)
    form = DeliveryForm()
    received, errors = _posted_quantities(order)
    if form.validate_on_submit() and not errors:
        try:
            note = record_delivery(order, received, current_user._get_current_object(), form.received_on.data,
                                   form.reference.data or "")
        except DeliveryRefused as refused:
            form.reference.errors = list(form.reference.errors) + [in_user_language(refused)]
        else:
            flash(_("Réception du %(date)s enregistrée.", date=format_date(note.received_on, "dd/MM/yyyy")), "success")
            _flash_over_delivery(order)
            return redirect(url_for("purchasing.order_detail", order_id=order.id), 303)
    return render_template("purchasing/order_detail.html", **_order_context(order, form, errors)), 422


def _note_or_404(note_id):
    note = DeliveryNote.get_or_none(DeliveryNote.id == note_id) or abort(404)
    _require_visible(note.order.shop)
    require_right("manage_suppliers", note.order.shop)
    return note


@bp.route("/livraisons/<int:note_id>/corriger", methods=["GET", "POST"])
@login_required
def correct_note(note_id):
    """AP-MATCH-1: a delivery note is corrected (quantities, date, reference) until an invoice is matched against it."""
    note = _note_or_404(note_id)
    order = note.order
    form = DeliveryForm(obj=note) if request.method == "GET" else DeliveryForm()
    received, errors = ({line.order_line_id: line.quantity_milli for line in note.lines}, {}) \
        if request.method == "GET" else _posted_quantities(order)
    locked = note_locked(note)
    if request.method == "POST" and form.validate_on_submit() and not errors:
        try:
            correct_delivery(note, received, current_user._get_current_object(), form.received_on.data,
                             form.reference.data or "")
        except DeliveryRefused as refused:
            form.reference.errors = list(form.reference.errors) + [in_user_language(refused)]
        else:
            flash(_("Bon de livraison du %(date)s corrigé.", date=format_date(note.received_on, "dd/MM/yyyy")),
                  "success")
            _flash_over_delivery(order)
            return redirect(url_for("purchasing.order_detail", order_id=order.id), 303)
    status = 422 if request.method == "POST" else 200
    in_note = {line.order_line_id: line.quantity_milli for line in note.lines}
    others = {line_id: quantity - in_note.get(line_id, 0) for line_id, quantity in received_by_line(order).items()}
    return render_template("purchasing/delivery_edit.html", note=note, order=order, form=form, locked=locked,
                           lines=list(order.lines.order_by(PurchaseLine.position)), received=others,
                           quantities=request.form if request.method == "POST" else received,
                           line_errors=errors), status


@bp.route("/livraisons/<int:note_id>/supprimer", methods=["POST"])
@login_required
def delete_note(note_id):
    note = _note_or_404(note_id)
    order = note.order
    try:
        delete_delivery(note, current_user._get_current_object())
    except DeliveryRefused as refused:
        flash(in_user_language(refused), "error")
    else:
        flash(_("Bon de livraison supprimé ; les écarts des factures de la commande sont recalculés."), "success")
    target = url_for("purchasing.order_detail", order_id=order.id)
    if request.headers.get("HX-Request") == "true":  # asked through hx-confirm: the browser goes to the order
        return "", 204, {"HX-Redirect": target}
    return redirect(target, 303)


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
