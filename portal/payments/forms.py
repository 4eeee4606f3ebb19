"""Forms of the card payment pages: new payment (PAY-NEW-1), payment in instalments (PAY-INST-2),
wallets (PAY-WAL-1) and the inline operations (PAY-OP-1). Labels and messages go through Babel
(LOC-3); the rule modules' French messages are translated here, next to the field."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, PasswordField, RadioField,
                     SelectField, StringField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.money import MoneyError, parse_amount
from portal.numbers import coerce_id
from portal.payments.cards import CardError, check_cvv, check_number, clean_number, detect_networks, parse_expiry
from portal.payments.instalments import (BASE_REFERENCE_MAX, EVERY_N_DAYS, MAX_INSTALMENTS, MAX_PERIOD_DAYS,
                                         MIN_INSTALMENTS, MONTHLY, check_schedule)
from portal.payments.lifecycle import MAX_CAPTURE_DELAY
from portal.payments.wallets import WALLET_ID_SHAPE
from portal.texts import in_user_language

CURRENCIES = [("EUR", _l("EUR — euro")), ("USD", _l("USD — dollar américain")), ("GBP", _l("GBP — livre sterling")),
              ("CHF", _l("CHF — franc suisse")), ("JPY", _l("JPY — yen")), ("KWD", _l("KWD — dinar koweïtien"))]
CAPTURE_MODES = [("AUTO", _l("Automatique : envoi en banque après le délai")),
                 ("VALIDATION", _l("Par validation : rien ne part en banque sans votre validation"))]
REFERENCE_RULE = Regexp(r"^[A-Za-z0-9]{1,35}$", message=_l("Jusqu'à 35 lettres ou chiffres, sans espace ni accent."))
BASE_REFERENCE_RULE = Regexp(r"^[A-Za-z0-9]{1,%d}$" % BASE_REFERENCE_MAX,
                             message=_l("Jusqu'à 32 lettres ou chiffres, sans espace ni accent (chaque échéance "
                                        "ajoute E01, E02…)."))
DELAY_RULE = NumberRange(0, MAX_CAPTURE_DELAY, _l("Entre 0 et %(max)s jours.", max=MAX_CAPTURE_DELAY))
SCHEDULE_TYPES = [(EVERY_N_DAYS, _l("Tous les n jours")), (MONTHLY, _l("Tous les mois, le même jour"))]


def spaced(number):
    """A card number grouped by 4 for reading: 4300 0000 0000 0900."""
    digits = clean_number(number)
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


class AmountField(StringField):
    """An amount typed in French or dot form; `.minor` holds the parsed minor units (MONEY-2)."""

    minor = None

    def pre_validate(self, form):
        self.minor = None
        if not self.flags.required and not (self.data or "").strip():
            return
        try:
            self.minor = parse_amount(self.data, form.amount_currency())
        except MoneyError as error:
            raise ValidationError(in_user_language(error))


class CardFields:
    """Card number, networks and expiry, shared by the new-payment and the instalment forms."""

    card_digits = None
    networks = ()
    expiry_value = None
    _today = None
    network_lookup = None  # set by the page: number -> the networks the chosen shop's gateway knows (PAY-ACQ-3)

    def validate_card_number(self, field):
        try:
            self.card_digits = check_number(field.data)
        except CardError as error:
            raise ValidationError(in_user_language(error))
        lookup = self.network_lookup or detect_networks
        self.networks = lookup(self.card_digits)
        field.data = spaced(self.card_digits)

    def validate_network(self, field):
        if self.networks and field.data and field.data not in self.networks:
            raise ValidationError(_("Choisissez un des réseaux de la carte."))

    def validate_expiry(self, field):
        try:
            self.expiry_value = parse_expiry(field.data, self._today)
        except CardError as error:
            raise ValidationError(in_user_language(error))
        field.data = str(self.expiry_value)  # 1229, 12/2029 or 12 / 29 are shown 12/29

    def validate_cvv(self, field):
        try:
            check_cvv(field.data, self.networks)
        except CardError as error:
            raise ValidationError(in_user_language(error))


class NewPaymentForm(CardFields, FlaskForm):
    shop = SelectField(_l("Boutique"), coerce=coerce_id)
    card_number = StringField(_l("Numéro de carte"), validators=[InputRequired(_l("Saisissez le numéro de la carte."))],
                              description=_l("Les numéros de test sont sur la page « Cartes de test »."))
    network = RadioField(_l("Réseau"), choices=[], validate_choice=False)
    expiry = StringField(_l("Date d'expiration (MM/AA)"),
                         validators=[InputRequired(_l("Saisissez la date d'expiration."))])
    cvv = PasswordField(_l("Cryptogramme visuel"),
                        description=_l("3 chiffres au dos de la carte (4 au recto pour American Express). "
                                       "Jamais conservé."))
    reference = StringField(_l("Référence de la transaction"),
                            validators=[InputRequired(_l("Saisissez une référence.")), REFERENCE_RULE],
                            description=_l("Générée automatiquement ; vous pouvez la remplacer (unique par boutique)."))
    amount = AmountField(_l("Montant"), validators=[InputRequired(_l("Saisissez un montant."))])
    currency = SelectField(_l("Devise"), choices=CURRENCIES, default="EUR")
    capture_mode = RadioField(_l("Mode d'envoi en banque"), choices=CAPTURE_MODES, default="AUTO")
    capture_delay = IntegerField(
        _l("Délai d'envoi en banque (jours)"), default=0,
        validators=[InputRequired(_l("Saisissez un délai (0 = le jour même).")), DELAY_RULE],
        description=_l("0 = envoi le jour même. En mode validation, c'est le délai pour valider."))
    order_reference = StringField(_l("Référence de commande (facultatif)"), validators=[Optional(), Length(max=64)])
    customer_code = StringField(_l("Code client (facultatif)"), validators=[Optional(), Length(max=64)])
    free_info = StringField(_l("Informations libres (facultatif)"), validators=[Optional(), Length(max=255)])
    save_card = BooleanField(_l("Enregistrer la carte dans le portefeuille du client"))
    wallet_id = StringField(_l("Identifiant du portefeuille"), validators=[Length(max=64)],
                            description=_l("Par exemple le code ou l'e-mail du client : il retrouvera sa carte "
                                           "sous cet identifiant."))
    wallet_label = StringField(_l("Libellé de la carte (facultatif)"), validators=[Optional(), Length(max=50)])
    idempotency_key = HiddenField()

    def amount_currency(self):
        return self.currency.data or "EUR"

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today

    def validate_wallet_id(self, field):
        if not self.save_card.data:
            return
        if not (field.data or "").strip():
            raise ValidationError(_("Saisissez l'identifiant du portefeuille où garder la carte."))
        if not WALLET_ID_SHAPE.match(field.data.strip()):
            raise ValidationError(_("De 1 à 64 lettres, chiffres ou - _ . @, sans espace."))


class ScheduleLineForm(Form):
    """One line of the schedule: its date and amount, both editable (PAY-INST-2)."""

    due_date = StringField(_l("Date"))
    amount = StringField(_l("Montant"))


def _parse_day(text):
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class InstalmentForm(CardFields, FlaskForm):
    """A payment in instalments (PAY-INST-2): the figures that pre-fill the schedule, then the schedule."""

    shop = SelectField(_l("Boutique"), coerce=coerce_id)
    card_number = NewPaymentForm.card_number
    network = RadioField(_l("Réseau"), choices=[], validate_choice=False)
    expiry = NewPaymentForm.expiry
    cvv = PasswordField(_l("Cryptogramme visuel"),
                        description=_l("Demandé à la confirmation, pour la première échéance. Jamais conservé."))
    reference = StringField(_l("Référence de base"),
                            validators=[InputRequired(_l("Saisissez une référence.")), BASE_REFERENCE_RULE],
                            description=_l("Chaque échéance prend cette référence suivie de E01, E02…"))
    amount = AmountField(_l("Montant total"), validators=[InputRequired(_l("Saisissez un montant."))])
    currency = SelectField(_l("Devise"), choices=CURRENCIES, default="EUR")
    count = IntegerField(_l("Nombre d'échéances"), default=3,
                         validators=[InputRequired(_l("Saisissez le nombre d'échéances.")),
                                     NumberRange(MIN_INSTALMENTS, MAX_INSTALMENTS,
                                                 _l("De %(min)s à %(max)s échéances.", min=MIN_INSTALMENTS,
                                                    max=MAX_INSTALMENTS))])
    schedule_type = RadioField(_l("Type d'échéancier"), choices=SCHEDULE_TYPES, default=EVERY_N_DAYS)
    period_days = IntegerField(_l("Périodicité (jours)"), default=30,
                               validators=[Optional(), NumberRange(1, MAX_PERIOD_DAYS,
                                                                   _l("Entre 1 et %(max)s jours.",
                                                                      max=MAX_PERIOD_DAYS))])
    first_amount = AmountField(_l("Montant de la première échéance (facultatif)"), validators=[Optional()],
                               description=_l("Vide : des échéances égales, les centimes en trop sur la première."))
    order_reference = NewPaymentForm.order_reference
    customer_code = NewPaymentForm.customer_code
    free_info = NewPaymentForm.free_info
    lines = FieldList(FormField(ScheduleLineForm), max_entries=MAX_INSTALMENTS)
    idempotency_key = HiddenField()

    schedule = None  # [(date, minor)] once the lines are read and checked
    schedule_errors = ()

    def __init__(self, *args, today=None, ask_cvv=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today
        self._ask_cvv = ask_cvv

    def amount_currency(self):
        return self.currency.data or "EUR"

    def validate_cvv(self, field):
        if self._ask_cvv:
            super().validate_cvv(field)

    def validate_period_days(self, field):
        if self.schedule_type.data == EVERY_N_DAYS and field.data is None:
            raise ValidationError(_("Saisissez la périodicité en jours."))

    def read_schedule(self, fmt=str):
        """Read the schedule lines: a message under each unreadable or wrong cell, and overall
        messages (sum, count) in `schedule_errors`. True when the schedule can be created."""
        lines = []
        currency = self.amount_currency()
        for entry in self.lines:
            day = _parse_day(entry.form.due_date.data)
            if day is None:
                entry.form.due_date.errors = [_("Date au format JJ/MM/AAAA.")]
            try:
                amount = parse_amount(entry.form.amount.data, currency)
            except MoneyError as error:
                amount = None
                entry.form.amount.errors = [in_user_language(error)]
            lines.append((day, amount))
        if self.amount.minor is None:
            return False
        last_day = self.expiry_value.last_day() if self.expiry_value else None
        check = check_schedule(lines, self.amount.minor, self._today, last_day, fmt)
        for index, messages in check.lines.items():
            for name, message in messages.items():
                self.lines[index].form[name].errors = [_(message.template, **message.params)]
        self.schedule_errors = [_(message.template, **message.params) for message in check.overall]
        readable = all(day is not None and amount is not None for day, amount in lines)
        if readable and check.ok:
            self.schedule = lines
            return True
        return False


class WalletPaymentForm(FlaskForm):
    """A new payment on a card kept in a wallet (PAY-DUP-1 rules: only the card cannot change)."""

    reference = StringField(_l("Référence de la transaction"),
                            validators=[InputRequired(_l("Saisissez une référence.")), REFERENCE_RULE])
    amount = AmountField(_l("Montant"), validators=[InputRequired(_l("Saisissez un montant."))])
    currency = SelectField(_l("Devise"), choices=CURRENCIES, default="EUR")
    network = RadioField(_l("Réseau"), choices=[], validate_choice=False)
    capture_mode = RadioField(_l("Mode d'envoi en banque"), choices=CAPTURE_MODES, default="AUTO")
    capture_delay = IntegerField(_l("Délai d'envoi en banque (jours)"), default=0,
                                 validators=[InputRequired(_l("Saisissez un délai (0 = le jour même).")), DELAY_RULE])
    order_reference = NewPaymentForm.order_reference
    customer_code = NewPaymentForm.customer_code
    free_info = NewPaymentForm.free_info
    idempotency_key = HiddenField()

    def amount_currency(self):
        return self.currency.data or "EUR"


class DeleteMeanForm(FlaskForm):
    """The confirmation of a wallet card's deletion (CSRF only)."""


