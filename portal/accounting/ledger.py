"""Validated entries (ACC-4): closing a period stores its entries with their final numbers; a closed
period's entries never change number or content. What changed afterwards in the documents of a closed
period (an invoice approved late, corrected, refused after approval) is booked in the next open
period, dated its first day: the stored entry reversed (« Extourne ») and the document booked again.

Numbers run 1, 2, 3 … over each fiscal year (the chart of accounts says which month it starts),
journal by journal within a closing, without a gap. An export reads the stored entries of the closed
part of its period and builds the open part's entries, numbered after the last validated one.
No Flask here."""
import datetime
import hashlib
import itertools
import json
from dataclasses import replace

from peewee import Case, Value, fn

from models import ClosedPeriod, Invoice, LedgerChange, LedgerEntry, LedgerLine, Shop, SupplierPayment, db
from portal.accounting.card import card_entries
from portal.accounting.fec import (KIND_LABELS, Entry, EntryLine, Period, _line, supplier_invoice_entries,
                                   supplier_payment_entries)
from portal.accounting.streaming import among, stream, stream_raw
from portal.audit import record_action


EARLIEST = datetime.date(2000, 1, 1)  # a closing before that date is a typing mistake


class ClosingError(ValueError):
    """A closing the rules refuse; `code` selects the message the page shows."""

    def __init__(self, code, **facts):
        super().__init__(code)
        self.code = code
        self.facts = facts


def fiscal_year_start(day, month=1):
    year = day.year if day.month >= month else day.year - 1
    return datetime.date(year, month, 1)


def fiscal_year_end(start):
    return datetime.date(start.year + 1, start.month, 1) - datetime.timedelta(days=1)


def last_closed():
    return ClosedPeriod.select().order_by(ClosedPeriod.end.desc()).first()


def closed_until():
    """The last day of the last closed period, or None."""
    last = last_closed()
    return last.end if last else None


def closing_bounds(end, config, today):
    """(start, fiscal year start) of the period that closing up to `end` would validate."""
    last = last_closed()
    if end < EARLIEST:
        raise ClosingError("TOO_OLD", limit=EARLIEST)
    start = last.end + datetime.timedelta(days=1) if last else fiscal_year_start(end, config.fiscal_year_start_month)
    if end < start:
        raise ClosingError("ALREADY_CLOSED", start=start)
    if end > today:
        raise ClosingError("FUTURE", today=today)
    year = fiscal_year_start(start, config.fiscal_year_start_month)
    if end > fiscal_year_end(year):
        raise ClosingError("CROSSES_YEAR", year_end=fiscal_year_end(year))
    return start, year


# --- What changed since the last closing ----------------------------------------------------------
#
# A closing leaves every document of the closed history booking what its validated entries say (the
# differences found are corrected in the closed period itself). Afterwards a document can book
# otherwise only if it was written since (migration 0020 logs it: LedgerChange), or if the settings
# it is booked with changed (booking_basis() differs from the last closing's, or codes not stored
# are asked for): then every document is compared, as before. So the closed history is rebuilt and
# compared for the logged documents only, plus the card journal (rebuilt whole: a few entries a day).
# A validated document that booked nothing up to the closing (refused, deleted, dated later) may
# lie in the open part without being written again: the closing logs it again (carried()), so that
# the open part still knows it was validated.

BOOKING_RULES = 1  # raised by a release that books some document otherwise: every document is compared again
CARD_PREFIX = "CB:"
CARD_KINDS = ("REMITTANCE", "CARD_CREDIT", "CARD_REFUND", "CARD_UNPAID")


# Settings added by a later release: left out of the basis while at their default, so that a closing
# made before they existed still matches (else every export would compare the whole history again).
LATER_SETTINGS = ("exchange_loss", "exchange_gain")


def booking_basis(config):
    """What every entry depends on besides its document: the rules and the accounting settings."""
    settings = config.to_dict()
    defaults = type(config)()
    for name in LATER_SETTINGS:
        if settings.get(name) == getattr(defaults, name):
            del settings[name]
    settings = json.dumps([BOOKING_RULES, settings], sort_keys=True, default=str)
    return hashlib.sha256(settings.encode()).hexdigest()


class Changes:
    """The documents that may book otherwise than their validated entries since the last closing:
    `invoice_ids` and `payment_ids` (a logged invoice or supplier brings its payments), their
    `sources`, and the `log_ids` read (a closing consumes them)."""

    __slots__ = ("invoice_ids", "payment_ids", "sources", "log_ids")


