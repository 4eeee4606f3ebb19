"""Reception rules of a purchase order (AP-DN-1, AP-MATCH-1), in plain Python: its reception state,
the lines delivered beyond what was ordered, and whether a delivery note may still be corrected."""
from dataclasses import dataclass

# An invoice decided on in one of these statuses was matched against the receptions as they stood:
# the delivery notes it relied on are then frozen.
MATCHED_STATUSES = ("APPROVED", "PARTIALLY_APPROVED", "PARTIALLY_PAID", "PAID")


@dataclass(frozen=True)
class OverDelivery:
    line_id: int
    ordered_milli: int
    received_milli: int

    @property
    def excess_milli(self):
        return self.received_milli - self.ordered_milli


def over_deliveries(ordered, received):
    """Lines received beyond the quantity ordered, from {line id: ordered} and {line id: received}."""
    return [OverDelivery(line_id, quantity, received[line_id]) for line_id, quantity in ordered.items()
            if received.get(line_id, 0) > quantity]


def reception_status(ordered, received):
    """NOT_RECEIVED, PARTIALLY_RECEIVED, RECEIVED, or OVER_RECEIVED when a line came beyond its order."""
    if not any(received.values()):
        return "NOT_RECEIVED"
    if over_deliveries(ordered, received):
        return "OVER_RECEIVED"
    if all(received.get(line_id, 0) >= quantity for line_id, quantity in ordered.items()):
        return "RECEIVED"
    return "PARTIALLY_RECEIVED"


def note_is_locked(note_line_ids, invoices):
    """A delivery note can be corrected or deleted until an invoice is matched against it: an invoice of
    the order approved or paid that bills one of the note's lines, or bills without lines (matched on
    the totals of everything received). `invoices`: [(status, {order line ids it bills} or None when it
    has no lines)]."""
    note_line_ids = set(note_line_ids)
    return any(status in MATCHED_STATUSES and (billed is None or bool(billed & note_line_ids))
               for status, billed in invoices)
