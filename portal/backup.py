"""Backup and restore (OPS-3): one tar archive with the database dump, the document files, the
instance secrets (vault key, session key) and a manifest of SHA-256 checksums; optionally
encrypted with a passphrase. `restore` rebuilds an empty instance from it.

Archive members: manifest.json (format, migration level, date, {member: {sha256, size}}),
database.sqlite3 (SQLite online backup API) or database.pgdump (pg_dump --format=custom),
documents/ab/cd/<sha256> (files store only: with DOCUMENT_STORE=database they are in the dump),
secrets/<file name>.

Encrypted archive (format 1): MAGIC (8 bytes "CPTRBK01") | salt (16) | scrypt log2(n), r, p
(1 byte each) | passphrase check (16) | nonce prefix (8), then chunks of 1 MiB of the tar, each
as 4-byte big-endian length + AES-256-GCM ciphertext with nonce = prefix + 4-byte chunk index
and associated data = header + chunk index + final flag (1 on the last chunk, which may be empty),
so a chunk cannot be altered, reordered or cut off unnoticed. scrypt derives 64 bytes from the
passphrase: the first 32 are the AES key, the last 16 the passphrase check."""
import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from portal.database import MIGRATIONS_DIR, open_database

FORMAT = "comptoir-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_FILES = ("secret_key", "vault.key")  # instance files a restored portal needs
MAGIC = b"CPTRBK01"
CHUNK = 1024 * 1024
SCRYPT = (15, 8, 1)  # log2(n), r, p: about 32 MiB and a tenth of a second


class BackupError(Exception):
    """A refusal or failure, with a French message for the person at the console."""


@dataclass
class Instance:
    database_url: str
    instance_dir: Path
    documents_dir: Path
    document_store: str = "files"
    vault_key_file: Path = None

    def __post_init__(self):
        self.instance_dir = Path(self.instance_dir)
        self.documents_dir = Path(self.documents_dir)
        self.vault_key_file = Path(self.vault_key_file or self.instance_dir / "vault.key")

    @classmethod
    def from_config(cls, config):
        return cls(config["DATABASE_URL"], config["INSTANCE_DIR"], config["DOCUMENTS_DIR"],
                   config.get("DOCUMENT_STORE") or "files", config.get("VAULT_KEY_FILE"))

    def secret_paths(self):
        """{archive name: path on this machine}"""
        paths = {name: self.instance_dir / name for name in SECRET_FILES}
        paths["vault.key"] = self.vault_key_file
        return paths


@dataclass
class RestoreReport:
    migration: str
    documents: int
    set_aside: list = field(default_factory=list)
    pending_migrations: list = field(default_factory=list)


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(url):
    scheme = urlparse(url).scheme
    return "postgresql" if scheme in ("postgres", "postgresql") else scheme


def _sqlite_path(url):
    database = open_database(url)
    return Path(database.database)


def _pg_env(url):
    parsed = urlparse(url)
    env = dict(os.environ)
    env.update({"PGDATABASE": unquote(parsed.path.lstrip("/")), "PGHOST": parsed.hostname or "",
                "PGPORT": str(parsed.port or 5432)})
    if parsed.username:
        env["PGUSER"] = unquote(parsed.username)
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)  # the environment, never the command line
    for key, values in parse_qs(parsed.query).items():
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
            env["PG" + key.upper()] = values[-1]
    return env


def _run_pg_tool(command, url, what):
    try:
        result = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} est introuvable : installez le client PostgreSQL "
                          f"(paquet postgresql-client, même version que le serveur).")
    if result.returncode != 0:
        raise BackupError(f"{what} a échoué : {result.stderr.strip()[-800:]}")


def _applied_migrations(url):
    database = open_database(url)
    with database.connection_context():
        if not database.table_exists("schema_migration"):
            return []
        return [row[0] for row in database.execute_sql("SELECT name FROM schema_migration ORDER BY name")]


def _known_migrations():
    return sorted(path.stem for path in MIGRATIONS_DIR.glob("[0-9]*.py"))


def tables_with_data(url):
    """Tables of the target database holding rows (schema_migration aside)."""
    database = open_database(url)
    with database.connection_context():
        return [table for table in database.get_tables() if table != "schema_migration"
                and database.execute_sql(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()]


# --- backup --------------------------------------------------------------------------------------


def _dump_database(url, workdir):
    if _kind(url) == "sqlite":
        target = workdir / "database.sqlite3"
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # consistent even while the portal writes
        finally:
            copy.close()
            source.close()
        return "database.sqlite3", target
    target = workdir / "database.pgdump"
    _run_pg_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
                 url, "pg_dump")
    return "database.pgdump", target


