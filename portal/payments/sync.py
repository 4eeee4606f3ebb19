"""Reading the gateway's truth back (PAY-GW-1): `flask sync` refreshes every transaction that is not
final, and the detail page refreshes one on demand. The gateway is read with no lock held; what it
says is then written in one short locked transaction, as journal rows (CAPTURE, EXPIRE, …) so that
balances keep deriving from operations. Operations left UNKNOWN after a timeout are settled here."""
import datetime
import json
from dataclasses import dataclass

from models import Operation, Shop, Transaction
from portal.audit import record_action
from portal.payments.acquirer import GatewayAnswer, GatewayUnavailable
from portal.payments.lifecycle import BEFORE_REMITTANCE
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState as State
from portal.texts import N_, Text, localized
from portal.payments.service import (_APPLY, ANSWERED, NOT_SENT_CODE, PENDING, UNKNOWN, GatewayResult, _gateway_ref,
                                     _locked, _operation_visible, facts_for, money_transaction,
                                     settle_authorisation)

NON_FINAL_STATES = [State.TO_VALIDATE, State.TO_VALIDATE_NO_AUTH, State.TO_AUTHORIZE, State.TO_CAPTURE,
                    State.TO_CREDIT]
# A request the gateway still does not know this long after it was sent never reached it.
UNKNOWN_GRACE = datetime.timedelta(minutes=15)
# A request still PENDING this long after it was reserved lost its process (a crash between asking
# and writing the answer): it is settled like an UNKNOWN one. Younger ones are still in flight.
PENDING_GRACE = datetime.timedelta(minutes=2)
CHUNK = 500


@dataclass
class Refresh:
    transaction: Transaction
    changed: bool
    message: Text  # in the reader's language where it is shown (portal.texts.in_user_language)
    reachable: bool = True


class Changes(list):
    """What a refresh changed (Texts), shown as one sentence in the reader's language."""

    def translate(self, gettext, locale="fr"):
        return "; ".join(localized(change, gettext, locale) for change in self)


class _LowerLabel:
    """A label (an operation kind) inside a sentence: translated, then in lower case."""

    def __init__(self, label):
        self.label = label

    def translate(self, gettext, locale="fr"):
        return gettext(self.label).lower()


def refresh_transaction(ctx, transaction_id, user=None, remote_addr=""):
    """Read one transaction from its gateway and write what changed; never raises for an unreachable gateway."""
    txn = Transaction.get_by_id(transaction_id)
    try:
        gateway = ctx.gateway_for(txn.shop)
        state = gateway.transaction_state(_gateway_ref(txn))  # no transaction open while waiting
    except GatewayUnavailable as unavailable:
        return Refresh(txn, False, Text(N_("%(reason)s L'état n'a pas pu être relu ; réessayez plus tard."),
                                        reason=Text(unavailable.message)), reachable=False)
    with money_transaction():
        txn = _locked(transaction_id)
        before = txn.state
        changes = apply_gateway_state(ctx, gateway, txn, state)
        txn.synced_at = ctx.now()
        txn.gateway_status = state.gateway_status if state.found else txn.gateway_status
        txn.save()
        if changes:
            record_action("payment.sync", "transaction", txn.id, user=user, actor=None if user else "sync",
                          remote_addr=remote_addr, before={"state": before},
                          after={"state": txn.state, "changes": [str(change) for change in changes],
                                 "gateway_status": state.gateway_status})
    if changes:
        return Refresh(txn, True, Text(N_("Transaction actualisée depuis la passerelle : %(changes)s."),
                                       changes=changes))
    return Refresh(txn, False, Text(N_("Transaction relue : la passerelle confirme son état.")))


