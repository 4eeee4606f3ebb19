"""Three-way matching (AP-MATCH-1): invoice against purchase order against what was received,
line by line, on quantity, unit price and totals, with the merchant's tolerances. Plain Python;
labels are Texts translated by the page."""
from dataclasses import dataclass

from portal.invoices.texts import N_, Text
from portal.purchasing.amounts import line_net

PRICE_MODES = ("pct", "amount", "both")


@dataclass(frozen=True)
class Tolerances:
    """The merchant's choice: a price is checked in percent of the ordered unit price, in amount per
    line (the line's net at the invoiced price against the same quantity at the ordered price), or
    both — then exceeding either one flags the line. Totals are checked the same way."""

    quantity_pct: int = 0      # basis points of the expected quantity (0 = exact)
    price_pct: int = 200       # basis points of the ordered unit price (2 %)
    amount_abs: int = 100      # minor units of difference tolerated on a line's (and the total's) amount
    price_mode: str = "pct"    # one of PRICE_MODES

    def to_dict(self):
        return {"quantity_pct": self.quantity_pct, "price_pct": self.price_pct, "amount_abs": self.amount_abs,
                "price_mode": self.price_mode}

    @classmethod
    def from_dict(cls, data):
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        if known.get("price_mode") not in PRICE_MODES:
            known.pop("price_mode", None)
        return cls(**known)


@dataclass(frozen=True)
class OrderedLine:
    id: int
    position: int
    description: str
    quantity_milli: int
    unit_price: int
    received_milli: int
    invoiced_before_milli: int = 0  # by other invoices of the same order (not refused)


@dataclass(frozen=True)
class InvoicedLine:
    position: int
    description: str
    quantity_milli: int
    unit_price: int
    net_amount: int
    order_line_id: int | None = None


@dataclass(frozen=True)
class Discrepancy:
    kind: str       # quantity_received, quantity_ordered, unit_price, total, unknown_line
    line: int | None  # invoice line position, None for totals
    label: str
    invoiced: object
    expected: object
    unit: str       # "quantity" or "money"

    @property
    def difference(self):
        return self.invoiced - self.expected

    @property
    def difference_bp(self):
        """Signed difference in basis points of the expected value (19,50 for 18,50 -> +541), None from zero."""
        if not self.expected:
            return None
        quotient, remainder = divmod(abs(self.difference) * 10000, abs(self.expected))
        rounded = quotient + (1 if 2 * remainder >= abs(self.expected) else 0)
        return rounded if self.difference >= 0 else -rounded


def _within_pct(actual, expected, pct_bp):
    return abs(actual - expected) * 10000 <= abs(expected) * pct_bp


def _price_ok(actual, expected, tolerances, amount_difference=None):
    """Within the merchant's price tolerance; `amount_difference` is what the gap costs on the line."""
    in_pct = _within_pct(actual, expected, tolerances.price_pct)
    in_amount = abs(actual - expected if amount_difference is None else amount_difference) <= tolerances.amount_abs
    if tolerances.price_mode == "amount":
        return in_amount
    if tolerances.price_mode == "both":
        return in_pct and in_amount
    return in_pct


def pair_lines(invoiced, ordered):
    """Invoice line -> order line: an explicit link, else the same description, else the same position."""
    by_id = {line.id: line for line in ordered}
    free = dict(by_id)
    pairs = []
    for line in invoiced:
        match = by_id.get(line.order_line_id)
        if match is None:
            match = next((o for o in free.values() if o.description.strip().lower() == line.description.strip().lower()),
                         None)
        if match is None:
            match = next((o for o in free.values() if o.position == line.position), None)
        if match is not None:
            free.pop(match.id, None)
        pairs.append((line, match))
    return pairs


def match_invoice(invoiced, ordered, invoice_net, tolerances: Tolerances):
    """Every discrepancy between an invoice and its order; an empty list means it matches."""
    found = []
    if not invoiced:  # an invoice without lines (Factur-X MINIMUM, BASIC WL): totals only
        expected = sum(line_net(o.received_milli, o.unit_price) for o in ordered)
        if not _price_ok(invoice_net, expected, tolerances):
            found.append(Discrepancy("total", None, Text(N_("Total HT facturé ≠ valeur reçue au prix commandé")),
                                     invoice_net, expected, "money"))
        return found
    expected_total = 0
    for line, order_line in pair_lines(invoiced, ordered):
        if order_line is None:
            found.append(Discrepancy("unknown_line", line.position,
                                     Text(N_("« %(line)s » n'est pas au bon de commande"), line=line.description),
                                     line.net_amount, 0, "money"))
            continue
        cumulated = order_line.invoiced_before_milli + line.quantity_milli
        # Invoicing less than received is a partial invoice, not a discrepancy; more is one.
        if cumulated > order_line.received_milli \
                and not _within_pct(cumulated, order_line.received_milli, tolerances.quantity_pct):
            label = (N_("Quantité facturée (cumulée) supérieure à la quantité reçue — %(line)s")
                     if order_line.invoiced_before_milli else
                     N_("Quantité facturée supérieure à la quantité reçue — %(line)s"))
            found.append(Discrepancy("quantity_received", line.position, Text(label, line=line.description),
                                     cumulated, order_line.received_milli, "quantity"))
        if cumulated > order_line.quantity_milli \
                and not _within_pct(cumulated, order_line.quantity_milli, tolerances.quantity_pct):
            found.append(Discrepancy("quantity_ordered", line.position,
                                     Text(N_("Quantité facturée au-delà de la commande — %(line)s"),
                                          line=line.description),
                                     cumulated, order_line.quantity_milli, "quantity"))
        line_gap = line_net(line.quantity_milli, line.unit_price) - line_net(line.quantity_milli, order_line.unit_price)
        if not _price_ok(line.unit_price, order_line.unit_price, tolerances, line_gap):
            found.append(Discrepancy("unit_price", line.position,
                                     Text(N_("Prix unitaire ≠ prix commandé — %(line)s"), line=line.description),
                                     line.unit_price, order_line.unit_price, "money"))
        expected_total += line_net(line.quantity_milli, order_line.unit_price)
    if not _price_ok(invoice_net, expected_total, tolerances):
        found.append(Discrepancy("total", None, Text(N_("Total HT facturé ≠ quantités facturées au prix commandé")),
                                 invoice_net, expected_total, "money"))
    return found
