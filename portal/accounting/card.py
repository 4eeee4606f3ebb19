"""The card sales journal (ACC-3): what the card side of the portal tells the books, per shop.

- Remittance: the captures a shop sent to the bank on one day (the merchant's calendar day), gross:
  debit « cartes à encaisser » (5115) / credit the customers' account (411, configurable).
- Bank credit, `card_credit_delay_days` later: debit the bank (512) with the net, the commission
  (627) with the acquirer's commission — per network, at the rates of the accounting settings
  (0 % for a network not listed, until the gateway's remittance report gives the real figure) —
  / credit 5115 with the gross. The two 5115 lines share the letter C<shop>-<day> once credited.
- Refund sent to the bank: debit the customers' account / credit the bank.
- Unpaid (chargeback): debit the unpaid customers' account (416) / credit the bank.
A sale in another currency (the transaction's) is booked in euros at that currency's rate of the
accounting settings (card_exchange_rates, like a supplier invoice's exchange rate), each line
carrying Montantdevise and Idevise and the rate named in the label; its remittances are grouped per
(day, shop, currency), lettered C<shop>-<currency>-<day> and sourced CB:R:<shop>:<day>:<currency>
(those of the euro keep their letters and sources). A currency without a rate is not booked:
unrated_card_sales() tells the accounting page what is left out."""
import datetime

from peewee import JOIN, Case, Value, fn

from models import Operation, Shop, Transaction, Unpaid
from portal.accounting.fec import FEC_CURRENCY, KIND_LABELS, _entry, _line, format_exchange_rate, to_euros
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


def letter_ref(shop_id, day, currency=FEC_CURRENCY):
    """C<shop>-<day>, C<shop>-<currency>-<day> in another currency: the day stays last (fec._card_day)."""
    if currency == FEC_CURRENCY:
        return f"C{shop_id}-{day:%Y%m%d}"
    return f"C{shop_id}-{currency}-{day:%Y%m%d}"


def _suffix(currency, separator):
    """What a foreign currency's remittance adds to the euro's source or piece reference."""
    return "" if currency == FEC_CURRENCY else f"{separator}{currency}"


def _booked_currency(config):
    """The condition on Transaction.currency of what the books take: the euro and the rated currencies
    (the euro alone compares with =, the query of the first wave)."""
    currencies = config.card_currencies()
    if len(currencies) == 1:
        return Transaction.currency == FEC_CURRENCY
    return Transaction.currency.in_(list(currencies))


class _Rate:
    """Converts the foreign minor units of one currency to euro cents (to_euros); the euro as it is."""

    __slots__ = ("currency", "rate", "foreign")

    def __init__(self, currency, config, day):
        self.currency = currency or FEC_CURRENCY
        self.foreign = self.currency != FEC_CURRENCY
        self.rate = config.card_exchange_rate(self.currency, day) if self.foreign else None

    def euros(self, minor):
        return to_euros(minor, self.currency, self.rate) if self.foreign else int(minor)

    def devise(self, minor):
        """Montantdevise of a line: the foreign amount, None in euros."""
        return int(minor) if self.foreign else None

    def label(self, text):
        return f"{text} ({self.currency} 1 = {format_exchange_rate(self.rate)} EUR)" if self.foreign else text

    @property
    def idevise(self):
        return self.currency if self.foreign else ""


class CardRates:
    """The _Rate of a currency on a day (the settings' rate in force that day), made once per pair."""

    def __init__(self, config):
        self.config, self._made = config, {}

    def __call__(self, currency, day):
        rate = self._made.get((currency, day))
        if rate is None:
            rate = self._made[(currency, day)] = _Rate(currency, self.config, day)
        return rate


