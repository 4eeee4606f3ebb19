"""Card payment operations against the database: each money check and its write happen in one
database transaction holding a lock on the transaction row (PAY-OP-2), and every form carries
an idempotency key so that a resubmission performs the operation once. No Flask here."""
import datetime
import json
import re
import secrets
from dataclasses import dataclass, field

from peewee import IntegrityError

from models import FraudProfile as FraudProfileRow
from models import Operation, Transaction, VaultCard, db, utcnow
from portal.audit import record_action
from portal.database import is_postgres
from portal.payments import fraud
from portal.payments.cards import Expiry
from portal.payments.lifecycle import (
    OperationKind as Kind,
    OperationRefused,
    TransactionFacts,
    TransactionState as State,
    balances,
    capture_date_for,
    check_operation,
    initial_state,
    local_date,
    state_after_cancel,
)


@dataclass
class PaymentContext:
    """What operations need from the running portal: the acquirer, the merchant's time zone and a clock."""

    acquirer: object
    timezone: str = "Europe/Paris"
    clock: object = utcnow  # returns naive UTC, like the stored timestamps
    format_amount: object = None  # (minor, currency) -> text, for messages

    def now(self):
        return self.clock()

    def today(self):
        return local_date(self.clock(), self.timezone)

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

    message = "Ce formulaire a déjà servi à une autre opération : rechargez la page et recommencez."


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


def _run_fraud_check(ctx, txn, amount):
    """Evaluate the current fraud profile and keep its result on the transaction (PAY-DET-1)."""
    profile = current_fraud_profile()
    fingerprint = ctx.acquirer.card_fingerprint(txn.card_token)
    # The transaction being checked is already saved, so it is not counted as a previous use.
    uses_today = max(0, _card_uses_today(ctx, fingerprint, ctx.today()) - 1)
    result = fraud.evaluate(profile, amount=amount, currency=txn.currency,
                            card_country=ctx.acquirer.card_country(txn.card_token),
                            uses_today=uses_today, format_amount=ctx.fmt(txn.currency))
    txn.fraud_result = json.dumps(result.to_dict(), ensure_ascii=False)
    txn.fraud_profile_version = profile.version
    if not result.passed:
        txn.state = State.FRAUD_SUSPECTED
        txn.response_code = "34"
    return result


def _fraud_refusal(result):
    return "Bloquée par le contrôle de fraude : " + "; ".join(r.label.lower() for r in result.rules if not r.passed)


def _authorise_into(ctx, txn, user, key=None, amount=None):
    """Fraud check, then the authorisation request; sets the state and records the AUTHOR row."""
    amount = txn.amount if amount is None else amount
    result = _run_fraud_check(ctx, txn, amount)
    if not result.passed:
        return Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=amount, succeeded=False,
                                response_code="34", reason=_fraud_refusal(result), at=ctx.now(), user=user,
                                idempotency_key=key)
    answer = ctx.acquirer.authorise(txn.card_token, amount, txn.currency, txn.network, txn.reference)
    txn.response_code = answer.response_code
    txn.card_country = answer.card_country
    if answer.accepted:
        txn.authorisation_number = answer.authorisation_number
    else:
        txn.state = State.FRAUD_SUSPECTED if answer.fraud_suspected else State.REFUSED
    return Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=amount, succeeded=answer.accepted,
                            response_code=answer.response_code, reason=answer.reason, at=ctx.now(), user=user,
                            idempotency_key=key)


def _defer_authorisation(ctx, txn, user, key):
    """Capture delay beyond an authorisation's life: only the fraud check runs now."""
    result = _run_fraud_check(ctx, txn, txn.amount)
    txn.card_country = ctx.acquirer.card_country(txn.card_token)
    Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=0, succeeded=result.passed,
                     response_code="" if result.passed else "34",
                     reason="Autorisation demandée le jour de l'envoi en banque" if result.passed
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


