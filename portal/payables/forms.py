"""Forms of the payables pages: a payment, a deposit deduction, a SEPA batch (LOC-3: every label and
message through Babel). The company's own details are edited on /entreprise (portal.onboarding)."""
import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.money import MoneyError, parse_amount
from portal.numbers import coerce_id
from portal.payables.balances import METHODS
from portal.texts import in_user_language


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
BAD_DATE = _l("Date illisible : écrivez-la sous la forme jj/mm/aaaa.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AmountField(StringField):
    """An amount typed in French or dot form in the form's currency (or `currency`); `.minor` holds minor
    units (MONEY-2). `optional`: an empty field gives None."""

    minor = None

    def __init__(self, *args, currency=None, optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency, self.optional = currency, optional

    def pre_validate(self, form):
        self.minor = None
        if self.optional and not (self.data or "").strip():
            return
        try:
            self.minor = parse_amount(self.data, self.currency or form.currency)
        except MoneyError as error:
            raise ValidationError(in_user_language(error))


def _debited_euros(label, **kwargs):
    """Euros the bank debited for a payment in another currency: optional; parse_amount refuses zero."""
    return AmountField(label, currency="EUR", optional=True, filters=[_strip], **kwargs)


class _InvoiceAmountForm(FlaskForm):
    """A form on an invoice page: amounts in the invoice's currency; field ids prefixed, as two such
    forms sit side by side in the payments panel."""

    form_prefix = ""

    def __init__(self, *args, currency="EUR", **kwargs):
        kwargs.setdefault("prefix", self.form_prefix)
        super().__init__(*args, **kwargs)
        self.currency = currency


class PaymentForm(_InvoiceAmountForm):
    form_prefix = "payment"
    amount = AmountField(_l("Montant payé"), validators=[InputRequired(_l("Saisissez le montant payé."))],
                         description=_l("Pré-rempli avec le reste à payer."))
    paid_on = DateField(_l("Date du paiement"), format=DATE_FORMATS, invalid_value_message=BAD_DATE,
                        validators=[InputRequired(_l("Indiquez la date du paiement (jj/mm/aaaa)."))])
    method = SelectField(_l("Mode de paiement"), choices=[(code, _l(label)) for code, label in METHODS.items()], default="TRANSFER", validate_choice=False)
    reference = StringField(_l("Référence (facultatif)"), filters=[_strip],
                            validators=[Optional(), Length(max=140, message=_l("140 caractères au plus."))],
                            description=_l("N° de chèque, référence du virement…"))
    # Shown for an invoice in another currency only (the view ignores it otherwise).
    debited_eur = _debited_euros(_l("Montant débité en euros (facultatif)"),
                                 description=_l("Ce que la banque a débité : l'écart avec le cours de la "
                                                "facture est comptabilisé en perte ou gain de change."))
    idempotency_key = HiddenField()

    def validate_method(self, field):
        if field.data not in METHODS:
            raise ValidationError(_l("Choisissez un mode de paiement de la liste."))

    def validate_paid_on(self, field):
        today = datetime.date.today()
        if field.data and field.data > today + datetime.timedelta(days=365):
            raise ValidationError(_l("Cette date est à plus d'un an : vérifiez-la."))
        if field.data and field.data < today.replace(year=today.year - 10, day=min(today.day, 28)):
            raise ValidationError(_l("Cette date est à plus de dix ans : vérifiez-la."))


class DebitedForm(FlaskForm):
    """The euros a bank debited, entered or corrected on a payment already recorded."""

    debited_eur = _debited_euros(_l("Montant débité en euros"))


class DeductionForm(_InvoiceAmountForm):
    form_prefix = "deduction"
    deposit = SelectField(_l("Facture d'acompte payée"), coerce=coerce_id, validate_choice=False)
    amount = AmountField(_l("Montant à déduire"), validators=[InputRequired(_l("Saisissez le montant à déduire."))],
                         description=_l("Au plus ce qui reste de l'acompte et ce qui reste à payer sur cette facture."))

    def validate_deposit(self, field):
        if not field.data:
            raise ValidationError(_l("Choisissez la facture d'acompte à déduire."))


class BatchForm(FlaskForm):
    shop = HiddenField()
    execution_date = DateField(_l("Date d'exécution des virements"), format=DATE_FORMATS, invalid_value_message=BAD_DATE,
                               validators=[InputRequired(_l("Indiquez la date d'exécution (jj/mm/aaaa)."))])
    idempotency_key = HiddenField()
