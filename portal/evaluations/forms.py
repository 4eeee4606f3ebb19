"""Forms of the supplier audit (AP-KYS-1): a grid and its weighted criteria, an evaluation with one
score per criterion of its grid, the actions that follow it, the compliance threshold."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, Form, FormField, IntegerField, SelectField, StringField, \
    TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.evaluations.scoring import MAX_SCORE, MAX_WEIGHT, MIN_SCORE, ScoringError, parse_threshold
from portal.numbers import coerce_id

EXTRA_CRITERION_ROWS = 3
EXTRA_ACTION_ROWS = 3
NO_OWNER = 0


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CriterionRow(Form):
    """One criterion; a row left empty is ignored."""

    name = StringField(_l("Critère"), filters=[_strip],
                       validators=[Length(max=120, message=_l("120 caractères au plus."))])
    # NumberRange fills %(max)s itself, after translation.
    weight = IntegerField(_l("Poids"),
                          validators=[Optional(), NumberRange(1, MAX_WEIGHT, _l("Un entier de 1 à %(max)s."))])

    def validate(self, extra_validators=None):
        # Cross-field checks here: Optional() ends the weight's own validators when it is empty.
        valid = super().validate(extra_validators)
        if self.name.data and self.weight.data is None and not self.weight.errors:
            self.weight.errors = list(self.weight.errors) + [_("Donnez un poids (1 = peu important).")]
            valid = False
        if self.weight.data is not None and not self.name.data:
            self.name.errors = list(self.name.errors) + [_("Nommez le critère, ou videz son poids.")]
            valid = False
        return valid


class GridForm(FlaskForm):
    name = StringField(_l("Nom de la grille"), filters=[_strip],
                       validators=[InputRequired(_l("Donnez un nom à la grille.")),
                                   Length(max=120, message=_l("120 caractères au plus."))])
    criteria = FieldList(FormField(CriterionRow), min_entries=1)

    def criteria_data(self):
        return [(row.form.name.data, row.form.weight.data) for row in self.criteria
                if row.form.name.data or row.form.weight.data is not None]

    @classmethod
    def for_grid(cls, grid=None, criteria=()):
        """The form as first shown: the grid's criteria and a few empty rows to add more."""
        form = cls(formdata=None, data={"name": grid.name if grid else "",
                                        "criteria": [{"name": c.name, "weight": c.weight} for c in criteria]})
        while len(form.criteria) < len(criteria) + EXTRA_CRITERION_ROWS:
            form.criteria.append_entry()
        return form


class ActionRow(Form):
    """One action of the list; a row left empty is ignored."""

    description = StringField(_l("Action"), filters=[_strip],
                              validators=[Length(max=300, message=_l("300 caractères au plus."))])
    owner = SelectField(_l("Responsable"), coerce=coerce_id, default=NO_OWNER, validate_choice=False)
    due_date = DateField(_l("Échéance"), validators=[Optional()])

    def validate_description(self, field):
        if not field.data and (self.owner.data or self.due_date.data):
            raise ValidationError(_("Décrivez l'action, ou videz la ligne."))


class ActionForm(FlaskForm):
    """An action added after the evaluation."""

    description = StringField(_l("Action"), filters=[_strip],
                              validators=[InputRequired(_l("Décrivez l'action à mener.")),
                                          Length(max=300, message=_l("300 caractères au plus."))])
    owner = SelectField(_l("Responsable"), coerce=coerce_id, default=NO_OWNER, validate_choice=False)
    due_date = DateField(_l("Échéance"), validators=[Optional()])


def _owner_choices(owners):
    return [(NO_OWNER, _("— personne —"))] + [(u.id, u.display_name or u.username) for u in owners]


def set_owner_choices(form, owners):
    choices = _owner_choices(owners)
    if isinstance(form, ActionForm):
        form.owner.choices = choices
        return form
    for row in form.actions:
        row.form.owner.choices = choices
    return form


class EvaluationForm(FlaskForm):
    evaluated_on = DateField(_l("Date de l'évaluation"),
                             validators=[InputRequired(_l("Saisissez la date de l'évaluation."))])
    marked_non_compliant = BooleanField(_l("Non conforme quelle que soit la note (point bloquant constaté)"))
    notes = TextAreaField(_l("Constats"), filters=[_strip],
                          validators=[Length(max=5000, message=_l("5000 caractères au plus."))])
    actions = FieldList(FormField(ActionRow), min_entries=EXTRA_ACTION_ROWS)

    score_fields = ()  # (criterion, field name), set by evaluation_form()

    def scores(self):
        return {criterion.id: self[name].data for criterion, name in self.score_fields}

    def action_rows(self):
        return [row.form for row in self.actions if row.form.description.data]


def evaluation_form(criteria, owners, formdata=None, **kwargs):
    """An EvaluationForm with one 0..10 score field per criterion of the chosen grid."""

    class GridEvaluationForm(EvaluationForm):
        pass

    fields = []
    for criterion in criteria:
        name = f"score_{criterion.id}"
        setattr(GridEvaluationForm, name, IntegerField(
            criterion.name, description=_l("Poids %(weight)s", weight=criterion.weight),
            validators=[InputRequired(_l("Notez ce critère de %(min)s à %(max)s.", min=MIN_SCORE, max=MAX_SCORE)),
                        NumberRange(MIN_SCORE, MAX_SCORE, _l("Une note entière de %(min)s à %(max)s."))]))
        fields.append((criterion, name))
    GridEvaluationForm.score_fields = tuple(fields)
    return set_owner_choices(GridEvaluationForm(formdata=formdata, **kwargs), owners)


class ThresholdForm(FlaskForm):
    threshold = StringField(_l("Seuil de conformité (note sur 10)"), filters=[_strip],
                            validators=[InputRequired(_l("Saisissez une note sur 10, par exemple 5."))],
                            description=_l("Une évaluation dont la note pondérée est inférieure est non conforme."))

    def validate_threshold(self, field):
        try:
            self.hundredths = parse_threshold(field.data)
        except ScoringError as error:
            raise ValidationError(_(error.template, **error.params)) from None
