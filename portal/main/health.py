"""What /health reports (OPS-4): the database, the document store and the mail queue. Each check
answers whatever fails; only an unreachable database makes the portal unhealthy (503)."""
import os
import tempfile
from pathlib import Path

from peewee import DatabaseError, fn

from models import OutgoingMail, db, utcnow
from portal.database import DATABASE_ERRORS


def database_status():
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
    except DATABASE_ERRORS:
        return "unavailable"
    return "ok"


def documents_status(store, directory):
    """"database" when documents live in PostgreSQL; otherwise whether the folder takes a file."""
    if store == "database":
        return "database"
    try:
        Path(directory).mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".health-"):
            pass
    except OSError:
        return "not_writable"
    return "ok" if os.access(directory, os.W_OK) else "not_writable"


def mail_queue_status(now=None):
    try:
        counts = dict(OutgoingMail.select(OutgoingMail.status, fn.COUNT(OutgoingMail.id))
                      .group_by(OutgoingMail.status).tuples())
        oldest = (OutgoingMail.select(OutgoingMail.created_at).where(OutgoingMail.status == "PENDING")
                  .order_by(OutgoingMail.created_at).first())
    except DatabaseError:
        return "unavailable"
    minutes = None
    if oldest is not None:
        minutes = max(0, int(((now or utcnow()) - oldest.created_at).total_seconds() // 60))
    return {"pending": counts.get("PENDING", 0), "failed": counts.get("FAILED", 0),
            "oldest_pending_minutes": minutes}


def health_report(config):
    """(report, HTTP status)."""
    database = database_status()
    documents = documents_status(config.get("DOCUMENT_STORE", "files"), config["DOCUMENTS_DIR"])
    report = {"database": database, "documents": documents,
              "mail_queue": mail_queue_status() if database == "ok" else "unavailable"}
    if database != "ok":
        return {"status": "error", **report}, 503
    return {"status": "ok" if documents in ("ok", "database") else "degraded", **report}, 200