def changes_since_closing(config, codes, log_ids=False):
    """The Changes since the last closing, or None when every document must be compared: nothing
    closed yet, a closing made with other settings or before the log existed, or `codes` (the
    suppliers' accounts the caller books with) other than the stored ones."""
    from portal.accounting.accounts import all_supplier_codes

    last = last_closed()
    if last is None or last.basis != booking_basis(config):
        return None
    stored_codes = all_supplier_codes()
    if any(stored_codes.get(supplier_id) != code for supplier_id, code in (codes or {}).items()):
        return None
    # One statement: the ids consumed are those of the sources read (a row written meanwhile stays).
    query = (LedgerChange.select(LedgerChange.id, LedgerChange.source) if log_ids
             else LedgerChange.select(LedgerChange.source).distinct())
    invoices, payments, suppliers, ids = set(), set(), set(), []
    named = {"INV": invoices, "PAY": payments, "SUP": suppliers}
    for row in query.tuples():
        if log_ids:
            ids.append(row[0])
        prefix, _, key = row[-1].partition(":")
        if prefix not in named or not key.isdigit():
            return None  # not a log this code wrote: compare everything
        named[prefix].add(int(key))
    if suppliers:
        invoices.update(invoice_id for invoice_id, in
                        Invoice.select(Invoice.id).where(among(Invoice.supplier, sorted(suppliers))).tuples())
    if invoices:
        payments.update(payment_id for payment_id, in SupplierPayment.select(SupplierPayment.id)
                        .where(among(SupplierPayment.invoice, sorted(invoices))).tuples())
    changes = Changes()
    changes.invoice_ids = _bearing_on_the_history(Invoice, Invoice.issue_date, "INV:", invoices, last.end)
    changes.payment_ids = _bearing_on_the_history(SupplierPayment, SupplierPayment.paid_on, "PAY:", payments, last.end)
    changes.log_ids = ids
    changes.sources = [f"INV:{i}" for i in changes.invoice_ids] + [f"PAY:{p}" for p in changes.payment_ids]
    return changes


def _bearing_on_the_history(model, dated, prefix, ids, until):
    """The documents of `ids` the closed history may hold: dated up to `until`, validated once, or
    deleted. The others (most of the log: the open part's documents, written since the closing)
    are neither in the history nor in the validated entries: left out of every query that follows."""
    if not ids:
        return []
    ids = sorted(ids)
    validated = fn.EXISTS(LedgerEntry.select(LedgerEntry.id).where(LedgerEntry.source == Value(prefix).concat(model.id)))
    found = dict(model.select(model.id, Case(None, [((dated <= until) | validated, 1)], 0))
                 .where(among(model.id, ids)).tuples())
    return [document_id for document_id in ids if found.get(document_id, 1)]


def _signature(lines):
    """What an entry (or all entries of one source) amounts to: net per account and auxiliary account."""
    totals = {}
    for line in lines:
        key = (line.account, line.aux)
        totals[key] = totals.get(key, 0) + line.debit - line.credit
    return {key: net for key, net in totals.items() if net}


class _Booked:
    """What the stored entries of one source amount to, and how to reverse it."""

    __slots__ = ("net", "labels", "head")

    def __init__(self):
        self.net, self.labels, self.head = {}, {}, None


def _stored_by_source(shop_ids, changes=None):
    """{source: _Booked} of the validated entries of the shops, in streamed queries: every one
    (`changes` None), else those of the changed documents and of the card journal."""
    booked = {}
    if changes is None:
        scopes = [LedgerEntry.shop.in_(list(shop_ids)) | LedgerEntry.shop.is_null()]
    else:
        # The same shops, through COALESCE (0 is no shop's id): the database starts from the index
        # of the kind or of the source, not from every entry of the shops.
        scope = fn.COALESCE(LedgerEntry.shop, 0).in_(list(shop_ids) + [0])
        card = (LedgerEntry.kind.in_(CARD_KINDS + ("REVERSAL",))
                & (fn.SUBSTR(LedgerEntry.source, 1, len(CARD_PREFIX)) == CARD_PREFIX))
        scopes = [scope & card] + ([scope & among(LedgerEntry.source, changes.sources)] if changes.sources else [])
    for where in scopes:
        _add_stored(booked, where)
    for entry in booked.values():
        entry.net = {key: net for key, net in entry.net.items() if net}
    return booked


