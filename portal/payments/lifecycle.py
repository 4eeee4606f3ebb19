"""The card transaction lifecycle (SPEC 2.4, 2.5): states and labels, capture deadlines and
every limit on validate / cancel / refund / duplicate, in plain Python with the day passed in.

Balances are derived from the operation rows; nothing here touches the database. No Flask here:
labels and messages are French texts marked with N_(); the checks take a `t(template, **params)`
translator from the page (LOC-3), French when none is given."""
import calendar
import datetime
import enum
import zoneinfo
from dataclasses import dataclass

REFUND_WINDOW_MONTHS = 15
DUPLICATE_WINDOW_MONTHS = 18
MAX_CAPTURE_DELAY = 99


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); the page translates it."""
    return text


def french(template, **params):
    """The default translator: the French text itself."""
    return template % params if params else template
# An authorisation is good for about a week: past that delay it is requested on the capture day.
AUTHORISATION_VALIDITY_DAYS = 6


class TransactionState(enum.StrEnum):
    TO_VALIDATE = "TO_VALIDATE"
    TO_VALIDATE_NO_AUTH = "TO_VALIDATE_NO_AUTH"
    TO_AUTHORIZE = "TO_AUTHORIZE"
    TO_CAPTURE = "TO_CAPTURE"
    CAPTURED = "CAPTURED"
    CAPTURE_REFUSED = "CAPTURE_REFUSED"
    EXPIRED = "EXPIRED"
    FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
    REFUSED = "REFUSED"
    CANCELLED = "CANCELLED"
    TO_CREDIT = "TO_CREDIT"
    CREDITED = "CREDITED"
    UNPAID = "UNPAID"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    TransactionState.TO_VALIDATE: N_("À valider (avec autorisation)"),
    TransactionState.TO_VALIDATE_NO_AUTH: N_("À valider (sans autorisation)"),
    TransactionState.TO_AUTHORIZE: N_("En attente de demande d'autorisation"),
    TransactionState.TO_CAPTURE: N_("À envoyer en banque"),
    TransactionState.CAPTURED: N_("Envoyée en banque"),
    TransactionState.CAPTURE_REFUSED: N_("Envoi en banque refusé"),
    TransactionState.EXPIRED: N_("Expirée"),
    TransactionState.FRAUD_SUSPECTED: N_("Fraude suspectée"),
    TransactionState.REFUSED: N_("Refusée"),
    TransactionState.CANCELLED: N_("Annulée"),
    TransactionState.TO_CREDIT: N_("Remboursement à envoyer en banque"),
    TransactionState.CREDITED: N_("Remboursée"),
    TransactionState.UNPAID: N_("Impayée"),
}


class OperationKind(enum.StrEnum):
    """Operation names of the gateway's vocabulary (PAY-ACQ-1)."""

    AUTHOR = "AUTHOR"
    VALIDATE = "VALIDATE"
    CANCEL = "CANCEL"
    CAPTURE = "CAPTURE"
    CREDIT = "CREDIT"
    DUPLICATE = "DUPLICATE"
    EXPIRE = "EXPIRE"
    UNPAID = "UNPAID"

    @property
    def label(self):
        return OPERATION_LABELS[self]


OPERATION_LABELS = {
    OperationKind.AUTHOR: N_("Demande d'autorisation"),
    OperationKind.VALIDATE: N_("Validation"),
    OperationKind.CANCEL: N_("Annulation"),
    OperationKind.CAPTURE: N_("Envoi en banque"),
    OperationKind.CREDIT: N_("Remboursement"),
    OperationKind.DUPLICATE: N_("Duplication"),
    OperationKind.EXPIRE: N_("Expiration"),
    OperationKind.UNPAID: N_("Impayé"),
}

# The operations a user starts, and the right each needs (AUTH-2).
USER_OPERATIONS = {
    OperationKind.VALIDATE: "validate",
    OperationKind.CANCEL: "cancel",
    OperationKind.CREDIT: "refund",
    OperationKind.DUPLICATE: "duplicate",
}
BEFORE_REMITTANCE = {TransactionState.TO_VALIDATE, TransactionState.TO_VALIDATE_NO_AUTH,
                     TransactionState.TO_AUTHORIZE, TransactionState.TO_CAPTURE}
TO_VALIDATE_STATES = {TransactionState.TO_VALIDATE, TransactionState.TO_VALIDATE_NO_AUTH}
REFUNDABLE_STATES = {TransactionState.CAPTURED, TransactionState.TO_CREDIT, TransactionState.CREDITED}


class OperationRefused(Exception):
    """An operation the rules do not allow; the message says why, for the merchant."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason  # amount_too_high, deadline_passed, wrong_state, no_right, invalid_amount
        self.message = message


# --- Dates ----------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def local_date(utc_naive: datetime.datetime, timezone: str) -> datetime.date:
    """The merchant's calendar day of a stored (naive UTC) instant."""
    aware = utc_naive.replace(tzinfo=datetime.UTC).astimezone(zoneinfo.ZoneInfo(timezone))
    return aware.date()


