"""The acquirer interface (PAY-ACQ-1) and the built-in simulator, the embedded default.

A real gateway connector implements `Acquirer` with the same vocabulary (response codes,
AUTHOR / CAPTURE / CREDIT operations), so the rest of the portal does not change."""
import abc
import datetime
import hashlib
from dataclasses import dataclass

from stdnum import luhn

from portal.payments.cards import SIMULATOR_BINS, Expiry

RESPONSE_CODES = {
    "00": "Autorisation acceptée",
    "02": "Contacter l'émetteur de la carte",
    "05": "Ne pas honorer (refus de l'émetteur)",
    "12": "Transaction invalide",
    "14": "Numéro de carte invalide",
    "34": "Suspicion de fraude",
    "51": "Montant trop élevé ou provision insuffisante",
    "54": "Carte expirée",
    "63": "Règles de sécurité non respectées",
    "90": "Service temporairement indisponible",
}
FRAUD_CODES = {"34"}
# Endings the simulator refuses with; any other ending is accepted (SPEC PAY-ACQ-1).
SIMULATOR_REFUSALS = ("05", "51", "54", "34", "12", "63", "90")


def response_label(code):
    return RESPONSE_CODES.get(code, f"Code réponse {code}")


@dataclass(frozen=True)
class Authorisation:
    accepted: bool
    response_code: str
    authorisation_number: str = ""
    card_country: str = ""

    @property
    def fraud_suspected(self):
        return self.response_code in FRAUD_CODES

    @property
    def reason(self):
        return "" if self.accepted else response_label(self.response_code)


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


class Acquirer(abc.ABC):
    """What the portal asks of a card acquirer. The acquirer owns the card vault."""

    # How many days after a remittance the acquirer may still announce an unpaid on it.
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

    @abc.abstractmethod
    def authorise(self, token: str, amount: int, currency: str, network: str, reference: str) -> Authorisation:
        """Ask the issuer for an authorisation (also used to duplicate from a stored card)."""

    @abc.abstractmethod
    def capture(self, items: list[BankItem], sent_at: datetime.datetime) -> list[BankReport]:
        """Remit captured amounts to the bank."""

    @abc.abstractmethod
    def credit(self, items: list[BankItem], sent_at: datetime.datetime) -> list[BankReport]:
        """Send refunds to the bank."""

    @abc.abstractmethod
    def chargebacks(self, captured: list[tuple[BankItem, datetime.date]], day: datetime.date) -> list[Chargeback]:
        """Unpaids known on `day` for remittances made earlier (item, remittance day)."""


# --- Simulator ------------------------------------------------------------------------
# Test card layout (16 digits): BIN (6) + scenario (2) + 00000 + Luhn digit + response code (2).
SCENARIOS = {
    "00": "Carte française, remise acceptée",
    "11": "Remise refusée par la banque (envoi en banque refusé)",
    "22": "Impayé reçu 3 jours après la remise",
    "33": "Carte émise aux États-Unis (pays de la carte : US)",
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


class SimulatorAcquirer(Acquirer):
    """Deterministic outcomes chosen by the card number (see README, « Cartes de test »)."""

    chargeback_window_days = UNPAID_AFTER_DAYS

    def __init__(self, vault):
        self.vault = vault

    def store_card(self, number, expiry):
        return self.vault.store(number, expiry)

    def card_fingerprint(self, token):
        return self.vault.fingerprint_of_token(token)

    def _scenario(self, token):
        number, expiry = self.vault.card(token)
        return number, expiry, number[6:8] if len(number) == 16 else "00"

    def card_country(self, token):
        return "US" if self._scenario(token)[2] == FOREIGN_SCENARIO else "FR"

    def authorise(self, token, amount, currency, network, reference):
        number, expiry, scenario = self._scenario(token)
        country = "US" if scenario == FOREIGN_SCENARIO else "FR"
        code = number[-2:] if number[-2:] in SIMULATOR_REFUSALS else "00"
        if code != "00":
            return Authorisation(False, code, card_country=country)
        return Authorisation(True, "00", _digits(f"{token}|{reference}|{amount}", 6), country)

    def _report(self, item, sent_at, kind):
        _, _, scenario = self._scenario(item.card_token)
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
            _, _, scenario = self._scenario(item.card_token)
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
                    reason="Transaction contestée par le porteur : non autorisée",
                ))
        return found
