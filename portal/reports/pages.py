"""What the report pages show (AP-CASH-1, AP-REP-1): the cash-flow page's facts in a constant
number of queries (sums per shop and day, never a row per invoice), and the words for the codes
the spend export writes (LOC-3)."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.reports import data
from portal.reports.accounts import accounts_of
from portal.reports.cashflow import Flow, cash_position
from portal.reports.timeline import NARROW, WIDE, chart_geometry

PERIODS = {"week": (_l("Semaines"), 13), "month": (_l("Mois"), 12)}
OVERDUE_SHOWN = 20  # the most overdue; the count and the total cover them all

KIND_LABELS = {"INVOICE": _l("Facture"), "CREDIT_NOTE": _l("Avoir"), "DEPOSIT": _l("Facture d'acompte")}
STATUS_LABELS = {
    "RECEIVED": _l("Reçue (déposée)"), "IN_HAND": _l("Prise en charge — à approuver"),
    "APPROVED": _l("Approuvée"), "PARTIALLY_APPROVED": _l("Approuvée partiellement"),
    "DISPUTED": _l("En litige"), "SUSPENDED": _l("Suspendue"), "REFUSED": _l("Refusée"),
    "PARTIALLY_PAID": _l("Payée partiellement"), "PAID": _l("Paiement transmis"),
}


def label_of(labels, code):
    """The words for a code; an unknown code (a newer status) is named as such, never shown raw."""
    return str(labels[code]) if code in labels else str(_l("Autre"))


@dataclass
class CashflowFacts:
    position: object  # cashflow.Position
    charts: dict  # {"wide": geometry, "narrow": geometry}
    overdue: list
    overdue_totals: tuple
    today: object
    period: str
    currency: str


def cashflow_facts(shop_ids, card_shop_ids, today, period, include_to_validate, currency="EUR"):
    """Everything the cash-flow page draws. `shop_ids`: the shops whose payables and bank accounts
    the user sees; `card_shop_ids`: those whose card payments she sees."""
    count = PERIODS[period][1]
    accounts = accounts_of(shop_ids, currency)
    since = min((account.opening_date for account in accounts), default=None)
    realised = data.realised_by_day(shop_ids, card_shop_ids, currency, since, today) if since else []
    inflows = data.remittances_by_day(card_shop_ids, currency, include_to_validate)
    payables = data.payables_per_day(shop_ids, currency, today)
    outflows = ([Flow(shop_id, day, total) for shop_id, day, total, _count in payables]
                + data.scheduled_payments_by_day(shop_ids, currency, today) + data.refunds_by_day(card_shop_ids, currency))
    # The overdue totals come from the same sums: no second pass over the invoices.
    overdue_totals = (sum(count for _shop, day, _total, count in payables if day < today),
                      sum(total for _shop, day, total, _count in payables if day < today))
    every_shop = sorted(set(shop_ids) | set(card_shop_ids))
    position = cash_position(accounts, every_shop, realised, inflows, outflows, today, count, period)
    charts = {name: chart_geometry(position.rows, today, period, size) for name, size in (("wide", WIDE), ("narrow", NARROW))}
    return CashflowFacts(position, charts, data.overdue(shop_ids, currency, today, limit=OVERDUE_SHOWN),
                         overdue_totals, today, period, currency)
