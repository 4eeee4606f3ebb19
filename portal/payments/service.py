"""Card payment operations: the portal's rules, then the gateway, journalled (PAY-OP-2, PAY-GW-3).

Each operation runs in three steps: (1) in one short database transaction holding the row lock,
check the rules and *reserve* the operation row under the form's idempotency key (a second,
simultaneous submission of the same form finds the key taken and asks nothing); (2) with no
transaction open, ask the gateway; (3) in another short locked transaction, write what the
gateway said. A reserved row counts against the balance until it is answered, so two refunds
racing can never exceed it. No answer (timeout, bad seal): read the transaction's state from the
gateway before deciding; if that fails too, the row stays UNKNOWN until `flask sync` or the
detail page's refresh reads it. No Flask here."""
import datetime
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field

from peewee import IntegrityError

from models import FraudProfile as FraudProfileRow
from models import Operation, RemittanceRun, Transaction, VaultCard, db, utcnow
from portal.audit import record_action
from portal.database import is_postgres
from portal.payments import fraud
from portal.payments.acquirer import GatewayAnswer, GatewayRef, GatewayUnavailable, PaymentOrder
from portal.payments.cards import Expiry
from portal.payments.instalments import gateway_schedule
from portal.payments.lifecycle import (
    N_,
    OperationKind as Kind,
    OperationRefused,
    TransactionFacts,
    TransactionState as State,
    balances,
    bank_sending_day,
    capture_date_for,
    check_operation,
    fmt_day,
    french,
    initial_state,
    local_date,
    state_after_cancel,
)


@dataclass
class PaymentContext:
    """What operations need from the running portal: the acquirer, the merchant's time zone and a clock."""

    acquirer: object  # the simulator gateway (the embedded default)
    timezone: str = "Europe/Paris"
    clock: object = utcnow  # returns naive UTC, like the stored timestamps
    format_amount: object = None  # (minor, currency) -> text, for messages
    gateways: object = None  # portal.payments.gateways.GatewayRegistry: which gateway serves a shop
    translate: object = french  # (template, **params) -> text in the user's language (LOC-3)

    def gateway_for(self, shop):
        if self.gateways is not None:
            return self.gateways.for_shop(shop)
        if (getattr(shop, "gateway", None) or "SIMULATOR") == "SIMULATOR":
            return self.acquirer
        raise GatewayUnavailable("Aucune passerelle configurée pour cette boutique.", maybe_processed=False)

    def now(self):
        return self.clock()

    def today(self):
        return local_date(self.clock(), self.timezone)

    def t(self, template, **params):
        return self.translate(template, **params)

    def fmt(self, currency):
        if self.format_amount is None:
            return str
        return lambda minor: self.format_amount(minor, currency)


def money_transaction():
    """A write transaction that serialises money changes: BEGIN IMMEDIATE on SQLite
    (PostgreSQL locks the row with SELECT … FOR UPDATE, see _locked)."""
    if is_postgres():
        return db.atomic()
    return db.atomic(lock_type="IMMEDIATE")


def _locked_rows(query):
    """Rows of `query`, locked for the rest of the database transaction."""
    if is_postgres():
        query = query.for_update()
    return list(query)


def _locked(transaction_id):
    rows = _locked_rows(Transaction.select().where(Transaction.id == transaction_id))
    if not rows:
        raise Transaction.DoesNotExist(transaction_id)
    return rows[0]


def new_idempotency_key():
    return secrets.token_urlsafe(24)


_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def usable_idempotency_key(posted):
    """The key a form sent back if it has the shape of the ones we issue, else a fresh one (a key
    longer than the 64-character column, or anything else, is not a key we gave out)."""
    posted = (posted or "").strip()
    return posted if _KEY_SHAPE.match(posted) else new_idempotency_key()


class IdempotencyMismatch(Exception):
    """The key was already used for another operation or another transaction."""

    message = N_("Ce formulaire a déjà servi à une autre opération : rechargez la page et recommencez.")


def facts_for(txn: Transaction, timezone: str, operations=None) -> TransactionFacts:
    ops = operations if operations is not None else txn.operations
    expiry = Expiry(txn.card_expiry_year, txn.card_expiry_month)
    return TransactionFacts(
        state=State(txn.state),
        amount=txn.amount,
        capture_mode=txn.capture_mode,
        created_on=local_date(txn.created_at, timezone),
        capture_date=txn.capture_date,
        card_expiry_last_day=expiry.last_day(),
        balances=balances((op.kind, op.amount, op.succeeded) for op in ops),
    )


# --- Fraud profile -----------------------------------------------------------------------


def current_fraud_profile() -> fraud.FraudProfile:
    row = FraudProfileRow.select().order_by(FraudProfileRow.version.desc()).first()
    if row is None:
        default = fraud.FraudProfile()
        try:
            with db.atomic():
                FraudProfileRow.create(version=default.version, settings=json.dumps(default.settings()))
        except IntegrityError:
            pass
        return default
    return fraud.FraudProfile.from_settings(row.version, json.loads(row.settings))


