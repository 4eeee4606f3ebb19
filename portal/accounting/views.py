"""Accounting pages: thin views over fec.py, analytic.py, accounts.py and pages.py."""
from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from models import db
from portal.accounting import bp, pages
from portal.accounting.access import access_required
from portal.accounting.accounts import (current_accounts, current_company, form_values, save_accounts, save_company,
                                        supplier_codes)
from portal.accounting.analytic import analytic_chunks, analytic_filename, analytic_rows
from portal.accounting.fec import csv_chunks, fec_chunks, fec_filename, period_entries, suppliers_in
from portal.accounting.forms import AccountsForm, CompanyForm
from portal.audit import record_action


def _user():
    return current_user._get_current_object()


@bp.route("/")
@access_required("can_open")
def index(access):
    context = pages.export_page(pages.period_form(access), access)
    template = ("accounting/_summary.html" if request.headers.get("HX-Target") == "accounting-summary"
                else "accounting/index.html")
    return render_template(template, **context), 422 if context["form"].errors else 200


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


def _download(chunks, filename, content_type):
    """Streamed, so that a year of entries never sits in memory."""
    return Response(stream_with_context(chunks), content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/fec")
@access_required("can_export")
def fec(access):
    siren = pages.current_company().get("siren")
    if not siren:
        flash("Indiquez d'abord le SIREN de votre entreprise : le nom du FEC commence par lui.", "error")
        return redirect(url_for("accounting.index", **request.args), 303)
    scope, refused = _export_scope(access, "fec")
    if refused:
        return refused
    form, period, shop_ids, codes = scope
    entries = period_entries(period, shop_ids, current_accounts(), codes)
    return _download(fec_chunks(entries, form.encodage.data), fec_filename(siren, period),
                     f"text/plain; charset={form.encodage.data}")


@bp.route("/ecritures.csv")
@access_required("can_export")
def entries_csv(access):
    scope, refused = _export_scope(access, "csv")
    if refused:
        return refused
    _, period, shop_ids, codes = scope
    entries = period_entries(period, shop_ids, current_accounts(), codes)
    return _download(csv_chunks(entries), f"ecritures-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
                     "text/csv; charset=utf-8")


@bp.route("/analytique.csv")
@access_required("can_export")
def analytic_csv(access):
    scope, refused = _export_scope(access, "analytic")
    if refused:
        return refused
    _, period, shop_ids, codes = scope
    rows = analytic_rows(period, shop_ids, _user(), current_accounts(), codes)
    return _download(analytic_chunks(rows), analytic_filename(period), "text/csv; charset=utf-8")


@bp.route("/entreprise", methods=["POST"])
@access_required("can_set_company")
def company(access):
    form = CompanyForm()
    if form.validate_on_submit():
        save_company(form.name.data, form.siren.data, _user())
        flash("Entreprise enregistrée : le FEC portera son SIREN.", "success")
        return redirect(_local_next(), 303)
    if _local_next().startswith(url_for("accounting.accounts")):
        return _accounts_page(AccountsForm(formdata=None, data=form_values(current_accounts())), access, form)
    return render_template("accounting/index.html", company_next=_local_next(),
                           **pages.export_page(pages.period_form(access), access, company_form=form)), 422


def _local_next():
    """Where to go back after the company form: a page of this area only (no open redirect)."""
    target = request.form.get("next", "")
    return target if target.startswith(url_for("accounting.index")) and "//" not in target else url_for("accounting.index")


@bp.route("/comptes", methods=["GET", "POST"])
@access_required("can_configure")
def accounts(access):
    form = AccountsForm(data=form_values(current_accounts())) if request.method == "GET" else AccountsForm()
    if request.method == "POST" and form.validate_on_submit():
        save_accounts(form.config, _user())
        flash("Plan de comptes enregistré : les prochains exports l'utilisent.", "success")
        return redirect(url_for("accounting.accounts"), 303)
    return _accounts_page(form, access, CompanyForm(formdata=None, data=pages.current_company()))


def _accounts_page(form, access, company_form):
    status = 422 if form.errors or company_form.errors else 200
    config = current_accounts()
    return render_template("accounting/accounts.html", form=form, company_form=company_form, access=access,
                           company=current_company(),
                           company_next=url_for("accounting.accounts"), supplier_accounts=pages.supplier_accounts(config), config=config), status


@bp.app_template_global("accounting_vat_panel")
def accounting_vat_panel(invoice):
    """Used by templates/accounting/_invoice_vat.html, included in the invoice page."""
    return pages.invoice_vat_panel(invoice)
