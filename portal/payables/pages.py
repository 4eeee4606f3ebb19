"""What the payables pages show: the payments panel of an invoice, the invoices to pay with the SEPA
batch form, and past batches. The rules come from balances.py; nothing is decided here."""
import datetime
from typing import NamedTuple

from flask import request
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from models import Supplier
from portal.auth.rights import PAYABLES_RIGHTS, rights_on
from portal.invoices.listing import Formats, IdLinks, day, labels, payables_access, status_badges
from portal.money import format_amount_input
from portal.payables import service
from portal.payables.balances import METHODS, payable_refusal
from portal.invoices.paging import requested_page, sort_choice
from portal.texts import N_, in_user_language
from portal.payables.forms import BatchForm, DeductionForm, PaymentForm
from portal.suppliers.identifiers import format_iban
from portal.suppliers.service import pending_bank_change


def visible_shops():
    return payables_access().shops_with_any(PAYABLES_RIGHTS)


# --- Payments panel of an invoice -------------------------------------------------------------------


def payment_form(invoice, balance, form=None):
    if form is None:
        form = PaymentForm(formdata=None, currency=invoice.currency)
        form.amount.data = format_amount_input(balance.outstanding, invoice.currency)
        form.paid_on.data = datetime.date.today()
        form.method.data = "TRANSFER"
    # A fresh key for every form shown: a resubmission of the same form carries the same key.
    if not form.idempotency_key.data or not form.errors:
        form.idempotency_key.data = service.new_idempotency_key()
    return form


def deduction_form(invoice, balance, deposits, form=None):
    if form is None:
        form = DeductionForm(formdata=None, currency=invoice.currency)
        if deposits:
            deposit, available = deposits[0]
            form.deposit.data = deposit.id
            form.amount.data = format_amount_input(min(available, balance.outstanding), invoice.currency)
    form.deposit.choices = [(0, _("— choisir —"))] + [
        (deposit.id, _("N° %(number)s du %(day)s — reste à déduire %(available)s %(currency)s", number=deposit.number,
                       day=deposit.issue_date.strftime("%d/%m/%Y"), currency=invoice.currency,
                       available=format_amount_input(available, invoice.currency, locale=str(get_locale() or "fr"))))
        for deposit, available in deposits]
    return form


def invoice_panel(invoice, *, form=None, deduction=None, error=None, notice=None, debited=None):
    """Everything the panel `payables/_invoice_payments.html` shows, computed afresh each time."""
    rights = rights_on(current_user, invoice.shop)
    balance = service.invoice_balance(invoice)
    refusal = in_user_language(payable_refusal(invoice.kind, invoice.status))
    can_pay = "pay_invoices" in rights and refusal is None and balance.outstanding > 0
    deducted, deducted_in = service.invoice_deductions(invoice)
    deposits = service.deposit_choices(invoice) if can_pay else []
    supplier = Supplier.get_by_id(invoice.supplier_id)
    return {
        "invoice": invoice, "balance": balance, "payments": service.invoice_payments(invoice),
        "deducted": deducted, "deducted_in": deducted_in, "methods": METHODS, "refusal": refusal,
        "can_pay": can_pay, "may_pay": "pay_invoices" in rights, "deposits": deposits,
        "supplier": supplier, "pending_bank_change": pending_bank_change(supplier),
        "form": payment_form(invoice, balance, form) if can_pay else None,
        "deduction_form": deduction_form(invoice, balance, deposits, deduction) if can_pay and deposits else None,
        "error": error, "notice": notice,
        # (payment id, the amount typed, why it was refused) of a refused « montant débité »
        "debited": debited,
    }


# --- Invoices to pay and SEPA batches ---------------------------------------------------------------


def chosen_shop(shops):
    wanted = request.args.get("boutique", type=int)
    for shop in shops:
        if shop.id == wanted:
            return shop
    return shops[0]


def list_args(shop):
    """The list's page and sort, from the query string or (after the batch form) the posted form."""
    values = request.values
    sort, descending = sort_choice(values, service.TO_PAY_SORTS, "echeance")
    return {"boutique": shop.id, "tri": sort, "ordre": "desc" if descending else "asc",
            "page": requested_page(values)}


class ToPayLine(NamedTuple):
    """What one row of the list to pay shows, formatted in Python once per row (issue 14)."""

    id: int
    number: str
    link: str
    due: str
    overdue: bool
    deposit: bool
    supplier_name: str
    status_label: str
    status_tone: str
    due_amount: str
    settled: str
    outstanding: str
    iban: str
    pending: bool
    amount_input: str


def _to_pay_lines(rows, today):
    """The rows of the list to pay, every label, link, date and amount formatter looked up once."""
    badges, formats = status_badges(), Formats()
    detail = IdLinks("invoices.detail", "invoice_id")
    ibans = {}
    lines = []
    for row in rows:
        label, tone = badges[row.status]
        balance = row.balance
        iban = row.supplier_iban
        if iban and iban not in ibans:
            ibans[iban] = format_iban(iban)
        lines.append(ToPayLine(
            row.id, row.number, detail(row.id), day(row.due_date), bool(row.due_date and row.due_date < today),
            row.kind == "DEPOSIT", row.supplier_name, label, tone, formats.money(balance.due, row.currency),
            formats.money(balance.settled, row.currency), formats.money(balance.outstanding, row.currency),
            ibans[iban] if iban else "", row.bank_change_pending,
            formats.amount_input(balance.outstanding, row.currency)))
    return lines


def to_pay(shop, *, form=None, posted=None, line_errors=None, errors=None, created=None):
    """One page of the invoices to pay in `shop`, the batch form and its outcome."""
    args = list_args(shop)
    listing = service.invoices_to_pay_page([shop], args["page"], args["tri"], args["ordre"] == "desc")
    can_batch = "pay_invoices" in payables_access().rights_on(shop)
    if form is None:
        form = BatchForm(formdata=None)
        form.execution_date.data = datetime.date.today()
    form.shop.data = shop.id
    if created is not None or not form.idempotency_key.data:
        form.idempotency_key.data = service.new_idempotency_key()
    today = datetime.date.today()
    return {
        "shop": shop, "rows": listing.rows, "lines": _to_pay_lines(listing.rows, today), "listing": listing,
        "args": {**args, "page": listing.number},
        "sort": args["tri"], "descending": args["ordre"] == "desc", "can_batch": can_batch, "batch_form": form,
        "labels": labels(pay=N_("Payer la facture n° %(number)s"), late=N_("En retard"), deposit=N_("(acompte)"),
                         no_iban=N_("Aucun IBAN approuvé"), pending=N_("Changement en attente (non utilisé)"),
                         amount=N_("Montant du virement pour la facture n° %(number)s")),
        "posted": posted, "line_errors": line_errors or {}, "errors": errors or [], "created": created,
        "missing_debtor": in_user_language(service.debtor_warning(service.company_details())),
        "today": today,
    }


def batches(shop):
    page = service.batches_page([shop], requested_page(request.args, "page_lots"))
    args = {key: value for key, value in request.args.items() if key != "page_lots"}
    return {"batches": page.rows, "batches_page": page, "batches_args": {**args, "boutique": shop.id}, "shop": shop}


def company_page():
    """The debtor of the SEPA transfers as the company identity has it, and what a batch still lacks."""
    from portal.company import current_identity

    identity = current_identity()
    missing = [name for name in ("name", "iban") if not getattr(identity, name)]
    return {"identity": identity, "missing": missing}
