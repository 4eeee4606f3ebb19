"""PAY-INST-1/2 pages through the test client: the form and its pre-filled schedule (htmx partial
and without JavaScript), messages per line, the review page, the creation (once), the schedule on
each instalment's detail page; PAY-NEW-1 form details of issue 11 (expiry, spaced card number,
reasons written out); LOC-3 for the payment pages in English."""
import datetime
import html
import re

import pytest

from models import Operation, Transaction
from portal.payments.acquirer import simulator_card
from tests.factories import make_shop

ALL_RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate"]
HX = {"HX-Request": "true"}


@pytest.fixture
def merchant(login_as, shop, clock):
    return login_as("marchand", rights=ALL_RIGHTS, shop=shop)


def _hidden(page, name):
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def _figures(client, **overrides):
    page = client.get("/transactions/echelonne").get_data(as_text=True)
    data = {"shop": _hidden(page, "shop"), "card_number": "4300 0000 0000 0900", "network": "VISA",
            "expiry": "12/29", "reference": "CMD42", "amount": "100,00", "currency": "EUR", "count": "3",
            "schedule_type": "DAYS", "period_days": "30", "first_amount": "",
            "idempotency_key": _hidden(page, "idempotency_key")}
    data.update(overrides)
    return data


def _with_lines(data, lines):
    data = dict(data)
    for index, (day, amount) in enumerate(lines):
        data[f"lines-{index}-due_date"] = day
        data[f"lines-{index}-amount"] = amount
    return data


def _today(clock):
    return clock.now.date()


