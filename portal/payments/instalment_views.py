"""Payment in instalments (PAY-INST-1/2): the form with its schedule pre-filled on the server and
editable by hand, the review page, then the creation of the n linked transactions (once per form)."""
from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Shop
from portal.auth.decorators import require_right, right_required
from portal.payments import bp, pages
from portal.payments.acquirer import GatewayUnavailable
from portal.payments.context import payment_context
from portal.payments.service import DuplicateReference, IdempotencyMismatch, create_payment, usable_idempotency_key


def _page(form, template="payments/instalment.html", status=200):
    response = make_response(render_template(template, form=form, **pages.card_choice(form)), status)
    response.headers["Cache-Control"] = "no-store"  # the card number is in the page
    return response


def _checked(ctx, form):
    """Validate the fields and the schedule together, so every message shows at once."""
    valid = form.validate_on_submit()
    schedule_ok = form.read_schedule(ctx.fmt(form.amount_currency()))
    return valid and schedule_ok


@bp.route("/echelonne", methods=["GET", "POST"])
@right_required("create_payment")
def instalment_new():
    """GET: the form. POST action=prefill (no JavaScript) or edit (back from the review): the form
    again; action=review: the review page once everything holds."""
    ctx = payment_context()
    form = pages.instalment_form(ctx, current_user)
    action = request.form.get("action", "review")
    if request.method == "GET" or action in ("prefill", "edit"):
        if request.method == "GET" or action == "prefill" or not len(form.lines):
            pages.prefill_schedule(ctx, form)
        return _page(form)
    if not len(form.lines):
        pages.prefill_schedule(ctx, form)
    if not _checked(ctx, form):
        return _page(form, status=422)
    require_right("create_payment", Shop.get_by_id(form.shop.data))
    return _page(form, "payments/instalment_review.html")


@bp.route("/echelonne/echeancier", methods=["POST"])
@right_required("create_payment")
def instalment_schedule():
    """The schedule pre-filled from the figures just typed (htmx swaps it in place)."""
    ctx = payment_context()
    form = pages.instalment_form(ctx, current_user)
    prefilled = pages.prefill_schedule(ctx, form)
    response = make_response(render_template("payments/_instalment_schedule.html", form=form, prefilled=prefilled))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.route("/echelonne/creer", methods=["POST"])
@right_required("create_payment")
def instalment_create():
    """Create the schedule from the review page; a second submission of the same page creates nothing more."""
    ctx = payment_context()
    form = pages.instalment_form(ctx, current_user, ask_cvv=True)
    if not _checked(ctx, form):
        review = set(form.errors) <= {"cvv"} and form.schedule is not None
        return _page(form, "payments/instalment_review.html" if review else "payments/instalment.html", 422)
    shop = Shop.get_by_id(form.shop.data)
    require_right("create_payment", shop)
    try:
        txn = create_payment(ctx, pages.instalment_payment_from(form, shop), current_user._get_current_object(),
                             usable_idempotency_key(form.idempotency_key.data), remote_addr=request.remote_addr)
    except DuplicateReference as taken:
        form.reference.errors.append(_("La référence « %(reference)s » existe déjà dans cette boutique : choisissez "
                                       "une autre référence de base.", reference=taken.args[0]))
        return _page(form, status=422)
    except GatewayUnavailable as unavailable:
        form.cvv.errors.append(_("%(message)s Aucun paiement n'a été enregistré ni débité.",
                                 message=_(unavailable.message)))
        return _page(form, "payments/instalment_review.html", 503)
    except IdempotencyMismatch as mismatch:
        form.idempotency_key.data = usable_idempotency_key(None)
        form.reference.errors.append(_(mismatch.message))
        return _page(form, status=409)
    return redirect(url_for("payments.result", transaction_id=txn.id), 303)
