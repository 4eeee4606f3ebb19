"""Forms of the invoice thread: a message to the supplier or an internal note, and a reply received."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.messages.thread import ALL_CONTACTS, MAX_BODY_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MessageForm(FlaskForm):
    kind = RadioField("Type de message", default="OUT",
                      choices=[("OUT", "Envoyer au fournisseur (par courriel)"),
                               ("NOTE", "Note interne (le fournisseur ne la voit pas)")])
    recipient = SelectField("Destinataire", coerce=int, default=ALL_CONTACTS, validate_choice=False)
    body = TextAreaField("Message", filters=[_strip],
                         validators=[DataRequired("Écrivez le message avant de l'envoyer."),
                                     Length(max=MAX_BODY_LENGTH, message=f"{MAX_BODY_LENGTH} caractères au plus.")])

    def __init__(self, *args, contacts=(), **kwargs):
        kwargs.setdefault("prefix", "message")
        super().__init__(*args, **kwargs)
        choices = [(contact.id, f"{contact.name} <{contact.email}>") for contact in contacts]
        everyone = (f"Tous les contacts ({len(contacts)})" if len(contacts) > 1 else
                    choices[0][1] if choices else "Aucun contact n'a d'adresse e-mail")
        self.recipient.choices = [(ALL_CONTACTS, everyone)] + (choices if len(choices) > 1 else [])

    @property
    def to_supplier(self):
        return self.kind.data != "NOTE"


class ReplyForm(FlaskForm):
    contact = SelectField("Reçue de", coerce=int, validate_choice=False)
    body = TextAreaField("Réponse du fournisseur", filters=[_strip],
                         description="Recopiez ou résumez la réponse reçue par courriel ou au téléphone.",
                         validators=[DataRequired("Recopiez ou résumez la réponse du fournisseur."),
                                     Length(max=MAX_BODY_LENGTH, message=f"{MAX_BODY_LENGTH} caractères au plus.")])

    def __init__(self, *args, contacts=(), **kwargs):
        kwargs.setdefault("prefix", "reply")
        super().__init__(*args, **kwargs)
        self.contact.choices = [(contact.id, contact.name + (f" <{contact.email}>" if contact.email else ""))
                                for contact in contacts]
