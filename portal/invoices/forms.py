"""Invoice forms: manual entry with lines, review of an e-invoice, upload, status changes with a
reason, split across purchase requests, matching tolerances."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.money import MoneyError, parse_amount
from portal.purchasing.forms import CURRENCIES, LineForm, LinesMixin

KINDS = [("INVOICE", "Facture"), ("CREDIT_NOTE", "Avoir"), ("DEPOSIT", "Facture d'acompte")]


class UploadForm(FlaskForm):
    document = FileField("Fichier de la facture", validators=[FileRequired("Choisissez un fichier.")],
                         description="PDF (Factur-X ou non) ou XML (CII, UBL), 20 Mo au plus.")


class InvoiceForm(LinesMixin, FlaskForm):
    shop = SelectField("Boutique", coerce=int)
    supplier = SelectField("Fournisseur", coerce=int)
    number = StringField("Numéro de facture", validators=[InputRequired("Saisissez le numéro de la facture."),
                                                          Length(max=64)])
    kind = SelectField("Type", choices=KINDS, default="INVOICE")
    issue_date = DateField("Date de facture", validators=[InputRequired("Saisissez la date de la facture.")])
    due_date = DateField("Échéance (facultatif)", validators=[Optional()],
                         description="Vide : date de facture + délai de paiement du fournisseur.")
    currency = SelectField("Devise", choices=CURRENCIES, default="EUR")
    po_reference = StringField("N° de bon de commande cité", validators=[Optional(), Length(max=64)],
                               description="La facture se rattache seule au bon de commande de ce fournisseur.")
    upload_id = HiddenField()
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate_supplier(self, field):
        if not field.data:
            raise ValidationError("Choisissez le fournisseur.")

    def validate_due_date(self, field):
        if field.data and self.issue_date.data and field.data < self.issue_date.data:
            raise ValidationError("L'échéance ne peut pas précéder la date de facture.")

    def validate(self, extra_validators=None):
        self.set_line_currency()
        return super().validate(extra_validators)


class EInvoiceReviewForm(FlaskForm):
    shop = SelectField("Boutique", coerce=int)
    supplier = SelectField("Fournisseur", coerce=int, description="Trouvé par son n° de TVA ou son SIRET.")
    po_reference = StringField("N° de bon de commande cité (BT-13)", validators=[Optional(), Length(max=64)])


class ActionForm(FlaskForm):
    reason = TextAreaField("Motif", validators=[Optional(), Length(max=2000)])
    override_reason = TextAreaField("Justification des écarts acceptés", validators=[Optional(), Length(max=2000)])
    context = HiddenField(default="detail")


class ShareForm(FlaskForm):
    """Amounts per purchase request are read from `share-<request id>` fields by the view."""


class TolerancesForm(FlaskForm):
    quantity_pct = StringField("Tolérance sur les quantités (%)", validators=[InputRequired("Saisissez un pourcentage (0 = exact).")])
    price_pct = StringField("Tolérance sur les prix et totaux (%)", validators=[InputRequired("Saisissez un pourcentage.")])
    amount_abs = StringField("Écart toléré en montant (€)", validators=[InputRequired("Saisissez un montant (0 possible).")],
                             description="Un écart de prix ou de total jusqu'à ce montant est toujours accepté.")

    def _pct(self, field):
        from portal.purchasing.amounts import QuantityError, parse_rate

        try:
            return parse_rate(field.data)
        except QuantityError as error:
            raise ValidationError(str(error).replace("Taux de TVA", "Pourcentage"))

    def validate_quantity_pct(self, field):
        self.quantity_bp = self._pct(field)

    def validate_price_pct(self, field):
        self.price_bp = self._pct(field)

    def validate_amount_abs(self, field):
        try:
            self.amount_minor = parse_amount(field.data, "EUR", allow_zero=True)
        except MoneyError as error:
            raise ValidationError(str(error))
