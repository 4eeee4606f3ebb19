"""DOC-1 with documents kept in the database (several machines): same SHA-256 addressing, written
once, checked on every read; `flask documents-to-database` moves a files store over, rerunnable."""
import hashlib

import pytest

from models import DocumentBlob, StoredDocument
from portal.documents import DatabaseDocumentStore, DocumentCorrupted, DocumentStore, document_store


def test_ops_multi_document_store_chosen_by_config(app):
    assert isinstance(document_store(app.config), DocumentStore)
    assert isinstance(document_store({**app.config, "DOCUMENT_STORE": "database"}), DatabaseDocumentStore)
    with pytest.raises(ValueError, match="DOCUMENT_STORE"):
        document_store({**app.config, "DOCUMENT_STORE": "s3"})


def test_doc_1_database_store_is_content_addressed_and_checked(app):
    store = DatabaseDocumentStore()
    data = b"%PDF-1.7 recu"
    first = store.put(data, "application/pdf")
    again = store.put(data, "application/pdf")
    assert first.id == again.id and first.sha256 == hashlib.sha256(data).hexdigest() and first.size == len(data)
    assert DocumentBlob.select().count() == 1 and StoredDocument.select().count() == 1
    assert store.read(first) == data
    DocumentBlob.update(data=b"%PDF-1.7 falsifie").execute()
    with pytest.raises(DocumentCorrupted):
        store.read(first)
    DocumentBlob.delete().execute()
    with pytest.raises(DocumentCorrupted):
        store.read(first)


def test_ops_multi_documents_to_database_copies_once(app):
    files = DocumentStore(app.config["DOCUMENTS_DIR"])
    documents = [files.put(f"document {n}".encode(), "text/plain") for n in range(3)]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["documents-to-database"])
    assert first.exit_code == 0 and "3 document(s) copié(s) en base, 0 déjà présent(s)" in first.output
    second = runner.invoke(args=["documents-to-database"])
    assert second.exit_code == 0 and "0 document(s) copié(s) en base, 3 déjà présent(s)" in second.output
    database = DatabaseDocumentStore()
    for n, document in enumerate(documents):
        assert database.read(document) == f"document {n}".encode()

    lost = StoredDocument.create(sha256="f" * 64, media_type="text/plain", size=1)
    missing = runner.invoke(args=["documents-to-database"])
    assert missing.exit_code == 1 and "1 document(s) sans fichier" in missing.output and lost.sha256 in missing.output
