"""Customer wallets (PAY-WAL-1): find a wallet by its full id in a shop, list its cards (last 4 digits
only), delete one after confirmation, and start a new payment on a stored card (PAY-DUP-1 rules)."""
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Shop
from portal.auth.decorators import require_right, right_required
from portal.auth.rights import has_right, shops_with_right
from portal.payments import bp
from portal.payments.acquirer import GatewayUnavailable
from portal.payments.cards import NETWORK_LABELS, Expiry
from portal.payments.context import payment_context
from portal.payments.forms import DeleteMeanForm, WalletPaymentForm
from portal.payments.service import (DuplicateReference, IdempotencyMismatch, NewPayment, create_payment,
                                     generate_reference, new_idempotency_key, usable_idempotency_key)
from portal.payments.wallets import (MEAN_ID_SHAPE, WALLET_ID_SHAPE, WalletError, card_payment_facts,
                                     check_wallet_id, delete_mean, find_wallet, wallet_card)


def _path_ids(wallet_id, mean_id):
    """404 unless the path's wallet and mean ids have a shape the gateway gives (a NUL or a space never
    reaches a query: PostgreSQL refuses a NUL in a text parameter)."""
    if not (WALLET_ID_SHAPE.match(wallet_id) and MEAN_ID_SHAPE.match(mean_id)):
        abort(404)


def _shop(shop_id, right="manage_wallets"):
    shop = Shop.get_or_none(Shop.id == shop_id)
    if shop is None or not has_right(current_user, "manage_wallets", shop):
        abort(404 if shop is None else 403)  # a plain refusal: never name a shop the user cannot see (SEC-1)
    require_right(right, shop)
    return shop


def _entry(ctx, shop, wallet_id, mean_id):
    try:
        entries = find_wallet(ctx, shop, wallet_id)
    except GatewayUnavailable:
        abort(503)
    entry = next((e for e in entries if e.mean_id == mean_id), None)
    if entry is None:
        abort(404)
    return entry


@bp.route("/portefeuilles/")
@right_required("manage_wallets")
def wallets():
    """Search a wallet by its full id within one of the user's shops; htmx swaps the result only."""
    shops = shops_with_right(current_user, "manage_wallets")
    chosen = request.args.get("boutique", type=int)
    shop = next((s for s in shops if s.id == chosen), None) if chosen else (shops[0] if shops else None)
    if shop is None:
        abort(404)
    typed = request.args.get("portefeuille")
    values = {"shops": shops, "shop": shop, "typed": typed or "", "wallet_id": None, "entries": None, "error": None,
              "can_pay": has_right(current_user, "create_payment", shop)}
    if typed is not None:
        ctx = payment_context()
        try:
            values["wallet_id"] = check_wallet_id(typed)
            values["entries"] = find_wallet(ctx, shop, values["wallet_id"])
        except WalletError as error:
            values["error"] = _(error.template, **error.params)
        except GatewayUnavailable as unavailable:
            values["error"] = _(unavailable.message)
    htmx = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "wallet-result"
    template = "payments/_wallet_result.html" if htmx else "payments/wallets.html"
    response = make_response(render_template(template, **values), 422 if values["error"] else 200)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.route("/portefeuilles/<int:shop_id>/<wallet_id>/<mean_id>/supprimer", methods=["GET", "POST"])
