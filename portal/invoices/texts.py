"""Texts of the invoice and purchasing rules, kept as a French template plus its values so that the
page translates them in the user's language (LOC-3). No Flask here: `translate` takes a gettext."""


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); the page translates it."""
    return text


class Text:
    """A French template with %(name)s placeholders and its values; a value may itself be a Text,
    or a list of Texts joined with `joiner`. str() is the French text (logs, audit, tests)."""

    __slots__ = ("template", "params", "joiner")

    def __init__(self, template, joiner=", ", **params):
        self.template, self.params, self.joiner = template, params, joiner

    def _values(self, gettext):
        values = {}
        for name, value in self.params.items():
            if isinstance(value, Text):
                value = value.translate(gettext)
            elif isinstance(value, (list, tuple)):
                value = self.joiner.join(v.translate(gettext) if isinstance(v, Text) else str(v) for v in value)
            values[name] = value
        return values

    def translate(self, gettext):
        values = self._values(gettext)
        return gettext(self.template, **values) if values else gettext(self.template)

    def __str__(self):
        values = self._values(lambda text, **v: text % v if v else text)
        return self.template % values if values else self.template

    def __repr__(self):
        return f"Text({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, Text) and (self.template, self.params) == (other.template, other.params)

    def __hash__(self):
        return hash(self.template)

    def to_json(self):
        """Plain dicts and lists, for JSON columns (the reading of an upload, schema issues)."""
        def dump(value):
            if isinstance(value, Text):
                return value.to_json()
            if isinstance(value, (list, tuple)):
                return [dump(v) for v in value]
            return value
        return {"t": self.template, "j": self.joiner, "p": {k: dump(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data):
        def load(value):
            if isinstance(value, dict) and "t" in value:
                return cls.from_json(value)
            if isinstance(value, list):
                return [load(v) for v in value]
            return value
        if isinstance(data, str):
            return cls("%(text)s", text=data)
        return cls(data["t"], joiner=data.get("j", ", "), **{k: load(v) for k, v in data.get("p", {}).items()})


def translated(value, gettext):
    """A Text in the user's language; anything else as it is."""
    return value.translate(gettext) if isinstance(value, Text) else value
