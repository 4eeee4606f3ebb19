"""Benchmark of the cash-flow page and the spend CSV at real size (issue 12 item 7, AP-CASH-1): a shop
with 100,000 supplier invoices (most still to pay, a third partly paid), 20,000 card payments still
to send and 20,000 remittances already sent, and a bank account opened 30 days ago.

Each figure stands next to its floor: the same facts read by hand-written SQL straight through the
driver (for the page: the per-day sums it draws, the 20 most overdue invoices and their totals; for
the CSV: the invoice rows written by csv.writer into a discarding sink), with the ratio. The
"before" line is what the page did until now: every outstanding invoice loaded as an object.

Run it
------
    .venv/bin/python scripts/bench_cashflow.py                       # SQLite, 100,000 invoices
    .venv/bin/python scripts/bench_cashflow.py --invoices 20000
    PORTAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/comptoir_bench_h7 \\
        .venv/bin/python scripts/bench_cashflow.py

The PostgreSQL database is dedicated to the benchmark: its tables are dropped and migrated again.
Figures are printed and written to test-output/bench_cashflow.json; they are read, never asserted."""
import argparse
import csv
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestConfig  # noqa: E402
from models import (BankAccount, Invoice, Operation, Supplier, SupplierPayment, Transaction, db,  # noqa: E402
                    utcnow)
from portal import create_app  # noqa: E402
from portal.database import apply_migrations, is_postgres  # noqa: E402
from scripts.bench import BulkInsert, reset_postgres, safe_url  # noqa: E402
from tests.conftest import PortalClient  # noqa: E402
from tests.factories import FakeClock, PASSWORD, make_shop, make_user  # noqa: E402

OUTPUT = ROOT / "test-output" / "bench_cashflow.json"
USER = "tresorier"
TODAY = datetime.date(2026, 12, 1)
STATUSES = ["APPROVED"] * 6 + ["RECEIVED", "IN_HAND", "PARTIALLY_PAID", "PAID", "DISPUTED"]


