"""Analytic axes, their values and who may see them, and the allocation of invoices on them
(ALLOC-1..3), in plain Python. Every write is audited (AUDIT-1) in the transaction that makes it;
what a user may see always comes from visibility.py."""
from dataclasses import dataclass, field
from typing import NamedTuple

from peewee import JOIN, fn

from models import (AnalyticAccess, AnalyticAxis, AnalyticValue, Allocation, Department, Establishment, Invoice,
                    InvoiceLine, Supplier, User, db)
from portal.allocation import rules
from portal.allocation.visibility import visible_axis_ids, visible_value_ids, visible_values
from portal.audit import record_action
from portal.database import is_postgres
from portal.money import Amount
from portal.texts import N_, Text, TextError

DEFAULT_AXIS_NAME = "Centre de coût"
AXIS_TARGET, VALUE_TARGET, INVOICE_TARGET = "analytic_axis", "analytic_value", "invoice"
PATH_SEPARATOR = " > "


class AnalyticError(TextError):
    """A refused change to axes or values; `field` names the form field the message belongs next to.
    str() is the French message, translate() the reader's (LOC-3)."""

    def __init__(self, template, field="name", **params):
        super().__init__(template, field, **params)


class AllocationRefused(ValueError):
    """An allocation that cannot be saved: `errors` are rules.AllocationError, indexed like the lines."""

    def __init__(self, errors):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def _write():
    """A write transaction that serialises writers: SQLite takes its write lock at once; PostgreSQL
    locks the rows it reads for update (see _lock_invoice)."""
    if is_postgres():
        return db.atomic()
    return db.atomic(lock_type="IMMEDIATE")


def _seen_axes(user):
    """The axes whose names `user` may be told about; all of them for the system (user None)."""
    if user is None:
        return AnalyticAxis.select(AnalyticAxis.id)
    return list(visible_axis_ids(user)) or [0]


def _seen_values(user):
    if user is None:
        return AnalyticValue.select(AnalyticValue.id)
    return list(visible_value_ids(user)) or [0]


# What a missing name says, by what is being named.
NAME_REQUIRED = {"axis": N_("Saisissez le nom de l'axe."), "value": N_("Saisissez le nom de la valeur.")}


def _clean_name(name, what, max_length):
    name = " ".join((name or "").split())
    if not name:
        raise AnalyticError(NAME_REQUIRED[what])
    if len(name) > max_length:
        raise AnalyticError(N_("%(max)s caractères au plus."), max=max_length)
    return name


# --- Axes ---------------------------------------------------------------------------------------


def axis_snapshot(axis):
    return {"name": axis.name, "position": axis.position, "restricted": axis.restricted, "archived": axis.archived}


def _audit_axis(action, axis, user, before=None, after=None, remote_addr=""):
    record_action(action, AXIS_TARGET, axis.id, user=user, before=before, after=after, remote_addr=remote_addr)


def _refuse_duplicate_axis(name, user, axis_id=None):
    """Names are unique among the axes the user sees (a hidden axis is never revealed by a refusal)."""
    query = AnalyticAxis.select().where(AnalyticAxis.id.in_(_seen_axes(user))
                                        & (fn.LOWER(AnalyticAxis.name) == name.lower()))
    if axis_id is not None:
        query = query.where(AnalyticAxis.id != axis_id)
    other = query.first()
    if other is not None:
        if other.archived:
            raise AnalyticError(N_("Un axe s'appelle déjà « %(name)s » (archivé : désarchivez-le plutôt)."),
                                name=other.name)
        raise AnalyticError(N_("Un axe s'appelle déjà « %(name)s »."), name=other.name)


def create_axis(name, user, *, remote_addr=""):
    name = _clean_name(name, "axis", 80)
    with _write():
        _refuse_duplicate_axis(name, user)
        position = (AnalyticAxis.select(fn.MAX(AnalyticAxis.position)).scalar() or 0) + 1
        axis = AnalyticAxis.create(name=name, position=position)
        _audit_axis("analytic.axis.create", axis, user, after=axis_snapshot(axis), remote_addr=remote_addr)
    return axis


