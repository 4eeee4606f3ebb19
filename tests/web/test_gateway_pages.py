"""PAY-GW-1, PAY-GW-2 through the pages: the shop's gateway settings (admin only, key encrypted,
never shown again, audited), a payment on a Sips shop through the fake Office server, the
detail page's "refresh from the gateway" button (HTMX, CSRF, rights), a clear message when the
gateway is unreachable, and the secret key in no page, log, export or backup in clear."""
import gzip
import logging
import tarfile

import pytest

from models import AuditRecord, Shop, Transaction
from tests.factories import make_shop, make_transaction
from tests.fake_sips import MERCHANT_ID, SECRET_KEY, fake_sips, gateway_context, make_sips_shop  # noqa: F401
from tests.web.test_payment_pages import ALL_RIGHTS, _new_payment_form


def _shop_form(shop, **overrides):
    data = {"name": shop.name, "merchant_id": shop.merchant_id, "establishment": "0", "currency": "EUR",
            "default_capture_mode": "AUTO", "default_capture_delay": "0", "default_network": "CB",
            "gateway": "SIPS_TEST", "gateway_key_version": "2", "secret_key": SECRET_KEY}
    data.update(overrides)
    return data


def test_pay_gw_2_admin_sets_the_gateway_key_never_shown_again(client, admin, clock, caplog):
    caplog.set_level(logging.DEBUG)
    shop = make_shop(merchant_id=MERCHANT_ID)
    assert client.login("admin").status_code == 302
    response = client.post(f"/admin/shops/{shop.id}", data=_shop_form(shop))
    assert response.status_code == 302, response.get_data(as_text=True)
    shop = Shop.get_by_id(shop.id)
    assert shop.gateway == "SIPS_TEST" and shop.gateway_key_version == 2 and shop.gateway_key_saved_at
    assert SECRET_KEY not in shop.gateway_secret
    page = client.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "Clé secrète enregistrée : version 2" in page
    assert SECRET_KEY not in page and shop.gateway_secret not in page
    record = AuditRecord.get(AuditRecord.action == "shop.gateway")
    assert '"secret_key_changed": true' in record.after and SECRET_KEY not in record.after + (record.before or "")
    assert SECRET_KEY not in caplog.text
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "shop.gateway" in audit_page and SECRET_KEY not in audit_page
    # Saving again without typing the key keeps it.
    client.post(f"/admin/shops/{shop.id}", data=_shop_form(shop, secret_key="", gateway_key_version="3"))
    again = Shop.get_by_id(shop.id)
    assert again.gateway_secret == shop.gateway_secret and again.gateway_key_version == 3


def test_pay_gw_2_sips_needs_a_key(client, admin):
    shop = make_shop()
    client.login("admin")
    response = client.post(f"/admin/shops/{shop.id}", data=_shop_form(shop, secret_key=""))
    assert response.status_code == 422
    assert "Saisissez la clé secrète" in response.get_data(as_text=True)
    assert Shop.get_by_id(shop.id).gateway == "SIMULATOR"


def test_pay_gw_2_only_an_administrator_changes_the_gateway(client, login_as, shop):
    login_as("marchand", rights=ALL_RIGHTS, shop=shop)
    response = client.post(f"/admin/shops/{shop.id}", data=_shop_form(shop))
    assert response.status_code in (302, 403) and Shop.get_by_id(shop.id).gateway == "SIMULATOR"
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


@pytest.fixture
def sips_merchant(app, login_as, fake_sips, clock):
    shop = make_sips_shop(app)
    login_as("marchand", rights=ALL_RIGHTS, shop=shop)
    return shop


def test_pay_gw_1_payment_page_on_a_sips_shop(client, sips_merchant, fake_sips):
    response = client.post("/transactions/nouveau", data=_new_payment_form(client, reference="PAGE1"))
    assert response.status_code == 303
    txn = Transaction.get(Transaction.reference == "PAGE1")
    assert txn.state == "TO_CAPTURE" and txn.authorisation_number
    [body] = fake_sips.calls("cardOrder", "PAGE1")
    assert body["cardCSCValue"] == "123"  # sent to the gateway in memory, stored nowhere
    assert "123" not in (txn.fraud_result or "")


