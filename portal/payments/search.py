"""Transaction search (PAY-SRCH-1..3): the criteria read from a query string and checked, the
query they make, keyset pages on any sort column, and the totals of a result per currency.
Plain Python and peewee: no Flask here. Messages are French msgids marked with N_ and translated
by the page that shows them, with their %(name)s values."""
import base64
import collections
import dataclasses
import datetime
import itertools
import re
import zoneinfo
from dataclasses import dataclass, field

from peewee import JOIN, SQL, Case, Tuple, fn

from models import Operation, Transaction, TransactionSettled, Unpaid, db
from portal.database import is_postgres, text_contains, unindexed
from portal.money import MoneyError, exponent, parse_amount
from portal.payments.cards import NETWORK_LABELS
from portal.payments.lifecycle import TransactionState as State


def N_(text):
    """Marks a message for the catalogue; the page translates it."""
    return text


PAGE_SIZE = 50
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "KWD")
# Dates before this are typing mistakes, not transactions of this portal.
OLDEST_DAY = datetime.date(2000, 1, 1)
TEXT_MAX = 64
# The query-string names of the filters, in the order of the form; a saved view keeps only these.
FILTER_NAMES = ("du", "au", "ref", "remise_du", "remise_au", "etat", "reseau", "devise", "boutique",
                "montant_min", "montant_max", "fin4", "bin", "client", "impayes")
SORT_NAMES = ("tri", "ordre")
REFUSED_STATES = (State.REFUSED, State.FRAUD_SUSPECTED)
_DIGITS = re.compile(r"^[0-9]+$")


@dataclass
class Criteria:
    """A checked search. Dates are the merchant's days; `shop_ids` are the shops searched, always
    a subset of the shops the user may view."""

    shop_ids: list
    start: datetime.date | None
    end: datetime.date | None
    reference: str = ""
    remitted_from: datetime.date | None = None
    remitted_to: datetime.date | None = None
    states: list = field(default_factory=list)
    network: str = ""
    currency: str = ""
    amount_currency: str = "EUR"
    amount_min: int | None = None
    amount_max: int | None = None
    last4: str = ""
    bin: str = ""
    customer: str = ""
    unpaid_only: bool = False
    extra: object = None  # a further peewee condition (the rows ticked for an export)


@dataclass
class Search:
    """What the page needs back: the criteria (None when a filter is wrong), the messages per
    field, the form's values as typed, the sort and the position in the result."""

    criteria: Criteria | None
    errors: dict  # field -> (msgid, {values})
    values: dict  # field -> typed text, or a list for the repeated fields
    sort: str = "date"
    descending: bool = True
    after: tuple | None = None
    before: tuple | None = None
    last: bool = False

    @property
    def filter_args(self):
        """The filters as query arguments (what a saved view stores, what links keep)."""
        return {name: value for name, value in self.values.items() if value not in ("", [], None)}

    @property
    def sort_args(self):
        return {**self.filter_args, "tri": self.sort, "ordre": "desc" if self.descending else "asc"}


# --- Reading the query string ----------------------------------------------------------------


def _day(text, errors, name, today):
    text = (text or "").strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            value = datetime.date(year, month, day)
        else:
            value = datetime.date.fromisoformat(text)
    except ValueError:
        errors[name] = (N_("Date illisible : choisissez-la dans le calendrier ou écrivez jj/mm/aaaa."), {})
        return None
    if value < OLDEST_DAY:
        errors[name] = (N_("Date trop ancienne : le %(day)s au plus tôt."), {"day": OLDEST_DAY.strftime("%d/%m/%Y")})
        return None
    if value > today:
        errors[name] = (N_("Date dans le futur : le %(day)s au plus tard."), {"day": today.strftime("%d/%m/%Y")})
        return None
    return value


def _text(args, name, values, errors):
    text = (args.get(name) or "").strip()
    values[name] = text
    if len(text) > TEXT_MAX:
        errors[name] = (N_("Texte trop long : %(n)s caractères au plus."), {"n": TEXT_MAX})
    return text


