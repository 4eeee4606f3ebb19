"""What the accounting pages show: the export page (period, counts and totals, download links, the
closed periods and the closing form) and the invoice panel of VAT, reverse charge and exchange rate."""
import datetime

from flask import current_app, request
from peewee import JOIN
from werkzeug.datastructures import MultiDict

from models import ClosedPeriod, InvoiceLine, PurchaseLine, User
from portal.accounting import booking as bookings
from portal.accounting.accounts import all_supplier_codes, current_accounts, current_company
from portal.accounting.fec import ENCODINGS, KIND_LABELS, Period, summarise
from portal.accounting.forms import BookingForm, ClosingForm, PeriodForm
from portal.accounting.ledger import fiscal_year_start
from portal.accounting.vat import invoice_vat_treatment, line_rates


def _timezone():
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")


def period_form(access):
    """The period of the query string, or the current calendar year when none is given."""
    formdata = request.args if "du" in request.args or "au" in request.args else MultiDict(PeriodForm.current_year())
    form = PeriodForm(formdata=formdata)
    form.boutique.choices = [("", form.boutique.gettext("Toutes mes boutiques"))] + [
        (str(shop.id), shop.name) for shop in access.shops]
    return form


def chosen_scope(form, access):
    """(Period, shop ids) of a valid period form: one shop, or every shop the user may export."""
    shop_ids = [shop.id for shop in access.shops]
    if form.boutique.data:
        shop_ids = [int(form.boutique.data)]
    return Period(form.du.data, form.au.data), shop_ids


def export_args(form):
    return {"du": form.du.data.isoformat(), "au": form.au.data.isoformat(), "boutique": form.boutique.data or "",
            "encodage": form.encodage.data or "iso-8859-15"}


def closing_context(access, closing_form=None, today=None, config=None):
    """The closed periods (latest first) and what the closing form proposes."""
    today = today or datetime.date.today()
    config = config or current_accounts()
    periods = list(ClosedPeriod.select(ClosedPeriod, User).join(User, JOIN.LEFT_OUTER)
                   .order_by(ClosedPeriod.end.desc()).limit(24))
    until = periods[0].end if periods else None  # the last closed period ends last
    proposal = today.replace(day=1) - datetime.timedelta(days=1)  # the end of last month
    form = closing_form or ClosingForm(formdata=None, data={"au": proposal})
    next_start = (until + datetime.timedelta(days=1) if until
                  else fiscal_year_start(proposal, config.fiscal_year_start_month))
    return {"closed_periods": periods, "closed_until": until, "closing_form": form, "next_start": next_start,
            "can_close": access.can_close}


def export_page(form, access, closing_form=None, with_summary=True):
    """What the export page shows. Without `with_summary` the counts and totals are left for a second
    request (the page's figures fragment): they read the whole period, which takes up to a second at
    100,000 invoices, while the rest of the page, the download links included, needs a few small queries."""
    valid = form.validate() if access.can_export else False
    company = current_company()
    config = current_accounts()
    context = {"form": form, "access": access, "company": company, "valid": valid, "summary": None,
               "kind_labels": KIND_LABELS, "encodings": ENCODINGS, "config": config,
               **closing_context(access, closing_form, config=config)}
    if valid:
        period, shop_ids = chosen_scope(form, access)
        until = context["closed_until"]
        open_from = period.start if until is None else None
        if until is not None and period.end > until:
            open_from = max(period.start, until + datetime.timedelta(days=1))
        summary = summarise(period, shop_ids, config, timezone=_timezone(), until=until) if with_summary else None
        context.update(period=period, summary=summary, args=export_args(form), open_from=open_from)
    return context


def supplier_accounts(config):
    """(supplier, auxiliary account) of every supplier that has one, by account."""
    from models import Supplier

    codes = all_supplier_codes()
    suppliers = Supplier.select().where(Supplier.id.in_(list(codes) or [0]))
    return sorted(((supplier, config.suppliers + codes[supplier.id]) for supplier in suppliers),
                  key=lambda pair: pair[1])


def invoice_lines(invoice):
    """(id, net, rate, order line rate, description) of the invoice's lines."""
    return list(InvoiceLine.select(InvoiceLine.id, InvoiceLine.net_amount, InvoiceLine.vat_rate, PurchaseLine.vat_rate,
                                   InvoiceLine.description)
                .join(PurchaseLine, JOIN.LEFT_OUTER, on=(InvoiceLine.order_line == PurchaseLine.id))
                .where(InvoiceLine.invoice == invoice.id).order_by(InvoiceLine.position, InvoiceLine.id).tuples())


def invoice_vat_panel(invoice, form=None):
    """The VAT panel of an invoice: its regime, the self-assessed VAT by rate, the accounts, and the
    accountant's booking form (rate of each line, exchange rate, goods or services)."""
    config = current_accounts()
    booking = bookings.booking_of(invoice)
    lines = invoice_lines(invoice)
    expense_account = config.expense_account_of(invoice.expense_account)
    foreign = invoice.currency != "EUR"
    convert = None
    if foreign and booking and booking.exchange_rate:
        from portal.accounting.fec import to_euros

        def convert(amount):
            return to_euros(amount, invoice.currency, booking.exchange_rate)
    treatment = invoice_vat_treatment(invoice, config.default_vat_rate, [row[:4] for row in lines], None, booking,
                                      expense_account, convert)
    chosen = bookings.chosen_rates(booking)
    french = dict(zip([row[0] for row in lines], [rate for _, rate in line_rates([row[:4] for row in lines], chosen)]))
    if form is None:
        data = {"nature": booking.nature if booking else "", "reverse_charge": booking.reverse_charge if booking else ""}
        if booking and booking.exchange_rate:
            from portal.accounting.fec import format_exchange_rate

            data["exchange_rate"] = format_exchange_rate(booking.exchange_rate)
        form = BookingForm(formdata=None, data=data)
    accounts = None
    if treatment.account_roles:
        due, deductible = treatment.account_roles
        accounts = (getattr(config, due), getattr(config, deductible))
    from flask_login import current_user

    from portal.accounting.access import access_for

    access = access_for(current_user._get_current_object())
    can_edit = invoice.shop_id in {shop.id for shop in access.shops}
    return {"treatment": treatment, "config": config, "booking": booking, "lines": lines, "chosen": chosen,
            "can_edit": can_edit,
            "french_rates": french, "rate_choices": bookings.FRENCH_RATES, "form": form, "accounts": accounts,
            "expense_account": expense_account, "expense_label": config.label_of(expense_account),
            "foreign": foreign, "currency": "EUR" if not foreign or convert else invoice.currency}