def apply_gateway_state(ctx, gateway, txn, state):
    """Settle operations awaiting an answer, then follow the gateway's state; returns what changed."""
    changes = Changes()
    now = ctx.now()
    operations = list(txn.operations.order_by(Operation.id))
    for operation in [op for op in operations if op.gateway_status == UNKNOWN
                      or (op.gateway_status == PENDING and now - op.at >= PENDING_GRACE)]:
        if operation.kind == Kind.AUTHOR:
            if state.found:
                settle_authorisation(ctx, txn, operation, GatewayResult(state=state))
                changes.append(Text(N_("autorisation acceptée") if operation.succeeded else N_("autorisation refusée")))
            elif now - operation.at >= UNKNOWN_GRACE:
                settle_authorisation(ctx, txn, operation, GatewayResult(
                    not_sent=True, message="La passerelle n'a jamais reçu la demande d'autorisation."))
                changes.append(Text(N_("autorisation jamais reçue par la passerelle : aucun débit")))
            continue
        others = [op for op in operations if op.id != operation.id]
        facts = facts_for(txn, ctx.timezone, others)
        done = _operation_visible(operation.kind, state, facts, operation.amount)
        if done is None:
            continue
        operation.gateway_status = ANSWERED
        if done:
            operation.response_code = "00"
            operation.save()
            _APPLY[operation.kind](ctx, gateway, txn, facts, operation)
            changes.append(Text(N_("%(operation)s confirmée par la passerelle"),
                                operation=_LowerLabel(Kind(operation.kind).label)))
        else:
            operation.succeeded = False
            operation.response_code = NOT_SENT_CODE
            operation.reason = "Non effectuée : la passerelle ne l'a pas reçue."
            operation.save()
            changes.append(Text(N_("%(operation)s non reçue par la passerelle : non effectuée"),
                                operation=_LowerLabel(Kind(operation.kind).label)))
    if not state.found or state.state is None or state.state == txn.state:
        return changes
    if txn.operations.where(Operation.gateway_status.in_([PENDING, UNKNOWN])).exists():
        return changes  # an answer is still missing: do not guess past it
    new = State(state.state)
    if (txn.state == State.TO_AUTHORIZE and new not in (State.TO_AUTHORIZE, State.CANCELLED, State.EXPIRED)
            and not txn.operations.where(Operation.kind == Kind.AUTHOR).exists()):
        changes.append(_journal_gateway_authorisation(ctx, txn, state, new))
    facts = facts_for(txn, ctx.timezone)
    if txn.state in BEFORE_REMITTANCE and new in (State.CAPTURED, State.CAPTURE_REFUSED):
        accepted = new == State.CAPTURED
        Operation.create(transaction=txn, kind=Kind.CAPTURE, amount=state.amount or facts.remaining,
                         succeeded=accepted, at=now, sent_at=now, response_code="00" if accepted else "",
                         remittance_status="ACCEPTED" if accepted else "REFUSED",
                         reason="" if accepted else "Remise refusée (selon la passerelle)")
    elif txn.state in BEFORE_REMITTANCE and new == State.EXPIRED:
        Operation.create(transaction=txn, kind=Kind.EXPIRE, amount=facts.remaining, at=now,
                         reason="Expirée (selon la passerelle)")
    elif txn.state in BEFORE_REMITTANCE and new == State.CANCELLED and facts.remaining > 0:
        Operation.create(transaction=txn, kind=Kind.CANCEL, amount=facts.remaining, at=now,
                         reason="Annulée sur la passerelle")
    elif new == State.CREDITED:
        (Operation.update(remittance_status="ACCEPTED", sent_at=now)
         .where((Operation.transaction == txn) & (Operation.kind == Kind.CREDIT) & Operation.succeeded
                & (Operation.remittance_status == "")).execute())
    changes.append(Text(N_("état « %(before)s » → « %(after)s »"), before=Text(State(txn.state).label),
                        after=Text(new.label)))
    txn.state = new
    return changes


def _journal_gateway_authorisation(ctx, txn, state, new):
    """An instalment that its gateway authorised itself on its date (Sips runs the schedule it was
    given, PAY-INST-1): the AUTHOR row the portal did not write, from the state read back."""
    refused = new in (State.REFUSED, State.FRAUD_SUSPECTED)
    answer = GatewayAnswer(not refused, state.response_code or ("05" if refused else "00"),
                           state.authorisation_number, fields=state.fields)
    txn.response_code = answer.response_code
    if answer.accepted:
        txn.authorisation_number = answer.authorisation_number
    Operation.create(transaction=txn, kind=Kind.AUTHOR, amount=txn.amount, succeeded=answer.accepted,
                     response_code=answer.response_code, reason=answer.reason, at=ctx.now(),
                     gateway_answer=json.dumps(answer.fields, ensure_ascii=False, default=str)
                     if answer.fields else None)
    return Text(N_("échéance autorisée par la passerelle") if answer.accepted
                else N_("échéance refusée par la passerelle"))


def transactions_to_sync():
    """Ids of the transactions whose truth may have moved on the gateway: not final on a real
    gateway, or with an operation still awaiting its answer (any gateway)."""
    real = Shop.select(Shop.id).where(Shop.gateway != "SIMULATOR")
    awaiting = (Operation.select(Operation.transaction)
                .where(Operation.gateway_status.in_([PENDING, UNKNOWN])))
    last_id = 0
    while True:
        ids = [row.id for row in Transaction.select(Transaction.id).where(
            (Transaction.id > last_id)
            & ((Transaction.shop.in_(real) & Transaction.state.in_(NON_FINAL_STATES))
               | Transaction.id.in_(awaiting))).order_by(Transaction.id).limit(CHUNK)]
        if not ids:
            return
        last_id = ids[-1]
        yield from ids


def sync(ctx):
    """Refresh every transaction to sync; returns counts for the command's summary."""
    summary = {"read": 0, "changed": 0, "unreachable": 0}
    for transaction_id in transactions_to_sync():
        result = refresh_transaction(ctx, transaction_id)
        summary["read"] += result.reachable
        summary["changed"] += result.changed
        summary["unreachable"] += not result.reachable
    return summary


SUMMARY_LABELS = {"read": "transactions relues", "changed": "mises à jour", "unreachable": "passerelle injoignable"}