def save_fraud_profile(settings: dict, user) -> fraud.FraudProfile:
    """A change never edits a version: it adds the next one (transactions keep theirs)."""
    with db.atomic():
        latest = current_fraud_profile()
        profile = fraud.FraudProfile.from_settings(latest.version + 1, settings)
        FraudProfileRow.create(version=profile.version, settings=json.dumps(profile.settings()), created_by=user)
        record_action("fraud_profile.update", "fraud_profile", profile.version, user=user,
                      before=latest.settings(), after=profile.settings())
    return profile


def _card_uses_today(ctx, fingerprint, today):
    if not fingerprint:
        return 0
    start = datetime.datetime.combine(today, datetime.time()) - datetime.timedelta(days=1)
    candidates = (Transaction.select(Transaction.created_at)
                  .join(VaultCard, on=(Transaction.card_token == VaultCard.token))
                  .where((VaultCard.fingerprint == fingerprint) & (Transaction.created_at >= start)))
    return sum(1 for t in candidates if local_date(t.created_at, ctx.timezone) == today)


# --- Creating a payment (PAY-NEW-1) ---------------------------------------------------------


@dataclass
class NewPayment:
    shop: object
    reference: str
    amount: int
    currency: str
    capture_mode: str
    capture_delay: int
    network: str
    networks: tuple
    masked_pan: str
    expiry: Expiry
    card_token: str | None = None  # None: a new card, stored in the vault with the payment
    card_number: str = field(default="", repr=False)
    order_reference: str = ""
    customer_code: str = ""
    free_info: str = ""
    duplicated_from: object = None
    cvv: str = field(default="", repr=False)  # in memory only, for the gateway call (PAY-ACQ-2)
    wallet_id: str = ""  # keep the card in this customer's wallet once accepted (PAY-WAL-1)
    wallet_label: str = ""
    # A payment in instalments (PAY-INST-1): this payment is the first of `instalments`
    # (portal.payments.instalments.Instalment), linked by `instalment_group`, the base reference.
    instalment_group: str = ""
    instalments: list = field(default_factory=list)



# Journal states of an operation row (Operation.gateway_status).
ANSWERED, PENDING, UNKNOWN = "", "PENDING", "UNKNOWN"
NOT_SENT_CODE = "90"  # "service temporarily unavailable": the request never reached the gateway


def _gateway_ref(txn):
    return GatewayRef(txn.shop.merchant_id, txn.reference)


def _run_fraud_check(ctx, gateway, txn, amount):
    """Evaluate the current fraud profile and keep its result on the transaction (PAY-DET-1)."""
    profile = current_fraud_profile()
    fingerprint = gateway.card_fingerprint(txn.card_token)
    # The transaction being checked is already saved, so it is not counted as a previous use.
    uses_today = max(0, _card_uses_today(ctx, fingerprint, ctx.today()) - 1)
    country = gateway.card_country(txn.card_token)
    result = fraud.evaluate(profile, amount=amount, currency=txn.currency, card_country=country,
                            uses_today=uses_today)
    txn.fraud_result = json.dumps(result.to_dict(), ensure_ascii=False)
    txn.fraud_profile_version = profile.version
    txn.card_country = country
    if not result.passed:
        txn.state = State.FRAUD_SUSPECTED
        txn.response_code = "34"
    return result


def _fraud_refusal(result):
    return "Bloquée par le contrôle de fraude : " + "; ".join(r.label.lower() for r in result.rules if not r.passed)


def _fraud_refused_row(ctx, txn, user, key, amount, result):
    return Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=amount, succeeded=False,
                            response_code="34", reason=_fraud_refusal(result), at=ctx.now(), user=user,
                            idempotency_key=key)


def _apply_authorisation(txn, answer):
    """Write an authorisation answer on the transaction; returns (accepted, reason)."""
    txn.response_code = answer.response_code
    if answer.card_country:
        txn.card_country = answer.card_country
    if answer.accepted:
        txn.authorisation_number = answer.authorisation_number
        if answer.state in (State.TO_VALIDATE, State.TO_CAPTURE, State.TO_AUTHORIZE, State.TO_VALIDATE_NO_AUTH):
            txn.state = answer.state
    else:
        txn.state = State.FRAUD_SUSPECTED if answer.fraud_suspected else State.REFUSED
    return answer.accepted, answer.reason


def _authorise_into(ctx, txn, user, key=None, amount=None):
    """Fraud check, then the authorisation on the simulator (its calls are local, so this runs inside
    the caller's database transaction: the nightly run and validations without authorisation)."""
    amount = txn.amount if amount is None else amount
    gateway = ctx.acquirer
    result = _run_fraud_check(ctx, gateway, txn, amount)
    if not result.passed:
        return _fraud_refused_row(ctx, txn, user, key, amount, result)
    answer = gateway.authorise(txn.card_token, amount, txn.currency, txn.network, txn.reference)
    accepted, reason = _apply_authorisation(txn, answer)
    return Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=amount, succeeded=accepted,
                            response_code=answer.response_code, reason=reason, at=ctx.now(), user=user,
                            idempotency_key=key)