def rename_axis(axis, name, user, *, remote_addr=""):
    name = _clean_name(name, "axis", 80)
    with _write():
        axis = AnalyticAxis.get_by_id(axis.id)
        if axis.name != name:
            _refuse_duplicate_axis(name, user, axis.id)
            AnalyticAxis.update(name=name).where(AnalyticAxis.id == axis.id).execute()
            _audit_axis("analytic.axis.rename", axis, user, before={"name": axis.name}, after={"name": name},
                        remote_addr=remote_addr)
    return AnalyticAxis.get_by_id(axis.id)


def archive_axis(axis, user, *, archived=True, remote_addr=""):
    """An archived axis leaves the pickers; allocations already made on it stay, with their reports."""
    with _write():
        axis = AnalyticAxis.get_by_id(axis.id)
        if axis.archived != archived:
            AnalyticAxis.update(archived=archived).where(AnalyticAxis.id == axis.id).execute()
            _audit_axis("analytic.axis.archive" if archived else "analytic.axis.unarchive", axis, user,
                        before={"archived": axis.archived}, after={"archived": archived}, remote_addr=remote_addr)
    return AnalyticAxis.get_by_id(axis.id)


def reorder_axes(axes, user, *, remote_addr=""):
    """Put `axes` in this order. They take the positions they held between them, so axes the user
    cannot see keep their places."""
    ids = [axis.id for axis in axes]
    with _write():
        current = {axis.id: axis.position for axis in AnalyticAxis.select().where(AnalyticAxis.id.in_(ids or [0]))}
        slots = sorted(current.values())
        if len(set(slots)) != len(slots):  # positions never set apart: number them after the others
            start = (AnalyticAxis.select(fn.MAX(AnalyticAxis.position)).scalar() or 0) + 1
            slots = list(range(start, start + len(slots)))
        changed = {}
        for axis_id, position in zip(ids, slots):
            if current[axis_id] != position:
                AnalyticAxis.update(position=position).where(AnalyticAxis.id == axis_id).execute()
                changed[axis_id] = (current[axis_id], position)
        if changed:
            record_action("analytic.axis.reorder", AXIS_TARGET, "", user=user,
                          before={str(i): old for i, (old, _) in changed.items()},
                          after={str(i): new for i, (_, new) in changed.items()}, remote_addr=remote_addr)


def move_axis(axis, offset, user, *, remote_addr=""):
    """Move `axis` up (-1) or down (+1) among the axes the user sees."""
    axes = [a for a in AnalyticAxis.select().where(AnalyticAxis.id.in_(_seen_axes(user)))
            .order_by(AnalyticAxis.position, AnalyticAxis.name, AnalyticAxis.id)]
    index = next((i for i, a in enumerate(axes) if a.id == axis.id), None)
    if index is None or not 0 <= index + offset < len(axes):
        return
    axes[index], axes[index + offset] = axes[index + offset], axes[index]
    reorder_axes(axes, user, remote_addr=remote_addr)


def ensure_default_axis(user=None):
    """The axis every merchant starts with, « Centre de coût », when there is no axis at all."""
    if AnalyticAxis.select().exists():  # the usual case, without taking the write lock
        return None
    with _write():
        if is_postgres():
            db.execute_sql("LOCK TABLE analytic_axis IN SHARE ROW EXCLUSIVE MODE")
        if AnalyticAxis.select().exists():
            return None
        axis = AnalyticAxis.create(name=DEFAULT_AXIS_NAME, position=1)
        _audit_axis("analytic.axis.create", axis, user, after=axis_snapshot(axis))
    return axis


# --- Values and sub-values ----------------------------------------------------------------------


def value_snapshot(value):
    return {"axis_id": value.axis_id, "parent_id": value.parent_id, "name": value.name, "code": value.code,
            "restricted": value.restricted, "archived": value.archived}


def _audit_value(action, value, user, before=None, after=None, remote_addr=""):
    record_action(action, VALUE_TARGET, value.id, user=user, before=before, after=after, remote_addr=remote_addr)


def _checked_parent(axis, parent, value=None):
    if parent is None:
        return None
    if parent.axis_id != axis.id:
        raise AnalyticError(N_("La valeur parente doit appartenir au même axe."), "parent")
    ancestor = parent
    while ancestor is not None:
        if value is not None and ancestor.id == value.id:
            raise AnalyticError(N_("Une valeur ne peut pas être rangée sous elle-même ni sous l'une de ses "
                                   "sous-valeurs."), "parent")
        ancestor = ancestor.parent
    return parent


