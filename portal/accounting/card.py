"""The card sales journal (ACC-3): what the card side of the portal tells the books, per shop.

- Remittance: the captures a shop sent to the bank on one day (the merchant's calendar day), gross:
  debit « cartes à encaisser » (5115) / credit the customers' account (411, configurable).
- Bank credit, `card_credit_delay_days` later: debit the bank (512) with the net, the commission
  (627) with the acquirer's commission — per network, at the rates of the accounting settings
  (0 % for a network not listed, until the gateway's remittance report gives the real figure) —
  / credit 5115 with the gross. The two 5115 lines share the letter C<shop>-<day> once credited.
- Refund sent to the bank: debit the customers' account / credit the bank.
- Unpaid (chargeback): debit the unpaid customers' account (416) / credit the bank.
Only euro transactions are booked (a shop in another currency needs its own rate: not yet)."""
import datetime

from peewee import JOIN, Case, Value, fn

from models import Operation, Shop, Transaction, Unpaid
from portal.accounting.fec import FEC_CURRENCY, KIND_LABELS, _entry, _line
from portal.accounting.streaming import as_date, stream
from portal.purchasing.amounts import vat_amount

CAPTURE, CREDIT = "CAPTURE", "CREDIT"
KIND_ORDER = {"REMITTANCE": 0, "CARD_CREDIT": 1, "CARD_REFUND": 2, "CARD_UNPAID": 3}


def _local_date(utc_naive, zone):
    return utc_naive.replace(tzinfo=datetime.UTC).astimezone(zone).date()


def _utc_bounds(start, end, zone):
    """Naive UTC instants around the local days start..end (a day of margin each side)."""
    low = datetime.datetime.combine(start - datetime.timedelta(days=1), datetime.time())
    high = datetime.datetime.combine(end + datetime.timedelta(days=2), datetime.time())
    return low, high


def letter_ref(shop_id, day):
    return f"C{shop_id}-{day:%Y%m%d}"


def utc_offsets(low, high, zone):
    """[(until, seconds)]: the zone's offset from UTC over the naive UTC instants low..high, each
    holding until the next instant listed (the last one: high). Found day by day, refined to the
    minute around a change: two changes a year in France."""
    def offset(instant):
        return int(instant.replace(tzinfo=datetime.UTC).astimezone(zone).utcoffset().total_seconds())

    day, minute = datetime.timedelta(days=1), datetime.timedelta(minutes=1)
    spans, current, instant = [], offset(low), low
    while instant < high:
        step = min(instant + day, high)
        if offset(step) == current:
            instant = step
            continue
        # The first minute of the new offset, by halving (at most one change a day).
        before, after = 0, (step - instant) // minute
        while after - before > 1:
            middle = (before + after) // 2
            if offset(instant + middle * minute) == current:
                before = middle
            else:
                after = middle
        instant += after * minute
        spans.append((instant, current))
        current = offset(instant)
    spans.append((high, current))
    return spans


def _local_day(zone, low, high):
    """The local day of a capture's sent_at (naive UTC), computed by the database: the UTC instant
    shifted by the zone's offset of its span (utc_offsets), then its date."""
    from portal.database import is_postgres

    spans = utc_offsets(low, high, zone)
    postgres = is_postgres()
    shift = lambda seconds: f"{seconds} seconds" if postgres else f"{seconds:+d} seconds"  # noqa: E731
    whens = [(Operation.sent_at < until, shift(seconds)) for until, seconds in spans[:-1]]
    moved = Case(None, whens, shift(spans[-1][1])) if whens else Value(shift(spans[-1][1]))
    if postgres:
        return (Operation.sent_at + moved.cast("INTERVAL")).cast("DATE")
    return fn.date(Operation.sent_at, moved)


def remittances(period, shop_ids, config, zone):
    """{(day, shop id): {network: gross}} of the captures sent on local days that book an entry in the
    period (the remittance itself, or its bank credit `delay` days later). One query, summed by the
    database per local day, shop and network: a few rows a day whatever the number of captures."""
    delay = datetime.timedelta(days=config.card_credit_delay_days)
    first, last = period.start - delay, period.end
    low, high = _utc_bounds(first, last, zone)
    day = _local_day(zone, low, high)
    query = (Operation.select(day, Transaction.shop, Transaction.network, fn.SUM(Operation.amount))
             .join(Transaction)
             .where((Operation.kind == CAPTURE) & Operation.succeeded & Operation.sent_at.between(low, high)
                    & Transaction.shop.in_(list(shop_ids)) & (Transaction.currency == FEC_CURRENCY))
             .group_by(day, Transaction.shop, Transaction.network)
             .order_by(day, Transaction.shop, Transaction.network))
    groups = {}
    for local_day, shop_id, network, amount in query.tuples():
        local_day = as_date(local_day)
        if first <= local_day <= last:
            networks = groups.setdefault((local_day, shop_id), {})
            name = (network or "").upper()
            networks[name] = networks.get(name, 0) + int(amount or 0)
    return groups


