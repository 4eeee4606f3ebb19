"""What the allocation pages show: the axes page (each axis with its value tree, inline forms and
access panels) and the invoice allocation panel, each as a full page or as the part an htmx
request swaps. Every list goes through visibility.py."""
from dataclasses import dataclass

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import AnalyticAxis, AnalyticValue
from portal.allocation import editor as editing
from portal.allocation import service
from portal.allocation.access import axes_access, invoice_access
from portal.allocation.forms import AxisForm, GrantForm, ValueForm
from portal.allocation.visibility import visible_axes, visible_axis_ids, visible_value_ids
from portal.money import Amount

AXES_TARGET = "#alloc-axes"
PANEL_ID = "invoice-allocation"


def wants_fragment():
    return request.headers.get("HX-Request") == "true"


def user():
    return current_user._get_current_object()


# --- Axes page -----------------------------------------------------------------------------------


def visible_axis(axis_id):
    """The axis, when the current user may see it (a hidden axis is "not found", not "forbidden")."""
    if axis_id not in visible_axis_ids(user()):
        return None
    return AnalyticAxis.get_or_none(AnalyticAxis.id == axis_id)


def visible_value(value_id):
    if value_id not in visible_value_ids(user()):
        return None
    return AnalyticValue.get_or_none(AnalyticValue.id == value_id)


@dataclass
class AccessPanel:
    target: object
    kind: str  # "axis" or "value"
    grants: list
    form: object
    notice: str = ""


def access_panel(target, form=None, notice=""):
    kind = "axis" if isinstance(target, AnalyticAxis) else "value"
    return AccessPanel(target, kind, service.grants_of(target),
                       form or GrantForm(formdata=None, prefix=f"grant-{kind}-{target.id}"), notice)


def new_value_form(axis, nodes, formdata=None):
    form = ValueForm(formdata=formdata, prefix=f"axis-{axis.id}-value")
    form.set_parents(nodes)
    return form


def axis_context(axis, access, *, rename_form=None, value_form=None, edit_value=None, value_edit_form=None,
                 panel=None, notice=""):
    """Everything _axis.html shows of one axis; the forms not given are empty."""
    nodes = service.value_tree(user(), axis, include_archived=access.can_manage)
    if edit_value is not None and value_edit_form is None:
        value_edit_form = ValueForm(formdata=None, obj=edit_value, prefix=f"value-{edit_value.id}")
        value_edit_form.parent.data = edit_value.parent_id or 0
    if value_edit_form is not None:
        value_edit_form.set_parents(nodes, exclude=edit_value)
    return {"axis": axis, "nodes": nodes, "access": access, "rename_form": rename_form,
            "value_form": value_form or new_value_form(axis, nodes), "edit_value": edit_value,
            "value_edit_form": value_edit_form, "panel": panel, "notice": notice}


def axes_context(access, *, states=None, axis_form=None, notice=""):
    states = states or {}
    axes = visible_axes(user(), include_archived=access.can_manage)
    return {"sections": [axis_context(axis, access, **states.get(axis.id, {})) for axis in axes],
            "access": access, "axis_form": axis_form or AxisForm(formdata=None, prefix="axis-new"),
            "notice": notice}


def render_index(access, status=200, **state):
    values = axes_context(access, **state)
    if request.headers.get("HX-Target") == "alloc-axes":
        return render_template("allocation/_axes.html", **values), status
    return render_template("allocation/index.html", **values), status


def render_axes(access, status=200, **state):
    """The list of axes (after a change of order, an archiving …); the page without htmx."""
    values = axes_context(access, **state)
    template = "allocation/_axes.html" if wants_fragment() else "allocation/index.html"
    return render_template(template, **values), status


def render_axis(axis, access, status=200, **state):
    """One axis section for htmx; without JavaScript, the whole page with that section's state.
    Should the user no longer see the axis (they revoked their own grant), the whole list."""
    axis = AnalyticAxis.get_by_id(axis.id)  # as changed by the action just made
    if not wants_fragment():
        return render_template("allocation/index.html", **axes_context(access, states={axis.id: state})), status
    if axis.id not in visible_axis_ids(user()):
        html = render_template("allocation/_axes.html", **axes_context(
            access, notice=_("Vous ne voyez plus cet axe : il est réservé à d'autres personnes.")))
        return html, status, {"HX-Retarget": AXES_TARGET, "HX-Reswap": "outerHTML"}
    return render_template("allocation/_axis.html", section=axis_context(axis, access, **state)), status


def index_url(axis=None):
    return url_for("allocation.index") + (f"#axis-{axis.id}" if axis is not None else "")


# --- Invoice allocation panel -------------------------------------------------------------------


def _axis_choices(axes, selected_ids):
    """The axes a row may choose: the open ones, and an archived one already chosen."""
    return [axis for axis in axes if not axis.archived or axis.id in selected_ids]


def value_choices(axis_id, selected_id=None):
    """(id, path) of the values a row may choose on an axis the user sees; an archived value
    stays in the list of the row that already has it."""
    if axis_id is None or axis_id not in visible_axis_ids(user()):
        return []
    axis = AnalyticAxis.get_by_id(axis_id)
    choices = [(node.value.id, node.path) for node in service.value_tree(user(), axis)]
    if selected_id and selected_id not in {value_id for value_id, _ in choices}:
        if selected_id in visible_value_ids(user()):
            path = service.value_paths([selected_id]).get(selected_id, "")
            choices.append((selected_id, _("%(path)s (archivée)", path=path)))
    return choices


def default_axis_id():
    """The axis a new row starts on: the first open one the user sees."""
    axes = visible_axes(user())
    return axes[0].id if axes else None


def panel_context(invoice, rights=None, editor=None, errors=None, saved=False):
    """What _invoice_allocation.html shows; `editor` is the submitted state when re-shown."""
    access = invoice_access(user(), invoice, rights)
    context = {"invoice": invoice, "alloc_access": access, "saved": saved, "editor": None, "shown": None}
    if not access.can_view:
        return context
    shown = service.allocations_for(invoice, user())
    context["shown"] = shown
    if access.can_edit:
        axes = visible_axes(user(), include_archived=True)
        editor = editor or editing.editor_from_allocation(shown, default_axis_id())
        context.update(editor=editor, axes=_axis_choices(axes, {row.axis_id for row in editor.rows}),
                       values_of=lambda row: value_choices(row.axis_id, row.value_id))
    return context


def allocation_panel(invoice, rights=None):
    """For invoices/detail.html: the panel's context, read when the invoice page includes it."""
    return panel_context(invoice, rights)


def render_panel(invoice, status=200, **state):
    """The panel for htmx; without JavaScript, the invoice page around it."""
    context = panel_context(invoice, **state)
    if wants_fragment():
        return render_template("allocation/_invoice_allocation.html", panel=context, invoice=invoice), status
    from portal.invoices.forms import ActionForm
    from portal.invoices.pages import invoice_detail

    return render_template("invoices/detail.html", **invoice_detail(invoice), action_form=ActionForm(),
                           panel=context), status


def row_context(invoice, row):
    axes = visible_axes(user(), include_archived=True)
    return {"invoice": invoice, "row": row, "axes": _axis_choices(axes, {row.axis_id}),
            "values": value_choices(row.axis_id, row.value_id)}


def money_formatter(currency):
    """Amounts inside refusals: formatted in the reader's locale when the refusal is translated."""
    return lambda minor: Amount(minor, currency)


def current_axes_access():
    return axes_access(user())
