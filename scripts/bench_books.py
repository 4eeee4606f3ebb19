"""Benchmark of the accounting exports at real size (issue 12, item 8): the FEC, the entries CSV and the
analytic CSV of a year holding 100,000 supplier invoices (plus their payments, allocations, a few
reverse-charged and dollar invoices, and a year of card sales on two shops), each next to its floor.

The floor of an export is what it needs from the database, read by hand-written SQL straight through
the driver, and written with csv.writer into a discarding sink: the raw query + write time. The
target is a ratio of at most 2 and a number of SQL statements that does not grow with the size
(at most 20). Statements are counted at the driver (execute_sql) plus each server-side cursor opened
on PostgreSQL (one statement read a few thousand rows per round trip).

The accounting page is measured as it opens (its figures left to a second request, next to its own
statements replayed), then that second request (the figures fragment, next to the raw aggregate SQL),
then with its figures inline as a page without JavaScript gets it (totaux=1).

Run it
------
    .venv/bin/python scripts/bench_books.py                      # SQLite, 100,000 invoices
    .venv/bin/python scripts/bench_books.py --invoices 20000     # smaller
    .venv/bin/python scripts/bench_books.py --only page --closed 2025-11-30   # the page once 11 months are closed
    createdb -h 127.0.0.1 -U postgres comptoir_bench_h5          # once
    PORTAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/comptoir_bench_h5 \\
        .venv/bin/python scripts/bench_books.py

    PORTAL_BENCH_DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python scripts/bench_books.py --only page --reuse
        # seeds that file once, then measures again on it (--profile page: the page's cProfile)

The PostgreSQL database is dedicated to the benchmark: its tables are dropped and migrated again
(unless --reuse finds the same year already seeded, nothing closed).
Figures are printed and written to test-output/bench_books.json; they are read, never asserted."""
import argparse
import csv
import datetime
import io
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestConfig  # noqa: E402
from models import db  # noqa: E402
from portal import create_app  # noqa: E402
from portal.database import apply_migrations, is_postgres  # noqa: E402
from scripts.bench import BulkInsert, reset_postgres, safe_url  # noqa: E402  (seeding ideas of the payables part)
from tests.conftest import PortalClient  # noqa: E402  (sends the CSRF token, as the pages do)
from tests.factories import PASSWORD, make_shop, make_user  # noqa: E402

YEAR = 2025
USER = "compta"
RIGHTS = ["view", "export", "manage_suppliers", "approve_invoices", "pay_invoices", "manage_axes"]
EU_SUPPLIERS = [("DE", "DE136695976"), ("BE", "BE0403170701"), ("IT", "IT00743110157"), ("ES", "ESB58378431")]
OUTPUT = ROOT / "test-output" / "bench_books.json"
NETWORKS = ["CB", "CB", "CB", "VISA", "MASTERCARD", "AMEX"]


