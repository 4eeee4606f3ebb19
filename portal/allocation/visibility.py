"""Who sees which analytic axis and value (ALLOC-3): an axis or value marked restricted is visible
only to the users, departments and establishments granted in AnalyticAccess; everyone else never
sees it — in pickers, lists, reports and exports. Every query on axes goes through here."""
from peewee import JOIN

from models import AnalyticAccess, AnalyticAxis, AnalyticValue


def _grant_condition(user):
    condition = AnalyticAccess.user == user
    if user.department_id:
        condition |= AnalyticAccess.department == user.department_id
    if user.establishment_id:
        condition |= AnalyticAccess.establishment == user.establishment_id
    return condition


def visible_axis_ids(user):
    """Ids of the axes `user` may see (administrators included: restriction is about confidentiality)."""
    granted = AnalyticAccess.select(AnalyticAccess.axis).where(
        AnalyticAccess.axis.is_null(False) & _grant_condition(user))
    query = AnalyticAxis.select(AnalyticAxis.id).where(~AnalyticAxis.restricted | AnalyticAxis.id.in_(granted))
    return {row.id for row in query}


def visible_value_ids(user, axis_ids=None):
    """Ids of the values `user` may see: on a visible axis, not restricted or granted, and every
    ancestor visible too (a hidden parent hides its sub-values)."""
    axis_ids = visible_axis_ids(user) if axis_ids is None else axis_ids
    if not axis_ids:
        return set()
    granted = {row.value_id for row in AnalyticAccess.select(AnalyticAccess.value).where(
        AnalyticAccess.value.is_null(False) & _grant_condition(user))}
    values = list(AnalyticValue.select(AnalyticValue.id, AnalyticValue.parent, AnalyticValue.restricted)
                  .where(AnalyticValue.axis.in_(list(axis_ids))))
    by_id = {value.id: value for value in values}

    def visible(value, seen=()):
        if value.restricted and value.id not in granted:
            return False
        parent = by_id.get(value.parent_id)
        return parent is None or (parent.id not in seen and visible(parent, seen + (value.id,)))

    return {value.id for value in values if visible(value)}


def visible_axes(user, include_archived=False):
    query = AnalyticAxis.select().where(AnalyticAxis.id.in_(list(visible_axis_ids(user)) or [0]))
    if not include_archived:
        query = query.where(~AnalyticAxis.archived)
    return list(query.order_by(AnalyticAxis.position, AnalyticAxis.name))


def visible_values(user, axis=None, include_archived=False):
    ids = visible_value_ids(user)
    query = (AnalyticValue.select(AnalyticValue, AnalyticAxis).join(AnalyticAxis, JOIN.INNER)
             .where(AnalyticValue.id.in_(list(ids) or [0])))
    if axis is not None:
        query = query.where(AnalyticValue.axis == axis)
    if not include_archived:
        query = query.where(~AnalyticValue.archived & ~AnalyticAxis.archived)
    return list(query.order_by(AnalyticAxis.position, AnalyticAxis.name, AnalyticValue.name))