def create_payment(ctx, payment: NewPayment, user, idempotency_key, remote_addr=""):
    """Create and authorise a transaction; a second call with the same key returns the first one.
    Raises DuplicateReference, or IdempotencyMismatch for a key spent on another operation."""
    replay = _replay_of(idempotency_key, Kind.AUTHOR)
    if replay is not None:
        return replay.transaction
    now = ctx.now()
    state = initial_state(payment.capture_mode, payment.capture_delay)
    try:
        with money_transaction():
            if reference_taken(payment.shop, payment.reference):
                raise DuplicateReference(payment.reference)
            if payment.card_token is None:
                payment.card_token = ctx.acquirer.store_card(payment.card_number, payment.expiry)
            txn = Transaction.create(
                shop=payment.shop, reference=payment.reference, amount=payment.amount, currency=payment.currency,
                capture_mode=payment.capture_mode, capture_delay=payment.capture_delay, state=state,
                created_at=now, created_by=user, card_token=payment.card_token, masked_pan=payment.masked_pan,
                networks=",".join(payment.networks), network=payment.network,
                card_expiry_year=payment.expiry.year, card_expiry_month=payment.expiry.month,
                order_reference=payment.order_reference, customer_code=payment.customer_code,
                free_info=payment.free_info, duplicated_from=payment.duplicated_from,
                capture_date=capture_date_for(local_date(now, ctx.timezone), payment.capture_delay),
            )
            if state in (State.TO_VALIDATE, State.TO_CAPTURE):
                _authorise_into(ctx, txn, user, idempotency_key)
            else:
                _defer_authorisation(ctx, txn, user, idempotency_key)
            txn.save()
            record_action("payment.create", "transaction", txn.id, user=user, remote_addr=remote_addr,
                          after={"reference": txn.reference, "amount": txn.amount, "currency": txn.currency,
                                 "state": txn.state, "card": txn.masked_pan})
            return txn
    except IntegrityError:
        replay = _replay_of(idempotency_key, Kind.AUTHOR)
        if replay is not None:  # the same form was submitted twice at once
            return replay.transaction
        if reference_taken(payment.shop, payment.reference):  # two forms with one reference at once
            raise DuplicateReference(payment.reference) from None
        raise


def _replayed(key):
    if not key:
        return None
    return Operation.get_or_none(Operation.idempotency_key == key)


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
                return OperationOutcome(kind, txn, False, mismatch.message, amount, reason="idempotency_mismatch")
            if replay is not None:
                return _replay_outcome(kind, txn, replay)
            facts = facts_for(txn, ctx.timezone)
            before = {"state": txn.state, "remaining": facts.remaining, "refundable": facts.refundable}
            check_operation(kind, facts, amount, rights, ctx.today(), ctx.fmt(txn.currency))
            outcome = _APPLY[kind](ctx, txn, facts, amount, user, idempotency_key, duplicate)
            txn.save()
            after_facts = facts_for(Transaction.get_by_id(txn.id), ctx.timezone)
            record_action(f"payment.{kind.lower()}", "transaction", txn.id, user=user, remote_addr=remote_addr,
                          before=before,
                          after={"state": txn.state, "amount": amount, "succeeded": outcome.succeeded,
                                 "remaining": after_facts.remaining, "refundable": after_facts.refundable})
            return outcome
    except OperationRefused as refused:
        txn = Transaction.get_by_id(transaction_id)
        with db.atomic():
            record_action(f"payment.{kind.lower()}.refused", "transaction", transaction_id, user=user,
                          remote_addr=remote_addr, after={"amount": amount, "reason": refused.message})
        return OperationOutcome(kind, txn, False, refused.message, amount, reason=refused.reason)


def _replay_outcome(kind, txn, operation):
    new_txn = None
    if kind == Kind.DUPLICATE:
        new_txn = Transaction.get_or_none(Transaction.id == int(operation.reason.rsplit("#", 1)[-1]))
    return OperationOutcome(kind, txn, operation.succeeded, "Opération déjà enregistrée (formulaire envoyé deux fois).",
                            operation.amount, operation, new_txn, replayed=True)