def fmt_day(day):
    return day.strftime("%d/%m/%Y")


def capture_date_for(created_on, capture_delay):
    return created_on + datetime.timedelta(days=capture_delay)


def initial_state(capture_mode, capture_delay):
    """State of a new transaction before its authorisation result is known."""
    needs_auth_now = capture_delay <= AUTHORISATION_VALIDITY_DAYS
    if capture_mode == "VALIDATION":
        return TransactionState.TO_VALIDATE if needs_auth_now else TransactionState.TO_VALIDATE_NO_AUTH
    return TransactionState.TO_CAPTURE if needs_auth_now else TransactionState.TO_AUTHORIZE


# --- Facts and balances -----------------------------------------------------------------


@dataclass(frozen=True)
class Balances:
    cancelled: int = 0
    validated: int | None = None
    captured: int = 0
    credited: int = 0


def balances(operations):
    """Sum succeeded operations: `operations` yields (kind, amount, succeeded)."""
    cancelled = captured = credited = 0
    validated = None
    for kind, amount, succeeded in operations:
        if not succeeded:
            continue
        if kind == OperationKind.CANCEL:
            cancelled += amount
        elif kind == OperationKind.VALIDATE:
            validated = amount
        elif kind == OperationKind.CAPTURE:
            captured += amount
        elif kind == OperationKind.CREDIT:
            credited += amount
    return Balances(cancelled, validated, captured, credited)


@dataclass(frozen=True)
class TransactionFacts:
    """What the rules need to know about one transaction."""

    state: TransactionState
    amount: int
    capture_mode: str
    created_on: datetime.date
    capture_date: datetime.date | None
    card_expiry_last_day: datetime.date
    balances: Balances = Balances()

    @property
    def remaining(self):
        """What will still be sent to the bank (before remittance)."""
        if self.state not in BEFORE_REMITTANCE:
            return 0
        return self.amount - self.balances.cancelled

    @property
    def refundable(self):
        return self.balances.captured - self.balances.credited

    @property
    def refund_deadline(self):
        return add_months(self.created_on, REFUND_WINDOW_MONTHS)

    @property
    def duplicate_deadline(self):
        return add_months(self.created_on, DUPLICATE_WINDOW_MONTHS)


# --- Checks ---------------------------------------------------------------------------


def _check_amount(amount, maximum, what, t):
    if amount <= 0:
        raise OperationRefused("invalid_amount", t(N_("Le montant doit être supérieur à zéro.")))
    if amount > maximum:
        raise OperationRefused("amount_too_high", t(N_("Montant trop élevé : %(what)s."), what=what))


def _state(facts, t):
    return t(facts.state.label)


def check_validate(facts: TransactionFacts, amount: int, today: datetime.date, fmt=str, t=french):
    """PAY-VAL-1: once, before the capture deadline, up to the remaining amount."""
    if facts.balances.validated is not None:
        raise OperationRefused("wrong_state", t(N_("Cette transaction a déjà été validée : une seule validation "
                                                   "est possible.")))
    if facts.state not in TO_VALIDATE_STATES:
        raise OperationRefused("wrong_state", t(N_("Une transaction « %(state)s » ne se valide pas."),
                                                state=_state(facts, t)))
    if today > facts.capture_date:
        raise OperationRefused("deadline_passed", t(N_("Délai de validation dépassé : il fallait valider au plus "
                                                       "tard le %(day)s."), day=fmt_day(facts.capture_date)))
    _check_amount(amount, facts.remaining, t(N_("il reste %(amount)s à valider"), amount=fmt(facts.remaining)), t)


def check_cancel(facts: TransactionFacts, amount: int, today: datetime.date, fmt=str, t=french):
    """PAY-CAN-1: before remittance, repeatable while the deadline holds and something remains."""
    if facts.state not in BEFORE_REMITTANCE:
        template = (N_("Une transaction « %(state)s » ne s'annule plus : remboursez-la.")
                    if facts.state in REFUNDABLE_STATES else N_("Une transaction « %(state)s » ne s'annule plus."))
        raise OperationRefused("wrong_state", t(template, state=_state(facts, t)))
    if today > facts.capture_date:
        raise OperationRefused("deadline_passed", t(N_("Délai d'annulation dépassé : la transaction part en banque "
                                                       "le %(day)s."), day=fmt_day(facts.capture_date)))
    if facts.remaining <= 0:
        raise OperationRefused("amount_too_high", t(N_("Il ne reste rien à annuler.")))
    _check_amount(amount, facts.remaining, t(N_("il reste %(amount)s à annuler"), amount=fmt(facts.remaining)), t)


