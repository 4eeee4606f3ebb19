"""Issue 14: the portal's PostgreSQL connections run without JIT compilation (it cost more than it
saved on the accounting page's aggregates); SQLite has no such setting."""
import pytest

from models import db
from portal.database import is_postgres


def test_issue_14_postgres_connections_have_jit_off(app):
    if not is_postgres():
        pytest.skip("PostgreSQL only")
    if not db.is_closed():
        db.close()
    with db.connection_context():
        assert db.execute_sql("SHOW jit").fetchone()[0] == "off"
    # Every new connection, not only the first one.
    with db.connection_context():
        assert db.execute_sql("SHOW jit").fetchone()[0] == "off"
