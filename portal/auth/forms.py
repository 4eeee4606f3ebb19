"""Login, first-run setup, password and preference forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Identifiant"), validators=[DataRequired(_l("Saisissez votre identifiant."))])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Saisissez votre mot de passe."))])


class NewPasswordMixin:
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe."))],
        description=_l("Au moins 12 caractères, avec des lettres et des chiffres."),
    )
    confirm = PasswordField(
        _l("Confirmation du mot de passe"),
        validators=[EqualTo("password", _l("Les deux mots de passe diffèrent."))],
    )


class SetupForm(NewPasswordMixin, FlaskForm):
    token = StringField(
        _l("Jeton d'installation"),
        validators=[DataRequired(_l("Recopiez le jeton affiché sur la console du serveur."))],
        description=_l("Affiché sur la console du serveur au démarrage."),
    )
    username = StringField(
        _l("Identifiant de l'administrateur"),
        validators=[DataRequired(_l("Choisissez un identifiant.")), Length(max=80)],
    )
    display_name = StringField(_l("Nom affiché"), validators=[Length(max=120)])


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current = PasswordField(
        _l("Mot de passe actuel"), validators=[DataRequired(_l("Saisissez votre mot de passe actuel."))]
    )


class PreferencesForm(FlaskForm):
    language = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])


class SecondFactorForm(FlaskForm):
    """The second login step (AUTH-4): a code of the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code de vérification"),
        validators=[DataRequired(_l("Saisissez le code affiché par votre application."))],
        description=_l("Les 6 chiffres affichés par votre application d'authentification, "
                       "ou l'un de vos codes de secours."),
    )


class ConfirmTotpForm(FlaskForm):
    code = StringField(
        _l("Code à 6 chiffres"),
        validators=[DataRequired(_l("Saisissez le code affiché par votre application."))],
        description=_l("Le code que votre application affiche après avoir ajouté le compte."),
    )
