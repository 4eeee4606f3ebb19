"""What is left to pay on a supplier invoice and what may be paid or deducted (AP-PAY-1), in plain
Python: outstanding = total − payments − deposit deductions, the limits of a payment, of a deposit
deduction and of a SEPA batch, and the status an invoice reaches once paid."""
import datetime
from dataclasses import dataclass

from portal.invoices.lifecycle import InvoiceStatus
from portal.money import Amount
from portal.texts import N_, Text, TextError

S = InvoiceStatus
# The lifecycle's « pay » sources (AP-FLOW-1): only an approved invoice is paid.
PAYABLE_STATUSES = (S.APPROVED, S.PARTIALLY_APPROVED, S.PARTIALLY_PAID)
TRANSFER = "TRANSFER"


METHODS = {
    "TRANSFER": N_("Virement"), "CHEQUE": N_("Chèque"), "CARD": N_("Carte"), "CASH": N_("Espèces"), "OTHER": N_("Autre"),
}
# A SEPA credit transfer moves euros only (pain.001, SEPA scheme).
SEPA_CURRENCY = "EUR"
STATUS_TO_APPROVE = {
    S.RECEIVED: N_("La facture doit d'abord être prise en charge et approuvée."),
    S.IN_HAND: N_("La facture doit d'abord être approuvée."),
    S.DISPUTED: N_("La facture est en litige : réglez le litige et approuvez-la avant de la payer."),
    S.SUSPENDED: N_("La facture est suspendue : reprenez-la et approuvez-la avant de la payer."),
    S.REFUSED: N_("La facture a été refusée : elle ne se paie pas."),
    S.PAID: N_("La facture est déjà entièrement payée."),
}


class PaymentRefused(TextError):
    """A payment or deduction a rule refuses, next to `field` if given. `message` is the French text;
    the page shows `translate(gettext, locale)` (LOC-3). Built from a template and its values, or
    from a Text already made (`PaymentRefused(text, field)`)."""

    def __init__(self, template, field=None, **params):
        if isinstance(template, Text):
            template, params = template.template, {**template.params, **params}
        super().__init__(template, field, **params)


@dataclass(frozen=True)
class Balance:
    """Amounts of one invoice in minor units of its currency."""

    due: int  # total including VAT
    paid: int = 0  # sum of the payments
    deducted: int = 0  # sum of the deposit invoices deducted from it

    @property
    def settled(self):
        return self.paid + self.deducted

    @property
    def outstanding(self):
        return self.due - self.settled

    def after_payment(self, amount):
        return Balance(self.due, self.paid + amount, self.deducted)

    def after_deduction(self, amount):
        return Balance(self.due, self.paid, self.deducted + amount)


@dataclass(frozen=True)
class InvoiceFacts:
    """What the rules need to know about an invoice, read from the database by the service."""

    id: int
    kind: str
    status: str
    currency: str
    supplier_id: int
    shop_id: int
    balance: Balance
    deducted_elsewhere: int = 0  # for a deposit invoice: already deducted from balance invoices


def payable_refusal(kind, status):
    """Why an invoice of this kind and status cannot be paid now (a Text), or None."""
    if kind == "CREDIT_NOTE":
        return Text(N_("Un avoir ne se paie pas : c'est le fournisseur qui vous doit ce montant."))
    status = InvoiceStatus(status)
    if status in PAYABLE_STATUSES:
        return None
    if status in STATUS_TO_APPROVE:
        return Text(STATUS_TO_APPROVE[status])
    return Text(N_("Une facture « %(status)s » ne se paie pas."), status=Text(status.label))


def check_amount(amount, balance, currency, field="amount"):
    if amount is None or amount <= 0:
        raise PaymentRefused(N_("Le montant doit être supérieur à zéro."), field)
    if amount > balance.outstanding:
        raise PaymentRefused(N_("Le montant (%(amount)s) dépasse le reste à payer (%(outstanding)s)."), field,
                             amount=Amount(amount, currency), outstanding=Amount(balance.outstanding, currency))


def check_payment(invoice: InvoiceFacts, amount, method):
    """Raise PaymentRefused unless `amount` may be paid on `invoice` by `method`."""
    refusal = payable_refusal(invoice.kind, invoice.status)
    if refusal:
        raise PaymentRefused(refusal)
    if method not in METHODS:
        raise PaymentRefused(N_("Choisissez un mode de paiement de la liste."), "method")
    check_amount(amount, invoice.balance, invoice.currency)


# Past this gap with the invoice's rate, the euros debited are more likely a typing slip (a comma
# forgotten, the foreign amount typed again) than a move of the rate or the bank's margin.
DEBITED_EUROS_TOLERANCE_PERCENT = 25