def test_pay_inst_2_schedule_prefilled_by_htmx(client, merchant, clock):
    response = client.post("/transactions/echelonne/echeancier", data=_figures(client, amount="100,00"), headers=HX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="instalment-schedule"' in page and "<html" not in page
    assert re.findall(r'name="lines-\d-amount"[^>]*value="([^"]+)"', page) == ["33,34", "33,33", "33,33"]
    day2 = (_today(clock) + datetime.timedelta(days=30)).isoformat()
    assert f'value="{day2}"' in page


def test_pay_inst_2_prefill_with_first_amount_without_javascript(client, merchant):
    data = _figures(client, first_amount="50", count="3", action="prefill")
    page = client.post("/transactions/echelonne", data=data).get_data(as_text=True)
    assert re.findall(r'name="lines-\d-amount"[^>]*value="([^"]+)"', page) == ["50,00", "25,00", "25,00"]


def test_pay_inst_2_sum_and_dates_checked_with_messages_per_line(client, merchant, clock):
    today = _today(clock)
    lines = [(today.isoformat(), "40,00"), ((today + datetime.timedelta(days=20)).isoformat(), "30,00"),
             ((today + datetime.timedelta(days=10)).isoformat(), "20,00")]
    response = client.post("/transactions/echelonne", data=_with_lines(_figures(client), lines))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "de moins que le total" in page and "10,00" in page
    assert "après celle de l&#39;échéance précédente" in page
    assert 'id="lines-2-due_date-error"' in page
    assert Transaction.select().count() == 0


def test_pay_inst_2_review_then_create_once(client, merchant, clock):
    today = _today(clock)
    lines = [(today.isoformat(), "50,00"), ((today + datetime.timedelta(days=15)).isoformat(), "30,00"),
             ((today + datetime.timedelta(days=45)).isoformat(), "20,00")]
    data = _with_lines(_figures(client), lines)
    review = client.post("/transactions/echelonne", data=data)
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and "Vérifier le paiement en plusieurs fois" in page
    assert "CMD42E03" in page and "20,00" in page and "4300 0000 0000 0900" not in page.split("<form")[0]
    assert Transaction.select().count() == 0  # nothing before the confirmation
    # The review page sends everything back, plus the CVV asked there.
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    posted["cvv"] = "123"
    created = client.post("/transactions/echelonne/creer", data=posted)
    assert created.status_code == 303
    again = client.post("/transactions/echelonne/creer", data=posted)  # double submission
    assert again.status_code == 303 and again.headers["Location"] == created.headers["Location"]
    # The same key with another schedule (the lines edited, then sent again) is no replay: it is refused.
    edited = {**posted, **{name: value for name, value in posted.items() if name.endswith("-amount")}}
    amounts = sorted(name for name in posted if name.endswith("-amount"))
    edited[amounts[1]], edited[amounts[2]] = "35,00", "15,00"
    refused = client.post("/transactions/echelonne/creer", data=edited)
    assert refused.status_code == 409 and "déjà servi" in refused.get_data(as_text=True)
    rows = list(Transaction.select().order_by(Transaction.instalment_rank))
    assert [t.amount for t in rows] == [5000, 3000, 2000]
    assert [t.state for t in rows] == ["TO_CAPTURE", "TO_AUTHORIZE", "TO_AUTHORIZE"]
    assert [t.due_date for t in rows] == [today, today + datetime.timedelta(days=15), today + datetime.timedelta(days=45)]
    assert Operation.select().where(Operation.kind == "AUTHOR").count() == 1
    result = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Paiement accepté" in result and "CMD42E02" in result


def test_pay_inst_2_wrong_cvv_stays_on_review(client, merchant, clock):
    page = client.post("/transactions/echelonne", data=_figures(client)).get_data(as_text=True)
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    posted["cvv"] = "12"
    response = client.post("/transactions/echelonne/creer", data=posted)
    assert response.status_code == 422
    assert "Vérifier le paiement" in response.get_data(as_text=True)
    assert "3 chiffres" in response.get_data(as_text=True)
    assert Transaction.select().count() == 0


def test_pay_inst_1_detail_of_any_instalment_shows_the_schedule(client, merchant, clock):
    page = client.post("/transactions/echelonne", data=_figures(client, amount="90")).get_data(as_text=True)
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    posted["cvv"] = "123"
    client.post("/transactions/echelonne/creer", data=posted)
    second = Transaction.get(Transaction.instalment_rank == 2)
    detail = client.get(f"/transactions/{second.id}").get_data(as_text=True)
    assert 'id="txn-schedule"' in detail
    for txn in Transaction.select():
        assert txn.reference in detail
    assert detail.count("En attente de demande d&#39;autorisation") >= 2 and "À envoyer en banque" in detail
    assert "2 sur 3" in detail


def test_pay_inst_1_refused_first_instalment(client, merchant, clock):
    card = simulator_card("430000", "00", "51")
    page = client.post("/transactions/echelonne", data=_figures(client, card_number=card)).get_data(as_text=True)
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    posted["cvv"] = "123"
    result = client.get(client.post("/transactions/echelonne/creer", data=posted).headers["Location"])
    text = result.get_data(as_text=True)
    assert "Paiement refusé" in text and "suivantes sont annulées" in text
    assert [t.state for t in Transaction.select().order_by(Transaction.instalment_rank)] == [
        "REFUSED", "CANCELLED", "CANCELLED"]


def test_pay_inst_2_needs_create_payment_right(client, login_as, shop):
    login_as("lecteur", rights=["view"], shop=shop)
    assert client.get("/transactions/echelonne").status_code == 403
    assert client.post("/transactions/echelonne/echeancier", data={}).status_code == 403


def test_pay_inst_2_other_shop_refused(client, merchant, clock):
    other = make_shop("Autre boutique")
    response = client.post("/transactions/echelonne", data=_figures(client, shop=str(other.id)))
    assert response.status_code == 422 and Transaction.select().count() == 0


def test_pay_new_1_expiry_typed_without_slash_is_accepted_and_shown(client, merchant):
    response = client.post("/transactions/nouveau/verifier/expiry", data={"expiry": "1229", "currency": "EUR"},
                           headers=HX)
    page = response.get_data(as_text=True)
    assert 'value="12/29"' in page and 'class="error"' not in page
    for typed in ("12/29", "12 / 2029", "122029"):
        page = client.post("/transactions/nouveau/verifier/expiry", data={"expiry": typed}, headers=HX)
        assert 'value="12/29"' in page.get_data(as_text=True), typed


def test_pay_new_1_card_number_shown_spaced_after_a_refused_submit(client, merchant):
    page = client.get("/transactions/nouveau").get_data(as_text=True)
    response = client.post("/transactions/nouveau", data={
        "shop": _hidden(page, "shop"), "card_number": "4300000000000900", "expiry": "1229", "cvv": "",
        "reference": "REF1", "amount": "10", "currency": "EUR", "capture_mode": "AUTO", "capture_delay": "0",
        "idempotency_key": _hidden(page, "idempotency_key")})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="4300 0000 0000 0900"' in body and 'value="12/29"' in body
    assert "data-focus-first-error" in body  # app.js moves the focus to the first field in error


def test_pay_op_1_unavailable_operations_explained_as_text_on_detail(client, merchant, payment_ctx, shop):
    from tests.factories import make_transaction

    txn = make_transaction(payment_ctx, shop)
    page = client.get(f"/transactions/{txn.id}").get_data(as_text=True)
    reasons = page.split('class="plain-list unavailable-ops"')[1].split("</ul>")[0]
    assert "Rembourser</strong>" in reasons and "ne se rembourse pas" in reasons
    assert "Valider</strong>" in reasons


def test_loc_3_transaction_page_in_english_without_raw_codes(client, login_as, shop, payment_ctx):
    from tests.factories import make_transaction

    login_as("merchant", rights=ALL_RIGHTS, shop=shop, language="en")
    txn = make_transaction(payment_ctx, shop)
    page = client.get(f"/transactions/{txn.id}").get_data(as_text=True)
    body = html.unescape(page.split("<main", 1)[-1])
    for french in ("Historique des opérations", "Demande d'autorisation", "À envoyer en banque", "Montant",
                   "Rembourser", "Annuler", "utilisation(s)", "plafond", "carte émise", "pays bloqué"):
        assert french not in body, french
    # The fraud rules' details are kept as templates and values: shown in the reader's language.
    assert "use(s) already today, 5 at most" in body and "for a ceiling of" in body
    assert "no country blocked" in body
    for raw in (">AUTHOR<", ">CAPTURE<", ">CREDIT<", "TO_CAPTURE<"):
        assert raw not in body, raw
    assert "Authorisation request" in body and "Operation history" in body


def test_loc_3_instalment_form_in_english(client, login_as, shop, clock):
    login_as("merchant", rights=ALL_RIGHTS, shop=shop, language="en")
    page = client.get("/transactions/echelonne").get_data(as_text=True)
    assert "Payment in instalments" in page and "Number of instalments" in page
    assert "Montant" not in page.split("<main", 1)[-1]


def test_loc_3_amount_refusal_with_values_in_english(client, login_as, shop):
    """A refusal that carries values (decimals, currency) is translated whole, not left French (LOC-3)."""
    login_as("merchant", rights=ALL_RIGHTS, shop=shop, language="en")
    page = client.get("/transactions/nouveau").get_data(as_text=True)
    response = client.post("/transactions/nouveau", data={
        "shop": _hidden(page, "shop"), "card_number": "4300000000000900", "expiry": "1229", "cvv": "123",
        "reference": "REF2", "amount": "12,3456", "currency": "EUR", "capture_mode": "AUTO", "capture_delay": "0",
        "idempotency_key": _hidden(page, "idempotency_key")})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Too many decimals: 2 at most for EUR." in body and "Trop de décimales" not in body
