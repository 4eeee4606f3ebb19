"""The payments dashboard's figures (PAY-DASH-1) and its charts' geometry, in plain Python and peewee.

For one merchant day D (the shop's time zone, today back to 60 days), one currency (no conversion)
and the shops the user may view, over the transactions *created* on D — the same set as the
transaction list filtered on that date, so that every figure opens the list that explains it:

- accepted: transactions whose authorisation was accepted (response code 00); count and amount
  at acceptance (the authorised amount: a later validation, cancel or refund does not change it).
  A payment whose authorisation is deferred (long capture delay, instalments) is counted once
  its authorisation is accepted, on the day it was created.
- refused: refused at authorisation (states REFUSED and FRAUD_SUSPECTED) or at remittance
  (CAPTURE_REFUSED: accepted first, so also counted in accepted); count and amount.
- remitted: transactions with a capture the bank accepted; count, and the amount actually
  remitted (the sum of those captures, lower than accepted after a partial validation or cancel).
- not remitted: count = accepted − remitted − rejected (accepted transactions that will never be
  remitted: capture refused, expired, cancelled entirely), i.e. those still waiting to go to the
  bank; amount = accepted amount − remitted amount (only what was remitted lowers it).
- average basket: accepted amount / accepted count (rounded to the minor unit), none when no
  payment was accepted.

Each figure costs a fixed number of GROUP BY queries, whatever the number of transactions."""
import datetime
import zoneinfo
from dataclasses import dataclass, field

from peewee import Case, fn

from models import Operation, Transaction
from portal.database import is_postgres, unindexed
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState as State

HISTORY_DAYS = 60
ACCEPTED_CODE = "00"
REFUSED_AT_AUTHORISATION = (State.REFUSED, State.FRAUD_SUSPECTED)
REFUSED_AT_REMITTANCE = (State.CAPTURE_REFUSED,)
REMITTED = (State.CAPTURED, State.TO_CREDIT, State.CREDITED, State.UNPAID)
# Accepted, then closed without going to the bank: the "rejections" that lower the not-remitted count.
CLOSED_UNREMITTED = (State.CAPTURE_REFUSED, State.EXPIRED, State.CANCELLED)
WAITING = (State.TO_VALIDATE, State.TO_VALIDATE_NO_AUTH, State.TO_AUTHORIZE, State.TO_CAPTURE)
# The states the transaction list is filtered on for each figure (its `etat` parameter).
ACCEPTED_STATES = (State.TO_VALIDATE, State.TO_CAPTURE) + REMITTED + CLOSED_UNREMITTED
LIST_STATES = {
    "accepted": ACCEPTED_STATES,
    "refused": REFUSED_AT_AUTHORISATION + REFUSED_AT_REMITTANCE,
    "refused_authorisation": REFUSED_AT_AUTHORISATION,
    "refused_remittance": REFUSED_AT_REMITTANCE,
    "remitted": REMITTED,
    "not_remitted": (State.TO_VALIDATE, State.TO_CAPTURE),
}


class DayOutOfRange(ValueError):
    """A day the dashboard does not show (in the future, or more than 60 days back)."""

    def __init__(self, reason, first, last):
        super().__init__(reason)
        self.reason, self.first, self.last = reason, first, last  # "future" or "too_old"


def check_day(day: datetime.date, today: datetime.date):
    first = today - datetime.timedelta(days=HISTORY_DAYS)
    if day > today:
        raise DayOutOfRange("future", first, today)
    if day < first:
        raise DayOutOfRange("too_old", first, today)
    return day


@dataclass(frozen=True)
class Figure:
    count: int = 0
    amount: int = 0

    def __add__(self, other):
        return Figure(self.count + other.count, self.amount + other.amount)


