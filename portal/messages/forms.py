"""Forms of the invoice thread: a message to the supplier or an internal note, and a reply received."""
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.messages.thread import ALL_CONTACTS, MAX_BODY_LENGTH
from portal.numbers import coerce_id


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MessageForm(FlaskForm):
    kind = RadioField(_l("Type de message"), default="OUT",
                      choices=[("OUT", _l("Envoyer au fournisseur (par courriel)")),
                               ("NOTE", _l("Note interne (le fournisseur ne la voit pas)"))])
    recipient = SelectField(_l("Destinataire"), coerce=coerce_id, default=ALL_CONTACTS, validate_choice=False)
    body = TextAreaField(_l("Message"), filters=[_strip],
                         validators=[DataRequired(_l("Écrivez le message avant de l'envoyer.")),
                                     Length(max=MAX_BODY_LENGTH,
                                            message=_l("%(max)s caractères au plus.", max=MAX_BODY_LENGTH))])

    def __init__(self, *args, contacts=(), **kwargs):
        kwargs.setdefault("prefix", "message")
        super().__init__(*args, **kwargs)
        choices = [(contact.id, f"{contact.name} <{contact.email}>") for contact in contacts]
        everyone = (_("Tous les contacts (%(count)s)", count=len(contacts)) if len(contacts) > 1 else
                    choices[0][1] if choices else _("Aucun contact n'a d'adresse e-mail"))
        self.recipient.choices = [(ALL_CONTACTS, everyone)] + (choices if len(choices) > 1 else [])

    @property
    def to_supplier(self):
        return self.kind.data != "NOTE"


class ReplyForm(FlaskForm):
    contact = SelectField(_l("Reçue de"), coerce=coerce_id, validate_choice=False)
    body = TextAreaField(_l("Réponse du fournisseur"), filters=[_strip],
                         description=_l("Recopiez ou résumez la réponse reçue par courriel ou au téléphone."),
                         validators=[DataRequired(_l("Recopiez ou résumez la réponse du fournisseur.")),
                                     Length(max=MAX_BODY_LENGTH,
                                            message=_l("%(max)s caractères au plus.", max=MAX_BODY_LENGTH))])

    def __init__(self, *args, contacts=(), **kwargs):
        kwargs.setdefault("prefix", "reply")
        super().__init__(*args, **kwargs)
        self.contact.choices = [(contact.id, contact.name + (f" <{contact.email}>" if contact.email else ""))
                                for contact in contacts]
