"""What the accounting pages show: the export page (period, counts and totals, download links, the
company identity) and the invoice panel of the reverse charge."""
from flask import request
from werkzeug.datastructures import MultiDict

from portal.accounting.accounts import all_supplier_codes, current_accounts, current_company
from portal.accounting.fec import ENCODINGS, KIND_LABELS, Period, summarise
from portal.accounting.forms import CompanyForm, PeriodForm
from portal.accounting.vat import invoice_vat_treatment


def period_form(access):
    """The period of the query string, or the current calendar year when none is given."""
    formdata = request.args if "du" in request.args or "au" in request.args else MultiDict(PeriodForm.current_year())
    form = PeriodForm(formdata=formdata)
    form.boutique.choices = [("", "Toutes mes boutiques")] + [(str(shop.id), shop.name) for shop in access.shops]
    return form


def chosen_scope(form, access):
    """(Period, shop ids) of a valid period form: one shop, or every shop the user may export."""
    shop_ids = [shop.id for shop in access.shops]
    if form.boutique.data:
        shop_ids = [int(form.boutique.data)]
    return Period(form.du.data, form.au.data), shop_ids


def export_args(form):
    return {"du": form.du.data.isoformat(), "au": form.au.data.isoformat(), "boutique": form.boutique.data or "",
            "encodage": form.encodage.data or "utf-8"}


def export_page(form, access, company_form=None):
    valid = form.validate() if access.can_export else False
    company = current_company()
    context = {"form": form, "access": access, "company": company, "valid": valid,
               "company_form": company_form or CompanyForm(formdata=None, data=company), "summary": None,
               "kind_labels": KIND_LABELS, "encodings": ENCODINGS, "config": current_accounts()}
    if valid:
        period, shop_ids = chosen_scope(form, access)
        context.update(period=period, summary=summarise(period, shop_ids, context["config"]),
                       args=export_args(form))
    return context


def supplier_accounts(config):
    """(supplier, auxiliary account) of every supplier that has one, by account."""
    from models import Supplier

    codes = all_supplier_codes()
    suppliers = Supplier.select().where(Supplier.id.in_(list(codes) or [0]))
    return sorted(((supplier, config.suppliers + codes[supplier.id]) for supplier in suppliers),
                  key=lambda pair: pair[1])


def invoice_vat_panel(invoice):
    """The reverse-charge panel of an invoice: its regime, VAT due and deductible, and the accounts."""
    config = current_accounts()
    treatment = invoice_vat_treatment(invoice, config.default_vat_rate)
    return {"treatment": treatment, "config": config,
            "expense_account": config.expense_account_of(invoice.expense_account),
            "expense_label": config.label_of(config.expense_account_of(invoice.expense_account))}