def _refuse_duplicate_value(axis, parent, name, user, value_id=None):
    """Siblings have different names (among the values the user sees)."""
    query = AnalyticValue.select().where((AnalyticValue.axis == axis)
                                         & AnalyticValue.id.in_(_seen_values(user))
                                         & (fn.LOWER(AnalyticValue.name) == name.lower()))
    query = query.where(AnalyticValue.parent.is_null() if parent is None else AnalyticValue.parent == parent)
    if value_id is not None:
        query = query.where(AnalyticValue.id != value_id)
    if query.exists():
        raise AnalyticError(N_("« %(name)s » existe déjà à cet endroit de l'axe."), name=name)


def _clean_code(code):
    code = (code or "").strip()
    if len(code) > 32:
        raise AnalyticError(N_("%(max)s caractères au plus."), "code", max=32)
    return code


def create_value(axis, name, user, *, parent=None, code="", remote_addr=""):
    name = _clean_name(name, "value", 120)
    code = _clean_code(code)
    with _write():
        parent = _checked_parent(axis, parent)
        _refuse_duplicate_value(axis, parent, name, user)
        value = AnalyticValue.create(axis=axis, parent=parent, name=name, code=code)
        _audit_value("analytic.value.create", value, user, after=value_snapshot(value), remote_addr=remote_addr)
    return value


def update_value(value, user, *, name=None, code=None, parent=False, remote_addr=""):
    """Rename, recode or move a value under another parent (`parent=None` puts it at the top;
    leave `parent` out to keep it where it is)."""
    with _write():
        value = AnalyticValue.get_by_id(value.id)
        changes = {}
        if name is not None:
            changes["name"] = _clean_name(name, "value", 120)
        if code is not None:
            changes["code"] = _clean_code(code)
        if parent is not False:
            parent = _checked_parent(value.axis, parent, value)
            changes["parent"] = parent.id if parent else None
        new_parent_id = changes.get("parent", value.parent_id)
        changed = {key: new for key, new in changes.items()
                   if new != (value.parent_id if key == "parent" else getattr(value, key))}
        if changed:
            if "name" in changed or "parent" in changed:
                _refuse_duplicate_value(value.axis, new_parent_id, changes.get("name", value.name), user, value.id)
            AnalyticValue.update(**changed).where(AnalyticValue.id == value.id).execute()
            before = value_snapshot(value)
            after = value_snapshot(AnalyticValue.get_by_id(value.id))
            differ = [key for key in after if before[key] != after[key]]
            _audit_value("analytic.value.update", value, user, before={key: before[key] for key in differ},
                         after={key: after[key] for key in differ}, remote_addr=remote_addr)
    return AnalyticValue.get_by_id(value.id)


def rename_value(value, name, user, *, code=None, remote_addr=""):
    return update_value(value, user, name=name, code=code, remote_addr=remote_addr)


def set_value_parent(value, parent, user, *, remote_addr=""):
    return update_value(value, user, parent=parent, remote_addr=remote_addr)


def archive_value(value, user, *, archived=True, remote_addr=""):
    """An archived value (and so its sub-values) leaves the pickers; allocations made on it stay."""
    with _write():
        value = AnalyticValue.get_by_id(value.id)
        if value.archived != archived:
            AnalyticValue.update(archived=archived).where(AnalyticValue.id == value.id).execute()
            _audit_value("analytic.value.archive" if archived else "analytic.value.unarchive", value, user,
                         before={"archived": value.archived}, after={"archived": archived}, remote_addr=remote_addr)
    return AnalyticValue.get_by_id(value.id)


@dataclass
class TreeNode:
    value: object
    depth: int
    path: str


def value_tree(user, axis, include_archived=False):
    """The values of `axis` the user sees, parents first then their sub-values, by name. A value
    whose parent is left out (archived) is left out too."""
    values = visible_values(user, axis, include_archived=include_archived)
    children = {}
    for value in values:
        children.setdefault(value.parent_id, []).append(value)
    nodes = []

    def walk(parent_id, depth, prefix):
        for value in sorted(children.get(parent_id, []), key=lambda v: (v.name.lower(), v.id)):
            path = f"{prefix}{PATH_SEPARATOR}{value.name}" if prefix else value.name
            nodes.append(TreeNode(value, depth, path))
            walk(value.id, depth + 1, path)

    walk(None, 0, "")
    return nodes