def check_debited_euros(amount, currency, debited_eur, rate):
    """The euro cents a bank debited for `amount` of `currency`: more than zero, and within the tolerance
    of the invoice's rate (euros for one unit x fec.RATE_SCALE) when the accountant has entered one."""
    from portal.accounting.fec import to_euros

    if debited_eur is None:
        return
    if debited_eur <= 0:
        raise PaymentRefused(N_("Le montant débité doit être supérieur à zéro."), "debited_eur")
    if rate:
        expected = to_euros(amount, currency, rate)
        if abs(debited_eur - expected) * 100 > DEBITED_EUROS_TOLERANCE_PERCENT * expected:
            raise PaymentRefused(N_("Le montant débité (%(debited)s) s'écarte de plus de %(percent)s %% de la "
                                    "contre-valeur au cours de la facture (%(expected)s) : vérifiez-le."),
                                 "debited_eur", debited=Amount(debited_eur, "EUR"), expected=Amount(expected, "EUR"),
                                 percent=DEBITED_EUROS_TOLERANCE_PERCENT)


def deposit_available(deposit: InvoiceFacts):
    """What is left of a deposit invoice to deduct from balance invoices."""
    return deposit.balance.due - deposit.deducted_elsewhere


def deposit_refusal(invoice: InvoiceFacts, deposit: InvoiceFacts):
    """Why `deposit` cannot be deducted from `invoice` at all (a Text), or None."""
    if deposit.kind != "DEPOSIT":
        return Text(N_("Seule une facture d'acompte se déduit d'une facture de solde."))
    if deposit.id == invoice.id:
        return Text(N_("Une facture d'acompte ne se déduit pas d'elle-même."))
    if deposit.supplier_id != invoice.supplier_id or deposit.shop_id != invoice.shop_id:
        return Text(N_("La facture d'acompte doit être du même fournisseur et de la même boutique."))
    if deposit.currency != invoice.currency:
        return Text(N_("La facture d'acompte est en %(deposit_currency)s, la facture de solde en %(currency)s."),
                    deposit_currency=deposit.currency, currency=invoice.currency)
    if InvoiceStatus(deposit.status) != S.PAID or deposit.balance.paid < deposit.balance.due:
        return Text(N_("La facture d'acompte doit d'abord être entièrement payée."))
    if deposit_available(deposit) <= 0:
        return Text(N_("Cette facture d'acompte a déjà été entièrement déduite."))
    return None


def check_deduction(invoice: InvoiceFacts, deposit: InvoiceFacts, amount):
    """Raise PaymentRefused unless `amount` of `deposit` may be deducted from `invoice`."""
    if invoice.kind != "INVOICE":
        raise PaymentRefused(N_("Un acompte se déduit d'une facture (de solde), pas d'un avoir ni d'un autre acompte."))
    refusal = payable_refusal(invoice.kind, invoice.status)
    if refusal:
        raise PaymentRefused(refusal)
    refusal = deposit_refusal(invoice, deposit)
    if refusal:
        raise PaymentRefused(refusal, "deposit")
    if amount is None or amount <= 0:
        raise PaymentRefused(N_("Le montant doit être supérieur à zéro."), "amount")
    available = deposit_available(deposit)
    if amount > available:
        raise PaymentRefused(N_("Le montant (%(amount)s) dépasse ce qui reste à déduire de la facture d'acompte "
                                "(%(available)s)."), "amount",
                             amount=Amount(amount, invoice.currency), available=Amount(available, invoice.currency))
    check_amount(amount, invoice.balance, invoice.currency)


def check_batch_line(invoice: InvoiceFacts, amount, label):
    """One invoice of a SEPA batch: payable, in euros, amount within what is left to pay."""
    refusal = payable_refusal(invoice.kind, invoice.status)
    if refusal:
        raise PaymentRefused(N_("%(label)s : %(reason)s"), label=label, reason=refusal)
    if invoice.currency != SEPA_CURRENCY:
        raise PaymentRefused(N_("%(label)s : un virement SEPA se fait en euros, cette facture est en %(currency)s."),
                             label=label, currency=invoice.currency)
    try:
        check_amount(amount, invoice.balance, invoice.currency)
    except PaymentRefused as refused:
        raise PaymentRefused(N_("%(label)s : %(reason)s"), label=label, reason=refused.text) from None


def check_execution_date(execution_date, today):
    if execution_date is None:
        raise PaymentRefused(N_("Indiquez la date d'exécution des virements."), "execution_date")
    if execution_date < today:
        raise PaymentRefused(N_("La date d'exécution ne peut pas être passée : choisissez aujourd'hui ou plus tard."),
                             "execution_date")
    if execution_date > today + datetime.timedelta(days=365):
        raise PaymentRefused(N_("La date d'exécution est à plus d'un an : vérifiez-la."), "execution_date")


def status_after(status, balance: Balance):
    """PAID when nothing is left to pay, PARTIALLY_PAID while part of it is settled, else unchanged."""
    if balance.due > 0 and balance.outstanding == 0:
        return S.PAID
    if 0 < balance.settled < balance.due:
        return S.PARTIALLY_PAID
    return InvoiceStatus(status)
