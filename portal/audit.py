"""Append-only audit trail (AUDIT-1): one helper records who did what, with before/after."""
import json

from models import AuditRecord


def _dump(data):
    if data is None:
        return None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def record_action(action, target_type, target_id="", *, user=None, actor=None,
                  before=None, after=None, remote_addr=""):
    """Write one audit record; call it inside the same db.atomic() as the change it records."""
    return AuditRecord.create(
        user=user,
        actor=actor or (user.username if user is not None else "système"),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_dump(before),
        after=_dump(after),
        remote_addr=remote_addr or "",
    )