def _digits(args, name, size, values, errors):
    text = "".join((args.get(name) or "").split())
    values[name] = text
    if text and (len(text) != size or not _DIGITS.match(text)):
        errors[name] = (N_("Saisissez exactement %(n)s chiffres."), {"n": size})
        return ""
    return text


def _amount(args, name, currency, values, errors):
    text = (args.get(name) or "").strip()
    values[name] = text
    if not text:
        return None
    try:
        return parse_amount(text, currency, allow_zero=True)
    except MoneyError:
        digits = exponent(currency)
        if digits == 0:
            message = N_("Montant illisible : un nombre entier en %(currency)s, par exemple 1250.")
        else:
            message = N_("Montant illisible : par exemple 12,50 (%(digits)s décimales au plus en %(currency)s).")
        errors[name] = (message, {"digits": digits, "currency": currency})
        return None


def parse_search(args, shops, today):
    """A Search from the query string `args` (a MultiDict-like: get, getlist). `shops` are the
    shops the user may view; `today` the merchant's day. Never raises on what a browser sends."""
    errors, values = {}, {}
    shop_ids = [shop.id for shop in shops]

    values["du"], values["au"] = (args.get("du") or "").strip(), (args.get("au") or "").strip()
    # The list's former single-day parameter (bookmarks of the one-day page) still opens that day.
    legacy_day = (args.get("jour") or "").strip()
    if legacy_day and not values["du"] and not values["au"]:
        values["du"] = values["au"] = legacy_day
    start = _day(values["du"], errors, "du", today)
    end = _day(values["au"], errors, "au", today)
    if not values["du"] and not values["au"]:
        start = end = today
    if start and end and start > end:
        errors["au"] = (N_("La date de fin précède la date de début."), {})

    values["remise_du"] = (args.get("remise_du") or "").strip()
    values["remise_au"] = (args.get("remise_au") or "").strip()
    remitted_from = _day(values["remise_du"], errors, "remise_du", today)
    remitted_to = _day(values["remise_au"], errors, "remise_au", today)
    if remitted_from and remitted_to and remitted_from > remitted_to:
        errors["remise_au"] = (N_("La date de fin précède la date de début."), {})

    reference = _text(args, "ref", values, errors)
    customer = _text(args, "client", values, errors)

    states = list(dict.fromkeys(s for s in args.getlist("etat") if s))  # a state twice would list its rows twice
    values["etat"] = states
    if any(s not in State.__members__ for s in states) or len(states) > len(State):
        errors["etat"] = (N_("État inconnu : choisissez dans la liste."), {})

    network = (args.get("reseau") or "").strip()
    values["reseau"] = network
    if network and network not in NETWORK_LABELS:
        errors["reseau"] = (N_("Réseau inconnu : choisissez dans la liste."), {})

    currency = (args.get("devise") or "").strip().upper()
    values["devise"] = currency
    if currency and currency not in CURRENCIES:
        errors["devise"] = (N_("Devise inconnue : choisissez dans la liste."), {})
        currency = ""
    # Without a currency, amounts are read in the currency of the user's first shop.
    amount_currency = currency or next((s.currency for s in shops if s.currency in CURRENCIES), "EUR")

    chosen = [s for s in args.getlist("boutique") if s]
    values["boutique"] = chosen
    if chosen:
        try:
            wanted = {int(s) for s in chosen}
        except ValueError:
            wanted = {0}
        if not wanted <= set(shop_ids):
            errors["boutique"] = (N_("Boutique inconnue : choisissez dans la liste."), {})
        else:
            shop_ids = [i for i in shop_ids if i in wanted]

    amount_min = _amount(args, "montant_min", amount_currency, values, errors)
    amount_max = _amount(args, "montant_max", amount_currency, values, errors)
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        errors["montant_max"] = (N_("Le montant maximum est inférieur au minimum."), {})

    last4 = _digits(args, "fin4", 4, values, errors)
    bin_ = _digits(args, "bin", 6, values, errors)
    values["impayes"] = "1" if args.get("impayes") else ""

    sort = args.get("tri") if args.get("tri") in SORTS else "date"
    descending = args.get("ordre", "desc" if sort in ("date", "montant") else "asc") != "asc"
    search = Search(None, errors, values, sort, descending)
    search.after = decode_cursor(args.get("apres"), sort)
    search.before = None if search.after else decode_cursor(args.get("avant"), sort)
    search.last = not (search.after or search.before) and args.get("fin") == "1"
    if not errors:
        search.criteria = Criteria(
            shop_ids=shop_ids, start=start, end=end, reference=reference, remitted_from=remitted_from,
            remitted_to=remitted_to, states=states, network=network, currency=currency,
            amount_currency=amount_currency, amount_min=amount_min, amount_max=amount_max, last4=last4,
            bin=bin_, customer=customer, unpaid_only=bool(values["impayes"]))
    return search