def _defer_authorisation(ctx, gateway, txn, user, key):
    """Simulator, capture delay beyond an authorisation's life: only the fraud check runs now."""
    result = _run_fraud_check(ctx, gateway, txn, txn.amount)
    Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=0, succeeded=result.passed,
                     response_code="" if result.passed else "34",
                     reason=N_("Autorisation demandée le jour de l'envoi en banque") if result.passed
                     else _fraud_refusal(result),
                     at=ctx.now(), user=user, idempotency_key=key)


def reference_taken(shop, reference):
    return Transaction.select().where((Transaction.shop == shop) & (Transaction.reference == reference)).exists()


def generate_reference(ctx, shop):
    """A fresh reference: date and time plus random characters, 35 alphanumerics at most."""
    while True:
        reference = f"{ctx.now():%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"
        if not reference_taken(shop, reference):
            return reference


class DuplicateReference(Exception):
    pass


def _replay_of(key, kind, transaction_id=None):
    """The operation an idempotency key already produced, if it is the same operation (kind and
    transaction); IdempotencyMismatch if the key was spent on something else."""
    replay = _replayed(key)
    if replay is None:
        return None
    if replay.kind != kind or (transaction_id is not None and replay.transaction_id != transaction_id):
        raise IdempotencyMismatch()
    return replay


# --- Asking the gateway (PAY-GW-3) -------------------------------------------------------------------


@dataclass
class GatewayResult:
    """What came back from one request: an answer, a state read after no answer, or nothing."""

    answer: object = None  # GatewayAnswer
    state: object = None  # GatewayState, read after a timeout or a bad seal
    not_sent: bool = False  # surely never reached the gateway
    message: str = ""  # why there was no answer, in French


def ask_gateway(gateway, ref, request):
    """Call `request()`; without an answer, read the transaction's state before deciding anything."""
    try:
        return GatewayResult(answer=request())
    except GatewayUnavailable as unavailable:
        if not unavailable.maybe_processed:
            return GatewayResult(not_sent=True, message=unavailable.message)
        try:
            return GatewayResult(state=gateway.transaction_state(ref), message=unavailable.message)
        except GatewayUnavailable:
            return GatewayResult(message=unavailable.message)


def _unknown_message(message, t=french):
    return t(N_("%(message)s L'opération n'est pas perdue : son résultat sera relu auprès de la passerelle "
                "(bouton « Actualiser depuis la passerelle » ou synchronisation automatique). "
                "Ne la recommencez pas."), message=message)


def _not_sent_message(message, t=french):
    return t(N_("%(message)s Rien n'a été envoyé à la passerelle : aucun débit n'a eu lieu."), message=message)


# --- Creating a payment (PAY-NEW-1) ---------------------------------------------------------


def _replayed_payment(key, payment):
    """The transaction a key already created for this same payment; IdempotencyMismatch when the form
    sent again with its key asks something else (another amount, shop, reference or schedule)."""
    replay = _replay_of(key, Kind.AUTHOR)
    if replay is None:
        return None
    txn = replay.transaction
    same = (txn.shop_id, txn.reference, txn.amount, txn.currency) == (
        payment.shop.id, payment.reference, payment.amount, payment.currency)
    if same and payment.instalments:
        stored = list(Transaction.select(Transaction.instalment_rank, Transaction.amount, Transaction.due_date)
                      .where((Transaction.shop == txn.shop_id)
                             & (Transaction.instalment_group == txn.instalment_group))
                      .order_by(Transaction.instalment_rank).tuples())
        same = stored == [(rank, instalment.amount, instalment.due_date)
                          for rank, instalment in enumerate(payment.instalments, start=1)]
    if not same:
        raise IdempotencyMismatch()
    return txn