def value_paths(value_ids):
    """{value id: "Parent > Enfant"} for the given values (their ancestors are read, never listed)."""
    value_ids = set(value_ids)
    if not value_ids:
        return {}
    axis_ids = {v.axis_id for v in
                AnalyticValue.select(AnalyticValue.axis).where(AnalyticValue.id.in_(list(value_ids)))}
    by_id = {v.id: v for v in AnalyticValue.select(AnalyticValue.id, AnalyticValue.parent, AnalyticValue.name)
             .where(AnalyticValue.axis.in_(list(axis_ids) or [0]))}

    def path(value_id, seen=()):
        value = by_id[value_id]
        if value.parent_id in by_id and value.parent_id not in seen:
            return path(value.parent_id, seen + (value_id,)) + PATH_SEPARATOR + value.name
        return value.name

    return {value_id: path(value_id) for value_id in value_ids if value_id in by_id}


# --- Restrictions and grants (ALLOC-3) ----------------------------------------------------------


def _target_kind(target):
    return AXIS_TARGET if isinstance(target, AnalyticAxis) else VALUE_TARGET


def grants_of(target):
    """The grants on an axis or a value, users first, then departments, then establishments."""
    column = AnalyticAccess.axis if isinstance(target, AnalyticAxis) else AnalyticAccess.value
    query = (AnalyticAccess.select(AnalyticAccess, User, Department, Establishment)
             .join_from(AnalyticAccess, User, JOIN.LEFT_OUTER)
             .join_from(AnalyticAccess, Department, JOIN.LEFT_OUTER)
             .join_from(AnalyticAccess, Establishment, JOIN.LEFT_OUTER)
             .where(column == target))
    return sorted(query, key=lambda g: (0 if g.user_id else 1 if g.department_id else 2, grantee_label(g).lower()))


def grantee_label(grant):
    if grant.user_id:
        return grant.user.display_name or grant.user.username
    if grant.department_id:
        return grant.department.name
    return grant.establishment.name


def _grant_snapshot(grant):
    kind = "user" if grant.user_id else "department" if grant.department_id else "establishment"
    return {"grant_id": grant.id, kind: grantee_label(grant)}


def _is_visible(target, user):
    if isinstance(target, AnalyticAxis):
        return target.id in visible_axis_ids(user)
    return target.id in visible_value_ids(user)


def grant_access(target, user, *, grantee_user=None, department=None, establishment=None, remote_addr=""):
    """Let one user, department or establishment see a restricted axis or value; returns the grant
    (the existing one when it was already given)."""
    grantees = [g for g in (grantee_user, department, establishment) if g is not None]
    if len(grantees) != 1:
        raise AnalyticError(N_("Choisissez un utilisateur, un service ou un établissement."), "grantee")
    on = {"axis": target} if isinstance(target, AnalyticAxis) else {"value": target}
    who = {"user": grantee_user, "department": department, "establishment": establishment}
    with _write():
        condition = True
        for key, item in {**on, **who}.items():
            column = getattr(AnalyticAccess, key)
            condition &= (column == item) if item is not None else column.is_null()
        existing = AnalyticAccess.select().where(condition).first()
        if existing is not None:
            return existing
        grant = AnalyticAccess.create(**on, **who)
        record_action("analytic.access.grant", _target_kind(target), target.id, user=user,
                      after=_grant_snapshot(grant), remote_addr=remote_addr)
    return grant


def revoke_access(grant, user, *, remote_addr=""):
    target = grant.axis if grant.axis_id else grant.value
    with _write():
        record_action("analytic.access.revoke", _target_kind(target), target.id, user=user,
                      before=_grant_snapshot(grant), remote_addr=remote_addr)
        grant.delete_instance()


def set_restricted(target, restricted, user, *, remote_addr=""):
    """Restrict an axis or value to its grants, or open it to everyone again. Whoever restricts it
    is granted it, so that restricting never hides an axis from the person configuring it."""
    model = type(target)
    with _write():
        target = model.get_by_id(target.id)
        if target.restricted == restricted:
            return target
        model.update(restricted=restricted).where(model.id == target.id).execute()
        record_action("analytic.restrict" if restricted else "analytic.unrestrict", _target_kind(target), target.id,
                      user=user, before={"restricted": target.restricted}, after={"restricted": restricted},
                      remote_addr=remote_addr)
        target = model.get_by_id(target.id)
        if restricted and user is not None and not _is_visible(target, user):
            grant_access(target, user, grantee_user=user, remote_addr=remote_addr)
    return target


