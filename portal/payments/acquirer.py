"""The gateway interface (PAY-ACQ-1, PAY-GW-1) and the built-in simulator, the embedded default.

The Sips Office connector (portal.payments.sips) implements `Gateway` with the same vocabulary
(response codes, AUTHOR / VALIDATE / CANCEL / CREDIT / DUPLICATE), so the pages do not change.
The simulator is a gateway whose ledger is the embedded database: it remits itself every night
(portal.payments.remittance, its nightly run) and announces its own unpaids."""
import abc
import datetime
import hashlib
from dataclasses import dataclass, field

from stdnum import luhn

from portal.payments.cards import SIMULATOR_BINS, Expiry, detect_networks


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); the page translates it."""
    return text


RESPONSE_CODES = {
    "00": N_("Autorisation acceptée"),
    "02": N_("Contacter l'émetteur de la carte"),
    "05": N_("Ne pas honorer (refus de l'émetteur)"),
    "12": N_("Transaction invalide"),
    "14": N_("Numéro de carte invalide"),
    "34": N_("Suspicion de fraude"),
    "51": N_("Montant trop élevé ou provision insuffisante"),
    "54": N_("Carte expirée"),
    "63": N_("Règles de sécurité non respectées"),
    "90": N_("Service temporairement indisponible"),
    "03": N_("Contrat commerçant invalide"),
    "17": N_("Annulation par l'acheteur"),
    "24": N_("Opération impossible dans l'état de la transaction"),
    "25": N_("Transaction inconnue de la passerelle"),
    "30": N_("Erreur de format de la requête"),
    "40": N_("Fonction non autorisée pour ce commerçant"),
    "60": N_("Transaction en attente"),
    "75": N_("Nombre de tentatives de saisie du numéro de carte dépassé"),
    "94": N_("Transaction en double : cette référence a déjà servi"),
    "97": N_("Délai dépassé, transaction refusée"),
    "99": N_("Problème temporaire du serveur de la passerelle"),
}
FRAUD_CODES = {"34"}
# Endings the simulator refuses with; any other ending is accepted (SPEC PAY-ACQ-1).
SIMULATOR_REFUSALS = ("05", "51", "54", "34", "12", "63", "90")


def response_label(code):
    return RESPONSE_CODES.get(code, f"Code réponse {code}")


@dataclass(frozen=True)
class BankItem:
    """One amount sent to the bank: a capture (remittance) or a credit (refund)."""

    key: int  # the portal's operation id, echoed back
    card_token: str
    amount: int
    currency: str
    reference: str


@dataclass(frozen=True)
class BankReport:
    """The bank's answer for one item: reconciliation data shown on the detail page."""

    key: int
    accepted: bool
    operation_number: str
    response_code: str
    reason: str = ""
    warning_at: datetime.datetime | None = None
    error_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Chargeback:
    """An unpaid (impayé) announced by the bank after remittance."""

    key: int  # the CAPTURE operation id it disputes
    operation_number: str
    operation_code: str
    unpaid_date: datetime.date
    file_number: str
    amount: int
    unpaid_code: str
    reason: str


@dataclass(frozen=True)
class GatewayRef:
    """Which transaction, for the gateway: the shop's merchant id and the transaction reference."""

    merchant_id: str
    reference: str


@dataclass(frozen=True)
class PaymentOrder:
    """A card payment (MOTO) or a duplicate, as the portal asks it of a gateway."""

    merchant_id: str
    reference: str
    amount: int
    currency: str
    capture_mode: str  # AUTO or VALIDATION
    capture_delay: int
    network: str
    card_token: str
    idempotency_key: str = ""
    order_reference: str = ""
    customer_code: str = ""
    cvv: str = field(default="", repr=False)  # in memory only, for the gateway call (PAY-ACQ-2)
    wallet_id: str = ""  # register the card in this customer wallet (PAY-WAL-1)
    # A payment in instalments (PAY-INST-1), this order being the first: ((reference, due date, amount), ...)
    # for every instalment, the first included. A gateway that runs schedules itself (Sips) takes it whole.
    schedule: tuple = ()