def test_pay_gw_3_unreachable_gateway_gives_a_clear_french_message(client, app, sips_merchant):
    app.config["SIPS_TEST_URL"] = "http://127.0.0.1:9"
    response = client.post("/transactions/nouveau", data=_new_payment_form(client, reference="HORS1"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "injoignable" in page and "aucun débit" in page


def test_pay_gw_1_refresh_button_reads_the_gateway(client, app, sips_merchant, fake_sips, clock):
    ctx = gateway_context(app, clock)
    txn = make_transaction(ctx, sips_merchant, 5000, reference="ACTU1")
    page = client.get(f"/transactions/{txn.id}").get_data(as_text=True)
    assert "Actualiser depuis la passerelle" in page and "Worldline Sips — test" in page
    fake_sips.nightly()
    response = client.post(f"/transactions/{txn.id}/actualiser", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="txn-gateway"' in fragment and 'id="txn-summary"' in fragment and 'hx-swap-oob="true"' in fragment
    assert "Envoyée en banque" in fragment
    assert Transaction.get_by_id(txn.id).state == "CAPTURED"
    # Without htmx: redirect after POST.
    response = client.post(f"/transactions/{txn.id}/actualiser")
    assert response.status_code == 303


def test_pay_gw_1_refresh_needs_csrf_and_a_right_on_the_shop(client, app, sips_merchant, fake_sips, clock):
    ctx = gateway_context(app, clock)
    other = make_shop()
    txn = make_transaction(ctx, other, 5000)
    assert client.post(f"/transactions/{txn.id}/actualiser").status_code in (403, 404)
    mine = make_transaction(ctx, sips_merchant, 5000)
    assert client.post(f"/transactions/{mine.id}/actualiser", csrf=False).status_code == 400


def test_pay_gw_3_refresh_while_gateway_down_says_so(client, app, sips_merchant, fake_sips, clock):
    txn = make_transaction(gateway_context(app, clock), sips_merchant, 5000)
    fake_sips.set_mode("refuse")
    response = client.post(f"/transactions/{txn.id}/actualiser", headers={"HX-Request": "true"})
    assert response.status_code == 503
    assert "réessayez plus tard" in response.get_data(as_text=True)


def test_pay_gw_2_secret_key_in_no_page_log_export_or_backup(client, app, sips_merchant, fake_sips, clock,
                                                            caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    ctx = gateway_context(app, clock)
    txn = make_transaction(ctx, sips_merchant, 5000)
    pages = [client.get(url).get_data() for url in (
        "/transactions/", f"/transactions/{txn.id}", "/transactions/nouveau")]
    assert all(SECRET_KEY.encode() not in page for page in pages)
    assert SECRET_KEY not in caplog.text
    archive = tmp_path / "sauvegarde.tar"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            assert SECRET_KEY.encode() not in data, member.name


# --- Co-badging on a Sips shop (PAY-ACQ-3, PAY-GW-1 card networks lookup) -------------------------------

CO_BADGED_SPACED = "4970 1000 0000 0600"  # CB + Visa for Sips (fake), a plain Visa for the local table


def test_pay_acq_3_sips_shop_offers_the_networks_sips_knows(client, sips_merchant, fake_sips):
    from portal.payments.acquirer import simulator_card
    from portal.payments.cards import clean_number

    assert clean_number(CO_BADGED_SPACED) == simulator_card("497010")
    response = client.post("/transactions/nouveau/verifier/card_number", headers={"HX-Request": "true"},
                           data={"card_number": CO_BADGED_SPACED, "shop": str(sips_merchant.id)})
    html = response.get_data(as_text=True)
    assert 'value="CB"' in html and 'value="VISA"' in html and "co-badgée" in html
    # A number still being typed is never sent to the gateway.
    client.post("/transactions/nouveau/verifier/card_number", headers={"HX-Request": "true"},
                data={"card_number": "4970 10", "shop": str(sips_merchant.id)})
    assert [body["cardNumber"] for body in fake_sips.calls("getCardData")] == [simulator_card("497010")]


def test_pay_acq_3_sips_payment_on_the_chosen_network(client, sips_merchant, fake_sips):
    response = client.post("/transactions/nouveau", data=_new_payment_form(
        client, reference="COBADGE1", card_number=CO_BADGED_SPACED, network="CB"))
    assert response.status_code == 303, response.get_data(as_text=True)
    txn = Transaction.get(Transaction.reference == "COBADGE1")
    assert txn.network == "CB" and txn.networks == "CB,VISA" and txn.card_country == "FR"
    [body] = fake_sips.calls("cardOrder", "COBADGE1")
    assert body["paymentMeanBrand"] == "CB"
    assert len(fake_sips.calls("getCardData")) == 1  # the form's lookup served the fraud check too


def test_loc_3_refresh_message_in_the_readers_language(client, app, login_as, fake_sips, clock):
    """What a refresh changed is said in the user's language, states and operations included."""
    shop = make_sips_shop(app)
    login_as("merchant", rights=ALL_RIGHTS, shop=shop, language="en")
    txn = make_transaction(gateway_context(app, clock), shop, 5000, reference="ACTU2")
    fake_sips.nightly()
    fragment = client.post(f"/transactions/{txn.id}/actualiser", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Transaction refreshed from the gateway: state “To send to the bank” → “Sent to the bank”." in fragment
    assert "passerelle" not in fragment
    again = client.post(f"/transactions/{txn.id}/actualiser", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Transaction read again: the gateway confirms its state." in again
    fake_sips.set_mode("refuse")
    down = client.post(f"/transactions/{txn.id}/actualiser", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "The state could not be read again; try again later." in down
    audit = AuditRecord.select().where(AuditRecord.action == "payment.sync").get()
    assert "état « À envoyer en banque » → « Envoyée en banque »" in audit.after  # the audit keeps the French text