# --- Allocation of invoices (ALLOC-2) -----------------------------------------------------------


@dataclass(frozen=True)
class AllocationInput:
    """One line to save: a value, and an amount (minor units) or a percentage (basis points) of
    the invoice's net amount (or of its line's, with `invoice_line_id`)."""

    value_id: int
    amount: int | None = None
    percent: int | None = None
    invoice_line_id: int | None = None


@dataclass
class ShownAllocation:
    allocation: object
    value: object
    axis: object
    path: str


@dataclass
class InvoiceAllocation:
    """What one user sees of an invoice's allocation: their lines, and one opaque figure for the
    lines on axes or values they may not see."""

    invoice: object
    lines: list = field(default_factory=list)
    hidden_amount: int = 0

    @property
    def total(self):
        return self.invoice.total_net

    @property
    def allocated(self):
        return self.hidden_amount + sum(line.allocation.amount for line in self.lines)

    @property
    def remaining(self):
        return self.total - self.allocated


def _lock_invoice(invoice):
    query = Invoice.select().where(Invoice.id == invoice.id)
    if is_postgres():
        query = query.for_update()
    return query.get()


def allocations_for(invoice, user, visible_ids=None):
    """The allocation lines of `invoice` that `user` may see (by axis, then value path), plus the
    total of the others as one figure that names nothing."""
    visible_ids = visible_value_ids(user) if visible_ids is None else visible_ids
    rows = list(Allocation.select(Allocation, AnalyticValue, AnalyticAxis)
                .join(AnalyticValue).join(AnalyticAxis)
                .where(Allocation.invoice == invoice).order_by(Allocation.id))
    shown = [row for row in rows if row.value_id in visible_ids]
    paths = value_paths(row.value_id for row in shown)
    lines = [ShownAllocation(row, row.value, row.value.axis, paths[row.value_id]) for row in shown]
    lines.sort(key=lambda line: (line.axis.position, line.axis.name.lower(), line.path.lower(), line.allocation.id))
    hidden = sum(row.amount for row in rows if row.value_id not in visible_ids)
    return InvoiceAllocation(invoice, lines, hidden)


def _allocation_snapshot(rows, paths):
    return [{"value_id": row.value_id, "value": paths.get(row.value_id, ""), "amount": row.amount,
             "percent": row.percent, "invoice_line_id": row.invoice_line_id} for row in rows]


def _line_errors(invoice, lines, visible_ids, kept_ids):
    """Per-line refusals that do not depend on the amounts: the value, the invoice line."""
    errors = []
    values = {v.id: v for v in AnalyticValue.select(AnalyticValue, AnalyticAxis).join(AnalyticAxis)
              .where(AnalyticValue.id.in_([line.value_id for line in lines if line.value_id] or [0]))}
    invoice_lines = {line.id for line in InvoiceLine.select(InvoiceLine.id).where(InvoiceLine.invoice == invoice)}
    for index, line in enumerate(lines):
        value = values.get(line.value_id)
        if value is None or value.id not in visible_ids:
            errors.append(rules.AllocationError.of(N_("Choisissez une valeur dans la liste."), index))
        elif (value.archived or value.axis.archived) and value.id not in kept_ids:
            errors.append(rules.AllocationError.of(N_("Cette valeur est archivée : choisissez-en une autre."), index))
        elif line.invoice_line_id is not None and line.invoice_line_id not in invoice_lines:
            errors.append(rules.AllocationError.of(N_("Cette ligne n'appartient pas à la facture."), index))
    return errors


def _group_totals(invoice, lines, hidden):
    """{invoice line id or None: amount to allocate}: the whole net amount, or each line's."""
    keys = {line.invoice_line_id for line in lines} | {row.invoice_line_id for row in hidden}
    if keys <= {None}:
        return {None: invoice.total_net}, []
    if None in keys:
        return None, [rules.AllocationError.of(N_("Ventilez soit la facture entière, soit chacune de ses lignes, "
                                                  "pas les deux à la fois."))]
    invoice_lines = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice).order_by(InvoiceLine.position))
    if sum(line.net_amount for line in invoice_lines) != invoice.total_net:
        return None, [rules.AllocationError.of(N_("Les lignes de cette facture ne font pas son montant HT : "
                                                  "ventilez la facture entière."))]
    return {line.id: line.net_amount for line in invoice_lines}, []