def insert(model, fields, rows):
    size = max(1, 30000 // len(fields))
    inserter = BulkInsert(model, fields, size)
    for start in range(0, len(rows), size):
        inserter.execute(rows[start:start + size])


def seed(total, cards, rng):
    """Bulk-insert a year of books; returns what the scenarios need."""
    from models import (Allocation, AnalyticAxis, AnalyticValue, Invoice, InvoiceBooking, InvoiceEvent, InvoiceLine,
                        InvoiceVat, Operation, Setting, Supplier, SupplierPayment, Transaction)
    started = time.perf_counter()
    shop = make_shop("Épicerie du Port")
    second = make_shop("Épicerie de la Gare")
    user = make_user(USER, rights={shop: RIGHTS, second: RIGHTS}, is_admin=True)
    Setting.create(key="company", value=json.dumps({"name": "Épicerie du Port SAS", "siren": "732829320"}))
    Setting.create(key="accounts", value=json.dumps({"card_commission_rates": [["CB", 80], ["VISA", 120],
                                                                               ["MASTERCARD", 120], ["AMEX", 250]]}))
    suppliers = max(50, total // 100)
    now = datetime.datetime(YEAR + 1, 1, 15, 12)
    eu = set(rng.sample(range(1, suppliers + 1), max(2, suppliers // 20)))
    usd = set(rng.sample(sorted(set(range(1, suppliers + 1)) - eu), max(1, suppliers // 50)))
    rows = []
    for sid in range(1, suppliers + 1):
        country, vat = rng.choice(EU_SUPPLIERS) if sid in eu else (("US", "") if sid in usd else ("FR", ""))
        rows.append((sid, f"Fournisseur {sid:05d} {rng.choice(['SARL', 'SAS', 'GmbH', 'Inc'])}", country, vat,
                     f"Ville {sid % 97}", 30, False, now))
    with db.atomic():
        insert(Supplier, [Supplier.id, Supplier.name, Supplier.country, Supplier.vat_number, Supplier.city,
                          Supplier.payment_terms_days, Supplier.archived, Supplier.created_at], rows)
        axis = AnalyticAxis.create(name="Centre de coût", position=1)
        values = [AnalyticValue.create(axis=axis, name=name, code=name[:3].upper()).id
                  for name in ("Épicerie", "Cave", "Traiteur", "Livraison", "Boutique", "Direction")]
    inv, lines, vats, events, allocs, pays, bookings = [], [], [], [], [], [], []
    ids = {"line": 1, "vat": 1, "event": 1, "alloc": 1, "pay": 1, "booking": 1}
    INV = [Invoice.id, Invoice.shop, Invoice.supplier, Invoice.number, Invoice.kind, Invoice.issue_date,
           Invoice.due_date, Invoice.currency, Invoice.total_net, Invoice.total_vat, Invoice.total_gross,
           Invoice.status, Invoice.source, Invoice.created_by, Invoice.created_at, Invoice.expense_account]
    LINE = [InvoiceLine.id, InvoiceLine.invoice, InvoiceLine.position, InvoiceLine.description,
            InvoiceLine.quantity_milli, InvoiceLine.unit_price, InvoiceLine.vat_rate, InvoiceLine.net_amount]
    VAT = [InvoiceVat.id, InvoiceVat.invoice, InvoiceVat.category, InvoiceVat.rate, InvoiceVat.base, InvoiceVat.amount]
    EVENT = [InvoiceEvent.id, InvoiceEvent.invoice, InvoiceEvent.at, InvoiceEvent.user, InvoiceEvent.action,
             InvoiceEvent.from_status, InvoiceEvent.to_status]
    ALLOC = [Allocation.id, Allocation.invoice, Allocation.value, Allocation.amount, Allocation.created_by,
             Allocation.created_at]
    PAY = [SupplierPayment.id, SupplierPayment.invoice, SupplierPayment.amount, SupplierPayment.paid_on,
           SupplierPayment.method, SupplierPayment.reference, SupplierPayment.created_by, SupplierPayment.created_at]
    BOOK = [InvoiceBooking.id, InvoiceBooking.invoice, InvoiceBooking.exchange_rate, InvoiceBooking.updated_at]

    def flush():
        with db.atomic():
            for model, fields, batch in ((Invoice, INV, inv), (InvoiceLine, LINE, lines), (InvoiceVat, VAT, vats),
                                         (InvoiceEvent, EVENT, events), (Allocation, ALLOC, allocs),
                                         (SupplierPayment, PAY, pays), (InvoiceBooking, BOOK, bookings)):
                insert(model, fields, batch)
                batch.clear()

    start = datetime.date(YEAR, 1, 1)
    for invoice_id in range(1, total + 1):
        issue = start + datetime.timedelta(days=(invoice_id * 365) // (total + 1))
        sid = rng.randint(1, suppliers)
        reverse, dollars = sid in eu, sid in usd
        status = rng.choices(["PAID", "APPROVED", "PARTIALLY_PAID", "RECEIVED", "DISPUTED"], [75, 15, 3, 5, 2])[0]
        kind = "INVOICE"
        draw = rng.random()
        if draw < 0.04:
            kind, status = "CREDIT_NOTE", "APPROVED"
        elif draw < 0.06:
            kind, status = "DEPOSIT", "PAID"
        nets = [max(100, int(rng.lognormvariate(math.log(20000), 1.0))) for _ in range(2)]
        line_rates = [0, 0] if reverse or dollars else [rng.choice([2000, 2000, 550, 1000])] * 2
        vat = sum(net * rate // 10000 for net, rate in zip(nets, line_rates))
        net = sum(nets)
        created = datetime.datetime.combine(issue, datetime.time(9)) + datetime.timedelta(days=1)
        inv.append((invoice_id, shop.id if invoice_id % 5 else second.id, sid, f"F{invoice_id:07d}", kind, issue,
                    issue + datetime.timedelta(days=30), "USD" if dollars else "EUR", net, vat, net + vat, status,
                    "MANUAL", user.id, created, rng.choice(["", "", "606", "6226", "611"])))
        for position, (line_net, rate) in enumerate(zip(nets, line_rates), start=1):
            lines.append((ids["line"], invoice_id, position, f"Article {position}", 1000, line_net,
                          rng.choice([550, 0]) if reverse and position == 1 else rate, line_net))
            ids["line"] += 1
        vats.append((ids["vat"], invoice_id, "K" if reverse else "S", line_rates[0], net, vat))
        ids["vat"] += 1
        if dollars:
            bookings.append((ids["booking"], invoice_id, 920000 + invoice_id % 5000, now))
            ids["booking"] += 1
        if status in ("APPROVED", "PARTIALLY_PAID", "PAID"):
            events.append((ids["event"], invoice_id, created + datetime.timedelta(hours=2), user.id, "approve",
                           "IN_HAND", "APPROVED"))
            ids["event"] += 1
        split = rng.random() < 0.3
        first = net // 2 if split else net
        allocs.append((ids["alloc"], invoice_id, rng.choice(values), first, user.id, created))
        ids["alloc"] += 1
        if split:
            allocs.append((ids["alloc"], invoice_id, rng.choice(values), net - first, user.id, created))
            ids["alloc"] += 1
        if kind != "CREDIT_NOTE" and status in ("PAID", "PARTIALLY_PAID"):
            amount = net + vat if status == "PAID" else (net + vat) // 2
            paid_on = min(issue + datetime.timedelta(days=30), datetime.date(YEAR, 12, 31))
            pays.append((ids["pay"], invoice_id, amount, paid_on, "TRANSFER", f"VIR-{invoice_id}", user.id,
                         datetime.datetime.combine(paid_on, datetime.time(10))))
            ids["pay"] += 1
        if len(inv) >= 5000:
            flush()
    flush()
    # A year of card sales: captures sent each evening, a few refunds.
    txns, ops = [], []
    TXN = [Transaction.id, Transaction.shop, Transaction.reference, Transaction.amount, Transaction.currency,
           Transaction.capture_mode, Transaction.state, Transaction.created_at, Transaction.card_token,
           Transaction.masked_pan, Transaction.networks, Transaction.network, Transaction.card_expiry_year,
           Transaction.card_expiry_month]
    OP = [Operation.id, Operation.transaction, Operation.kind, Operation.amount, Operation.succeeded, Operation.at,
          Operation.sent_at, Operation.remittance_status, Operation.operation_number]
    op_id = 1
    for txn_id in range(1, cards + 1):
        day = start + datetime.timedelta(days=(txn_id * 365) // (cards + 1))
        sent = datetime.datetime.combine(day, datetime.time(19)) + datetime.timedelta(minutes=txn_id % 120)
        amount = max(100, int(rng.lognormvariate(math.log(3000), 0.8)))
        network = rng.choice(NETWORKS)
        txns.append((txn_id, shop.id if txn_id % 3 else second.id, f"T{txn_id:08d}", amount, "EUR", "AUTO",
                     "CAPTURED", sent, "tok", "4300XXXXXXXX0900", "CB,VISA", network, 2030, 12))
        ops.append((op_id, txn_id, "CAPTURE", amount, True, sent, sent, "ACCEPTED", f"R{txn_id}"))
        op_id += 1
        if txn_id % 50 == 0:
            refund_at = sent + datetime.timedelta(days=2)
            ops.append((op_id, txn_id, "CREDIT", amount // 2, True, refund_at, refund_at, "ACCEPTED", f"C{txn_id}"))
            op_id += 1
        if len(txns) >= 5000:
            with db.atomic():
                insert(Transaction, TXN, txns)
                insert(Operation, OP, ops)
            txns.clear()
            ops.clear()
    with db.atomic():
        insert(Transaction, TXN, txns)
        insert(Operation, OP, ops)
    if is_postgres():
        for model in (Supplier, Invoice, InvoiceLine, InvoiceVat, InvoiceEvent, Allocation, SupplierPayment,
                      InvoiceBooking, Transaction, Operation):
            table = model._meta.table_name
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
        db.execute_sql("ANALYZE")
    return {"shops": [shop.id, second.id], "invoices": total, "suppliers": suppliers, "card_captures": cards,
            "lines": ids["line"] - 1, "payments": ids["pay"] - 1, "allocations": ids["alloc"] - 1,
            "seconds": round(time.perf_counter() - started, 1)}


# --- Counting and measuring ---------------------------------------------------------------------------


class Counter:
    """SQL statements: every execute_sql, plus every server-side cursor the exports open."""

    def __init__(self):
        import portal.accounting.streaming as streaming

        self.count = 0
        self.recorded = None  # a list while record() runs: the statements, to replay them as a floor
        original_sql, original_cursor = db.obj.execute_sql, streaming._open_server_cursor
        self.execute_raw = original_sql

        def counting_sql(sql, params=None):
            self.count += 1
            if self.recorded is not None:
                self.recorded.append((sql, params))
            return original_sql(sql, params)

        def counting_cursor(sql, params):
            self.count += 1
            return original_cursor(sql, params)

        db.obj.execute_sql = counting_sql
        streaming._open_server_cursor = counting_cursor

    def replay_of(self, run):
        """A floor made of the statements `run` executes, replayed raw through the driver (rows fetched)."""
        self.recorded = []
        try:
            run()
        finally:
            statements, self.recorded = self.recorded, None

        def replay():
            for sql, params in statements:
                cursor = self.execute_raw(sql, params)
                if cursor.description:
                    cursor.fetchall()
        return replay


def drain(response):
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


def _sql_scope(shop_ids):
    """What every floor's SQL is written with: (PostgreSQL?, the placeholder, the shops as an SQL list,
    the booked statuses as an SQL list, the year's first and last days)."""
    postgres = is_postgres()
    return (postgres, "%s" if postgres else "?", ", ".join(str(int(shop_id)) for shop_id in shop_ids),
            "('APPROVED', 'PARTIALLY_APPROVED', 'PARTIALLY_PAID', 'PAID')",
            (datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)))


def _local_day_sql(low, high, zone, postgres):
    """SQL of a capture's local day: o.sent_at (UTC) shifted by the offset of its span between low and high."""
    from portal.accounting.card import utc_offsets

    spans = utc_offsets(low, high, zone)
    if postgres:
        cases = " ".join(f"WHEN o.sent_at < '{until}' THEN INTERVAL '{seconds} seconds'" for until, seconds in spans[:-1])
        return f"CAST(o.sent_at + CASE {cases} ELSE INTERVAL '{spans[-1][1]} seconds' END AS DATE)"
    cases = " ".join(f"WHEN o.sent_at < '{until}' THEN '{seconds:+d} seconds'" for until, seconds in spans[:-1])
    return f"date(o.sent_at, CASE {cases} ELSE '{spans[-1][1]:+d} seconds' END)"


def floors(shop_ids):
    """The raw query + write of each export: the rows it reads from the database, by hand-written SQL
    through the driver, written as they come by csv.writer into a discarding sink. Same rows and same
    columns as the export reads, no more, no less:

    FEC and entries CSV (the same reads):
    - the booked invoices of the period in euros or with a rate (supplier name, country, VAT number,
      the booking choices, deducted deposits), each with its approval date (MAX of its approval
      events) and whether its VAT breakdown is marked AE (a COUNT over invoice_vat);
    - the lines (net, rate, the order line's rate) and the VAT breakdown (base, rate) of the invoices
      whose VAT may be self-assessed (foreign supplier, AE, domestic reverse charge chosen);
    - the payments of the period (with their invoice's number, supplier, currency, shop, rate);
    - the lettering: the last payment of each invoice fully paid by the end of the period;
    - the card sales: captures summed per local day, shop and network, the refunds, the unpaids, the
      shop names;
    - the settings read (chart of accounts, suppliers' accounts).
    Analytic CSV: the allocation lines of the booked invoices with their invoice, supplier, axis,
    value and invoice line (position, description), plus the visible values' parents.
    The export's own work (entries, numbering, formatting, encoding) is what the ratio measures; the
    queries the view runs before streaming (suppliers_in, rights) are the product's own too.

    `old_floors()` is the first definition (invoices + supplier, payments, every card operation),
    printed next to it for comparison."""
    import zoneinfo

    from portal.accounting.card import _utc_bounds

    postgres, ph, shops, booked, dates = _sql_scope(shop_ids)
    rated = "(i.currency = 'EUR' OR b.exchange_rate IS NOT NULL)"
    scope = (f"i.shop_id IN ({shops}) AND i.issue_date BETWEEN {ph} AND {ph} AND i.status IN {booked} "
             f"AND {rated}")
    assessable = ("(UPPER(COALESCE(s.country, '')) NOT IN ('', 'FR', 'MC') "
                  "OR i.id IN (SELECT invoice_id FROM invoice_vat WHERE UPPER(category) = 'AE') "
                  "OR i.id IN (SELECT invoice_id FROM invoice_booking WHERE reverse_charge = 'DOMESTIC'))")
    # The card captures' local day (Europe/Paris): the UTC instant shifted by the offset of its span.
    zone = zoneinfo.ZoneInfo("Europe/Paris")
    low, high = _utc_bounds(dates[0] - datetime.timedelta(days=1), dates[1], zone)
    day = _local_day_sql(low, high, zone, postgres)
    utc = (low, high)
    statements = {
        "entries": [
            ("SELECT key, value FROM setting WHERE key IN ('accounts', 'supplier_accounts')", ()),
            (f"SELECT i.id, i.issue_date, i.kind, i.number, i.total_gross, i.total_net, i.total_vat, "
             f"i.expense_account, i.created_at, i.currency, i.supplier_id, i.shop_id, s.name, s.country, "
             f"s.vat_number, i.deducted_total, "
             f"(SELECT MAX(e.at) FROM invoice_event e WHERE e.invoice_id = i.id "
             f"AND e.to_status IN ('APPROVED', 'PARTIALLY_APPROVED')), "
             f"(SELECT COUNT(v.id) FROM invoice_vat v WHERE v.invoice_id = i.id AND UPPER(v.category) = 'AE'), "
             f"b.exchange_rate, b.nature, b.reverse_charge, b.line_rates "
             f"FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
             f"LEFT JOIN invoice_booking b ON b.invoice_id = i.id WHERE {scope} ORDER BY i.issue_date, i.id", dates),
            (f"SELECT i.issue_date, i.id, l.id, l.net_amount, l.vat_rate, pl.vat_rate FROM invoice_line l "
             f"JOIN invoice i ON i.id = l.invoice_id JOIN supplier s ON s.id = i.supplier_id "
             f"LEFT JOIN invoice_booking b ON b.invoice_id = i.id LEFT JOIN purchase_line pl ON pl.id = l.order_line_id "
             f"WHERE {scope} AND {assessable} ORDER BY i.issue_date, i.id, l.id", dates),
            (f"SELECT i.issue_date, i.id, v.base, v.rate FROM invoice_vat v "
             f"JOIN invoice i ON i.id = v.invoice_id JOIN supplier s ON s.id = i.supplier_id "
             f"LEFT JOIN invoice_booking b ON b.invoice_id = i.id "
             f"WHERE {scope} AND {assessable} ORDER BY i.issue_date, i.id, v.id", dates),
            (f"SELECT p.id, p.paid_on, p.amount, p.reference, p.created_at, i.id, i.number, i.supplier_id, i.currency, "
             f"i.shop_id, s.name, b.exchange_rate, p.debited_eur FROM supplier_payment p "
             f"JOIN invoice i ON i.id = p.invoice_id "
             f"JOIN supplier s ON s.id = i.supplier_id LEFT JOIN invoice_booking b ON b.invoice_id = i.id "
             f"WHERE i.shop_id IN ({shops}) AND {rated} AND p.paid_on BETWEEN {ph} AND {ph} "
             f"ORDER BY p.paid_on, p.id", dates),
            (f"SELECT i.id, paid.last FROM invoice i JOIN (SELECT invoice_id, MAX(paid_on) AS last, SUM(amount) AS paid "
             f"FROM supplier_payment WHERE paid_on <= {ph} GROUP BY invoice_id) paid ON paid.invoice_id = i.id "
             f"WHERE i.shop_id IN ({shops}) AND i.kind <> 'CREDIT_NOTE' AND i.total_gross > 0 "
             f"AND paid.paid + i.deducted_total >= i.total_gross", dates[1:]),
            (f"SELECT i.id, i.total_gross, i.deducted_total, i.currency, b.exchange_rate, p.amount "
             f"FROM supplier_payment p JOIN invoice i ON i.id = p.invoice_id "
             f"LEFT JOIN invoice_booking b ON b.invoice_id = i.id WHERE i.shop_id IN ({shops}) "
             f"AND i.currency <> 'EUR' AND i.kind <> 'CREDIT_NOTE' AND p.paid_on <= {ph}", dates[1:]),
            (f"SELECT id, name FROM shop WHERE id IN ({shops})", ()),
            (f"SELECT {day}, t.shop_id, t.network, SUM(o.amount) FROM card_operation o "
             f"JOIN card_transaction t ON t.id = o.transaction_id WHERE o.kind = 'CAPTURE' AND o.succeeded "
             f"AND o.sent_at BETWEEN {ph} AND {ph} AND t.shop_id IN ({shops}) AND t.currency = 'EUR' "
             f"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", utc),
            (f"SELECT o.id, o.sent_at, o.amount, o.operation_number, t.shop_id, t.reference FROM card_operation o "
             f"JOIN card_transaction t ON t.id = o.transaction_id WHERE o.kind = 'CREDIT' AND o.succeeded "
             f"AND o.remittance_status = 'ACCEPTED' AND o.sent_at BETWEEN {ph} AND {ph} "
             f"AND t.shop_id IN ({shops}) AND t.currency = 'EUR'", utc),
            (f"SELECT u.id, u.unpaid_date, u.amount, u.unpaid_code, u.file_number, t.shop_id, t.reference "
             f"FROM card_unpaid u LEFT JOIN card_transaction t ON t.id = u.transaction_id "
             f"WHERE u.unpaid_date BETWEEN {ph} AND {ph} AND COALESCE(t.shop_id, 0) IN ({shops}) "
             f"AND COALESCE(t.currency, '') = 'EUR'", dates),
        ],
        "analytic": [
            ("SELECT id, name, parent_id FROM analytic_value", ()),
            (f"SELECT i.id, i.issue_date, i.number, i.kind, i.supplier_id, s.name, i.expense_account, i.currency, "
             f"a.id, a.value_id, a.amount, a.percent, x.position, x.name, v.code, v.name, l.position, l.description "
             f"FROM allocation a JOIN invoice i ON i.id = a.invoice_id JOIN supplier s ON s.id = i.supplier_id "
             f"JOIN analytic_value v ON v.id = a.value_id JOIN analytic_axis x ON x.id = v.axis_id "
             f"LEFT JOIN invoice_line l ON l.id = a.invoice_line_id WHERE i.shop_id IN ({shops}) "
             f"AND i.issue_date BETWEEN {ph} AND {ph} AND i.status IN {booked} "
             f"ORDER BY i.issue_date, i.id, x.position, x.name, a.id", dates),
        ],
    }
    floor = _floor_functions(statements)
    floor["summary"] = summary_floor(shop_ids)
    return floor


def summary_floor(shop_ids):
    """The raw SQL of the accounting page's summary (portal/accounting/summary.py, nothing closed):
    what it genuinely needs from the database, by hand-written aggregate queries read through the
    driver, nothing built or converted:
    - the settings read (chart of accounts) and the last closed period (none here), the validated
      entries of the period summed by kind and their lines summed (the closed part; none here);
    - the invoices of the period in one pass, grouped by part (not booked yet, in another currency
      without a rate, booked one by one — foreign supplier, VAT marked AE, domestic reverse charge
      chosen, another currency — or the rest) and kind, with the sums the entries of the rest need
      (TTC, count of the nonzero amounts of their four lines, sum of those amounts' absolute values,
      the deposits' nonzero count and absolute TTC) and the ids of those booked one by one;
    - those invoices read by their ids (with their supplier and booking choices), their lines (with
      the order line's rate) and VAT breakdowns;
    - the payments of the period in euros summed, those in another currency as rows (amount, currency,
      rate);
    - the card captures summed per local day (Europe/Paris), shop, currency and network over the days
      whose remittance or bank credit (a day later) falls in the period, the refunds as rows (their
      local day is worked out by the page), the unpaids summed per currency, day and amount, the card
      operations and unpaids in a currency without a rate counted per currency.
    The page's own work (the entries' figures of the invoices booked one by one, the card journal's,
    the rights and shops queried by the view, the template) is what the ratio measures."""
    import zoneinfo

    postgres, ph, shops, booked, dates = _sql_scope(shop_ids)
    d = "CASE WHEN i.kind = 'INVOICE' THEN i.deducted_total ELSE 0 END"
    part = (f"CASE WHEN i.status NOT IN {booked} THEN 'pending' "
            f"WHEN i.currency <> 'EUR' AND i.id NOT IN (SELECT invoice_id FROM invoice_booking "
            f"WHERE exchange_rate IS NOT NULL) THEN 'unrated' "
            f"WHEN i.currency <> 'EUR' OR i.supplier_id IN (SELECT id FROM supplier "
            f"WHERE UPPER(COALESCE(country, '')) NOT IN ('', 'FR', 'MC')) "
            f"OR i.id IN (SELECT invoice_id FROM invoice_vat WHERE UPPER(category) = 'AE') "
            f"OR i.id IN (SELECT invoice_id FROM invoice_booking WHERE reverse_charge = 'DOMESTIC') THEN 'apart' "
            f"ELSE 'domestic' END")
    ids = ("STRING_AGG(CAST(CASE WHEN part = 'apart' THEN id END AS TEXT), ',')" if postgres
           else "GROUP_CONCAT(CASE WHEN part = 'apart' THEN id END)")
    nonzero = " + ".join(f"CASE WHEN {value} <> 0 THEN 1 ELSE 0 END" for value in ("g - v", "v", "d", "g - d"))
    invoices = (f"SELECT part, kind, COUNT(*), SUM(g), COUNT(CASE WHEN g <> 0 OR v <> 0 OR d <> 0 THEN 1 END), "
                f"SUM({nonzero}), SUM(ABS(g - v) + ABS(v) + ABS(d) + ABS(g - d)), "
                f"COUNT(CASE WHEN g <> 0 THEN 1 END), SUM(ABS(g)), {ids} "
                f"FROM (SELECT {part} AS part, i.id, i.kind, i.total_gross AS g, i.total_vat AS v, {d} AS d "
                f"FROM invoice i WHERE i.shop_id IN ({shops}) AND i.issue_date BETWEEN {ph} AND {ph}"
                f"{' OFFSET 0' if postgres else ''}) parts GROUP BY part, kind")
    among = "= ANY(%s)" if postgres else "IN (SELECT value FROM json_each(?))"
    apart = [
        (f"SELECT i.id, i.kind, i.number, i.issue_date, i.total_gross, i.total_net, i.total_vat, i.expense_account, "
         f"i.currency, i.shop_id, i.deducted_total, s.name, s.country, s.vat_number, b.exchange_rate, b.nature, "
         f"b.reverse_charge, b.line_rates FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
         f"LEFT JOIN invoice_booking b ON b.invoice_id = i.id WHERE i.id {among}"),
        (f"SELECT l.invoice_id, l.net_amount, l.vat_rate, pl.vat_rate FROM invoice_line l "
         f"LEFT JOIN purchase_line pl ON pl.id = l.order_line_id WHERE l.invoice_id {among}"),
        f"SELECT v.invoice_id, v.base, v.rate, v.category FROM invoice_vat v WHERE v.invoice_id {among}",
    ]
    # The captures' local day: the UTC instant shifted by the offset of its span, as in floors().
    zone = zoneinfo.ZoneInfo("Europe/Paris")
    low = datetime.datetime.combine(dates[0] - datetime.timedelta(days=2), datetime.time())  # a day's delay
    high = datetime.datetime.combine(dates[1] + datetime.timedelta(days=2), datetime.time())
    day = _local_day_sql(low, high, zone, postgres)
    local = (datetime.datetime(YEAR - 1, 12, 31, 23), datetime.datetime(YEAR, 12, 31, 23))  # the year's local days
    statements = [
        ("SELECT key, value FROM setting WHERE key IN ('accounts', 'company')", ()),
        ('SELECT MAX("end") FROM closed_period', ()),
        (f"SELECT kind, COUNT(*), SUM(amount), SUM(CASE WHEN reverse_charge_vat <> 0 THEN 1 ELSE 0 END), "
         f"SUM(reverse_charge_vat) FROM ledger_entry WHERE date BETWEEN {ph} AND {ph} "
         f"AND (shop_id IN ({shops}) OR shop_id IS NULL) GROUP BY kind", dates),
        (f"SELECT COUNT(*), SUM(l.debit), SUM(l.credit) FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry_id "
         f"WHERE e.date BETWEEN {ph} AND {ph} AND (e.shop_id IN ({shops}) OR e.shop_id IS NULL)", dates),
        None,  # the invoices, then those booked one by one
        (f"SELECT SUM(CASE WHEN p.amount <> 0 THEN 1 ELSE 0 END), SUM(p.amount), SUM(ABS(p.amount)) "
         f"FROM supplier_payment p JOIN invoice i ON i.id = p.invoice_id WHERE i.shop_id IN ({shops}) "
         f"AND i.currency = 'EUR' AND p.paid_on BETWEEN {ph} AND {ph}", dates),
        (f"SELECT p.amount, i.currency, b.exchange_rate, p.debited_eur FROM invoice_booking b CROSS JOIN invoice i "
         f"CROSS JOIN supplier_payment p WHERE i.id = b.invoice_id AND p.invoice_id = i.id AND i.shop_id IN ({shops}) "
         f"AND i.currency <> 'EUR' AND b.exchange_rate IS NOT NULL AND p.paid_on BETWEEN {ph} AND {ph}", dates),
        (f"SELECT {day}, t.shop_id, t.currency, t.network, SUM(o.amount) FROM card_operation o "
         f"JOIN card_transaction t ON t.id = o.transaction_id WHERE o.kind = 'CAPTURE' AND o.succeeded "
         f"AND o.sent_at BETWEEN {ph} AND {ph} AND t.shop_id IN ({shops}) AND t.currency = 'EUR' "
         f"GROUP BY 1, 2, 3, 4", (low, high)),
        (f"SELECT o.sent_at, o.amount, t.currency FROM card_operation o JOIN card_transaction t "
         f"ON t.id = o.transaction_id WHERE o.kind = 'CREDIT' AND o.succeeded AND o.remittance_status = 'ACCEPTED' "
         f"AND o.sent_at BETWEEN {ph} AND {ph} AND t.shop_id IN ({shops}) AND t.currency = 'EUR'",
         (low + datetime.timedelta(days=1), high)),
        (f"SELECT t.currency, u.unpaid_date, u.amount, COUNT(*) FROM card_unpaid u "
         f"LEFT JOIN card_transaction t ON t.id = u.transaction_id WHERE u.unpaid_date BETWEEN {ph} AND {ph} "
         f"AND u.amount <> 0 AND COALESCE(t.shop_id, 0) IN ({shops}) AND COALESCE(t.currency, '') = 'EUR' "
         f"GROUP BY 1, 2, 3", dates),
        (f"SELECT t.currency, COUNT(*), SUM(CASE WHEN o.kind = 'CAPTURE' THEN o.amount ELSE 0 END) "
         f"FROM card_operation o JOIN card_transaction t ON t.id = o.transaction_id "
         f"WHERE (o.kind = 'CAPTURE' AND o.succeeded OR o.kind = 'CREDIT' AND o.succeeded "
         f"AND o.remittance_status = 'ACCEPTED') AND o.sent_at >= {ph} AND o.sent_at < {ph} "
         f"AND t.shop_id IN ({shops}) AND t.currency <> 'EUR' GROUP BY t.currency "
         f"UNION ALL SELECT t.currency, COUNT(*), 0 FROM card_unpaid u JOIN card_transaction t "
         f"ON t.id = u.transaction_id WHERE u.unpaid_date BETWEEN {ph} AND {ph} AND t.shop_id IN ({shops}) "
         f"AND t.currency <> 'EUR' GROUP BY t.currency", local + dates),
    ]

    def floor():
        for statement in statements:
            if statement is not None:
                db.execute_sql(*statement).fetchall()
                continue
            ids = [int(value) for part, _, *_, found in db.execute_sql(invoices, dates).fetchall()
                   if part == "apart" and found for value in found.split(",")]
            if ids:
                for sql in apart:
                    db.execute_sql(sql, (ids if postgres else json.dumps(ids),)).fetchall()

    return floor


def _floor_functions(statements):
    def run(name):
        def floor():
            for sql, params in statements[name]:
                cursor = db.execute_sql(sql, params)
                sink = io.StringIO()
                writer = csv.writer(sink, delimiter=";", lineterminator="\r\n")
                while True:
                    batch = cursor.fetchmany(2000)
                    if not batch:
                        break
                    writer.writerows(batch)
                    sink.seek(0)
                    sink.truncate()
        return floor

    return {"fec": run("entries"), "entries_csv": run("entries"), "analytic_csv": run("analytic")}


def old_floors(shop_ids):
    """The first definition of the floors (kept for comparison): the invoices with their supplier, the
    payments and every card operation, read by hand-written SQL and written as CSV; it left out the
    VAT breakdown, the lines, the approval dates, the lettering and the card aggregation."""
    _, ph, shops, booked, dates = _sql_scope(shop_ids)
    utc = (datetime.datetime(YEAR - 1, 12, 31), datetime.datetime(YEAR + 1, 1, 2))
    statements = {
        "entries": [
            (f"SELECT i.*, s.name, s.country, s.vat_number FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
             f"WHERE i.shop_id IN ({shops}) AND i.issue_date BETWEEN {ph} AND {ph} AND i.status IN {booked} "
             f"ORDER BY i.issue_date, i.id", dates),
            (f"SELECT p.*, i.number, s.name FROM supplier_payment p JOIN invoice i ON i.id = p.invoice_id "
             f"JOIN supplier s ON s.id = i.supplier_id WHERE i.shop_id IN ({shops}) "
             f"AND p.paid_on BETWEEN {ph} AND {ph} ORDER BY p.paid_on, p.id", dates),
            (f"SELECT o.sent_at, t.shop_id, t.network, o.amount FROM card_operation o "
             f"JOIN card_transaction t ON t.id = o.transaction_id WHERE o.kind IN ('CAPTURE', 'CREDIT') "
             f"AND o.succeeded AND o.sent_at BETWEEN {ph} AND {ph} AND t.shop_id IN ({shops}) "
             f"ORDER BY o.sent_at, o.id", utc),
        ],
        "analytic": [
            (f"SELECT i.issue_date, i.number, i.kind, s.name, x.name, v.code, v.name, a.amount, i.currency, a.percent "
             f"FROM allocation a JOIN invoice i ON i.id = a.invoice_id JOIN supplier s ON s.id = i.supplier_id "
             f"JOIN analytic_value v ON v.id = a.value_id JOIN analytic_axis x ON x.id = v.axis_id "
             f"LEFT JOIN invoice_line l ON l.id = a.invoice_line_id WHERE i.shop_id IN ({shops}) "
             f"AND i.issue_date BETWEEN {ph} AND {ph} AND i.status IN {booked} "
             f"ORDER BY i.issue_date, i.id, x.position, x.name, a.id", dates),
        ],
    }

    def summary_floor():
        """What the accounting page's summary needs, by hand-written GROUP BY: the booked invoices by
        kind, the payments, the card captures by day, shop and network, the invoices not booked."""
        statements = [
            (f"SELECT kind, COUNT(*), SUM(total_gross), SUM(total_vat) FROM invoice WHERE shop_id IN ({shops}) "
             f"AND issue_date BETWEEN {ph} AND {ph} AND status IN {booked} GROUP BY kind", dates),
            (f"SELECT COUNT(*), SUM(p.amount) FROM supplier_payment p JOIN invoice i ON i.id = p.invoice_id "
             f"WHERE i.shop_id IN ({shops}) AND p.paid_on BETWEEN {ph} AND {ph}", dates),
            (f"SELECT {'CAST(o.sent_at AS DATE)' if is_postgres() else 'date(o.sent_at)'}, t.shop_id, t.network, "
             f"SUM(o.amount) FROM card_operation o JOIN card_transaction t ON t.id = o.transaction_id "
             f"WHERE o.kind = 'CAPTURE' AND o.succeeded AND o.sent_at BETWEEN {ph} AND {ph} "
             f"AND t.shop_id IN ({shops}) GROUP BY 1, 2, 3", utc),
            (f"SELECT COUNT(*) FROM invoice WHERE shop_id IN ({shops}) AND issue_date BETWEEN {ph} AND {ph} "
             f"AND status NOT IN {booked}", dates),
        ]
        for sql, params in statements:
            db.execute_sql(sql, params).fetchall()

    return {**_floor_functions(statements), "summary": summary_floor}


def measure(counter, name, run, floor, reps, old_floor=None):
    """Median and p95 of `reps` runs (after a warm-up) next to the floor's, in wall time and in this
    process's CPU time: on a shared machine the CPU ratio moves less with the neighbours' load (with
    SQLite it holds the database's work too; with PostgreSQL only the client's)."""
    times, cpus, queries, floor_times, floor_cpus = [], [], [], [], []
    for index in range(reps + 1):
        before = counter.count
        began, cpu = time.perf_counter(), time.process_time()
        size = run()
        elapsed, cpu = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
        if index == 0:
            continue  # warm-up
        times.append(elapsed)
        cpus.append(cpu)
        queries.append(counter.count - before)
    # One more run under tracemalloc, apart (it slows Python down): the export's peak of memory.
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    run()
    peak = (tracemalloc.get_traced_memory()[1] - base) / 1e6
    tracemalloc.stop()
    floor()
    for _ in range(max(3, reps)):
        began, cpu = time.perf_counter(), time.process_time()
        floor()
        floor_times.append((time.perf_counter() - began) * 1000)
        floor_cpus.append((time.process_time() - cpu) * 1000)
    old_times, old_cpus = [], []
    for _ in range(max(3, reps) if old_floor else 0):
        began, cpu = time.perf_counter(), time.process_time()
        old_floor()
        old_times.append((time.perf_counter() - began) * 1000)
        old_cpus.append((time.process_time() - cpu) * 1000)
    median, floor_median = statistics.median(times), statistics.median(floor_times)
    cpu, floor_cpu = statistics.median(cpus), statistics.median(floor_cpus)
    row = {"export": name, "median_ms": round(median, 1), "p95_ms": round(p95(times), 1),
           "floor_ms": round(floor_median, 1), "floor_p95_ms": round(p95(floor_times), 1),
           "ratio": round(median / floor_median, 2), "cpu_ms": round(cpu, 1), "floor_cpu_ms": round(floor_cpu, 1),
           "cpu_ratio": round(cpu / floor_cpu, 2) if floor_cpu else None,
           "queries": int(statistics.median(queries)), "bytes": size, "peak_mb": round(peak, 1)}
    if old_times:
        old_median, old_cpu = statistics.median(old_times), statistics.median(old_cpus)
        row.update({"old_floor_ms": round(old_median, 1), "old_ratio": round(median / old_median, 2),
                    "old_floor_cpu_ms": round(old_cpu, 1), "old_cpu_ratio": round(cpu / old_cpu, 2) if old_cpu else None})
    print(f"  {name}: {row['median_ms']} ms (p95 {row['p95_ms']}), floor {row['floor_ms']} ms "
          f"(p95 {row['floor_p95_ms']}), ratio {row['ratio']}; CPU {row['cpu_ms']} ms vs {row['floor_cpu_ms']} ms, "
          f"ratio {row['cpu_ratio']}; {row['queries']} queries, file {size / 1e6:.3f} MB, "
          f"peak memory {row['peak_mb']} MB", flush=True)
    if old_times:
        print(f"    old floor {row['old_floor_ms']} ms, ratio {row['old_ratio']}; CPU "
              f"{row['old_floor_cpu_ms']} ms, ratio {row['old_cpu_ratio']}", flush=True)
    return row


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def page_rows(client, counter, period, info, floor, reps, old_floor):
    """The accounting page as it opens (its figures left to a second request) next to its own SQL
    replayed; that second request, the figures fragment, next to the raw aggregate SQL; the page with its
    figures inline (no JavaScript, totaux=1); and, for comparison, the summary built from every entry of
    the year (what the page did before)."""
    from portal.accounting.accounts import current_accounts
    from portal.accounting.fec import Period, summarise, summarise_by_entries

    def get(query, headers=None):
        def run():
            response = client.get(f"/comptabilite/?{query}", headers=headers)
            assert response.status_code == 200, response.status_code
            return len(response.get_data())
        return run

    year = Period(datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31))
    config = current_accounts()
    fast, slow = summarise(year, info["shops"], config), summarise_by_entries(year, info["shops"], config)
    assert vars(fast) == vars(slow), "the page's summary differs from the file's entries"
    print(f"  summary: {fast.entries} entries, {fast.lines} lines, equal to the file's", flush=True)
    page = get(period)
    figures = get(period, {"HX-Request": "true", "HX-Target": "accounting-figures"})
    return [measure(counter, "accounting page (figures deferred)", page, counter.replay_of(page), reps),
            measure(counter, "accounting figures (htmx fragment)", figures, floor["summary"], reps,
                    old_floor["summary"]),
            measure(counter, "accounting page with figures (totaux=1)", get(period + "&totaux=1"), floor["summary"],
                    reps, old_floor["summary"]),
            measure(counter, "summary from every entry (the page before)",
                    lambda: summarise_by_entries(year, info["shops"], config) and 0, floor["summary"], 1)]


def seeded_sqlite(url, args):
    """Whether the SQLite file of `url` holds the year seed() writes with these sizes, nothing closed."""
    import sqlite3

    path = Path("/" + url[len("sqlite:///"):].lstrip("/"))
    if not path.exists():
        return False
    connection = sqlite3.connect(path)
    try:
        counts = [connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("invoice", "card_transaction", "ledger_entry")]
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return counts == [args.invoices, args.cards, 0]


def reused(args):
    """The seed's info of a database already holding the year `seed()` writes with these sizes (no
    closing), or None."""
    from models import LedgerEntry, Invoice, Operation, Shop, Transaction

    db.connect(reuse_if_open=True)
    try:
        if (Invoice.select().count() != args.invoices or Transaction.select().count() != args.cards
                or LedgerEntry.select().exists()):
            return None
        shops = [shop.id for shop in Shop.select().order_by(Shop.id)]
    except Exception:  # noqa: BLE001 — no schema yet
        if is_postgres():
            db.rollback()
        return None
    return {"shops": shops, "invoices": args.invoices, "card_captures": Operation.select().count(), "reused": True}


def close_books(end, info):
    """Close the books from the start of the year up to `end`, as « Clôturer la période » does."""
    from models import User
    from portal.accounting.accounts import current_accounts, supplier_codes
    from portal.accounting.fec import Period, suppliers_in
    from portal.accounting.ledger import close_period

    started = time.perf_counter()
    user = User.get(User.username == USER)
    codes = supplier_codes(suppliers_in(Period(datetime.date(YEAR, 1, 1), end), info["shops"]), user)
    period = close_period(end, user, current_accounts(), codes, datetime.date(YEAR + 1, 1, 15))
    seconds = round(time.perf_counter() - started, 1)
    print(f"  closed up to {end}: {period.entry_count} entries validated in {seconds} s", flush=True)
    return {"end": end.isoformat(), "entries": period.entry_count, "seconds": seconds}


def profile(run):
    import cProfile
    import pstats

    run()  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", choices=["page", "exports"], help="measure only the page or only the exports")
    parser.add_argument("--closed", metavar="AAAA-MM-JJ", type=datetime.date.fromisoformat,
                        help="close the books up to that day of the year first (ledger.close_period): the page "
                             "then reads the closed part from the stored entries and corrects the closed history")
    parser.add_argument("--profile", metavar="EXPORT", choices=["fec", "csv", "analytic", "page"],
                        help="print the cProfile of one download of that export (or of the page) instead of "
                             "measuring")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database of PORTAL_BENCH_DATABASE_URL (a SQLite file too) when it already "
                             "holds a year seeded with the same --invoices and --cards: no seeding (not with "
                             "--closed)")
    args = parser.parse_args()
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="bench-books-"))
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    if args.reuse and url.startswith("sqlite:///") and not seeded_sqlite(url, args):
        for suffix in ("", "-wal", "-shm"):  # seeded again from an empty file
            Path("/" + url[len("sqlite:///"):].lstrip("/") + suffix).unlink(missing_ok=True)
    app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=workdir / "instance")
    app.test_client_class = PortalClient
    with app.app_context():
        info = reused(args) if args.reuse and not args.closed else None
        if info is None:
            if url.startswith("postgres"):
                reset_postgres()
            db.connect(reuse_if_open=True)
            apply_migrations()
            print(f"bench_books: {safe_url(url)}, seeding {args.invoices} invoices and {args.cards} card captures…",
                  flush=True)
            info = seed(args.invoices, args.cards, random.Random(12))
            print(f"  seeded in {info['seconds']} s", flush=True)
        else:
            print(f"bench_books: {safe_url(url)}, reusing its {args.invoices} invoices and {args.cards} card "
                  f"captures", flush=True)
        if args.closed:
            info["closed"] = close_books(args.closed, info)
        counter = Counter()
        client = app.test_client()
        response = client.post("/login", data={"username": USER, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        period = f"du={YEAR}-01-01&au={YEAR}-12-31"
        floor, old = floors(info["shops"]), old_floors(info["shops"])

        def download(path):
            def run():
                response = client.get(f"{path}?{period}", buffered=False)
                assert response.status_code == 200, (path, response.status_code)
                return drain(response)
            return run

        if args.profile == "page":
            profile(lambda: client.get(f"/comptabilite/?{period}&totaux=1").get_data())
            return
        if args.profile:
            profile(download({"fec": "/comptabilite/fec", "csv": "/comptabilite/ecritures.csv",
                              "analytic": "/comptabilite/analytique.csv"}[args.profile]))
            return
        rows = []
        if args.only != "exports":
            rows += page_rows(client, counter, period, info, floor, args.reps, old)
        if args.only != "page":
            rows += [measure(counter, "FEC (ISO 8859-15)", download("/comptabilite/fec"), floor["fec"], args.reps,
                             old["fec"]),
                     measure(counter, "entries CSV", download("/comptabilite/ecritures.csv"), floor["entries_csv"],
                             args.reps, old["entries_csv"]),
                     measure(counter, "analytic CSV", download("/comptabilite/analytique.csv"),
                             floor["analytic_csv"], args.reps, old["analytic_csv"])]
        OUTPUT.parent.mkdir(exist_ok=True)
        OUTPUT.write_text(json.dumps({"database": "postgresql" if is_postgres() else "sqlite", "seed": info,
                                      "exports": rows}, indent=2, default=str))
        print(f"  written to {OUTPUT}")


if __name__ == "__main__":
    main()