def create_payment(ctx, payment: NewPayment, user, idempotency_key, remote_addr=""):
    """Create and authorise a transaction; a second call with the same key returns the first one.
    Raises DuplicateReference, IdempotencyMismatch for a key spent on another operation, or
    GatewayUnavailable when the shop's gateway cannot be used at all (nothing is recorded then)."""
    replayed = _replayed_payment(idempotency_key, payment)
    if replayed is not None:
        return replayed
    gateway = ctx.gateway_for(payment.shop)
    gateway.prepare_card(payment.card_number, payment.card_token)  # network lookups before any lock (PAY-GW-3)
    now = ctx.now()
    state = initial_state(payment.capture_mode, payment.capture_delay)
    simulator = gateway is ctx.acquirer
    try:
        with money_transaction():
            replayed = _replayed_payment(idempotency_key, payment)  # again, now that writes are serialised
            if replayed is not None:
                return replayed
            if reference_taken(payment.shop, payment.reference):
                # On PostgreSQL the same form may have been committed since the first look.
                replayed = _replayed_payment(idempotency_key, payment)
                if replayed is not None:
                    return replayed
                raise DuplicateReference(payment.reference)
            if payment.card_token is None:
                payment.card_token = gateway.store_card(payment.card_number, payment.expiry)
            txn = Transaction.create(
                shop=payment.shop, reference=payment.reference, amount=payment.amount, currency=payment.currency,
                capture_mode=payment.capture_mode, capture_delay=payment.capture_delay, state=state,
                created_at=now, created_by=user, card_token=payment.card_token, masked_pan=payment.masked_pan,
                networks=",".join(payment.networks), network=payment.network,
                card_expiry_year=payment.expiry.year, card_expiry_month=payment.expiry.month,
                order_reference=payment.order_reference, customer_code=payment.customer_code,
                free_info=payment.free_info, duplicated_from=payment.duplicated_from,
                capture_date=capture_date_for(local_date(now, ctx.timezone), payment.capture_delay),
                **_instalment_fields(ctx, payment, 1),
            )
            if payment.instalments:
                _create_later_instalments(ctx, payment, txn, user, now)
            reserved = None
            if simulator and state not in (State.TO_VALIDATE, State.TO_CAPTURE):
                _defer_authorisation(ctx, gateway, txn, user, idempotency_key)
            else:
                result = _run_fraud_check(ctx, gateway, txn, txn.amount)
                if not result.passed:
                    _fraud_refused_row(ctx, txn, user, idempotency_key, txn.amount, result)
                else:
                    # The reservation: this key is now spent, before anything is asked of the gateway.
                    reserved = Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=txn.amount,
                                                succeeded=False, gateway_status=PENDING, at=now, user=user,
                                                idempotency_key=idempotency_key,
                                                reason=N_("Demande d'autorisation envoyée à la passerelle"))
            txn.save()
            record_action("payment.create", "transaction", txn.id, user=user, remote_addr=remote_addr,
                          after={"reference": txn.reference, "amount": txn.amount, "currency": txn.currency,
                                 "state": txn.state, "card": txn.masked_pan, "gateway": gateway.kind,
                                 **({"instalment_group": txn.instalment_group, "instalments": len(payment.instalments)}
                                    if payment.instalments else {})})
            if reserved is None:
                _after_authorisation(ctx, payment, txn, user)
    except IntegrityError:
        replay = _replay_of(idempotency_key, Kind.AUTHOR)
        if replay is not None:  # the same form was submitted twice at once
            return replay.transaction
        if reference_taken(payment.shop, payment.reference):  # two forms with one reference at once
            raise DuplicateReference(payment.reference) from None
        raise
    if reserved is None:
        return txn
    order = PaymentOrder(
        merchant_id=payment.shop.merchant_id, reference=txn.reference, amount=txn.amount, currency=txn.currency,
        capture_mode=txn.capture_mode, capture_delay=txn.capture_delay, network=txn.network,
        card_token=txn.card_token, idempotency_key=idempotency_key or "", order_reference=txn.order_reference,
        customer_code=txn.customer_code, cvv=payment.cvv, wallet_id=payment.wallet_id,
        schedule=gateway_schedule(payment.instalment_group, payment.instalments) if payment.instalments else ())
    if payment.duplicated_from is not None:
        source = _gateway_ref(payment.duplicated_from)
        result = ask_gateway(gateway, _gateway_ref(txn), lambda: gateway.duplicate(source, order))
    else:
        result = ask_gateway(gateway, _gateway_ref(txn), lambda: gateway.pay(order))
    with money_transaction():
        txn = _locked(txn.id)
        settle_authorisation(ctx, txn, Operation.get_by_id(reserved.id), result)
        txn.save()
        _after_authorisation(ctx, payment, txn, user)
    return txn


REFUSED_STATES = (State.REFUSED, State.FRAUD_SUSPECTED)


def _after_authorisation(ctx, payment, txn, user):
    """Inside the settling transaction: keep the card in the customer's wallet when the payment is
    accepted (PAY-WAL-1); cancel the later instalments when the first is refused (PAY-INST-1)."""
    if txn.state in REFUSED_STATES:
        cancel_later_instalments(ctx, txn, user)
        return
    if payment.wallet_id and not awaiting_gateway(txn):
        from portal.payments.wallets import keep_in_wallet

        keep_in_wallet(ctx, payment.shop, payment.wallet_id, txn, payment.wallet_label, user)


def _instalment_fields(ctx, payment, rank):
    if not payment.instalments:
        return {}
    instalment = payment.instalments[rank - 1]
    return {"instalment_group": payment.instalment_group, "instalment_rank": rank,
            "instalment_count": len(payment.instalments), "due_date": instalment.due_date}


def _create_later_instalments(ctx, payment, first, user, now):
    """Instalments 2..n wait in TO_AUTHORIZE until their date: the nightly run asks their authorisation
    on the stored card that day and sends them to the bank (PAY-INST-1, PAY-BATCH-1)."""
    from portal.payments.instalments import derived_reference

    for instalment in payment.instalments[1:]:
        reference = derived_reference(payment.instalment_group, instalment.rank)
        if reference_taken(payment.shop, reference):
            raise DuplicateReference(reference)
        Transaction.create(
            shop=payment.shop, reference=reference, amount=instalment.amount, currency=payment.currency,
            capture_mode="AUTO", capture_delay=0, state=State.TO_AUTHORIZE, created_at=now, created_by=user,
            card_token=first.card_token, masked_pan=first.masked_pan, networks=first.networks, network=first.network,
            card_expiry_year=first.card_expiry_year, card_expiry_month=first.card_expiry_month,
            order_reference=payment.order_reference, customer_code=payment.customer_code,
            free_info=payment.free_info, capture_date=instalment.due_date,
            **_instalment_fields(ctx, payment, instalment.rank))


