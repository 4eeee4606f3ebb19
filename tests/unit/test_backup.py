"""OPS-3: `flask backup` then `flask restore` into a fresh instance gives back every row of every
table and every document byte for byte, on the database the suite runs on; encrypted archives,
wrong passphrases, tampered archives and non-empty targets are refused clearly."""
import datetime
from pathlib import Path

import pytest

import models
from config import TestConfig
from models import Operation, Upload, db
from portal import create_app
from portal.backup import BackupError, Instance, restore_backup, tables_with_data
from portal.database import open_database
from portal.documents import document_store
from portal.invoices.service import InvoiceData, LineData, create_invoice
from portal.payments.vault import CardVault
from tests.einvoice_samples import plain_pdf
from tests.factories import make_supplier, make_transaction
from tests.ops_databases import scratch_database_url

RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate",
          "manage_suppliers", "approve_invoices", "pay_invoices"]
PASSPHRASE = "cheval agrafe pile 1789"


def _populate(app, client, login_as, shop, payment_ctx):
    user = login_as("marchand", rights=RIGHTS, shop=shop)
    txn = make_transaction(payment_ctx, shop, 12345)
    author = Operation.get(Operation.kind == "AUTHOR")
    receipt = client.get(f"/transactions/{txn.id}/recus/{author.id}/a4.pdf")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
    with app.app_context():
        document = document_store(app.config).put(plain_pdf("Facture scannée n° 7"), "application/pdf")
    Upload.create(document=document, uploaded_by=user, filename="scan.pdf")
    create_invoice(InvoiceData(shop=shop, supplier=make_supplier(), number="F-7",
                               issue_date=datetime.date(2026, 11, 20), currency="EUR",
                               total_net=10000, total_vat=2000, total_gross=12000,
                               lines=[LineData("Prestation", 1000, 10000, 2000)], source="PDF", document=document),
                   user)
    return txn


def _tables(url):
    """{table: rows in primary-key order} for every model's table and schema_migration."""
    database = open_database(url)
    tables = [model._meta.table_name for model in models.ALL_MODELS] + ["schema_migration"]
    with database.connection_context():
        return {table: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                        for row in database.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')]
                for table in tables}


def _files(root):
    root = Path(root)
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _restored_app(tmp_path, url, **config):
    return create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=tmp_path / "restored", **config)


def test_ops_3_backup_and_restore_give_back_every_row_and_document(app, client, login_as, shop, payment_ctx,
                                                                   tmp_path):
    txn = _populate(app, client, login_as, shop, payment_ctx)
    archive = tmp_path / "sauvegarde.tar"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output and "pas chiffrée" in result.output
    source_url, source_instance = app.config["DATABASE_URL"], Path(app.config["INSTANCE_DIR"])
    before = _tables(source_url)
    assert all(before[t] for t in ("portal_user", "shop", "card_transaction", "receipt", "invoice", "upload",
                                   "stored_document", "vault_card", "audit_record", "schema_migration"))
    documents_before = _files(app.config["DOCUMENTS_DIR"])
    assert len(documents_before) == 2  # the receipt and the uploaded invoice

    with scratch_database_url(tmp_path, "restore") as target_url:
        restored = _restored_app(tmp_path, target_url)
        result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert "Restauration terminée" in result.output
        # create_app made a vault key for the new instance: kept aside, replaced by the backed-up one.
        assert "mis de côté" in result.output

        after = _tables(target_url)
        for table, rows in before.items():
            assert after[table] == rows, f"{table} differs after restore"
        assert _files(restored.config["DOCUMENTS_DIR"]) == documents_before
        restored_instance = Path(restored.config["INSTANCE_DIR"])
        for name in ("vault.key", "secret_key"):
            assert (restored_instance / name).read_bytes() == (source_instance / name).read_bytes()
        with open_database(target_url).bind_ctx(models.ALL_MODELS):
            number, _ = CardVault.from_key_file(restored_instance / "vault.key").card(txn.card_token)
            assert number.startswith("430000")
            # Sequences came back too: the next row does not collide with a restored one.
            models.Shop.create(name="Après restauration", merchant_id="299999999999999")

        again = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert again.exit_code == 1
        assert "contient déjà des données" in again.output and "--force" in again.output
    db.initialize(open_database(source_url))


