"""Supplier audit pages (AP-KYS-1): thin views over service.py (writes and rules) and pages.py (what
each page or htmx fragment shows). Reading needs a payables right; changing, manage_suppliers (AUTH-2)."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import EvaluationAction, Supplier, SupplierEvaluation, User
from portal.evaluations import bp, pages, service
from portal.evaluations.forms import GridForm, ThresholdForm
from portal.evaluations.service import ActionInput, EvaluationError
from portal.numbers import parse_id
from portal.suppliers.access import access_required
from portal.web import htmx_redirect


def _user():
    return current_user._get_current_object()


def _supplier(supplier_id):
    return Supplier.get_or_none(Supplier.id == supplier_id) or abort(404)


def _evaluation(evaluation_id):
    return SupplierEvaluation.get_or_none(SupplierEvaluation.id == evaluation_id) or abort(404)


def _owner(user_id):
    return User.get_or_none(User.id == user_id) if user_id else None


def _supplier_url(supplier, anchor=""):
    return url_for("evaluations.supplier", supplier_id=supplier.id) + anchor


def _message(error):
    """An EvaluationError in the user's language."""
    return _(error.template, **error.params)


def _field_error(form, error, default):
    target = form[error.field] if error.field and error.field in form else form[default]
    target.errors = list(target.errors) + [_message(error)]


@bp.app_template_filter("evaluation_score")
def evaluation_score_filter(hundredths):
    return pages.score_text(hundredths)


@bp.route("/")
@access_required("can_view")
def index(access):
    return pages.render_index(access)


@bp.route("/seuil", methods=["POST"])
@access_required("can_manage")
def threshold(access):
    form = ThresholdForm()
    if not form.validate_on_submit():
        return pages.render_index(access, form, 422)
    service.save_compliance_threshold(form.hundredths, _user(), remote_addr=request.remote_addr)
    flash(_("Seuil de conformité : %(score)s. Il vaut pour les prochaines évaluations.",
            score=pages.score_text(form.hundredths)), "success")
    return redirect(url_for("evaluations.index"), 303)


# --- Grids ----------------------------------------------------------------------------------


@bp.route("/grilles/nouvelle", methods=["GET", "POST"])
@bp.route("/grilles/<int:grid_id>/modifier", methods=["GET", "POST"])
@access_required("can_manage")
def grid_edit(access, grid_id=None):
    grid = (pages.get_grid(grid_id) or abort(404)) if grid_id else None
    form = GridForm() if request.method == "POST" else GridForm.for_grid(grid, service.grid_criteria(grid) if grid else [])
    if form.validate_on_submit():
        try:
            if grid is None:
                grid = service.create_grid(form.name.data, form.criteria_data(), _user(), request.remote_addr)
            else:
                grid = service.update_grid(grid, form.name.data, form.criteria_data(), _user(), request.remote_addr)
        except EvaluationError as error:
            _field_error(form, error, "name")
        else:
            flash(_("Grille « %(name)s » enregistrée.", name=grid.name), "success")
            return redirect(url_for("evaluations.index"), 303)
    return pages.render_grid_form(grid, form, access, 422 if form.errors else 200)


@bp.route("/grilles/<int:grid_id>/archiver", methods=["POST"])
@bp.route("/grilles/<int:grid_id>/desarchiver", methods=["POST"], endpoint="grid_unarchive")
@access_required("can_manage")
def grid_archive(grid_id, access):
    grid = pages.get_grid(grid_id) or abort(404)
    archived = request.endpoint == "evaluations.grid_archive"
    grid = service.set_grid_archived(grid, archived, _user(), request.remote_addr)
    flash(_("Grille « %(name)s » archivée : elle n'est plus proposée pour les évaluations.", name=grid.name)
          if archived else _("Grille « %(name)s » de nouveau proposée pour les évaluations.", name=grid.name),
          "success")
    return htmx_redirect(url_for("evaluations.index"))


# --- A supplier's evaluations ---------------------------------------------------------------