def _validate(ctx, txn, facts, amount, user, key, _):
    if txn.state == State.TO_VALIDATE_NO_AUTH:
        # No authorisation yet: it is requested now, for the validated amount.
        author = _authorise_into(ctx, txn, user, amount=amount)
        if not author.succeeded:
            return OperationOutcome(Kind.VALIDATE, txn, False,
                                    f"Validation impossible : autorisation refusée ({author.reason}).", amount, author)
    operation = Operation.create(transaction=txn, kind=Kind.VALIDATE, amount=amount, user=user, at=ctx.now(),
                                 idempotency_key=key, response_code="00")
    rest = facts.remaining - amount
    if rest > 0:
        Operation.create(transaction=txn, kind=Kind.CANCEL, amount=rest, user=user, at=ctx.now(),
                         reason="Solde annulé automatiquement par la validation partielle")
    txn.state = State.TO_CAPTURE
    txn.capture_date = ctx.today()  # the validated amount leaves the day of validation
    message = "Transaction validée : elle part en banque aujourd'hui."
    if rest > 0:
        message += f" Le solde de {ctx.fmt(txn.currency)(rest)} est annulé."
    return OperationOutcome(Kind.VALIDATE, txn, True, message, amount, operation)


def _cancel(ctx, txn, facts, amount, user, key, _):
    operation = Operation.create(transaction=txn, kind=Kind.CANCEL, amount=amount, user=user, at=ctx.now(),
                                 idempotency_key=key, response_code="00")
    txn.state = state_after_cancel(facts, amount)
    left = facts.remaining - amount
    message = ("Transaction entièrement annulée." if left == 0
               else f"Annulation enregistrée : {ctx.fmt(txn.currency)(left)} partiront en banque le "
                    f"{txn.capture_date:%d/%m/%Y}.")
    return OperationOutcome(Kind.CANCEL, txn, True, message, amount, operation)


def _refund(ctx, txn, facts, amount, user, key, _):
    operation = Operation.create(transaction=txn, kind=Kind.CREDIT, amount=amount, user=user, at=ctx.now(),
                                 idempotency_key=key, remittance_status="TO_SEND")
    txn.state = State.TO_CREDIT
    left = facts.refundable - amount
    return OperationOutcome(Kind.CREDIT, txn, True,
                            f"Remboursement enregistré, envoyé en banque ce soir. Reste remboursable : "
                            f"{ctx.fmt(txn.currency)(left)}.", amount, operation)


@dataclass
class DuplicateFields:
    reference: str
    capture_mode: str
    capture_delay: int
    order_reference: str = ""
    customer_code: str = ""
    free_info: str = ""
    network: str = ""


def _duplicate(ctx, txn, facts, amount, user, key, fields: DuplicateFields):
    if reference_taken(txn.shop, fields.reference):
        raise OperationRefused("invalid_reference", f"La référence « {fields.reference} » existe déjà dans cette boutique.")
    networks = tuple(txn.networks.split(","))
    payment = NewPayment(
        shop=txn.shop, reference=fields.reference, amount=amount, currency=txn.currency,
        capture_mode=fields.capture_mode, capture_delay=fields.capture_delay,
        network=fields.network if fields.network in networks else txn.network, networks=networks,
        masked_pan=txn.masked_pan, expiry=Expiry(txn.card_expiry_year, txn.card_expiry_month),
        card_token=txn.card_token, order_reference=fields.order_reference, customer_code=fields.customer_code,
        free_info=fields.free_info, duplicated_from=txn,
    )
    # Same database transaction: the new payment and the DUPLICATE row land together.
    new_txn = create_payment(ctx, payment, user, None)
    accepted = new_txn.state not in (State.REFUSED, State.FRAUD_SUSPECTED)
    operation = Operation.create(transaction=txn, kind=Kind.DUPLICATE, amount=amount, user=user, at=ctx.now(),
                                 idempotency_key=key, succeeded=accepted, response_code=new_txn.response_code,
                                 reason=f"Nouvelle transaction {new_txn.reference} #{new_txn.id}")
    message = (f"Transaction dupliquée : {new_txn.reference}, {State(new_txn.state).label.lower()}."
               if accepted else f"Duplication refusée par la banque : {new_txn.operations[0].reason}.")
    return OperationOutcome(Kind.DUPLICATE, txn, accepted, message, amount, operation, new_txn)


_APPLY = {Kind.VALIDATE: _validate, Kind.CANCEL: _cancel, Kind.CREDIT: _refund, Kind.DUPLICATE: _duplicate}
