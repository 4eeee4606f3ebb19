"""Command-line entry points: `flask --app wsgi migrate`, `create-admin`, `remit`, `sync`, `backup`,
`restore`, `documents-to-database`, `setup-token`."""
import datetime
import os
from pathlib import Path

import click
from flask import current_app

from models import db
from portal.audit import record_action
from portal.auth.passwords import PasswordRejected, create_user
from portal.auth.setup_token import discard_token
from portal.database import apply_migrations, migration_runner


def _fail(message):
    """A French message on stderr and exit status 1 (click's ClickException would say "Error:")."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def _passphrase(passphrase_file):
    if passphrase_file:
        text = Path(passphrase_file).read_text().rstrip("\r\n")
        if not text:
            _fail(f"Le fichier de phrase de passe {passphrase_file} est vide.")
        return text
    return os.environ.get("PORTAL_BACKUP_PASSPHRASE") or None


PASSPHRASE_HELP = "Fichier contenant la phrase de passe (sinon la variable PORTAL_BACKUP_PASSPHRASE)."


def register(app):
    @app.cli.command("remit")
    @click.option("--until", "until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Dernier jour à traiter (AAAA-MM-JJ) ; par défaut aujourd'hui.")
    def remit(until):
        """Daily remittance run (PAY-BATCH-1): idempotent, catches up missed days; one at a time (OPS-7)."""
        from portal.payments.context import batch_context
        from portal.payments.remittance import SUMMARY_LABELS
        from portal.payments.remittance import remit as run_remittance
        from portal.runlock import AlreadyRunning, run_exclusively

        stale_after = datetime.timedelta(minutes=current_app.config.get("RUN_LOCK_STALE_MINUTES", 12 * 60))
        with db.connection_context():
            try:
                with run_exclusively("remit", stale_after=stale_after):
                    ctx = batch_context()
                    day = until.date() if until else ctx.today()
                    summaries = run_remittance(ctx, day)
            except AlreadyRunning as running:
                _fail(f"Une remise est déjà en cours ({running.describe()}) : rien n'a été fait. "
                      f"Relancez la commande quand elle sera terminée.")
        if not summaries:
            click.echo(f"Rien à faire : les remises jusqu'au {day:%d/%m/%Y} sont déjà faites.")
        for done, summary in summaries.items():
            click.echo(f"{done:%d/%m/%Y} : " + ", ".join(f"{SUMMARY_LABELS[key]} {value}"
                                                          for key, value in summary.items()))

    @app.cli.command("sync")
    def sync():
        """Refresh every non-final transaction from its gateway (PAY-GW-1); one run at a time (OPS-7)."""
        from portal.payments.context import batch_context
        from portal.payments.sync import SUMMARY_LABELS
        from portal.payments.sync import sync as run_sync
        from portal.runlock import AlreadyRunning, run_exclusively

        stale_after = datetime.timedelta(minutes=current_app.config.get("RUN_LOCK_STALE_MINUTES", 12 * 60))
        with db.connection_context():
            try:
                with run_exclusively("sync", stale_after=stale_after):
                    summary = run_sync(batch_context())
            except AlreadyRunning as running:
                _fail(f"Une synchronisation est déjà en cours ({running.describe()}) : rien n'a été fait. "
                      f"Relancez la commande quand elle sera terminée.")
        click.echo("Synchronisation : " + ", ".join(f"{SUMMARY_LABELS[key]} {value}" for key, value in summary.items()))
        if summary["unreachable"]:
            _fail(f"{summary['unreachable']} transaction(s) n'ont pas pu être relues : passerelle injoignable. "
                  f"Elles le seront à la prochaine synchronisation.")

    @app.cli.command("migrate")
    @click.option("--status", is_flag=True, help="Liste les migrations et indique si elles sont appliquées.")
    @click.option("--check", is_flag=True,
                  help="N'applique rien : code 0 si la base est à jour, 1 s'il reste des migrations.")
    def migrate(status, check):
        """Apply pending schema migrations (OPS-2); --check for deployment scripts (OPS-6)."""
        if status or check:
            with db.connection_context():
                migrations = migration_runner().status()
            if status:
                for migration in migrations:
                    mark = "appliquée" if migration.applied else "en attente"
                    click.echo(f"{migration.name}: {mark}")
            if check:
                pending = [m.name for m in migrations if not m.applied]
                if pending:
                    _fail(f"{len(pending)} migration(s) en attente : {', '.join(pending)}.\n"
                          f"Appliquez-les avec : flask --app wsgi migrate")
                click.echo("Base à jour.")
            return
        applied = apply_migrations()
        click.echo(f"Migrations appliquées : {', '.join(applied)}" if applied else "Base à jour.")

    @app.cli.command("backup")
    @click.argument("archive", type=click.Path(dir_okay=False))
    @click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False), help=PASSPHRASE_HELP)
    def backup(archive, passphrase_file):
        """Write one archive: database, documents, vault key and instance secrets (OPS-3)."""
        from portal.backup import BackupError, Instance, create_backup

        passphrase = _passphrase(passphrase_file)
        try:
            manifest = create_backup(Instance.from_config(current_app.config), archive, passphrase)
        except BackupError as error:
            _fail(str(error))
        documents = sum(1 for name in manifest["members"] if name.startswith("documents/"))
        click.echo(f"Sauvegarde écrite : {archive} (base {manifest['database']} à la migration "
                   f"{manifest['migration']}, {documents} document(s) en fichiers"
                   f"{', chiffrée' if passphrase else ''}).")
        if not passphrase:
            click.echo("Attention : l'archive n'est pas chiffrée et contient la clé du coffre des cartes ; "
                       "gardez-la en lieu sûr ou donnez une phrase de passe (--passphrase-file).", err=True)

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(dir_okay=False))
    @click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False), help=PASSPHRASE_HELP)
    @click.option("--force", is_flag=True, help="Écrase une base qui contient déjà des données.")
    def restore(archive, passphrase_file, force):
        """Rebuild an empty instance from a backup archive (OPS-3). Stop the portal first."""
        from portal.backup import BackupError, Instance, restore_backup

        if not db.is_closed():
            db.close()
        try:
            report = restore_backup(Instance.from_config(current_app.config), archive,
                                    _passphrase(passphrase_file), force=force)
        except BackupError as error:
            _fail(str(error))
        click.echo(f"Restauration terminée : base à la migration {report.migration}, "
                   f"{report.documents} document(s) en fichiers.")
        for path in report.set_aside:
            click.echo(f"Secret déjà présent, remplacé par celui de la sauvegarde et mis de côté : {path} "
                       f"(à supprimer si cette instance n'a jamais servi)")
        if report.pending_migrations:
            click.echo("Cette sauvegarde vient d'une version antérieure : appliquez les migrations avec "
                       "flask --app wsgi migrate")
        if current_app.config.get("DOCUMENT_STORE") == "database" and report.documents:
            click.echo("Les documents sont configurés en base : copiez-les avec "
                       "flask --app wsgi documents-to-database")
        click.echo("Redémarrez le portail pour qu'il relise les secrets restaurés.")

    @app.cli.command("documents-to-database")
    def documents_to_database():
        """Copy the document files into the database (several machines); safe to rerun."""
        from portal.documents import DocumentStore, copy_files_to_database

        with db.connection_context():
            copied, already, missing = copy_files_to_database(DocumentStore(current_app.config["DOCUMENTS_DIR"]))
        click.echo(f"{copied} document(s) copié(s) en base, {already} déjà présent(s).")
        if missing:
            _fail(f"{len(missing)} document(s) sans fichier dans {current_app.config['DOCUMENTS_DIR']} "
                  f"(par exemple {missing[0]}) : restaurez-les depuis une sauvegarde puis relancez la commande.")
        if current_app.config.get("DOCUMENT_STORE") != "database":
            click.echo("Pour que le portail les lise en base : PORTAL_DOCUMENT_STORE=database, puis redémarrez-le.")

    @app.cli.command("setup-token")
    def setup_token():
        """Print a new first-run setup token (AUTH-1), e.g. when the console output was lost."""
        from models import User
        from portal import print_setup_token
        from portal.auth.setup_token import renew_token

        with db.connection_context():
            if User.admin_exists():
                _fail("Un administrateur existe déjà : connectez-vous, ou créez-en un autre avec "
                      "flask --app wsgi create-admin")
            print_setup_token(renew_token(current_app.config["INSTANCE_DIR"]))

    @app.cli.command("create-admin")
    @click.option("--username", prompt="Identifiant")
    @click.option("--display-name", default="")
    @click.password_option("--password", prompt="Mot de passe (12 caractères au moins, lettres et chiffres)")
    def create_admin(username, display_name, password):
        """Create an administrator without the setup page (AUTH-1)."""
        with db.connection_context():
            try:
                with db.atomic():
                    user = create_user(username, password, display_name=display_name, is_admin=True,
                                       method=current_app.config["PASSWORD_HASH_METHOD"])
                    record_action("user.create_admin_cli", "user", user.id, actor="console",
                                  after={"username": user.username, "is_admin": True})
            except PasswordRejected as exc:
                raise click.ClickException(str(exc))
            discard_token(current_app.config["INSTANCE_DIR"])
        click.echo(f"Administrateur « {user.username} » créé.")