def _add_stored(booked, where):
    """The lines of the validated entries `where` selects, added to `booked` source by source (the
    driver's rows, only the piece date converted: the card journal alone is thousands of lines)."""
    query = (LedgerLine.select(LedgerEntry.source, LedgerEntry.journal, LedgerEntry.journal_label,
                               LedgerEntry.piece_ref, LedgerEntry.piece_date, LedgerEntry.label, LedgerEntry.shop,
                               LedgerLine.account, LedgerLine.account_label, LedgerLine.aux, LedgerLine.aux_label,
                               LedgerLine.debit, LedgerLine.credit, LedgerLine.letter_ref)
             .join(LedgerEntry)
             .where(where)
             .order_by(LedgerEntry.fiscal_year_start, LedgerEntry.number, LedgerLine.position))
    for (source, journal, journal_label, piece_ref, piece_date, label, shop_id, account, account_label, aux,
         aux_label, debit, credit, letter) in stream_raw(query, dates=(4,)):
        entry = booked.setdefault(source, _Booked())
        if entry.head is None or not label.startswith(KIND_LABELS["REVERSAL"]):
            entry.head = (journal, journal_label, piece_ref, piece_date, label, shop_id)
        key = (account, aux)
        entry.net[key] = entry.net.get(key, 0) + int(debit) - int(credit)
        entry.labels[key] = (account_label, aux_label, letter or entry.labels.get(key, ("", "", ""))[2])


class ClosedHistory:
    """What the open part needs of the closed history: the validated entries of the documents that
    may have changed since the last closing (`stored`, all of them when `changes` is None), and the
    sources its scan found booked (`seen`)."""

    def __init__(self, shop_ids, changes):
        self.shop_ids, self.changes = shop_ids, changes
        self.stored = _stored_by_source(shop_ids, changes)
        self.seen = set()

    def booked(self, source):
        """The _Booked of a source validated once: read now if the changes did not name it."""
        found = self.stored.get(source)
        if found is None:
            # Its own entries only: _stored_by_source() would read the whole card journal again.
            booked = {}
            _add_stored(booked, fn.COALESCE(LedgerEntry.shop, 0).in_(list(self.shop_ids) + [0])
                        & (LedgerEntry.source == source))
            found = booked.get(source)
            if found is not None:
                found.net = {key: net for key, net in found.net.items() if net}
        return found

    def carried(self, booked_now):
        """The validated documents, other than the card journal's, that book nothing up to the end of
        a closing (neither found in the history nor in `booked_now`, the sources it booked): logged
        again by the closing (see above). A deleted document is not: the closing reversed it, and
        nothing can bring it back (a new row is logged by its insert)."""
        carried = [source for source in self.stored if not source.startswith(CARD_PREFIX)
                   and source not in self.seen and source not in booked_now]
        existing = set()
        for prefix, model in (("INV:", Invoice), ("PAY:", SupplierPayment)):
            ids = [int(source[len(prefix):]) for source in carried if source.startswith(prefix)]
            for start in range(0, len(ids), 10000):
                existing.update(f"{prefix}{row_id}" for row_id, in model.select(model.id)
                                .where(among(model.id, ids[start:start + 10000])).tuples())
        return sorted(source for source in carried if source in existing or not source.startswith(("INV:", "PAY:")))


def _reversal(source, booked, day):
    journal, journal_label, piece_ref, piece_date, label, shop_id = booked.head
    lines = [_line(account, booked.labels[(account, aux)][0], -net, True, aux, booked.labels[(account, aux)][1],
                   letter_ref=booked.labels[(account, aux)][2])
             for (account, aux), net in sorted(booked.net.items())]
    return Entry(journal=journal, journal_label=journal_label, date=day, piece_ref=piece_ref, piece_date=piece_date,
                 label=f"{KIND_LABELS['REVERSAL']} {label}"[:300], valid_date=day, kind="REVERSAL", lines=tuple(lines),
                 source=source, shop_id=shop_id)