# --- The query ------------------------------------------------------------------------------


def last4_expression():
    """The card's last 4 digits, written exactly as migration 0010 indexes it on each database
    (literal numbers, not parameters: SQLite matches an expression index on its text)."""
    if is_postgres():
        return fn.right(Transaction.masked_pan, SQL("4"))
    return fn.substr(Transaction.masked_pan, SQL("-4"))


def bin_expression():
    return fn.substr(Transaction.masked_pan, SQL("1"), SQL("6"))


def utc_bounds(start, end, timezone):
    """Naive UTC instants (as stored) of the start of `start` and of the day after `end`."""
    zone = zoneinfo.ZoneInfo(timezone)

    def instant(day):
        local = datetime.datetime.combine(day, datetime.time(), zone)
        return local.astimezone(datetime.UTC).replace(tzinfo=None)

    return (instant(start) if start else None,
            instant(end + datetime.timedelta(days=1)) if end else None)


def prefers_other_index(criteria, sort):
    """Whether the date range should not drive the query: sorted by amount or reference (their own
    index, shop + column, gives the order), or a closed amount range (few rows, read by shop +
    amount). SQLite plans without statistics and would otherwise walk the date index and filter."""
    closed_amount = criteria.amount_min is not None and criteria.amount_max is not None
    return sort in ("montant", "reference") or closed_amount


def _created_at(use_index):
    return Transaction.created_at if use_index else unindexed(Transaction.created_at)


def conditions(criteria, timezone, date_index=True):
    """The WHERE clause of a search, as one peewee expression on Transaction. With `date_index`
    False, SQLite is told not to read the date range through an index (see prefers_other_index)."""
    shop_ids = criteria.shop_ids
    where = Transaction.shop == shop_ids[0] if len(shop_ids) == 1 else Transaction.shop.in_(shop_ids)
    low, high = utc_bounds(criteria.start, criteria.end, timezone)
    created_at = _created_at(date_index)
    if low:
        where &= created_at >= low
    if high:
        where &= created_at < high
    if criteria.reference:
        where &= (text_contains(Transaction.reference, criteria.reference)
                  | text_contains(Transaction.order_reference, criteria.reference))
    if criteria.customer:
        where &= text_contains(Transaction.customer_code, criteria.customer)
    if criteria.states:
        where &= (Transaction.state == criteria.states[0] if len(criteria.states) == 1
                  else Transaction.state.in_(criteria.states))
    if criteria.network:
        where &= Transaction.network == criteria.network
    if criteria.currency:
        where &= Transaction.currency == criteria.currency
    if criteria.amount_min is not None or criteria.amount_max is not None:
        where &= Transaction.currency == criteria.amount_currency
        if criteria.amount_min is not None:
            where &= Transaction.amount >= criteria.amount_min
        if criteria.amount_max is not None:
            where &= Transaction.amount <= criteria.amount_max
    if criteria.last4:
        where &= last4_expression() == criteria.last4
    if criteria.bin:
        where &= bin_expression() == criteria.bin
    if criteria.unpaid_only:
        where &= ((Transaction.state == State.UNPAID)
                  | Transaction.id.in_(Unpaid.select(Unpaid.transaction)))
    if criteria.extra is not None:
        where &= criteria.extra
    if criteria.remitted_from or criteria.remitted_to:
        # The remittance date is the day the CAPTURE operation was sent to the bank.
        sent_low, sent_high = utc_bounds(criteria.remitted_from, criteria.remitted_to, timezone)
        sent = (Operation.kind == "CAPTURE") & Operation.sent_at.is_null(False)
        if sent_low:
            sent &= Operation.sent_at >= sent_low
        if sent_high:
            sent &= Operation.sent_at < sent_high
        where &= Transaction.id.in_(Operation.select(Operation.transaction).where(sent))
    return where


