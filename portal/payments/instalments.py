"""Payment in instalments (PAY-INST-1, PAY-INST-2): the schedule pre-filled from the form's figures,
the checks of a schedule edited by hand, and the references derived from the base reference.

Plain Python, no Flask, no database: amounts are integers of minor units, days are dates.
Messages are French templates marked with N_() plus their parameters, translated where shown."""
import datetime
from dataclasses import dataclass, field

from portal.payments.lifecycle import add_months

MIN_INSTALMENTS, MAX_INSTALMENTS = 2, 12
MAX_PERIOD_DAYS = 92
# The last instalment is authorised on its date: a schedule never reaches past this horizon.
MAX_SCHEDULE_DAYS = 731
BASE_REFERENCE_MAX = 32  # + "E" + two digits = 35, the reference's size (PAY-NEW-1)
EVERY_N_DAYS, MONTHLY = "DAYS", "MONTHLY"
SCHEDULE_TYPES = (EVERY_N_DAYS, MONTHLY)


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); the page translates it."""
    return text


@dataclass(frozen=True)
class Message:
    """A French template and its parameters: str() is the French text, a page translates it."""

    template: str
    params: dict = field(default_factory=dict)

    def __str__(self):
        return self.template % self.params if self.params else self.template


@dataclass(frozen=True)
class Instalment:
    rank: int  # 1-based
    due_date: datetime.date
    amount: int


def derived_reference(base, rank):
    """The reference of the instalment of `rank`: CMD42 -> CMD42E01, CMD42E02 … (35 characters at most)."""
    return f"{base}E{rank:02d}"


def gateway_schedule(base, instalments):
    """The whole schedule as a gateway that runs it itself takes it (Sips, PAY-INST-1):
    ((reference, due date, amount), ...) by rank, the first included."""
    return tuple((derived_reference(base, item.rank), item.due_date, item.amount)
                 for item in sorted(instalments, key=lambda item: item.rank))


def due_dates(start, count, schedule_type=EVERY_N_DAYS, period_days=30):
    """`count` dates from `start`: every `period_days` days, or the same day each month (clamped to the
    month's end: 31 January, 28 February, 31 March)."""
    if schedule_type == MONTHLY:
        return [add_months(start, n) for n in range(count)]
    return [start + datetime.timedelta(days=n * period_days) for n in range(count)]


def split_amounts(total, count, first_amount=None):
    """Amounts of `count` instalments summing exactly to `total`. Without a first amount, equal shares
    with the odd minor units on the first instalment; with one, the rest shared equally after it
    (odd units again on the earliest). None if the figures cannot make a schedule."""
    if count < 1 or total <= 0:
        return None
    if first_amount is None:
        share, odd = divmod(total, count)
        if share <= 0:
            return None
        return [share + odd] + [share] * (count - 1)
    rest = total - first_amount
    if first_amount <= 0 or (count > 1 and rest <= 0) or (count == 1 and rest != 0):
        return None
    if count == 1:
        return [first_amount]
    share, odd = divmod(rest, count - 1)
    if share <= 0:
        return None
    return [first_amount] + [share + (1 if n < odd else 0) for n in range(count - 1)]


def prefill(total, count, start, schedule_type=EVERY_N_DAYS, period_days=30, first_amount=None):
    """The pre-filled schedule (PAY-INST-2), or None when the figures do not allow one."""
    amounts = split_amounts(total, count, first_amount)
    if amounts is None:
        return None
    return [Instalment(rank, day, amount)
            for rank, (day, amount) in enumerate(zip(due_dates(start, count, schedule_type, period_days), amounts),
                                                 start=1)]


@dataclass
class ScheduleCheck:
    """What is wrong with a schedule: a message per line (index -> {field: Message}) and overall."""

    lines: dict = field(default_factory=dict)
    overall: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.lines and not self.overall

    def add(self, index, name, message):
        self.lines.setdefault(index, {})[name] = message


def check_schedule(lines, total, today, card_last_day=None, fmt=str):
    """PAY-INST-1/2 on a schedule typed or edited by hand. `lines` is a list of (due_date or None,
    amount or None) — None where the field could not be read (the form says why). The first
    instalment is authorised now, so it falls today; dates increase strictly; every amount is above
    zero; the sum equals the total exactly; no date after the card's expiry or the horizon."""
    check = ScheduleCheck()
    count = len(lines)
    if not MIN_INSTALMENTS <= count <= MAX_INSTALMENTS:
        check.overall.append(Message(N_("Un paiement en plusieurs fois compte de %(min)s à %(max)s échéances."),
                                     {"min": MIN_INSTALMENTS, "max": MAX_INSTALMENTS}))
    previous = None
    horizon = today + datetime.timedelta(days=MAX_SCHEDULE_DAYS)
    for index, (day, amount) in enumerate(lines):
        if day is not None:
            if index == 0 and day != today:
                check.add(index, "due_date", Message(N_("La première échéance est débitée aujourd'hui : "
                                                        "sa date est celle du jour.")))
            elif previous is not None and day <= previous:
                check.add(index, "due_date", Message(N_("Cette date doit venir après celle de l'échéance "
                                                        "précédente.")))
            elif day > horizon:
                check.add(index, "due_date", Message(N_("Au plus deux ans après aujourd'hui.")))
            elif card_last_day is not None and day > card_last_day:
                check.add(index, "due_date", Message(N_("La carte ne sera plus valable à cette date.")))
            previous = day
        if amount is not None and amount <= 0:
            check.add(index, "amount", Message(N_("Le montant d'une échéance est supérieur à zéro.")))
    amounts = [amount for _, amount in lines]
    if count and all(amount is not None for amount in amounts) and sum(amounts) != total:
        difference = sum(amounts) - total
        template = (N_("Les échéances font %(sum)s, soit %(gap)s de trop par rapport au total de %(total)s.")
                    if difference > 0 else
                    N_("Les échéances font %(sum)s, soit %(gap)s de moins que le total de %(total)s."))
        check.overall.append(Message(template, {"sum": fmt(sum(amounts)), "gap": fmt(abs(difference)),
                                                "total": fmt(total)}))
    return check
