"""Supplier audit records (AP-KYS-1) in plain Python: grids and their criteria, evaluations with their
scores, the action list, and archiving a non-compliant supplier. Every write is audited (AUDIT-1).
No Flask here: messages are French templates marked with N_() that the views translate (LOC-3)."""
import datetime
import json
from dataclasses import dataclass

from peewee import JOIN, fn

from models import (EvaluationAction, EvaluationCriterion, EvaluationGrid, EvaluationScore, Setting, Supplier,
                    SupplierEvaluation, User, db, utcnow)
from portal.audit import record_action
from portal.database import is_postgres
from portal.evaluations.scoring import (DEFAULT_THRESHOLD, MAX_WEIGHT, N_, ScoringError, check_score, check_weight,
                                        format_score, is_compliant, weighted_score)
from portal.suppliers.service import archive_supplier

THRESHOLD_KEY = "evaluation_threshold"
GRID, EVALUATION = "evaluation_grid", "supplier_evaluation"


class EvaluationError(ValueError):
    """A refused change; `field` names the form field the message belongs next to, if any. `template` and
    `params` let a view translate it: gettext(template, **params); str() is the French text."""

    def __init__(self, template, field=None, **params):
        self.template, self.params, self.field = template, params, field
        super().__init__(template % params if params else template)


def _write():
    """A write transaction; on SQLite it takes the write lock at once (see suppliers.service)."""
    return db.atomic() if is_postgres() else db.atomic(lock_type="IMMEDIATE")


# --- Compliance threshold -------------------------------------------------------------------


def compliance_threshold():
    row = Setting.get_or_none(Setting.key == THRESHOLD_KEY)
    return json.loads(row.value) if row else DEFAULT_THRESHOLD


def save_compliance_threshold(hundredths, user, remote_addr=""):
    """The score under which an evaluation is non-compliant; past evaluations keep their verdict."""
    with db.atomic():
        before = compliance_threshold()
        row = Setting.get_or_none(Setting.key == THRESHOLD_KEY)
        if row is None:
            Setting.create(key=THRESHOLD_KEY, value=json.dumps(hundredths))
        else:
            Setting.update(value=json.dumps(hundredths)).where(Setting.id == row.id).execute()
        record_action("evaluation.threshold", "setting", THRESHOLD_KEY, user=user, before={"threshold": before},
                      after={"threshold": hundredths}, remote_addr=remote_addr)


# --- Grids ----------------------------------------------------------------------------------


def _clean_criteria(criteria):
    """[(name, weight)] stripped and checked: at least one, names unique in the grid, weights 1..100."""
    cleaned, seen = [], set()
    for name, weight in criteria:
        name = (name or "").strip()
        if not name:
            continue
        if name.casefold() in seen:
            raise EvaluationError(N_("Le critère « %(name)s » figure deux fois dans la grille."), field="criteria",
                                  name=name)
        seen.add(name.casefold())
        try:
            cleaned.append((name, check_weight(weight)))
        except ScoringError:
            raise EvaluationError(N_("%(name)s : Un poids est un entier de 1 à %(max)s."), field="criteria",
                                  name=name, max=MAX_WEIGHT) from None
    if not cleaned:
        raise EvaluationError(N_("Ajoutez au moins un critère, avec son poids."), field="criteria")
    return cleaned


def _clean_name(name):
    name = (name or "").strip()
    if not name:
        raise EvaluationError(N_("Donnez un nom à la grille."), field="name")
    return name


def grid_criteria(grid):
    return list(EvaluationCriterion.select().where(EvaluationCriterion.grid == grid)
                .order_by(EvaluationCriterion.position, EvaluationCriterion.id))


def grid_snapshot(grid):
    return {"name": grid.name, "archived": grid.archived,
            "criteria": [[c.name, c.weight] for c in grid_criteria(grid)]}


def grid_in_use(grid):
    return SupplierEvaluation.select().where(SupplierEvaluation.grid == grid).exists()


def _replace_criteria(grid, criteria):
    EvaluationCriterion.delete().where(EvaluationCriterion.grid == grid).execute()
    for position, (name, weight) in enumerate(criteria, start=1):
        EvaluationCriterion.create(grid=grid, name=name, weight=weight, position=position)


def create_grid(name, criteria, user, remote_addr=""):
    name, criteria = _clean_name(name), _clean_criteria(criteria)
    with db.atomic():
        grid = EvaluationGrid.create(name=name)
        _replace_criteria(grid, criteria)
        record_action("evaluation.grid.create", GRID, grid.id, user=user, after=grid_snapshot(grid),
                      remote_addr=remote_addr)
    return grid