# --- Sorting and keyset pages ---------------------------------------------------------------


class ColumnSort:
    """A column sorted as stored; `kind` says how a cursor value is read back."""

    def __init__(self, column, kind):
        self.column, self.kind = column, kind

    def expression(self, shop_ranks):
        return self.column


class RankSort:
    """A column sorted by a rank given in Python (states in lifecycle order, shops by name)."""

    kind = "int"

    def __init__(self, ranks):
        self.ranks = ranks

    def expression(self, shop_ranks):
        column, ranks = self.ranks(shop_ranks)
        return Case(column, list(ranks.items()), len(ranks))


SORTS = {
    "date": ColumnSort(Transaction.created_at, "datetime"),
    "reference": ColumnSort(Transaction.reference, "str"),
    "boutique": RankSort(lambda shop_ranks: (Transaction.shop, shop_ranks)),
    "carte": ColumnSort(Transaction.masked_pan, "str"),
    "montant": ColumnSort(Transaction.amount, "int"),
    "etat": RankSort(lambda shop_ranks: (Transaction.state, {s.value: n for n, s in enumerate(State)})),
}


def encode_cursor(value, row_id):
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    raw = f"{value}\x1f{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token, sort):
    """(value, id) of a page cursor, or None for anything that is not one (a bad cursor shows
    the first page rather than an error: it is never typed by hand)."""
    if not token or len(token) > 200 or sort not in SORTS:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if "\x00" in raw:  # PostgreSQL refuses a NUL in a text parameter
            return None
        text, row_id = raw.rsplit("\x1f", 1)
        kind = SORTS[sort].kind
        value = (datetime.datetime.fromisoformat(text) if kind == "datetime"
                 else int(text) if kind == "int" else text)
        row_id = int(row_id)
        if kind == "int" and abs(value) > 10**15 or not 0 < row_id < 2**62:
            return None
        return value, row_id
    except (ValueError, UnicodeDecodeError, TypeError):
        return None


@dataclass
class Page:
    rows: list
    has_previous: bool
    has_next: bool
    first_cursor: str = ""
    last_cursor: str = ""


# Stand-ins for a member's shop id and state while page_sql builds its SQL once: no real parameter
# equals them (ids are positive, amounts and cursor values bounded, NUL never reaches a criterion).
_SHOP_STANDIN = -(2**62) - 7
_STATE_STANDIN = "\x00state"


