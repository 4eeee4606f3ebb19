"""Forms of the accounting pages: the export period, the chart of accounts (checked by
accounts.build_config, each message next to its field) and the company identity."""
import datetime

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.accounting.accounts import ACCOUNT_ROLES, build_config
from portal.accounting.fec import ENCODINGS
from portal.suppliers import identifiers
from portal.suppliers.forms import Identifier


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PeriodForm(FlaskForm):
    """Read from the query string (a GET form: the export links carry the period)."""

    class Meta:
        csrf = False

    du = DateField("Du", validators=[InputRequired("Saisissez la date de début de la période.")])
    au = DateField("Au (date de clôture)", validators=[InputRequired("Saisissez la date de fin de la période.")],
                   description="Le FEC est nommé d'après cette date.")
    boutique = SelectField("Boutique", coerce=str, default="", validate_choice=True)
    encodage = SelectField("Encodage du FEC", choices=list(ENCODINGS.items()), default="utf-8")

    def validate_au(self, field):
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError("La date de fin doit suivre la date de début.")
        if field.data and self.du.data and (field.data - self.du.data).days > 731:
            raise ValidationError("Une période compte au plus 24 mois (le premier exercice d'une société).")

    @staticmethod
    def current_year(today=None):
        today = today or datetime.date.today()
        return {"du": datetime.date(today.year, 1, 1).isoformat(), "au": datetime.date(today.year, 12, 31).isoformat()}


class AccountsForm(FlaskForm):
    suppliers = StringField("Fournisseurs (collectif)", filters=[_strip],
                            description="Le compte auxiliaire de chaque fournisseur est ce compte suivi d'un code "
                                        "(401DUPONT).")
    expense_default = StringField("Compte de charges par défaut", filters=[_strip],
                                  description="Pour une facture sans compte de charges choisi.")
    expense_accounts = TextAreaField("Comptes de charges proposés", render_kw={"rows": 10},
                                     description="Un compte par ligne : le numéro puis le libellé, "
                                                 "par exemple « 6226 Honoraires ».")
    vat_deductible = StringField(ACCOUNT_ROLES["vat_deductible"][0], filters=[_strip])
    vat_intracom_deductible = StringField(ACCOUNT_ROLES["vat_intracom_deductible"][0], filters=[_strip])
    vat_intracom_due = StringField(ACCOUNT_ROLES["vat_intracom_due"][0], filters=[_strip])
    deposits = StringField("Avances et acomptes versés", filters=[_strip])
    bank = StringField("Banque", filters=[_strip])
    purchases_journal = StringField("Code du journal des achats", filters=[_strip])
    purchases_journal_label = StringField("Libellé du journal des achats", filters=[_strip],
                                          validators=[Length(max=60, message="60 caractères au plus.")])
    bank_journal = StringField("Code du journal de banque", filters=[_strip])
    bank_journal_label = StringField("Libellé du journal de banque", filters=[_strip],
                                     validators=[Length(max=60, message="60 caractères au plus.")])
    default_vat_rate = StringField("Taux de TVA française par défaut (%)", filters=[_strip],
                                   description="Appliqué en autoliquidation aux lignes d'une facture "
                                               "intracommunautaire qui n'indiquent pas de taux.")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        self.config, errors = build_config({name: self[name].data for name in self._fields if name != "csrf_token"})
        for name, message in errors.items():
            self[name].errors = list(self[name].errors) + [message]
        return valid and not errors


class CompanyForm(FlaskForm):
    name = StringField("Raison sociale", filters=[_strip],
                       validators=[InputRequired("Saisissez la raison sociale de votre entreprise."),
                                   Length(max=200, message="200 caractères au plus.")])
    siren = StringField("SIREN", filters=[_strip],
                        validators=[InputRequired("Saisissez le SIREN : le nom du FEC commence par lui."),
                                    Identifier(identifiers.check_siren)],
                        description="9 chiffres, sur votre extrait Kbis ou avis de situation Sirene.")