def card_entries(period, shop_ids, config, timezone="Europe/Paris"):
    """The card journal's entries dated in the period, in date order (then remittance, credit,
    refund, unpaid, then shop). Four queries whatever the number of card operations."""
    import zoneinfo

    if not shop_ids:
        return
    zone = zoneinfo.ZoneInfo(timezone)
    names = dict(Shop.select(Shop.id, Shop.name).where(Shop.id.in_(list(shop_ids))).tuples())
    delay = datetime.timedelta(days=config.card_credit_delay_days)
    journal = dict(journal=config.card_journal, journal_label=config.card_journal_label)
    label = config.label_of
    entries = []
    for (day, shop_id), networks in remittances(period, shop_ids, config, zone).items():
        gross = sum(networks.values())
        ref = letter_ref(shop_id, day)
        piece = f"RC{day:%Y%m%d}-{shop_id}"
        if period.start <= day <= period.end:
            entries.append(_entry(
                [_line(config.card_clearing, label(config.card_clearing), gross, True, letter_ref=ref),
                 _line(config.card_customers, label(config.card_customers), gross, False)],
                **journal, date=day, piece_ref=piece, piece_date=day,
                label=f"{KIND_LABELS['REMITTANCE']} du {day:%d/%m/%Y} {names.get(shop_id, '')}", valid_date=day,
                kind="REMITTANCE", amount=gross, source=f"CB:R:{shop_id}:{day:%Y%m%d}", shop_id=shop_id))
        credited = day + delay
        if period.start <= credited <= period.end:
            commission = sum(vat_amount(amount, config.commission_rate(network)) for network, amount in networks.items())
            entries.append(_entry(
                [_line(config.bank, label(config.bank), gross - commission, True),
                 _line(config.card_commission, label(config.card_commission), commission, True),
                 _line(config.card_clearing, label(config.card_clearing), gross, False, letter_ref=ref)],
                **journal, date=credited, piece_ref=piece, piece_date=day,
                label=f"{KIND_LABELS['CARD_CREDIT']} du {day:%d/%m/%Y} {names.get(shop_id, '')}",
                valid_date=credited, kind="CARD_CREDIT", amount=gross - commission,
                source=f"CB:B:{shop_id}:{day:%Y%m%d}", shop_id=shop_id))
    low, high = _utc_bounds(period.start, period.end, zone)
    refunds = (Operation.select(Operation.id, Operation.sent_at, Operation.amount, Operation.operation_number,
                                Transaction.shop, Transaction.reference)
               .join(Transaction)
               .where((Operation.kind == CREDIT) & Operation.succeeded & (Operation.remittance_status == "ACCEPTED")
                      & Operation.sent_at.between(low, high) & Transaction.shop.in_(list(shop_ids))
                      & (Transaction.currency == FEC_CURRENCY)))
    for op_id, sent_at, amount, number, shop_id, reference in stream(refunds):
        day = _local_date(sent_at, zone)
        if period.start <= day <= period.end and amount:
            entries.append(_entry(
                [_line(config.card_customers, label(config.card_customers), int(amount), True),
                 _line(config.bank, label(config.bank), int(amount), False)],
                **journal, date=day, piece_ref=number or reference, piece_date=day,
                label=f"{KIND_LABELS['CARD_REFUND']} {reference} {names.get(shop_id, '')}", valid_date=day,
                kind="CARD_REFUND", amount=int(amount), source=f"CB:F:{op_id}", shop_id=shop_id))
    # Read from the unpaids (a few), never from the shops' transactions (all of them): a LEFT JOIN whose
    # conditions on the transaction go through COALESCE keeps the database from starting with those.
    unpaids = (Unpaid.select(Unpaid.id, Unpaid.unpaid_date, Unpaid.amount, Unpaid.unpaid_code, Unpaid.file_number,
                             Transaction.shop, Transaction.reference)
               .join(Transaction, JOIN.LEFT_OUTER)
               .where(Unpaid.unpaid_date.between(period.start, period.end)
                      & fn.COALESCE(Transaction.shop, 0).in_(list(shop_ids))
                      & (fn.COALESCE(Transaction.currency, "") == FEC_CURRENCY)))
    for unpaid_id, day, amount, code, file_number, shop_id, reference in stream(unpaids):
        if amount:
            entries.append(_entry(
                [_line(config.card_unpaid, label(config.card_unpaid), int(amount), True),
                 _line(config.bank, label(config.bank), int(amount), False)],
                **journal, date=day, piece_ref=file_number or reference, piece_date=day,
                label=f"{KIND_LABELS['CARD_UNPAID']} {reference} ({code}) {names.get(shop_id, '')}", valid_date=day,
                kind="CARD_UNPAID", amount=int(amount), source=f"CB:U:{unpaid_id}", shop_id=shop_id))
    entries.sort(key=lambda entry: (entry.date, KIND_ORDER[entry.kind], entry.shop_id or 0, entry.source))
    yield from entries