def page_sql(search, timezone, shop_ranks, size=PAGE_SIZE, columns=None):
    """(sql, params) of one page (`size` + 1 rows, to know whether more follow) in page order.

    Keyset on (sort key, id): the first page, the page after or before a cursor, or the last page
    read from the other end, so that any page reads about `size` index entries. Each shop is read
    apart (its own indexes begin with the shop: shop + date, shop + amount, shop + last 4 digits …,
    each giving its rows already in order) and the shops' first rows are merged by UNION ALL: a list
    over several shops never sorts a whole date range to keep 51 rows."""
    key = SORTS[search.sort].expression(shop_ranks)
    backwards = bool(search.before) or search.last
    cursor = search.before or search.after
    order_desc = search.descending != backwards
    criteria = search.criteria
    date_index = not prefers_other_index(criteria, search.sort)
    # Sorted by date with several states: one member per shop and state, each read in date order
    # from the shop + state + date index.
    per_state = search.sort == "date" and len(criteria.states) > 1
    states = [[s] for s in criteria.states] if per_state else [criteria.states]

    def member(shop_id, state_set):
        one = dataclasses.replace(criteria, shop_ids=[shop_id], states=state_set)
        query = Transaction.select(*(columns or [Transaction]), key.alias("sort_key"))
        query = query.where(conditions(one, timezone, date_index))
        if cursor:
            value, row_id = cursor
            if order_desc:
                query = query.where((key <= value) & (Tuple(key, Transaction.id) < Tuple(value, row_id)))
            else:
                query = query.where((key >= value) & (Tuple(key, Transaction.id) > Tuple(value, row_id)))
        direction = (lambda e: e.desc()) if order_desc else (lambda e: e.asc())
        return query.order_by(direction(key), direction(Transaction.id)).limit(size + 1).sql()

    pairs = list(itertools.product(criteria.shop_ids, states))
    if len(pairs) == 1:
        members = [member(*pairs[0])]
    else:
        # The members differ only by their shop (and state): the SQL is built once, with stand-ins
        # for those parameters, then each member gets its own values (peewee's SQL building costs
        # more than SQLite's planning of a member).
        sql, params = member(_SHOP_STANDIN, [_STATE_STANDIN] if per_state else criteria.states)
        members = [(sql, [shop_id if p == _SHOP_STANDIN else state_set[0] if p == _STATE_STANDIN else p
                          for p in params]) for shop_id, state_set in pairs]
    if len(members) == 1:
        return members[0], order_desc
    word = "DESC" if order_desc else "ASC"
    sql = " UNION ALL ".join(f"SELECT * FROM ({text}) AS m{n}" for n, (text, _) in enumerate(members))
    sql += f" ORDER BY sort_key {word}, id {word} LIMIT {int(size) + 1}"
    return (sql, [param for _, params in members for param in params]), order_desc


# The columns a row of the list shows, plus those its rules read (service.facts_for) and its cursor
# needs: not the whole row (fraud result, gateway and instalment fields, …), which the list never shows.
LIST_COLUMNS = (Transaction.id, Transaction.shop, Transaction.reference, Transaction.order_reference,
                Transaction.amount, Transaction.currency, Transaction.capture_mode, Transaction.state,
                Transaction.created_at, Transaction.masked_pan, Transaction.networks, Transaction.card_expiry_year,
                Transaction.card_expiry_month, Transaction.capture_date)


def read_page(search, timezone, shop_ranks, size=PAGE_SIZE):
    """One page of the result in one query (see page_sql), as Transaction instances holding only
    LIST_COLUMNS: for showing in the list, never for saving."""
    (sql, params), _ = page_sql(search, timezone, shop_ranks, size, LIST_COLUMNS)
    rows = list(Transaction.raw(sql, *params))
    return _paged(search, rows, size, shop_ranks)


def _paged(search, rows, size, shop_ranks):
    more = len(rows) > size
    rows = rows[:size]
    backwards = bool(search.before) or search.last
    if backwards:
        rows.reverse()
        page = Page(rows, has_previous=more, has_next=not search.last)
    else:
        page = Page(rows, has_previous=search.after is not None, has_next=more)
    if rows:
        page.first_cursor = encode_cursor(sort_value(rows[0], search.sort, shop_ranks), rows[0].id)
        page.last_cursor = encode_cursor(sort_value(rows[-1], search.sort, shop_ranks), rows[-1].id)
    return page


def sort_value(txn, sort, shop_ranks):
    if sort == "boutique":
        return shop_ranks.get(txn.shop_id, len(shop_ranks))
    if sort == "etat":
        ranks = {s.value: n for n, s in enumerate(State)}
        return ranks.get(txn.state, len(ranks))
    return getattr(txn, {"date": "created_at", "reference": "reference", "carte": "masked_pan",
                         "montant": "amount"}[sort])


