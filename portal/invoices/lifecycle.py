"""Invoice statuses aligned with the French e-invoicing reform's lifecycle, and the transitions a
user may make (AP-FLOW-1). Plain Python: which action, from which status, needing which right.
Labels are French templates marked N_(): pages translate them (LOC-3)."""
import enum
from dataclasses import dataclass

from portal.invoices.texts import N_, Text


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
    InvoiceStatus.RECEIVED: N_("Reçue (déposée)"),
    InvoiceStatus.IN_HAND: N_("Prise en charge — à approuver"),
    InvoiceStatus.APPROVED: N_("Approuvée"),
    InvoiceStatus.PARTIALLY_APPROVED: N_("Approuvée partiellement"),
    InvoiceStatus.DISPUTED: N_("En litige"),
    InvoiceStatus.SUSPENDED: N_("Suspendue"),
    InvoiceStatus.REFUSED: N_("Refusée"),
    InvoiceStatus.PARTIALLY_PAID: N_("Payée partiellement"),
    InvoiceStatus.PAID: N_("Paiement transmis"),
}
REFORM_CODES = {
    InvoiceStatus.RECEIVED: "202", InvoiceStatus.IN_HAND: "204", InvoiceStatus.APPROVED: "205",
    InvoiceStatus.PARTIALLY_APPROVED: "206", InvoiceStatus.DISPUTED: "207", InvoiceStatus.SUSPENDED: "208",
    InvoiceStatus.REFUSED: "210", InvoiceStatus.PARTIALLY_PAID: "211", InvoiceStatus.PAID: "211",
}
S = InvoiceStatus
OPEN = (S.RECEIVED, S.IN_HAND)
# Once an invoice is approved or paid, its discrepancies with the order were dealt with.
SETTLED = (S.APPROVED, S.PARTIALLY_APPROVED, S.PARTIALLY_PAID, S.PAID)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    to: InvoiceStatus
    sources: tuple
    right: str
    needs_reason: bool = False
    confirm: str = ""
    keeps_status: bool = False  # a decision recorded in the history without moving the invoice
    by_payments: bool = False  # reached when the recorded payments cover the invoice, never by hand


ACTIONS = {
    action.name: action for action in (
        Action("take", N_("Prendre en charge"), S.IN_HAND, (S.RECEIVED,), "approve_invoices"),
        # AP-INV-3: an e-invoice read although it fails its XSD is accepted as it is (or refused).
        Action("accept_schema", N_("Accepter malgré la non-conformité"), None, OPEN + (S.DISPUTED, S.SUSPENDED),
               "approve_invoices", keeps_status=True),
        Action("approve", N_("Approuver"), S.APPROVED, OPEN + (S.DISPUTED,), "approve_invoices"),
        Action("approve_partially", N_("Approuver partiellement"), S.PARTIALLY_APPROVED, OPEN + (S.DISPUTED,),
               "approve_invoices", needs_reason=True),
        Action("dispute", N_("Mettre en litige"), S.DISPUTED, OPEN, "approve_invoices", needs_reason=True),
        Action("suspend", N_("Suspendre"), S.SUSPENDED, OPEN + (S.DISPUTED,), "approve_invoices", needs_reason=True),
        Action("resume", N_("Reprendre"), S.IN_HAND, (S.SUSPENDED, S.DISPUTED), "approve_invoices"),
        Action("refuse", N_("Refuser"), S.REFUSED, OPEN + (S.DISPUTED, S.SUSPENDED), "approve_invoices",
               needs_reason=True, confirm=N_("Refuser cette facture ? Le fournisseur devra en émettre une nouvelle.")),
        Action("pay", N_("Marquer payée"), S.PAID, (S.APPROVED, S.PARTIALLY_APPROVED, S.PARTIALLY_PAID),
               "pay_invoices", by_payments=True),
    )
}
APPROVALS = ("approve", "approve_partially")


class TransitionRefused(Exception):
    """`message` is a Text (translated by the page); str() is its French."""

    def __init__(self, template, **params):
        self.message = Text(template, **params)
        super().__init__(str(self.message))


def available_actions(status, rights, schema_pending=False):
    """Actions open from `status` to a user holding `rights` (the list and the detail page ask this);
    `schema_pending`: a non-conforming e-invoice not yet accepted, which cannot be approved before."""
    status = InvoiceStatus(status)
    found = [action for action in ACTIONS.values()
             if status in action.sources and action.right in rights and not action.by_payments]
    if schema_pending:
        return [action for action in found if action.name not in APPROVALS]
    return [action for action in found if action.name != "accept_schema"]


def check_transition(action_name, status, rights, reason, discrepancies, override_reason="", schema_pending=False):
    """Raise TransitionRefused unless the action is allowed; approving with discrepancies needs an override,
    approving a non-conforming e-invoice needs it accepted first."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise TransitionRefused(N_("Action inconnue."))
    status = InvoiceStatus(status)
    if action.right not in rights:
        raise TransitionRefused(N_("Vous n'avez pas le droit de faire cette action sur les factures de cette boutique."))
    if action.by_payments:  # a status without the money would let a deposit be deducted that nobody paid
        raise TransitionRefused(N_("Une facture devient « Payée » quand les paiements enregistrés la couvrent : "
                                   "enregistrez le paiement dans le panneau Règlements."))
    if status not in action.sources:
        raise TransitionRefused(N_("Impossible de « %(action)s » une facture « %(status)s »."),
                                action=Text(action.label), status=Text(status.label))
    if action_name == "accept_schema" and not schema_pending:
        raise TransitionRefused(N_("Cette facture est conforme à son schéma ou a déjà été acceptée."))
    if action.needs_reason and not (reason or "").strip():
        raise TransitionRefused(N_("Indiquez le motif : il sera visible dans l'historique et transmis au fournisseur."))
    if action_name in APPROVALS and schema_pending:
        raise TransitionRefused(N_("Cette facture électronique n'est pas conforme à son schéma XSD : acceptez-la "
                                   "telle quelle ou refusez-la avant de l'approuver."))
    if action_name in APPROVALS and discrepancies and not (override_reason or "").strip():
        raise TransitionRefused(N_("Cette facture présente %(count)s écart(s) avec la commande : "
                                   "pour l'approuver quand même, justifiez le dépassement."), count=discrepancies)
    return action


def discrepancies_resolved(status, override_reason):
    """AP-MATCH-1: discrepancies accepted with a justification, or of an invoice approved, paid or refused,
    are resolved — shown as such, not as an alert."""
    return bool((override_reason or "").strip()) or InvoiceStatus(status) in SETTLED + (S.REFUSED,)


STATUS_TONES = {
    S.RECEIVED: "info", S.IN_HAND: "warn", S.APPROVED: "ok", S.PARTIALLY_APPROVED: "ok", S.DISPUTED: "danger",
    S.SUSPENDED: "warn", S.REFUSED: "muted", S.PARTIALLY_PAID: "info", S.PAID: "ok",
}