def cancel_later_instalments(ctx, first, user=None):
    """The first instalment was refused: the later ones are cancelled, never presented (PAY-INST-1)."""
    if first.instalment_rank != 1 or not first.instalment_group:
        return 0
    later = _locked_rows(Transaction.select().where(
        (Transaction.shop == first.shop_id) & (Transaction.instalment_group == first.instalment_group)
        & (Transaction.instalment_rank > 1) & (Transaction.state == State.TO_AUTHORIZE)))
    for txn in later:
        Operation.create(transaction=txn, kind=Kind.CANCEL, amount=txn.amount, user=user, at=ctx.now(),
                         reason=N_("Échéance annulée : la première échéance a été refusée"))
        txn.state = State.CANCELLED
        txn.save()
    return len(later)


def instalment_schedule(txn):
    """Every transaction of the schedule `txn` belongs to, by rank (one query)."""
    if not txn.instalment_group:
        return []
    return list(Transaction.select().where((Transaction.shop == txn.shop_id)
                                           & (Transaction.instalment_group == txn.instalment_group)
                                           & Transaction.instalment_rank.is_null(False))
                .order_by(Transaction.instalment_rank))


def settle_authorisation(ctx, txn, operation, result):
    """Write the outcome of an AUTHOR request (answer, state read, or nothing) on its reserved row."""
    answer = result.answer
    if answer is None and result.state is not None and result.state.found:
        state = result.state
        refused = state.state in (State.REFUSED, State.FRAUD_SUSPECTED)
        answer = GatewayAnswer(not refused, state.response_code or ("05" if refused else "00"),
                               state.authorisation_number, state=state.state, fields=state.fields)
        txn.gateway_status = state.gateway_status
        txn.synced_at = ctx.now()
    if answer is not None:
        accepted, reason = _apply_authorisation(txn, answer)
        operation.succeeded = accepted
        operation.response_code = answer.response_code
        operation.reason = reason
        operation.gateway_status = ANSWERED
        operation.gateway_answer = json.dumps(answer.fields, ensure_ascii=False, default=str) if answer.fields else None
    elif result.not_sent:
        operation.succeeded = False
        operation.response_code = NOT_SENT_CODE
        operation.reason = _not_sent_message(result.message)[:255]
        operation.gateway_status = ANSWERED
        txn.state = State.REFUSED
        txn.response_code = NOT_SENT_CODE
    else:
        operation.gateway_status = UNKNOWN
        operation.reason = _unknown_message(result.message)[:255]
    operation.save()
    if operation.gateway_status == ANSWERED and txn.state in REFUSED_STATES:
        cancel_later_instalments(ctx, txn, operation.user)  # also when `flask sync` reads a lost answer


def _replayed(key):
    if not key:
        return None
    return Operation.get_or_none(Operation.idempotency_key == key)


def lost_answer(txn):
    """An operation whose answer was lost (UNKNOWN), or an authorisation still in flight: until the
    gateway's state is read, no other operation starts on this transaction. Other operations in
    flight do not block: their reserved rows already count against the balance."""
    return txn.operations.where((Operation.gateway_status == UNKNOWN)
                                | ((Operation.kind == Kind.AUTHOR) & (Operation.gateway_status == PENDING))).first()


def awaiting_gateway(txn):
    """The operation of this transaction still waiting for the gateway's answer, if any."""
    return txn.operations.where(Operation.gateway_status.in_([PENDING, UNKNOWN])).order_by(Operation.id).first()


# --- When the bank gets it (issue 11: messages say the real day) ------------------------------------


def todays_run_done(ctx, gateway):
    """Has today's remittance run already sent what was due for this gateway? The simulator's nightly
    run is journalled in RemittanceRun; a real gateway remits itself at the end of its day."""
    if gateway is not ctx.acquirer:
        return False
    return RemittanceRun.select().where(RemittanceRun.day == ctx.today()).exists()


def sending_day(ctx, gateway, due_day):
    """The day an amount due on `due_day` really goes to the bank (lifecycle.bank_sending_day)."""
    return bank_sending_day(due_day or ctx.today(), ctx.today(), todays_run_done(ctx, gateway))


def bank_day_text(ctx, day):
    """« ce soir (01/12/2026) », « demain, 02/12/2026 » or « le 05/12/2026 », in the user's language."""
    today = ctx.today()
    if day == today:
        return ctx.t(N_("ce soir (%(day)s)"), day=fmt_day(day))
    if day == today + datetime.timedelta(days=1):
        return ctx.t(N_("demain, %(day)s (la remise d'aujourd'hui est déjà passée)"), day=fmt_day(day))
    return ctx.t(N_("le %(day)s"), day=fmt_day(day))


