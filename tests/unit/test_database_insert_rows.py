"""portal.database.insert_rows writes what peewee's insert_many writes: the row's fields, every
other field's default, foreign keys given as model instances, many statements when asked."""
import datetime

from models import AuditRecord, InvoiceEvent, db
from portal.database import insert_rows
from tests.factories import make_user


def _columns(model, ids):
    return [tuple(row[1:]) for row in model.select().where(model.id.in_(ids)).order_by(model.id).tuples()]


def test_insert_rows_matches_insert_many(app):
    user = make_user("auditrice")
    at = datetime.datetime(2026, 3, 10, 12, 0, 5, 123456)
    rows = [{"at": at, "user": user if n % 2 else None, "actor": f"acteur « {n} »", "action": "invoice.payment",
             "target_type": "invoice", "target_id": str(n), "before": None, "after": '{"x": 1}'}
            for n in range(7)]
    first = AuditRecord.select(AuditRecord.id).order_by(AuditRecord.id.desc()).scalar() or 0
    AuditRecord.insert_many(rows).execute()
    by_peewee = list(AuditRecord.select(AuditRecord.id).where(AuditRecord.id > first).order_by(AuditRecord.id).tuples())
    insert_rows(AuditRecord, rows, size=3)  # three statements
    mine = [row_id for (row_id,) in AuditRecord.select(AuditRecord.id).where(AuditRecord.id > by_peewee[-1][0])
            .order_by(AuditRecord.id).tuples()]
    assert len(mine) == 7
    assert _columns(AuditRecord, [i for (i,) in by_peewee]) == _columns(AuditRecord, mine)
    assert AuditRecord.get_by_id(mine[0]).remote_addr == ""  # a default the rows left out
    if db.obj.__class__.__name__.startswith("Sqlite"):
        stored = db.execute_sql("SELECT at FROM audit_record WHERE id IN (?, ?)", (by_peewee[0][0], mine[0])).fetchall()
        assert stored[0] == stored[1]  # the same text in the file


def test_insert_rows_of_nothing_writes_nothing(app):
    before = InvoiceEvent.select().count()
    insert_rows(InvoiceEvent, [])
    assert InvoiceEvent.select().count() == before
