"""Invoice pages: thin views over service.py, matching.py and lifecycle.py."""
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Invoice, PurchaseRequest, Shop, Supplier, Upload
from portal.auth.decorators import require_right
from portal.auth.rights import PAYABLES_RIGHTS, has_right, rights_on, shops_with_right
from portal.documents import document_store
from portal.invoices import bp, pages
from portal.invoices.einvoice import EInvoiceError, NoEInvoiceInPdf, read_einvoice
from portal.invoices.forms import ActionForm, EInvoiceReviewForm, InvoiceForm, TolerancesForm, UploadForm
from portal.invoices.reading import dump_reading, load_reading
from portal.invoices.listing import payables_access
from portal.invoices.intake import data_from_form, media_type_of, save_einvoice
from portal.invoices.lifecycle import ACTIONS, InvoiceStatus, TransitionRefused
from portal.invoices.matching import Tolerances
from portal.invoices.texts import Text, translated
from portal.invoices.service import (DuplicateInvoice, ShareRefused, apply_action, create_invoice,
                                     current_tolerances, duplicate_of, find_order,
                                     find_supplier, order_from_lines, save_tolerances, set_request_shares,
                                     store_upload)
from portal.money import MoneyError, format_amount_input, parse_amount
from portal.numbers import parse_id
from portal.purchasing.views import supplier_choices
from portal.texts import in_user_language


def _store():
    return document_store(current_app.config)


def _invoice(invoice_id):
    invoice = Invoice.get_or_none(Invoice.id == invoice_id) or abort(404)
    if not any(has_right(current_user, right, invoice.shop) for right in PAYABLES_RIGHTS):
        abort(403)
    return invoice


def _own_upload(upload_id):
    """SEC-1: an upload is seen only by the user who put it in, until it is part of an invoice
    (then the invoice's shop rights apply). Another user's upload is answered as missing."""
    upload_id = parse_id(upload_id)  # SEC-2: an id too large for the database is no upload either
    if upload_id is None:
        abort(404)
    upload = Upload.get_or_none((Upload.id == upload_id) & (Upload.uploaded_by == current_user.id))
    return upload or abort(404)


def _intake_shops():
    shops = shops_with_right(current_user, "manage_suppliers")
    if not shops:
        abort(403)
    return shops


@bp.route("/")
@login_required
def index():
    shops = pages.visible_shops()
    if not shops:
        abort(403)
    listing = pages.invoice_listing(shops)
    template = "invoices/_results.html" if request.headers.get("HX-Target") == "invoice-results" else "invoices/index.html"
    return render_template(template, listing=listing, sort_args=pages.sort_url_args,
                           can_intake=bool(payables_access().shops_with_any(("manage_suppliers",))))


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def new_invoice():
    shops = _intake_shops()
    form = InvoiceForm()
    form.shop.choices = [(s.id, s.name) for s in shops]
    form.supplier.choices = supplier_choices(_("— choisir —"))
    if request.method == "GET":
        form.upload_id.data = request.args.get("depot", "")
    upload = _own_upload(form.upload_id.data) if form.upload_id.data else None
    if form.validate_on_submit():
        require_right("manage_suppliers", Shop.get_by_id(form.shop.data))
        try:
            invoice = create_invoice(data_from_form(form, upload.document if upload else None),
                                     current_user._get_current_object())
        except DuplicateInvoice as duplicate:
            form.number.errors = list(form.number.errors) + [_duplicate_message(duplicate.existing)]
        else:
            flash(_("Facture n° %(number)s enregistrée.", number=invoice.number), "success")
            return redirect(url_for("invoices.detail", invoice_id=invoice.id), 303)
    return render_template("invoices/new.html", form=form), 422 if form.errors else 200


def _duplicate_message(existing):
    from flask_babel import format_date

    return _("Doublon : la facture n° %(number)s de %(supplier)s est déjà enregistrée (le %(date)s).",
             number=existing.number, supplier=existing.supplier.name, date=format_date(existing.created_at, "dd/MM/yyyy"))


@bp.route("/deposer", methods=["GET", "POST"])
@login_required
def upload():
    _intake_shops()
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("invoices/upload.html", form=form), 422 if form.errors else 200
    data = form.document.data.read()
    filename = form.document.data.filename or ""
    # Kept whatever happens next: an upload is never lost, even when it cannot be read.
    upload = store_upload(_store(), data, media_type_of(data, filename), filename,
                          current_user._get_current_object())
    try:
        einvoice = read_einvoice(data, filename)
    except EInvoiceError as error:
        if isinstance(error, NoEInvoiceInPdf):  # the same words wherever a PDF without invoice is met
            flash(translated(error.text, _), "warning")
            return redirect(url_for("invoices.new_invoice", depot=upload.id), 303)
        return render_template("invoices/upload.html", form=form, error=translated(error.text, _), upload=upload), 422
    # Parsed once: the review and the save read this (issue 14).
    Upload.update(reading=dump_reading(einvoice)).where(Upload.id == upload.id).execute()
    return redirect(url_for("invoices.review", upload_id=upload.id), 303)


