"""`flask --app wsgi deliver-mail`: one delivery run of the mail queue, for cron or a systemd timer."""
import click
from flask import current_app

from models import db, utcnow
from portal.messages.queue import deliver_pending, settings_from_config


def register_cli(app):
    @app.cli.command("deliver-mail")
    @click.option("--batch", default=50, show_default=True, help="Nombre maximal de courriels envoyés.")
    def deliver_mail(batch):
        """Send the queued mails that are due; failures are retried later with a growing delay."""
        settings = settings_from_config(current_app.config)
        clock = current_app.config.get("CLOCK") or utcnow
        with db.connection_context():
            report = deliver_pending(settings, clock(), batch=batch)
        click.echo(report.summary())
        if report.server_down:
            raise SystemExit(1)