# --- Operations on a transaction (PAY-VAL-1, PAY-CAN-1, PAY-REF-1, PAY-DUP-1) ----------------------


@dataclass
class OperationOutcome:
    kind: Kind
    transaction: Transaction
    succeeded: bool
    message: str
    amount: int = 0
    operation: Operation | None = None
    new_transaction: Transaction | None = None  # for a duplicate
    replayed: bool = False
    reason: str = ""


def perform_operation(ctx, transaction_id, kind, amount, user, rights, idempotency_key,
                      duplicate=None, remote_addr=""):
    """Run one user operation; refusals come back as an outcome with a message, never an exception."""
    kind = Kind(kind)
    try:
        with money_transaction():
            txn = _locked(transaction_id)
            try:
                replay = _replay_of(idempotency_key, kind, txn.id)
            except IdempotencyMismatch as mismatch:
                return OperationOutcome(kind, txn, False, ctx.t(mismatch.message), amount,
                                        reason="idempotency_mismatch")
            if replay is not None:
                return _replay_outcome(ctx, kind, txn, replay)
            facts = facts_for(txn, ctx.timezone)
            check_operation(kind, facts, amount, rights, ctx.today(), ctx.fmt(txn.currency), ctx.t)
            try:
                gateway = ctx.gateway_for(txn.shop)
            except GatewayUnavailable as unavailable:
                return OperationOutcome(kind, txn, False, unavailable.message, amount, reason="gateway_unavailable")
            if lost_answer(txn) is not None:
                raise OperationRefused("gateway_pending", ctx.t(N_(
                    "Une opération attend encore la réponse de la passerelle : actualisez la transaction depuis la "
                    "passerelle avant d'en faire une autre.")))
            before = {"state": txn.state, "remaining": facts.remaining, "refundable": facts.refundable}
            reservation = _RESERVE[kind](ctx, gateway, txn, facts, amount, user, idempotency_key, duplicate)
            txn.save()
            if isinstance(reservation, OperationOutcome):  # decided without the gateway
                _audit_operation(ctx, kind, txn, amount, reservation.succeeded, before, user, remote_addr)
                return reservation
    except OperationRefused as refused:
        txn = Transaction.get_by_id(transaction_id)
        with db.atomic():
            record_action(f"payment.{kind.lower()}.refused", "transaction", transaction_id, user=user,
                          remote_addr=remote_addr, after={"amount": amount, "reason": refused.message})
        return OperationOutcome(kind, txn, False, refused.message, amount, reason=refused.reason)
    result = _ASK[kind](ctx, gateway, txn, facts, amount, user, idempotency_key, duplicate)
    with money_transaction():
        txn = _locked(transaction_id)
        operation = Operation.get_by_id(reservation.id)
        outcome = _settle(ctx, gateway, kind, txn, facts, operation, result)
        txn.save()
        _audit_operation(ctx, kind, txn, amount, outcome.succeeded, before, user, remote_addr)
    return outcome


def _audit_operation(ctx, kind, txn, amount, succeeded, before, user, remote_addr):
    after_facts = facts_for(Transaction.get_by_id(txn.id), ctx.timezone)
    record_action(f"payment.{kind.lower()}", "transaction", txn.id, user=user, remote_addr=remote_addr,
                  before=before,
                  after={"state": txn.state, "amount": amount, "succeeded": succeeded,
                         "remaining": after_facts.remaining, "refundable": after_facts.refundable})


def _replay_outcome(ctx, kind, txn, operation):
    new_txn = None
    if kind == Kind.DUPLICATE and "#" in operation.reason:
        new_txn = Transaction.get_or_none(Transaction.id == int(operation.reason.rsplit("#", 1)[-1]))
    if operation.gateway_status in (PENDING, UNKNOWN):
        return OperationOutcome(kind, txn, False, ctx.t(N_(
            "Opération déjà demandée (formulaire envoyé deux fois) : elle attend la réponse de la passerelle et ne "
            "sera pas envoyée une seconde fois.")),
            operation.amount, operation, new_txn, replayed=True, reason="gateway_unknown")
    return OperationOutcome(kind, txn, operation.succeeded,
                            ctx.t(N_("Opération déjà enregistrée (formulaire envoyé deux fois).")),
                            operation.amount, operation, new_txn, replayed=True)


def _reserve(ctx, txn, kind, amount, user, key, **fields):
    """The operation row, written before the gateway is asked: it counts against the balance."""
    return Operation.create(transaction=txn, kind=kind, amount=amount, user=user, at=ctx.now(),
                            idempotency_key=key, succeeded=True, gateway_status=PENDING, **fields)


def _reserve_validate(ctx, gateway, txn, facts, amount, user, key, _):
    if txn.state == State.TO_VALIDATE_NO_AUTH and gateway is ctx.acquirer:
        # No authorisation yet: the simulator is asked now, for the validated amount (a local call).
        author = _authorise_into(ctx, txn, user, amount=amount)
        if not author.succeeded:
            return OperationOutcome(Kind.VALIDATE, txn, False,
                                    ctx.t(N_("Validation impossible : autorisation refusée (%(reason)s)."),
                                          reason=ctx.t(author.reason) if author.reason else ""), amount, author)
    return _reserve(ctx, txn, Kind.VALIDATE, amount, user, key)


