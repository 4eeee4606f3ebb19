"""Invoice statuses aligned with the French e-invoicing reform's lifecycle, and the transitions a
user may make (AP-FLOW-1). Plain Python: which action, from which status, needing which right."""
import enum
from dataclasses import dataclass


class InvoiceStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    IN_HAND = "IN_HAND"
    APPROVED = "APPROVED"
    PARTIALLY_APPROVED = "PARTIALLY_APPROVED"
    DISPUTED = "DISPUTED"
    SUSPENDED = "SUSPENDED"
    REFUSED = "REFUSED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"

    @property
    def label(self):
        return STATUS_LABELS[self]

    @property
    def reform_code(self):
        """Lifecycle status code of the reform (CDAR), as exchanged with the platforms."""
        return REFORM_CODES[self]


STATUS_LABELS = {
    InvoiceStatus.RECEIVED: "Reçue (déposée)",
    InvoiceStatus.IN_HAND: "Prise en charge — à approuver",
    InvoiceStatus.APPROVED: "Approuvée",
    InvoiceStatus.PARTIALLY_APPROVED: "Approuvée partiellement",
    InvoiceStatus.DISPUTED: "En litige",
    InvoiceStatus.SUSPENDED: "Suspendue",
    InvoiceStatus.REFUSED: "Refusée",
    InvoiceStatus.PARTIALLY_PAID: "Payée partiellement",
    InvoiceStatus.PAID: "Paiement transmis",
}
REFORM_CODES = {
    InvoiceStatus.RECEIVED: "202", InvoiceStatus.IN_HAND: "204", InvoiceStatus.APPROVED: "205",
    InvoiceStatus.PARTIALLY_APPROVED: "206", InvoiceStatus.DISPUTED: "207", InvoiceStatus.SUSPENDED: "208",
    InvoiceStatus.REFUSED: "210", InvoiceStatus.PARTIALLY_PAID: "211", InvoiceStatus.PAID: "211",
}
S = InvoiceStatus
OPEN = (S.RECEIVED, S.IN_HAND)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    to: InvoiceStatus
    sources: tuple
    right: str
    needs_reason: bool = False
    confirm: str = ""


ACTIONS = {
    action.name: action for action in (
        Action("take", "Prendre en charge", S.IN_HAND, (S.RECEIVED,), "approve_invoices"),
        Action("approve", "Approuver", S.APPROVED, OPEN + (S.DISPUTED,), "approve_invoices"),
        Action("approve_partially", "Approuver partiellement", S.PARTIALLY_APPROVED, OPEN + (S.DISPUTED,),
               "approve_invoices", needs_reason=True),
        Action("dispute", "Mettre en litige", S.DISPUTED, OPEN, "approve_invoices", needs_reason=True),
        Action("suspend", "Suspendre", S.SUSPENDED, OPEN + (S.DISPUTED,), "approve_invoices", needs_reason=True),
        Action("resume", "Reprendre", S.IN_HAND, (S.SUSPENDED, S.DISPUTED), "approve_invoices"),
        Action("refuse", "Refuser", S.REFUSED, OPEN + (S.DISPUTED, S.SUSPENDED), "approve_invoices",
               needs_reason=True, confirm="Refuser cette facture ? Le fournisseur devra en émettre une nouvelle."),
        Action("pay", "Marquer payée", S.PAID, (S.APPROVED, S.PARTIALLY_APPROVED, S.PARTIALLY_PAID), "pay_invoices",
               confirm="Le paiement de cette facture a-t-il bien été transmis ?"),
    )
}
APPROVALS = ("approve", "approve_partially")


class TransitionRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def available_actions(status, rights):
    """Actions open from `status` to a user holding `rights` (the list and the detail page ask this)."""
    status = InvoiceStatus(status)
    return [action for action in ACTIONS.values() if status in action.sources and action.right in rights]


def check_transition(action_name, status, rights, reason, discrepancies, override_reason=""):
    """Raise TransitionRefused unless the action is allowed; approving with discrepancies needs an override."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise TransitionRefused("Action inconnue.")
    status = InvoiceStatus(status)
    if action.right not in rights:
        raise TransitionRefused("Vous n'avez pas le droit de faire cette action sur les factures de cette boutique.")
    if status not in action.sources:
        raise TransitionRefused(f"Impossible de « {action.label.lower()} » une facture « {status.label} ».")
    if action.needs_reason and not (reason or "").strip():
        raise TransitionRefused("Indiquez le motif : il sera visible dans l'historique et transmis au fournisseur.")
    if action_name in APPROVALS and discrepancies and not (override_reason or "").strip():
        raise TransitionRefused(f"Cette facture présente {discrepancies} écart(s) avec la commande : "
                                "pour l'approuver quand même, justifiez le dépassement.")
    return action


STATUS_TONES = {
    S.RECEIVED: "info", S.IN_HAND: "warn", S.APPROVED: "ok", S.PARTIALLY_APPROVED: "ok", S.DISPUTED: "danger",
    S.SUSPENDED: "warn", S.REFUSED: "muted", S.PARTIALLY_PAID: "info", S.PAID: "ok",
}
