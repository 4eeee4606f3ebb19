"""Forms of purchase requests and orders (lines: description, quantity, unit price, VAT rate) and
of delivery notes. The line sub-form is shared with manual invoice entry."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.money import MAX_MINOR_UNITS, MoneyError, parse_amount
from portal.numbers import coerce_id
from portal.purchasing.amounts import VAT_RATES, QuantityError, format_rate, line_net, parse_quantity
from portal.texts import in_user_language

CURRENCIES = [("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("CHF", "CHF"), ("JPY", "JPY")]


class LineForm(Form):
    """One line; `quantity_milli` and `unit_price_minor` hold the parsed values after validation."""

    description = StringField(_l("Désignation"), validators=[InputRequired(_l("Décrivez l'article.")), Length(max=300)])
    quantity = StringField(_l("Quantité"), validators=[InputRequired(_l("Saisissez une quantité."))])
    unit_price = StringField(_l("Prix unitaire HT"), validators=[InputRequired(_l("Saisissez un prix unitaire."))])
    vat_rate = SelectField(_l("TVA"), choices=[(str(rate), format_rate(rate)) for rate in VAT_RATES], default="2000")

    quantity_milli = None
    unit_price_minor = None

    def validate_quantity(self, field):
        try:
            self.quantity_milli = parse_quantity(field.data)
        except QuantityError as error:
            raise ValidationError(in_user_language(error))

    def validate_unit_price(self, field):
        currency = getattr(self.meta, "currency", None) or "EUR"
        try:
            self.unit_price_minor = parse_amount(field.data, currency, allow_zero=True)
        except MoneyError as error:
            raise ValidationError(in_user_language(error))
        if self.quantity_milli is not None and line_net(self.quantity_milli, self.unit_price_minor) > MAX_MINOR_UNITS:
            raise ValidationError(_("Montant de la ligne trop élevé : réduisez la quantité ou le prix."))


def blank_line_rows(form, count=1):
    while len(form.lines) < count:
        form.lines.append_entry()


class LinesMixin:
    def parsed_lines(self):
        from portal.purchasing.service import LineInput

        return [LineInput(entry.form.description.data.strip(), entry.form.quantity_milli,
                          entry.form.unit_price_minor, int(entry.form.vat_rate.data))
                for entry in self.lines]

    def set_line_currency(self):
        for entry in self.lines:
            entry.form.meta.currency = self.currency.data


class PurchaseRequestForm(LinesMixin, FlaskForm):
    shop = SelectField(_l("Boutique"), coerce=coerce_id)
    title = StringField(_l("Objet de la demande"), validators=[InputRequired(_l("Donnez un objet à la demande.")),
                                                           Length(max=200)])
    supplier = SelectField(_l("Fournisseur pressenti (facultatif)"), coerce=coerce_id)
    currency = SelectField(_l("Devise"), choices=CURRENCIES, default="EUR")
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate(self, extra_validators=None):
        self.set_line_currency()
        return super().validate(extra_validators)


class PurchaseOrderForm(LinesMixin, FlaskForm):
    shop = SelectField(_l("Boutique"), coerce=coerce_id)
    supplier = SelectField(_l("Fournisseur"), coerce=coerce_id)
    currency = SelectField(_l("Devise"), choices=CURRENCIES, default="EUR")
    notes = TextAreaField(_l("Conditions, adresse de livraison (facultatif)"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate_supplier(self, field):
        if not field.data:
            raise ValidationError(_("Choisissez le fournisseur."))

    def validate(self, extra_validators=None):
        self.set_line_currency()
        return super().validate(extra_validators)


class OrderFromRequestForm(FlaskForm):
    supplier = SelectField(_l("Fournisseur"), coerce=coerce_id)

    def validate_supplier(self, field):
        if not field.data:
            raise ValidationError(_("Choisissez le fournisseur."))


class DeliveryForm(FlaskForm):
    reference = StringField(_l("N° du bon de livraison du fournisseur"), validators=[Optional(), Length(max=64)])
    received_on = DateField(_l("Date de réception"), validators=[InputRequired(_l("Saisissez la date de réception."))])
