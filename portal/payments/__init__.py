"""Card payments (SPEC 2): transaction list, new payment, inline operations, detail, receipts."""
from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/transactions")


def init_app(app):
    """Open the card vault (its key is created at first start, outside the database), the simulator
    gateway and the per-shop gateway registry (Sips Office accounts, PAY-GW-2)."""
    from portal.payments.acquirer import SimulatorGateway
    from portal.payments.gateways import GatewayRegistry
    from portal.payments.vault import CardVault

    key_file = app.config.get("VAULT_KEY_FILE") or app.config["INSTANCE_DIR"] / "vault.key"
    vault = CardVault.from_key_file(key_file)
    simulator = SimulatorGateway(vault)
    app.extensions["comptoir.acquirer"] = simulator
    app.extensions["comptoir.gateways"] = GatewayRegistry(simulator, vault, app.config)


from portal.payments import instalment_views, wallet_views, dashboard_views, list_views, views  # noqa: E402,F401
