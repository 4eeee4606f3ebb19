"""Payables pages: thin views over service.py (payments, deposit deductions, SEPA batches) and
balances.py. Viewing needs one of the payables rights on the shop; paying needs pay_invoices (AUTH-2)."""
from urllib.parse import urlparse

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user, login_required

from models import Invoice, PaymentBatch, Shop, SupplierPayment
from portal.auth.decorators import admin_required, require_right
from portal.auth.rights import PAYABLES_RIGHTS, has_right
from portal.documents import document_store
from portal.money import MoneyError, format_money, parse_amount
from portal.payables import bp, pages, service
from portal.payables.balances import PaymentRefused
from portal.payments.service import usable_idempotency_key
from portal.texts import N_, in_user_language
from portal.numbers import parse_id
from portal.payables.forms import BatchForm, DebitedForm, DeductionForm, PaymentForm

PANEL_TARGET = "inv-payments"
TO_PAY_TARGET = "payables-to-pay"


def _store():
    return document_store(current_app.config)


def _money(minor, currency):
    return format_money(minor, currency, str(get_locale() or "fr"))


def _user():
    return current_user._get_current_object()


def _require_view(shop):
    if not any(has_right(current_user, right, shop) for right in PAYABLES_RIGHTS):
        abort(403)


def _idempotency_key(posted):
    """The form's key if it looks like one we issued: no « : », which would let a payment's key collide with a
    batch's « key:<invoice> », and 48 characters at most (stored suffixed in a 64-character column)."""
    key = usable_idempotency_key(posted)
    return key if len(key) <= 48 else service.new_idempotency_key()


def _invoice(invoice_id):
    invoice = Invoice.get_or_none(Invoice.id == invoice_id) or abort(404)
    _require_view(invoice.shop)
    return invoice


@bp.app_template_global()
def payables_panel(invoice):
    """The payments panel's data, for the invoice detail page that includes the panel."""
    return pages.invoice_panel(invoice)


def _panel_response(invoice, status=200, **panel):
    """The panel alone to htmx (with the invoice's status and history out of band when it sits on the
    invoice page), else the full page."""
    context = {"invoice": invoice, "payables_data": pages.invoice_panel(invoice, **panel)}
    if request.headers.get("HX-Target") != PANEL_TARGET:
        return render_template("payables/invoice.html", **context), status
    detail_path = url_for("invoices.detail", invoice_id=invoice.id)
    if urlparse(request.headers.get("HX-Current-URL", "")).path.endswith(detail_path):
        from portal.invoices.pages import invoice_detail

        detail = invoice_detail(invoice)
        context.update(oob_detail=True, actions=detail["actions"], history=detail["history"])
    return render_template("payables/_panel_update.html", **context), status


