"""The transaction list (PAY-SRCH-1/2): the page a merchant opens every morning."""
from flask import render_template, request
from flask_login import current_user

from portal.auth.decorators import right_required
from portal.auth.rights import shops_with_right
from portal.payments import bp, pages
from portal.payments.context import payment_context


@bp.route("/")
@right_required("view")
def index():
    ctx = payment_context()
    shops = shops_with_right(current_user, "view")
    listing = pages.day_listing(ctx, current_user, shops, request.args)
    return render_template("payments/index.html", listing=listing, shops=shops,
                           several_shops=listing["several_shops"],
                           can_create=bool(shops_with_right(current_user, "create_payment")))
