"""Command-line entry points: `flask --app wsgi migrate`, `create-admin`."""
import click
from flask import current_app

from models import db
from portal.audit import record_action
from portal.auth.passwords import PasswordRejected, create_user
from portal.auth.setup_token import discard_token
from portal.database import apply_migrations, migration_runner


def register(app):
    @app.cli.command("remit")
    @click.option("--until", "until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Dernier jour à traiter (AAAA-MM-JJ) ; par défaut aujourd'hui.")
    def remit(until):
        """Daily remittance run (PAY-BATCH-1): idempotent, catches up missed days."""
        from portal.payments.context import batch_context
        from portal.payments.remittance import SUMMARY_LABELS
        from portal.payments.remittance import remit as run_remittance

        with db.connection_context():
            ctx = batch_context()
            day = until.date() if until else ctx.today()
            summaries = run_remittance(ctx, day)
        if not summaries:
            click.echo(f"Rien à faire : les remises jusqu'au {day:%d/%m/%Y} sont déjà faites.")
        for done, summary in summaries.items():
            click.echo(f"{done:%d/%m/%Y} : " + ", ".join(f"{SUMMARY_LABELS[key]} {value}"
                                                          for key, value in summary.items()))

    @app.cli.command("migrate")
    @click.option("--status", is_flag=True, help="List migrations and whether they are applied.")
    def migrate(status):
        """Apply pending schema migrations (OPS-2)."""
        if status:
            with db.connection_context():
                for migration in migration_runner().status():
                    mark = "appliquée" if migration.applied else "en attente"
                    click.echo(f"{migration.name}: {mark}")
            return
        applied = apply_migrations()
        click.echo(f"Migrations appliquées : {', '.join(applied)}" if applied else "Base à jour.")

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
