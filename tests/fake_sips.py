"""A local fake Sips Office server (PAY-GW-2 tests): a small WSGI app served on 127.0.0.1 that
implements the Office JSON requests the connector sends (cardOrder, validate, cancel, refund,
duplicate, getTransactionData, getWalletData, deletePaymentMean, getCardData), checks each request's
seal with the merchant's key, keeps its own ledger, signs its answers, remits at night, and can be
told to answer slowly, time out, return a bad seal, refuse (HTTP 503) or answer 99.

Card outcomes follow the simulator's test cards (last two digits = issuer response code). getCardData
knows the simulator BINs plus a few real-looking ones the portal's local table does not know as
co-badged (CARD_BRANDS), and says the issuer is in the USA for scenario "33", in France otherwise.
A cardOrder with paymentPattern=INSTALMENT creates the whole schedule; `nightly(day)` authorises the
instalments due that day, then remits."""
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from portal.payments.acquirer import FOREIGN_SCENARIO, SIMULATOR_REFUSALS
from portal.payments.cards import detect_networks
from portal.payments.sips import INTERFACE_VERSIONS, PATHS, compute_seal, seal_verifies

MERCHANT_ID = "002001000000001"  # Worldline's public test merchant
SECRET_KEY = "002001000000001_KEY1"  # and its public test key (never a real one)
SERVICES = {path: name for name, path in PATHS.items()}
# BINs whose brands only the gateway knows: the local table sees a Visa (4...) or a Mastercard (5...).
CARD_BRANDS = {"497010": ("CB", "VISA"), "513100": ("CB", "MASTERCARD"), "497300": ("VISA", "CB")}
UNKNOWN_CARD_CODE = "14"


@dataclass
class Record:
    reference: str
    amount: int  # what is still to be sent to the bank (before remittance)
    currency: str
    capture_mode: str
    capture_day: int
    card_number: str
    status: str
    authorisation_id: str = ""
    captured: int = 0
    credited: int = 0
    operations: list = field(default_factory=list)
    due_date: str = ""  # YYYYMMDD, for an instalment awaiting its authorisation
    acquirer_code: str = "00"


