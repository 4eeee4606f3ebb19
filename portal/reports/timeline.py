"""Buckets of a timeline (weeks or months) and a bar chart's geometry, in plain Python."""
import datetime
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
    """inflows / outflows: iterables of (day, amount, label); anything before the first bucket
    lands in the first one (overdue payables are due now)."""
    starts = buckets(first_day, count, period)
    rows = [Bucket(start) for start in starts]

    def index_of(day):
        for position in range(len(starts) - 1, -1, -1):
            if day >= starts[position]:
                return position
        return 0

    limit = next_bucket(starts[-1], period)
    for day, amount, label in inflows:
        if day < limit:
            rows[index_of(day)].inflow += amount
    for day, amount, label in outflows:
        if day < limit:
            rows[index_of(day)].outflow += amount
    running = opening
    for row in rows:
        running += row.net
        row.cumulated = running
    return rows


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


def chart_geometry(rows, width=960, height=260, padding=30):
    """SVG rectangles for inflows (above the axis) and outflows (below), scaled to the largest."""
    largest = max([max(r.inflow, r.outflow) for r in rows] + [1])
    slot = (width - 2 * padding) / max(len(rows), 1)
    half = (height - 2 * padding) / 2
    axis = padding + half
    bars = []
    for position, row in enumerate(rows):
        x = padding + position * slot
        up = half * row.inflow / largest
        down = half * row.outflow / largest
        bars.append(Bar(x + slot * 0.15, axis - up, slot * 0.33, up, "in", ""))
        bars.append(Bar(x + slot * 0.52, axis, slot * 0.33, down, "out", ""))
    return {"bars": bars, "axis": axis, "slot": slot, "width": width, "height": height, "padding": padding,
            "largest": largest}
