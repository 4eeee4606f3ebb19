"""The bank account form (AP-CASH-1): IBAN checked with python-stdnum, a signed opening balance in
minor units and the day of that balance, each mistake told under its field."""
import datetime
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.money import MoneyError, parse_amount
from portal.reports.cashflow import OpeningDateError, check_opening_date

_SPACES = re.compile(r"[\s.\-/]")
_AMOUNT_SHAPE = re.compile(r"^[0-9][0-9 \u00a0\u202f]*(?:[.,]([0-9]+))?$")


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class ShopField(SelectField):
    """A shop among the user's (choices set by the view); anything else is one clear message."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, coerce=str, **kwargs)

    def pre_validate(self, form):
        if self.data not in {str(value) for value, _label in self.choices}:
            raise ValidationError(_l("Choisissez une boutique de la liste."))

    @property
    def shop_id(self):
        return int(self.data)


class IbanField(StringField):
    """An IBAN, kept compact (FR76…); python-stdnum checks country, length and check digits."""

    def pre_validate(self, form):
        number = _SPACES.sub("", self.data or "").upper()
        if not number:
            return
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}", number):
            raise ValidationError(_l("Un IBAN commence par 2 lettres (le pays) et 2 chiffres, suivis de 8 à 30 "
                                     "lettres ou chiffres : FR76 3000 6000 0112 3456 7890 189."))
        try:
            self.data = stdnum_iban.validate(number)
        except StdnumError:
            raise ValidationError(_l("IBAN invalide : la clé ne correspond pas ou la longueur ne va pas pour ce "
                                     "pays ; recopiez-le depuis le relevé d'identité bancaire.")) from None


class SignedAmountField(StringField):
    """An amount that may be negative (an overdraft), two decimals at most; `.minor` once valid."""

    minor = None

    def pre_validate(self, form):
        self.minor = None
        raw = (self.data or "").strip().replace("\u2212", "-")
        negative = raw.startswith("-")
        text = raw[1:].strip() if negative else raw
        if not text:
            return
        shape = _AMOUNT_SHAPE.match(text)
        if shape and shape.group(1) and len(shape.group(1)) > 2:
            raise ValidationError(_l("Deux décimales au plus : par exemple 12,35 et non 12,3456."))
        try:
            minor = parse_amount(text, "EUR", allow_zero=True)
        except MoneyError:
            if shape and len(text) <= 40:
                raise ValidationError(_l("Montant trop élevé.")) from None
            raise ValidationError(_l("Montant illisible : écrivez par exemple 1 234,56 ou -250,00.")) from None
        self.minor = -minor if negative else minor


class OpeningDateField(StringField):
    """The day of the opening balance: 2026-12-01 (the date picker) or 01/12/2026, not after today."""

    day = None
    today = None  # set by the view: the merchant's day

    def pre_validate(self, form):
        self.day = None
        text = (self.data or "").strip()
        if not text:
            return
        day = None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = datetime.datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        if day is None:
            raise ValidationError(_l("Date illisible : choisissez-la dans le calendrier ou écrivez 01/12/2026."))
        try:
            self.day = check_opening_date(day, self.today or datetime.date.today())
        except OpeningDateError as error:
            if error.reason == "future":
                raise ValidationError(_l("Un solde d'ouverture est un solde connu : choisissez aujourd'hui ou "
                                         "un jour passé.")) from None
            raise ValidationError(_l("Date trop ancienne : l'an 2000 au plus tôt.")) from None


class BankAccountForm(FlaskForm):
    shop = ShopField(_l("Boutique"), description=_l("Ses remises carte et ses règlements fournisseurs passent "
                                                      "par ce compte (le premier compte saisi pour la boutique)."))
    label = StringField(_l("Nom du compte"), filters=[_strip],
                        validators=[InputRequired(_l("Donnez un nom au compte, par exemple « Compte courant ».")),
                                    Length(max=70, message=_l("70 caractères au plus."))])
    iban = IbanField(_l("IBAN"), filters=[_strip], validators=[InputRequired(_l("Saisissez l'IBAN du compte."))])
    opening_balance = SignedAmountField(
        _l("Solde d'ouverture (€)"), filters=[_strip],
        validators=[InputRequired(_l("Saisissez le solde, par exemple 1 234,56 ou -250,00 pour un découvert."))],
        description=_l("Le solde du relevé au début de ce jour, avant ses opérations."))
    opening_date = OpeningDateField(_l("Date du solde"), validators=[InputRequired(_l("Saisissez la date du solde."))])
