"""Forms of the accounting pages: the export period, the chart of accounts (checked by
accounts.build_config, each message next to its field), the closing of a period and the booking
choices of one invoice (exchange rate, goods or services, reverse charge, French rates)."""
import datetime
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.accounting.accounts import build_config
from portal.accounting.fec import ENCODINGS, RATE_SCALE
from portal.accounting.ledger import EARLIEST
from portal.texts import in_user_language


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PeriodForm(FlaskForm):
    """Read from the query string (a GET form: the export links carry the period)."""

    class Meta:
        csrf = False

    du = DateField(_l("Du"), validators=[InputRequired(_l("Saisissez la date de début de la période."))])
    au = DateField(_l("Au (date de clôture)"), validators=[InputRequired(_l("Saisissez la date de fin de la période."))],
                   description=_l("Le FEC est nommé d'après cette date."))
    boutique = SelectField(_l("Boutique"), coerce=str, default="", validate_choice=True)
    encodage = SelectField(_l("Encodage du FEC"), choices=list(ENCODINGS.items()), default="iso-8859-15")

    FIRST_DAY = EARLIEST

    def _within_books(self, field):
        """Books from 2000 (as closings) up to two years ahead: a day such as 9999-12-31 is a typing slip
        (and beyond what the date arithmetic of the entries can hold)."""
        last = datetime.date.today().replace(month=12, day=31)
        last = last.replace(year=last.year + 2)
        if field.data and not self.FIRST_DAY <= field.data <= last:
            raise ValidationError(_l("Choisissez une date du %(first)s au %(last)s.",
                                     first=self.FIRST_DAY.strftime("%d/%m/%Y"), last=last.strftime("%d/%m/%Y")))

    def validate_du(self, field):
        self._within_books(field)

    def validate_au(self, field):
        self._within_books(field)
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError(_l("La date de fin doit suivre la date de début."))
        if field.data and self.du.data and (field.data - self.du.data).days > 731:
            raise ValidationError(_l("Une période compte au plus 24 mois (le premier exercice d'une société)."))

    @staticmethod
    def current_year(today=None):
        today = today or datetime.date.today()
        return {"du": datetime.date(today.year, 1, 1).isoformat(), "au": datetime.date(today.year, 12, 31).isoformat()}


def _account(label, description=None):
    return StringField(label, filters=[_strip], description=description)