def _reading(upload):
    """The e-invoice read at upload; an older upload without a reading is parsed now, once."""
    einvoice = load_reading(upload.reading)
    if einvoice is None:
        einvoice = read_einvoice(_store().read(upload.document))
        Upload.update(reading=dump_reading(einvoice)).where(Upload.id == upload.id).execute()
    return einvoice


@bp.route("/deposer/<int:upload_id>/verifier", methods=["GET", "POST"])
@login_required
def review(upload_id):
    shops = _intake_shops()
    upload = _own_upload(upload_id)
    document = upload.document
    try:
        einvoice = _reading(upload)
    except EInvoiceError as error:
        if isinstance(error, NoEInvoiceInPdf):
            flash(translated(error.text, _), "warning")
            return redirect(url_for("invoices.new_invoice", depot=upload.id), 303)
        return render_template("invoices/upload.html", form=UploadForm(), error=translated(error.text, _),
                               upload=upload), 422
    supplier = find_supplier(einvoice.seller_vat_number, einvoice.seller_siret_or_siren)
    form = EInvoiceReviewForm()
    form.shop.choices = [(s.id, s.name) for s in shops]
    form.supplier.choices = [(-1, _("Créer le fournisseur « %(name)s »", name=einvoice.seller_name))] \
        + supplier_choices(_("— choisir —"))[1:]
    from_lines = None
    if request.method == "GET":
        form.supplier.data = supplier.id if supplier else -1
        # AP-INV-3: no BT-13 in the header, the lines' order references (BT-132) name the order.
        from_lines = order_from_lines(supplier, einvoice) if supplier and not einvoice.po_reference else None
        form.po_reference.data = einvoice.po_reference or (from_lines.number if from_lines else "")
    if form.validate_on_submit():
        return _save_einvoice(form, einvoice, upload)
    chosen = Supplier.get_or_none(Supplier.id == form.supplier.data) if form.supplier.data else supplier
    return render_template("invoices/review.html", form=form, einvoice=einvoice, document=document,
                           supplier=supplier, order=find_order(chosen, form.po_reference.data) if chosen else None,
                           from_lines=from_lines, duplicate=duplicate_of(chosen, einvoice.number) if chosen else None), \
        422 if form.errors else 200


