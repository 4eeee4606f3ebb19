"""Payment pages and their HTMX partials, through the Flask test client (PAY-NEW-1/2, PAY-OP-1, PAY-DET-1, PAY-RCPT-1)."""
import html
import re

import pytest

from models import Operation, Receipt, Transaction
from portal.payments.acquirer import simulator_card
from portal.payments.remittance import remit
from tests.factories import make_shop, make_transaction

ALL_RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate"]
HX = {"HX-Request": "true"}


@pytest.fixture
def merchant(login_as, shop, clock):
    return login_as("marchand", rights=ALL_RIGHTS, shop=shop)


def _new_payment_form(client, **overrides):
    page = client.get("/transactions/nouveau").get_data(as_text=True)
    data = {
        "shop": re.search(r'name="shop"[^>]*value="(\d+)"', page).group(1),
        "card_number": "4300 0000 0000 0900",
        "network": "VISA",
        "expiry": "12/29",
        "cvv": "123",
        "reference": re.search(r'id="reference"[^>]*value="(\w+)"', page).group(1),
        "amount": "100,00",
        "currency": "EUR",
        "capture_mode": "AUTO",
        "capture_delay": "0",
        "idempotency_key": re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1),
    }
    data.update(overrides)
    return data


def test_pay_new_1_accepted_payment_shows_authorisation(client, merchant):
    response = client.post("/transactions/nouveau", data=_new_payment_form(client))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    txn = Transaction.get()
    assert "Paiement accepté" in page and txn.authorisation_number in page
    assert txn.amount == 10000 and txn.network == "VISA" and txn.networks == "CB,VISA"
    assert txn.masked_pan == "430000######0900"
    assert "Saisir un autre paiement" in page


def test_pay_new_2_refused_payment_says_why(client, merchant):
    card = simulator_card("430000", "00", "51")
    response = client.post("/transactions/nouveau", data=_new_payment_form(client, card_number=card))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Paiement refusé" in page and "provision insuffisante" in page
    assert Transaction.get().state == "REFUSED"


