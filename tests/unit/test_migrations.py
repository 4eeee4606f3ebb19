"""OPS-2, OPS-6: versioned migrations create exactly the models' schema, and a database populated
at any earlier migration is upgraded to the latest without losing or altering a row."""
import datetime

import pytest

import models
from models import db
from portal.database import MIGRATIONS_DIR, open_database
from peewee import PostgresqlDatabase
from playhouse.migrations import Runner
from tests.ops_databases import scratch_database_url

AT = datetime.datetime(2026, 1, 15, 9, 30, 0)
DAY = datetime.date(2026, 1, 15)

# Rows inserted with raw SQL at the level that created their table: {level: [(table, row)]}.
# Each row gives every column of the table as that migration created it.
ROWS = {
    1: [
        ("department", {"id": 1, "name": "Achats"}),
        ("establishment", {"id": 1, "name": "Siège"}),
        ("portal_user", {"id": 1, "username": "ancienne", "display_name": "Ancienne Gérante",
                         "email": "gerante@example.fr", "password_hash": "pbkdf2:x", "language": "en",
                         "is_admin": True, "active": True, "failed_logins": 2, "locked_until": None,
                         "department_id": 1, "establishment_id": 1, "created_at": AT, "last_login_at": AT}),
        ("password_history", {"id": 1, "user_id": 1, "password_hash": "pbkdf2:old", "created_at": AT}),
        ("shop", {"id": 1, "name": "Boutique du port", "merchant_id": "200000000000001", "establishment_id": 1,
                  "currency": "EUR", "default_capture_mode": "MANUAL", "default_capture_delay": 3,
                  "default_network": "CB", "active": True}),
        ("shop_right", {"id": 1, "user_id": 1, "shop_id": 1, "right": "refund"}),
        ("audit_record", {"id": 1, "at": AT, "user_id": 1, "actor": "ancienne", "action": "user.create",
                          "target_type": "user", "target_id": "1", "before": None, "after": '{"x": 1}',
                          "remote_addr": "10.0.0.1"}),
    ],
    2: [
        ("vault_card", {"id": 1, "token": "tok_ancien", "ciphertext": "gAAAA-chiffre", "expiry_year": 2029,
                        "expiry_month": 11, "created_at": AT}),
        ("fraud_profile", {"id": 1, "version": 1, "settings": "{}", "created_at": AT, "created_by_id": 1}),
        ("card_transaction", {
            "id": 1, "shop_id": 1, "reference": "T-ANCIEN", "order_reference": "CMD-1", "customer_code": "C1",
            "free_info": "", "amount": 12345, "currency": "EUR", "capture_mode": "AUTO", "capture_delay": 0,
            "state": "CAPTURED", "created_at": AT, "created_by_id": 1, "card_token": "tok_ancien",
            "masked_pan": "430000XXXXXX0900", "networks": "CB,VISA", "network": "CB", "card_expiry_year": 2029,
            "card_expiry_month": 11, "card_country": "FR", "response_code": "00", "authorisation_number": "A12345",
            "duplicated_from_id": None, "instalment_group": None, "instalment_rank": None,
            "instalment_count": None, "due_date": DAY, "fraud_result": None, "fraud_profile_version": 1}),
        ("card_operation", {"id": 1, "transaction_id": 1, "kind": "AUTHOR", "amount": 12345, "succeeded": True,
                            "response_code": "00", "reason": "", "at": AT, "user_id": 1, "idempotency_key": "k-1",
                            "operation_number": "OP1", "remittance_status": "SENT", "sent_at": AT,
                            "warning_at": None, "error_at": None}),
        ("card_operation", {"id": 2, "transaction_id": 1, "kind": "CAPTURE", "amount": 12345, "succeeded": True,
                            "response_code": "00", "reason": "", "at": AT, "user_id": 1, "idempotency_key": "k-2",
                            "operation_number": "OP2", "remittance_status": "SENT", "sent_at": AT,
                            "warning_at": None, "error_at": None}),
        ("card_operation", {"id": 3, "transaction_id": 1, "kind": "CREDIT", "amount": 2000, "succeeded": True,
                            "response_code": "00", "reason": "", "at": AT, "user_id": 1, "idempotency_key": "k-3",
                            "operation_number": "", "remittance_status": "", "sent_at": None,
                            "warning_at": None, "error_at": None}),
        ("card_unpaid", {"id": 1, "transaction_id": 1, "operation_number": "OP1", "operation_code": "DEBIT",
                         "unpaid_date": DAY, "file_number": "F-1", "amount": 12345, "unpaid_code": "4837",
                         "reason": "Contestation", "received_at": AT}),
        ("remittance_run", {"id": 1, "day": DAY, "started_at": AT, "finished_at": AT, "summary": '{"sent": 1}'}),
        ("stored_document", {"id": 1, "sha256": "a" * 64, "media_type": "application/pdf", "size": 3,
                             "created_at": AT}),
        ("receipt", {"id": 1, "transaction_id": 1, "operation_id": 1, "layout": "a4", "document_id": 1,
                     "created_at": AT}),
    ],
    3: [],  # columns only: vault_card.fingerprint, card_transaction.capture_date
    4: [
        ("supplier", {"id": 1, "name": "Fournitures Dupont", "siren": "732829320", "siret": "73282932000074",
                      "vat_number": "FR44732829320", "country": "FR", "address": "1 rue du Port",
                      "postal_code": "29200", "city": "Brest", "payment_terms_days": 45,
                      "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "archived": False,
                      "created_at": AT}),
        ("supplier_contact", {"id": 1, "supplier_id": 1, "name": "M. Dupont", "role": "Commercial",
                              "email": "dupont@example.fr", "phone": "0298000000"}),
        ("purchase_request", {"id": 1, "shop_id": 1, "number": "DA-2026-0001", "title": "Papier",
                              "supplier_id": 1, "currency": "EUR", "status": "ORDERED", "requested_by_id": 1,
                              "created_at": AT}),
        ("purchase_order", {"id": 1, "shop_id": 1, "number": "BC-2026-0001", "supplier_id": 1, "request_id": 1,
                            "currency": "EUR", "notes": "Livrer le matin", "created_by_id": 1, "created_at": AT}),
        ("purchase_line", {"id": 1, "request_id": None, "order_id": 1, "position": 1, "description": "Ramette",
                           "quantity_milli": 10000, "unit_price": 1250, "vat_rate": 2000}),
        ("invoice", {"id": 1, "shop_id": 1, "supplier_id": 1, "number": "FA-1", "kind": "INVOICE",
                     "issue_date": DAY, "due_date": DAY, "currency": "EUR", "total_net": 12500, "total_vat": 2500,
                     "total_gross": 15000, "po_reference": "BC-2026-0001", "order_id": 1, "status": "APPROVED",
                     "source": "PDF", "einvoice_profile": "", "document_id": 1, "discrepancy_count": 1,
                     "override_reason": "Accord téléphonique", "override_by_id": 1, "override_at": AT,
                     "created_by_id": 1, "created_at": AT}),
        ("invoice_line", {"id": 1, "invoice_id": 1, "position": 1, "description": "Ramette",
                          "quantity_milli": 10000, "unit_price": 1250, "vat_rate": 2000, "net_amount": 12500,
                          "order_line_id": 1}),
        ("invoice_event", {"id": 1, "invoice_id": 1, "at": AT, "user_id": 1, "action": "approve",
                           "from_status": "RECEIVED", "to_status": "APPROVED", "reason": ""}),
        ("setting", {"id": 1, "key": "tolerances", "value": '{"amount": 100}'}),
    ],
    5: [],  # indexes only
    6: [
        ("analytic_axis", {"id": 1, "name": "Centre de coût", "position": 1, "restricted": False,
                           "archived": False}),
        ("analytic_value", {"id": 1, "axis_id": 1, "parent_id": None, "name": "Atelier", "code": "AT",
                            "restricted": False, "archived": False}),
        ("allocation", {"id": 1, "invoice_id": 1, "invoice_line_id": None, "value_id": 1, "amount": 12500,
                        "percent": 10000, "created_by_id": 1, "created_at": AT}),
        ("supplier_payment", {"id": 1, "invoice_id": 1, "amount": 15000, "paid_on": DAY, "method": "TRANSFER",
                              "batch_id": None, "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP",
                              "reference": "FA-1", "idempotency_key": "pay-1", "created_by_id": 1,
                              "created_at": AT}),
        ("outgoing_mail", {"id": 1, "to": "dupont@example.fr", "subject": "Facture FA-1", "body": "Bonjour",
                           "invoice_id": 1, "status": "SENT", "attempts": 1, "last_error": "",
                           "next_attempt_at": AT, "sent_at": AT, "created_at": AT}),
    ],
    10: [
        ("saved_view", {"id": 1, "user_id": 1, "name": "Gros paniers", "query": "montant_min=100&tri=montant",
                        "created_at": AT}),
    ],
    11: [
        ("wallet_card", {"id": 1, "shop_id": 1, "wallet_id": "CLIENT-1", "mean_id": "wm_ancien", "card_token": "tok_ancien",
                         "last4": "0900", "network": "CB", "networks": "CB,VISA", "label": "Carte perso",
                         "expiry_year": 2029, "expiry_month": 11, "created_at": AT, "created_by_id": 1,
                         "deleted_at": None, "deleted_by_id": None}),
    ],
    12: [
        ("closed_period", {"id": 1, "start": DAY, "end": DAY, "fiscal_year_start": DAY, "first_number": 1,
                           "last_number": 1, "entry_count": 1, "debit": 15000, "credit": 15000, "closed_at": AT,
                           "closed_by_id": 1}),
        ("ledger_entry", {"id": 1, "period_id": 1, "fiscal_year_start": DAY, "number": 1, "journal": "AC",
                          "journal_label": "Achats", "date": DAY, "piece_ref": "FA-1", "piece_date": DAY,
                          "label": "Facture FA-1", "valid_date": DAY, "kind": "INVOICE", "source": "INV:1",
                          "shop_id": 1, "amount": 15000, "currency": "", "reverse_charge_vat": 0}),
        ("ledger_line", {"id": 1, "entry_id": 1, "position": 1, "account": "401", "account_label": "Fournisseurs",
                         "aux": "401DUPONT", "aux_label": "Fournitures Dupont", "debit": 0, "credit": 15000,
                         "foreign_amount": None, "letter_ref": "F1"}),
        ("invoice_booking", {"id": 1, "invoice_id": 1, "exchange_rate": 920000, "nature": "GOODS",
                             "reverse_charge": "", "line_rates": '{"1": 550}', "updated_by_id": 1, "updated_at": AT}),
    ],
    15: [
        ("bank_account", {"id": 1, "shop_id": 1, "label": "Compte courant", "iban": "FR7630006000011234567890189",
                          "currency": "EUR", "opening_balance": -25000, "opening_date": DAY, "created_by_id": 1,
                          "created_at": AT, "updated_at": AT}),
    ],
}

