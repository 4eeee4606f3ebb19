"""Benchmark of the remittance run at size (issue 10 item 6, OPS-7) and of the payments dashboard
(PAY-DASH-1), each next to its floor: the raw SQL doing the same work.

What it does
------------
1. A throw-away app (TestConfig) on a temporary SQLite database, or on PostgreSQL when
   PORTAL_BENCH_DATABASE_URL is set (a database dedicated to benchmarks: its Comptoir tables are
   dropped and migrated again, e.g. `createdb -h 127.0.0.1 -U postgres comptoir_bench_h2`).
2. Seeds with bulk inserts: 60 days of history (--history transactions a day: accepted and
   remitted, refused, refused at remittance, with their AUTHOR and CAPTURE rows) and --due
   (default 100,000) transactions created today, due to the bank tonight, each with its AUTHOR row.
   The cards are --cards tokens of the app's vault (the simulator decrypts each distinct card once).
3. remit(ctx, today) over the due captures, committing every CHUNK rows; reset between
   repetitions. Its floor: the same rows captured by raw SQL (INSERT … SELECT of the CAPTURE rows
   and UPDATE of the states), once in one transaction and once by chunks of the same size with a
   commit each. While remit runs, a second connection writes a row every 50 ms and the longest
   wait is reported (how long the portal could be blocked).
4. The dashboard page through the Flask test client (today: the busy day; and an ordinary day),
   and the 60-day chart it loads after itself (htmx), each next to the raw aggregate SQL it runs
   (the statements the request sent, replayed on a cursor).
Prints a table (median / p95 ms, ratio to the floor). Figures only: nothing here asserts time.

    .venv/bin/python scripts/bench_batch.py                 # SQLite, 100,000 due captures
    .venv/bin/python scripts/bench_batch.py --due 10000     # quicker
    PORTAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/comptoir_bench_h2 .venv/bin/python scripts/bench_batch.py
"""
import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from stdnum import luhn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import TestConfig  # noqa: E402
from models import Operation, RemittanceRun, Transaction, db  # noqa: E402
from portal import create_app  # noqa: E402
from portal.database import apply_migrations, is_postgres, open_database  # noqa: E402
from portal.payments import remittance  # noqa: E402
from portal.payments.acquirer import simulator_card  # noqa: E402
from portal.payments.cards import Expiry  # noqa: E402
from portal.payments.service import PaymentContext  # noqa: E402
from tests.conftest import PortalClient  # noqa: E402
from tests.factories import PASSWORD, FakeClock, make_shop, make_user  # noqa: E402

NOW = datetime.datetime(2026, 3, 10, 20, 0)  # 21:00 in Paris: the nightly run
TODAY = NOW.date()
TIMEZONE = "Europe/Paris"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