def _journal_streams(period, shop_ids, config, codes, timezone, changes=None):
    """The live entries of the period, journal by journal: [(journal code, iterator)]; those of the
    changed documents only (and the whole card journal) when `changes` is given."""
    if changes is None:
        invoices = supplier_invoice_entries(period, shop_ids, config, codes)
        payments = supplier_payment_entries(period, shop_ids, config, codes)
    else:
        invoices = (supplier_invoice_entries(period, shop_ids, config, codes,
                                             where=among(Invoice.id, changes.invoice_ids))
                    if changes.invoice_ids else iter(()))
        payments = (supplier_payment_entries(period, shop_ids, config, codes,
                                             where=among(SupplierPayment.id, changes.payment_ids))
                    if changes.payment_ids else iter(()))
    return [(config.purchases_journal, invoices), (config.bank_journal, payments),
            (config.card_journal, card_entries(period, shop_ids, config, timezone))]


def open_entries(period, shop_ids, config, codes=None, timezone="Europe/Paris", first_open=None, history_start=None,
                 history=None):
    """The entries of an open period (not numbered), journal by journal. `first_open`: the first day
    after the last closing, when one exists: then documents of the closed periods that changed are
    reversed and booked again on that day, and documents already validated are not booked twice.
    `history`: the ClosedHistory to use (read here when not given)."""
    if first_open is None:
        for _, entries in _journal_streams(period, shop_ids, config, codes, timezone):
            yield from entries
        return
    codes = _with_stored_codes(codes)
    if history is None:
        history = ClosedHistory(shop_ids, changes_since_closing(config, codes))
    stored = history.stored
    corrections = history_corrections(period, shop_ids, config, codes, timezone, first_open, history_start, stored,
                                      history.changes, history.seen)
    for journal, entries in _journal_streams(period, shop_ids, config, codes, timezone):
        yield from corrections.pop(journal, [])
        for entry in entries:
            if entry.source in stored:
                yield from _correct(entry, stored[entry.source], entry.date)
            else:
                yield entry
    for leftovers in corrections.values():
        yield from leftovers


def _with_stored_codes(codes):
    """The auxiliary accounts of every supplier that has one, plus `codes`: the closed history holds
    suppliers the chosen period may not name, and their validated lines carry their account."""
    from portal.accounting.accounts import all_supplier_codes

    return {**all_supplier_codes(), **(codes or {})}


def history_corrections(period, shop_ids, config, codes, timezone, first_open, history_start, stored, changes=None,
                        seen=None):
    """{journal: [entries]} dated `first_open` that correct the closed history: what its documents
    book today and differs from their validated entries (reversed, then booked again). Nothing when
    the period starts after `first_open` (the corrections are dated that day). `stored` and
    `changes`: those of a ClosedHistory (the documents compared: every one when `changes` is None);
    `seen` (a set) receives the sources the history books."""
    corrections = {}
    if period.start > first_open:
        return corrections
    seen = set() if seen is None else seen
    # Scan the closed history once: what differs from its validated entries is corrected.
    history = Period(history_start, first_open - datetime.timedelta(days=1))
    for journal, entries in _journal_streams(history, shop_ids, config, codes, timezone, changes):
        for entry in entries:
            seen.add(entry.source)
            corrections.setdefault(journal, []).extend(_correct(entry, stored.get(entry.source), first_open))
    missing = {source for source, booked in stored.items() if source not in seen and booked.net}
    if missing:
        # A document moved into the open part is corrected where it now stands (rare: a scan of
        # the open part's sources only in that case).
        for _, entries in _journal_streams(period, shop_ids, config, codes, timezone, changes):
            missing.difference_update(entry.source for entry in entries)
    for source in sorted(missing):
        # Validated, but no longer booked by its document (refused after approval, deleted, moved
        # past the period): reversed; booked again when its document books again.
        booked = stored[source]
        corrections.setdefault(booked.head[0], []).append(_reversal(source, booked, first_open))
    return corrections


def _correct(entry, booked, day):
    """Nothing when the document still books what was validated; else the reversal of the validated
    entries and the document booked again, both dated `day` (the first open day)."""
    if booked is None:
        return [entry if entry.date >= day else replace(entry, date=day)]
    if _signature(entry.lines) == booked.net:
        return []
    fixes = [_reversal(entry.source, booked, day)] if booked.net else []
    return fixes + [replace(entry, date=max(entry.date, day), label=f"Correction {entry.label}"[:300])]


# --- Numbers ---------------------------------------------------------------------------------------------


