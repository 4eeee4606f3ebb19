"""The Worldline Sips Office JSON connector (PAY-GW-2): sealed JSON over HTTPS to the Office
server, behind the same `Gateway` interface as the simulator.

Protocol facts (paths, interface versions, field names, response codes, transaction statuses,
seal rule) come from Worldline's public documentation "Sips Office JSON" integration guide
(WLSIPS.310-UG-Sips-Office-JSON, docs.sips.worldline-solutions.com, release 24.x) and its
"Response codes" appendix; this module is the only place that holds them. Fields this module
reads but that the guide leaves optional are read with a default, so an answer without them is
still an answer.

Where each fact of the later additions comes from:
- Card networks and issuer country (PAY-ACQ-3, PAY-GW-1 "card networks lookup"): the Office service
  family "paymentMeanInfo", function getCardData, path /rs-services/v2/paymentMeanInfo/getCardData
  (path as used by a public Mercanet/Sips Office connector, "GestionPlusInterface"
  REQUEST_PAYMENT_MEAN_INFO); its interface-version prefix PMR_WS_2. is listed in Worldline's data
  dictionary ("interfaceVersion" list of values, e.g. page "paymentMeanInfoInitialize",
  docs.sips.worldline-solutions.com/en/data-dictionary/inapp/paymentmeaninfoinitialize.html: "Sips
  Office (SOAP/JSON) interface for payment method repository information request functions"). The
  fields of one card's data (cardScheme, cardBrand, issuerCountryCode as ISO 3166 alpha-3 such as
  FRA, cardProductCode, ...) are those of Worldline's own PHP SDK (worldline/sips-sdk-php,
  src/Common/Field/CardData.php) and of real Sips answers (issuerCountryCode=FRA). Not found in the
  searchable documentation, hence read defensively: the exact version number after PMR_WS_2. (2.20
  is sent, like the other families here), and whether the answer holds the card's brands as a list
  `cardDataList` or as `cardData` (both are read; brands from paymentMeanBrand, else cardBrand,
  else cardScheme). The brand-selection rule itself (a co-badged card offers all its brands, CB +
  Visa, CB + Mastercard) is Worldline's "MIF - Brand selection" guide (WLSIPS.343).
- Payment in instalments (PAY-INST-1): cardOrder with paymentPattern=INSTALMENT and instalmentData
  {number, datesList (YYYYMMDD), transactionReferencesList, amountsList}; `amount` is the sum of
  amountsList and the first reference is the request's transactionReference (Worldline's
  "Payment in instalments" guide WLSIPS.349 and its public Sips JSON code samples). Sips then
  creates the n transactions itself and asks each later authorisation on its date; the portal's
  rows 2..n stay in TO_AUTHORIZE and `flask sync` reads each one back by its reference
  (getTransactionData), journaling the authorisation it finds (portal.payments.sync)."""
import datetime
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass

import requests

from portal.payments.acquirer import (Gateway, GatewayAnswer, GatewayState, GatewayUnavailable,
                                      HistoryEntry, WalletMean)
from portal.payments.cards import NETWORK_LABELS, detect_networks
from portal.payments.countries import alpha2

log = logging.getLogger(__name__)

# --- Protocol constants -------------------------------------------------------------------------