def reset_postgres():
    tables = db.get_tables()
    if tables and "schema_migration" not in tables:
        raise SystemExit("bench_batch: the PostgreSQL database is not a Comptoir one; refusing to drop its tables.")
    if tables:
        db.execute_sql("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


def insert_rows(model, rows, size=5000):
    for start in range(0, len(rows), size):
        model.insert_many(rows[start:start + size]).execute()


def distinct_card(n):
    """The n-th accepted simulator card (scenario 00, response 00), Luhn-valid."""
    return next(number for digit in "0123456789" if luhn.is_valid(number := f"43000000{n:05d}{digit}00"))


def seed(app, due, history, card_count):
    simulator = app.extensions["comptoir.acquirer"]
    shop = make_shop(name="Boutique du banc")
    make_user("admin", is_admin=True)  # an installed portal (no first-run redirect)
    make_user("banc", rights={shop: ["view"]})
    tokens = [simulator.store_card(distinct_card(n), Expiry(2030, 12)) for n in range(card_count)]
    refusing = simulator.store_card(simulator_card("520000", "11"), Expiry(2030, 12))
    txn_rows, op_rows = [], []
    next_id = 1
    common = dict(shop=shop.id, currency="EUR", capture_mode="AUTO", capture_delay=0, masked_pan="430000******0000",
                  networks="CB,VISA", card_expiry_year=2030, card_expiry_month=12)
    for days_back in range(60, 0, -1):
        day = TODAY - datetime.timedelta(days=days_back)
        for n in range(history):
            created = datetime.datetime.combine(day, datetime.time(7)) + datetime.timedelta(seconds=n * 40000 // history)
            kind = n % 20  # 0: refused, 1: refused at remittance, else accepted and remitted
            amount = 1500 + (n * 739) % 18000
            state = "REFUSED" if kind == 0 else "CAPTURE_REFUSED" if kind == 1 else "CAPTURED"
            txn_rows.append(dict(common, id=next_id, reference=f"H{day:%y%m%d}{n:06d}", amount=amount, state=state,
                                 created_at=created, card_token=refusing if kind == 1 else tokens[n % len(tokens)],
                                 network="CB" if n % 3 else "VISA", response_code="05" if kind == 0 else "00",
                                 capture_date=day))
            op_rows.append(dict(transaction=next_id, kind="AUTHOR", amount=amount, succeeded=kind != 0,
                                response_code="05" if kind == 0 else "00", at=created))
            if kind != 0:
                sent = datetime.datetime.combine(day, datetime.time(20))
                op_rows.append(dict(transaction=next_id, kind="CAPTURE", amount=amount, succeeded=kind != 1,
                                    response_code="12" if kind == 1 else "00", at=sent, sent_at=sent,
                                    remittance_status="REFUSED" if kind == 1 else "ACCEPTED",
                                    operation_number=f"R{next_id:08d}"))
            next_id += 1
    for n in range(due):
        created = datetime.datetime.combine(TODAY, datetime.time(7)) + datetime.timedelta(seconds=n * 40000 // due)
        amount = 1000 + n % 500
        txn_rows.append(dict(common, id=next_id, reference=f"M{n:010d}", amount=amount, state="TO_CAPTURE",
                             created_at=created, card_token=tokens[n % len(tokens)], network="CB", response_code="00",
                             capture_date=TODAY))
        op_rows.append(dict(transaction=next_id, kind="AUTHOR", amount=amount, succeeded=True, response_code="00",
                            at=created))
        next_id += 1
    with db.atomic():
        insert_rows(Transaction, txn_rows)
        insert_rows(Operation, op_rows)
    if is_postgres():
        db.execute_sql("SELECT setval(pg_get_serial_sequence('card_transaction', 'id'), "
                       "(SELECT MAX(id) FROM card_transaction) + 1, false)")
        db.execute_sql("ANALYZE")
    return shop


def reset_due():
    """Put today's due transactions back before a repetition."""
    with db.atomic():
        ids = Transaction.select(Transaction.id).where(Transaction.reference.startswith("M"))
        Operation.delete().where((Operation.kind == "CAPTURE") & Operation.transaction.in_(ids)).execute()
        Transaction.update(state="TO_CAPTURE").where(Transaction.reference.startswith("M")).execute()
        RemittanceRun.delete().execute()


class Writer(threading.Thread):
    """A second connection writing a small row every 50 ms, as the portal would: its longest wait."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.stop, self.waits = url, threading.Event(), []

    def run(self):
        database = open_database(self.url)
        database.connect()
        try:
            while not self.stop.is_set():
                began = time.perf_counter()
                with database.atomic(**({} if is_postgres() else {"lock_type": "IMMEDIATE"})):
                    database.execute_sql("UPDATE setting SET value = value WHERE key = 'bench'")
                self.waits.append(time.perf_counter() - began)
                time.sleep(0.05)
        finally:
            database.close()


def time_remit(app, url, repeat):
    ctx = PaymentContext(acquirer=app.extensions["comptoir.acquirer"], timezone=TIMEZONE, clock=FakeClock(NOW))
    results = []
    for _ in range(repeat):
        reset_due()
        writer = Writer(url)
        writer.start()
        began = time.perf_counter()
        summary = remittance.remit(ctx, TODAY)[TODAY]
        seconds = time.perf_counter() - began
        writer.stop.set()
        writer.join()
        results.append((seconds, max(writer.waits or [0]), summary))
    return results


def _floor_sql(chunk_bounds=None):
    where = "t.state = 'TO_CAPTURE' AND t.capture_date <= %s" % ("'" + TODAY.isoformat() + "'")
    if chunk_bounds:
        where += " AND t.id BETWEEN %d AND %d" % chunk_bounds
    now = NOW.isoformat(" ")
    insert = ("INSERT INTO card_operation (transaction_id, kind, amount, succeeded, response_code, reason, at, "
              "operation_number, remittance_status, sent_at, gateway_status) "
              f"SELECT t.id, 'CAPTURE', t.amount, {'TRUE' if is_postgres() else '1'}, '00', '', '{now}', "
              f"'R' || t.id, 'ACCEPTED', '{now}', '' FROM card_transaction t WHERE {where}")
    update = f"UPDATE card_transaction SET state = 'CAPTURED' WHERE id IN (SELECT t.id FROM card_transaction t WHERE {where})"
    return insert, update


def time_floor(repeat, chunk):
    """The same writes by raw SQL: set-based in one transaction, and by chunks with a commit each."""
    whole, chunked = [], []
    ids = [row[0] for row in Transaction.select(Transaction.id).where(Transaction.reference.startswith("M"))
           .order_by(Transaction.id).tuples()]
    for _ in range(repeat):
        reset_due()
        began = time.perf_counter()
        with db.atomic():
            for statement in _floor_sql():
                db.execute_sql(statement)
        whole.append(time.perf_counter() - began)
        reset_due()
        began = time.perf_counter()
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            with db.atomic():
                for statement in _floor_sql((part[0], part[-1])):
                    db.execute_sql(statement)
        chunked.append(time.perf_counter() - began)
    return whole, chunked


def time_dashboard(app, day, repeat, path="/transactions/tableau-de-bord", headers=None):
    client = app.test_client()
    client.post("/login", data={"username": "banc", "password": PASSWORD})
    url = f"{path}?jour={day.isoformat()}"
    statements = []
    database = db.obj
    original = database.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        if "card_transaction" in sql:
            statements.append((sql, params))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = recording
    response = client.get(url, headers=headers)
    del database.execute_sql
    assert response.status_code == 200, response.status_code
    page_times, sql_times = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(url, headers=headers)
        page_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        for sql, params in statements:
            cursor = db.cursor()
            cursor.execute(sql, params or ())
            cursor.fetchall()
        sql_times.append(time.perf_counter() - began)
    return page_times, sql_times, len(statements)


def ms(value):
    return f"{value * 1000:9.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--due", type=int, default=100_000, help="transactions due to the bank tonight")
    parser.add_argument("--history", type=int, default=1_500, help="transactions a day over the 60 days before")
    parser.add_argument("--cards", type=int, default=200, help="distinct cards in the vault")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions of the remittance run")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database and print where")
    parser.add_argument("--dashboard-only", action="store_true",
                        help="PostgreSQL: time the dashboard on the database a previous run left")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="comptoir-bench-batch-"))
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=tmp / "instance")
    app.test_client_class = PortalClient
    app.config["CLOCK"] = FakeClock(NOW)
    if is_postgres() and not args.dashboard_only:
        with db.connection_context():
            reset_postgres()
    apply_migrations()
    db.connect(reuse_if_open=True)
    engine = "PostgreSQL" if is_postgres() else "SQLite"
    runs = []
    if not args.dashboard_only:
        print(f"{engine}: seeding {args.due:,} due captures and {args.history * 60:,} transactions of history…",
              flush=True)
        began = time.perf_counter()
        seed(app, args.due, args.history, args.cards)
        db.execute_sql("INSERT INTO setting (key, value) VALUES ('bench', '0')")
        print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)
        runs = time_remit(app, url, args.repeat)
        whole, chunked = time_floor(args.repeat, remittance.CHUNK)
    if is_postgres():
        db.execute_sql("ANALYZE")  # after the runs' 100,000s of new rows, as autovacuum soon would
    busy = time_dashboard(app, TODAY, 20)
    ordinary = time_dashboard(app, TODAY - datetime.timedelta(days=3), 30)
    series = time_dashboard(app, TODAY, 10, "/transactions/tableau-de-bord/jours", {"HX-Request": "true"})

    print()
    print(f"{'measure (' + engine + ')':58} {'median':>9} {'p95':>9}  ratio")
    if runs:
        report_remit(args, runs, whole, chunked)
    report_dashboard(args, busy, ordinary, series)
    if runs:
        print(f"\nsummary of the last run: {runs[-1][2]}")
    db.close()
    if args.keep or args.dashboard_only:
        print(f"database kept in {url if is_postgres() else tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def report_remit(args, runs, whole, chunked):
    remit_median = statistics.median(seconds for seconds, _, _ in runs)
    floor_median, chunked_median = statistics.median(whole), statistics.median(chunked)
    print(f"{'remit(): ' + format(args.due, ',') + ' due captures, ms':58} {ms(remit_median)} "
          f"{ms(max(s for s, _, _ in runs))}  {remit_median / floor_median:5.1f}× set-based floor, "
          f"{remit_median / chunked_median:4.1f}× chunked floor")
    print(f"{'  floor: INSERT…SELECT + UPDATE, one transaction':58} {ms(floor_median)} {ms(max(whole))}")
    print(f"{'  floor: same, by chunks of ' + str(remittance.CHUNK) + ' with a commit each':58} "
          f"{ms(chunked_median)} {ms(max(chunked))}")
    print(f"{'  per capture, µs':58} {remit_median / args.due * 1e6:9.1f}")
    print(f"{'  longest wait of a portal write during the run, ms':58} {ms(max(w for _, w, _ in runs))}")


def report_dashboard(args, busy, ordinary, series):
    for label, (pages, sqls, count) in (("dashboard, busy day (" + format(args.due, ',') + " payments)", busy),
                                        ("dashboard, ordinary day (" + format(args.history, ',') + " payments)",
                                         ordinary),
                                        ("60-day chart fragment (" + format(args.history * 60 + args.due, ',')
                                         + " payments read)", series)):
        page_median, sql_median = statistics.median(pages), statistics.median(sqls)
        print(f"{label + ', ms':58} {ms(page_median)} {ms(percentile(pages, 95))}  "
              f"{page_median / sql_median:5.1f}× its raw SQL")
        print(f"{'  raw aggregate SQL (' + str(count) + ' statements)':58} {ms(sql_median)} {ms(percentile(sqls, 95))}")


if __name__ == "__main__":
    main()