def insert(model, fields, rows):
    size = max(1, 30000 // len(fields))
    inserter = BulkInsert(model, fields, size)
    for start in range(0, len(rows), size):
        inserter.execute(rows[start:start + size])


def seed(total, cards, rng):
    started = time.perf_counter()
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user(USER, rights={shop: ["view", "manage_suppliers", "approve_invoices", "pay_invoices"]})
    suppliers = [Supplier.create(name=f"Fournisseur {n:03d}") for n in range(200)]
    BankAccount.create(shop=shop, label="Compte courant", iban="FR7630006000011234567890189",
                       opening_balance=5_000_000, opening_date=TODAY - datetime.timedelta(days=30))
    now = utcnow()
    rows = []
    for n in range(total):
        net = rng.randint(2_000, 400_000)
        due = TODAY + datetime.timedelta(days=rng.randint(-60, 120))
        rows.append((shop.id, suppliers[n % 200].id, f"F-{n:06d}", "INVOICE", due - datetime.timedelta(days=30), due,
                     "EUR", net, net // 5, net + net // 5, rng.choice(STATUSES), now))
    insert(Invoice, [Invoice.shop, Invoice.supplier, Invoice.number, Invoice.kind, Invoice.issue_date,
                     Invoice.due_date, Invoice.currency, Invoice.total_net, Invoice.total_vat, Invoice.total_gross,
                     Invoice.status, Invoice.created_at], rows)
    ids = [row[0] for row in Invoice.select(Invoice.id).order_by(Invoice.id).tuples()]
    payments = [(invoice_id, rng.randint(100, 2_000), TODAY + datetime.timedelta(days=rng.randint(-40, 10)), now)
                for invoice_id in ids if rng.random() < 0.33]
    insert(SupplierPayment, [SupplierPayment.invoice, SupplierPayment.amount, SupplierPayment.paid_on,
                             SupplierPayment.created_at], payments)
    base = dict(currency="EUR", capture_mode="AUTO", card_token="tok", masked_pan="XXXXXXXXXXXX0900",
                networks="CB,VISA", network="CB", card_expiry_year=2029, card_expiry_month=12)
    txns = []
    for n in range(2 * cards):
        to_send = n < cards
        day = TODAY + datetime.timedelta(days=rng.randint(0, 30) if to_send else -rng.randint(0, 45))
        txns.append((shop.id, f"T{n:08d}", rng.randint(500, 30_000), "TO_CAPTURE" if to_send else "CAPTURED",
                     day, datetime.datetime.combine(day, datetime.time(9)), *base.values()))
    insert(Transaction, [Transaction.shop, Transaction.reference, Transaction.amount, Transaction.state,
                         Transaction.capture_date, Transaction.created_at,
                         *[getattr(Transaction, name) for name in base]], txns)
    sent = [(txn_id, "CAPTURE", amount, True, "ACCEPTED", datetime.datetime.combine(day, datetime.time(22)),
             datetime.datetime.combine(day, datetime.time(22)))
            for txn_id, amount, day in Transaction.select(Transaction.id, Transaction.amount, Transaction.capture_date)
            .where(Transaction.state == "CAPTURED").tuples()]
    insert(Operation, [Operation.transaction, Operation.kind, Operation.amount, Operation.succeeded,
                       Operation.remittance_status, Operation.sent_at, Operation.at], sent)
    if is_postgres():
        db.execute_sql("ANALYZE")
    return {"invoices": total, "supplier_payments": len(payments), "card_to_send": cards, "card_sent": len(sent),
            "seconds": round(time.perf_counter() - started, 1), "shop_id": shop.id}


class Counter:
    def __init__(self):
        self.count = 0
        original = db.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting


def page_floor(shop_id):
    """The page's facts by hand: payables per day (their count gives the overdue totals), card money
    per day, realised movements since the opening, the 20 most overdue invoices."""
    p = db.param
    left = ('i.total_gross - COALESCE((SELECT SUM(s.amount) FROM supplier_payment s WHERE s.invoice_id = i.id), 0)'
            ' - COALESCE((SELECT SUM(d.amount) FROM deposit_deduction d WHERE d.invoice_id = i.id), 0)')
    payable = ("i.shop_id = {p} AND i.status IN ('RECEIVED','IN_HAND','APPROVED','PARTIALLY_APPROVED',"
               "'PARTIALLY_PAID','DISPUTED','SUSPENDED') AND i.kind <> 'CREDIT_NOTE' AND i.currency = 'EUR'")
    payable = payable.format(p=p)
    joined = "i.total_gross - COALESCE(s.paid, 0) - COALESCE(d.ded, 0)"
    opened = TODAY - datetime.timedelta(days=30)
    statements = [
        (f"SELECT i.due_date, SUM({joined}), COUNT(*) FROM invoice i "
         "LEFT JOIN (SELECT invoice_id, SUM(amount) AS paid FROM supplier_payment GROUP BY invoice_id) s "
         "ON s.invoice_id = i.id "
         "LEFT JOIN (SELECT invoice_id, SUM(amount) AS ded FROM deposit_deduction GROUP BY invoice_id) d "
         f"ON d.invoice_id = i.id WHERE {payable} AND ({joined}) > 0 GROUP BY i.due_date", [shop_id]),
        (f"SELECT capture_date, SUM(amount) FROM card_transaction WHERE shop_id = {p} AND state = 'TO_CAPTURE' "
         "GROUP BY capture_date", [shop_id]),
        (f"SELECT DATE(o.sent_at), SUM(o.amount) FROM card_operation o JOIN card_transaction t ON t.id = o.transaction_id "
         f"WHERE t.shop_id = {p} AND o.kind = 'CAPTURE' AND o.sent_at >= {p} GROUP BY DATE(o.sent_at)",
         [shop_id, datetime.datetime.combine(opened, datetime.time())]),
        (f"SELECT s.paid_on, SUM(s.amount) FROM supplier_payment s JOIN invoice i ON i.id = s.invoice_id "
         f"WHERE i.shop_id = {p} AND s.paid_on >= {p} GROUP BY s.paid_on", [shop_id, opened]),
        (f"SELECT i.id, i.number, i.due_date, {left} FROM invoice i WHERE {payable} AND i.due_date < {p} "
         f"AND ({left}) > 0 ORDER BY i.due_date, i.id LIMIT 20", [shop_id, TODAY]),
    ]
    for sql, params in statements:
        db.execute_sql(sql, params).fetchall()


def before(shop_id):
    """What the page did until now: every outstanding invoice loaded as an object with its supplier."""
    from portal.reports.data import PAYABLE

    return len(list(Invoice.select(Invoice, Supplier).join(Supplier)
                    .where((Invoice.shop == shop_id) & Invoice.status.in_(PAYABLE) & (Invoice.kind != "CREDIT_NOTE")
                           & (Invoice.currency == "EUR")).order_by(Invoice.due_date)))


class Sink:
    def write(self, text):
        return len(text)


def csv_floor(shop_id):
    cursor = db.execute_sql(
        f"SELECT i.issue_date, s.name, i.number, i.kind, i.total_net, i.total_vat, i.total_gross, i.currency, "
        f"i.status, i.due_date FROM invoice i JOIN supplier s ON s.id = i.supplier_id WHERE i.shop_id = {db.param} "
        "AND i.currency = 'EUR' ORDER BY i.issue_date, i.id", [shop_id])
    writer = csv.writer(Sink(), delimiter=";")
    for row in cursor:
        writer.writerow(row)


def timed(run, reps, counter=None):
    times, queries = [], []
    for _ in range(reps):
        before_count = counter.count if counter else 0
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
        queries.append((counter.count - before_count) if counter else 0)
    return statistics.median(times), int(statistics.median(queries))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="bench-cashflow-"))
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=workdir / "instance")
    app.test_client_class = PortalClient
    app.config["CLOCK"] = FakeClock(datetime.datetime.combine(TODAY, datetime.time(10)))
    with app.app_context():
        if url.startswith("postgres"):
            reset_postgres()
        db.connect(reuse_if_open=True)
        apply_migrations()
        print(f"bench_cashflow: {safe_url(url)}, seeding {args.invoices} invoices…", flush=True)
        info = seed(args.invoices, args.cards, random.Random(7))
        print(f"  seeded in {info['seconds']} s", flush=True)
        client = app.test_client()
        assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 302
        counter = Counter()
        shop_id = info["shop_id"]

        def page(path):
            def run():
                response = client.get(path)
                assert response.status_code == 200, response.status_code
                response.get_data()
            return run

        results = []
        for name, run, floor in (
                ("cash-flow page, 13 weeks", page("/rapports/tresorerie"), lambda: page_floor(shop_id)),
                ("cash-flow page, 12 months", page("/rapports/tresorerie?periode=month"), lambda: page_floor(shop_id)),
                ("spend CSV", page("/rapports/depenses.csv"), lambda: csv_floor(shop_id))):
            run()  # warm-up
            median, queries = timed(run, args.reps, counter)
            floor_median, _ = timed(floor, args.reps)
            row = {"what": name, "median_ms": round(median, 1), "floor_ms": round(floor_median, 1),
                   "ratio": round(median / floor_median, 2), "queries": queries}
            results.append(row)
            print(f"  {name}: {row['median_ms']} ms, floor {row['floor_ms']} ms, ratio {row['ratio']}, "
                  f"{queries} queries", flush=True)
        old_ms, _ = timed(lambda: before(shop_id), 3)
        print(f"  before (every outstanding invoice loaded as an object): {old_ms:.1f} ms for that read alone")
        OUTPUT.parent.mkdir(exist_ok=True)
        OUTPUT.write_text(json.dumps({"database": "postgresql" if is_postgres() else "sqlite", "seed": info,
                                      "results": results, "before_read_ms": round(old_ms, 1)}, indent=2))
        print(f"  written to {OUTPUT}")


if __name__ == "__main__":
    main()
