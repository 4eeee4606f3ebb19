"""Accounting pages: thin views over fec.py, ledger.py, analytic.py, accounts.py, booking.py and pages.py."""
import datetime

from flask import (Response, abort, current_app, flash, redirect, render_template, request, stream_with_context,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from models import Invoice, Shop, db
from portal.accounting import bp, pages
from portal.accounting.access import access_required
from portal.accounting.accounts import current_accounts, form_values, save_accounts, supplier_codes
from portal.accounting.analytic import analytic_chunks, analytic_filename, analytic_rows
from portal.accounting.booking import BookingError, parse_line_rates, save_booking
from portal.accounting.fec import Period, csv_chunks, fec_chunks, fec_filename, lettering, suppliers_in
from portal.accounting.forms import AccountsForm, BookingForm, ClosingForm
from portal.accounting.ledger import ClosingError, close_period, export_entries
from portal.audit import record_action
from portal.database import is_postgres
from portal.texts import in_user_language
from portal.formatting import date_filter as format_date
from portal.web import htmx_redirect, url_with


def _user():
    return current_user._get_current_object()


def _timezone():
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")


SUMMARY_TARGET, FIGURES_TARGET = "accounting-summary", "accounting-figures"  # the two swapped parts of the page


@bp.route("/")
@access_required("can_open")
def index(access):
    """The export page. Opened in full, its figures come by a second request (FIGURES_TARGET) so that the
    period, the download links and the closings show at once; `totaux=1` puts them in the page (no JavaScript)."""
    target = request.headers.get("HX-Target")
    with_summary = target in (SUMMARY_TARGET, FIGURES_TARGET) or request.args.get("totaux") == "1"
    context = pages.export_page(pages.period_form(access), access, with_summary=with_summary)
    template = {SUMMARY_TARGET: "accounting/_summary.html", FIGURES_TARGET: "accounting/_figures.html"}.get(
        target, "accounting/index.html")
    response = current_app.make_response((render_template(template, **context),
                                          422 if context["form"].errors else 200))
    response.vary.update(("HX-Request", "HX-Target"))
    return response


def _export_scope(access, kind):
    """Check the period, give the suppliers their accounts, record who exported what.
    Returns ((form, period, shop ids, codes), None), or (None, the page explaining the refusal)."""
    form = pages.period_form(access)
    if not form.validate():
        return None, (render_template("accounting/index.html", **pages.export_page(form, access)), 422)
    period, shop_ids = pages.chosen_scope(form, access)
    codes = supplier_codes(suppliers_in(period, shop_ids), _user())
    with db.atomic():
        record_action(f"accounting.export_{kind}", "period", f"{period.start}/{period.end}", user=_user(),
                      after={"shops": shop_ids, "encoding": form.encodage.data}, remote_addr=request.remote_addr)
    return (form, period, shop_ids, codes), None


def _download(build_chunks, filename, content_type):
    """Streamed, so that a year of entries never sits in memory; `build_chunks()` makes the file's
    chunks. The whole file is read from one snapshot of the database: a period closed while it
    downloads (seconds, at 100,000 invoices) moves neither its numbers nor its entries."""
    return Response(stream_with_context(_one_snapshot(build_chunks)), content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _one_snapshot(build_chunks):
    # PostgreSQL: a repeatable-read transaction, read only. SQLite: a read transaction, whose first
    # read fixes what it sees (WAL mode); the portal's writers go on meanwhile in both.
    with db.atomic(isolation_level="REPEATABLE READ READ ONLY") if is_postgres() else db.atomic():
        yield from build_chunks()


def _entries_and_letters(period, shop_ids, codes):
    config = current_accounts()
    return (export_entries(period, shop_ids, config, codes, _timezone()),
            lettering(period.end, shop_ids, config))


@bp.route("/fec")
@access_required("can_export")
def fec(access):
    siren = pages.current_company().get("siren")
    if not siren:
        flash(_("Indiquez d'abord le SIREN de votre entreprise : le nom du FEC commence par lui."), "error")
        return redirect(url_with("accounting.index", request.args.to_dict(flat=False)), 303)
    scope, refused = _export_scope(access, "fec")
    if refused:
        return refused
    form, period, shop_ids, codes = scope
    encoding = form.encodage.data

    def chunks():
        entries, letters = _entries_and_letters(period, shop_ids, codes)
        return fec_chunks(entries, encoding, letters)

    return _download(chunks, fec_filename(siren, period), f"text/plain; charset={encoding}")


@bp.route("/ecritures.csv")
@access_required("can_export")
def entries_csv(access):
    scope, refused = _export_scope(access, "csv")
    if refused:
        return refused
    _, period, shop_ids, codes = scope
    return _download(lambda: csv_chunks(*_entries_and_letters(period, shop_ids, codes)),
                     f"ecritures-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv", "text/csv; charset=utf-8")


@bp.route("/analytique.csv")
@access_required("can_export")
def analytic_csv(access):
    scope, refused = _export_scope(access, "analytic")
    if refused:
        return refused
    _, period, shop_ids, codes = scope
    user = _user()
    return _download(lambda: analytic_chunks(analytic_rows(period, shop_ids, user, current_accounts(), codes)),
                     analytic_filename(period), "text/csv; charset=utf-8")


CLOSING_MESSAGES = {
    "ALREADY_CLOSED": lambda facts: _("Tout est déjà clôturé jusqu'à cette date : la période suivante commence le "
                                      "%(day)s.", day=format_date(facts["start"])),
    "FUTURE": lambda facts: _("On ne clôture pas une période qui n'est pas finie : choisissez une date au plus tard "
                              "le %(day)s.", day=format_date(facts["today"])),
    "TOO_OLD": lambda facts: _("Choisissez une date de cet exercice ou d'un exercice récent (après le %(day)s).",
                              day=format_date(facts["limit"])),
    "CROSSES_YEAR": lambda facts: _("Clôturez d'abord l'exercice jusqu'au %(day)s : une clôture reste dans un "
                                    "exercice.", day=format_date(facts["year_end"])),
}


@bp.route("/cloture", methods=["POST"])
@access_required("can_close")
def close(access):
    form = ClosingForm()
    if form.validate_on_submit():
        config = current_accounts()
        every_shop = [shop_id for shop_id, in Shop.select(Shop.id).tuples()]
        codes = supplier_codes(suppliers_in(Period(datetime.date.min, form.au.data), every_shop), _user())
        try:
            period = close_period(form.au.data, _user(), config, codes, datetime.date.today(), _timezone(),
                                  request.remote_addr or "")
        except ClosingError as error:
            form.au.errors = list(form.au.errors) + [CLOSING_MESSAGES[error.code](error.facts)]
        else:
            flash(_("Période du %(start)s au %(end)s clôturée : %(count)s écritures numérotées de %(first)s à "
                    "%(last)s.", start=format_date(period.start), end=format_date(period.end),
                    count=period.entry_count, first=period.first_number, last=period.last_number), "success")
            return htmx_redirect(url_for("accounting.index"))
    if request.headers.get("HX-Request"):
        return render_template("accounting/_closing.html", **pages.closing_context(access, form)), 422
    context = pages.export_page(pages.period_form(access), access, closing_form=form)
    return render_template("accounting/index.html", **context), 422


@bp.route("/comptes", methods=["GET", "POST"])
@access_required("can_configure")
def accounts(access):
    form = AccountsForm(data=form_values(current_accounts())) if request.method == "GET" else AccountsForm()
    if request.method == "POST" and form.validate_on_submit():
        save_accounts(form.config, _user())
        flash(_("Plan de comptes enregistré : les prochains exports l'utilisent."), "success")
        return redirect(url_for("accounting.accounts"), 303)
    config = current_accounts()
    return render_template("accounting/accounts.html", form=form, access=access, company=pages.current_company(),
                           supplier_accounts=pages.supplier_accounts(config), config=config), \
        422 if form.errors else 200


@bp.route("/factures/<int:invoice_id>/comptabilisation", methods=["POST"])
@access_required("can_export")
def invoice_booking(invoice_id, access):
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None or invoice.shop_id not in {shop.id for shop in access.shops}:
        abort(404)
    form = BookingForm()
    error = None
    if form.validate_on_submit():
        try:
            rates = parse_line_rates(invoice, request.form)
            save_booking(invoice, _user(), exchange_rate=form.rate, nature=form.nature.data,
                         reverse_charge=form.reverse_charge.data, line_rates=rates,
                         remote_addr=request.remote_addr or "")
        except BookingError as refused:
            if refused.message is not None:
                form.exchange_rate.errors = list(form.exchange_rate.errors) + [in_user_language(refused.message)]
            else:
                error = _("Choisissez un taux français de la liste pour chaque ligne.")
        else:
            if request.headers.get("HX-Request"):
                return render_template("accounting/_invoice_vat.html", invoice=invoice, saved=True)
            flash(_("Comptabilisation de la facture enregistrée."), "success")
            return redirect(url_for("invoices.detail", invoice_id=invoice.id) + "#accounting-vat", 303)
    return render_template("accounting/_invoice_vat.html", invoice=invoice, booking_form=form,
                           booking_error=error), 422


@bp.app_template_global("accounting_vat_panel")
def accounting_vat_panel(invoice, form=None):
    """Used by templates/accounting/_invoice_vat.html, included in the invoice page."""
    return pages.invoice_vat_panel(invoice, form)