class FakeSipsOffice:
    def __init__(self, keys=None):
        self.keys = dict(keys or {MERCHANT_ID: SECRET_KEY})
        self.ledger = {}  # (merchantId, transactionReference) -> Record
        self.requests = []  # (service, body) of every request received, seal checked or not
        self.mode = None  # None | "slow" | "timeout" | "bad_seal" | "refuse" | "99"
        self.mode_services = None  # the services the mode applies to (None: all)
        self.mode_times = None  # how many requests the mode still applies to (None: all)
        self.delay = 0.0  # seconds, for "slow" and "timeout"
        self.wallets = {"WALLET-1": [{"paymentMeanId": "1", "paymentMeanBrand": "VISA",
                                      "maskedPan": "4100##########00", "panExpiryDate": "202912",
                                      "paymentMeanAlias": "Carte perso"}]}
        self.lock = threading.Lock()

    # --- Controls -----------------------------------------------------------------------------

    def set_mode(self, mode, services=None, times=None, delay=1.5):
        self.mode, self.mode_services, self.mode_times, self.delay = mode, services, times, delay

    def calls(self, service, reference=None):
        return [body for name, body in self.requests
                if name == service and (reference is None or body.get("transactionReference") == reference)]

    def nightly(self, day=None):
        """The gateway's own night: the instalments due on `day` (a date) are authorised, then due
        captures leave and refunds are credited."""
        with self.lock:
            for record in self.ledger.values():
                if day is not None and record.status == "TO_AUTHORIZE" and record.due_date <= f"{day:%Y%m%d}":
                    self._authorise_instalment(record)
            for record in self.ledger.values():
                if record.status == "TO_CAPTURE":
                    record.captured, record.amount, record.status = record.amount, 0, "CAPTURED"
                    record.operations.append(("CAPTURE", record.captured))
                elif record.status == "TO_CREDIT":
                    record.status = "CREDITED"

    # --- WSGI -------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        service = SERVICES.get(request.path)
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            body = None
        if service is None or not isinstance(body, dict):
            return Response("not found", 404)(environ, start_response)
        with self.lock:
            self.requests.append((service, body))
            mode = self._mode_for(service)
        if mode == "refuse":
            return Response("service unavailable", 503)(environ, start_response)
        if mode == "99":
            return self._answer(body, {"responseCode": "99"})(environ, start_response)
        key = self.keys.get(str(body.get("merchantId")))
        if key is None or not seal_verifies(body, key) or body.get("interfaceVersion") != INTERFACE_VERSIONS[service]:
            answer = {"responseCode": "34" if key else "03"}
        else:
            with self.lock:
                answer = getattr(self, "_" + service)(str(body["merchantId"]), body)
        if mode == "slow":
            time.sleep(self.delay)
        if mode == "timeout":
            time.sleep(self.delay)  # processed, then answers too late for the client
        return self._answer(body, answer, bad_seal=mode == "bad_seal")(environ, start_response)

    def _mode_for(self, service):
        if self.mode is None or (self.mode_services and service not in self.mode_services):
            return None
        if self.mode_times is not None:
            if self.mode_times <= 0:
                return None
            self.mode_times -= 1
        return self.mode

    def _answer(self, request_body, fields, bad_seal=False):
        merchant = str(request_body.get("merchantId", ""))
        key = self.keys.get(merchant, "unknown")
        fields = {"merchantId": merchant, **fields}
        if "transactionReference" in request_body and "transactionReference" not in fields:
            fields["transactionReference"] = request_body["transactionReference"]
        fields["seal"] = compute_seal(fields, "not-the-key" if bad_seal else key)
        fields["keyVersion"] = request_body.get("keyVersion", "1")
        return Response(json.dumps(fields), 200, content_type="application/json")

    # --- Services -----------------------------------------------------------------------------------

    def _authorise(self, merchant, body, card_number):
        reference = body["transactionReference"]
        if (merchant, reference) in self.ledger:
            return {"responseCode": "94"}
        code = card_number[-2:] if card_number[-2:] in SIMULATOR_REFUSALS else "00"
        if code == "34":
            return {"responseCode": "34", "acquirerResponseCode": "34"}
        if code != "00":
            return {"responseCode": "05", "acquirerResponseCode": code}
        validation = body.get("captureMode") == "VALIDATION"
        record = Record(reference, int(body["amount"]), body["currencyCode"], body.get("captureMode", ""),
                        int(body.get("captureDay", 0)), card_number, "TO_VALIDATE" if validation else "TO_CAPTURE",
                        hashlib.sha256(f"{merchant}{reference}".encode()).hexdigest()[:6].upper())
        record.operations.append(("AUTHOR", record.amount))
        self.ledger[(merchant, reference)] = record
        return {"responseCode": "00", "acquirerResponseCode": "00", "authorisationId": record.authorisation_id,
                "transactionDateTime": "2026-03-10T10:00:00+01:00"}

    def _authorise_instalment(self, record):
        code = record.card_number[-2:] if record.card_number[-2:] in SIMULATOR_REFUSALS else "00"
        record.operations.append(("AUTHOR", record.amount))
        if code != "00":
            record.status, record.acquirer_code = "REFUSED", code
            return
        record.status = "TO_CAPTURE"
        seed = f"{record.reference}|{record.due_date}".encode()
        record.authorisation_id = hashlib.sha256(seed).hexdigest()[:6].upper()

    def _instalments(self, merchant, body, card_number):
        """A payment in instalments: the request's schedule is checked, the first instalment is
        authorised now, the others wait for their date."""
        data = body.get("instalmentData") or {}
        dates, references, amounts = (list(data.get(name) or []) for name in
                                      ("datesList", "transactionReferencesList", "amountsList"))
        count = int(data.get("number") or 0)
        if (count < 2 or not len(dates) == len(references) == len(amounts) == count
                or references[0] != body.get("transactionReference")
                or sum(int(a) for a in amounts) != int(body.get("amount", 0))
                or any((merchant, ref) in self.ledger for ref in references)):
            return {"responseCode": "12"}
        answer = self._authorise(merchant, {**body, "amount": amounts[0]}, card_number)
        if answer["responseCode"] != "00":
            return answer
        for reference, day, amount in list(zip(references, dates, amounts))[1:]:
            self.ledger[(merchant, reference)] = Record(
                reference, int(amount), body["currencyCode"], "AUTHOR_CAPTURE", 0, card_number, "TO_AUTHORIZE",
                due_date=str(day))
        return answer

    def _cardOrder(self, merchant, body):
        card_number = str(body.get("cardNumber", ""))
        if body.get("paymentPattern") == "INSTALMENT":
            return self._instalments(merchant, body, card_number)
        answer = self._authorise(merchant, body, card_number)
        if answer["responseCode"] == "00" and body.get("merchantWalletId"):
            # The wallet service keeps the card of an accepted payment made with a wallet id (PAY-WAL-1).
            means = self.wallets.setdefault(body["merchantWalletId"], [])
            means.append({"paymentMeanId": str(len(means) + 100), "paymentMeanBrand": body.get("paymentMeanBrand", ""),
                          "maskedPan": card_number[:6] + "#" * (len(card_number) - 10) + card_number[-4:],
                          "panExpiryDate": str(body.get("cardExpiryDate", "")), "paymentMeanAlias": ""})
        return answer

    def _duplicate(self, merchant, body):
        source = self.ledger.get((merchant, body.get("fromTransactionReference")))
        if source is None:
            return {"responseCode": "25"}
        return self._authorise(merchant, body, source.card_number)

    def _cash(self, merchant, body, allowed, change):
        record = self.ledger.get((merchant, body.get("transactionReference")))
        if record is None:
            return {"responseCode": "25"}
        amount = int(body.get("operationAmount", 0))
        if record.status not in allowed or amount <= 0:
            return {"responseCode": "24"}
        if not change(record, amount):
            return {"responseCode": "24"}
        return {"responseCode": "00", "newStatus": record.status, "operationDateTime": "2026-03-10T10:05:00+01:00"}

    def _validate(self, merchant, body):
        def change(record, amount):
            if amount > record.amount:
                return False
            record.amount, record.status = amount, "TO_CAPTURE"
            record.operations.append(("VALIDATE", amount))
            return True
        return self._cash(merchant, body, {"TO_VALIDATE"}, change)

    def _cancel(self, merchant, body):
        def change(record, amount):
            if amount > record.amount:
                return False
            record.amount -= amount
            record.operations.append(("CANCEL", amount))
            if record.amount == 0:
                record.status = "CANCELLED"
            return True
        return self._cash(merchant, body, {"TO_VALIDATE", "TO_CAPTURE"}, change)

    def _refund(self, merchant, body):
        def change(record, amount):
            if amount > record.captured - record.credited:
                return False
            record.credited += amount
            record.status = "TO_CREDIT"
            record.operations.append(("CREDIT", amount))
            return True
        return self._cash(merchant, body, {"CAPTURED", "TO_CREDIT", "CREDITED"}, change)

    def _getTransactionData(self, merchant, body):
        record = self.ledger.get((merchant, body.get("transactionReference")))
        if record is None:
            return {"responseCode": "25"}
        return {"responseCode": "00", "transactionStatus": record.status,
                "currentAmount": record.amount if record.status not in ("CAPTURED", "TO_CREDIT", "CREDITED")
                else record.captured,
                "authorisationId": record.authorisation_id, "acquirerResponseCode": record.acquirer_code,
                "operationsList": [{"operationName": name, "operationAmount": amount}
                                   for name, amount in record.operations]}

    def _getCardData(self, merchant, body):
        number = str(body.get("cardNumber", ""))
        brands = CARD_BRANDS.get(number[:6]) or (detect_networks(number) if number[:1] in "345" else ())
        if not brands:
            return {"responseCode": UNKNOWN_CARD_CODE}
        country = "USA" if number[6:8] == FOREIGN_SCENARIO else "FRA"
        return {"responseCode": "00",
                "cardDataList": [{"paymentMeanBrand": brand, "cardScheme": brand, "issuerCountryCode": country,
                                  "cardProductCode": "F", "issuerCode": "20041"} for brand in brands]}

    def _getWalletData(self, merchant, body):
        means = self.wallets.get(body.get("merchantWalletId"))
        if means is None:
            return {"walletResponseCode": "25"}
        return {"walletResponseCode": "00", "walletPaymentMeanDataList": means}

    def _deletePaymentMean(self, merchant, body):
        means = self.wallets.get(body.get("merchantWalletId"), [])
        kept = [m for m in means if m["paymentMeanId"] != body.get("paymentMeanId")]
        if len(kept) == len(means):
            return {"walletResponseCode": "25"}
        self.wallets[body["merchantWalletId"]] = kept
        return {"walletResponseCode": "00"}