@bp.route("/fournisseur")
@access_required("can_view")
def pick_supplier(access):
    """The "Évaluer" form of the overview, without JavaScript: a supplier chosen in a list."""
    supplier = _supplier(parse_id(request.args.get("fournisseur")))
    return redirect(_supplier_url(supplier, "#new-evaluation"), 303)


@bp.route("/fournisseur/<int:supplier_id>", methods=["GET", "POST"])
@access_required("can_view")
def supplier(supplier_id, access):
    supplier = _supplier(supplier_id)
    grid = pages.chosen_grid(parse_id(request.args.get("grille")))
    if request.method == "GET":
        return pages.render_supplier(supplier, access, grid)
    if not access.can_manage:
        abort(403)
    if grid is None:
        abort(404)
    form = pages.new_evaluation_form(grid, service.action_owners(), request.form)
    if form.validate_on_submit():
        try:
            evaluation = service.evaluate_supplier(
                supplier, grid, form.scores(), _user(), evaluated_on=form.evaluated_on.data, notes=form.notes.data,
                marked_non_compliant=form.marked_non_compliant.data, remote_addr=request.remote_addr,
                actions=[ActionInput(row.description.data, _owner(row.owner.data), row.due_date.data)
                         for row in form.action_rows()])
        except EvaluationError as error:
            _field_error(form, error, "notes")
        else:
            score = pages.score_text(evaluation.score)
            flash(_("Évaluation enregistrée : %(score)s, conforme.", score=score) if evaluation.compliant else
                  _("Évaluation enregistrée : %(score)s, NON CONFORME.", score=score),
                  "success" if evaluation.compliant else "warning")
            return redirect(_supplier_url(supplier, f"#evaluation-{evaluation.id}"), 303)
    return pages.render_supplier(supplier, access, grid, form, 422)


@bp.route("/<int:evaluation_id>/actions", methods=["POST"])
@access_required("can_manage")
def add_action(evaluation_id, access):
    evaluation = _evaluation(evaluation_id)
    form = pages.action_form(evaluation, service.action_owners(), request.form)
    if not form.validate_on_submit():
        return pages.render_actions(evaluation, access, form, 422)
    service.add_action(evaluation, ActionInput(form.description.data, _owner(form.owner.data), form.due_date.data),
                       _user(), request.remote_addr)
    if not pages.wants_fragment():
        flash(_("Action ajoutée."), "success")
        return redirect(_supplier_url(evaluation.supplier, f"#evaluation-{evaluation.id}"), 303)
    return pages.render_actions(evaluation, access)


@bp.route("/actions/<int:action_id>/fait", methods=["POST"])
@bp.route("/actions/<int:action_id>/rouvrir", methods=["POST"], endpoint="reopen_action")
@access_required("can_view")
def complete_action(action_id, access):
    action = EvaluationAction.get_or_none(EvaluationAction.id == action_id) or abort(404)
    if not service.may_complete(action, _user(), access.can_manage):
        abort(403)
    done = request.endpoint == "evaluations.complete_action"
    action = service.set_action_done(action, done, _user(), remote_addr=request.remote_addr)
    on_index = request.form.get("contexte") == "index"
    if not pages.wants_fragment():
        flash(_("Action terminée.") if done else _("Action rouverte."), "success")
        return redirect(url_for("evaluations.index") if on_index else
                        _supplier_url(action.evaluation.supplier, f"#evaluation-{action.evaluation_id}"), 303)
    return pages.render_action_row(action, access, on_index)


@bp.route("/<int:evaluation_id>/archiver-fournisseur", methods=["POST"])
@access_required("can_manage")
def archive_supplier(evaluation_id, access):
    evaluation = _evaluation(evaluation_id)
    try:
        supplier = service.archive_non_compliant(evaluation, _user(), request.remote_addr)
    except EvaluationError as error:
        flash(_message(error), "error")
    else:
        flash(_("Fournisseur « %(name)s » archivé : il n'apparaît plus dans les choix des acheteurs ; "
                "sa fiche, ses factures et ses évaluations sont conservées.", name=supplier.name), "success")
    return htmx_redirect(_supplier_url(evaluation.supplier))
