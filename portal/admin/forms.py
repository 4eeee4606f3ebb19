"""Administration forms: users, shops, departments and establishments."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from portal.money import MoneyError, exponent, parse_amount
from portal.numbers import coerce_id
from portal.texts import in_user_language


class UserForm(FlaskForm):
    username = StringField(_l("Identifiant"), validators=[DataRequired(_l("Saisissez un identifiant.")), Length(max=80)])
    display_name = StringField(_l("Nom affiché"), validators=[Length(max=120)])
    email = StringField(_l("Adresse e-mail"), validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=254)])
    language = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])
    department = SelectField(_l("Service"), coerce=coerce_id)
    establishment = SelectField(_l("Établissement"), coerce=coerce_id)
    is_admin = BooleanField(_l("Administrateur (gère les utilisateurs et les droits)"))
    active = BooleanField(_l("Compte actif"), default=True)
    password = PasswordField(
        _l("Mot de passe"),
        description=_l("Au moins 12 caractères, avec des lettres et des chiffres. Laissez vide pour ne pas le changer."),
    )


def _stripped(value):
    """Text without surrounding spaces; a field left out of the form is "" (the columns are NOT NULL)."""
    return value.strip() if isinstance(value, str) else ""


class ShopForm(FlaskForm):
    name = StringField(_l("Nom de la boutique"), validators=[DataRequired(_l("Saisissez un nom.")), Length(max=120)])
    merchant_id = StringField(
        _l("Identifiant commerçant"),
        validators=[DataRequired(_l("Saisissez l'identifiant commerçant.")),
                    Regexp(r"^\d{15}$", message=_l("L'identifiant commerçant compte exactement 15 chiffres."))],
        description=_l("15 chiffres, fournis par la banque."),
    )
    establishment = SelectField(_l("Établissement"), coerce=coerce_id)
    # DOC-2: printed on the shop's receipts; where its purchase orders are delivered.
    address = TextAreaField(_l("Adresse de la boutique"), default="", filters=[_stripped],
                            validators=[Length(max=500, message=_l("%(max)s caractères au plus.", max=500))],
                            description=_l("Imprimée sur les tickets ; adresse de livraison des bons de commande. "
                                           "Vide : l'adresse du siège."))
    postal_code = StringField(_l("Code postal"), default="", filters=[_stripped],
                              validators=[Length(max=16, message=_l("%(max)s caractères au plus.", max=16))])
    city = StringField(_l("Ville"), default="", filters=[_stripped],
                       validators=[Length(max=100, message=_l("%(max)s caractères au plus.", max=100))])
    currency = StringField(_l("Devise par défaut"), default="EUR",
                           validators=[DataRequired(_l("Saisissez une devise (code ISO 4217)."))])
    default_capture_mode = SelectField(
        _l("Mode d'envoi en banque par défaut"),
        choices=[("AUTO", _l("Automatique")), ("VALIDATION", _l("Par validation"))],
    )
    default_capture_delay = IntegerField(
        _l("Délai d'envoi en banque par défaut (jours)"), default=0,
        validators=[NumberRange(0, 99, _l("Entre 0 et 99 jours."))],
    )
    default_network = SelectField(
        _l("Réseau préféré des cartes cobadgées"),
        choices=[("CB", "CB"), ("SCHEME", _l("Réseau international (Visa, Mastercard…)"))],
    )

    # Payment gateway (PAY-GW-2). The secret key field is never filled back in: once saved, the key
    # is only shown as "version N, saved on …".
    gateway = SelectField(
        _l("Passerelle de paiement"),
        choices=[("SIMULATOR", _l("Simulateur intégré")), ("SIPS_TEST", _l("Worldline Sips — test")),
                 ("SIPS_PRODUCTION", _l("Worldline Sips — production"))], default="SIMULATOR",
    )
    gateway_key_version = IntegerField(
        _l("Version de la clé secrète"), default=1,
        validators=[NumberRange(1, 999, _l("Un nombre entre 1 et 999, donné avec la clé par Worldline."))],
    )
    secret_key = PasswordField(
        _l("Clé secrète Sips"),
        description=_l("Laissez vide pour garder la clé enregistrée. Elle est chiffrée et ne sera plus jamais affichée."),
        render_kw={"autocomplete": "new-password"},
    )

    def validate_secret_key(self, field):
        has_key = bool(getattr(self, "stored_secret", False))
        if self.gateway.data != "SIMULATOR" and not field.data and not has_key:
            raise ValidationError(_l("Saisissez la clé secrète fournie par Worldline pour utiliser Sips."))
        if field.data and not 8 <= len(field.data) <= 200:
            raise ValidationError(_l("La clé secrète compte de 8 à 200 caractères : copiez-la depuis l'extranet Worldline."))
        if field.data and field.data != field.data.strip():
            raise ValidationError(_l("La clé secrète ne commence ni ne finit par une espace : vérifiez le copier-coller."))

    def validate_currency(self, field):
        try:
            exponent(field.data)
        except MoneyError as exc:
            raise ValidationError(in_user_language(exc))
        field.data = field.data.upper()


class NameForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Saisissez un nom.")), Length(max=120)])


class FraudProfileForm(FlaskForm):
    """Settings of the fraud check run before each authorisation; saving adds a version."""

    max_amount_eur = StringField(
        _l("Montant maximum par transaction en euros"),
        description=_l("Au-delà, la transaction est bloquée (fraude suspectée). Vide : pas de plafond."),
    )
    max_uses_per_card_per_day = IntegerField(
        _l("Utilisations d'une même carte par jour"),
        validators=[NumberRange(1, 1000, _l("Entre 1 et 1000."))],
        description=_l("La transaction qui dépasse ce nombre est bloquée."),
    )
    blocked_countries = StringField(
        _l("Pays de carte bloqués"),
        description=_l("Codes pays ISO à deux lettres séparés par des virgules, par exemple US, BR. Vide : aucun."),
    )

    def validate_max_amount_eur(self, field):
        if not (field.data or "").strip():
            self.max_amount_minor = None
            return
        try:
            self.max_amount_minor = parse_amount(field.data, "EUR")
        except MoneyError as error:
            raise ValidationError(in_user_language(error))

    def validate_blocked_countries(self, field):
        from babel import Locale

        territories = Locale("fr").territories
        codes = [code.strip().upper() for code in (field.data or "").split(",") if code.strip()]
        unknown = [code for code in codes if len(code) != 2 or code not in territories]
        if unknown:
            raise ValidationError(_l("Code pays inconnu : %(codes)s.", codes=", ".join(unknown)))
        self.country_codes = sorted(set(codes))