def credit_amounts(networks, rate, config):
    """(gross, commission) in euros and (gross, commission) in the foreign currency (None in euros) of
    a remittance's bank credit: the commission per network on the network's euro gross (as in euros),
    the euro gross converted once, so the entry balances (bank = gross - commission)."""
    gross_foreign = sum(networks.values())
    gross = rate.euros(gross_foreign)
    commission = sum(vat_amount(rate.euros(amount), config.commission_rate(network))
                     for network, amount in networks.items())
    if not rate.foreign:
        return gross, commission, None, None
    commission_foreign = sum(vat_amount(amount, config.commission_rate(network)) for network, amount in networks.items())
    return gross, commission, gross_foreign, commission_foreign


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
    """{(day, shop id, currency): {network: gross}} of the captures sent on local days that book an
    entry in the period (the remittance itself, or its bank credit `delay` days later), in the euro and
    the currencies with a rate. One query, summed by the database per local day, shop, currency and
    network: a few rows a day whatever the number of captures."""
    delay = datetime.timedelta(days=config.card_credit_delay_days)
    first, last = period.start - delay, period.end
    low, high = _utc_bounds(first, last, zone)
    day = _local_day(zone, low, high)
    query = (Operation.select(day, Transaction.shop, Transaction.currency, Transaction.network, fn.SUM(Operation.amount))
             .join(Transaction)
             .where((Operation.kind == CAPTURE) & Operation.succeeded & Operation.sent_at.between(low, high)
                    & Transaction.shop.in_(list(shop_ids)) & _booked_currency(config))
             .group_by(day, Transaction.shop, Transaction.currency, Transaction.network)
             .order_by(day, Transaction.shop, Transaction.currency, Transaction.network))
    groups = {}
    for local_day, shop_id, currency, network, amount in query.tuples():
        local_day = as_date(local_day)
        if first <= local_day <= last:
            networks = groups.setdefault((local_day, shop_id, currency), {})
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
    rate_of = CardRates(config)
    entries = []
    for (day, shop_id, currency), networks in remittances(period, shop_ids, config, zone).items():
        rate = rate_of(currency, day)
        ref = letter_ref(shop_id, day, rate.currency)
        piece = f"RC{day:%Y%m%d}-{shop_id}{_suffix(rate.currency, '-')}"
        source_tail = f"{shop_id}:{day:%Y%m%d}{_suffix(rate.currency, ':')}"
        gross, commission, gross_foreign, commission_foreign = credit_amounts(networks, rate, config)
        if period.start <= day <= period.end:
            entries.append(_entry(
                [_line(config.card_clearing, label(config.card_clearing), gross, True, foreign=gross_foreign,
                       letter_ref=ref),
                 _line(config.card_customers, label(config.card_customers), gross, False, foreign=gross_foreign)],
                **journal, date=day, piece_ref=piece, piece_date=day,
                label=rate.label(f"{KIND_LABELS['REMITTANCE']} du {day:%d/%m/%Y} {names.get(shop_id, '')}"),
                valid_date=day, kind="REMITTANCE", amount=gross, source=f"CB:R:{source_tail}", shop_id=shop_id,
                currency=rate.idevise))
        credited = day + delay
        if period.start <= credited <= period.end:
            net_foreign = None if gross_foreign is None else gross_foreign - commission_foreign
            entries.append(_entry(
                [_line(config.bank, label(config.bank), gross - commission, True, foreign=net_foreign),
                 _line(config.card_commission, label(config.card_commission), commission, True,
                       foreign=commission_foreign),
                 _line(config.card_clearing, label(config.card_clearing), gross, False, foreign=gross_foreign,
                       letter_ref=ref)],
                **journal, date=credited, piece_ref=piece, piece_date=day,
                label=rate.label(f"{KIND_LABELS['CARD_CREDIT']} du {day:%d/%m/%Y} {names.get(shop_id, '')}"),
                valid_date=credited, kind="CARD_CREDIT", amount=gross - commission,
                source=f"CB:B:{source_tail}", shop_id=shop_id, currency=rate.idevise))
    low, high = _utc_bounds(period.start, period.end, zone)
    booked = _booked_currency(config)
    refunds = (Operation.select(Operation.id, Operation.sent_at, Operation.amount, Operation.operation_number,
                                Transaction.shop, Transaction.reference, Transaction.currency)
               .join(Transaction)
               .where((Operation.kind == CREDIT) & Operation.succeeded & (Operation.remittance_status == "ACCEPTED")
                      & Operation.sent_at.between(low, high) & Transaction.shop.in_(list(shop_ids)) & booked))
    for op_id, sent_at, amount, number, shop_id, reference, currency in stream(refunds):
        day = _local_date(sent_at, zone)
        if period.start <= day <= period.end and amount:
            rate = rate_of(currency, day)
            euros, devise = rate.euros(amount), rate.devise(amount)
            entries.append(_entry(
                [_line(config.card_customers, label(config.card_customers), euros, True, foreign=devise),
                 _line(config.bank, label(config.bank), euros, False, foreign=devise)],
                **journal, date=day, piece_ref=number or reference, piece_date=day,
                label=rate.label(f"{KIND_LABELS['CARD_REFUND']} {reference} {names.get(shop_id, '')}"),
                valid_date=day, kind="CARD_REFUND", amount=euros, source=f"CB:F:{op_id}", shop_id=shop_id,
                currency=rate.idevise))
    # Read from the unpaids (a few), never from the shops' transactions (all of them): a LEFT JOIN whose
    # conditions on the transaction go through COALESCE keeps the database from starting with those.
    currencies = config.card_currencies()
    unpaid_currency = fn.COALESCE(Transaction.currency, "")
    unpaids = (Unpaid.select(Unpaid.id, Unpaid.unpaid_date, Unpaid.amount, Unpaid.unpaid_code, Unpaid.file_number,
                             Transaction.shop, Transaction.reference, Transaction.currency)
               .join(Transaction, JOIN.LEFT_OUTER)
               .where(Unpaid.unpaid_date.between(period.start, period.end)
                      & fn.COALESCE(Transaction.shop, 0).in_(list(shop_ids))
                      & ((unpaid_currency == FEC_CURRENCY) if len(currencies) == 1
                         else unpaid_currency.in_(list(currencies)))))
    for unpaid_id, day, amount, code, file_number, shop_id, reference, currency in stream(unpaids):
        if amount:
            rate = rate_of(currency, day)
            euros, devise = rate.euros(amount), rate.devise(amount)
            entries.append(_entry(
                [_line(config.card_unpaid, label(config.card_unpaid), euros, True, foreign=devise),
                 _line(config.bank, label(config.bank), euros, False, foreign=devise)],
                **journal, date=day, piece_ref=file_number or reference, piece_date=day,
                label=rate.label(f"{KIND_LABELS['CARD_UNPAID']} {reference} ({code}) {names.get(shop_id, '')}"),
                valid_date=day, kind="CARD_UNPAID", amount=euros, source=f"CB:U:{unpaid_id}", shop_id=shop_id,
                currency=rate.idevise))
    entries.sort(key=lambda entry: (entry.date, KIND_ORDER[entry.kind], entry.shop_id or 0, entry.source))
    yield from entries