def _settled(invoice, message):
    if request.headers.get("HX-Target") == PANEL_TARGET:
        return _panel_response(Invoice.get_by_id(invoice.id), notice=message)
    flash(message, "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice.id), 303)


@bp.route("/factures/<int:invoice_id>")
@login_required
def invoice_payments(invoice_id):
    invoice = _invoice(invoice_id)
    return _panel_response(invoice)


@bp.route("/factures/<int:invoice_id>/paiements", methods=["POST"])
@login_required
def pay(invoice_id):
    invoice = _invoice(invoice_id)
    require_right("pay_invoices", invoice.shop)
    form = PaymentForm(currency=invoice.currency)
    if not form.validate_on_submit():
        return _panel_response(invoice, 422, form=form)
    try:
        recorded = service.record_payment(invoice, form.amount.minor, form.paid_on.data, form.method.data, _user(),
                                          _idempotency_key(form.idempotency_key.data),
                                          form.reference.data or "", remote_addr=request.remote_addr,
                                          debited_eur=form.debited_eur.minor)
    except PaymentRefused as refused:
        if refused.field in form:
            form[refused.field].errors = list(form[refused.field].errors) + [in_user_language(refused)]
        return _panel_response(invoice, 409, form=form, error=in_user_language(refused))
    message = _("Paiement de %(amount)s enregistré ; reste à payer %(outstanding)s.",
                amount=_money(recorded.payment.amount, invoice.currency),
                outstanding=_money(recorded.balance.outstanding, invoice.currency))
    if recorded.replayed:
        message = _("Ce paiement était déjà enregistré (formulaire envoyé deux fois) : rien n'a été payé en plus.")
    return _settled(invoice, message)


@bp.route("/paiements/<int:payment_id>/debite", methods=["POST"])
@login_required
def debited(payment_id):
    payment = SupplierPayment.get_or_none(SupplierPayment.id == payment_id) or abort(404)
    invoice = _invoice(payment.invoice_id)
    require_right("pay_invoices", invoice.shop)
    form = DebitedForm()

    def refused(status, reason):
        message = _("Montant débité non enregistré : %(reason)s", reason=reason)
        if invoice.currency == "EUR":  # no such field on the panel: said at its top
            return _panel_response(invoice, status, error=message)
        return _panel_response(invoice, status, debited=(payment.id, form.debited_eur.data or "", message))

    if not form.validate_on_submit():
        return refused(422, " ".join(str(error) for errors in form.errors.values() for error in errors))
    try:
        service.set_debited_euros(payment.id, form.debited_eur.minor, _user(), remote_addr=request.remote_addr)
    except PaymentRefused as refusal:
        return refused(409, in_user_language(refusal))
    if form.debited_eur.minor is None:
        return _settled(invoice, _("Montant débité effacé : le paiement est comptabilisé au cours de la facture."))
    return _settled(invoice, _("Montant débité enregistré : %(amount)s.",
                               amount=_money(form.debited_eur.minor, "EUR")))


@bp.route("/factures/<int:invoice_id>/acomptes", methods=["POST"])
@login_required
def deduct(invoice_id):
    invoice = _invoice(invoice_id)
    require_right("pay_invoices", invoice.shop)
    form = DeductionForm(currency=invoice.currency)
    if not form.validate_on_submit():
        return _panel_response(invoice, 422, deduction=form)
    deposit = Invoice.get_or_none(Invoice.id == form.deposit.data)
    try:
        if deposit is None:
            raise PaymentRefused(N_("Facture d'acompte introuvable."), "deposit")
        service.deduct_deposit(invoice, deposit, form.amount.minor, _user(), remote_addr=request.remote_addr)
    except PaymentRefused as refused:
        if refused.field in form:
            form[refused.field].errors = list(form[refused.field].errors) + [in_user_language(refused)]
        return _panel_response(invoice, 409, deduction=form, error=in_user_language(refused))
    return _settled(invoice, _("Facture d'acompte n° %(number)s déduite : %(amount)s.", number=deposit.number,
                               amount=_money(form.amount.minor, invoice.currency)))


# --- Invoices to pay and SEPA batches ---------------------------------------------------------------


def _shops():
    shops = pages.visible_shops()
    if not shops:
        abort(403)
    return shops


def _to_pay_response(shop, shops, status=200, **to_pay):
    context = {"to_pay": pages.to_pay(shop, **to_pay), **pages.batches(shop), "shops": shops}
    if request.headers.get("HX-Target") == TO_PAY_TARGET:
        return render_template("payables/_batch_update.html", **context), status
    return render_template("payables/index.html", **context), status


@bp.route("/")
@login_required
def index():
    shops = _shops()
    return _to_pay_response(pages.chosen_shop(shops), shops)


def _batch_items(form_data):
    """[(invoice id, amount)] of the ticked invoices, and the amount errors by invoice id."""
    items, errors = [], {}
    ids = [int(raw_id) for raw_id in form_data.getlist("invoice") if parse_id(raw_id) is not None]
    # The currencies of all ticked invoices in one query (a batch may hold thousands).
    currencies = dict(Invoice.select(Invoice.id, Invoice.currency).where(Invoice.id.in_(ids or [0])).tuples())
    for raw_id in form_data.getlist("invoice"):
        if parse_id(raw_id) is None:
            continue
        currency = currencies.get(int(raw_id), "EUR")
        try:
            items.append((int(raw_id), parse_amount(form_data.get(f"amount-{raw_id}", ""), currency)))
        except MoneyError as error:
            errors[int(raw_id)] = in_user_language(error)
    return items, errors


@bp.route("/lots", methods=["POST"])
@login_required
def create_batch():
    shops = _shops()
    shop_id = parse_id(request.form.get("shop"))  # SEC-2: twenty digits are no shop, not a 500
    shop = (Shop.get_or_none(Shop.id == shop_id) if shop_id is not None else None) or abort(403)
    require_right("pay_invoices", shop)
    form = BatchForm()
    items, line_errors = _batch_items(request.form)
    if not form.validate_on_submit() or line_errors:
        return _to_pay_response(shop, shops, 422, form=form, posted=request.form, line_errors=line_errors)
    try:
        batch = service.create_batch(shop, items, form.execution_date.data, _user(), _store(),
                                     _idempotency_key(form.idempotency_key.data), remote_addr=request.remote_addr)
    except service.BatchRefused as refused:
        messages = refused.translate(_, str(get_locale() or "fr"))
        if refused.field in form:
            form[refused.field].errors = list(form[refused.field].errors) + messages
        status = 422 if not items or refused.field else 409
        return _to_pay_response(shop, shops, status, form=form, posted=request.form, errors=messages)
    if request.headers.get("HX-Target") == TO_PAY_TARGET:
        return _to_pay_response(shop, shops, created=batch)
    flash(ngettext("Lot de %(num)s virement créé, %(total)s : téléchargez le fichier et déposez-le sur le site "
                   "de votre banque.", "Lot de %(num)s virements créé, %(total)s : téléchargez le fichier et "
                   "déposez-le sur le site de votre banque.", batch.count, total=_money(batch.total, "EUR")), "success")
    return redirect(url_for("payables.index", boutique=shop.id), 303)


@bp.route("/lots/<int:batch_id>.xml")
@login_required
def batch_file(batch_id):
    batch = PaymentBatch.get_or_none(PaymentBatch.id == batch_id) or abort(404)
    _require_view(batch.shop)
    if batch.document is None:
        abort(404)
    return Response(_store().read(batch.document), mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="virements-{batch.message_id}.xml"'})


# --- The merchant's own details ---------------------------------------------------------------------


@bp.route("/societe")
@admin_required
def company():
    """What the transfers use as their debtor, read from the company identity; /entreprise edits it."""
    return render_template("payables/company.html", **pages.company_page())
