"""Where the cash-flow timeline starts from (AP-CASH-1), in plain Python.

An opening balance is the balance of a bank account at the START of its day, before that day's
movements (what the statement shows the evening before). Realised movements dated on or after
that day and up to today — card remittances and refunds sent to the bank, unpaids, supplier
payments — carry it to today's balance; movements dated before it are already inside it and are
never counted again. Everything still to come (invoices left to pay, card payments not yet sent,
refunds to send, supplier payments dated after today) is the forecast, which starts from today's
balance. A shop's flows reach the first account entered for that shop; a later account of the
same shop keeps its balance; shops without an account start from zero."""
import datetime
from dataclasses import dataclass, field

from portal.reports.timeline import build_timeline

# Oldest opening day accepted: far enough for any statement a merchant still has.
EARLIEST_OPENING = datetime.date(2000, 1, 1)


class OpeningDateError(ValueError):
    """An opening day that cannot be a bank balance's day; `reason` is "future" or "too_old"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def check_opening_date(day, today):
    """An opening balance is a known balance: its day is today or earlier."""
    if day > today:
        raise OpeningDateError("future")
    if day < EARLIEST_OPENING:
        raise OpeningDateError("too_old")
    return day


@dataclass(frozen=True)
class Flow:
    """Money of one shop on one day, in minor units: positive comes in, negative goes out."""

    shop_id: int
    day: datetime.date
    amount: int


def realised_since(opening_date, today, shop_id, movements):
    """Net of the realised movements of `shop_id` dated from the opening day to today, both included."""
    return sum(m.amount for m in movements if m.shop_id == shop_id and opening_date <= m.day <= today)


@dataclass
class AccountPosition:
    """One account on the cash-flow page: its opening, the movements since, its timeline."""

    account: object  # id, shop_id, label, iban, opening_balance, opening_date
    carries_flows: bool  # the shop's first account: its remittances and payments land here
    since_opening: int = 0
    rows: list = field(default_factory=list)

    @property
    def today_balance(self):
        return self.account.opening_balance + self.since_opening

    @property
    def end_balance(self):
        return self.rows[-1].cumulated if self.rows else self.today_balance

    @property
    def lowest_balance(self):
        return min([self.today_balance] + [row.cumulated for row in self.rows])


@dataclass
class Position:
    accounts: list  # [AccountPosition]
    unbanked: list  # timeline of the shops without an account (from zero), or [] when none
    unbanked_shop_ids: list
    rows: list  # the total timeline

    @property
    def today_balance(self):
        return sum(a.today_balance for a in self.accounts)


def carriers(accounts):
    """{shop_id: account id} of the account that carries each shop's flows: its first one."""
    chosen = {}
    for account in sorted(accounts, key=lambda a: a.id):
        chosen.setdefault(account.shop_id, account.id)
    return chosen


def cash_position(accounts, shop_ids, realised, inflows, outflows, today, count, period):
    """Per-account and total timelines. `realised`: [Flow] of past movements; `inflows` and
    `outflows`: [Flow] of the forecast (amounts positive). Totals are sums of the accounts and the
    shops without an account, so that each flow is counted once."""
    carrier_of = carriers(accounts)
    positions = []
    for account in sorted(accounts, key=lambda a: (a.label.casefold(), a.id)):
        carries = carrier_of[account.shop_id] == account.id
        position = AccountPosition(account, carries)
        if carries:
            position.since_opening = realised_since(account.opening_date, today, account.shop_id, realised)
        shops = {account.shop_id} if carries else set()
        position.rows = _timeline(shops, inflows, outflows, today, count, period, position.today_balance)
        positions.append(position)
    unbanked_ids = [shop_id for shop_id in shop_ids if shop_id not in carrier_of]
    unbanked = _timeline(set(unbanked_ids), inflows, outflows, today, count, period, 0) if unbanked_ids else []
    opening = sum(p.today_balance for p in positions)
    total = _timeline(set(shop_ids) | set(carrier_of), inflows, outflows, today, count, period, opening)
    return Position(positions, unbanked, unbanked_ids, total)


def _timeline(shops, inflows, outflows, today, count, period, opening):
    return build_timeline(today, count, period,
                          [(f.day, f.amount) for f in inflows if f.shop_id in shops],
                          [(f.day, f.amount) for f in outflows if f.shop_id in shops], opening=opening)