def unrated_card_sales(period, shop_ids, config, timezone="Europe/Paris"):
    """[(currency, operations, amount)]: the card operations of the period in a currency without a rate
    (captures and refunds sent on its local days, unpaids dated in it), left out of the books; amount
    the sales (the captures), in minor units of the currency. One aggregate query."""
    import zoneinfo

    if not shop_ids:
        return []
    zone = zoneinfo.ZoneInfo(timezone)
    low = datetime.datetime.combine(period.start, datetime.time(), zone).astimezone(datetime.UTC).replace(tzinfo=None)
    high = (datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time(), zone)
            .astimezone(datetime.UTC).replace(tzinfo=None))
    currencies = list(config.card_currencies())
    sales = Case(None, [(Operation.kind == CAPTURE, Operation.amount)], 0)
    operations = (Operation.select(Transaction.currency, fn.COUNT(Operation.id), fn.SUM(sales))
                  .join(Transaction)
                  .where((((Operation.kind == CAPTURE) & Operation.succeeded)
                          | ((Operation.kind == CREDIT) & Operation.succeeded
                             & (Operation.remittance_status == "ACCEPTED")))
                         & (Operation.sent_at >= low) & (Operation.sent_at < high)
                         & Transaction.shop.in_(list(shop_ids)) & Transaction.currency.not_in(currencies))
                  .group_by(Transaction.currency))
    unpaids = (Unpaid.select(Transaction.currency, fn.COUNT(Unpaid.id), fn.SUM(0))
               .join(Transaction)
               .where(Unpaid.unpaid_date.between(period.start, period.end) & Transaction.shop.in_(list(shop_ids))
                      & Transaction.currency.not_in(currencies))
               .group_by(Transaction.currency))
    found = {}
    for currency, count, amount in operations.union_all(unpaids).tuples():
        counted = found.setdefault(currency, [0, 0])
        counted[0] += int(count or 0)
        counted[1] += int(amount or 0)
    return [(currency, count, amount) for currency, (count, amount) in sorted(found.items()) if count]