def update_grid(grid, name, criteria, user, remote_addr=""):
    """Rename a grid; its criteria change only while no evaluation used them, so that past scores keep
    their meaning (copy the grid to change the criteria of the next evaluations)."""
    name = _clean_name(name)
    with _write():
        grid = EvaluationGrid.get_by_id(grid.id)
        before = grid_snapshot(grid)
        if criteria is not None:
            criteria = _clean_criteria(criteria)
            if criteria != [tuple(c) for c in before["criteria"]]:
                if grid_in_use(grid):
                    raise EvaluationError(N_("Cette grille a déjà servi : ses critères et leurs poids ne changent "
                                             "plus, pour que les évaluations passées restent comparables. Créez une "
                                             "nouvelle grille."), field="criteria")
                _replace_criteria(grid, criteria)
        EvaluationGrid.update(name=name).where(EvaluationGrid.id == grid.id).execute()
        grid = EvaluationGrid.get_by_id(grid.id)
        after = grid_snapshot(grid)
        if after != before:
            record_action("evaluation.grid.update", GRID, grid.id, user=user, before=before, after=after,
                          remote_addr=remote_addr)
    return grid


def set_grid_archived(grid, archived, user, remote_addr=""):
    """An archived grid is no longer offered for new evaluations; its evaluations stay."""
    with db.atomic():
        if grid.archived != archived:
            EvaluationGrid.update(archived=archived).where(EvaluationGrid.id == grid.id).execute()
            record_action("evaluation.grid.archive" if archived else "evaluation.grid.unarchive", GRID, grid.id,
                          user=user, before={"archived": grid.archived}, after={"archived": archived},
                          remote_addr=remote_addr)
    return EvaluationGrid.get_by_id(grid.id)


def grids(include_archived=True):
    query = EvaluationGrid.select().order_by(EvaluationGrid.archived, EvaluationGrid.name, EvaluationGrid.id)
    if not include_archived:
        query = query.where(~EvaluationGrid.archived)
    return list(query)


def evaluation_counts():
    query = (SupplierEvaluation.select(SupplierEvaluation.grid, fn.COUNT(SupplierEvaluation.id).alias("n"))
             .group_by(SupplierEvaluation.grid))
    return {row.grid_id: row.n for row in query}


# --- Evaluations ----------------------------------------------------------------------------


@dataclass
class ActionInput:
    description: str
    owner: object = None  # a User, or None
    due_date: datetime.date | None = None


def _clean_action(action):
    description = (action.description or "").strip()
    if not description:
        raise EvaluationError(N_("Décrivez l'action à mener."), field="description")
    if len(description) > 300:
        raise EvaluationError(N_("300 caractères au plus."), field="description")
    return description


def evaluate_supplier(supplier, grid, scores, user, *, evaluated_on=None, notes="", marked_non_compliant=False,
                      actions=(), threshold=None, remote_addr=""):
    """Record an evaluation: `scores` maps each criterion id of the grid to a note 0..10. The weighted
    score is exact in hundredths; below the threshold (or marked by hand) the supplier is non-compliant."""
    criteria = grid_criteria(grid)
    if grid.archived:
        raise EvaluationError(N_("Cette grille est archivée : choisissez-en une autre."), field="grid")
    missing = [c.name for c in criteria if scores.get(c.id) is None]
    if missing:
        raise EvaluationError(N_("Notez chaque critère : %(criteria)s."), field="scores", criteria=", ".join(missing))
    try:
        checked = {c.id: check_score(scores[c.id]) for c in criteria}
    except ScoringError as error:
        raise EvaluationError(error.template, field="scores", **error.params) from None
    score = weighted_score([(checked[c.id], c.weight) for c in criteria])
    threshold = compliance_threshold() if threshold is None else threshold
    compliant = is_compliant(score, threshold, marked_non_compliant)
    descriptions = [(_clean_action(action), action) for action in actions]
    with db.atomic():
        evaluation = SupplierEvaluation.create(
            supplier=supplier, grid=grid, evaluated_on=evaluated_on or datetime.date.today(), evaluator=user,
            score=score, compliant=compliant, notes=(notes or "").strip())
        for criterion in criteria:
            EvaluationScore.create(evaluation=evaluation, criterion=criterion, score=checked[criterion.id])
        for description, action in descriptions:
            EvaluationAction.create(evaluation=evaluation, description=description, owner=action.owner,
                                    due_date=action.due_date)
        record_action("evaluation.create", EVALUATION, evaluation.id, user=user, remote_addr=remote_addr, after={
            "supplier": supplier.name, "supplier_id": supplier.id, "grid": grid.name, "score": format_score(score),
            "threshold": format_score(threshold), "compliant": compliant,
            "marked_non_compliant": bool(marked_non_compliant),
            "scores": {c.name: checked[c.id] for c in criteria}, "actions": [d for d, _ in descriptions]})
    return evaluation


