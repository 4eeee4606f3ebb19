"""Report pages: cash-flow timeline from the bank accounts' opening balances, the bank accounts
themselves, and the spend dashboard with its CSV export."""
from babel.numbers import format_compact_currency
from flask import Response, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Supplier, utcnow
from portal.allocation.service import spend_by_value
from portal.auth.rights import PAYABLES_RIGHTS, shops_with_any_right, shops_with_right
from portal.money import format_amount_input, to_decimal
from portal.payments.lifecycle import local_date
from portal.reports import accounts, bp, data
from portal.reports.export import spend_csv
from portal.reports.forms import BankAccountForm
from portal.reports.pages import OVERDUE_SHOWN, PERIODS, cashflow_facts
from portal.numbers import parse_id
from portal.web import filter_days, htmx_redirect, url_with

# Who may enter or change a bank account's opening balance: the right that pays from it.
ACCOUNTS_RIGHT = "pay_invoices"


def _shops():
    shops = shops_with_any_right(current_user, PAYABLES_RIGHTS)
    if not shops:
        abort(403)
    return shops


def _today():
    """The merchant's day, from the app's clock (tests move it)."""
    clock = current_app.config.get("CLOCK") or utcnow
    return local_date(clock(), current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.app_template_filter("money_short")
def money_short_filter(minor, currency="EUR"):
    """`-1234500` -> `-12 k€`: the amount scale of a chart, short enough for a phone."""
    return format_compact_currency(to_decimal(minor, currency), currency, locale=str(get_locale() or "fr"),
                                   fraction_digits=1)


@bp.route("/tresorerie")
@login_required
def cashflow():
    shops = _shops()
    period = request.args.get("periode") if request.args.get("periode") in PERIODS else "week"
    include_to_validate = bool(request.args.get("a_valider"))
    card_shops = [s.id for s in shops_with_right(current_user, "view")]
    facts = cashflow_facts([s.id for s in shops], card_shops, _today(), period, include_to_validate)
    return render_template("reports/cashflow.html", facts=facts, position=facts.position, periods=PERIODS,
                           period=period, currency=facts.currency, include_to_validate=include_to_validate,
                           sees_cards=bool(card_shops), today=facts.today,
                           can_enter_accounts=bool(shops_with_right(current_user, ACCOUNTS_RIGHT)))


# --- Bank accounts (AP-CASH-1: the opening balance) ---------------------------------------------


def _account_form(shops, account=None):
    form = BankAccountForm(obj=None)
    form.shop.choices = [(str(s.id), s.name) for s in shops]
    form.opening_date.today = _today()
    if request.method == "GET":
        if account is not None:
            form.shop.data, form.label.data, form.iban.data = str(account.shop_id), account.label, account.iban
            form.opening_balance.data = format_amount_input(account.opening_balance, "EUR",
                                                            locale=str(get_locale() or "fr"))
            form.opening_date.data = account.opening_date.isoformat()
        else:
            form.opening_date.data = form.opening_date.today.isoformat()
            if len(shops) == 1:
                form.shop.data = str(shops[0].id)
    return form


def _account_data(form):
    return accounts.AccountData(form.shop.shop_id, form.label.data, form.iban.data, form.opening_balance.minor,
                                form.opening_date.day)


def _render_accounts(template, form, status, **context):
    """The whole page, or the form fragment alone to the htmx request that targets it."""
    if request.headers.get("HX-Target") == "bank-account-form":
        template = "reports/_bank_account_form.html"
    response = current_app.make_response((render_template(template, form=form, **context), status))
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


@bp.route("/comptes-bancaires", methods=["GET", "POST"])
@login_required
def bank_accounts():
    visible = _shops()
    shops = shops_with_right(current_user, ACCOUNTS_RIGHT)
    if request.method == "POST" and not shops:
        abort(403)
    form = _account_form(shops)
    if form.validate_on_submit():
        accounts.create_account(_account_data(form), current_user._get_current_object(), request.remote_addr)
        return htmx_redirect(url_for("reports.bank_accounts"))
    return _render_accounts("reports/bank_accounts.html", form, 422 if form.errors else 200,
                            accounts=accounts.accounts_of([s.id for s in visible]), can_edit={s.id for s in shops},
                            account=None)


@bp.route("/comptes-bancaires/<int:bank_account_id>", methods=["GET", "POST"])
@login_required
def bank_account(bank_account_id):
    _shops()
    shops = shops_with_right(current_user, ACCOUNTS_RIGHT)
    shop_ids = [s.id for s in shops]
    account = accounts.account_in(bank_account_id, shop_ids)
    if account is None:
        abort(404)
    form = _account_form(shops, account)
    if form.validate_on_submit():
        if accounts.update_account(account.id, shop_ids, _account_data(form), current_user._get_current_object(),
                                   request.remote_addr) is None:
            abort(404)
        return htmx_redirect(url_for("reports.bank_accounts"))
    return _render_accounts("reports/bank_account_edit.html", form, 422 if form.errors else 200, account=account)


# --- Spend dashboard (AP-REP-1) -------------------------------------------------------------------


def _filters(errors):
    """The spend filters of the query string; an unreadable day or an inverted range is left out and
    said in `errors`."""
    start, end = filter_days(request.args, errors)
    args = {"du": start, "au": end, "boutique": parse_id(request.args.get("boutique")),
            "fournisseur": parse_id(request.args.get("fournisseur"))}
    return {key: value for key, value in args.items() if value}


@bp.route("/depenses")
@login_required
def dashboard():
    shops = _shops()
    shop_ids = [s.id for s in shops]
    errors = {}
    args = _filters(errors)
    if args.get("boutique") not in (None, *shop_ids):
        abort(403)
    currency = "EUR"
    today = _today()
    by_supplier = data.spend_by_supplier(shop_ids, currency, args)
    by_month = data.spend_by_month(shop_ids, currency, args)
    return render_template(
        "reports/dashboard.html", shops=shops, suppliers=Supplier.select().order_by(Supplier.name), args=args,
        errors=errors,
        currency=currency, by_supplier=by_supplier, by_month=by_month,
        by_value=[(row.axis.name, row.path, row.amount)
                  for row in spend_by_value(current_user, {**args, "shop_ids": shop_ids}) if row.currency == currency],
        overdue=data.overdue(shop_ids, currency, today, limit=OVERDUE_SHOWN),
        overdue_totals=data.overdue_totals(shop_ids, currency, today),
        largest_supplier=max([total for _, total, _ in by_supplier] + [1]),
        largest_month=max([total for _, total in by_month] + [1]),
    )


@bp.route("/depenses.csv")
@login_required
def dashboard_export():
    shops = _shops()
    errors = {}
    args = _filters(errors)
    shop_ids = [s.id for s in shops]
    if args.get("boutique") not in (None, *shop_ids):
        abort(403)
    if errors:  # the page says what is wrong with the dates, rather than a file of another period
        return redirect(url_with("reports.dashboard", request.args.to_dict(flat=False)), 303)
    chunks = spend_csv(shop_ids, args, str(get_locale() or "fr"))
    filename = _("depenses.csv")
    return Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