# Columns added to an existing table later, with the value a row written at that level has.
ADDED = {
    3: {"vault_card": {"fingerprint": "empreinte-1"}},
    6: {"invoice": {"expense_account": "606100"}},
    7: {"portal_user": {"session_version": 2, "totp_secret": None, "totp_enrolled_at": None}},
    9: {"shop": {"gateway": "SIMULATOR", "gateway_secret": None, "gateway_key_version": 1, "gateway_key_saved_at": None},
        "card_transaction": {"synced_at": None, "gateway_status": ""},
        "card_operation": {"gateway_status": "", "gateway_answer": None}},
    13: {"invoice": {"schema_issues": "", "schema_decision": ""}},
    16: {"shop": {"address": "", "postal_code": "", "city": ""}},
}
# Columns a migration computes from other rows: {(table, column): (level of those rows, value)}.
BACKFILLED = {("invoice", "paid_total"): (6, 15000)}  # 0017: the sum of its payments


def _migrations():
    return [path.stem for path in sorted(MIGRATIONS_DIR.glob("[0-9]*.py"))]


def _model(table):
    return next(m for m in models.ALL_MODELS if m._meta.table_name == table)


def _rows_at(level):
    """The rows of every table that exists at `level`, with the columns of that level."""
    rows = []
    for created, items in ROWS.items():
        for table, row in items if created <= level else []:
            row = dict(row)
            for added, tables in ADDED.items():
                if created < added <= level:
                    row.update(tables.get(table, {}))
            rows.append((table, row))
    return rows


