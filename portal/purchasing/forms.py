"""Forms of purchase requests and orders (lines: description, quantity, unit price, VAT rate) and
of delivery notes. The line sub-form is shared with manual invoice entry."""
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.money import MAX_MINOR_UNITS, MoneyError, parse_amount
from portal.purchasing.amounts import VAT_RATES, QuantityError, format_rate, line_net, parse_quantity

CURRENCIES = [("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("CHF", "CHF"), ("JPY", "JPY")]


class LineForm(Form):
    """One line; `quantity_milli` and `unit_price_minor` hold the parsed values after validation."""

    description = StringField("Désignation", validators=[InputRequired("Décrivez l'article."), Length(max=300)])
    quantity = StringField("Quantité", validators=[InputRequired("Saisissez une quantité.")])
    unit_price = StringField("Prix unitaire HT", validators=[InputRequired("Saisissez un prix unitaire.")])
    vat_rate = SelectField("TVA", choices=[(str(rate), format_rate(rate)) for rate in VAT_RATES], default="2000")

    quantity_milli = None
    unit_price_minor = None

    def validate_quantity(self, field):
        try:
            self.quantity_milli = parse_quantity(field.data)
        except QuantityError as error:
            raise ValidationError(str(error))

    def validate_unit_price(self, field):
        currency = getattr(self.meta, "currency", None) or "EUR"
        try:
            self.unit_price_minor = parse_amount(field.data, currency, allow_zero=True)
        except MoneyError as error:
            raise ValidationError(str(error))
        if self.quantity_milli is not None and line_net(self.quantity_milli, self.unit_price_minor) > MAX_MINOR_UNITS:
            raise ValidationError("Montant de la ligne trop élevé : réduisez la quantité ou le prix.")


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
    shop = SelectField("Boutique", coerce=int)
    title = StringField("Objet de la demande", validators=[InputRequired("Donnez un objet à la demande."),
                                                           Length(max=200)])
    supplier = SelectField("Fournisseur pressenti (facultatif)", coerce=int)
    currency = SelectField("Devise", choices=CURRENCIES, default="EUR")
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate(self, extra_validators=None):
        self.set_line_currency()
        return super().validate(extra_validators)


class PurchaseOrderForm(LinesMixin, FlaskForm):
    shop = SelectField("Boutique", coerce=int)
    supplier = SelectField("Fournisseur", coerce=int)
    currency = SelectField("Devise", choices=CURRENCIES, default="EUR")
    notes = TextAreaField("Conditions, adresse de livraison (facultatif)", validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate_supplier(self, field):
        if not field.data:
            raise ValidationError("Choisissez le fournisseur.")

    def validate(self, extra_validators=None):
        self.set_line_currency()
        return super().validate(extra_validators)


class OrderFromRequestForm(FlaskForm):
    supplier = SelectField("Fournisseur", coerce=int)

    def validate_supplier(self, field):
        if not field.data:
            raise ValidationError("Choisissez le fournisseur.")


class DeliveryForm(FlaskForm):
    reference = StringField("N° du bon de livraison du fournisseur", validators=[Optional(), Length(max=64)])
    received_on = DateField("Date de réception", validators=[InputRequired("Saisissez la date de réception.")])
