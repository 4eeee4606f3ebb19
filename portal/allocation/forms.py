"""Forms of the axes page (ALLOC-1, ALLOC-3): an axis, a value and its place in the tree, a grant.
The invoice allocation editor has a variable number of rows and is read by editor.py instead."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from models import Department, Establishment, User
from portal.numbers import coerce_id


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class AxisForm(FlaskForm):
    name = StringField(_l("Nom de l'axe"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez le nom de l'axe, par exemple « Client » ou « Projet ».")),
                                   Length(max=80, message=_l("%(max)s caractères au plus.", max=80))])


class ValueForm(FlaskForm):
    name = StringField(_l("Valeur"), filters=[_strip],
                       validators=[InputRequired(_l("Saisissez le nom de la valeur, par exemple « Commercial ».")),
                                   Length(max=120, message=_l("%(max)s caractères au plus.", max=120))])
    code = StringField(_l("Code analytique (facultatif)"), filters=[_strip],
                       validators=[Length(max=32, message=_l("%(max)s caractères au plus.", max=32))])
    parent = SelectField(_l("Sous-valeur de"), coerce=coerce_id, default=0, validate_choice=False)

    def set_parents(self, nodes, exclude=None):
        """Choices for the parent: the top of the axis, or any value shown but `exclude` and its sub-values."""
        excluded, skipping_depth = set(), None
        for node in nodes:
            if skipping_depth is not None and node.depth <= skipping_depth:
                skipping_depth = None
            if exclude is not None and node.value.id == exclude.id:
                skipping_depth = node.depth
            if skipping_depth is not None:
                excluded.add(node.value.id)
        self.parent.choices = [(0, _l("— (valeur de premier niveau)"))] + [
            (node.value.id, node.path) for node in nodes if node.value.id not in excluded]

    def validate_parent(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choisissez la valeur parente dans la liste."))


class GrantForm(FlaskForm):
    user = SelectField(_l("Utilisateur"), coerce=coerce_id, default=0)
    department = SelectField(_l("Service"), coerce=coerce_id, default=0)
    establishment = SelectField(_l("Établissement"), coerce=coerce_id, default=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user.choices = [(0, "—")] + [(u.id, u.display_name or u.username) for u in
                                          User.select().where(User.active).order_by(User.username)]
        self.department.choices = [(0, "—")] + [(d.id, d.name) for d in Department.select().order_by(Department.name)]
        self.establishment.choices = [(0, "—")] + [(e.id, e.name) for e in
                                                   Establishment.select().order_by(Establishment.name)]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and not (self.user.data or self.department.data or self.establishment.data):
            self.user.errors = list(self.user.errors) + [
                _l("Choisissez au moins un utilisateur, un service ou un établissement.")]
            return False
        return valid

    def grantees(self):
        """(keyword of service.grant_access, instance) for each choice made."""
        chosen = []
        if self.user.data:
            chosen.append(("grantee_user", User.get_by_id(self.user.data)))
        if self.department.data:
            chosen.append(("department", Department.get_by_id(self.department.data)))
        if self.establishment.data:
            chosen.append(("establishment", Establishment.get_by_id(self.establishment.data)))
        return chosen