class OperationForm(FlaskForm):
    """Validate, cancel or refund: an amount, pre-filled with the maximum."""

    amount = AmountField(_l("Montant"), validators=[InputRequired(_l("Saisissez un montant."))])
    idempotency_key = HiddenField()
    context = HiddenField(default="detail")

    def __init__(self, *args, currency="EUR", **kwargs):
        super().__init__(*args, **kwargs)
        self._currency = currency

    def amount_currency(self):
        return self._currency


class DuplicateForm(OperationForm):
    """Duplicate: every field may change except the card (PAY-DUP-1)."""

    reference = StringField(_l("Nouvelle référence"), validators=[InputRequired(_l("Saisissez une référence.")),
                                                                  REFERENCE_RULE])
    network = RadioField(_l("Réseau"), choices=[], validate_choice=False)
    capture_mode = RadioField(_l("Mode d'envoi en banque"), choices=CAPTURE_MODES, default="AUTO")
    capture_delay = IntegerField(_l("Délai d'envoi en banque (jours)"), default=0,
                                 validators=[InputRequired(_l("Saisissez un délai (0 = le jour même).")), DELAY_RULE])
    order_reference = StringField(_l("Référence de commande"), validators=[Optional(), Length(max=64)])
    customer_code = StringField(_l("Code client"), validators=[Optional(), Length(max=64)])
    free_info = StringField(_l("Informations libres"), validators=[Optional(), Length(max=255)])