def _last_numbers():
    return dict(LedgerEntry.select(LedgerEntry.fiscal_year_start, fn.MAX(LedgerEntry.number))
                .group_by(LedgerEntry.fiscal_year_start).tuples())


def numbered(entries, config, last_numbers=None):
    """Entries with their EcritureNum: after the last validated number of their fiscal year."""
    last = dict(last_numbers or {})
    month = config.fiscal_year_start_month
    year_of = {}
    for entry in entries:
        year = year_of.get(entry.date)
        if year is None:
            year = year_of[entry.date] = fiscal_year_start(entry.date, month)
        last[year] = last.get(year, 0) + 1
        entry.number = last[year]  # a fresh entry: numbered in place
        yield entry


# --- The stored entries ----------------------------------------------------------------------------------


def stored_entries(period, shop_ids):
    """The validated entries dated in the period, in number order, from one streamed query."""
    query = (LedgerLine.select(LedgerEntry.id, LedgerEntry.number, LedgerEntry.journal, LedgerEntry.journal_label,
                               LedgerEntry.date, LedgerEntry.piece_ref, LedgerEntry.piece_date, LedgerEntry.label,
                               LedgerEntry.valid_date, LedgerEntry.kind, LedgerEntry.source, LedgerEntry.shop,
                               LedgerEntry.amount, LedgerEntry.currency, LedgerEntry.reverse_charge_vat,
                               LedgerLine.account, LedgerLine.account_label,
                               LedgerLine.aux, LedgerLine.aux_label, LedgerLine.debit, LedgerLine.credit,
                               LedgerLine.foreign_amount, LedgerLine.letter_ref)
             .join(LedgerEntry)
             .where(LedgerEntry.date.between(period.start, period.end)
                    & (LedgerEntry.shop.in_(list(shop_ids)) | LedgerEntry.shop.is_null()))
             .order_by(LedgerEntry.fiscal_year_start, LedgerEntry.number, LedgerLine.position))
    for _, rows in itertools.groupby(stream(query), key=lambda row: row[0]):
        rows = list(rows)
        (_, number, journal, journal_label, date, piece_ref, piece_date, label, valid_date, kind, source, shop_id,
         amount, currency, reverse_charge_vat) = rows[0][:15]
        lines = tuple(EntryLine(account, account_label, int(debit), int(credit), aux, aux_label,
                                None if foreign is None else int(foreign), letter)
                      for account, account_label, aux, aux_label, debit, credit, foreign, letter in
                      (row[15:] for row in rows))
        yield Entry(journal=journal, journal_label=journal_label, date=date, piece_ref=piece_ref,
                    piece_date=piece_date, label=label, valid_date=valid_date, kind=kind, lines=lines,
                    amount=int(amount), source=source, shop_id=shop_id, currency=currency, number=number,
                    provisional=False, reverse_charge_vat=int(reverse_charge_vat))


def _history_start():
    first = ClosedPeriod.select(fn.MIN(ClosedPeriod.start)).scalar()
    return first if not isinstance(first, str) else datetime.date.fromisoformat(first[:10])


def export_entries(period, shop_ids, config, codes=None, timezone="Europe/Paris"):
    """What the file of `period` holds: validated entries of its closed part, then the numbered
    provisional entries of its open part."""
    until = closed_until()
    if until is None:
        yield from numbered(open_entries(period, shop_ids, config, codes, timezone), config)
        return
    if period.start <= until:
        yield from stored_entries(Period(period.start, min(period.end, until)), shop_ids)
    if period.end > until:
        first_open = until + datetime.timedelta(days=1)
        open_part = Period(max(period.start, first_open), period.end)
        yield from numbered(open_entries(open_part, shop_ids, config, codes, timezone, first_open,
                                         _history_start()), config, _last_numbers())


# --- Closing ----------------------------------------------------------------------------------------------