def _on_line(position, error):
    """A refusal about the whole of one invoice line's allocation, saying which line (or as is)."""
    if position is None:
        return error
    return rules.AllocationError.of(N_("Ligne %(position)s de la facture : %(reason)s"), position=position,
                                    reason=error.text or Text(error.message))


def _amount_errors(totals, lines, hidden, format_amount):
    """Run check_allocation on each group (hidden lines count as fixed amounts); returns the
    errors with the indexes of `lines`, and the amount of each line."""
    errors, amounts = [], [None] * len(lines)
    labels = {}
    if len(totals) > 1 or None not in totals:
        labels = {row.id: row.position for row in InvoiceLine.select().where(InvoiceLine.id.in_(list(totals)))}
    for key, total in totals.items():
        positions = [i for i, line in enumerate(lines) if line.invoice_line_id == key]
        group = ([rules.Line(lines[i].amount, lines[i].percent) for i in positions]
                 + [rules.Line(row.amount) for row in hidden if row.invoice_line_id == key])
        if not group:
            errors.append(_on_line(labels.get(key), rules.AllocationError.of(N_("Reste à ventiler : %(amount)s."),
                                                                             amount=format_amount(total))))
            continue
        for error in rules.check_allocation(total, group, format_amount):
            index = positions[error.index] if error.index is not None and error.index < len(positions) else None
            errors.append(rules.AllocationError(error.message, index, error.text) if index is not None
                          else _on_line(labels.get(key), error))
        if not any(e.index is None for e in errors):
            resolved = rules.resolve_amounts(total, group)
            for i, amount in zip(positions, resolved):
                amounts[i] = amount
    return errors, amounts


def save_allocation(invoice, lines, user, visible_ids, *, format_amount=None, remote_addr=""):
    """Replace the lines of `invoice` that `user` sees by `lines` (AllocationInput), keeping the
    lines on values the user cannot see untouched; all of them together must come exactly to the
    invoice's net amount (or each invoice line's). No line at all clears the allocation.
    Raises AllocationRefused with the errors, and then nothing is saved."""
    format_amount = format_amount or (lambda minor: Amount(minor, invoice.currency))
    visible_ids = set(visible_ids)
    with _write():
        invoice = _lock_invoice(invoice)
        existing = list(Allocation.select().where(Allocation.invoice == invoice).order_by(Allocation.id))
        hidden = [row for row in existing if row.value_id not in visible_ids]
        mine = [row for row in existing if row.value_id in visible_ids]
        errors = _line_errors(invoice, lines, visible_ids, {row.value_id for row in mine})
        amounts = []
        if not errors and (lines or hidden):
            totals, errors = _group_totals(invoice, lines, hidden)
            if not errors:
                errors, amounts = _amount_errors(totals, lines, hidden, format_amount)
        if errors:
            raise AllocationRefused(errors)
        Allocation.delete().where(Allocation.id.in_([row.id for row in mine] or [0])).execute()
        created = [Allocation.create(invoice=invoice, invoice_line=line.invoice_line_id, value=line.value_id,
                                     amount=amount, percent=line.percent, created_by=user)
                   for line, amount in zip(lines, amounts)]
        paths = value_paths({row.value_id for row in mine + created})
        record_action("allocation.save" if created or hidden else "allocation.clear", INVOICE_TARGET, invoice.id,
                      user=user, before={"lines": _allocation_snapshot(mine, paths)},
                      after={"lines": _allocation_snapshot(created, paths), "kept_hidden_amount": sum(
                          row.amount for row in hidden)}, remote_addr=remote_addr)
    return created


# --- Reports and exports (visible values only) --------------------------------------------------


@dataclass
class SpendRow:
    axis: object
    value: object
    path: str
    currency: str
    amount: int
    invoices: int


