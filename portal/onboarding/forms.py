"""The company identity form: every identifier checked with python-stdnum (portal/suppliers/identifiers)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portal.suppliers import identifiers
from portal.suppliers.forms import Identifier

LEGAL_FORMS = ["", "EI", "EIRL", "EURL", "SARL", "SAS", "SASU", "SA", "SNC", "SCOP", "Association"]


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class CompanyIdentityForm(FlaskForm):
    # Declared in validation order: the SIREN is checked before the SIRET and the VAT number that contain it.
    name = StringField(_l("Raison sociale"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez la raison sociale de l'entreprise.")),
                                   Length(max=70, message=_l("70 caractères au plus (limite des virements SEPA)."))])
    legal_form = SelectField(_l("Forme juridique"), choices=[(form, form or "—") for form in LEGAL_FORMS],
                             validate_choice=True)
    address = StringField(_l("Adresse"), filters=[_strip],
                          validators=[InputRequired(_l("Saisissez l'adresse du siège (numéro et rue).")),
                                      Length(max=120, message=_l("120 caractères au plus."))])
    postcode = StringField(_l("Code postal"), filters=[_strip],
                           validators=[InputRequired(_l("Saisissez le code postal.")),
                                       Length(max=10, message=_l("10 caractères au plus."))])
    city = StringField(_l("Ville"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez la ville.")),
                                   Length(max=60, message=_l("60 caractères au plus."))])
    siren = StringField(_l("SIREN"), filters=[_strip],
                        validators=[InputRequired(_l("Saisissez le SIREN (9 chiffres).")),
                                    Identifier(identifiers.check_siren)])
    siret = StringField(_l("SIRET du siège"), filters=[_strip],
                        validators=[Optional(), Identifier(identifiers.check_siret, siren="siren")],
                        description=_l("14 chiffres : le SIREN puis le numéro de l'établissement."))
    vat_number = StringField(_l("Numéro de TVA intracommunautaire"), filters=[_strip],
                             validators=[Optional(), Identifier(identifiers.check_vat_number, siren="siren")],
                             description=_l("FR puis 2 chiffres de clé et le SIREN."))
    iban = StringField(_l("IBAN du compte de l'entreprise"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez l'IBAN du compte qui paie les fournisseurs.")),
                                   Identifier(identifiers.check_iban)])
    bic = StringField(_l("BIC"), filters=[_strip], validators=[Optional(), Identifier(identifiers.check_bic)],
                      description=_l("Facultatif en SEPA ; certaines banques le demandent encore."))