SERVERS = {
    "SIPS_TEST": "https://office-server.test.sips-services.com",
    "SIPS_PRODUCTION": "https://office-server.sips-services.com",
}
PATHS = {
    "cardOrder": "/rs-services/v2/checkout/cardOrder",
    "validate": "/rs-services/v2/cashManagement/validate",
    "cancel": "/rs-services/v2/cashManagement/cancel",
    "refund": "/rs-services/v2/cashManagement/refund",
    "duplicate": "/rs-services/v2/cashManagement/duplicate",
    "getTransactionData": "/rs-services/v2/diagnostic/getTransactionData",
    "getWalletData": "/rs-services/v2/wallet/getWalletData",
    "deletePaymentMean": "/rs-services/v2/wallet/deletePaymentMean",
    "getCardData": "/rs-services/v2/paymentMeanInfo/getCardData",
}
# One interface version per service family: IR = checkout, CR = cash management,
# DR = diagnostic, WR = wallet, PMR = payment mean information (paymentMeanInfo).
INTERFACE_VERSIONS = {
    "cardOrder": "IR_WS_2.20",
    "validate": "CR_WS_2.20",
    "cancel": "CR_WS_2.20",
    "refund": "CR_WS_2.20",
    "duplicate": "CR_WS_2.20",
    "getTransactionData": "DR_WS_2.20",
    "getWalletData": "WR_WS_2.20",
    "deletePaymentMean": "WR_WS_2.20",
    "getCardData": "PMR_WS_2.20",
}
UNSEALED_FIELDS = ("keyVersion", "seal", "sealAlgorithm")
ORDER_CHANNEL = "MOTO"  # mail or telephone order: the merchant types the card (PAY-NEW-1)
OPERATION_ORIGIN = "COMPTOIR"
CAPTURE_MODES = {"AUTO": "AUTHOR_CAPTURE", "VALIDATION": "VALIDATION"}
INSTALMENT_PATTERN = "INSTALMENT"  # paymentPattern of a payment in instalments (ONE_SHOT otherwise)
# ISO 4217 numeric codes of the currencies a shop may use.
CURRENCY_CODES = {"EUR": "978", "USD": "840", "GBP": "826", "CHF": "756", "JPY": "392", "CAD": "124",
                  "AUD": "036", "SEK": "752", "NOK": "578", "DKK": "208", "PLN": "985", "CZK": "203",
                  "KWD": "414", "XPF": "953"}

# responseCode values that decide nothing: the request may or may not have been carried out, so
# the transaction's state must be read before anything else (PAY-GW-3).
NO_DECISION_CODES = {"99", "60"}
NOT_FOUND_CODE = "25"

# transactionStatus (getTransactionData) and newStatus (cash management) -> portal state (SPEC 2.4).
STATUS_TO_STATE = {
    "TO_VALIDATE": "TO_VALIDATE",
    "WAITING_AUTHOR": "TO_VALIDATE_NO_AUTH",
    "TO_AUTHORIZE": "TO_AUTHORIZE",
    "TO_CAPTURE": "TO_CAPTURE",
    "CAPTURED": "CAPTURED",
    "CAPTURE_REFUSED": "CAPTURE_REFUSED",
    "EXPIRED": "EXPIRED",
    "CANCELLED": "CANCELLED",
    "REFUSED": "REFUSED",
    "TO_CHALLENGE": "FRAUD_SUSPECTED",
    "TO_CREDIT": "TO_CREDIT",
    "CREDITED": "CREDITED",
}


def state_for_status(status):
    """The portal state of a Sips status; None for a status the portal does not know (shown as is)."""
    return STATUS_TO_STATE.get(status or "")


def portal_response_code(fields):
    """The code shown to the merchant: the issuer's own code when Sips says "refused" (05), so that
    "51 insufficient funds" is not flattened into "05 refused"."""
    code = str(fields.get("responseCode", ""))
    acquirer = str(fields.get("acquirerResponseCode", "") or "")
    if code == "05" and acquirer not in ("", "00"):
        return acquirer[:2]
    return code[:2]


def answer_from(fields, amount=None):
    """A GatewayAnswer from a verified Sips answer; NO_DECISION_CODES raise GatewayUnavailable."""
    code = str(fields.get("responseCode", ""))
    if code in NO_DECISION_CODES:
        raise GatewayUnavailable(f"La passerelle Sips n'a pas pu traiter la demande (code {code}).")
    status = fields.get("newStatus") or fields.get("transactionStatus")
    shown = portal_response_code(fields)
    return GatewayAnswer(
        accepted=code == "00", response_code=shown, authorisation_number=str(fields.get("authorisationId", "")),
        card_country=alpha2(str(fields.get("issuerCountryCode") or "")), state=state_for_status(status),
        amount=amount, fields=without_seal(fields),
    )


# --- The seal --------------------------------------------------------------------------------------