@dataclass
class DayFigures:
    day: datetime.date
    currency: str
    accepted: Figure = Figure()
    refused_authorisation: Figure = Figure()
    refused_remittance: Figure = Figure()
    remitted: Figure = Figure()
    rejected: Figure = Figure()  # accepted, closed without remittance
    currencies: list = field(default_factory=list)  # currencies with transactions that day
    networks: list = field(default_factory=list)  # [(network, count, amount)] of accepted payments
    reasons: list = field(default_factory=list)  # [(stage, response code, count, amount)] of refusals

    @property
    def refused(self):
        return self.refused_authorisation + self.refused_remittance

    @property
    def not_remitted(self):
        return Figure(self.accepted.count - self.remitted.count - self.rejected.count,
                      self.accepted.amount - self.remitted.amount)

    @property
    def average_basket(self):
        if not self.accepted.count:
            return None
        return (self.accepted.amount * 2 + self.accepted.count) // (2 * self.accepted.count)  # half up

    @property
    def empty(self):
        return not (self.accepted.count or self.refused.count)


def utc_bounds(first_day, last_day, timezone):
    """[start, end) in naive UTC of the merchant days first_day..last_day."""
    zone = zoneinfo.ZoneInfo(timezone)

    def utc(day):
        local = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        return local.astimezone(datetime.UTC).replace(tzinfo=None)

    return utc(first_day), utc(last_day + datetime.timedelta(days=1))


def _created_between(shop_ids, first_day, last_day, timezone):
    start, end = utc_bounds(first_day, last_day, timezone)
    return Transaction.shop.in_(shop_ids) & (Transaction.created_at >= start) & (Transaction.created_at < end)


def day_figures(shop_ids, day, currency, timezone) -> DayFigures:
    """PAY-DASH-1 for one day: two GROUP BY queries (transactions by currency, state, response code
    and network; captures by outcome and response code)."""
    figures = DayFigures(day, currency)
    if not shop_ids:
        return figures
    where = _created_between(shop_ids, day, day, timezone)
    rows = (Transaction.select(Transaction.currency, Transaction.state, Transaction.response_code, Transaction.network,
                               fn.COUNT(Transaction.id), fn.SUM(Transaction.amount))
            .where(where)
            .group_by(Transaction.currency, Transaction.state, Transaction.response_code, Transaction.network)
            .tuples())
    currencies, networks, reasons = set(), {}, {}
    for row_currency, state, code, network, count, amount in rows:
        currencies.add(row_currency)
        if row_currency != currency:
            continue
        figure = Figure(count, int(amount or 0))
        if code == ACCEPTED_CODE:
            figures.accepted += figure
            networks[network] = networks.get(network, Figure()) + figure
            if state in CLOSED_UNREMITTED:
                figures.rejected += figure
        if state in REFUSED_AT_AUTHORISATION:
            figures.refused_authorisation += figure
            reasons[("authorisation", code)] = reasons.get(("authorisation", code), Figure()) + figure
        elif state in REFUSED_AT_REMITTANCE:
            figures.refused_remittance += figure
    # From the day's transactions to their operations: on the kind's index, SQLite would walk every
    # capture ever made (1 s at a million transactions, against 2 ms).
    captures = (Operation.select(Operation.succeeded, Operation.response_code,
                                 fn.COUNT(fn.DISTINCT(Operation.transaction)), fn.SUM(Operation.amount))
                .join(Transaction)
                .where(where & (Transaction.currency == currency) & (unindexed(Operation.kind) == Kind.CAPTURE))
                .group_by(Operation.succeeded, Operation.response_code).tuples())
    for succeeded, code, count, amount in captures:
        if succeeded:
            figures.remitted += Figure(count, int(amount or 0))
        else:
            reasons[("remittance", code)] = reasons.get(("remittance", code), Figure()) + Figure(count, int(amount or 0))
    figures.currencies = sorted(currencies | {currency})
    figures.networks = sorted(((name, f.count, f.amount) for name, f in networks.items()), key=lambda n: (-n[2], n[0]))
    figures.reasons = sorted(((stage, code, f.count, f.amount) for (stage, code), f in reasons.items()),
                             key=lambda r: (-r[2], r[0], r[1]))
    return figures


@dataclass(frozen=True)
class DayPoint:
    day: datetime.date
    accepted: Figure
    refused: Figure