def _insert(database, table, row):
    columns = ", ".join(f'"{name}"' for name in row)
    marks = ", ".join([database.param] * len(row))
    database.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))


def _expected_default(field):
    if field.default is not None and not callable(field.default):
        return field.default
    return None


def test_ops_2_migrations_match_models(app):
    for model in models.ALL_MODELS:
        table = model._meta.table_name
        columns = {column.name for column in db.get_columns(table)}
        fields = {field.column_name for field in model._meta.sorted_fields}
        assert columns == fields, f"{table}: migrations {sorted(columns ^ fields)} differ from models"


@pytest.mark.parametrize("level", _migrations()[:-1])
def test_ops_6_upgrade_from_every_earlier_migration_keeps_data(level, tmp_path):
    number = int(level[:4])
    with scratch_database_url(tmp_path, f"up{number}") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            for name in [name for name in _migrations() if int(name[:4]) <= number]:  # one by one, as releases did
                assert runner.up(target=name) == [name]
            rows = _rows_at(number)
            assert rows, "every level has data to carry over"
            with database.atomic():
                for table, row in rows:
                    _insert(database, table, row)
            if database.__class__.__name__.startswith("Postgres"):
                # Explicit ids: move the sequences on, as the portal's own inserts would have.
                for table in {table for table, _ in rows}:
                    database.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                         f"(SELECT max(id) FROM \"{table}\"))")

            assert runner.up() == [name for name in _migrations() if int(name[:4]) > number]

            with database.bind_ctx(models.ALL_MODELS):
                for table, row in rows:
                    model = _model(table)
                    stored = model.select().where(model.id == row["id"]).dicts().get()
                    by_column = {model._meta.fields[name].column_name: value for name, value in stored.items()}
                    for column, value in row.items():
                        assert by_column[column] == value, f"{table}.{column} changed by the upgrade"
                    for field in model._meta.sorted_fields:
                        if field.column_name not in row:
                            since, value = BACKFILLED.get((table, field.column_name), (None, None))
                            expected = value if since is not None and number >= since else _expected_default(field)
                            assert by_column[field.column_name] == expected, \
                                f"{table}.{field.column_name}: added column without its default"
                # The upgraded schema takes new rows next to the old ones.
                models.Shop.create(name="Nouvelle boutique", merchant_id="200000000000002")
                assert models.Shop.select().count() == 2


