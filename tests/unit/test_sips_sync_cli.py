"""PAY-GW-1, OPS-7: `flask sync` reads every non-final transaction back from its gateway, one run at a
time (the same lock as the remittance, under its own name), and says when the gateway is down."""
from models import Transaction
from portal.runlock import run_exclusively
from tests.factories import make_transaction
from tests.fake_sips import fake_sips, gateway_context, make_sips_shop  # noqa: F401


def test_pay_gw_1_flask_sync_reads_back_what_the_gateway_did(app, clock, fake_sips):
    shop = make_sips_shop(app)
    txn = make_transaction(gateway_context(app, clock), shop, 5000, reference="NUIT1")
    fake_sips.nightly()
    result = app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert "transactions relues 1, mises à jour 1, passerelle injoignable 0" in result.output
    assert Transaction.get_by_id(txn.id).state == "CAPTURED"
    # Final now: the next run has nothing to read.
    assert "transactions relues 0" in app.test_cli_runner().invoke(args=["sync"]).output


def test_pay_gw_1_flask_sync_with_the_gateway_down_fails_loudly(app, clock, fake_sips):
    make_transaction(gateway_context(app, clock), make_sips_shop(app), 5000)
    fake_sips.set_mode("refuse")
    result = app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 1 and "passerelle injoignable" in result.output


def test_ops_7_one_sync_at_a_time(app, clock, fake_sips):
    make_transaction(gateway_context(app, clock), make_sips_shop(app), 5000)
    with run_exclusively("sync"):
        result = app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 1 and "déjà en cours" in result.output
    assert fake_sips.calls("getTransactionData") == []
    # The remittance lock is another one: a sync does not stop the nightly remittance.
    with run_exclusively("sync"):
        assert app.test_cli_runner().invoke(args=["remit"]).exit_code == 0
