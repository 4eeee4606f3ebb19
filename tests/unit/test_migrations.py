"""OPS-2: versioned migrations create exactly the models' schema and upgrade without data loss."""
import models
from models import User, db
from portal.database import migration_runner


def test_ops_2_migrations_match_models(app):
    for model in models.ALL_MODELS:
        table = model._meta.table_name
        columns = {column.name for column in db.get_columns(table)}
        fields = {field.column_name for field in model._meta.sorted_fields}
        assert columns == fields, f"{table}: migrations {sorted(columns ^ fields)} differ from models"


def test_ops_2_upgrade_keeps_data(app):
    runner = migration_runner()
    applied = [m.name for m in runner.status() if m.applied]
    assert applied == [m.name for m in runner.migrations()], "every migration is applied"
    first, *later = applied
    if not later:
        return
    # Roll back to the first version, add data, upgrade again: the data survives.
    for name in reversed(later):
        module = next(m for m in runner.migrations() if m.name == name).load()
        if hasattr(module, "down"):
            assert runner.down() == [name]
            continue
        for model in reversed(module._models(db)):
            if model._meta.table_name not in ("portal_user", "shop"):
                model.drop_table(safe=True)
        runner.History.delete().where(runner.History.name == name).execute()
    # Raw SQL: the model has columns the first migration did not create yet.
    db.execute_sql("INSERT INTO portal_user (username, display_name, email, password_hash, language, is_admin, "
                   "active, failed_logins, created_at) VALUES ('ancienne', '', '', 'x', 'fr', %s, %s, 0, %s)"
                   .replace("%s", db.param), (False, True, "2026-01-01 00:00:00"))
    assert runner.up() == later
    assert User.get(User.username == "ancienne").password_hash == "x"