def _document_files(instance):
    """(archive name, path) of the document files the dump does not already hold."""
    root = instance.documents_dir
    if not root.is_dir():
        return []
    files = sorted(path for path in root.rglob("*") if path.is_file() and len(path.name) == 64)
    if instance.document_store == "database":
        database = open_database(instance.database_url)
        with database.connection_context():
            in_database = {row[0] for row in database.execute_sql("SELECT sha256 FROM document_blob")}
        files = [path for path in files if path.name not in in_database]
    return [(f"documents/{path.relative_to(root).as_posix()}", path) for path in files]


def create_backup(instance: Instance, archive, passphrase=None):
    """Write the archive (atomically: a half-written archive never carries the final name).
    Returns the manifest."""
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".comptoir-backup-", dir=archive.parent) as tmp:
        workdir = Path(tmp)
        migrations = _applied_migrations(instance.database_url)
        members = [_dump_database(instance.database_url, workdir)]
        members += [(f"secrets/{name}", path) for name, path in instance.secret_paths().items() if path.exists()]
        members += _document_files(instance)
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION,
            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "database": _kind(instance.database_url), "document_store": instance.document_store,
            "migration": migrations[-1] if migrations else None, "migrations": migrations,
            "members": {},
        }
        plain = workdir / "archive.tar"
        with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, path in members:
                manifest["members"][name] = {"sha256": _sha256_file(path), "size": path.stat().st_size}
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
        partial = workdir / "archive.out"
        if passphrase:
            with open(plain, "rb") as source, open(partial, "wb") as target:
                encrypt_stream(source, target, passphrase)
        else:
            plain.rename(partial)
        os.chmod(partial, 0o600)
        os.replace(partial, archive)
    return manifest


# --- encryption ----------------------------------------------------------------------------------


def _derive(passphrase, salt, log_n, r, p):
    material = Scrypt(salt=salt, length=64, n=2 ** log_n, r=r, p=p).derive(passphrase.encode())
    return material[:32], material[48:]


def encrypt_stream(source, target, passphrase):
    salt, prefix = os.urandom(16), os.urandom(8)
    key, check = _derive(passphrase, salt, *SCRYPT)
    header = MAGIC + salt + bytes(SCRYPT) + check + prefix
    target.write(header)
    aes, index = AESGCM(key), 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        final = not following
        nonce = prefix + struct.pack(">I", index)
        sealed = aes.encrypt(nonce, chunk, header + struct.pack(">IB", index, final))
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if final:
            return
        chunk, index = following, index + 1


def is_encrypted(path):
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def decrypt_stream(source, target, passphrase):
    header = source.read(len(MAGIC) + 16 + 3 + 16 + 8)
    if len(header) < 51 or not header.startswith(MAGIC):
        raise BackupError("Ce fichier n'est pas une sauvegarde chiffrée de Comptoir.")
    salt, params, check, prefix = header[8:24], header[24:27], header[27:43], header[43:51]
    key, expected = _derive(passphrase, salt, *params)
    if expected != check:
        raise BackupError("Phrase de passe incorrecte : la sauvegarde ne peut pas être déchiffrée. "
                          "Vérifiez le fichier donné à --passphrase-file ou PORTAL_BACKUP_PASSPHRASE.")
    aes, index = AESGCM(key), 0
    while True:
        size = source.read(4)
        if len(size) < 4:
            raise BackupError("Sauvegarde tronquée : la fin de l'archive manque. Reprenez une copie complète.")
        sealed = source.read(struct.unpack(">I", size)[0])
        nonce = prefix + struct.pack(">I", index)
        for final in (0, 1):
            try:
                target.write(aes.decrypt(nonce, sealed, header + struct.pack(">IB", index, final)))
            except InvalidTag:
                continue
            break
        else:
            raise BackupError("Sauvegarde altérée : un bloc chiffré ne correspond plus à son contrôle d'intégrité.")
        if final:
            if source.read(1):
                raise BackupError("Sauvegarde altérée : des données suivent la fin de l'archive.")
            return
        index += 1


# --- restore -------------------------------------------------------------------------------------


def _safe_name(name):
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _open_archive(archive, passphrase, workdir):
    """The plain tar: decrypted into workdir when the archive is encrypted."""
    if not is_encrypted(archive):
        return Path(archive)
    if not passphrase:
        raise BackupError("Cette sauvegarde est chiffrée : donnez sa phrase de passe "
                          "(--passphrase-file FICHIER ou variable PORTAL_BACKUP_PASSPHRASE).")
    plain = workdir / "archive.tar"
    with open(archive, "rb") as source, open(plain, "wb") as target:
        decrypt_stream(source, target, passphrase)
    return plain


