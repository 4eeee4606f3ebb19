"""Card payment pages: thin views over service.py (writes) and lifecycle.py (rules)."""
from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Operation, Shop, Transaction
from portal.auth.decorators import require_right, right_required
from portal.auth.rights import has_right, rights_on, shops_with_right
from portal.payments import bp, pages
from portal.payments.acquirer import (RESPONSE_CODES, SCENARIOS, SIMULATOR_REFUSALS, response_label,
                                      simulator_test_cards)
from portal.payments.cards import NETWORK_LABELS
from portal.payments.context import payment_context
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState
from portal.payments.receipts import LAYOUTS, has_receipt, receipt_document
from portal.payments.acquirer import GatewayUnavailable
from portal.payments.gateways import GATEWAY_LABELS
from portal.payments.service import (DuplicateReference, IdempotencyMismatch, create_payment, instalment_schedule,
                                     perform_operation, usable_idempotency_key)
from portal.payments.sync import refresh_transaction
from portal.texts import in_user_language

OPERATION_SLUGS = {"valider": Kind.VALIDATE, "annuler": Kind.CANCEL, "rembourser": Kind.CREDIT,
                   "dupliquer": Kind.DUPLICATE}


def _transaction(transaction_id, right="view"):
    txn = Transaction.get_or_none(Transaction.id == transaction_id)
    if txn is None:
        abort(404)
    if not has_right(current_user, "view", txn.shop):
        abort(403)  # a plain refusal: the page must not name a shop the user cannot see (SEC-1)
    require_right(right, txn.shop)
    return txn


def _operation_kind(slug):
    if slug not in OPERATION_SLUGS:
        abort(404)
    return OPERATION_SLUGS[slug]


@bp.route("/<int:transaction_id>")
@login_required
def detail(transaction_id):
    txn = _transaction(transaction_id)
    return render_template("payments/detail.html", **pages.detail_context(payment_context(), txn, current_user))


@bp.route("/<int:transaction_id>/resultat")
@login_required
def result(transaction_id):
    txn = _transaction(transaction_id)
    schedule = pages.schedule_rows(payment_context(), instalment_schedule(txn), current_user)
    return render_template("payments/result.html", txn=txn, schedule=schedule,
                           author=txn.operations.where(Operation.kind == Kind.AUTHOR).first())


@bp.route("/<int:transaction_id>/<slug>", methods=["GET", "POST"])
@login_required
def operation(transaction_id, slug):
    kind = _operation_kind(slug)
    txn = _transaction(transaction_id)
    ctx = payment_context()
    view = pages.transaction_view(ctx, txn, rights_on(current_user, txn.shop))
    form = pages.operation_form(kind, txn, view)
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return pages.render_operation(ctx, kind, txn, view, form=form, status=status)
    outcome = perform_operation(
        ctx, txn.id, kind, form.amount.minor, current_user._get_current_object(), rights_on(current_user, txn.shop),
        usable_idempotency_key(form.idempotency_key.data),
        duplicate=pages.duplicate_fields(form) if kind == Kind.DUPLICATE else None,
        remote_addr=request.remote_addr,
    )
    if outcome.reason == "invalid_reference":
        form.reference.errors.append(outcome.message)
        return pages.render_operation(ctx, kind, txn, view, form=form, status=422)
    view = pages.transaction_view(ctx, outcome.transaction, rights_on(current_user, txn.shop))
    status = 200 if outcome.succeeded else 503 if outcome.reason == "gateway_unavailable" else 409
    return pages.render_operation(ctx, kind, outcome.transaction, view, outcome=outcome, status=status)


@bp.route("/<int:transaction_id>/actualiser", methods=["POST"])
@login_required
def refresh(transaction_id):
    """Read this transaction's state from its gateway now (PAY-GW-1)."""
    txn = _transaction(transaction_id)
    ctx = payment_context()
    result = refresh_transaction(ctx, txn.id, user=current_user._get_current_object(), remote_addr=request.remote_addr)
    if request.headers.get("HX-Request") != "true":
        flash(in_user_language(result.message), "success" if result.reachable else "error")
        return redirect(url_for("payments.detail", transaction_id=txn.id), 303)
    context = pages.detail_context(ctx, result.transaction, current_user)
    context.update(pages.gateway_context(result.transaction, current_user, refresh=result))
    response = make_response(render_template("payments/_refresh.html", **context), 200 if result.reachable else 503)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.route("/nouveau", methods=["GET", "POST"])