def check_refund(facts: TransactionFacts, amount: int, today: datetime.date, fmt=str, t=french):
    """PAY-REF-1: after remittance, within 15 months, up to the refundable balance, never on UNPAID."""
    if facts.state == TransactionState.UNPAID:
        raise OperationRefused("wrong_state", t(N_("Une transaction impayée ne se rembourse pas.")))
    if facts.state not in REFUNDABLE_STATES:
        template = (N_("Une transaction « %(state)s » ne se rembourse pas : annulez-la, elle n'est pas encore "
                       "partie en banque.") if facts.state in BEFORE_REMITTANCE
                    else N_("Une transaction « %(state)s » ne se rembourse pas."))
        raise OperationRefused("wrong_state", t(template, state=_state(facts, t)))
    if today > facts.refund_deadline:
        raise OperationRefused("deadline_passed", t(N_("Délai de remboursement dépassé : 15 mois après la commande, "
                                                       "soit le %(day)s."), day=fmt_day(facts.refund_deadline)))
    if facts.refundable <= 0:
        raise OperationRefused("amount_too_high", t(N_("Cette transaction est entièrement remboursée.")))
    _check_amount(amount, facts.refundable, t(N_("il reste %(amount)s remboursables"), amount=fmt(facts.refundable)),
                  t)


def check_duplicate(facts: TransactionFacts, amount: int, today: datetime.date, fmt=str, t=french):
    """PAY-DUP-1: any state, 18 months, card still valid, amount up to the original."""
    if today > facts.duplicate_deadline:
        raise OperationRefused("deadline_passed", t(N_("Délai de duplication dépassé : 18 mois après la création, "
                                                       "soit le %(day)s."), day=fmt_day(facts.duplicate_deadline)))
    if today > facts.card_expiry_last_day:
        raise OperationRefused("deadline_passed", t(N_("La carte a expiré le %(day)s : la transaction ne peut plus "
                                                       "être dupliquée."), day=fmt_day(facts.card_expiry_last_day)))
    _check_amount(amount, facts.amount, t(N_("au plus le montant d'origine, %(amount)s"), amount=fmt(facts.amount)), t)


CHECKS = {
    OperationKind.VALIDATE: check_validate,
    OperationKind.CANCEL: check_cancel,
    OperationKind.CREDIT: check_refund,
    OperationKind.DUPLICATE: check_duplicate,
}


def maximum_for(kind, facts):
    if kind in (OperationKind.VALIDATE, OperationKind.CANCEL):
        return facts.remaining
    if kind == OperationKind.CREDIT:
        return facts.refundable
    return facts.amount


@dataclass(frozen=True)
class Availability:
    kind: OperationKind
    allowed: bool
    maximum: int
    reason: str = ""
    right: str = ""

    @property
    def label(self):
        return AVAILABILITY_LABELS[self.kind]


AVAILABILITY_LABELS = {OperationKind.VALIDATE: N_("Valider"), OperationKind.CANCEL: N_("Annuler"),
                       OperationKind.CREDIT: N_("Rembourser"), OperationKind.DUPLICATE: N_("Dupliquer")}


def allowed_operations(facts: TransactionFacts, rights, today: datetime.date, t=french, fmt=str):
    """Which user operations are allowed for this transaction and this user (list and detail ask this);
    the reason of a refusal is in the language of `t`."""
    result = []
    for kind, right in USER_OPERATIONS.items():
        maximum = maximum_for(kind, facts)
        if right not in rights:
            result.append(Availability(kind, False, maximum, t(N_("Vous n'avez pas le droit de faire cette "
                                                                  "opération.")), right))
            continue
        try:
            CHECKS[kind](facts, max(maximum, 1), today, fmt, t)
        except OperationRefused as refused:
            result.append(Availability(kind, False, maximum, refused.message, right))
        else:
            result.append(Availability(kind, True, maximum, "", right))
    return result


def check_operation(kind, facts, amount, rights, today, fmt=str, t=french):
    """Raise OperationRefused unless `kind` for `amount` is allowed to a user holding `rights`."""
    if USER_OPERATIONS[kind] not in rights:
        raise OperationRefused("no_right", t(N_("Vous n'avez pas le droit de faire cette opération sur cette "
                                                "boutique.")))
    CHECKS[kind](facts, amount, today, fmt, t)


def bank_sending_day(due_day: datetime.date, today: datetime.date, todays_run_done: bool) -> datetime.date:
    """The day an amount due to the bank on `due_day` really leaves (issue 11): the daily run sends
    what is due on the day it runs, so today if today's run for the shop's gateway has not happened
    yet, else the day of the next run, tomorrow (the run goes every calendar day and catches up)."""
    first_run = today + datetime.timedelta(days=1) if todays_run_done else today
    return max(due_day, first_run)


# --- What follows an operation ---------------------------------------------------------


def state_after_cancel(facts, amount):
    return TransactionState.CANCELLED if facts.remaining - amount == 0 else facts.state


def due_action(facts: TransactionFacts, day: datetime.date):
    """What the daily run (PAY-BATCH-1) does to a transaction on `day`, if anything."""
    if facts.state == TransactionState.TO_AUTHORIZE and facts.capture_date <= day:
        return "authorise"
    if facts.state in TO_VALIDATE_STATES and facts.capture_date < day:
        return "expire"
    if facts.state == TransactionState.TO_CAPTURE and facts.capture_date <= day:
        return "capture"
    if facts.state == TransactionState.TO_CREDIT:
        return "credit"  # a refund is sent the day it is entered
    return None