def test_ops_6_migrate_check_for_deployment_scripts(app, tmp_path):
    from config import TestConfig
    from portal import create_app

    result = app.test_cli_runner().invoke(args=["migrate", "--check"])
    assert result.exit_code == 0 and result.output.strip() == "Base à jour."
    url = app.config["DATABASE_URL"]
    names = _migrations()
    with scratch_database_url(tmp_path, "check") as old_url:
        database = open_database(old_url)
        with database.connection_context():
            Runner(database, directory=str(MIGRATIONS_DIR)).up(target=names[-3])
        behind = create_app(TestConfig, DATABASE_URL=old_url, INSTANCE_DIR=tmp_path / "behind")
        result = behind.test_cli_runner().invoke(args=["migrate", "--check"])
        assert result.exit_code == 1
        assert f"2 migration(s) en attente : {names[-2]}, {names[-1]}" in result.output
        assert "flask --app wsgi migrate" in result.output
        assert behind.test_cli_runner().invoke(args=["migrate"]).exit_code == 0
        assert behind.test_cli_runner().invoke(args=["migrate", "--check"]).exit_code == 0
    db.initialize(open_database(url))


def _migration_module(name):
    """One migration's module, to run its up() and down() on their own."""
    import importlib.util

    path = MIGRATIONS_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def _index_columns(database, table, name):
    return next(index.columns for index in database.get_indexes(table) if index.name == name)


def test_ops_6_invoice_to_pay_index_gains_the_supplier_and_loses_it_on_the_way_down(tmp_path):
    """Migration 0019 rebuilds the invoice_to_pay index of 0017 with supplier_id (issue 14), and its
    down() gives back 0017's index; run on its own, whatever migration follows it."""
    migration = _migration_module("0019_invoice_to_pay_supplier")
    with scratch_database_url(tmp_path, "to_pay") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            runner.up()
            with_supplier = ["shop_id", "status", "kind", "due_date", "total_gross", "paid_total", "deducted_total",
                             "id", "supplier_id"]
            assert _index_columns(database, "invoice", "invoice_to_pay") == with_supplier
            migration.down(runner.migrator, database)
            assert _index_columns(database, "invoice", "invoice_to_pay") == with_supplier[:-1]
            migration.up(runner.migrator, database)
            assert _index_columns(database, "invoice", "invoice_to_pay") == with_supplier