def test_ops_3_encrypted_archive_round_trip_and_wrong_passphrase(app, client, login_as, shop, payment_ctx,
                                                                 tmp_path, monkeypatch):
    _populate(app, client, login_as, shop, payment_ctx)
    archive = tmp_path / "sauvegarde.tar.chiffree"
    secret = tmp_path / "phrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    result = app.test_cli_runner().invoke(args=["backup", str(archive), "--passphrase-file", str(secret)])
    assert result.exit_code == 0 and "chiffrée" in result.output, result.output
    assert b"%PDF" not in archive.read_bytes() and b"manifest" not in archive.read_bytes()
    before = _tables(app.config["DATABASE_URL"])
    source_url = app.config["DATABASE_URL"]

    with scratch_database_url(tmp_path, "crypt") as target_url:
        restored = _restored_app(tmp_path, target_url)
        runner = restored.test_cli_runner()
        # A target prepared with `flask migrate` (tables, no data) counts as empty.
        assert runner.invoke(args=["migrate"]).exit_code == 0
        missing = runner.invoke(args=["restore", str(archive)])
        assert missing.exit_code == 1 and "chiffrée" in missing.output
        monkeypatch.setenv("PORTAL_BACKUP_PASSPHRASE", "mauvaise phrase")
        wrong = runner.invoke(args=["restore", str(archive)])
        assert wrong.exit_code == 1 and "Phrase de passe incorrecte" in wrong.output
        assert tables_with_data(target_url) == [], "nothing restored"
        monkeypatch.setenv("PORTAL_BACKUP_PASSPHRASE", PASSPHRASE)
        result = runner.invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert _tables(target_url) == before
    db.initialize(open_database(source_url))


def test_ops_3_tampered_archive_is_refused(app, shop, tmp_path):
    archive = tmp_path / "sauvegarde.tar"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    import tarfile

    with tarfile.open(archive) as tar:
        dump = tar.getmembers()[0]  # the database dump
    data = bytearray(archive.read_bytes())
    data[dump.offset_data + dump.size // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with scratch_database_url(tmp_path, "tamper") as target_url:
        instance = Instance(target_url, tmp_path / "autre", tmp_path / "autre" / "documents")
        with pytest.raises(BackupError, match="altérée"):
            restore_backup(instance, archive)
        assert tables_with_data(target_url) == []


def test_ops_3_truncated_encrypted_archive_is_refused(tmp_path):
    import io

    from portal.backup import decrypt_stream, encrypt_stream

    plain = bytes(range(256)) * 9000  # more than two chunks
    sealed = io.BytesIO()
    encrypt_stream(io.BytesIO(plain), sealed, PASSPHRASE)
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed.getvalue()), out, PASSPHRASE)
    assert out.getvalue() == plain
    with pytest.raises(BackupError, match="tronquée"):
        decrypt_stream(io.BytesIO(sealed.getvalue()[:51 + 2 * (4 + 1024 * 1024 + 16)]), io.BytesIO(), PASSPHRASE)


def test_ops_3_documents_kept_in_the_database_travel_in_the_dump(app, shop, tmp_path):
    import tarfile

    from portal.documents import DatabaseDocumentStore

    app.config["DOCUMENT_STORE"] = "database"
    document = DatabaseDocumentStore().put(b"%PDF-1.7 en base", "application/pdf")
    archive = tmp_path / "sauvegarde.tar"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        assert not [name for name in tar.getnames() if name.startswith("documents/")]
    before, source_url = _tables(app.config["DATABASE_URL"]), app.config["DATABASE_URL"]
    with scratch_database_url(tmp_path, "blobs") as target_url:
        restored = _restored_app(tmp_path, target_url, DOCUMENT_STORE="database")
        result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert _tables(target_url) == before
        with open_database(target_url).bind_ctx(models.ALL_MODELS):
            assert DatabaseDocumentStore().read(document) == b"%PDF-1.7 en base"
    db.initialize(open_database(source_url))


def test_ops_3_archive_from_a_newer_version_is_refused(app, shop, tmp_path):
    import io
    import json
    import tarfile

    archive, newer = tmp_path / "sauvegarde.tar", tmp_path / "plus-recente.tar"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as source, tarfile.open(newer, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"].append("0099_future")
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with scratch_database_url(tmp_path, "newer") as target_url:
        instance = Instance(target_url, tmp_path / "autre", tmp_path / "autre" / "documents")
        with pytest.raises(BackupError, match="version plus récente de Comptoir.*0099_future"):
            restore_backup(instance, newer)