@right_required("create_payment")
def new_payment():
    ctx = payment_context()
    form = pages.new_payment_form(ctx, current_user)
    if not form.validate_on_submit():
        return render_template("payments/new.html", form=form, **pages.card_choice(form)), \
            422 if request.method == "POST" else 200
    shop = Shop.get_by_id(form.shop.data)
    require_right("create_payment", shop)
    try:
        txn = create_payment(ctx, pages.new_payment_from(form, shop), current_user._get_current_object(),
                             usable_idempotency_key(form.idempotency_key.data), remote_addr=request.remote_addr)
    except DuplicateReference:
        form.reference.errors.append(_("Cette référence existe déjà dans cette boutique : choisissez-en une autre."))
        return render_template("payments/new.html", form=form, **pages.card_choice(form)), 422
    except GatewayUnavailable as unavailable:
        form.reference.errors.append(_("%(message)s Aucun paiement n'a été enregistré ni débité.",
                                       message=_(unavailable.message)))
        return render_template("payments/new.html", form=form, **pages.card_choice(form)), 503
    except IdempotencyMismatch as mismatch:
        form.idempotency_key.data = usable_idempotency_key(None)
        form.reference.errors.append(_(mismatch.message))
        return render_template("payments/new.html", form=form, **pages.card_choice(form)), 409
    return redirect(url_for("payments.result", transaction_id=txn.id), 303)


@bp.route("/nouveau/verifier/<field_name>", methods=["POST"])
@right_required("create_payment")
def check_new_payment_field(field_name):
    """Live validation of one field while the form is filled in (errors next to the field)."""
    form = pages.new_payment_form(payment_context(), current_user)
    if field_name not in form._fields or field_name in ("csrf_token", "idempotency_key", "cvv"):
        abort(404)
    form.validate()
    if field_name == "card_number":
        return render_template("payments/_card_networks.html", form=form, live_check=True, **pages.card_choice(form))
    return render_template("payments/_new_field.html", form=form, name=field_name)


@bp.route("/<int:transaction_id>/recus/<int:operation_id>/<layout>.pdf")
@login_required
def receipt(transaction_id, operation_id, layout):
    txn = _transaction(transaction_id)
    operation = Operation.get_or_none((Operation.id == operation_id) & (Operation.transaction == txn))
    if operation is None or layout not in LAYOUTS or not has_receipt(operation):
        abort(404)
    data = receipt_document(txn, operation, layout)
    name = f"recu-{txn.reference}-{operation.id}-{layout}.pdf"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/cartes-de-test")
@login_required
def test_cards():
    return render_template("payments/test_cards.html", cards=[(number, networks, _test_card_outcome(number))
                                                               for number, networks, _outcome in simulator_test_cards()],
                           network_labels=NETWORK_LABELS, scenarios=SCENARIOS)


def _test_card_outcome(number):
    code, scenario = number[-2:], number[6:8]
    if code in SIMULATOR_REFUSALS:
        return _("Refusée, code %(code)s : %(label)s", code=code, label=_(response_label(code)))
    if scenario in SCENARIOS and scenario != "00":
        return _("Acceptée — %(scenario)s", scenario=_(SCENARIOS[scenario]))
    return _("Acceptée")


@bp.app_template_global()
def state_label(state):
    """The state's label in the user's language (LOC-3); never the raw code."""
    return _(TransactionState(state).label)


@bp.app_template_global()
def gateway_label(kind):
    return _(GATEWAY_LABELS.get(kind or "SIMULATOR", kind))


@bp.app_template_global()
def operation_label(kind):
    """An operation's name in the user's language; an unknown code from a gateway shows as is."""
    try:
        return _(Kind(kind).label)
    except ValueError:
        return kind


@bp.app_template_global()
def gateway_state(status):
    """The portal state a gateway's own status stands for (PAY-GW-1), or None if it is unknown."""
    from portal.payments.sips import state_for_status

    if status in TransactionState.__members__:
        return status
    return state_for_status(status)


@bp.app_template_global()
def response_text(code):
    """A response code's meaning in the user's language (PAY-ACQ-1 labels)."""
    return _(response_label(code)) if code in RESPONSE_CODES else _("Code réponse %(code)s", code=code)
