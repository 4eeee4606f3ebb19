"""Content-addressed document store (DOC-1): a document is written once under its SHA-256 and
never overwritten, so what was issued is served again byte for byte. Two backends: files under
DOCUMENTS_DIR (one machine) or rows of document_blob (several machines on one PostgreSQL)."""
import hashlib
import os
import tempfile
from pathlib import Path

from peewee import IntegrityError

from models import DocumentBlob, StoredDocument, db


class DocumentCorrupted(IOError):
    pass


def document_store(config):
    """The store chosen by DOCUMENT_STORE ("files" or "database"); every caller goes through here."""
    kind = config.get("DOCUMENT_STORE") or "files"
    if kind == "database":
        return DatabaseDocumentStore()
    if kind == "files":
        return DocumentStore(config["DOCUMENTS_DIR"])
    raise ValueError(f"DOCUMENT_STORE inconnu : {kind!r} (attendu : files ou database)")


def _document_row(digest, media_type, size):
    existing = StoredDocument.get_or_none(StoredDocument.sha256 == digest)
    if existing is not None:
        return existing
    try:
        with db.atomic():
            return StoredDocument.create(sha256=digest, media_type=media_type, size=size)
    except IntegrityError:  # another request stored the same content meanwhile
        return StoredDocument.get(StoredDocument.sha256 == digest)


def _checked(data, sha256, where):
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DocumentCorrupted(f"document {sha256} is corrupted {where}")
    return data


class DocumentStore:
    """Files under `root`, one per SHA-256 (root/ab/cd/abcd…), read-only once written."""

    def __init__(self, root):
        self.root = Path(root)

    def path_for(self, sha256):
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, media_type: str) -> StoredDocument:
        """Store bytes (idempotent: the same content gives the same document row)."""
        digest = hashlib.sha256(data).hexdigest()
        self.write_file(digest, data)
        return _document_row(digest, media_type, len(data))

    def write_file(self, digest, data):
        path = self.path_for(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half-written document under its hash.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        os.chmod(path, 0o440)

    def has(self, sha256):
        return self.path_for(sha256).exists()

    def read(self, document: StoredDocument) -> bytes:
        return _checked(self.path_for(document.sha256).read_bytes(), document.sha256, "on disk")


class DatabaseDocumentStore:
    """Bytes in document_blob, addressed by the same SHA-256; a blob is inserted once, never updated."""

    def put(self, data: bytes, media_type: str) -> StoredDocument:
        digest = hashlib.sha256(data).hexdigest()
        self.write_blob(digest, data)
        return _document_row(digest, media_type, len(data))

    def write_blob(self, digest, data):
        if self.has(digest):
            return False
        try:
            with db.atomic():
                DocumentBlob.create(sha256=digest, data=data)
        except IntegrityError:  # another machine stored the same content meanwhile
            return False
        return True

    def has(self, sha256):
        return DocumentBlob.select().where(DocumentBlob.sha256 == sha256).exists()

    def read(self, document: StoredDocument) -> bytes:
        blob = DocumentBlob.get_or_none(DocumentBlob.sha256 == document.sha256)
        if blob is None:
            raise DocumentCorrupted(f"document {document.sha256} is missing from the database")
        return _checked(bytes(blob.data), document.sha256, "in the database")


def copy_files_to_database(files: DocumentStore):
    """Copy every stored document's file into document_blob; idempotent, so it can be rerun.
    Returns (copied, already_there, missing) where missing lists the SHA-256 without a file."""
    target = DatabaseDocumentStore()
    copied = already = 0
    missing = []
    for document in StoredDocument.select().order_by(StoredDocument.id):
        if target.has(document.sha256):
            already += 1
            continue
        if not files.has(document.sha256):
            missing.append(document.sha256)
            continue
        if target.write_blob(document.sha256, files.read(document)):
            copied += 1
        else:
            already += 1
    return copied, already, missing
