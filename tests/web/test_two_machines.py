"""Several application machines on one PostgreSQL: two portals with their own instance folders
share documents (kept in the database), sessions and the first-run setup token."""
import os
import re
import shutil
from pathlib import Path

import pytest
from flask import current_app

from config import TestConfig
from models import DocumentBlob, InstanceSecret, Operation, User
from portal import create_app, instance_secrets
from portal.documents import document_store
from tests.conftest import PortalClient
from tests.factories import make_shop, make_transaction, make_user

pytestmark = pytest.mark.skipif(
    not os.environ.get("PORTAL_TEST_DATABASE_URL"),
    reason="several machines share a PostgreSQL server: set PORTAL_TEST_DATABASE_URL (CI runs it on PostgreSQL)")

SHARED = {"DOCUMENT_STORE": "database", "SHARED_SECRETS": True}


def _machine(app, tmp_path, name, **config):
    machine = create_app(TestConfig, DATABASE_URL=app.config["DATABASE_URL"], INSTANCE_DIR=tmp_path / name,
                         **SHARED, **config)
    # What create_app does once wired (_register_shared_secrets); a no-op when it already has.
    instance_secrets.init_app(machine)
    machine.test_client_class = PortalClient
    return machine


@pytest.fixture
def machines(app, tmp_path, monkeypatch):
    from portal.payments import receipts

    if not hasattr(receipts, "document_store"):  # until the call sites use the factory
        monkeypatch.setattr(receipts, "DocumentStore", lambda root: document_store(current_app.config))
    a = _machine(app, tmp_path, "machine-a", PRINT_SETUP_TOKEN=True)
    # The card vault key stays out of the database: it is copied to each machine (README).
    (tmp_path / "machine-b").mkdir()
    shutil.copy2(Path(a.config["INSTANCE_DIR"]) / "vault.key", tmp_path / "machine-b" / "vault.key")
    b = _machine(app, tmp_path, "machine-b")
    return a, b


def test_ops_multi_setup_token_printed_by_a_accepted_by_b(machines, capfd):
    a, b = machines
    a.test_client().get("/login")
    token = re.search(r"Jeton d'installation à saisir sur la page /setup : (\S+)", capfd.readouterr().err).group(1)
    assert not (Path(a.config["INSTANCE_DIR"]) / "setup-token").exists(), "kept in the database, hashed"
    client_b = b.test_client()
    form = {"username": "patronne", "password": "Boutique2026!x", "confirm": "Boutique2026!x"}
    assert client_b.post("/setup", data={**form, "token": "mauvais-jeton"}).status_code == 422
    created = client_b.post("/setup", data={**form, "token": token})
    assert created.status_code == 302, created.get_data(as_text=True)
    assert User.get(User.username == "patronne").is_admin


def test_ops_multi_session_of_a_accepted_by_b(machines):
    a, b = machines
    assert a.secret_key == b.secret_key == InstanceSecret.get(InstanceSecret.name == "session_signing_key").value
    make_user("admin", is_admin=True)
    make_user("lecteur", rights={make_shop(): ["view"]})
    client_a, client_b = a.test_client(), b.test_client()
    assert client_a.login("lecteur").status_code == 302
    cookie = client_a.get_cookie(a.config["SESSION_COOKIE_NAME"])
    anonymous = client_b.get("/transactions/")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    client_b.set_cookie(a.config["SESSION_COOKIE_NAME"], cookie.value)
    page_b = client_b.get("/transactions/")
    assert page_b.status_code == client_a.get("/transactions/").status_code == 200


def test_ops_multi_receipt_written_by_a_read_by_b(machines, clock):
    a, b = machines
    shop = make_shop()
    make_user("admin", is_admin=True)
    make_user("lecteur", rights={shop: ["view"]})
    from portal.money import format_money
    from portal.payments.service import PaymentContext

    ctx = PaymentContext(acquirer=b.extensions["comptoir.acquirer"], timezone="Europe/Paris", clock=clock,
                         format_amount=lambda minor, currency: format_money(minor, currency, locale="fr"))
    txn = make_transaction(ctx, shop, 4200)
    assert a.extensions["comptoir.acquirer"].vault.card(txn.card_token)[0].startswith("430000")
    url = f"/transactions/{txn.id}/recus/{Operation.get(Operation.kind == 'AUTHOR').id}/a4.pdf"
    client_a, client_b = a.test_client(), b.test_client()
    client_a.login("lecteur")
    client_b.login("lecteur")
    issued = client_a.get(url)
    assert issued.status_code == 200 and issued.data.startswith(b"%PDF")
    assert DocumentBlob.select().count() == 1
    for machine in (a, b):
        folder = Path(machine.config["DOCUMENTS_DIR"])
        assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*")), "nothing on a local disk"
    assert client_b.get(url).data == issued.data
