"""A supplier's write logs its documents in `ledger_change` (0020) only when it changes what their
entries hold: its name (the auxiliary account's label), country and VAT number (how an invoice's VAT
is booked). An IBAN approval, an address or an archive flag no longer makes every export compare the
supplier's whole closed history again until the next closing (review of issue 12, ACC-4)."""
from peewee import PostgresqlDatabase

BOOKED_COLUMNS = ("id", "name", "country", "vat_number")


def _changed(distinct):
    return " OR ".join(f"NEW.{column} {distinct} OLD.{column}" for column in BOOKED_COLUMNS)


def _sqlite_update_trigger(when):
    log = "INSERT INTO ledger_change (source) SELECT 'SUP:' || OLD.id UNION SELECT 'SUP:' || NEW.id;"
    return f"CREATE TRIGGER supplier_ledger_change_update AFTER UPDATE ON supplier {when}BEGIN {log} END"


def up(migrator, db):
    with db.atomic():
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql("DROP TRIGGER supplier_ledger_change ON supplier")
            db.execute_sql("CREATE TRIGGER supplier_ledger_change AFTER INSERT OR DELETE ON supplier "
                           "FOR EACH ROW EXECUTE FUNCTION supplier_ledger_change()")
            db.execute_sql(f"CREATE TRIGGER supplier_ledger_change_update AFTER UPDATE ON supplier FOR EACH ROW "
                           f"WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION supplier_ledger_change()")
        else:
            db.execute_sql("DROP TRIGGER supplier_ledger_change_update")
            db.execute_sql(_sqlite_update_trigger(f"WHEN {_changed('IS NOT')} "))


def down(migrator, db):
    with db.atomic():
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql("DROP TRIGGER supplier_ledger_change_update ON supplier")
            db.execute_sql("DROP TRIGGER supplier_ledger_change ON supplier")
            db.execute_sql("CREATE TRIGGER supplier_ledger_change AFTER INSERT OR UPDATE OR DELETE ON supplier "
                           "FOR EACH ROW EXECUTE FUNCTION supplier_ledger_change()")
        else:
            db.execute_sql("DROP TRIGGER supplier_ledger_change_update")
            db.execute_sql(_sqlite_update_trigger(""))