def _save_einvoice(form, einvoice, upload):
    shop = Shop.get_by_id(form.shop.data)
    require_right("manage_suppliers", shop)
    user = current_user._get_current_object()
    try:
        invoice = save_einvoice(upload, einvoice, shop, form.supplier.data, form.po_reference.data or "", user)
    except DuplicateInvoice as duplicate:
        flash(_duplicate_message(duplicate.existing), "error")
        return redirect(url_for("invoices.detail", invoice_id=duplicate.existing.id), 303)
    if invoice.schema_issues:
        flash(_("Facture n° %(number)s enregistrée, non conforme à son schéma : acceptez-la ou refusez-la.",
                number=invoice.number), "warning")
    else:
        flash(_("Facture n° %(number)s enregistrée depuis le fichier électronique.", number=invoice.number), "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice.id), 303)


@bp.route("/<int:invoice_id>")
@login_required
def detail(invoice_id):
    invoice = _invoice(invoice_id)
    return render_template("invoices/detail.html", **pages.invoice_detail(invoice), action_form=ActionForm())


@bp.route("/<int:invoice_id>/document")
@login_required
def document(invoice_id):
    invoice = _invoice(invoice_id)
    if invoice.document is None:
        abort(404)
    data = _store().read(invoice.document)
    extension = "pdf" if invoice.document.media_type == "application/pdf" else "xml"
    return Response(data, mimetype=invoice.document.media_type,
                    headers={"Content-Disposition": f'inline; filename="facture-{invoice.id}.{extension}"'})


@bp.route("/<int:invoice_id>/action/<name>", methods=["GET", "POST"])
@login_required
def action(invoice_id, name):
    invoice = _invoice(invoice_id)
    if name not in ACTIONS:
        abort(404)
    form = ActionForm()
    context = pages.invoice_detail(invoice)
    if request.method == "GET":
        form.context.data = request.args.get("contexte", "detail")
        return render_template("invoices/_action_form.html", form=form, act=ACTIONS[name], **context)
    try:
        invoice = apply_action(invoice.id, name, current_user._get_current_object(), rights_on(current_user, invoice.shop),
                               form.reason.data or "", form.override_reason.data or "")
    except TransitionRefused as refused:
        return render_template("invoices/_action_form.html", form=form, act=ACTIONS[name],
                               error=translated(refused.message, _), **context), 409
    if request.headers.get("HX-Request") != "true":
        flash(_("Facture n° %(number)s : %(status)s.", number=invoice.number,
                status=_(InvoiceStatus(invoice.status).label).lower()), "success")
        return redirect(url_for("invoices.detail", invoice_id=invoice.id), 303)
    # The thread panel reloads on this event: the notification sent to the supplier appears there.
    return render_template("invoices/_action_done.html", act=ACTIONS[name], form=form,
                           listing=pages.invoice_listing([invoice.shop]) if form.context.data == "liste" else None,
                           **pages.invoice_detail(invoice)), 200, {"HX-Trigger": "invoice-changed"}


@bp.route("/<int:invoice_id>/repartition", methods=["POST"])
@login_required
def shares(invoice_id):
    invoice = _invoice(invoice_id)
    require_right("manage_suppliers", invoice.shop)
    amounts, errors = {}, []
    for purchase_request in PurchaseRequest.select().where(PurchaseRequest.shop == invoice.shop):
        raw = (request.form.get(f"share-{purchase_request.id}") or "").strip()
        if raw:
            try:
                amounts[purchase_request] = parse_amount(raw, invoice.currency, allow_zero=True)
            except MoneyError as error:
                errors.append(f"{purchase_request.number} : {in_user_language(error)}")
    if not errors:
        try:
            set_request_shares(invoice, amounts, current_user._get_current_object())
        except ShareRefused as refused:
            errors.append(translated(refused.text, _))
    context = pages.invoice_detail(invoice)
    return render_template("invoices/_shares.html", share_errors=errors, posted=request.form, **context), \
        422 if errors else 200


@bp.route("/tolerances", methods=["GET", "POST"])
@login_required
def tolerances():
    if not (current_user.is_admin or shops_with_right(current_user, "manage_suppliers")):
        abort(403)
    form = TolerancesForm()
    current = current_tolerances()
    if request.method == "GET":
        form.quantity_pct.data = format_amount_input(current.quantity_pct, "EUR")
        form.price_pct.data = format_amount_input(current.price_pct, "EUR")
        form.amount_abs.data = format_amount_input(current.amount_abs, "EUR")
        form.price_mode.data = current.price_mode
    elif form.validate_on_submit():
        save_tolerances(Tolerances(form.quantity_bp, form.price_bp, form.amount_minor, form.price_mode.data),
                        current_user._get_current_object())
        flash(_("Tolérances de rapprochement enregistrées ; les écarts des factures sont recalculés."), "success")
        return redirect(url_for("invoices.tolerances"), 303)
    return render_template("invoices/tolerances.html", form=form), 422 if form.errors else 200


@bp.app_template_filter("invoice_status")
def invoice_status_filter(value):
    from portal.invoices.lifecycle import STATUS_TONES

    status = InvoiceStatus(value)
    return {"label": _(status.label), "tone": STATUS_TONES[status], "reform_code": status.reform_code}


@bp.app_template_filter("action_label")
def action_label_filter(name):
    if name in ACTIONS:
        return _(ACTIONS[name].label)
    return {"receive": _("Réception"), "pay_partially": _("Paiement partiel"),
            "payment_debited": _("Montant débité en euros")}.get(name, _("Autre action"))


@bp.app_template_filter("discrepancy_state")
def discrepancy_state_filter(invoice):
    """« open » (an alert), « resolved » (accepted, or the invoice approved, paid or refused) or « none »."""
    from portal.invoices.lifecycle import discrepancies_resolved

    if not invoice.discrepancy_count:
        return "none"
    return "resolved" if discrepancies_resolved(invoice.status, invoice.override_reason) else "open"


@bp.app_template_filter("tr")
def translate_filter(value):
    """A rule's Text (or its JSON), or a label marked N_(), in the user's language (LOC-3)."""
    if isinstance(value, dict):
        value = Text.from_json(value)
    if isinstance(value, str):
        return _(value) if value else value
    return translated(value, _)


@bp.app_template_filter("signed_pct")
def signed_pct_filter(basis_points):
    """+541 -> « +5,4 % » (one decimal, the user's locale)."""
    from decimal import Decimal

    from flask_babel import format_decimal

    if basis_points is None:
        return ""
    return ("+" if basis_points > 0 else "") + format_decimal(Decimal(basis_points) / 100, "#,##0.0") + "\u00a0%"


@bp.app_template_filter("amount_input")
def amount_input_filter(minor, currency):
    return format_amount_input(minor, currency)