class AccountsForm(FlaskForm):
    suppliers = _account(_l("Fournisseurs (collectif)"),
                         _l("Le compte auxiliaire de chaque fournisseur est ce compte suivi d'un code (401DUPONT)."))
    expense_default = _account(_l("Compte de charges par défaut"),
                               _l("Pour une facture sans compte de charges choisi."))
    expense_accounts = TextAreaField(_l("Comptes de charges proposés"), render_kw={"rows": 10},
                                     description=_l("Un compte par ligne : le numéro puis le libellé, "
                                                    "par exemple « 6226 Honoraires »."))
    vat_deductible = _account(_l("TVA déductible sur autres biens et services"))
    vat_intracom_deductible = _account(_l("TVA déductible intracommunautaire (biens)"))
    vat_intracom_due = _account(_l("TVA due intracommunautaire (biens)"))
    vat_services_deductible = _account(_l("TVA déductible autoliquidée – services"))
    vat_services_due = _account(_l("TVA due autoliquidée – services (UE et hors UE)"))
    vat_import_deductible = _account(_l("TVA déductible – importations"))
    vat_import_due = _account(_l("TVA due autoliquidée – importations"))
    vat_domestic_deductible = _account(_l("TVA déductible autoliquidée – sous-traitance"))
    vat_domestic_due = _account(_l("TVA due autoliquidée – sous-traitance (France)"))
    deposits = _account(_l("Avances et acomptes versés"))
    bank = _account(_l("Banque"))
    exchange_loss = _account(_l("Pertes de change"), _l("L'euro débité au-delà du cours de la facture (656)."))
    exchange_gain = _account(_l("Gains de change"), _l("L'euro débité en deçà du cours de la facture (756)."))
    purchases_journal = _account(_l("Code du journal des achats"))
    purchases_journal_label = StringField(_l("Libellé du journal des achats"), filters=[_strip],
                                          validators=[Length(max=60, message=_l("60 caractères au plus."))])
    bank_journal = _account(_l("Code du journal de banque"))
    bank_journal_label = StringField(_l("Libellé du journal de banque"), filters=[_strip],
                                     validators=[Length(max=60, message=_l("60 caractères au plus."))])
    default_vat_rate = StringField(_l("Taux de TVA française par défaut (%)"), filters=[_strip],
                                   description=_l("Appliqué en autoliquidation aux lignes qui n'indiquent pas de "
                                                  "taux français."))
    card_clearing = _account(_l("Cartes bancaires à encaisser"), _l("Débité de chaque remise, crédité quand la "
                                                                    "banque la verse (5115)."))
    card_customers = _account(_l("Clients – ventes par carte"), _l("Contrepartie des remises et des "
                                                                   "remboursements (411)."))
    card_unpaid = _account(_l("Clients – impayés cartes"))
    card_commission = _account(_l("Commissions bancaires sur cartes"))
    card_journal = _account(_l("Code du journal des ventes par carte"))
    card_journal_label = StringField(_l("Libellé du journal des ventes par carte"), filters=[_strip],
                                     validators=[Length(max=60, message=_l("60 caractères au plus."))])
    card_commission_rates = TextAreaField(_l("Commission par réseau (%)"), render_kw={"rows": 4},
                                          description=_l("Un réseau par ligne, par exemple « CB 0,80 » ; un réseau "
                                                         "absent compte 0 %."))
    card_exchange_rates = TextAreaField(_l("Taux de change des ventes carte"), render_kw={"rows": 3},
                                        description=_l("Un cours par ligne : le code ISO de la devise puis les euros "
                                                       "pour une unité, par exemple « USD 0,9234 ». Suivi d'une date, "
                                                       "il s'applique à partir de ce jour (« USD 0,9310 01/04/2025 ») "
                                                       "et les jours déjà comptabilisés gardent le leur. Les ventes "
                                                       "d'une devise absente ne sont pas comptabilisées."))
    card_credit_delay_days = StringField(_l("Délai de crédit des remises (jours)"), filters=[_strip],
                                         description=_l("1 : la banque crédite la remise le lendemain."))
    fiscal_year_start_month = StringField(_l("Premier mois de l'exercice (1 à 12)"), filters=[_strip],
                                          description=_l("Les numéros d'écriture repartent à 1 à chaque exercice."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        self.config, errors = build_config({name: self[name].data for name in self._fields if name != "csrf_token"})
        for name, message in errors.items():
            self[name].errors = list(self[name].errors) + [in_user_language(message)]
        return valid and not errors


class ClosingForm(FlaskForm):
    au = DateField(_l("Clôturer jusqu'au"), id="closing-au", validators=[InputRequired(_l("Saisissez le dernier jour de la période "
                                                                         "à clôturer."))],
                   description=_l("Les écritures jusqu'à cette date reçoivent leur numéro définitif."))


RATE_SHAPE = re.compile(r"^[0-9]{1,6}([.,][0-9]{1,6})?$")


def parse_exchange_rate(text):
    """« 0,9215 » -> 921500 (euros for one unit x 1 000 000); None when empty; ValueError otherwise."""
    raw = (text or "").strip().replace(" ", "")
    if not raw:
        return None
    if not RATE_SHAPE.match(raw):
        raise ValueError("shape")
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValueError("shape") from None
    rate = int(value * RATE_SCALE)
    if rate <= 0 or rate > 10**6 * RATE_SCALE:
        raise ValueError("range")
    return rate


class BookingForm(FlaskForm):
    exchange_rate = StringField(_l("Cours : euros pour une unité de la devise"), filters=[_strip],
                                description=_l("Le cours de la date de la facture, par exemple 0,9215."))
    nature = SelectField(_l("Nature de l'achat"), default="",
                         choices=[("", _l("D'après le compte de charges")), ("GOODS", _l("Biens")),
                                  ("SERVICES", _l("Services"))])
    reverse_charge = SelectField(_l("Autoliquidation"), default="",
                                 choices=[("", _l("Détectée (pays, n° de TVA, catégorie AE)")),
                                          ("DOMESTIC", _l("Autoliquidation en France (sous-traitance)")),
                                          ("NONE", _l("Aucune : TVA réglée ailleurs (douane…)"))])

    def validate_exchange_rate(self, field):
        try:
            self.rate = parse_exchange_rate(field.data)
        except ValueError:
            raise ValidationError(_l("Écrivez le cours en euros pour une unité, par exemple 0,9215 "
                                     "(six décimales au plus).")) from None
