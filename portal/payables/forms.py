"""Forms of the payables pages: a payment, a deposit deduction, a SEPA batch and the merchant's own
company details (identifiers checked with python-stdnum through portal.suppliers)."""
import datetime

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.money import MoneyError, parse_amount
from portal.payables.balances import METHODS
from portal.suppliers import identifiers
from portal.suppliers.forms import Identifier


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
BAD_DATE = "Date illisible : écrivez-la sous la forme jj/mm/aaaa."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AmountField(StringField):
    """An amount typed in French or dot form in the form's currency; `.minor` holds minor units (MONEY-2)."""

    minor = None

    def pre_validate(self, form):
        self.minor = None
        try:
            self.minor = parse_amount(self.data, form.currency)
        except MoneyError as error:
            raise ValidationError(str(error))


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
    amount = AmountField("Montant payé", validators=[InputRequired("Saisissez le montant payé.")],
                         description="Pré-rempli avec le reste à payer.")
    paid_on = DateField("Date du paiement", format=DATE_FORMATS, invalid_value_message=BAD_DATE,
                        validators=[InputRequired("Indiquez la date du paiement (jj/mm/aaaa).")])
    method = SelectField("Mode de paiement", choices=list(METHODS.items()), default="TRANSFER", validate_choice=False)
    reference = StringField("Référence (facultatif)", filters=[_strip],
                            validators=[Optional(), Length(max=140, message="140 caractères au plus.")],
                            description="N° de chèque, référence du virement…")
    idempotency_key = HiddenField()

    def validate_method(self, field):
        if field.data not in METHODS:
            raise ValidationError("Choisissez un mode de paiement de la liste.")

    def validate_paid_on(self, field):
        today = datetime.date.today()
        if field.data and field.data > today + datetime.timedelta(days=365):
            raise ValidationError("Cette date est à plus d'un an : vérifiez-la.")
        if field.data and field.data < today.replace(year=today.year - 10, day=min(today.day, 28)):
            raise ValidationError("Cette date est à plus de dix ans : vérifiez-la.")


class DeductionForm(_InvoiceAmountForm):
    form_prefix = "deduction"
    deposit = SelectField("Facture d'acompte payée", coerce=int, validate_choice=False)
    amount = AmountField("Montant à déduire", validators=[InputRequired("Saisissez le montant à déduire.")],
                         description="Au plus ce qui reste de l'acompte et ce qui reste à payer sur cette facture.")

    def validate_deposit(self, field):
        if not field.data:
            raise ValidationError("Choisissez la facture d'acompte à déduire.")


class BatchForm(FlaskForm):
    shop = HiddenField()
    execution_date = DateField("Date d'exécution des virements", format=DATE_FORMATS, invalid_value_message=BAD_DATE,
                               validators=[InputRequired("Indiquez la date d'exécution (jj/mm/aaaa).")])
    idempotency_key = HiddenField()


class CompanyForm(FlaskForm):
    name = StringField("Raison sociale", filters=[_strip],
                       validators=[InputRequired("Saisissez la raison sociale de la société."),
                                   Length(max=70, message="70 caractères au plus (limite des virements SEPA).")],
                       description="Le nom du donneur d'ordre dans les fichiers de virement.")
    siren = StringField("SIREN", filters=[_strip],
                        validators=[InputRequired("Saisissez le SIREN (9 chiffres)."),
                                    Identifier(identifiers.check_siren)])
    iban = StringField("IBAN du compte à débiter", filters=[_strip],
                       validators=[InputRequired("Saisissez l'IBAN du compte qui paie les fournisseurs."),
                                   Identifier(identifiers.check_iban)])
    bic = StringField("BIC", filters=[_strip], validators=[Optional(), Identifier(identifiers.check_bic)],
                      description="Facultatif en SEPA ; certaines banques le demandent encore.")