def _extract_verified(tar_path, workdir):
    """Extract every member into workdir/files after checking it against the manifest."""
    try:
        tar = tarfile.open(tar_path, "r:")
    except tarfile.TarError:
        raise BackupError("Ce fichier n'est pas une sauvegarde de Comptoir (archive tar illisible).")
    with tar:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))
        except (KeyError, ValueError):
            raise BackupError("Sauvegarde incomplète : son manifeste (manifest.json) manque ou est illisible.")
        if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
            raise BackupError(f"Format de sauvegarde inconnu ({manifest.get('format')} "
                              f"version {manifest.get('version')}) : utilisez la version de Comptoir qui l'a écrite.")
        expected = manifest["members"]
        seen = set()
        root = workdir / "files"
        for member in tar.getmembers():
            if member.name == MANIFEST:
                continue
            if member.name not in expected or not member.isfile() or not _safe_name(member.name):
                raise BackupError(f"Sauvegarde altérée : « {member.name} » n'est pas dans son manifeste.")
            target = root / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with tar.extractfile(member) as source, open(target, "wb") as handle:
                for block in iter(lambda: source.read(CHUNK), b""):
                    digest.update(block)
                    handle.write(block)
            if digest.hexdigest() != expected[member.name]["sha256"]:
                raise BackupError(f"Sauvegarde altérée : la somme de contrôle de « {member.name} » ne correspond pas.")
            seen.add(member.name)
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupError(f"Sauvegarde incomplète : {len(missing)} fichier(s) du manifeste manquent "
                              f"({', '.join(missing[:3])}…).")
    return manifest, root


def _check_target(instance, manifest, force):
    kind = _kind(instance.database_url)
    if manifest["database"] != kind:
        raise BackupError(f"Cette sauvegarde vient d'une base {manifest['database']} et la base configurée "
                          f"est {kind} : restaurez-la sur le même type de base.")
    unknown = sorted(set(manifest["migrations"]) - set(_known_migrations()))
    if unknown:
        raise BackupError(f"Cette sauvegarde vient d'une version plus récente de Comptoir (migration "
                          f"{unknown[-1]} inconnue ici) : mettez Comptoir à jour avant de restaurer.")
    if force:
        return
    busy = tables_with_data(instance.database_url)
    if busy:
        raise BackupError(f"La base cible contient déjà des données ({len(busy)} tables, dont "
                          f"{', '.join(busy[:3])}) : restaurez dans une base vide, ou ajoutez --force pour "
                          f"l'écraser (les données actuelles seront perdues).")


def _restore_database(instance, manifest, root):
    url = instance.database_url
    if manifest["database"] == "sqlite":
        source = sqlite3.connect(root / "database.sqlite3")
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target)  # replaces every page of the target
        finally:
            target.close()
            source.close()
        return
    database = open_database(url)
    with database.connection_context():
        has_tables = bool(database.get_tables())
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
               "--dbname", urlparse(url).path.lstrip("/")]
    if has_tables:
        command += ["--clean", "--if-exists"]
    _run_pg_tool(command + [str(root / "database.pgdump")], url, "pg_restore")


def _restore_documents(instance, root):
    from portal.documents import DocumentStore

    store, count = DocumentStore(instance.documents_dir), 0
    folder = root / "documents"
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            store.write_file(path.name, path.read_bytes())
            count += 1
    return count


def _restore_secrets(instance, root):
    """Write the secrets; a different one already there is kept aside, never destroyed
    (the portal creates a vault key at start-up, before `restore` runs)."""
    set_aside = []
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    for name, path in instance.secret_paths().items():
        source = root / "secrets" / name
        if not source.exists():
            continue
        data = source.read_bytes()
        if path.exists():
            if path.read_bytes() == data:
                continue
            aside = path.with_name(f"{path.name}.avant-restauration-{stamp}")
            os.replace(path, aside)
            set_aside.append(aside)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return set_aside


def restore_backup(instance: Instance, archive, passphrase=None, force=False):
    """Rebuild the instance from the archive; refuses a target that already holds data."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"Sauvegarde introuvable : {archive}")
    instance.instance_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".comptoir-restore-", dir=instance.instance_dir) as tmp:
        workdir = Path(tmp)
        manifest, root = _extract_verified(_open_archive(archive, passphrase, workdir), workdir)
        _check_target(instance, manifest, force)
        _restore_database(instance, manifest, root)
        documents = _restore_documents(instance, root)
        set_aside = _restore_secrets(instance, root)
        shutil.rmtree(root, ignore_errors=True)
    pending = [name for name in _known_migrations() if name not in manifest["migrations"]]
    return RestoreReport(manifest["migration"], documents, set_aside, pending)