@dataclass(frozen=True)
class GatewayAnswer:
    """What a gateway said to one request. `state` is the portal state it reports, when it says one."""

    accepted: bool
    response_code: str
    authorisation_number: str = ""
    card_country: str = ""
    state: str | None = None
    amount: int | None = None
    fields: dict = field(default_factory=dict, compare=False)  # the answer, seal removed, for the journal

    @property
    def fraud_suspected(self):
        return self.response_code in FRAUD_CODES

    @property
    def reason(self):
        return "" if self.accepted else response_label(self.response_code)


Authorisation = GatewayAnswer  # the simulator's authorisation is a gateway answer


@dataclass(frozen=True)
class HistoryEntry:
    operation: str
    amount: int
    at: datetime.datetime | None = None
    response_code: str = ""


@dataclass(frozen=True)
class GatewayState:
    """One transaction as the gateway knows it (PAY-GW-1): found or not, its state and history."""

    found: bool
    state: str | None = None  # a portal TransactionState, mapped in one place per gateway
    gateway_status: str = ""
    amount: int | None = None  # the amount still to be sent to the bank, or the captured amount
    authorisation_number: str = ""
    response_code: str = ""
    history: tuple = ()
    fields: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class WalletMean:
    mean_id: str
    brand: str
    masked_pan: str
    label: str = ""
    expiry: str = ""  # MM/AA


class GatewayUnavailable(Exception):
    """No usable answer: unreachable, timed out, refused the connection, or a seal that does not
    verify. `maybe_processed` is False only when the request surely never left (connection refused)."""

    def __init__(self, message, maybe_processed=True):
        super().__init__(message)
        self.message = message
        self.maybe_processed = maybe_processed


class Gateway(abc.ABC):
    """What the portal asks of a payment gateway (PAY-GW-1). The gateway holds the truth: it
    authorises, remits every night and takes in unpaids; the portal journals what it asked and was
    told and reads the state back. Every money operation carries the merchant's idempotency key."""

    kind = "GATEWAY"
    # How many days after a remittance the gateway may still announce an unpaid on it.
    chargeback_window_days = 120

    @abc.abstractmethod
    def store_card(self, number: str, expiry: Expiry) -> str:
        """Keep the card in the vault and return its token."""

    @abc.abstractmethod
    def card_fingerprint(self, token: str) -> str:
        """A stable, non-reversible identity of the card behind a token."""

    @abc.abstractmethod
    def card_country(self, token: str) -> str:
        """ISO country of the card's issuer (BIN lookup), for the fraud check."""

    def prepare_card(self, number: str = "", token: str | None = None) -> None:
        """Look up, before any database transaction opens, what the fraud check will ask about the card
        (PAY-GW-3: no lock held while waiting on the network). Nothing to do for a local lookup."""

    @abc.abstractmethod
    def pay(self, order: PaymentOrder) -> GatewayAnswer:
        """Authorise a card payment (mail or telephone order)."""

    @abc.abstractmethod
    def validate(self, ref: GatewayRef, amount: int, currency: str, key: str) -> GatewayAnswer:
        """Send a transaction in validation mode to the bank for `amount`."""

    @abc.abstractmethod
    def cancel(self, ref: GatewayRef, amount: int, currency: str, key: str) -> GatewayAnswer:
        """Lower the amount that will be sent to the bank."""

    @abc.abstractmethod
    def refund(self, ref: GatewayRef, amount: int, currency: str, key: str) -> GatewayAnswer:
        """Credit the customer after remittance."""

    @abc.abstractmethod
    def duplicate(self, source: GatewayRef, order: PaymentOrder) -> GatewayAnswer:
        """A new transaction authorised on the card of `source`."""

    @abc.abstractmethod
    def transaction_state(self, ref: GatewayRef) -> GatewayState:
        """Read one transaction's state and history."""

    @abc.abstractmethod
    def wallet_means(self, merchant_id: str, wallet_id: str) -> list[WalletMean]:
        """The payment means of a wallet (PAY-WAL-1)."""

    @abc.abstractmethod
    def delete_wallet_mean(self, merchant_id: str, wallet_id: str, mean_id: str, key: str) -> GatewayAnswer:
        """Remove one payment mean from a wallet."""

    @abc.abstractmethod
    def card_networks(self, merchant_id: str, number: str) -> tuple:
        """Networks the card can be processed on (co-badging, PAY-ACQ-3)."""


