"""Buckets of a timeline (weeks or months) and a bar chart's geometry with its amount scale, in
plain Python (AP-CASH-1): the template only draws what is computed here."""
import datetime
import math
from dataclasses import dataclass, field


def bucket_start(day, period):
    if period == "month":
        return day.replace(day=1)
    return day - datetime.timedelta(days=day.weekday())  # Monday


def next_bucket(start, period):
    if period == "month":
        return (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return start + datetime.timedelta(days=7)


def buckets(first_day, count, period):
    start = bucket_start(first_day, period)
    result = []
    for _ in range(count):
        result.append(start)
        start = next_bucket(start, period)
    return result


@dataclass
class Bucket:
    start: datetime.date
    inflow: int = 0     # minor units
    outflow: int = 0
    cumulated: int = 0
    items: list = field(default_factory=list)

    @property
    def net(self):
        return self.inflow - self.outflow


def build_timeline(first_day, count, period, inflows, outflows, opening=0):
    """inflows / outflows: iterables of (day, amount[, label]); anything before the first bucket
    lands in the first one (overdue payables are due now). The cumulated balance starts from
    `opening`, the balance before the first bucket's flows."""
    starts = buckets(first_day, count, period)
    rows = [Bucket(start) for start in starts]

    def index_of(day):
        for position in range(len(starts) - 1, -1, -1):
            if day >= starts[position]:
                return position
        return 0

    limit = next_bucket(starts[-1], period)
    for day, amount, *_ in inflows:
        if day < limit:
            rows[index_of(day)].inflow += amount
    for day, amount, *_ in outflows:
        if day < limit:
            rows[index_of(day)].outflow += amount
    running = opening
    for row in rows:
        running += row.net
        row.cumulated = running
    return rows


def nice_step(span, count=4):
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `span` into about `count` parts."""
    if span <= 0:
        return 1
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if raw <= step and step == int(step):  # whole minor units only: no 2,5-cent step
            return max(int(step), 1)
    return int(10 * power)


def scale_ticks(lowest, highest, count=4):
    """Tick values (minor units) covering [lowest, highest] and always 0, on a round step."""
    lowest, highest = min(lowest, 0), max(highest, 0)
    if lowest == highest:
        highest = 100  # an empty chart still gets a scale (0 to 1,00)
    step = nice_step(highest - lowest, count)
    first = math.floor(lowest / step) * step
    last = math.ceil(highest / step) * step
    return list(range(first, last + step, step))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass(frozen=True)
class Tick:
    value: int  # minor units
    y: float


@dataclass(frozen=True)
class XLabel:
    x: float
    day: datetime.date


# Two drawings of one chart: the wide one for a screen, the narrow one for a phone (390 px), where
# text keeps about the same size because the drawing is not shrunk as much.
WIDE = {"width": 960, "height": 300, "left": 84, "right": 16, "top": 28, "bottom": 30, "label_gap": 40}
NARROW = {"width": 360, "height": 300, "left": 62, "right": 8, "top": 28, "bottom": 30, "label_gap": 52}


def chart_geometry(rows, today=None, period="week", size=None):
    """SVG geometry of a timeline: inflow bars above the zero line, outflow bars below it, the
    cumulated balance as a line from the opening balance to each period's end, labelled ticks of
    the amount scale and a vertical mark at `today`."""
    size = size or WIDE
    width, height = size["width"], size["height"]
    left, right, top, bottom = size["left"], size["right"], size["top"], size["bottom"]
    opening = rows[0].cumulated - rows[0].net if rows else 0
    values = [opening] + [v for r in rows for v in (r.inflow, -r.outflow, r.cumulated)]
    ticks = scale_ticks(min(values + [0]), max(values + [0]))
    low, high = ticks[0], ticks[-1]
    plot_height = height - top - bottom

    def y_of(value):
        return top + (high - value) * plot_height / (high - low)

    zero = y_of(0)
    slot = (width - left - right) / max(len(rows), 1)
    today_x = _today_x(rows, today, period, left, slot)
    # The balance line starts from the opening balance (at today's mark) and reaches each period's
    # cumulated balance at the end of that period.
    bars, points = [], [(today_x if today_x is not None else left, y_of(opening))]
    for position, row in enumerate(rows):
        x = left + position * slot
        up, down = zero - y_of(row.inflow), y_of(-row.outflow) - zero
        bars.append(Bar(x + slot * 0.12, zero - up, slot * 0.36, up, "in", ""))
        bars.append(Bar(x + slot * 0.52, zero, slot * 0.36, down, "out", ""))
        points.append((x + slot, y_of(row.cumulated)))
    every = max(1, math.ceil(size["label_gap"] / slot)) if rows else 1
    labels = [XLabel(left + position * slot + slot / 2, row.start)
              for position, row in enumerate(rows) if position % every == 0]
    return {"bars": bars, "axis": zero, "zero": zero, "slot": slot, "width": width, "height": height,
            "left": left, "right": width - right, "top": top, "bottom": height - bottom,
            "ticks": [Tick(value, y_of(value)) for value in ticks], "points": points,
            "line": " ".join(f"{x:.1f},{y:.1f}" for x, y in points), "labels": labels,
            "today": today_x, "padding": left,
            "largest": max([max(r.inflow, r.outflow) for r in rows] + [1])}


def _today_x(rows, today, period, left, slot):
    """x of today inside its period's slot, or None when today is outside the timeline."""
    if today is None:
        return None
    for position, row in enumerate(rows):
        end = next_bucket(row.start, period)
        if row.start <= today < end:
            fraction = ((today - row.start).days + 0.5) / (end - row.start).days  # the middle of the day
            return left + (position + fraction) * slot
    return None