def _flatten(value):
    if isinstance(value, dict):
        return "".join(_flatten(value[name]) for name in sorted(value))
    if isinstance(value, (list, tuple)):
        return "".join(_flatten(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def seal_data(fields):
    """The sealed text: field values in alphabetical order of field names, lists in order, nested
    objects expanded in place, keyVersion / seal / sealAlgorithm left out."""
    return "".join(_flatten(fields[name]) for name in sorted(fields) if name not in UNSEALED_FIELDS)


def seal_text(text, secret_key):
    return hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def compute_seal(fields, secret_key):
    """HMAC-SHA256, lowercase hex, of seal_data(fields) with the shop's secret key."""
    return seal_text(seal_data(fields), secret_key)


def seal_verifies(fields, secret_key):
    seal = fields.get("seal")
    return isinstance(seal, str) and hmac.compare_digest(seal.lower(), compute_seal(fields, secret_key))


def without_seal(fields):
    return {name: value for name, value in fields.items() if name not in UNSEALED_FIELDS}


# --- Card networks and issuer country (paymentMeanInfo / getCardData) --------------------------------

# Sips brand names -> the portal's networks (portal.payments.cards.NETWORK_LABELS); a brand the portal
# cannot offer is left out.
BRAND_TO_NETWORK = {"CB": "CB", "VISA": "VISA", "VPAY": "VPAY", "MASTERCARD": "MASTERCARD", "MAESTRO": "MAESTRO",
                    "AMEX": "AMEX", "VISA ELECTRON": "VISA", "VISA_ELECTRON": "VISA", "ELECTRON": "VISA"}
# How long a card's networks and country are kept in memory: the new-payment form asks them while the
# number is typed, the fraud check asks the country again at submission (same card, minutes apart).
CARD_INFO_TTL = 900.0
# After no answer, the local table is used this long without asking again (the fraud check inside the
# payment's database transaction must not wait on the network a second time).
CARD_INFO_FAILURE_TTL = 60.0
CARD_INFO_MAX = 2000


@dataclass(frozen=True)
class CardInfo:
    networks: tuple  # the portal's network codes, the domestic scheme (CB) first
    country: str  # ISO 3166 alpha-2 of the issuer, "" when Sips does not say


def card_info_from(fields):
    """The networks and issuer country of a getCardData answer, or None when it gives none."""
    if str(fields.get("responseCode", "")) != "00":
        return None
    entries = fields.get("cardDataList", fields.get("cardData"))
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        return None
    networks, country = [], ""
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        brand = str(entry.get("paymentMeanBrand") or entry.get("cardBrand") or entry.get("cardScheme") or "")
        network = BRAND_TO_NETWORK.get(brand.strip().upper())
        if network in NETWORK_LABELS and network not in networks:
            networks.append(network)
        country = country or alpha2(str(entry.get("issuerCountryCode") or ""))
    if not networks:
        return None
    networks.sort(key=lambda network: network != "CB")  # stable: the schemes keep Sips' order
    return CardInfo(tuple(networks), country)


class _CardInfoCache:
    """(merchant id, card fingerprint) -> CardInfo, or None after no answer; never the card number."""

    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, key):
        """(known, CardInfo or None)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._entries.pop(key, None)
                return False, None
            return True, entry[1]

    def put(self, key, info):
        with self._lock:
            if len(self._entries) >= CARD_INFO_MAX:
                self._entries.clear()
            ttl = CARD_INFO_TTL if info is not None else CARD_INFO_FAILURE_TTL
            self._entries[key] = (time.monotonic() + ttl, info)

    def clear(self):
        with self._lock:
            self._entries.clear()


CARD_INFO_CACHE = _CardInfoCache()


# --- The connector -------------------------------------------------------------------------------------


def _expiry(token_expiry):
    return f"{token_expiry.year:04d}{token_expiry.month:02d}"


class SipsGateway(Gateway):
    """One shop's Sips Office account. The secret key lives only in this object's memory."""

    kind = "SIPS"

    def __init__(self, *, base_url, merchant_id, secret_key, key_version, vault,
                 connect_timeout=5.0, read_timeout=30.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.merchant_id = merchant_id
        self._secret_key = secret_key
        self.key_version = key_version
        self.vault = vault
        self.timeouts = (connect_timeout, read_timeout)
        self.session = session or requests.Session()

    def __repr__(self):  # never the key, not even in a traceback's locals
        return f"SipsGateway({self.base_url!r}, merchant_id={self.merchant_id!r}, key_version={self.key_version})"

    # --- Transport --------------------------------------------------------------------------------

    def call(self, service, fields):
        """POST one sealed request; the answer's fields once its seal verifies, else GatewayUnavailable."""
        body = {name: value for name, value in fields.items() if value not in (None, "")}
        body.update(interfaceVersion=INTERFACE_VERSIONS[service], merchantId=self.merchant_id,
                    keyVersion=str(self.key_version))
        body["seal"] = compute_seal(body, self._secret_key)
        url = self.base_url + PATHS[service]
        try:
            response = self.session.post(url, data=json.dumps(body), timeout=self.timeouts, verify=True,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        except requests.exceptions.ConnectTimeout:
            raise GatewayUnavailable("La passerelle Sips ne répond pas (connexion impossible).", maybe_processed=False)
        except requests.exceptions.Timeout:
            raise GatewayUnavailable("La passerelle Sips n'a pas répondu à temps.")
        except requests.exceptions.ConnectionError as error:
            refused = "refused" in str(error).lower() or "NewConnectionError" in repr(error)
            raise GatewayUnavailable("La passerelle Sips est injoignable.", maybe_processed=not refused)
        except requests.exceptions.RequestException:
            raise GatewayUnavailable("La passerelle Sips est injoignable.")
        if response.status_code != 200:
            raise GatewayUnavailable(f"La passerelle Sips a répondu par une erreur HTTP {response.status_code}.")
        try:
            answer = response.json()
        except ValueError:
            raise GatewayUnavailable("La réponse de la passerelle Sips est illisible.")
        if not isinstance(answer, dict) or not seal_verifies(answer, self._secret_key):
            log.warning("sips answer without a valid seal", extra={"service": service, "merchant_id": self.merchant_id})
            raise GatewayUnavailable("La réponse de la passerelle Sips n'est pas authentique (sceau invalide).")
        return answer

    # --- Cards (kept in the portal's vault too, for the fraud check and duplicates) ---------------

    def store_card(self, number, expiry):
        return self.vault.store(number, expiry)

    def card_fingerprint(self, token):
        return self.vault.fingerprint_of_token(token)

    def card_info(self, number):
        """Networks and issuer country from Sips' paymentMeanInfo/getCardData (PAY-ACQ-3), kept a few
        minutes per card; None when the service cannot answer (unreachable, bad seal, card unknown)."""
        key = (self.merchant_id, self.vault.fingerprint(number))
        known, info = CARD_INFO_CACHE.get(key)
        if known:
            return info
        try:
            fields = self.call("getCardData", {"cardNumber": number})
        except GatewayUnavailable as unavailable:
            log.warning("sips getCardData gave no answer", extra={"merchant_id": self.merchant_id,
                                                                   "reason": unavailable.message})
            CARD_INFO_CACHE.put(key, None)
            return None
        info = card_info_from(fields)
        if info is None:
            log.warning("sips getCardData knows no brand for this card",
                        extra={"merchant_id": self.merchant_id, "response_code": str(fields.get("responseCode", ""))})
        CARD_INFO_CACHE.put(key, info)
        return info

    def prepare_card(self, number="", token=None):
        """Ask getCardData now, outside the payment's database transaction; the fraud check then
        reads the country from memory (PAY-GW-3)."""
        if not number and token:
            number = self.vault.card(token)[0]
        if number:
            self.card_info(number)

    def card_country(self, token):
        """The issuer's country (alpha-2) for the fraud check; "" (unknown) when Sips cannot say."""
        number, _expiry = self.vault.card(token)
        info = self.card_info(number)
        return info.country if info else ""

    def card_networks(self, merchant_id, number):
        """The card's networks as Sips knows them (co-badging); the local BIN table only when the
        service cannot answer, so that a payment can still be typed (the gateway decides anyway)."""
        info = self.card_info(number)
        if info is None:
            log.info("sips card networks from the local BIN table", extra={"merchant_id": self.merchant_id})
            return detect_networks(number)
        return info.networks

    # --- Payments -----------------------------------------------------------------------------------

    def _order_fields(self, order):
        return {
            "amount": order.amount,
            "currencyCode": CURRENCY_CODES.get(order.currency, order.currency),
            "captureMode": CAPTURE_MODES.get(order.capture_mode, order.capture_mode),
            "captureDay": order.capture_delay,
            "orderChannel": ORDER_CHANNEL,
            "transactionReference": order.reference,
            "orderId": order.order_reference,
            "customerId": order.customer_code,
            "paymentMeanBrand": order.network,
            "merchantWalletId": order.wallet_id,  # the wallet service keeps the card (PAY-WAL-1)
        }

    def pay(self, order):
        number, expiry = self.vault.card(order.card_token)
        fields = self._order_fields(order)
        fields.update(cardNumber=number, cardExpiryDate=_expiry(expiry), cardCSCValue=order.cvv)
        if len(order.schedule) > 1:
            fields.update(instalment_fields(order.schedule))
        return answer_from(self.call("cardOrder", fields), order.amount)

    def duplicate(self, source, order):
        fields = self._order_fields(order)
        fields["fromTransactionReference"] = source.reference
        fields.pop("paymentMeanBrand")
        return answer_from(self.call("duplicate", fields), order.amount)

    def _cash(self, service, ref, amount, currency):
        return answer_from(self.call(service, {
            "transactionReference": ref.reference, "operationAmount": amount,
            "currencyCode": CURRENCY_CODES.get(currency, currency), "operationOrigin": OPERATION_ORIGIN,
        }), amount)

    def validate(self, ref, amount, currency, key):
        return self._cash("validate", ref, amount, currency)

    def cancel(self, ref, amount, currency, key):
        return self._cash("cancel", ref, amount, currency)

    def refund(self, ref, amount, currency, key):
        return self._cash("refund", ref, amount, currency)

    def transaction_state(self, ref):
        fields = self.call("getTransactionData", {"transactionReference": ref.reference})
        code = str(fields.get("responseCode", ""))
        if code == NOT_FOUND_CODE:
            return GatewayState(found=False, response_code=code, fields=without_seal(fields))
        if code != "00":
            raise GatewayUnavailable(f"La passerelle Sips n'a pas pu lire la transaction (code {code}).")
        status = str(fields.get("transactionStatus", ""))
        amount = fields.get("currentAmount", fields.get("amount"))
        history = tuple(
            HistoryEntry(str(item.get("operationName", "")), int(item.get("operationAmount", 0) or 0),
                         _parse_time(item.get("operationDateTime")), str(item.get("responseCode", "")))
            for item in fields.get("operationsList", []) or [] if isinstance(item, dict))
        return GatewayState(found=True, state=state_for_status(status), gateway_status=status,
                            amount=int(amount) if amount not in (None, "") else None,
                            authorisation_number=str(fields.get("authorisationId", "")),
                            response_code=portal_response_code({
                                "responseCode": "05" if status == "REFUSED" else "00",
                                "acquirerResponseCode": fields.get("acquirerResponseCode", "")}),
                            history=history, fields=without_seal(fields))

    # --- Wallets (PAY-WAL-1) ------------------------------------------------------------------------------

    def wallet_means(self, merchant_id, wallet_id):
        fields = self.call("getWalletData", {"merchantWalletId": wallet_id})
        if str(fields.get("walletResponseCode", fields.get("responseCode", ""))) not in ("00", ""):
            return []
        means = []
        for item in fields.get("walletPaymentMeanDataList", []) or []:
            expiry = str(item.get("panExpiryDate", ""))
            means.append(WalletMean(str(item.get("paymentMeanId", "")), str(item.get("paymentMeanBrand", "")),
                                    str(item.get("maskedPan", "")), str(item.get("paymentMeanAlias", "")),
                                    f"{expiry[4:6]}/{expiry[2:4]}" if len(expiry) == 6 else ""))
        return means

    def delete_wallet_mean(self, merchant_id, wallet_id, mean_id, key):
        fields = self.call("deletePaymentMean", {"merchantWalletId": wallet_id, "paymentMeanId": mean_id})
        code = str(fields.get("walletResponseCode", fields.get("responseCode", "")))
        return GatewayAnswer(code == "00", code[:2], fields=without_seal(fields))


def instalment_fields(schedule):
    """cardOrder fields of a payment in instalments: Sips creates the n transactions and asks each
    later authorisation on its date. `amount` is the whole schedule's; the first reference is the
    request's own transactionReference (PAY-INST-1)."""
    return {
        "amount": sum(amount for _reference, _day, amount in schedule),
        "paymentPattern": INSTALMENT_PATTERN,
        "instalmentData": {
            "number": len(schedule),
            "datesList": [f"{day:%Y%m%d}" for _reference, day, _amount in schedule],
            "transactionReferencesList": [reference for reference, _day, _amount in schedule],
            "amountsList": [amount for _reference, _day, amount in schedule],
        },
    }


def _parse_time(text):
    try:
        return datetime.datetime.fromisoformat(str(text)).astimezone(datetime.UTC).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None