@login_required
def wallet_delete(shop_id, wallet_id, mean_id):
    """GET: the confirmation page (without JavaScript). POST: delete, audited; htmx replaces the row."""
    _path_ids(wallet_id, mean_id)
    shop = _shop(shop_id)
    ctx = payment_context()
    entry = _entry(ctx, shop, wallet_id, mean_id)
    form = DeleteMeanForm()
    values = {"shop": shop, "wallet_id": wallet_id, "entry": entry, "form": form}
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("payments/wallet_delete.html", **values), 422 if request.method == "POST" else 200
    try:
        delete_mean(ctx, shop, wallet_id, mean_id, current_user._get_current_object(), new_idempotency_key(),
                    remote_addr=request.remote_addr)
    except (WalletError, GatewayUnavailable) as error:
        message = _(error.template, **error.params) if isinstance(error, WalletError) else _(error.message)
        if request.headers.get("HX-Request") == "true":
            return render_template("payments/_wallet_row.html", entry=entry, shop=shop, wallet_id=wallet_id,
                                   error=message, can_pay=False), 409
        flash(message, "error")
        return redirect(url_for("payments.wallets", boutique=shop.id, portefeuille=wallet_id), 303)
    if request.headers.get("HX-Request") == "true":
        return render_template("payments/_wallet_row.html", entry=entry, shop=shop, wallet_id=wallet_id, deleted=True)
    flash(_("Carte se terminant par %(last4)s supprimée du portefeuille %(wallet)s.", last4=entry.last4,
            wallet=wallet_id), "success")
    return redirect(url_for("payments.wallets", boutique=shop.id, portefeuille=wallet_id), 303)


@bp.route("/portefeuilles/<int:shop_id>/<wallet_id>/<mean_id>/payer", methods=["GET", "POST"])
@login_required
def wallet_pay(shop_id, wallet_id, mean_id):
    """A new payment on a stored card: every field may change except the card (PAY-DUP-1)."""
    _path_ids(wallet_id, mean_id)
    shop = _shop(shop_id, "create_payment")
    ctx = payment_context()
    card = wallet_card(shop, wallet_id, mean_id)
    if card is None:
        abort(404)
    networks = tuple(n for n in card.networks.split(",") if n) or (card.network,)
    form = WalletPaymentForm()
    form.network.choices = [(n, NETWORK_LABELS.get(n, n)) for n in networks]
    if request.method == "GET":
        form.reference.data = generate_reference(ctx, shop)
        form.currency.data = shop.currency
        form.capture_mode.data = shop.default_capture_mode
        form.capture_delay.data = shop.default_capture_delay
        form.network.data = card.network
        form.idempotency_key.data = new_idempotency_key()
    values = {"shop": shop, "wallet_id": wallet_id, "card": card, "form": form}
    expiry = Expiry(card.expiry_year, card.expiry_month)
    if not expiry.valid_on(ctx.today()):
        values["expired"] = True
        return render_template("payments/wallet_pay.html", **values), 409
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("payments/wallet_pay.html", **values), 422 if request.method == "POST" else 200
    masked_pan, expiry = card_payment_facts(ctx, card)
    payment = NewPayment(
        shop=shop, reference=form.reference.data.strip(), amount=form.amount.minor, currency=form.currency.data,
        capture_mode=form.capture_mode.data, capture_delay=form.capture_delay.data,
        network=form.network.data if form.network.data in networks else card.network, networks=networks,
        masked_pan=masked_pan, expiry=expiry, card_token=card.card_token,
        order_reference=form.order_reference.data or "", customer_code=form.customer_code.data or "",
        free_info=form.free_info.data or "")
    try:
        txn = create_payment(ctx, payment, current_user._get_current_object(),
                             usable_idempotency_key(form.idempotency_key.data), remote_addr=request.remote_addr)
    except DuplicateReference:
        form.reference.errors.append(_("Cette référence existe déjà dans cette boutique : choisissez-en une autre."))
        return render_template("payments/wallet_pay.html", **values), 422
    except GatewayUnavailable as unavailable:
        form.reference.errors.append(_("%(message)s Aucun paiement n'a été enregistré ni débité.",
                                       message=_(unavailable.message)))
        return render_template("payments/wallet_pay.html", **values), 503
    except IdempotencyMismatch as mismatch:
        form.idempotency_key.data = new_idempotency_key()
        form.reference.errors.append(_(mismatch.message))
        return render_template("payments/wallet_pay.html", **values), 409
    return redirect(url_for("payments.result", transaction_id=txn.id), 303)