@pytest.fixture
def fake_sips(app):
    """The fake Office server on a free local port; the app's Sips test URL points at it, with short
    timeouts so that "timeout" answers arrive after the client gave up."""
    from portal.payments.sips import CARD_INFO_CACHE

    CARD_INFO_CACHE.clear()  # a card's brands and country are kept per process: each test asks afresh
    office = FakeSipsOffice()
    server = make_server("127.0.0.1", 0, office, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    office.url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(SIPS_TEST_URL=office.url, SIPS_CONNECT_TIMEOUT=2, SIPS_READ_TIMEOUT=0.8)
    yield office
    server.shutdown()
    thread.join(timeout=5)


def make_sips_shop(app, name="Boutique Sips", merchant_id=MERCHANT_ID, key=SECRET_KEY, **fields):
    from models import utcnow
    from tests.factories import make_shop

    vault = app.extensions["comptoir.gateways"].vault
    return make_shop(name, merchant_id=merchant_id, gateway="SIPS_TEST", gateway_secret=vault.encrypt_secret(key),
                     gateway_key_version=1, gateway_key_saved_at=utcnow(), **fields)


def gateway_context(app, clock):
    """A PaymentContext that serves each shop with its own gateway (simulator or Sips)."""
    from portal.money import format_money
    from portal.payments.service import PaymentContext

    return PaymentContext(acquirer=app.extensions["comptoir.acquirer"], gateways=app.extensions["comptoir.gateways"],
                          timezone="Europe/Paris", clock=clock,
                          format_amount=lambda minor, currency: format_money(minor, currency, locale="fr"))
