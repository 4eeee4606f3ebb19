"""Forms of the supplier pages (AP-SUP-1, AP-SUP-2): the python-stdnum checks of identifiers.py
wrapped as WTForms validators, so each message appears next to its field."""
import re

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.suppliers import identifiers

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
            raise ValidationError(str(error)) from None


def _siren_from_siret(form):
    siren = form.siren.data if not form.siren.errors else None
    if not siren and form.siret.data and not form.siret.errors:
        siren = form.siret.data[:9]
    return siren or None


class SupplierForm(FlaskForm):
    # Declared in validation order: the country and the SIREN are checked before what depends on them.
    name = StringField("Raison sociale", filters=[_strip],
                       validators=[InputRequired("Saisissez le nom du fournisseur."),
                                   Length(max=200, message="200 caractères au plus.")])
    country = SelectField("Pays", default="FR", validators=[Identifier(identifiers.check_country)],
                          validate_choice=False)
    siren = StringField("SIREN", filters=[_strip], validators=[Optional(), Identifier(identifiers.check_siren)],
                        description="9 chiffres, pour une entreprise française. Déduit du SIRET s'il est vide.")
    siret = StringField("SIRET", filters=[_strip],
                        validators=[Optional(), Identifier(identifiers.check_siret, siren="siren")],
                        description="14 chiffres : le SIREN puis le numéro de l'établissement qui facture.")
    vat_number = StringField("Numéro de TVA intracommunautaire", filters=[_strip], validators=[Optional()],
                             description="Le code du pays puis le numéro, par exemple FR44732829320.")
    address = TextAreaField("Adresse", filters=[_strip],
                            validators=[Length(max=1000, message="1000 caractères au plus.")])
    postal_code = StringField("Code postal", filters=[_strip],
                              validators=[Length(max=16, message="16 caractères au plus.")])
    city = StringField("Ville", filters=[_strip], validators=[Length(max=100, message="100 caractères au plus.")])
    payment_terms_days = IntegerField(
        "Délai de paiement (jours)", default=30,
        validators=[InputRequired("Saisissez un délai en jours (0 = paiement comptant)."),
                    NumberRange(0, MAX_PAYMENT_TERMS_DAYS, f"Entre 0 et {MAX_PAYMENT_TERMS_DAYS} jours.")],
        description="Nombre de jours entre la date de la facture et son échéance.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = identifiers.country_choices()

    def validate_vat_number(self, field):
        country = self.country.data if not self.country.errors else None
        try:
            field.data = identifiers.check_vat_number(field.data, country, _siren_from_siret(self))
        except identifiers.IdentifierError as error:
            raise ValidationError(str(error)) from None

    def supplier_data(self):
        return {name: self[name].data if self[name].data is not None else "" for name in
                ("name", "country", "siren", "siret", "vat_number", "address", "postal_code", "city",
                 "payment_terms_days")}


class BankDetailsForm(FlaskForm):
    iban = StringField("IBAN", filters=[_strip],
                       validators=[InputRequired("Saisissez l'IBAN du fournisseur."),
                                   Identifier(identifiers.check_iban)],
                       description="Recopié du RIB du fournisseur ; les espaces sont permis.")
    bic = StringField("BIC", filters=[_strip], validators=[Optional(), Identifier(identifiers.check_bic)],
                      description="8 ou 11 caractères. Facultatif pour un virement SEPA.")


class NewSupplierForm(SupplierForm):
    """Creation may carry bank details: they wait for a second user's approval like any change."""

    iban = StringField("IBAN (facultatif)", filters=[_strip],
                       validators=[Optional(), Identifier(identifiers.check_iban)],
                       description="Il ne servira aux paiements qu'une fois approuvé par un autre utilisateur.")
    bic = StringField("BIC (facultatif)", filters=[_strip], validators=[Optional(), Identifier(identifiers.check_bic)])

    def validate_bic(self, field):
        if field.data and not self.iban.data:
            raise ValidationError("Saisissez aussi l'IBAN, ou laissez le BIC vide.")


class ContactForm(FlaskForm):
    name = StringField("Nom", filters=[_strip],
                       validators=[InputRequired("Saisissez le nom du contact."),
                                   Length(max=120, message="120 caractères au plus.")])
    role = StringField("Fonction", filters=[_strip], validators=[Length(max=120, message="120 caractères au plus.")])
    email = StringField("E-mail", filters=[_strip],
                        validators=[Optional(), Length(max=254, message="254 caractères au plus.")])
    phone = StringField("Téléphone", filters=[_strip], validators=[Optional()])

    def validate_email(self, field):
        if not EMAIL_SHAPE.match(field.data):
            raise ValidationError("Adresse e-mail invalide : elle s'écrit nom@domaine.fr, sans espace.")

    def validate_phone(self, field):
        if not PHONE_SHAPE.match(field.data) or sum(c.isdigit() for c in field.data) < 6:
            raise ValidationError("Numéro de téléphone invalide : des chiffres, espaces, points ou tirets, "
                                  "avec + et l'indicatif pour l'étranger (+33 1 23 45 67 89).")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and not (self.email.data or self.phone.data):
            self.email.errors = list(self.email.errors) + ["Saisissez au moins une adresse e-mail ou un téléphone."]
            return False
        return valid

    def contact_data(self):
        return {name: self[name].data or "" for name in ("name", "role", "email", "phone")}