Acquirer = Gateway  # the first wave's name (PAY-ACQ-1)


# --- Simulator ------------------------------------------------------------------------
# Test card layout (16 digits): BIN (6) + scenario (2) + 00000 + Luhn digit + response code (2).
SCENARIOS = {
    "00": N_("Carte française, remise acceptée"),
    "11": N_("Remise refusée par la banque (envoi en banque refusé)"),
    "22": N_("Impayé reçu 3 jours après la remise"),
    "33": N_("Carte émise aux États-Unis (pays de la carte : US)"),
}
CAPTURE_REFUSED_SCENARIO = "11"
UNPAID_SCENARIO = "22"
FOREIGN_SCENARIO = "33"
UNPAID_AFTER_DAYS = 3


def simulator_card(bin6: str, scenario: str = "00", response_code: str = "00") -> str:
    """The Luhn-valid simulator test card for a BIN, scenario and response code."""
    for digit in "0123456789":
        number = f"{bin6}{scenario}00000{digit}{response_code}"
        if luhn.is_valid(number):
            return number
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def simulator_test_cards():
    """The documented table: (number, networks, outcome)."""
    rows = []
    for code in ("00",) + SIMULATOR_REFUSALS:
        outcome = "Acceptée" if code == "00" else f"Refusée, code {code} : {response_label(code)}"
        rows.append((simulator_card("430000", "00", code), SIMULATOR_BINS["430000"], outcome))
    for scenario in ("11", "22", "33"):
        rows.append((simulator_card("520000", scenario, "00"), SIMULATOR_BINS["520000"],
                     "Acceptée — " + SCENARIOS[scenario]))
    for bin6 in ("410000", "420000", "440000", "510000", "340000"):
        rows.append((simulator_card(bin6), SIMULATOR_BINS[bin6], "Acceptée"))
    return rows