def ordered_rows(criteria, timezone, columns, sort="date", descending=False, chunk=2000, where=None):
    """Every row of a result as tuples of `columns` (plus the sort key last), by chunks read after
    the last key (exports: flat memory, no OFFSET). `where` narrows the result (ticked rows). Sorted
    by shop, the shops come in the order of criteria.shop_ids, the list's (by name)."""
    if where is not None:
        criteria = dataclasses.replace(criteria, extra=where)
    search = Search(criteria, {}, {}, sort, descending)
    names = [column.column_name for column in columns]
    id_index = names.index("id")
    shop_ranks = {shop_id: rank for rank, shop_id in enumerate(criteria.shop_ids)}
    while True:
        (sql, params), _ = page_sql(search, timezone, shop_ranks, chunk, columns)
        rows = db.execute_sql(sql, params).fetchall()
        yield from rows[:chunk]
        if len(rows) <= chunk:
            return
        last = rows[chunk - 1]
        value = last[-1]
        if SORTS[sort].kind == "datetime" and isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        search.after = (value, last[id_index])


# --- Totals -----------------------------------------------------------------------------------


@dataclass
class CurrencyTotals:
    """Totals of a result in one currency (PAY-SRCH-3), amounts in minor units:
    - `count`: transactions in the result;
    - `accepted_count` / `accepted`: those whose authorisation was not refused (every state but
      REFUSED and FRAUD_SUSPECTED), and the sum of their authorised amounts;
    - `refunded_count` / `refunded`: those with at least one succeeded CREDIT operation, and the
      sum of those operations (sent to the bank or waiting to be);
    - `remitted_count` / `remitted`: those with a succeeded CAPTURE operation already sent to the
      bank (its `sent_at` set), and the sum of those operations."""

    currency: str
    count: int = 0
    accepted_count: int = 0
    accepted: int = 0
    refunded_count: int = 0
    refunded: int = 0
    remitted_count: int = 0
    remitted: int = 0


def totals(criteria, timezone):
    """[CurrencyTotals] of a result, by currency code, in one aggregate query over the transactions
    and what is stored of their refunds and remittances (migration 0018): no operation is read."""
    accepted = ~Transaction.state.in_([s.value for s in REFUSED_STATES])

    def count_and_sum(condition, amount):
        return fn.SUM(Case(None, [(condition, 1)], 0)), fn.SUM(Case(None, [(condition, amount)], 0))

    refunded, remitted = TransactionSettled.refunded_total, TransactionSettled.remitted_total
    rows = (Transaction.select(Transaction.currency, fn.COUNT(Transaction.id),
                               *count_and_sum(accepted, Transaction.amount),
                               *count_and_sum(refunded > 0, refunded), *count_and_sum(remitted > 0, remitted))
            .join(TransactionSettled, JOIN.LEFT_OUTER, on=(TransactionSettled.transaction == Transaction.id))
            .where(conditions(criteria, timezone)).group_by(Transaction.currency).order_by(Transaction.currency)
            .tuples())
    return [CurrencyTotals(currency, count, *(int(value or 0) for value in sums)) for currency, count, *sums in rows]


# What a row's balances read of its operations (service.facts_for).
OperationFacts = collections.namedtuple("OperationFacts", "kind amount succeeded")


def operations_by_transaction(transactions):
    """{transaction id: [OperationFacts]} for a page of rows, in one query."""
    by_id = {txn.id: [] for txn in transactions}
    if by_id:
        rows = (Operation.select(Operation.transaction, Operation.kind, Operation.amount, Operation.succeeded)
                .where(Operation.transaction.in_(list(by_id))).order_by(Operation.id).tuples())
        for transaction_id, kind, amount, succeeded in rows:
            by_id[transaction_id].append(OperationFacts(kind, amount, succeeded))
    return by_id
