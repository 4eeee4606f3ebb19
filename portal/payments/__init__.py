"""Card payments (SPEC 2): transaction list, new payment, inline operations, detail, receipts."""
from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/transactions")


def init_app(app):
    """Open the card vault (its key is created at first start, outside the database) and the acquirer."""
    from portal.payments.acquirer import SimulatorAcquirer
    from portal.payments.vault import CardVault

    key_file = app.config.get("VAULT_KEY_FILE") or app.config["INSTANCE_DIR"] / "vault.key"
    app.extensions["comptoir.acquirer"] = SimulatorAcquirer(CardVault.from_key_file(key_file))


from portal.payments import views  # noqa: E402,F401