def close_period(end, user, config, codes, today, timezone="Europe/Paris", remote_addr=""):
    """Validate every entry up to `end` (all shops): numbers given, content stored, audited.
    Returns the ClosedPeriod; raises ClosingError."""
    from portal.database import is_postgres

    shop_ids = [shop_id for shop_id, in Shop.select(Shop.id).tuples()]
    transaction = db.atomic() if is_postgres() else db.atomic(lock_type="IMMEDIATE")
    with transaction:
        if is_postgres():
            db.execute_sql("LOCK TABLE closed_period IN EXCLUSIVE MODE")
        start, year = closing_bounds(end, config, today)
        until = closed_until()
        # Read before any document: a document written meanwhile stays logged for the next closing.
        changes = changes_since_closing(config, _with_stored_codes(codes), log_ids=True)
        log_ids = changes.log_ids if changes else [row_id for row_id, in LedgerChange.select(LedgerChange.id).tuples()]
        history = ClosedHistory(shop_ids, changes) if until else None
        booked_now = set()
        entries = open_entries(Period(start, end), shop_ids, config, codes, timezone,
                               first_open=start if until else None, history_start=_history_start() if until else None,
                               history=history)
        last = _last_numbers().get(year, 0)
        period = ClosedPeriod.create(start=start, end=end, fiscal_year_start=year, first_number=last + 1,
                                     last_number=last, closed_by=user)
        entry_id = (LedgerEntry.select(fn.MAX(LedgerEntry.id)).scalar() or 0) + 1
        line_id = (LedgerLine.select(fn.MAX(LedgerLine.id)).scalar() or 0) + 1
        entry_rows, line_rows = [], []
        debit = credit = count = 0
        number = last
        for entry in entries:
            number += 1
            count += 1
            if entry.kind != "REVERSAL":
                booked_now.add(entry.source)
            entry_rows.append((entry_id, period.id, year, number, entry.journal, entry.journal_label[:60], entry.date,
                               entry.piece_ref[:64], entry.piece_date, entry.label[:300], today, entry.kind,
                               entry.source, entry.shop_id, entry.amount, entry.currency, entry.reverse_charge_vat))
            for position, line in enumerate(entry.lines, start=1):
                line_rows.append((line_id, entry_id, position, line.account, line.account_label[:120], line.aux[:24],
                                  line.aux_label[:200], line.debit, line.credit, line.foreign, line.letter_ref))
                line_id += 1
                debit += line.debit
                credit += line.credit
            entry_id += 1
            if len(line_rows) >= 2000:
                _flush(entry_rows, line_rows)
        _flush(entry_rows, line_rows)
        if is_postgres():
            for table in ("ledger_entry", "ledger_line"):
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
        period.last_number, period.entry_count, period.debit, period.credit = number, count, debit, credit
        period.basis = booking_basis(config)
        period.save()
        _consume_changes(log_ids, history.carried(booked_now) if history else [])
        record_action("accounting.close_period", "closed_period", str(period.id), user=user, remote_addr=remote_addr,
                      after={"start": start.isoformat(), "end": end.isoformat(), "entries": count,
                             "numbers": [last + 1, number], "debit": debit, "credit": credit})
    return period


def _consume_changes(log_ids, carried):
    """The log read by a closing deleted (every difference it holds is corrected now), and the
    validated documents that book nothing up to the closing logged again (ClosedHistory.carried())."""
    for start in range(0, len(log_ids), 10000):
        LedgerChange.delete().where(among(LedgerChange.id, log_ids[start:start + 10000])).execute()
    for start in range(0, len(carried), 1000):
        LedgerChange.insert_many([(source,) for source in carried[start:start + 1000]],
                                 fields=[LedgerChange.source]).execute()


ENTRY_FIELDS = [LedgerEntry.id, LedgerEntry.period, LedgerEntry.fiscal_year_start, LedgerEntry.number,
                LedgerEntry.journal, LedgerEntry.journal_label, LedgerEntry.date, LedgerEntry.piece_ref,
                LedgerEntry.piece_date, LedgerEntry.label, LedgerEntry.valid_date, LedgerEntry.kind,
                LedgerEntry.source, LedgerEntry.shop, LedgerEntry.amount, LedgerEntry.currency,
                LedgerEntry.reverse_charge_vat]
LINE_FIELDS = [LedgerLine.id, LedgerLine.entry, LedgerLine.position, LedgerLine.account, LedgerLine.account_label,
               LedgerLine.aux, LedgerLine.aux_label, LedgerLine.debit, LedgerLine.credit, LedgerLine.foreign_amount,
               LedgerLine.letter_ref]


def _flush(entry_rows, line_rows):
    for model, fields, rows in ((LedgerEntry, ENTRY_FIELDS, entry_rows), (LedgerLine, LINE_FIELDS, line_rows)):
        size = max(1, 30000 // len(fields))
        for start in range(0, len(rows), size):
            model.insert_many(rows[start:start + size], fields=fields).execute()
        rows.clear()