def test_pay_new_1_errors_next_to_fields_and_nothing_created(client, merchant):
    data = _new_payment_form(client, card_number="4300000000000901", expiry="01/20", amount="12,345",
                             reference="avec espace", capture_delay="120")
    response = client.post("/transactions/nouveau", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "clé de contrôle Luhn" in page
    assert "expirée" in page
    assert "Trop de décimales" in page
    assert "35 lettres ou chiffres" in page
    assert "Entre 0 et 99 jours" in page
    assert Transaction.select().count() == 0


def test_pay_new_1_reference_unique_per_shop(client, merchant, shop, payment_ctx):
    make_transaction(payment_ctx, shop, reference="DEJAPRISE")
    response = client.post("/transactions/nouveau", data=_new_payment_form(client, reference="DEJAPRISE"))
    assert response.status_code == 422
    assert "existe déjà" in response.get_data(as_text=True)
    assert Transaction.select().count() == 1


def test_pay_op_2_double_submission_of_new_payment_creates_one(client, merchant):
    data = _new_payment_form(client)
    first = client.post("/transactions/nouveau", data=data)
    second = client.post("/transactions/nouveau", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert Transaction.select().count() == 1


def test_pay_acq_3_card_networks_appear_while_typing(client, merchant):
    response = client.post("/transactions/nouveau/verifier/card_number", data={"card_number": "520000", "shop": ""},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert 'value="CB"' in html and 'value="MASTERCARD"' in html
    assert re.search(r'value="CB"\s+checked', html), "the shop default (CB) is preselected"


def test_pay_new_1_live_check_of_one_field(client, merchant):
    response = client.post("/transactions/nouveau/verifier/amount", data={"amount": "-3", "currency": "EUR"},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "positif" in html and 'id="amount"' in html


def test_pay_acq_2_cvv_never_stored_nor_echoed(client, merchant, app):
    data = _new_payment_form(client, cvv="987", amount="12,34")
    client.post("/transactions/nouveau", data=data)
    data = _new_payment_form(client, cvv="987", expiry="13/30")
    page = client.post("/transactions/nouveau", data=data).get_data(as_text=True)
    assert "987" not in page
    from models import db
    for table in db.get_tables():
        for row in db.execute_sql(f'SELECT * FROM "{table}"').fetchall():
            text = " ".join(str(value) for value in row)
            assert "4300000000000900" not in text, f"full card number stored in {table}"
    assert "cvv" not in " ".join(c.name for t in db.get_tables() for c in db.get_columns(t))


def test_pay_op_1_list_greys_out_and_detail_hides(client, merchant, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop)
    listing = client.get("/transactions/").get_data(as_text=True)
    row = listing[listing.index(f'id="txn-row-{txn.id}"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r"<button[^>]*disabled[^>]*>Rembourser", row), "refund greyed out before remittance"
    assert re.search(r'<a class="button small"[^>]*>Annuler', row)
    detail = client.get(f"/transactions/{txn.id}").get_data(as_text=True)
    assert "/rembourser" not in detail and "/annuler" in detail


def test_pay_op_1_refund_form_prefilled_and_row_updates_in_place(client, merchant, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000)
    remit(payment_ctx, clock.now.date())
    form = client.get(f"/transactions/{txn.id}/rembourser?contexte=liste", headers=HX).get_data(as_text=True)
    assert 'value="100,00"' in form and "<html" not in form
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(f"/transactions/{txn.id}/rembourser", headers=HX,
                           data={"amount": "30", "idempotency_key": key, "context": "liste"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "opération réussie" in html and "Reste remboursable : 70,00" in html
    assert f'id="txn-row-{txn.id}" hx-swap-oob="true"' in html
    assert "Remboursement à envoyer en banque" in html
    credit = Operation.get(Operation.kind == "CREDIT")
    assert f"/recus/{credit.id}/a4.pdf" in html


def test_pay_op_1_failure_says_why(client, merchant, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000)
    remit(payment_ctx, clock.now.date())
    response = client.post(f"/transactions/{txn.id}/rembourser", headers=HX,
                           data={"amount": "100,01", "idempotency_key": "k1", "context": "detail"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Montant trop élevé" in html and "100,00" in html
    assert Operation.select().where(Operation.kind == "CREDIT").count() == 0


def test_pay_op_1_invalid_amount_rerenders_form_with_422(client, merchant, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000)
    response = client.post(f"/transactions/{txn.id}/annuler", headers=HX,
                           data={"amount": "dix euros", "idempotency_key": "k2", "context": "detail"})
    assert response.status_code == 422
    assert "Montant illisible" in response.get_data(as_text=True)


def test_pay_op_1_detail_context_updates_summary_and_history(client, merchant, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000)
    response = client.post(f"/transactions/{txn.id}/annuler", headers=HX,
                           data={"amount": "25,00", "idempotency_key": "k3", "context": "detail"})
    html = response.get_data(as_text=True)
    assert 'id="txn-summary" aria-label="Transaction" hx-swap-oob="true"' in html
    assert 'id="txn-history"' in html and "Annulation" in html
    assert "75,00" in html


def test_auth_2_operation_without_right_is_refused(client, login_as, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000)
    login_as("lecteur", rights=["view"], shop=shop)
    response = client.post(f"/transactions/{txn.id}/annuler", headers=HX,
                           data={"amount": "10", "idempotency_key": "k4", "context": "detail"})
    assert response.status_code == 409
    assert "pas le droit" in response.get_data(as_text=True)
    assert Operation.select().where(Operation.kind == "CANCEL").count() == 0
    assert client.get("/transactions/nouveau").status_code == 403


def test_auth_2_other_shop_transaction_is_forbidden(client, merchant, payment_ctx):
    other = make_transaction(payment_ctx, make_shop())
    assert client.get(f"/transactions/{other.id}").status_code == 403
    assert client.get(f"/transactions/{other.id}/annuler").status_code == 403


def test_pay_op_1_works_without_javascript(client, merchant, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000)
    page = client.get(f"/transactions/{txn.id}/annuler").get_data(as_text=True)
    assert "<html" in page and 'value="100,00"' in page
    response = client.post(f"/transactions/{txn.id}/annuler",
                           data={"amount": "100", "idempotency_key": "k5", "context": "detail"})
    assert "Transaction entièrement annulée" in response.get_data(as_text=True)
    assert Transaction.get_by_id(txn.id).state == "CANCELLED"


def test_pay_dup_1_duplicate_form_creates_new_transaction(client, merchant, shop, payment_ctx):
    txn = make_transaction(payment_ctx, shop, 10000, reference="ORIG1")
    form = client.get(f"/transactions/{txn.id}/dupliquer", headers=HX).get_data(as_text=True)
    assert 'value="ORIG1D1"' in form
    response = client.post(f"/transactions/{txn.id}/dupliquer", headers=HX, data={
        "amount": "40", "reference": "ORIG1D1", "capture_mode": "AUTO", "capture_delay": "0",
        "network": "CB", "idempotency_key": "k6", "context": "detail"})
    assert response.status_code == 200, response.get_data(as_text=True)
    new = Transaction.get(Transaction.reference == "ORIG1D1")
    assert new.amount == 4000 and new.duplicated_from_id == txn.id and new.card_token == txn.card_token
    assert new.network == "CB"


def test_pay_det_1_detail_shows_fraud_history_and_reconciliation(client, merchant, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000)
    remit(payment_ctx, clock.now.date())
    page = html.unescape(client.get(f"/transactions/{txn.id}").get_data(as_text=True))
    assert "Contrôle de fraude" in page and "profil de fraude version 1" in page
    assert "Montant maximum par transaction" in page
    assert "Rapprochement bancaire" in page and re.search(r"R\d{6}\d{8}", page)
    assert "Demande d'autorisation" in page and "Envoi en banque" in page


def test_pay_det_1_unpaid_block(client, merchant, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000, card=simulator_card("520000", "22"))
    remit(payment_ctx, clock.now.date())
    clock.advance(days=3)
    remit(payment_ctx, clock.now.date())
    page = client.get(f"/transactions/{txn.id}").get_data(as_text=True)
    assert "Impayé" in page and "4837" in page and "contestée" in page
    assert "/rembourser" not in page


def test_pay_rcpt_1_receipts_served_byte_for_byte(client, merchant, shop, payment_ctx, clock):
    txn = make_transaction(payment_ctx, shop, 10000)
    author = Operation.get(Operation.kind == "AUTHOR")
    url = f"/transactions/{txn.id}/recus/{author.id}/a4.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF")
    second = client.get(url)
    assert first.data == second.data
    assert Receipt.select().count() == 1
    ticket = client.get(f"/transactions/{txn.id}/recus/{author.id}/ticket.pdf")
    assert ticket.status_code == 200 and ticket.data != first.data
    assert client.get(f"/transactions/{txn.id}/recus/{author.id}/a5.pdf").status_code == 404


def test_pay_acq_1_test_cards_page(client, merchant):
    page = client.get("/transactions/cartes-de-test").get_data(as_text=True)
    assert "4300 0000 0000 0900" in page and "Ne pas honorer" in page


def test_pay_acq_1_readme_documents_every_test_card():
    from pathlib import Path

    from portal.payments.acquirer import simulator_test_cards

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for number, _, outcome in simulator_test_cards():
        grouped = " ".join(number[i:i + 4] for i in range(0, 16, 4))
        assert f"| `{grouped}` |" in readme and outcome in readme


def test_doc_1_receipt_is_a4_and_immutable(client, merchant, shop, payment_ctx, tmp_path):
    import hashlib
    import subprocess

    from models import StoredDocument

    txn = make_transaction(payment_ctx, shop, 10000)
    author = Operation.get(Operation.kind == "AUTHOR")
    data = client.get(f"/transactions/{txn.id}/recus/{author.id}/a4.pdf").data
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "595.276 x 841.89" in info  # A4 in points
    stored = StoredDocument.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    # Re-rendering later (another clock, another template) must not change what was issued.
    payment_ctx.clock.advance(days=30)
    assert client.get(f"/transactions/{txn.id}/recus/{author.id}/a4.pdf").data == data