def daily_series(shop_ids, last_day, currency, timezone, days=HISTORY_DAYS + 1):
    """Accepted and refused per merchant day over `days` days ending on `last_day`: one query
    grouped by UTC hour (every offset of a merchant's time zone is whole hours here), the hours
    then folded into local days."""
    first_day = last_day - datetime.timedelta(days=days - 1)
    points = {first_day + datetime.timedelta(days=n): [Figure(), Figure()] for n in range(days)}
    if not shop_ids:
        return [DayPoint(day, *pair) for day, pair in points.items()]
    hour = (fn.to_char(Transaction.created_at, "YYYY-MM-DD HH24") if is_postgres()
            else fn.substr(Transaction.created_at, 1, 13)).coerce(False)  # text, not a datetime
    accepted = Transaction.response_code == ACCEPTED_CODE
    refused = Transaction.state.in_(list(REFUSED_AT_AUTHORISATION + REFUSED_AT_REMITTANCE))
    rows = (Transaction.select(hour.alias("hour"),
                               fn.SUM(Case(None, [(accepted, 1)], 0)), fn.SUM(Case(None, [(accepted, Transaction.amount)], 0)),
                               fn.SUM(Case(None, [(refused, 1)], 0)), fn.SUM(Case(None, [(refused, Transaction.amount)], 0)))
            .where(_created_between(shop_ids, first_day, last_day, timezone) & (Transaction.currency == currency))
            .group_by(hour).tuples())
    zone = zoneinfo.ZoneInfo(timezone)
    for key, accepted_n, accepted_amount, refused_n, refused_amount in rows:
        utc = datetime.datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=datetime.UTC)
        pair = points.get(utc.astimezone(zone).date())
        if pair is not None:
            pair[0] += Figure(int(accepted_n or 0), int(accepted_amount or 0))
            pair[1] += Figure(int(refused_n or 0), int(refused_amount or 0))
    return [DayPoint(day, *pair) for day, pair in points.items()]


# --- Charts: geometry only, the SVG is drawn by the templates ----------------------------------------


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    kind: str
    day: datetime.date | None = None
    value: int = 0


def nice_ceiling(value):
    """A round top for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return int(step * power) if step * power >= 1 else 1
    return power * 10


def series_chart(points, measure="amount", width=960, height=280, left=78, right=12, top=14, bottom=40, ticks=4,
                 label_every=7):
    """Grouped bars (accepted, refused) per day with a labelled value axis: `measure` is "amount"
    (minor units) or "count"; a date under every `label_every`-th day, the last one always."""
    def value(figure):
        return figure.amount if measure == "amount" else figure.count

    top_value = nice_ceiling(max([max(value(p.accepted), value(p.refused)) for p in points] + [0]))
    plot_height = height - top - bottom
    slot = (width - left - right) / max(len(points), 1)
    baseline = top + plot_height
    bars = []
    for position, point in enumerate(points):
        x = left + position * slot
        for offset, kind, figure in ((0.1, "accepted", point.accepted), (0.5, "refused", point.refused)):
            size = plot_height * value(figure) / top_value
            bars.append(Rect(x + slot * offset, baseline - size, slot * 0.4, size, kind, point.day, value(figure)))
    axis_ticks = [(top + plot_height - plot_height * n / ticks, top_value * n // ticks) for n in range(ticks + 1)]
    labels = [(left + position * slot + slot / 2, point.day) for position, point in enumerate(points)
              if (len(points) - 1 - position) % label_every == 0]
    return {"bars": bars, "ticks": axis_ticks, "labels": labels, "width": width, "height": height, "left": left,
            "right": right, "top": top, "baseline": baseline, "slot": slot, "measure": measure, "top_value": top_value}


NARROW = {"width": 380, "height": 300, "left": 70, "right": 20, "label_every": 15}  # a phone's width, drawn 1:1


def share_bars(items, by="amount", width=440, row_height=40, value_width=60):
    """Horizontal bars for [(label, count, amount)] sized on `by` ("amount" or "count"), each under
    its label (labels may be long: a refusal reason), with its share of the total in %."""
    def value(item):
        return item[2] if by == "amount" else item[1]

    total = sum(value(item) for item in items) or 1
    largest = max([value(item) for item in items] + [1])
    room = width - value_width
    rows = []
    for position, item in enumerate(items):
        label, count, amount = item
        rows.append({"label": label, "count": count, "amount": amount, "y": position * row_height,
                     "width": max(room * value(item) / largest, 1 if value(item) else 0),
                     "percent": round(100 * value(item) / total)})
    return {"rows": rows, "width": width, "height": max(len(items), 1) * row_height, "row_height": row_height}