def _allocation_query(user, shop_ids, filters, visible_ids=None):
    visible_ids = visible_value_ids(user) if visible_ids is None else visible_ids
    filters = filters or {}
    # A refused invoice is not spend: it stays out of reports and exports.
    query = (Allocation.select()
             .join(Invoice, on=(Allocation.invoice == Invoice.id))
             .where(Invoice.shop.in_(list(shop_ids) or [0]) & Allocation.value.in_(list(visible_ids) or [0])
                    & (Invoice.status != "REFUSED")))
    if filters.get("du"):
        query = query.where(Invoice.issue_date >= filters["du"])
    if filters.get("au"):
        query = query.where(Invoice.issue_date <= filters["au"])
    if filters.get("boutique"):
        query = query.where(Invoice.shop == filters["boutique"])
    if filters.get("fournisseur"):
        query = query.where(Invoice.supplier == filters["fournisseur"])
    if filters.get("axe"):
        axis_values = AnalyticValue.select(AnalyticValue.id).where(AnalyticValue.axis == filters["axe"])
        query = query.where(Allocation.value.in_(axis_values))
    return query


def spend_by_value(user, filters):
    """Allocated amounts per value the user sees, on the invoices of `filters["shop_ids"]`
    (filters: du, au — invoice dates —, boutique, fournisseur and axe), by axis then value path, one
    row per currency. The allocation pages and the spend dashboard both read this."""
    query = (_allocation_query(user, filters.get("shop_ids", ()), filters)
             .select(Allocation.value, Invoice.currency, fn.SUM(Allocation.amount).alias("total"),
                     fn.COUNT(fn.DISTINCT(Allocation.invoice)).alias("invoices"))
             .group_by(Allocation.value, Invoice.currency))
    sums = [(value_id, currency, int(total), int(count)) for value_id, currency, total, count in query.tuples()]
    values = {v.id: v for v in AnalyticValue.select(AnalyticValue, AnalyticAxis).join(AnalyticAxis)
              .where(AnalyticValue.id.in_([s[0] for s in sums] or [0]))}
    paths = value_paths(values)
    rows = [SpendRow(values[value_id].axis, values[value_id], paths[value_id], currency, total, count)
            for value_id, currency, total, count in sums]
    return sorted(rows, key=lambda r: (r.axis.position, r.axis.name.lower(), r.path.lower(), r.currency))


class ExportRow(NamedTuple):
    """One line of the allocation export (a tuple: an export builds hundreds of thousands)."""
    issue_date: object
    supplier: str
    number: str
    axis: str
    path: str
    amount: int
    currency: str


def allocation_export_chunks(user, shop_ids, filters=None, size=1000):
    """The allocation lines on values the user sees, of the invoices of `shop_ids`, by invoice date,
    as lists of at most `size` ExportRow: one streamed query whatever the number of invoices (issue 14:
    constant queries, flat memory), read as plain tuples (no model instance per row)."""
    from portal.accounting.streaming import stream_raw

    filters = filters or {}
    visible_ids = list(visible_value_ids(user))
    if not visible_ids or not shop_ids:
        return
    visible = set(visible_ids)
    paths = value_paths(visible_ids)
    # Led by the invoices of the shops (their index); the visible values (ALLOC-3) are kept here, not
    # in the query, where they would lead the database to scan every allocation of those values.
    query = (Allocation.select(Invoice.issue_date, Supplier.name, Invoice.number, AnalyticAxis.name, Allocation.value,
                               Allocation.amount, Invoice.currency)
             .join(Invoice, on=(Allocation.invoice == Invoice.id)).join(Supplier)
             .switch(Allocation).join(AnalyticValue).join(AnalyticAxis)
             .where(Invoice.shop.in_(list(shop_ids)) & (Invoice.status != "REFUSED")))
    if filters.get("du"):
        query = query.where(Invoice.issue_date >= filters["du"])
    if filters.get("au"):
        query = query.where(Invoice.issue_date <= filters["au"])
    if filters.get("boutique"):
        query = query.where(Invoice.shop == filters["boutique"])
    if filters.get("fournisseur"):
        query = query.where(Invoice.supplier == filters["fournisseur"])
    if filters.get("axe"):
        query = query.where(AnalyticValue.axis == filters["axe"])
    query = query.order_by(Invoice.issue_date, Invoice.id, AnalyticAxis.position, Allocation.id)
    chunk = []
    for issued, supplier, number, axis_name, value_id, amount, currency in stream_raw(query, dates=(0,)):
        if value_id in visible:
            chunk.append(ExportRow(issued, supplier, number, axis_name, paths[value_id], int(amount), currency))
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def allocation_export_rows(user, shop_ids, filters=None):
    """Every export row as one list (for callers that want them all)."""
    return [row for chunk in allocation_export_chunks(user, shop_ids, filters) for row in chunk]