"""What the home page shows each user, by their rights: today's card payments, invoices waiting for
approval, supplier payments due this week, the cash position. Plain Python over the functions of
the payments dashboard and of the reports; a fixed number of aggregate queries per panel."""
import datetime
from dataclasses import dataclass

from peewee import fn

from models import Invoice
from portal.auth.rights import PAYABLES_RIGHTS, shops_with_any_right, shops_with_right
from portal.invoices.lifecycle import InvoiceStatus
from portal.payments import dashboard
from portal.reports import data
from portal.reports.pages import cashflow_facts

CASH_WEEKS = 4


@dataclass
class CashPosition:
    today_balance: int  # the bank accounts' balance today (0 without an account)
    has_accounts: bool
    weeks: list  # timeline rows of the coming weeks: inflow, outflow, cumulated

    @property
    def projected(self):
        return self.weeks[-1].cumulated if self.weeks else self.today_balance


@dataclass
class HomePanels:
    payments: object = None  # dashboard.DayFigures of today, for users with `view`
    payment_shops: list = None
    to_approve: dict = None  # {status: count} of invoices waiting for approval
    due_this_week: tuple = None  # (count, outstanding) due by Sunday, overdue included
    overdue: tuple = None  # (count, outstanding) already overdue
    cash: object = None  # CashPosition
    currency: str = "EUR"

    @property
    def empty(self):
        return all(value is None for value in (self.payments, self.to_approve, self.due_this_week, self.cash))


def end_of_week(today):
    """The Sunday of today's week."""
    return today + datetime.timedelta(days=6 - today.weekday())


def invoices_to_approve(shop_ids):
    """{status: count} of the invoices received or taken in hand, waiting for an approval: one GROUP BY."""
    open_statuses = [InvoiceStatus.RECEIVED, InvoiceStatus.IN_HAND]
    rows = (Invoice.select(Invoice.status, fn.COUNT(Invoice.id)).where(Invoice.shop.in_(shop_ids)
                                                                      & Invoice.status.in_(open_statuses))
            .group_by(Invoice.status).tuples())
    counts = {status: 0 for status in open_statuses}
    counts.update({status: count for status, count in rows})
    return counts


def home_panels(user, today, timezone, currency="EUR"):
    panels = HomePanels(currency=currency)
    card_shops = shops_with_right(user, "view")
    if card_shops:
        panels.payment_shops = card_shops
        panels.currency = currency = card_shops[0].currency
        panels.payments = dashboard.day_figures([s.id for s in card_shops], today, currency, timezone)
    approvers = shops_with_right(user, "approve_invoices")
    if approvers:
        panels.to_approve = invoices_to_approve([s.id for s in approvers])
    payers = shops_with_right(user, "pay_invoices")
    if payers:
        ids = [s.id for s in payers]
        panels.due_this_week = data.overdue_totals(ids, currency, end_of_week(today) + datetime.timedelta(days=1))
        panels.overdue = data.overdue_totals(ids, currency, today)
    payables_shops = shops_with_any_right(user, PAYABLES_RIGHTS)
    if payables_shops:
        # The cash-flow page's own facts (bank balances, card remittances to come, payables), by week.
        facts = cashflow_facts([s.id for s in payables_shops], [s.id for s in card_shops], today, "week", False,
                               currency)
        panels.cash = CashPosition(facts.position.today_balance, bool(facts.position.accounts),
                                   facts.position.rows[:CASH_WEEKS])
    return panels
