"""What the supplier audit pages show: the overview (grids, recent evaluations, open actions), a
supplier's evaluations with their action lists and the form of a new one, and their htmx fragments."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from flask import render_template, request
from flask_babel import format_decimal
from flask_login import current_user

from models import EvaluationGrid
from portal.evaluations import service
from portal.evaluations.forms import ActionForm, ThresholdForm, evaluation_form, set_owner_choices
from portal.suppliers.service import active_suppliers


def wants_fragment():
    return request.headers.get("HX-Request") == "true"


def today():
    return datetime.date.today()


def score_text(hundredths):
    """735 -> '7,35/10' in French, '7.35/10' in English (LOC-1); the audit log keeps scoring.format_score."""
    if hundredths is None:
        return ""
    return f"{format_decimal(Decimal(hundredths).scaleb(-2), '0.00')}/10"


@dataclass
class EvaluationCard:
    """One evaluation as its card shows it; the template asks it what is allowed."""

    evaluation: object
    scores: list
    actions: list
    action_form: object
    can_archive_supplier: bool


def action_form(evaluation, owners, formdata=None):
    """The add-action form of one evaluation card (prefixed: several cards share the page)."""
    return set_owner_choices(ActionForm(formdata=formdata, prefix=f"action-{evaluation.id}"), owners)


def evaluation_card(evaluation, access, owners, form=None):
    return EvaluationCard(
        evaluation=evaluation, scores=service.evaluation_scores(evaluation),
        actions=service.evaluation_actions(evaluation), action_form=form or action_form(evaluation, owners),
        can_archive_supplier=access.can_manage and not evaluation.compliant and not evaluation.supplier.archived)


def row_context(access):
    """What an action row needs to decide its buttons."""
    user = current_user._get_current_object()
    return {"today": today(), "may_complete": lambda action: service.may_complete(action, user, access.can_manage)}


# --- Overview -------------------------------------------------------------------------------


def render_index(access, threshold_form=None, status=200):
    grids = service.grids()
    return render_template(
        "evaluations/index.html", access=access, grids=grids,
        criteria={grid.id: service.grid_criteria(grid) for grid in grids}, counts=service.evaluation_counts(),
        evaluations=service.recent_evaluations(), open_actions=service.open_actions(),
        threshold=service.compliance_threshold(),
        threshold_form=threshold_form or ThresholdForm(formdata=None),
        suppliers=list(active_suppliers()), **row_context(access)), status


def render_grid_form(grid, form, access, status=200):
    in_use = grid is not None and service.grid_in_use(grid)
    return render_template("evaluations/grid_edit.html", grid=grid, form=form, in_use=in_use, access=access,
                           criteria=service.grid_criteria(grid) if grid else []), status


# --- A supplier's evaluations ---------------------------------------------------------------


def chosen_grid(grid_id):
    """The grid of the new evaluation: the one asked for, or the only active one."""
    active = service.grids(include_archived=False)
    if grid_id:
        return next((grid for grid in active if grid.id == grid_id), None)
    return active[0] if len(active) == 1 else None


def new_evaluation_form(grid, owners, formdata=None):
    if grid is None:
        return None
    form = evaluation_form(service.grid_criteria(grid), owners, formdata=formdata)
    if formdata is None:
        form.evaluated_on.data = today()
    return form


def supplier_context(supplier, access, grid=None, form=None, cards=None):
    owners = service.action_owners()
    if form is None and access.can_manage:
        form = new_evaluation_form(grid, owners)
    return {"supplier": supplier, "access": access, "grids": service.grids(include_archived=False),
            "grid": grid, "form": form, "threshold": service.compliance_threshold(),
            "cards": cards or [evaluation_card(e, access, owners) for e in service.supplier_evaluations(supplier)],
            **row_context(access)}


def render_supplier(supplier, access, grid=None, form=None, status=200):
    context = supplier_context(supplier, access, grid, form)
    if request.headers.get("HX-Target") == "new-evaluation":
        return render_template("evaluations/_evaluation_form.html", **context), status
    return render_template("evaluations/supplier.html", **context), status


def render_actions(evaluation, access, form=None, status=200):
    """The action list of one evaluation (after an action is added), or the whole page without htmx."""
    owners = service.action_owners()
    card = evaluation_card(evaluation, access, owners, form)
    if not wants_fragment():
        cards = [card if e.id == evaluation.id else evaluation_card(e, access, owners)
                 for e in service.supplier_evaluations(evaluation.supplier)]
        context = supplier_context(evaluation.supplier, access, chosen_grid(None), cards=cards)
        return render_template("evaluations/supplier.html", **context), status
    return render_template("evaluations/_actions.html", card=card, access=access, **row_context(access)), status


def render_action_row(action, access, on_index):
    template = "evaluations/_open_action_row.html" if on_index else "evaluations/_action_row.html"
    return render_template(template, action=action, access=access, **row_context(access))


def get_grid(grid_id):
    return EvaluationGrid.get_or_none(EvaluationGrid.id == grid_id)
