"""French texts of the rule modules, kept as a catalogue template plus its values so that the page shows
them in the user's language (LOC-3). Plain Python: whoever shows a text passes its gettext; str() is the
French text (logs, audit, tests)."""


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); it is translated where it is shown."""
    return text


class Text:
    """A French template with %(name)s placeholders and its values. A value may be another Text, or an
    object with `localize(locale)` (a country name, an amount) rendered in the reader's language."""

    __slots__ = ("template", "params")

    def __init__(self, template, **params):
        self.template, self.params = template, params

    def translate(self, gettext, locale="fr"):
        values = {name: localized(value, gettext, locale) for name, value in self.params.items()}
        return gettext(self.template, **values) if values else gettext(self.template)

    def __str__(self):
        return self.translate(lambda text, **values: text % values if values else text)

    def __repr__(self):
        return f"Text({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, Text) and (self.template, self.params) == (other.template, other.params)

    def __hash__(self):
        return hash(self.template)


def localized(value, gettext, locale="fr"):
    """A Text, a TextError or any refusal with translate(gettext, locale) translated, an object with
    localize() rendered in `locale`, anything else as is."""
    if isinstance(value, (Text, TextError)) or (callable(getattr(value, "translate", None)) and not isinstance(value, str)):
        return value.translate(gettext, locale)
    if hasattr(value, "localize"):
        return value.localize(locale)
    return value


class TextError(ValueError):
    """A refusal whose message is a Text; `field` names the form field it belongs next to, if any."""

    def __init__(self, template, field=None, **params):
        self.text = Text(template, **params)
        self.field = field
        super().__init__(str(self.text))

    @property
    def message(self):
        return str(self.text)

    def translate(self, gettext, locale="fr"):
        return self.text.translate(gettext, locale)


def in_user_language(value):
    """`value` (a Text, a TextError or a plain string) in the current request's language; French
    outside a request. Imports Flask-Babel only when called, so that rule modules importing this module
    stay free of Flask."""
    from flask import has_request_context

    if value is None:
        return None
    if not has_request_context():
        return str(localized(value, lambda text, **values: text % values if values else text))
    from flask_babel import get_locale, gettext

    shown = localized(value, gettext, str(get_locale() or "fr"))
    # A plain French string, or a refusal that carries only its French message: looked up as a whole.
    return gettext(str(value)) if shown is value or not isinstance(shown, str) else shown
