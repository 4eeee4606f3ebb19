"""Content-addressed document store (DOC-1): a file is written once under its SHA-256 and
never overwritten, so what was issued is served again byte for byte."""
import hashlib
import os
import tempfile
from pathlib import Path

from peewee import IntegrityError

from models import StoredDocument, db


class DocumentStore:
    def __init__(self, root):
        self.root = Path(root)

    def path_for(self, sha256):
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, media_type: str) -> StoredDocument:
        """Store bytes (idempotent: the same content gives the same document row)."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a crash never leaves a half-written document under its hash.
            fd, tmp = tempfile.mkstemp(dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
            os.chmod(path, 0o440)
        existing = StoredDocument.get_or_none(StoredDocument.sha256 == digest)
        if existing is not None:
            return existing
        try:
            with db.atomic():
                return StoredDocument.create(sha256=digest, media_type=media_type, size=len(data))
        except IntegrityError:  # another request stored the same content meanwhile
            return StoredDocument.get(StoredDocument.sha256 == digest)

    def read(self, document: StoredDocument) -> bytes:
        data = self.path_for(document.sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != document.sha256:
            raise IOError(f"document {document.sha256} is corrupted on disk")
        return data