def _digits(seed: str, size: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[-size:].zfill(size)


class SimulatorGateway(Gateway):
    """Deterministic outcomes chosen by the card number (see README, « Cartes de test »). Its ledger
    is the embedded database; the portal's rules run before each call, so an operation that reaches
    it is accepted, and its nightly run (portal.payments.remittance) remits and expires."""

    kind = "SIMULATOR"
    chargeback_window_days = UNPAID_AFTER_DAYS

    def __init__(self, vault):
        self.vault = vault
        # token -> scenario digits (never the card number): a vault card never changes, and the nightly
        # run asks the same cards again and again.
        self._scenarios = {}

    def store_card(self, number, expiry):
        return self.vault.store(number, expiry)

    def card_fingerprint(self, token):
        return self.vault.fingerprint_of_token(token)

    def _scenario(self, token):
        number, expiry = self.vault.card(token)
        return number, expiry, number[6:8] if len(number) == 16 else "00"

    def _scenario_of(self, token):
        scenario = self._scenarios.get(token)
        if scenario is None:
            if len(self._scenarios) > 10_000:
                self._scenarios.clear()
            scenario = self._scenarios[token] = self._scenario(token)[2]
        return scenario

    def card_country(self, token):
        return "US" if self._scenario_of(token) == FOREIGN_SCENARIO else "FR"

    def authorise(self, token, amount, currency, network, reference):
        number, expiry, scenario = self._scenario(token)
        country = "US" if scenario == FOREIGN_SCENARIO else "FR"
        code = number[-2:] if number[-2:] in SIMULATOR_REFUSALS else "00"
        if code != "00":
            return GatewayAnswer(False, code, card_country=country)
        return GatewayAnswer(True, "00", _digits(f"{token}|{reference}|{amount}", 6), country)

    # --- The gateway interface ---------------------------------------------------------------

    def pay(self, order):
        return self.authorise(order.card_token, order.amount, order.currency, order.network, order.reference)

    def duplicate(self, source, order):
        return self.pay(order)

    def _accept(self, amount):
        return GatewayAnswer(True, "00", amount=amount)

    def validate(self, ref, amount, currency, key):
        return self._accept(amount)

    def cancel(self, ref, amount, currency, key):
        return self._accept(amount)

    def refund(self, ref, amount, currency, key):
        return self._accept(amount)

    def transaction_state(self, ref):
        from models import Operation, Shop, Transaction

        txn = (Transaction.select().join(Shop)
               .where((Shop.merchant_id == ref.merchant_id) & (Transaction.reference == ref.reference)).first())
        authors = list(txn.operations.where(Operation.kind == "AUTHOR")) if txn else []
        if txn is None or (authors and all(op.gateway_status for op in authors)):
            return GatewayState(found=False, response_code="25")  # never asked, or asked and not answered
        history = tuple(HistoryEntry(op.kind, op.amount, op.at, op.response_code)
                        for op in txn.operations.where(Operation.gateway_status == "").order_by(Operation.id))
        return GatewayState(found=True, state=txn.state, gateway_status=txn.state,
                            authorisation_number=txn.authorisation_number, response_code=txn.response_code,
                            history=history)

    def _wallet_cards(self, merchant_id, wallet_id):
        from models import Shop, WalletCard

        return (WalletCard.select().join(Shop)
                .where((Shop.merchant_id == merchant_id) & (WalletCard.wallet_id == wallet_id)
                       & WalletCard.deleted_at.is_null()).order_by(WalletCard.id))

    def wallet_means(self, merchant_id, wallet_id):
        """The simulator's wallets are the portal's WalletCard rows (PAY-WAL-1)."""
        return [WalletMean(card.mean_id, card.network, card.last4, card.label,
                           f"{card.expiry_month:02d}/{card.expiry_year % 100:02d}")
                for card in self._wallet_cards(merchant_id, wallet_id)]

    def delete_wallet_mean(self, merchant_id, wallet_id, mean_id, key):
        from models import WalletCard, utcnow

        card = self._wallet_cards(merchant_id, wallet_id).where(WalletCard.mean_id == mean_id).first()
        if card is None:
            return GatewayAnswer(False, "25")
        WalletCard.update(deleted_at=utcnow()).where(WalletCard.id == card.id).execute()
        return GatewayAnswer(True, "00")

    def card_networks(self, merchant_id, number):
        return detect_networks(number)

    # --- The simulator's own bank side, driven by its nightly run ---------------------------------

    def _report(self, item, sent_at, kind):
        scenario = self._scenario_of(item.card_token)
        number = f"{kind}{sent_at:%y%m%d}{item.key:08d}"
        if kind == "R" and scenario == CAPTURE_REFUSED_SCENARIO:
            return BankReport(item.key, False, number, "12", "Remise refusée par la banque : transaction invalide",
                              error_at=sent_at)
        return BankReport(item.key, True, number, "00")

    def capture(self, items, sent_at):
        return [self._report(item, sent_at, "R") for item in items]

    def credit(self, items, sent_at):
        return [self._report(item, sent_at, "C") for item in items]

    def chargebacks(self, captured, day):
        found = []
        for item, remitted_on in captured:
            scenario = self._scenario_of(item.card_token)
            unpaid_date = remitted_on + datetime.timedelta(days=UNPAID_AFTER_DAYS)
            if scenario == UNPAID_SCENARIO and unpaid_date <= day:
                found.append(Chargeback(
                    key=item.key,
                    operation_number=f"I{unpaid_date:%y%m%d}{item.key:08d}",
                    operation_code="IMPAYE",
                    unpaid_date=unpaid_date,
                    file_number=f"D{_digits(item.reference, 9)}",
                    amount=item.amount,
                    unpaid_code="4837",
                    reason=N_("Transaction contestée par le porteur : non autorisée"),
                ))
        return found


SimulatorAcquirer = SimulatorGateway  # the first wave's name
