"""Paging and sorting of the list pages (issue 14): the page number and sort column come from the
query string, the rows of one page are read with LIMIT/OFFSET on an indexed order, and a page past
the middle is read from the other end (reversed order, small offset), so the last page is as fast
as the first. The number of queries never depends on the size of the table."""
import math
from dataclasses import dataclass, field

PAGE_SIZE = 50


@dataclass(frozen=True)
class Order:
    """One sort key: an expression, its direction, and where NULLs go (None: the database's default,
    which reverses exactly when the direction does)."""

    expression: object
    descending: bool = False
    nulls: str | None = None

    def clause(self, reverse=False):
        descending = self.descending != reverse
        nulls = None
        if self.nulls:
            nulls = self.nulls if not reverse else ("FIRST" if self.nulls == "LAST" else "LAST")
        if nulls:
            return self.expression.desc(nulls=nulls) if descending else self.expression.asc(nulls=nulls)
        return self.expression.desc() if descending else self.expression.asc()


@dataclass
class Page:
    """Where a list stands: page `number` of `pages`, `total` rows, and this page's `rows`."""

    number: int
    total: int
    size: int = PAGE_SIZE
    rows: list = field(default_factory=list)

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self):
        return (self.number - 1) * self.size

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages


def requested_page(args, name="page"):
    """The page number of the query string: a positive integer, 1 when missing or malformed."""
    try:
        return max(1, min(int(args.get(name, 1)), 10**7))
    except (TypeError, ValueError):
        return 1


def page_of(query, ordering, number, total, size=PAGE_SIZE, read=None):
    """Page `number` (clamped to the last page) of `query` sorted by `ordering` [Order]; `total` is
    the row count, read by the caller in the same aggregate query as its totals. `read(limited,
    reverse)`, if given, turns the page's query (ordered, limited) into the query that reads the rows,
    in the same order (e.g. the ids of the page, sorted on an index, joined to the columns shown)."""
    page = Page(1, total, size)
    page.number = min(max(1, number), page.pages)
    limit = min(size, total - page.offset)
    if limit <= 0:
        return page
    reverse = page.offset > total // 2
    offset = total - page.offset - limit if reverse else page.offset
    limited = query.order_by(*[order.clause(reverse=reverse) for order in ordering]).limit(limit).offset(offset)
    rows = list(read(limited, reverse) if read else limited)
    if reverse:
        rows.reverse()
    page.rows = rows
    return page


def sort_choice(args, sorts, default, name="tri"):
    """(sort key, descending) from the query string, among the keys of `sorts`."""
    key = args.get(name) if args.get(name) in sorts else default
    return key, args.get("ordre") == "desc"


def sort_args(args, key, current, descending):
    """Query arguments of a column header: the same filters, this column, the other direction if it
    is already the sort column; back to page 1."""
    result = {k: v for k, v in args.items() if k not in ("tri", "ordre", "page")}
    result["tri"] = key
    if key == current and not descending:
        result["ordre"] = "desc"
    return result


def page_args(args, number):
    """Query arguments of a pager link: the same filters and sort, page `number`."""
    result = {k: v for k, v in args.items() if k != "page"}
    result["page"] = number
    return result


CHUNK = 1000


def keyset_chunks(query, fields, size=CHUNK, key=None):
    """Lists of at most `size` rows of `query`, in the order of `fields` (unique together, e.g. a
    date then the id), each read after the last key of the previous one: an export reads a table of
    any size in flat memory, one query per chunk, without OFFSET. `key(row)` gives a row's values of
    `fields` (default: its attributes of those names; pass one for .tuples() queries, far cheaper
    to read than model instances)."""
    from peewee import Tuple

    last = None
    while True:
        # The first field's range lets the database walk its index; the row-value comparison,
        # alone, is not used for an index range by every SQLite version.
        chunk_query = query if last is None else query.where((fields[0] >= last[0]) & (Tuple(*fields) > Tuple(*last)))
        rows = list(chunk_query.order_by(*fields).limit(size))
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = key(rows[-1]) if key else tuple(getattr(rows[-1], field.name) for field in fields)