def supplier_evaluations(supplier):
    return list(SupplierEvaluation.select(SupplierEvaluation, EvaluationGrid)
                .join(EvaluationGrid).where(SupplierEvaluation.supplier == supplier)
                .order_by(SupplierEvaluation.evaluated_on.desc(), SupplierEvaluation.id.desc()))


def recent_evaluations(limit=20):
    return list(SupplierEvaluation.select(SupplierEvaluation, Supplier, EvaluationGrid)
                .join(Supplier).switch(SupplierEvaluation).join(EvaluationGrid)
                .order_by(SupplierEvaluation.evaluated_on.desc(), SupplierEvaluation.id.desc()).limit(limit))


def evaluation_scores(evaluation):
    """(criterion, score) pairs in the grid's order."""
    rows = (EvaluationScore.select(EvaluationScore, EvaluationCriterion).join(EvaluationCriterion)
            .where(EvaluationScore.evaluation == evaluation)
            .order_by(EvaluationCriterion.position, EvaluationCriterion.id))
    return [(row.criterion, row.score) for row in rows]


# --- Actions --------------------------------------------------------------------------------


def _action_snapshot(action):
    return {"action_id": action.id, "description": action.description,
            "owner": action.owner.username if action.owner_id else None,
            "due_date": action.due_date.isoformat() if action.due_date else None,
            "done": action.done_at is not None}


def add_action(evaluation, action, user, remote_addr=""):
    description = _clean_action(action)
    with db.atomic():
        row = EvaluationAction.create(evaluation=evaluation, description=description, owner=action.owner,
                                      due_date=action.due_date)
        record_action("evaluation.action.add", EVALUATION, evaluation.id, user=user, after=_action_snapshot(row),
                      remote_addr=remote_addr)
    return row


def may_complete(action, user, can_manage):
    """The owner of an action, or whoever keeps the supplier file, marks it done."""
    return can_manage or (user is not None and action.owner_id == user.id)


def set_action_done(action, done, user, now=None, remote_addr=""):
    with db.atomic():
        action = EvaluationAction.get_by_id(action.id)
        if (action.done_at is not None) != done:
            before = _action_snapshot(action)
            EvaluationAction.update(done_at=(now or utcnow()) if done else None).where(
                EvaluationAction.id == action.id).execute()
            action = EvaluationAction.get_by_id(action.id)
            record_action("evaluation.action.done" if done else "evaluation.action.reopen", EVALUATION,
                          action.evaluation_id, user=user, before=before, after=_action_snapshot(action),
                          remote_addr=remote_addr)
    return action


def is_overdue(action, today):
    return action.done_at is None and action.due_date is not None and action.due_date < today


def evaluation_actions(evaluation):
    return list(EvaluationAction.select(EvaluationAction, User).join(User, JOIN.LEFT_OUTER)
                .where(EvaluationAction.evaluation == evaluation).order_by(EvaluationAction.id))


def open_actions(limit=200):
    """Actions not done yet, by due date (those without one last), with their supplier and owner."""
    return list(EvaluationAction.select(EvaluationAction, SupplierEvaluation, Supplier, User)
                .join(SupplierEvaluation).join(Supplier).switch(EvaluationAction).join(User, JOIN.LEFT_OUTER)
                .where(EvaluationAction.done_at.is_null())
                .order_by(EvaluationAction.due_date.is_null(), EvaluationAction.due_date, EvaluationAction.id)
                .limit(limit))


def action_owners():
    """Users an action can be given to: active users holding a payables right on some shop."""
    from models import ShopRight
    from portal.auth.rights import PAYABLES_RIGHTS

    return list(User.select().distinct().join(ShopRight, on=(ShopRight.user == User.id))
                .where(User.active & ShopRight.right.in_(list(PAYABLES_RIGHTS)))
                .order_by(User.username))


# --- Archiving a non-compliant supplier -------------------------------------------------------


def archive_non_compliant(evaluation, user, remote_addr=""):
    """Archive the supplier of a non-compliant evaluation (hidden from buyers, history kept); the
    archive itself is audited by portal.suppliers.service, the evaluation that caused it here."""
    evaluation = SupplierEvaluation.get_by_id(evaluation.id)
    if evaluation.compliant:
        raise EvaluationError(N_("Cette évaluation est conforme : archivez le fournisseur depuis sa fiche si "
                                 "vous ne travaillez plus avec lui."))
    supplier = evaluation.supplier
    if supplier.archived:
        return supplier
    with _write():
        supplier = archive_supplier(supplier, user, remote_addr=remote_addr)
        record_action("evaluation.archive_supplier", EVALUATION, evaluation.id, user=user,
                      before={"supplier_archived": False},
                      after={"supplier": supplier.name, "supplier_id": supplier.id, "supplier_archived": True,
                             "score": format_score(evaluation.score)}, remote_addr=remote_addr)
    return supplier
