"""Forms of the supplier pages (AP-SUP-1, AP-SUP-2): the python-stdnum checks of identifiers.py
wrapped as WTForms validators, so each message appears next to its field."""
import re

from flask_babel import get_locale, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.suppliers import identifiers
from portal.texts import in_user_language

MAX_PAYMENT_TERMS_DAYS = 365
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_SHAPE = re.compile(r"^\+?[0-9 ().\-]{6,30}$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class Identifier:
    """Validator running one identifiers.check_* function; the field keeps the compact value.

    `related` maps a keyword of the check to another field of the form (checked before this one);
    a related field that has errors is left out, so that one mistake is reported once."""

    def __init__(self, check, **related):
        self.check = check
        self.related = related

    def __call__(self, form, field):
        kwargs = {}
        for keyword, name in self.related.items():
            other = form[name]
            kwargs[keyword] = None if other.errors else (other.data or None)
        try:
            field.data = self.check(field.data, **kwargs)
        except identifiers.IdentifierError as error:
            raise ValidationError(in_user_language(error)) from None


def _siren_from_siret(form):
    siren = form.siren.data if not form.siren.errors else None
    if not siren and form.siret.data and not form.siret.errors:
        siren = form.siret.data[:9]
    return siren or None


class SupplierForm(FlaskForm):
    # Declared in validation order: the country and the SIREN are checked before what depends on them.
    name = StringField(_l("Raison sociale"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez le nom du fournisseur.")),
                                   Length(max=200, message=_l("%(max)s caractères au plus.", max=200))])
    country = SelectField(_l("Pays"), default="FR", validators=[Identifier(identifiers.check_country)],
                          validate_choice=False)
    siren = StringField(_l("SIREN"), filters=[_strip], validators=[Optional(), Identifier(identifiers.check_siren)],
                        description=_l("9 chiffres, pour une entreprise française. Déduit du SIRET s'il est vide."))
    siret = StringField(_l("SIRET"), filters=[_strip],
                        validators=[Optional(), Identifier(identifiers.check_siret, siren="siren")],
                        description=_l("14 chiffres : le SIREN puis le numéro de l'établissement qui facture."))
    vat_number = StringField(_l("Numéro de TVA intracommunautaire"), filters=[_strip], validators=[Optional()],
                             description=_l("Le code du pays puis le numéro, par exemple FR44732829320."))
    address = TextAreaField(_l("Adresse"), filters=[_strip],
                            validators=[Length(max=1000, message=_l("%(max)s caractères au plus.", max=1000))])
    postal_code = StringField(_l("Code postal"), filters=[_strip],
                              validators=[Length(max=16, message=_l("%(max)s caractères au plus.", max=16))])
    city = StringField(_l("Ville"), filters=[_strip], validators=[Length(max=100, message=_l("%(max)s caractères au plus.", max=100))])
    payment_terms_days = IntegerField(
        _l("Délai de paiement (jours)"), default=30,
        validators=[InputRequired(_l("Saisissez un délai en jours (0 = paiement comptant).")),
                    NumberRange(0, MAX_PAYMENT_TERMS_DAYS, _l("Entre 0 et %(max)s jours.", max=MAX_PAYMENT_TERMS_DAYS))],
        description=_l("Nombre de jours entre la date de la facture et son échéance."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = identifiers.country_choices(str(get_locale() or "fr"))

    def validate_vat_number(self, field):
        country = self.country.data if not self.country.errors else None
        try:
            field.data = identifiers.check_vat_number(field.data, country, _siren_from_siret(self))
        except identifiers.IdentifierError as error:
            raise ValidationError(in_user_language(error)) from None

    def supplier_data(self):
        return {name: self[name].data if self[name].data is not None else "" for name in
                ("name", "country", "siren", "siret", "vat_number", "address", "postal_code", "city",
                 "payment_terms_days")}


class BankDetailsForm(FlaskForm):
    iban = StringField(_l("IBAN"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez l'IBAN du fournisseur.")),
                                   Identifier(identifiers.check_iban)],
                       description=_l("Recopié du RIB du fournisseur ; les espaces sont permis."))
    bic = StringField(_l("BIC"), filters=[_strip], validators=[Optional(), Identifier(identifiers.check_bic)],
                      description=_l("8 ou 11 caractères. Facultatif pour un virement SEPA."))


class NewSupplierForm(SupplierForm):
    """Creation may carry bank details: they wait for a second user's approval like any change."""

    iban = StringField(_l("IBAN (facultatif)"), filters=[_strip],
                       validators=[Optional(), Identifier(identifiers.check_iban)],
                       description=_l("Il ne servira aux paiements qu'une fois approuvé par un autre utilisateur."))
    bic = StringField(_l("BIC (facultatif)"), filters=[_strip], validators=[Optional(), Identifier(identifiers.check_bic)])

    def validate_bic(self, field):
        if field.data and not self.iban.data:
            raise ValidationError(_l("Saisissez aussi l'IBAN, ou laissez le BIC vide."))


class ContactForm(FlaskForm):
    name = StringField(_l("Nom"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez le nom du contact.")),
                                   Length(max=120, message=_l("%(max)s caractères au plus.", max=120))])
    role = StringField(_l("Fonction"), filters=[_strip], validators=[Length(max=120, message=_l("%(max)s caractères au plus.", max=120))])
    email = StringField(_l("E-mail"), filters=[_strip],
                        validators=[Optional(), Length(max=254, message=_l("%(max)s caractères au plus.", max=254))])
    phone = StringField(_l("Téléphone"), filters=[_strip], validators=[Optional()])

    def validate_email(self, field):
        if not EMAIL_SHAPE.match(field.data):
            raise ValidationError(_l("Adresse e-mail invalide : elle s'écrit nom@domaine.fr, sans espace."))

    def validate_phone(self, field):
        if not PHONE_SHAPE.match(field.data) or sum(c.isdigit() for c in field.data) < 6:
            raise ValidationError(_l("Numéro de téléphone invalide : des chiffres, espaces, points ou tirets, "
                                     "avec + et l'indicatif pour l'étranger (+33 1 23 45 67 89)."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and not (self.email.data or self.phone.data):
            self.email.errors = list(self.email.errors) + [_l("Saisissez au moins une adresse e-mail ou un téléphone.")]
            return False
        return valid

    def contact_data(self):
        return {name: self[name].data or "" for name in ("name", "role", "email", "phone")}
