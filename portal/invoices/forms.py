"""Invoice forms: manual entry with lines, review of an e-invoice, upload, status changes with a
reason, split across purchase requests, matching tolerances."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.money import MoneyError, parse_amount
from portal.numbers import coerce_id
from portal.purchasing.forms import CURRENCIES, LineForm, LinesMixin
from portal.texts import in_user_language

KINDS = [("INVOICE", _l("Facture")), ("CREDIT_NOTE", _l("Avoir")), ("DEPOSIT", _l("Facture d'acompte"))]
PRICE_MODES = [("pct", _l("En pourcentage du prix commandé")), ("amount", _l("En montant par ligne")),
               ("both", _l("Les deux : dépasser l'un ou l'autre signale la ligne"))]


class UploadForm(FlaskForm):
    document = FileField(_l("Fichier de la facture"), validators=[FileRequired(_l("Choisissez un fichier."))],
                         description=_l("PDF (Factur-X ou non) ou XML (CII, UBL), 20 Mo au plus."))


class InvoiceForm(LinesMixin, FlaskForm):
    shop = SelectField(_l("Boutique"), coerce=coerce_id)
    supplier = SelectField(_l("Fournisseur"), coerce=coerce_id)
    number = StringField(_l("Numéro de facture"), validators=[InputRequired(_l("Saisissez le numéro de la facture.")),
                                                          Length(max=64)])
    kind = SelectField(_l("Type"), choices=KINDS, default="INVOICE")
    issue_date = DateField(_l("Date de facture"), validators=[InputRequired(_l("Saisissez la date de la facture."))])
    due_date = DateField(_l("Échéance (facultatif)"), validators=[Optional()],
                         description=_l("Vide : date de facture + délai de paiement du fournisseur."))
    currency = SelectField(_l("Devise"), choices=CURRENCIES, default="EUR")
    po_reference = StringField(_l("N° de bon de commande cité"), validators=[Optional(), Length(max=64)],
                               description=_l("La facture se rattache seule au bon de commande de ce fournisseur."))
    upload_id = HiddenField()
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate_supplier(self, field):
        if not field.data:
            raise ValidationError(_("Choisissez le fournisseur."))

    def validate_due_date(self, field):
        if field.data and self.issue_date.data and field.data < self.issue_date.data:
            raise ValidationError(_("L'échéance ne peut pas précéder la date de facture."))

    def validate(self, extra_validators=None):
        self.set_line_currency()
        return super().validate(extra_validators)


class EInvoiceReviewForm(FlaskForm):
    shop = SelectField(_l("Boutique"), coerce=coerce_id)
    supplier = SelectField(_l("Fournisseur"), coerce=coerce_id, description=_l("Trouvé par son n° de TVA ou son SIRET."))
    po_reference = StringField(_l("N° de bon de commande cité (BT-13)"), validators=[Optional(), Length(max=64)])


class ActionForm(FlaskForm):
    reason = TextAreaField(_l("Motif"), validators=[Optional(), Length(max=2000)])
    override_reason = TextAreaField(_l("Justification des écarts acceptés"), validators=[Optional(), Length(max=2000)])
    context = HiddenField(default="detail")


class ShareForm(FlaskForm):
    """Amounts per purchase request are read from `share-<request id>` fields by the view."""


class TolerancesForm(FlaskForm):
    quantity_pct = StringField(_l("Tolérance sur les quantités (%)"), validators=[InputRequired(_l("Saisissez un pourcentage (0 = exact)."))])
    price_mode = SelectField(_l("Contrôle des prix"), choices=PRICE_MODES, default="pct",
                             description=_l("Chaque ligne de la facture est comparée au prix commandé ; le total HT aussi."))
    price_pct = StringField(_l("Tolérance sur les prix et totaux (%)"), validators=[InputRequired(_l("Saisissez un pourcentage."))],
                            description=_l("Exemple : avec 5 %, 19,50 facturés pour 18,50 commandés (+5,4 %) sont signalés."))
    amount_abs = StringField(_l("Écart toléré en montant par ligne (€)"),
                             validators=[InputRequired(_l("Saisissez un montant (0 possible)."))],
                             description=_l("Ce que l'écart de prix coûte sur la ligne (quantité × écart), et sur le total."))

    def _pct(self, field):
        from portal.purchasing.amounts import QuantityError, parse_rate

        try:
            return parse_rate(field.data)
        except QuantityError:
            raise ValidationError(_("Pourcentage entre 0 et 100, deux décimales au plus : écrivez par exemple 5 ou 2,5."))

    def validate_quantity_pct(self, field):
        self.quantity_bp = self._pct(field)

    def validate_price_pct(self, field):
        self.price_bp = self._pct(field)

    def validate_amount_abs(self, field):
        try:
            self.amount_minor = parse_amount(field.data, "EUR", allow_zero=True)
        except MoneyError as error:
            raise ValidationError(in_user_language(error))
