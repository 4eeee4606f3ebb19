"""Forms of the card payment pages: new payment (PAY-NEW-1) and the inline operations (PAY-OP-1)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.money import MoneyError, parse_amount
from portal.payments.cards import CardError, check_cvv, check_number, detect_networks, parse_expiry
from portal.payments.lifecycle import MAX_CAPTURE_DELAY

CURRENCIES = [("EUR", "EUR — euro"), ("USD", "USD — dollar américain"), ("GBP", "GBP — livre sterling"),
              ("CHF", "CHF — franc suisse"), ("JPY", "JPY — yen"), ("KWD", "KWD — dinar koweïtien")]
CAPTURE_MODES = [("AUTO", "Automatique : envoi en banque après le délai"),
                 ("VALIDATION", "Par validation : rien ne part en banque sans votre validation")]
REFERENCE_RULE = Regexp(r"^[A-Za-z0-9]{1,35}$",
                        message="Jusqu'à 35 lettres ou chiffres, sans espace ni accent.")


class AmountField(StringField):
    """An amount typed in French or dot form; `.minor` holds the parsed minor units (MONEY-2)."""

    minor = None

    def pre_validate(self, form):
        self.minor = None
        try:
            self.minor = parse_amount(self.data, form.amount_currency())
        except MoneyError as error:
            raise ValidationError(str(error))


class NewPaymentForm(FlaskForm):
    shop = SelectField("Boutique", coerce=int)
    card_number = StringField("Numéro de carte", validators=[InputRequired("Saisissez le numéro de la carte.")],
                              description="Les numéros de test sont sur la page « Cartes de test ».")
    network = RadioField("Réseau", choices=[], validate_choice=False)
    expiry = StringField("Date d'expiration (MM/AA)", validators=[InputRequired("Saisissez la date d'expiration.")])
    cvv = PasswordField("Cryptogramme visuel",
                        description="3 chiffres au dos de la carte (4 au recto pour American Express). Jamais conservé.")
    reference = StringField("Référence de la transaction", validators=[InputRequired("Saisissez une référence."),
                                                                       REFERENCE_RULE],
                            description="Générée automatiquement ; vous pouvez la remplacer (unique par boutique).")
    amount = AmountField("Montant", validators=[InputRequired("Saisissez un montant.")])
    currency = SelectField("Devise", choices=CURRENCIES, default="EUR")
    capture_mode = RadioField("Mode d'envoi en banque", choices=CAPTURE_MODES, default="AUTO")
    capture_delay = IntegerField(
        "Délai d'envoi en banque (jours)", default=0,
        validators=[InputRequired("Saisissez un délai (0 = le jour même)."),
                    NumberRange(0, MAX_CAPTURE_DELAY, f"Entre 0 et {MAX_CAPTURE_DELAY} jours.")],
        description="0 = envoi le jour même. En mode validation, c'est le délai pour valider.")
    order_reference = StringField("Référence de commande (facultatif)", validators=[Optional(), Length(max=64)])
    customer_code = StringField("Code client (facultatif)", validators=[Optional(), Length(max=64)])
    free_info = StringField("Informations libres (facultatif)", validators=[Optional(), Length(max=255)])
    idempotency_key = HiddenField()

    card_digits = None
    networks = ()
    expiry_value = None

    def amount_currency(self):
        return self.currency.data or "EUR"

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today

    def validate_card_number(self, field):
        try:
            self.card_digits = check_number(field.data)
        except CardError as error:
            raise ValidationError(str(error))
        self.networks = detect_networks(self.card_digits)

    def validate_network(self, field):
        if self.networks and field.data and field.data not in self.networks:
            raise ValidationError("Choisissez un des réseaux de la carte.")

    def validate_expiry(self, field):
        try:
            self.expiry_value = parse_expiry(field.data, self._today)
        except CardError as error:
            raise ValidationError(str(error))

    def validate_cvv(self, field):
        try:
            check_cvv(field.data, self.networks)
        except CardError as error:
            raise ValidationError(str(error))


class OperationForm(FlaskForm):
    """Validate, cancel or refund: an amount, pre-filled with the maximum."""

    amount = AmountField("Montant", validators=[InputRequired("Saisissez un montant.")])
    idempotency_key = HiddenField()
    context = HiddenField(default="detail")

    def __init__(self, *args, currency="EUR", **kwargs):
        super().__init__(*args, **kwargs)
        self._currency = currency

    def amount_currency(self):
        return self._currency


class DuplicateForm(OperationForm):
    """Duplicate: every field may change except the card (PAY-DUP-1)."""

    reference = StringField("Nouvelle référence", validators=[InputRequired("Saisissez une référence."),
                                                              REFERENCE_RULE])
    network = RadioField("Réseau", choices=[], validate_choice=False)
    capture_mode = RadioField("Mode d'envoi en banque", choices=CAPTURE_MODES, default="AUTO")
    capture_delay = IntegerField("Délai d'envoi en banque (jours)", default=0,
                                 validators=[InputRequired("Saisissez un délai (0 = le jour même)."),
                                             NumberRange(0, MAX_CAPTURE_DELAY, f"Entre 0 et {MAX_CAPTURE_DELAY} jours.")])
    order_reference = StringField("Référence de commande", validators=[Optional(), Length(max=64)])
    customer_code = StringField("Code client", validators=[Optional(), Length(max=64)])
    free_info = StringField("Informations libres", validators=[Optional(), Length(max=255)])
