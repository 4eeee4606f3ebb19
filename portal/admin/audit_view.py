"""What the audit page shows of each record (AUDIT-1) without naming what the reader may not see:
names of restricted analytic axes and values (ALLOC-3) become a neutral label for an administrator
who holds no grant on them. Plain Python; the visibility rule stays in portal/allocation."""
import json
from dataclasses import dataclass

from portal.allocation.service import AXIS_TARGET, VALUE_TARGET
from portal.allocation.visibility import visible_axis_ids, visible_value_ids

RESTRICTED_LABEL = "valeur restreinte"
# Keys of an axis or value snapshot that name it.
_NAME_KEYS = ("name", "code")


@dataclass
class AuditRow:
    record: object
    before: str
    after: str

    def __getattr__(self, name):  # at, actor, action, target_type, target_id …
        return getattr(self.record, name)


def _dump(data):
    if data is None:
        return ""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _hide_names(data, label):
    if isinstance(data, dict):
        return {key: (label if key in _NAME_KEYS and value not in (None, "") else value)
                for key, value in data.items()}
    return data


def _hide_allocation_lines(data, value_ids, label):
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        return data
    lines = [({**line, "value": label} if isinstance(line, dict) and line.get("value_id") not in value_ids
              else line) for line in data["lines"]]
    return {**data, "lines": lines}


def redact(record, axis_ids, value_ids, label=RESTRICTED_LABEL):
    """(before, after) of one record as shown to a reader seeing `axis_ids` and `value_ids`."""
    try:
        before, after = record.before_data, record.after_data
    except ValueError:  # not JSON (written by hand?): shown as stored, it names no analytic value
        if record.target_type in (AXIS_TARGET, VALUE_TARGET) or record.action.startswith("allocation."):
            return label, label
        return record.before or "", record.after or ""
    target = record.target_type
    hidden = ((target == AXIS_TARGET and record.target_id.isdigit() and int(record.target_id) not in axis_ids)
              or (target == VALUE_TARGET and record.target_id.isdigit() and int(record.target_id) not in value_ids))
    if hidden:
        before, after = _hide_names(before, label), _hide_names(after, label)
    elif record.action.startswith("allocation."):
        before = _hide_allocation_lines(before, value_ids, label)
        after = _hide_allocation_lines(after, value_ids, label)
    return _dump(before), _dump(after)


def audit_rows(records, reader, label=RESTRICTED_LABEL):
    """The records with their before/after text as `reader` may see it (two visibility queries in all)."""
    axis_ids = visible_axis_ids(reader)
    value_ids = visible_value_ids(reader, axis_ids)
    rows = []
    for record in records:
        before, after = redact(record, axis_ids, value_ids, label)
        rows.append(AuditRow(record, before, after))
    return rows