def test_ops_6_transaction_prefix_indexes_go_and_come_back_on_the_way_down(tmp_path):
    """Migration 0021 drops card_transaction's (shop_id) index, and (state) on PostgreSQL only (SQLite's
    remittance chunks walk it in id order); its down() gives them back."""
    migration = _migration_module("0021_transaction_prefix_indexes")
    with scratch_database_url(tmp_path, "prefix") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            runner.up()
            names = {index.name for index in database.get_indexes("card_transaction")}
            assert "card_transaction_shop_id" not in names
            assert "card_transaction_state_capture_date" in names and "card_transaction_totals" in names
            kept_state = "card_transaction_state" in names
            assert kept_state is not isinstance(database, PostgresqlDatabase)
            migration.down(runner.migrator, database)
            assert _index_columns(database, "card_transaction", "card_transaction_shop_id") == ["shop_id"]
            assert _index_columns(database, "card_transaction", "card_transaction_state") == ["state"]
            migration.up(runner.migrator, database)
            after = {index.name for index in database.get_indexes("card_transaction")}
            assert "card_transaction_shop_id" not in after and ("card_transaction_state" in after) == kept_state


def _supplier_writes_logged(database, **change):
    database.execute_sql("DELETE FROM ledger_change")
    assignments = ", ".join(f"{column} = '{value}'" for column, value in change.items())
    database.execute_sql(f"UPDATE supplier SET {assignments} WHERE id = 1")
    return database.execute_sql("SELECT COUNT(*) FROM ledger_change").fetchone()[0]


def test_ops_6_supplier_log_trigger_narrows_and_widens_back_on_the_way_down(tmp_path):
    """Migration 0022 logs a supplier's update only when its name, country or VAT number changes; its
    down() gives back 0020's trigger, which logged every update."""
    migration = _migration_module("0022_supplier_ledger_change_columns")
    with scratch_database_url(tmp_path, "supplier_log") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            runner.up()
            database.execute_sql("INSERT INTO supplier (id, name, siren, siret, vat_number, country, address, "
                                 "postal_code, city, payment_terms_days, iban, bic, archived, created_at) VALUES "
                                 "(1, 'Dupont', '', '', '', 'FR', '', '', '', 30, '', '', false, '2026-01-01')")
            assert _supplier_writes_logged(database, iban="FR7630004000031234567890143") == 0
            assert _supplier_writes_logged(database, country="BE") == 1
            migration.down(runner.migrator, database)
            assert _supplier_writes_logged(database, iban="FR7630001007941234567890185") == 1
            migration.up(runner.migrator, database)
            assert _supplier_writes_logged(database, city="Lyon") == 0
            assert _supplier_writes_logged(database, vat_number="BE0403170701") == 1


def _trigger_names(database, table):
    if isinstance(database, PostgresqlDatabase):
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
    return {row[0] for row in database.execute_sql(sql, (table,)).fetchall()}


def test_ops_6_debited_euros_column_comes_and_goes_keeping_the_payment_triggers(tmp_path):
    """Migration 0023 adds supplier_payment.debited_eur and its down() drops it; neither rebuilds the
    table, so the triggers that keep invoice.paid_total and the ledger's change log (0017, 0020) stay."""
    migration = _migration_module("0023_supplier_payment_debited_eur")
    with scratch_database_url(tmp_path, "debited") as url:
        database = open_database(url)
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS_DIR))
            runner.up()
            triggers = _trigger_names(database, "supplier_payment")
            assert len(triggers) >= 2
            columns = lambda: {column.name for column in database.get_columns("supplier_payment")}  # noqa: E731
            assert "debited_eur" in columns()
            migration.down(runner.migrator, database)
            assert "debited_eur" not in columns()
            assert _trigger_names(database, "supplier_payment") == triggers
            migration.up(runner.migrator, database)
            assert "debited_eur" in columns()
            assert _trigger_names(database, "supplier_payment") == triggers