def _reserve_cancel(ctx, gateway, txn, facts, amount, user, key, _):
    return _reserve(ctx, txn, Kind.CANCEL, amount, user, key)


def _reserve_refund(ctx, gateway, txn, facts, amount, user, key, _):
    return _reserve(ctx, txn, Kind.CREDIT, amount, user, key)


def _reserve_duplicate(ctx, gateway, txn, facts, amount, user, key, fields):
    if reference_taken(txn.shop, fields.reference):
        raise OperationRefused("invalid_reference", ctx.t(N_("La référence « %(reference)s » existe déjà dans cette "
                                                             "boutique."), reference=fields.reference))
    return _reserve(ctx, txn, Kind.DUPLICATE, amount, user, key, reason=N_("Duplication demandée à la passerelle"))


def _ask_cash(method):
    def ask(ctx, gateway, txn, facts, amount, user, key, _):
        ref = _gateway_ref(txn)
        return ask_gateway(gateway, ref, lambda: getattr(gateway, method)(ref, amount, txn.currency, key))
    return ask


def _ask_duplicate(ctx, gateway, txn, facts, amount, user, key, fields: "DuplicateFields"):
    """A duplicate is a new payment on the stored card: create_payment reserves and asks it."""
    networks = tuple(txn.networks.split(","))
    payment = NewPayment(
        shop=txn.shop, reference=fields.reference, amount=amount, currency=txn.currency,
        capture_mode=fields.capture_mode, capture_delay=fields.capture_delay,
        network=fields.network if fields.network in networks else txn.network, networks=networks,
        masked_pan=txn.masked_pan, expiry=Expiry(txn.card_expiry_year, txn.card_expiry_month),
        card_token=txn.card_token, order_reference=fields.order_reference, customer_code=fields.customer_code,
        free_info=fields.free_info, duplicated_from=txn,
    )
    derived_key = "dup-" + hashlib.sha256((key or secrets.token_hex(16)).encode()).hexdigest()[:40]
    try:
        return GatewayResult(answer=create_payment(ctx, payment, user, derived_key))
    except DuplicateReference:
        return GatewayResult(not_sent=True, message=ctx.t(N_("La référence « %(reference)s » existe déjà dans cette "
                                                             "boutique."), reference=fields.reference))


def _operation_visible(kind, state, facts, amount):
    """After no answer: does the gateway's state show our operation (True), show it did not happen
    (False), or not say (None)? Only clear cases decide; the others stay UNKNOWN for the sync."""
    if not state.found or state.state is None:
        return None
    if kind == Kind.VALIDATE:
        if state.state in (State.TO_CAPTURE, State.CAPTURED):
            return True
        if state.state in (State.TO_VALIDATE, State.TO_VALIDATE_NO_AUTH):
            return False
    if kind == Kind.CANCEL and state.amount is not None:
        if state.amount == facts.remaining - amount:
            return True
        if state.amount == facts.remaining:
            return False
    if kind == Kind.CREDIT and state.history:
        credited = sum(entry.amount for entry in state.history if entry.operation in ("CREDIT", "REFUND"))
        if credited == facts.balances.credited + amount:
            return True
        if credited == facts.balances.credited:
            return False
    return None


def _settle(ctx, gateway, kind, txn, facts, operation, result):
    """Phase 3: write what the gateway said on the reserved row and the transaction."""
    amount = operation.amount
    if kind == Kind.DUPLICATE:
        return _settle_duplicate(ctx, txn, operation, result)
    if result.answer is not None:
        answer = result.answer
        operation.gateway_answer = json.dumps(answer.fields, ensure_ascii=False, default=str) if answer.fields else None
        operation.response_code = answer.response_code
        operation.gateway_status = ANSWERED
        if not answer.accepted:
            operation.succeeded = False
            operation.reason = f"Refusée par la passerelle : {answer.reason}"[:255]
            operation.save()
            return OperationOutcome(kind, txn, False, ctx.t(N_("Opération refusée par la passerelle : %(reason)s."),
                                                            reason=ctx.t(answer.reason)), amount,
                                    operation, reason="gateway_refused")
        done = True
    elif result.not_sent:
        operation.succeeded = False
        operation.gateway_status = ANSWERED
        operation.response_code = NOT_SENT_CODE
        operation.reason = _not_sent_message(result.message)[:255]
        operation.save()
        return OperationOutcome(kind, txn, False, _not_sent_message(result.message, ctx.t), amount, operation,
                                reason="gateway_unavailable")
    else:
        done = _operation_visible(kind, result.state, facts, amount) if result.state is not None else None
        if done is None:
            operation.gateway_status = UNKNOWN
            operation.reason = _unknown_message(result.message)[:255]
            operation.save()
            return OperationOutcome(kind, txn, False, _unknown_message(result.message, ctx.t), amount, operation,
                                    reason="gateway_unknown")
        operation.gateway_status = ANSWERED
        if not done:
            operation.succeeded = False
            operation.reason = N_("Non effectuée : la passerelle ne l'a pas reçue (vérifié après l'absence de "
                                  "réponse).")
            operation.save()
            return OperationOutcome(kind, txn, False, ctx.t(operation.reason), amount, operation,
                                    reason="gateway_unavailable")
    operation.save()
    return _APPLY[kind](ctx, gateway, txn, facts, operation)


def _apply_validate(ctx, gateway, txn, facts, operation):
    amount = operation.amount
    rest = facts.remaining - amount
    if rest > 0:
        Operation.create(transaction=txn, kind=Kind.CANCEL, amount=rest, user=operation.user, at=ctx.now(),
                         reason=N_("Solde annulé automatiquement par la validation partielle"))
    txn.state = State.TO_CAPTURE
    txn.capture_date = ctx.today()  # the validated amount leaves the day of validation
    message = ctx.t(N_("Transaction validée : elle part en banque %(when)s."),
                    when=bank_day_text(ctx, sending_day(ctx, gateway, ctx.today())))
    if rest > 0:
        message += " " + ctx.t(N_("Le solde de %(amount)s est annulé."), amount=ctx.fmt(txn.currency)(rest))
    return OperationOutcome(Kind.VALIDATE, txn, True, message, amount, operation)


def _apply_cancel(ctx, gateway, txn, facts, operation):
    amount = operation.amount
    txn.state = state_after_cancel(facts, amount)
    left = facts.remaining - amount
    message = (ctx.t(N_("Transaction entièrement annulée.")) if left == 0
               else ctx.t(N_("Annulation enregistrée : %(amount)s partiront en banque %(when)s."),
                          amount=ctx.fmt(txn.currency)(left),
                          when=bank_day_text(ctx, sending_day(ctx, gateway, txn.capture_date))))
    return OperationOutcome(Kind.CANCEL, txn, True, message, amount, operation)


def _apply_refund(ctx, gateway, txn, facts, operation):
    amount = operation.amount
    if gateway is ctx.acquirer:
        operation.remittance_status = "TO_SEND"  # the simulator's nightly run sends it
        operation.save()
    txn.state = State.TO_CREDIT
    left = facts.refundable - amount
    return OperationOutcome(Kind.CREDIT, txn, True,
                            ctx.t(N_("Remboursement enregistré, envoyé en banque %(when)s. Reste remboursable : "
                                     "%(amount)s."), when=bank_day_text(ctx, sending_day(ctx, gateway, ctx.today())),
                                  amount=ctx.fmt(txn.currency)(left)), amount, operation)


def _settle_duplicate(ctx, txn, operation, result):
    new_txn = result.answer
    if new_txn is None:
        operation.succeeded = False
        operation.gateway_status = ANSWERED
        operation.reason = result.message[:255]
        operation.save()
        return OperationOutcome(Kind.DUPLICATE, txn, False, result.message, operation.amount, operation,
                                reason="invalid_reference")
    author = awaiting_gateway(new_txn)
    accepted = new_txn.state not in (State.REFUSED, State.FRAUD_SUSPECTED) and author is None
    operation.succeeded = accepted
    operation.gateway_status = ANSWERED
    operation.response_code = new_txn.response_code
    operation.reason = f"Nouvelle transaction {new_txn.reference} #{new_txn.id}"
    operation.save()
    if author is not None:
        message = ctx.t(N_("Transaction dupliquée : %(reference)s."), reference=new_txn.reference) + " " + \
            _unknown_message(ctx.t(N_("La passerelle n'a pas répondu.")), ctx.t)
    elif accepted:
        message = ctx.t(N_("Transaction dupliquée : %(reference)s, %(state)s."), reference=new_txn.reference,
                        state=ctx.t(State(new_txn.state).label).lower())
    else:
        first = new_txn.operations.order_by(Operation.id).first()
        message = ctx.t(N_("Duplication refusée par la banque : %(reason)s."),
                        reason=ctx.t(first.reason) if first and first.reason else "")
    return OperationOutcome(Kind.DUPLICATE, txn, accepted, message, operation.amount, operation, new_txn)


@dataclass
class DuplicateFields:
    reference: str
    capture_mode: str
    capture_delay: int
    order_reference: str = ""
    customer_code: str = ""
    free_info: str = ""
    network: str = ""


_RESERVE = {Kind.VALIDATE: _reserve_validate, Kind.CANCEL: _reserve_cancel, Kind.CREDIT: _reserve_refund,
            Kind.DUPLICATE: _reserve_duplicate}
_ASK = {Kind.VALIDATE: _ask_cash("validate"), Kind.CANCEL: _ask_cash("cancel"), Kind.CREDIT: _ask_cash("refund"),
        Kind.DUPLICATE: _ask_duplicate}
_APPLY = {Kind.VALIDATE: _apply_validate, Kind.CANCEL: _apply_cancel, Kind.CREDIT: _apply_refund}
