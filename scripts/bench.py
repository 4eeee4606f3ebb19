"""Comptoir performance benchmark: the card payment pages and the daily remittance run on a
realistically sized database.

What it does
------------
1. Builds a throw-away app (TestConfig) on a temporary SQLite database, or on PostgreSQL when
   PORTAL_BENCH_DATABASE_URL is set. The PostgreSQL database must exist and is dedicated to the
   benchmark: every table in it is dropped, then the migrations are applied again, so reruns work.
2. Seeds three shops, one user holding view / create_payment / validate / cancel / refund /
   duplicate / export on all of them, a handful of cards kept in the app's vault (their tokens are
   reused; each transaction's masked number gets its own last 4 digits), and 1,000,000 card
   transactions spread over the last 24 months (bulk insert_many in one database transaction per
   50,000, the secondary indexes dropped for the load and built after it), with realistic states and
   their operation rows (AUTHOR for each, VALIDATE / CAPTURE / CANCEL / CREDIT / EXPIRE where the
   state implies them), plus ~2,000 transactions created "today" (a FakeClock day) that the
   remittance run has to send to the bank.
3. Measures with time.perf_counter, several repetitions each (median and p95, in milliseconds),
   through the Flask test client logged in as that user:
     - the search scenarios of issue 10 (today; busiest day; 90 days; 24 months; last page; last 4
       digits over 24 months; amount range; state + date range; sort by amount), each next to its
       floor — the page's own SQL statements on transactions and operations, captured from the
       request and replayed raw through the driver — with the ratio and the page's query count;
       then the totals fragment of the same searches (read after the list), and the xlsx export of
       about 100,000 rows with its peak Python memory (tracemalloc, separate run)
     - GET /transactions/ and the busiest past day, as before
     - GET /transactions/<id>                detail page
     - GET  /transactions/<id>/rembourser    inline refund form (HX-Request, list context)
     - POST /transactions/<id>/rembourser    inline refund (HX-Request, fresh idempotency key)
     - GET /transactions/<id>/recus/<op>/a4.pdf   first request (WeasyPrint render + store)
       and later requests (served byte for byte from the document store)
     - GET / POST /transactions/nouveau      new payment form and its submission
     - remit(ctx, today)                     the daily remittance run over today's due
                                             TO_CAPTURE transactions (reset between repetitions)
   The "queries" column is the median number of SQL statements per repetition. The search table also
   gives the process's CPU time per page ("cpu p50/p95"): on a shared, busy machine it moves less than
   the wall clock (it includes SQLite's work, which runs in this process, but not PostgreSQL's). The remittance
   run, measured last, is repeated at least twice and then only while the whole benchmark stays
   within about three minutes.
4. Prints a table and writes the same figures to test-output/bench.json.

Performance targets are checked by reading these figures, never by timed assertions in tests.

Run it
------
    make bench                                   # SQLite, 1,000,000 transactions
    .venv/bin/python scripts/bench.py --only search   # the card history and its search only
    .venv/bin/python scripts/bench.py --only xlsx --transactions 200000 --sqlite /tmp/b.db   # the 100k-row export
    .venv/bin/python scripts/bench.py --only xlsx --sqlite /tmp/b.db --reuse                # again, same history
    .venv/bin/python scripts/bench.py --quick    # smoke run, 5,000 transactions
    .venv/bin/python scripts/bench.py --transactions 50000
    createdb -h 127.0.0.1 -U postgres comptoir_bench   # once
    PORTAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/comptoir_bench make bench

On PostgreSQL the tables are ANALYZEd after the bulk load (as autovacuum would soon do);
SQLite gets no ANALYZE because the app never runs one.
"""
import argparse
import contextlib
import csv
import io
import itertools
import datetime
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import zoneinfo
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peewee import chunked, fn  # noqa: E402

from config import TestConfig  # noqa: E402
from models import Operation, RemittanceRun, Transaction, Unpaid, db  # noqa: E402
from portal import create_app  # noqa: E402
from portal.database import apply_migrations, is_postgres  # noqa: E402
from portal.money import format_money  # noqa: E402
from portal.payments.acquirer import SIMULATOR_REFUSALS, response_label, simulator_card  # noqa: E402
from portal.payments.cards import Expiry, detect_networks, mask  # noqa: E402
from portal.payments.remittance import remit  # noqa: E402
from tests.conftest import PortalClient  # noqa: E402
from portal.payments.service import PaymentContext, current_fraud_profile  # noqa: E402
from tests.factories import PASSWORD, FakeClock, make_shop, make_user  # noqa: E402

DEFAULT_TRANSACTIONS = 1_000_000
QUICK_TRANSACTIONS = 5_000
HISTORY_DAYS = 730  # 24 months
TIMEZONE = "Europe/Paris"
PARIS = zoneinfo.ZoneInfo(TIMEZONE)
# "Now" for the app and the batch: 18:00 in Paris on a Tuesday, the shop's day mostly done.
NOW = datetime.datetime(2026, 3, 10, 17, 0, 0)
RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate", "export"]
# Three shops share the history (issue 10): the list reads all of them at once.
SHOP_NAMES = ["Boutique du Comptoir", "Comptoir de la Gare", "Comptoir de la Plage"]
SHOP_WEIGHTS = [50, 30, 20]
USERNAME = "bench"
HX = {"HX-Request": "true"}
CARD_EXPIRY = Expiry(2029, 12)
# The seeded history reuses these cards (weights: mostly domestic co-badged cards).
SEED_CARDS = [
    (simulator_card("420000"), 30),          # CB
    (simulator_card("440000"), 20),          # CB + V PAY
    (simulator_card("520000"), 20),          # CB + Mastercard
    (simulator_card("410000"), 12),          # Visa
    (simulator_card("510000"), 10),          # Mastercard
    (simulator_card("340000"), 5),           # American Express
    (simulator_card("520000", "33"), 3),     # issued in the US
]
TXN_CHUNK = 500  # rows per INSERT statement (25 columns: well under SQLite's 32,766 parameters)
OP_CHUNK = 1000  # 14 columns
FLUSH_EVERY = 50_000  # transactions per database transaction while seeding
OUTPUT = ROOT / "test-output" / "bench.json"
TIME_BUDGET = 170  # seconds: the remittance run, measured last, repeats less beyond this
REMIT = "remittance run remit(ctx, today)"


# --- Client ----------------------------------------------------------------------------


# The test suite's client: it sends the CSRF token in X-CSRFToken on every POST, as the pages do.
BenchClient = PortalClient


def expect(response, status, what):
    if response.status_code != status:
        body = response.get_data(as_text=True)
        raise SystemExit(f"bench: {what} answered {response.status_code} (expected {status}):\n{body[:2000]}")
    return response


# --- Measuring -----------------------------------------------------------------------------


class QueryCounter:
    """Counts the SQL statements the database runs (a wrapper around execute_sql)."""

    def __init__(self, database):
        self.count = 0
        original = database.execute_sql

        def counting(sql, params=None):
            self.count += 1
            return original(sql, params)

        database.execute_sql = counting


class Recorder:
    def __init__(self, counter):
        self.counter = counter
        self.samples = {}  # operation -> [(ms, queries)]

    @contextlib.contextmanager
    def timed(self, name):
        queries = self.counter.count
        start = time.perf_counter()
        yield
        elapsed = (time.perf_counter() - start) * 1000
        self.samples.setdefault(name, []).append((elapsed, self.counter.count - queries))

    def rows(self):
        result = []
        for name, samples in self.samples.items():
            times = sorted(ms for ms, _ in samples)
            result.append({
                "operation": name,
                "n": len(times),
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 95), 1),
                "max_ms": round(times[-1], 1),
                "queries": int(statistics.median(q for _, q in samples)),
            })
        return result


def percentile(sorted_values, pct):
    """Nearest-rank percentile (with few samples p95 is close to the maximum, as it should be)."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- Database ------------------------------------------------------------------------------


def safe_url(url):
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return urlunparse(parsed._replace(netloc=netloc))
    return url


def reset_postgres():
    """Drop every table of the dedicated benchmark database (refusing a database that is not Comptoir's)."""
    with db.connection_context():
        tables = db.get_tables()
        if tables and "schema_migration" not in tables:
            raise SystemExit("bench: PORTAL_BENCH_DATABASE_URL points to a database that is not Comptoir's "
                             f"(tables: {', '.join(tables[:8])}…); refusing to drop its tables.")
        if tables:
            db.execute_sql("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


def fix_sequences():
    """Rows were inserted with explicit ids: move the PostgreSQL sequences past them."""
    if not is_postgres():
        return
    for model in (Transaction, Operation, RemittanceRun):
        table = model._meta.table_name
        db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


# --- Seeding -------------------------------------------------------------------------------


def to_utc(day, local_time):
    return (datetime.datetime.combine(day, local_time, PARIS)
            .astimezone(datetime.UTC).replace(tzinfo=None))


def local_date(utc_naive):
    return utc_naive.replace(tzinfo=datetime.UTC).astimezone(PARIS).date()


def eur(minor):
    """French amount text, like format_money(minor, "EUR", locale="fr") but cheap enough for 200,000 rows."""
    return f"{minor // 100:,}".replace(",", "\u202f") + f",{minor % 100:02d}\u00a0€"


def _fraud_template(profile_version, uses, passed):
    rules = [
        {"rule": "max_amount", "label": "Montant maximum par transaction", "passed": True,
         "detail": "@AMOUNT@ pour un plafond de " + eur(500000)},
        {"rule": "card_velocity", "label": "Utilisations de la carte dans la journée", "passed": passed,
         "detail": f"{uses} utilisation(s) déjà aujourd'hui, 5 au plus"},
        {"rule": "card_country", "label": "Pays de la carte", "passed": True,
         "detail": "carte émise en FR ; aucun pays bloqué"},
    ]
    return json.dumps({"profile_version": profile_version, "passed": passed, "rules": rules}, ensure_ascii=False)


_FRAUD_TEMPLATES = {}


def fraud_json(amount, profile_version, uses=0, passed=True):
    """The fraud-check result stored with a transaction: one JSON text per (version, uses, passed),
    built once, with the amount put in (json.dumps per row was a fifth of the seeding time)."""
    key = (profile_version, uses, passed)
    if key not in _FRAUD_TEMPLATES:
        _FRAUD_TEMPLATES[key] = _fraud_template(*key)
    return _FRAUD_TEMPLATES[key].replace("@AMOUNT@", eur(amount))


TXN_FIELDS = [
    Transaction.id, Transaction.shop, Transaction.reference, Transaction.order_reference,
    Transaction.customer_code, Transaction.free_info, Transaction.amount, Transaction.currency,
    Transaction.capture_mode, Transaction.capture_delay, Transaction.state, Transaction.created_at,
    Transaction.created_by, Transaction.card_token, Transaction.masked_pan, Transaction.networks,
    Transaction.network, Transaction.card_expiry_year, Transaction.card_expiry_month, Transaction.card_country,
    Transaction.response_code, Transaction.authorisation_number, Transaction.fraud_result,
    Transaction.fraud_profile_version, Transaction.capture_date,
]
OP_FIELDS = [
    Operation.id, Operation.transaction, Operation.kind, Operation.amount, Operation.succeeded,
    Operation.response_code, Operation.reason, Operation.at, Operation.user, Operation.idempotency_key,
    Operation.operation_number, Operation.remittance_status, Operation.sent_at, Operation.error_at,
]


class BulkInsert:
    """Model.insert_many() per chunk of rows. Building the SQL text is most of peewee's cost (about
    7 µs per value, a minute for the full seed), and every full chunk has the same text: it is built
    once by insert_many and then reused with each chunk's values, after checking on that first chunk
    that peewee passes these values through unchanged (otherwise every chunk goes through peewee)."""

    def __init__(self, model, fields, size):
        self.model, self.fields, self.size = model, fields, size
        self.sql = None
        self.reusable = True

    def execute(self, rows):
        values = [value for row in rows for value in row]
        if self.sql is not None and len(rows) == self.size:
            db.execute_sql(self.sql, values)
            return
        sql, params = self.model.insert_many(rows, fields=self.fields).as_rowcount().sql()
        if len(rows) == self.size and self.reusable:
            if list(params) == values:
                self.sql = sql
            else:
                self.reusable = False
        db.execute_sql(sql, params)


class Seeder:
    """Generates transactions day by day (ids follow time, as in production) and bulk-inserts them."""

    def __init__(self, rng, shop, user, cards, today, profile_version):
        self.rng = rng
        shops = shop if isinstance(shop, (list, tuple)) else [shop]
        self.shop_ids = [s.id for s in shops]
        self.shop_weights = SHOP_WEIGHTS[:len(shops)] if len(shops) > 1 else [1]
        self.shop_id = self.shop_ids[0]
        self.user_id = user.id
        self.cards = cards  # [(token, masked, networks, country)]
        self.card_weights = [w for _, w in SEED_CARDS]
        self.today = today
        self.profile_version = profile_version
        self.next_txn = 1
        self.next_op = 1
        self.txn_rows = []
        self.op_rows = []
        self.txn_insert = BulkInsert(Transaction, TXN_FIELDS, TXN_CHUNK)
        self.op_insert = BulkInsert(Operation, OP_FIELDS, OP_CHUNK)
        self.counts = {"transactions": 0, "operations": 0}
        self.states = {}
        self.per_day = {}

    # Rows ---------------------------------------------------------------------------------

    def _op(self, txn_id, kind, amount, at, *, succeeded=True, code="00", reason="", user=True, key=False,
            number="", status="", sent_at=None, error_at=None):
        op_id = self.next_op
        self.next_op += 1
        self.op_rows.append((op_id, txn_id, kind, amount, succeeded, code, reason, at,
                             self.user_id if user else None, f"{self.rng.getrandbits(128):032x}" if key else None,
                             number, status, sent_at, error_at))
        return op_id

    def _sent(self, day):
        """When the evening batch of `day` sent things to the bank (22:00 in Paris)."""
        return to_utc(day, datetime.time(22, 0))

    def _capture(self, txn_id, amount, day, accepted=True):
        sent = self._sent(day)
        number = f"R{sent:%y%m%d}{txn_id:08d}"
        if accepted:
            self._op(txn_id, "CAPTURE", amount, sent, user=False, number=number, status="ACCEPTED", sent_at=sent)
        else:
            self._op(txn_id, "CAPTURE", amount, sent, succeeded=False, code="12", user=False,
                     reason="Remise refusée par la banque : transaction invalide", number=number,
                     status="REFUSED", sent_at=sent, error_at=sent)

    def transaction(self, created, day, *, today=False):
        rng = self.rng
        txn_id = self.next_txn
        self.next_txn += 1
        token, masked, networks, country = rng.choices(self.cards, self.card_weights)[0]
        # Many different cards, as in production: the masked number keeps the card's BIN and gets its
        # own last 4 digits (the vault token, used by operations, stays the simulator card's).
        masked = f"{masked[:-4]}{rng.randrange(10000):04d}"
        shop_id = self.shop_ids[0] if len(self.shop_ids) == 1 else rng.choices(self.shop_ids, self.shop_weights)[0]
        amount = max(100, min(450_000, int(rng.lognormvariate(math.log(4500), 0.9))))
        validation = rng.random() < (0.025 if today else 0.08)
        mode = "VALIDATION" if validation else "AUTO"
        delay = 3 if validation else (0 if today or rng.random() < 0.85 else rng.randint(1, 5))
        capture_date = day + datetime.timedelta(days=delay)
        auth_number = f"{rng.randrange(10**6):06d}"
        code = "00"
        outcome = rng.random()
        # AUTHOR result first: a few refusals and fraud blocks, whatever the mode.
        if outcome < 0.03:
            state, code = "REFUSED", rng.choice(["05", "51", "54"])
        elif outcome < 0.035:
            state, code = "FRAUD_SUSPECTED", "34"
        elif validation:
            if capture_date >= self.today:
                state = "TO_VALIDATE"
            else:
                state = rng.choices(["VALIDATED", "EXPIRED", "CANCELLED"], [75, 15, 10])[0]
                if state == "EXPIRED" and capture_date + datetime.timedelta(days=1) >= self.today:
                    state = "VALIDATED"  # would be expired by tonight's run, which the benchmark repeats
        elif capture_date >= self.today:
            # Today's payments, and older ones whose capture delay is not over: waiting for the batch.
            state = "TO_CAPTURE"
        else:
            r = rng.random()
            state = ("CANCELLED" if r < 0.02 else "CAPTURE_REFUSED" if r < 0.022
                     else "CREDITED" if r < 0.06 else "CAPTURED")
        accepted = state not in ("REFUSED", "FRAUD_SUSPECTED")
        reason = ("" if accepted else
                  "Bloquée par le contrôle de fraude : utilisations de la carte dans la journée"
                  if code == "34" else response_label(code))
        self._op(txn_id, "AUTHOR", amount, created, succeeded=accepted, code=code, reason=reason, key=True)
        final_state = state
        if state == "VALIDATED":
            validated_on = day + datetime.timedelta(days=rng.randint(0, delay))
            at = to_utc(validated_on, datetime.time(rng.randint(9, 18), rng.randint(0, 59)))
            self._op(txn_id, "VALIDATE", amount, max(at, created), key=True)
            capture_date = validated_on
            self._capture(txn_id, amount, validated_on)
            final_state = "CAPTURED"
        elif state == "EXPIRED":
            self._op(txn_id, "EXPIRE", amount, self._sent(capture_date + datetime.timedelta(days=1)), code="",
                     user=False, reason=f"Non validée au plus tard le {capture_date:%d/%m/%Y}")
        elif state == "CANCELLED":
            self._op(txn_id, "CANCEL", amount, created + datetime.timedelta(minutes=rng.randint(1, 120)), key=True)
        elif state == "CAPTURE_REFUSED":
            self._capture(txn_id, amount, capture_date, accepted=False)
        elif state in ("CAPTURED", "CREDITED"):
            self._capture(txn_id, amount, capture_date)
            if state == "CREDITED":
                refund_day = capture_date + datetime.timedelta(days=rng.randint(1, 60))
                if refund_day >= self.today:
                    final_state = "CAPTURED"
                else:
                    credit = amount if rng.random() < 0.6 else max(1, amount * rng.randint(10, 90) // 100)
                    at = to_utc(refund_day, datetime.time(rng.randint(9, 18), rng.randint(0, 59)))
                    sent = self._sent(refund_day)
                    self._op(txn_id, "CREDIT", credit, at, key=True, number=f"C{sent:%y%m%d}{txn_id:08d}",
                             status="ACCEPTED", sent_at=sent, code="")
        self.txn_rows.append((
            txn_id, shop_id, f"{created:%Y%m%d%H%M%S}{txn_id:06d}", f"CMD-{rng.randrange(10**7):07d}",
            f"C{rng.randrange(10**5):05d}" if rng.random() < 0.5 else "", "", amount, "EUR", mode, delay,
            final_state, created, self.user_id, token, masked, networks, networks.split(",")[0], 2029, 12,
            country if accepted else "", code, auth_number if accepted else "",
            fraud_json(amount, self.profile_version, passed=code != "34"), self.profile_version, capture_date,
        ))
        self.states[final_state] = self.states.get(final_state, 0) + 1
        self.per_day[day] = self.per_day.get(day, 0) + 1
        if len(self.txn_rows) >= FLUSH_EVERY:
            self.flush()

    def flush(self):
        if not self.txn_rows:
            return
        with db.atomic():
            for rows in chunked(self.txn_rows, TXN_CHUNK):
                self.txn_insert.execute(rows)
            for rows in chunked(self.op_rows, OP_CHUNK):
                self.op_insert.execute(rows)
        self.counts["transactions"] += len(self.txn_rows)
        self.counts["operations"] += len(self.op_rows)
        self.txn_rows, self.op_rows = [], []

    # Days ---------------------------------------------------------------------------------

    def history(self, total):
        """`total` transactions over the HISTORY_DAYS before today: fewer on Sundays, a busy
        December, and a business that grows over the period."""
        days = [self.today - datetime.timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
        weights = []
        for index, day in enumerate(days):
            weight = 0.7 + 0.6 * index / len(days)
            weight *= 0.35 if day.weekday() == 6 else 1.0
            weight *= 1.5 if day.month == 12 else 1.0
            weights.append(weight)
        scale = total / sum(weights)
        counts = [int(w * scale) for w in weights]
        for index in sorted(range(len(days)), key=lambda i: -weights[i])[:total - sum(counts)]:
            counts[index] += 1
        for day, count in zip(days, counts):
            self.day(day, count)

    def day(self, day, count, until=None):
        """`count` transactions between 08:00 and 21:00 local time (or `until`, UTC), in time order."""
        start = to_utc(day, datetime.time(8))
        end = min(to_utc(day, datetime.time(21)), until) if until else to_utc(day, datetime.time(21))
        span = (end - start).total_seconds()
        moments = sorted(start + datetime.timedelta(seconds=self.rng.random() * span) for _ in range(count))
        for created in moments:
            self.transaction(created.replace(microsecond=0), day, today=day == self.today)


@contextlib.contextmanager
def indexes_built_after(tables):
    """Drop the secondary (non-unique) indexes of `tables` for a bulk load and build them again
    after it: one sorted build per index instead of millions of scattered index updates. Yields a
    dict whose "seconds" is the time the builds took."""
    timing = {"seconds": 0.0}
    if is_postgres():
        rows = db.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                              "AND indexdef NOT LIKE 'CREATE UNIQUE%%'", (list(tables),)).fetchall()
    else:
        marks = ", ".join("?" * len(tables))
        rows = db.execute_sql(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}) "
                              "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", list(tables)).fetchall()
    for name, _ in rows:
        db.execute_sql(f'DROP INDEX "{name}"')
    try:
        yield timing
    finally:
        began = time.perf_counter()
        for _, sql in rows:
            db.execute_sql(sql)
        timing["seconds"] = round(time.perf_counter() - began, 1)


def seed(app, clock, total, today_count, rng):
    started = time.perf_counter()
    make_user("admin", is_admin=True)  # an installed portal: without an administrator every page goes to /setup
    shops = [make_shop(name) for name in SHOP_NAMES]
    shop = shops[0]
    user = make_user(USERNAME, rights={s: RIGHTS for s in shops})
    profile = current_fraud_profile()
    acquirer = app.extensions["comptoir.acquirer"]
    cards = []
    for number, _ in SEED_CARDS:
        networks = detect_networks(number)
        country = "US" if number[6:8] == "33" else "FR"
        cards.append((acquirer.store_card(number, CARD_EXPIRY), mask(number), ",".join(networks), country))
    today = local_date(clock.now)
    seeder = Seeder(rng, shops, user, cards, today, profile.version)
    with indexes_built_after(["card_transaction", "card_operation"]) as timing:
        seeder.history(total)
        seeder.day(today, today_count, until=clock.now - datetime.timedelta(minutes=5))
        seeder.flush()
    # The batch has run every evening so far.
    RemittanceRun.insert_many(
        [{"day": today - datetime.timedelta(days=n), "started_at": to_utc(today - datetime.timedelta(days=n),
                                                                          datetime.time(22)),
          "finished_at": to_utc(today - datetime.timedelta(days=n), datetime.time(22, 1)), "summary": "{}"}
         for n in range(HISTORY_DAYS, 0, -1)]).as_rowcount().execute()
    fix_sequences()
    if is_postgres():
        db.execute_sql("ANALYZE")
    past_days = {day: count for day, count in seeder.per_day.items() if day < today}
    busiest = max(past_days, key=past_days.get)
    return {
        "shop": shop, "shops": shops, "user": user, "today": today, "busiest_day": busiest,
        "index_seconds": timing["seconds"], "per_day": seeder.per_day,
        "busiest_day_count": past_days[busiest], "transactions": seeder.counts["transactions"],
        "operations": seeder.counts["operations"], "today_count": seeder.per_day.get(today, 0),
        "states": dict(sorted(seeder.states.items())), "seconds": round(time.perf_counter() - started, 1),
    }


def existing_seed(clock):
    """What seed() returns, read back from a database it filled earlier, or None if it holds none."""
    from models import Shop, User
    user = User.get_or_none(User.username == USERNAME)
    if user is None:
        return None
    shops = list(Shop.select().where(Shop.name.in_(SHOP_NAMES)).order_by(Shop.id))
    today = local_date(clock.now)
    per_day = {}
    day_sql = "CAST(created_at AS DATE)" if is_postgres() else "date(created_at)"
    for day, count in db.execute_sql(f"SELECT {day_sql}, COUNT(*) FROM card_transaction GROUP BY 1").fetchall():
        day = day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)
        per_day[day] = count  # seeded between 08:00 and 21:00 in Paris: the same day in UTC
    past = {day: count for day, count in per_day.items() if day < today}
    busiest = max(past, key=past.get)
    states = dict(db.execute_sql("SELECT state, COUNT(*) FROM card_transaction GROUP BY state").fetchall())
    return {
        "shop": shops[0], "shops": shops, "user": user, "today": today, "busiest_day": busiest,
        "busiest_day_count": past[busiest], "transactions": sum(per_day.values()),
        "operations": Operation.select().count(), "today_count": per_day.get(today, 0),
        "states": dict(sorted(states.items())), "seconds": 0.0, "index_seconds": 0.0, "per_day": per_day,
    }


# --- Scenarios -------------------------------------------------------------------------------


def sample_ids(query, count, rng):
    ids = [row.id for row in query]
    return rng.sample(ids, min(count, len(ids)))


def bench_lists(client, rec, info, reps):
    """The list as a merchant opens it in the morning: today, and the busiest past day."""
    expect(client.get("/transactions/"), 200, "warm-up list")
    past = f"/transactions/?du={info['busiest_day'].isoformat()}&au={info['busiest_day'].isoformat()}"
    for _ in range(reps):
        with rec.timed("list today (GET /transactions/)"):
            response = client.get("/transactions/")
        expect(response, 200, "today's list")
        with rec.timed("list past day (busiest)"):
            response = client.get(past)
        expect(response, 200, "past day list")
    assert 'id="txn-row-' in response.get_data(as_text=True), "the past day's list is empty"


# --- Search scenarios (issue 10): each page next to the raw SQL it runs -------------------------


class StatementLog:
    """Records the SQL statements run while active (text and parameters), to replay them raw."""

    def __init__(self, database):
        self.database, self.statements, self.active = database, [], False
        original = database.execute_sql

        def logged(sql, params=None, *args, **kwargs):
            if self.active:
                self.statements.append((sql, params))
            return original(sql, params, *args, **kwargs)

        self.previous = database.__dict__.get("execute_sql")
        database.execute_sql = logged

    def capture(self, run):
        self.statements, self.active = [], True
        try:
            run()
        finally:
            self.active = False
        return list(self.statements)

    def close(self):
        if self.previous is None:
            del self.database.execute_sql
        else:
            self.database.execute_sql = self.previous


def raw_floor(statements):
    """The page's own data statements (transactions and operations) run straight through the driver
    and fetched: what the page cannot do without; session and rights look-ups are left out."""
    data = [(sql, params) for sql, params in statements if "card_transaction" in sql or "card_operation" in sql]

    def run():
        for sql, params in data:
            cursor = db.cursor()
            cursor.execute(sql, params or ())
            cursor.fetchall()
    return run, len(data)


def search_scenarios(info):
    today, busiest = info["today"], info["busiest_day"]
    day90 = (today - datetime.timedelta(days=89)).isoformat()
    day730 = (today - datetime.timedelta(days=HISTORY_DAYS)).isoformat()
    # The last 4 digits of a card seen in the history (about 1 transaction in 10,000 shares them).
    middle = Transaction.select(fn.MAX(Transaction.id)).scalar() // 2
    last4 = Transaction.get_by_id(middle).masked_pan[-4:]
    rng90 = f"du={day90}&au={today.isoformat()}"
    rng730 = f"du={day730}&au={today.isoformat()}"
    return [
        ("today", "/transactions/"),
        ("busiest day", f"/transactions/?du={busiest.isoformat()}&au={busiest.isoformat()}"),
        ("90 days", f"/transactions/?{rng90}"),
        ("24 months", f"/transactions/?{rng730}"),
        ("24 months, last page", f"/transactions/?{rng730}&fin=1"),
        ("last 4 digits, 24 months", f"/transactions/?{rng730}&fin4={last4}"),
        ("amount range, 24 months", f"/transactions/?{rng730}&montant_min=100&montant_max=101"),
        ("state + 90 days", f"/transactions/?{rng90}&etat=CREDITED&etat=CAPTURE_REFUSED"),
        ("sort by amount, 90 days", f"/transactions/?{rng90}&tri=montant&ordre=desc"),
        ("sort by amount, 24 months", f"/transactions/?{rng730}&tri=montant&ordre=desc"),
    ]


def dashboard_scenarios(info):
    """The payments dashboard (PAY-DASH-1) of today and of a day a week ago (it goes back 60 days),
    and its 60-day chart, which the page asks for once shown (htmx)."""
    week_ago = (info["today"] - datetime.timedelta(days=7)).isoformat()
    return [
        ("dashboard: today", "/transactions/tableau-de-bord", {}),
        ("dashboard: a week ago", f"/transactions/tableau-de-bord?jour={week_ago}", {}),
        ("dashboard: 60-day chart", f"/transactions/tableau-de-bord/jours?jour={week_ago}", {"HX-Request": "true"}),
    ]


def bench_search(app, info, reps, *, totals=True, export=True):
    """Every search scenario through the real page (test client, logged in), its query count, and
    the raw SQL it runs; then the totals fragment of the same searches and the xlsx export."""
    counter = QueryCounter(db.obj)
    log = StatementLog(db.obj)
    client = app.test_client()
    expect(client.post("/login", data={"username": USERNAME, "password": PASSWORD}), 302, "login")
    rows = []
    budget = 20
    try:
        for name, url in search_scenarios(info):
            def page(url=url):
                expect(client.get(url), 200, url)
            floor, statements = raw_floor(log.capture(page))
            row = measure(counter, f"search: {name}", page, floor, reps, budget)
            row["data_statements"] = statements
            rows.append(row)
        for name, url, headers in dashboard_scenarios(info):
            def dashboard(url=url, headers=headers):
                expect(client.get(url, headers=headers), 200, url)
            floor, _ = raw_floor(log.capture(dashboard))
            rows.append(measure(counter, name, dashboard, floor, reps, budget))
        if totals:
            for name, url in search_scenarios(info):
                totals_url = url.replace("/transactions/", "/transactions/totaux", 1)

                def fragment(url=totals_url):
                    expect(client.get(url, headers={"HX-Request": "true"}), 200, url)
                floor, statements = raw_floor(log.capture(fragment))
                rows.append(measure(counter, f"totals: {name}", fragment, floor, max(3, reps // 3), budget))
        if export:
            rows.append(bench_xlsx(client, counter, info))
    finally:
        log.close()
    return rows


def bench_xlsx(client, counter, info, wanted=100_000):
    """GET /transactions/export.xlsx of about `wanted` rows of the first shop (the most recent ones):
    time to the last byte, and the peak of Python memory while it runs (tracemalloc, separate run)."""
    shop = info["shops"][0]
    ph = "%s" if is_postgres() else "?"
    oldest = db.execute_sql(f"SELECT created_at FROM card_transaction WHERE shop_id = {ph} "
                            f"ORDER BY created_at DESC LIMIT 1 OFFSET {wanted - 1}", (shop.id,)).fetchone()
    start = local_date(oldest[0] if isinstance(oldest[0], datetime.datetime)
                       else datetime.datetime.fromisoformat(oldest[0])) if oldest else info["today"]
    url = f"/transactions/export.xlsx?du={start.isoformat()}&au={info['today'].isoformat()}&boutique={shop.id}"
    count = Transaction.select().where((Transaction.shop == shop.id)
                                       & (Transaction.created_at >= to_utc(start, datetime.time()))).count()

    def download():
        response = client.get(url, buffered=False)
        expect(response, 200, url) if response.status_code != 200 else None
        assert _drain(response) > 1000

    # Its floor: the export's own data statements, run straight through the driver and fetched
    # (recorded over one download, on top of any StatementLog already in place).
    database = db.obj
    previous, original, statements = database.__dict__.get("execute_sql"), database.execute_sql, []

    def recording(sql, params=None, *args, **kwargs):
        statements.append((sql, params))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = recording
    try:
        download()
    finally:
        if previous is None:
            del database.execute_sql
        else:
            database.execute_sql = previous
    sql_floor, _ = raw_floor(statements)
    library_floor = xlsx_library_floor(statements)

    def floor():
        sql_floor()
        library_floor()
    row = measure(counter, f"export.xlsx ({count:,} rows)", download, floor, 2, 60)
    return row


def xlsx_library_floor(statements):
    """XlsxWriter alone (constant_memory, as the export) writing the same number of cells: the rows of
    the export's statements, fetched beforehand, ten cells a row, numbers as numbers, the rest as text."""
    import xlsxwriter

    cells = []
    for sql, params in statements:
        if "card_transaction" not in sql:
            continue
        cursor = db.cursor()
        cursor.execute(sql, params or ())
        for fetched in cursor.fetchall():
            values = fetched[1:11]  # the id first, the sort key last: not written
            cells.append([(isinstance(v, (int, float)), v if isinstance(v, (int, float)) else str(v))
                          for v in values])

    def run():
        with tempfile.TemporaryDirectory() as folder:
            book = xlsxwriter.Workbook(str(Path(folder) / "floor.xlsx"), {"constant_memory": True, "tmpdir": folder})
            sheet = book.add_worksheet()
            number, text = sheet.write_number, sheet.write_string
            for row, values in enumerate(cells, start=1):
                for column, (is_number, value) in enumerate(values):
                    (number if is_number else text)(row, column, value)
            book.close()
    return run


def print_search(rows):
    print()
    header = (f"{'search page / fragment / export':<40}  {'n':>3}  {'p50 ms':>8}  {'p95 ms':>8}  {'cpu p50':>8}  "
              f"{'cpu p95':>8}  {'queries':>7}  {'raw p50':>8}  {'raw p95':>8}  {'ratio':>6}  {'peak MB':>7}")
    print(header)
    print("-" * len(header))
    for row in rows:
        floor = row.get("floor_median_ms")
        print(f"{row['operation']:<40}  {row['n']:>3}  {row['median_ms']:>8.1f}  {row['p95_ms']:>8.1f}  "
              f"{row.get('cpu_median_ms', float('nan')):>8.1f}  {row.get('cpu_p95_ms', float('nan')):>8.1f}  "
              f"{row['queries']:>7}  {(floor if floor is not None else float('nan')):>8.1f}  "
              f"{(row.get('floor_p95_ms') if floor is not None else float('nan')):>8.1f}  "
              f"{(row.get('ratio') if row.get('ratio') is not None else float('nan')):>6.2f}  "
              f"{(row['peak_mb'] if row['peak_mb'] is not None else float('nan')):>7.1f}")


def bench_detail(client, rec, info, reps, rng):
    today_start = to_utc(info["today"], datetime.time())
    old = Transaction.select(Transaction.id).where(Transaction.created_at < today_start)
    recent = Transaction.select(Transaction.id).where(Transaction.created_at >= today_start)
    ids = sample_ids(old, reps - reps // 4, rng) + sample_ids(recent, reps // 4, rng)
    expect(client.get(f"/transactions/{ids[0]}"), 200, "warm-up detail")
    for txn_id in ids:
        with rec.timed("detail (GET /transactions/<id>)"):
            response = client.get(f"/transactions/{txn_id}")
        expect(response, 200, "detail")


def refundable_ids(info, count, rng):
    """Captured, not refunded, created 10 days to 14 months ago (inside the 15-month refund window)."""
    newest = to_utc(info["today"] - datetime.timedelta(days=10), datetime.time())
    oldest = to_utc(info["today"] - datetime.timedelta(days=420), datetime.time())
    query = (Transaction.select(Transaction.id)
             .where((Transaction.state == "CAPTURED") & (Transaction.amount >= 1000)
                    & (Transaction.created_at >= oldest) & (Transaction.created_at < newest)))
    return sample_ids(query, count, rng)


def bench_refund(client, rec, info, reps, rng):
    ids = refundable_ids(info, reps + 1, rng)
    if len(ids) < reps + 1:
        raise SystemExit("bench: not enough captured transactions to refund; seed more transactions")
    for index, txn_id in enumerate(ids):
        warm = index == 0
        with rec.timed("refund form (GET …/rembourser, htmx)") if not warm else contextlib.nullcontext():
            response = client.get(f"/transactions/{txn_id}/rembourser?contexte=liste", headers=HX)
        form = expect(response, 200, "refund form").get_data(as_text=True)
        assert "<html" not in form, "the refund form came back as a full page"
        key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
        data = {"amount": "1,00", "idempotency_key": key, "context": "liste"}
        with rec.timed("refund submit (POST …/rembourser, htmx)") if not warm else contextlib.nullcontext():
            response = client.post(f"/transactions/{txn_id}/rembourser", headers=HX, data=data)
        html = expect(response, 200, "refund").get_data(as_text=True)
        assert "opération réussie" in html and "hx-swap-oob" in html, html[:500]


def bench_receipts(client, rec, info, transactions, cached_reps, rng):
    ids = sample_ids(Transaction.select(Transaction.id).where(Transaction.state == "CAPTURED"),
                     transactions + 1, rng)
    authors = {op.transaction_id: op.id for op in Operation.select().where(
        (Operation.transaction.in_(ids)) & (Operation.kind == "AUTHOR") & Operation.succeeded
        & (Operation.amount > 0))}
    for index, txn_id in enumerate(ids):
        url = f"/transactions/{txn_id}/recus/{authors[txn_id]}/a4.pdf"
        warm = index == 0  # WeasyPrint loads its fonts on the first document of the process
        with rec.timed("receipt a4.pdf first (render)") if not warm else contextlib.nullcontext():
            response = client.get(url)
        first = expect(response, 200, "receipt").data
        assert first.startswith(b"%PDF")
        for _ in range(0 if warm else cached_reps):
            with rec.timed("receipt a4.pdf again (stored)"):
                response = client.get(url)
            assert expect(response, 200, "stored receipt").data == first, "receipt bytes changed"


def new_payment_cards(count):
    """Distinct accepted simulator cards, so that the per-card daily limit of the fraud check never trips."""
    codes = [f"{n:02d}" for n in range(1, 100) if f"{n:02d}" not in SIMULATOR_REFUSALS]
    return [simulator_card("430000", "00", code) for code in codes[:count]]


def chosen_shop(page):
    """The shop the new payment form offers: its hidden field (one shop), or the first option of its
    list (the seeded history's three shops)."""
    found = (re.search(r'<input[^>]*name="shop"[^>]*value="(\d+)"', page)
             or re.search(r'<select[^>]*name="shop"[^>]*>\s*<option[^>]*value="(\d+)"', page))
    return found.group(1)


def bench_new_payment(client, rec, reps):
    created = []
    for index, card in enumerate(new_payment_cards(reps + 1)):
        warm = index == 0
        with rec.timed("new payment form (GET /transactions/nouveau)") if not warm else contextlib.nullcontext():
            response = client.get("/transactions/nouveau")
        page = expect(response, 200, "new payment form").get_data(as_text=True)
        data = {
            "shop": chosen_shop(page),
            "card_number": " ".join(card[i:i + 4] for i in range(0, 16, 4)),
            "network": "VISA",
            "expiry": "12/29",
            "cvv": "123",
            "reference": re.search(r'id="reference"[^>]*value="(\w+)"', page).group(1),
            "amount": f"{random.Random(index).randint(5, 300)},50",
            "currency": "EUR",
            "capture_mode": "AUTO",
            "capture_delay": "0",
            "idempotency_key": re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1),
        }
        with rec.timed("new payment submit (POST /transactions/nouveau)") if not warm else contextlib.nullcontext():
            response = client.post("/transactions/nouveau", data=data)
        expect(response, 303, "new payment")
        created.append(int(response.headers["Location"].rstrip("/").split("/")[-2]))
    states = {t.state for t in Transaction.select(Transaction.state).where(Transaction.id.in_(created))}
    assert states == {"TO_CAPTURE"}, f"new payments not all accepted: {states}"


def bench_remittance(app, clock, rec, info, reps, deadline):
    """remit(ctx, today), then put everything back so that the next repetition does the same work.
    At least two runs; the later ones only while they fit before `deadline` (perf_counter time)."""
    ctx = PaymentContext(acquirer=app.extensions["comptoir.acquirer"], timezone=TIMEZONE, clock=clock,
                         format_amount=lambda minor, currency: format_money(minor, currency, locale="fr"))
    today = info["today"]
    db.connect(reuse_if_open=True)
    due = [t.id for t in Transaction.select(Transaction.id).where(
        (Transaction.state == "TO_CAPTURE") & (Transaction.capture_date <= today))]
    credits = list(Operation.select(Operation.id, Operation.transaction).where(
        (Operation.kind == "CREDIT") & (Operation.remittance_status == "TO_SEND")))
    last_op = Operation.select(Operation.id).order_by(Operation.id.desc()).first().id
    last_unpaid = (Unpaid.select(Unpaid.id).order_by(Unpaid.id.desc()).first() or Unpaid(id=0)).id
    summary = None
    for rep in range(reps):
        if rep >= 2 and time.perf_counter() + 1.2 * max(ms for ms, _ in rec.samples[REMIT]) / 1000 > deadline:
            print(f"remittance: {rep} runs (a further run would exceed the time budget)", flush=True)
            break
        with rec.timed(REMIT):
            result = remit(ctx, today)
        summary = result[today]
        assert summary["captured"] + summary["capture_refused"] == len(due), (summary, len(due))
        with db.atomic():
            Operation.delete().where(Operation.id > last_op).execute()
            Unpaid.delete().where(Unpaid.id > last_unpaid).execute()
            RemittanceRun.delete().where(RemittanceRun.day == today).execute()
            for ids in chunked(due, 500):
                Transaction.update(state="TO_CAPTURE").where(Transaction.id.in_(ids)).execute()
            if credits:
                Operation.update(remittance_status="TO_SEND", sent_at=None, operation_number="",
                                 warning_at=None, error_at=None).where(
                    Operation.id.in_([op.id for op in credits])).execute()
                Transaction.update(state="TO_CREDIT").where(
                    Transaction.id.in_({op.transaction_id for op in credits})).execute()
    return {"due_captures": len(due), "pending_credits": len(credits), "summary": summary}


# === Supplier invoices and payables (issue 14) ===============================================
# 100,000 supplier invoices (BENCH_INVOICES) with lines, VAT breakdown, approval events,
# allocations, payments, deposits, credit notes and some reverse charge; orders, requests and mail.
# Each page and export is timed through the test client (median, p95), its peak memory taken
# with tracemalloc in a separate run (tracemalloc slows Python down), and set next to its floor:
# the raw SQL it needs (plus the CSV write for an export), measured in the same run.

DEFAULT_INVOICES = 100_000
QUICK_INVOICES = 5_000
AP_USER = "compta"
AP_RIGHTS = ["view", "export", "manage_suppliers", "approve_invoices", "pay_invoices", "manage_axes"]
AP_TODAY = datetime.date(2026, 3, 10)
AP_YEARS = 2
EU_SUPPLIERS = [("DE", "DE136695976"), ("BE", "BE0403170701"), ("IT", "IT00743110157"), ("ES", "ESB58378431")]
SUPPLIER_IBAN = "FR7630006000011234567890189"
AP_STATUSES = [("PAID", 70), ("APPROVED", 13), ("PARTIALLY_PAID", 3), ("RECEIVED", 5), ("IN_HAND", 3),
               ("DISPUTED", 2), ("SUSPENDED", 2), ("REFUSED", 2)]
SEPA_BATCH = 2000


def _insert(model, fields, rows, size=None):
    """Bulk insert in chunks under SQLite's parameter limit."""
    size = size or max(1, 30000 // len(fields))
    inserter = BulkInsert(model, fields, size)
    for chunk in chunked(rows, size):
        inserter.execute(list(chunk))


def _fix_ap_sequences(models):
    if not is_postgres():
        return
    for model in models:
        table = model._meta.table_name
        db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def seed_payables(total, rng):
    """Bulk-insert the supplier side; returns what the scenarios need."""
    from models import (Allocation, AnalyticAxis, AnalyticValue, Invoice, InvoiceEvent, InvoiceLine, InvoiceVat,
                        OutgoingMail, PurchaseLine, PurchaseOrder, PurchaseRequest, Setting, Supplier,
                        SupplierPayment)
    started = time.perf_counter()
    shop = make_shop("Comptoir Fournisseurs")
    user = make_user(AP_USER, rights={shop: AP_RIGHTS}, is_admin=True)
    Setting.create(key="company", value=json.dumps({"name": "Comptoir SAS", "siren": "732829320",
                                                    "iban": "FR7630004000031234567890143", "bic": "BNPAFRPP"}))
    suppliers = max(50, total // 100)
    now = datetime.datetime(2026, 3, 10, 12, 0)
    supplier_rows = []
    eu = set(rng.sample(range(1, suppliers + 1), max(2, suppliers // 20)))
    for sid in range(1, suppliers + 1):
        country, vat = rng.choice(EU_SUPPLIERS) if sid in eu else ("FR", "")
        supplier_rows.append((sid, f"Fournisseur {sid:05d} {rng.choice(['SARL', 'SAS', 'GmbH', 'SA'])}", country,
                              vat, f"Ville {sid % 97}", 30, SUPPLIER_IBAN, "BNPAFRPP", False, now))
    with db.atomic():
        _insert(Supplier, [Supplier.id, Supplier.name, Supplier.country, Supplier.vat_number, Supplier.city,
                           Supplier.payment_terms_days, Supplier.iban, Supplier.bic, Supplier.archived,
                           Supplier.created_at], supplier_rows)
        axis = AnalyticAxis.create(name="Centre de coût", position=1)
        values = [AnalyticValue.create(axis=axis, name=name, code=name[:3].upper())
                  for name in ("Commercial", "Atelier", "Logistique", "Direction", "Boutique", "Marketing")]
    statuses, weights = zip(*AP_STATUSES)
    booked = {"APPROVED", "PARTIALLY_PAID", "PAID"}
    inv_rows, line_rows, vat_rows, event_rows, alloc_rows, pay_rows = [], [], [], [], [], []
    ids = {"line": 1, "vat": 1, "event": 1, "alloc": 1, "pay": 1}
    days = AP_YEARS * 365

    def flush():
        with db.atomic():
            _insert(Invoice, INV_FIELDS, inv_rows)
            _insert(InvoiceLine, LINE_FIELDS, line_rows)
            _insert(InvoiceVat, VAT_FIELDS, vat_rows)
            _insert(InvoiceEvent, EVENT_FIELDS, event_rows)
            _insert(Allocation, ALLOC_FIELDS, alloc_rows)
            _insert(SupplierPayment, PAY_FIELDS, pay_rows)
        for rows in (inv_rows, line_rows, vat_rows, event_rows, alloc_rows, pay_rows):
            rows.clear()

    INV_FIELDS = [Invoice.id, Invoice.shop, Invoice.supplier, Invoice.number, Invoice.kind, Invoice.issue_date,
                  Invoice.due_date, Invoice.currency, Invoice.total_net, Invoice.total_vat, Invoice.total_gross,
                  Invoice.status, Invoice.source, Invoice.created_by, Invoice.created_at]
    LINE_FIELDS = [InvoiceLine.id, InvoiceLine.invoice, InvoiceLine.position, InvoiceLine.description,
                   InvoiceLine.quantity_milli, InvoiceLine.unit_price, InvoiceLine.vat_rate, InvoiceLine.net_amount]
    VAT_FIELDS = [InvoiceVat.id, InvoiceVat.invoice, InvoiceVat.rate, InvoiceVat.base, InvoiceVat.amount]
    EVENT_FIELDS = [InvoiceEvent.id, InvoiceEvent.invoice, InvoiceEvent.at, InvoiceEvent.user, InvoiceEvent.action,
                    InvoiceEvent.from_status, InvoiceEvent.to_status]
    ALLOC_FIELDS = [Allocation.id, Allocation.invoice, Allocation.value, Allocation.amount, Allocation.created_by,
                    Allocation.created_at]
    PAY_FIELDS = [SupplierPayment.id, SupplierPayment.invoice, SupplierPayment.amount, SupplierPayment.paid_on,
                  SupplierPayment.method, SupplierPayment.iban, SupplierPayment.bic, SupplierPayment.reference,
                  SupplierPayment.created_by, SupplierPayment.created_at]
    counts = {"reverse_charge": 0}
    for invoice_id in range(1, total + 1):
        # Ids follow the issue date, as in production.
        issue = AP_TODAY - datetime.timedelta(days=days - (invoice_id * days) // (total + 1))
        sid = rng.randint(1, suppliers)
        reverse = sid in eu
        counts["reverse_charge"] += reverse
        status = rng.choices(statuses, weights)[0]
        kind = "INVOICE"
        r = rng.random()
        if r < 0.04:
            kind = "CREDIT_NOTE"
            status = "APPROVED" if status != "REFUSED" else status
        elif r < 0.06:
            kind, status = "DEPOSIT", "PAID"
        if issue > AP_TODAY - datetime.timedelta(days=45) and status == "PAID" and rng.random() < 0.7:
            status = "APPROVED"  # recent invoices are mostly still to pay
        nets = [max(100, int(rng.lognormvariate(math.log(20000), 1.0))) for _ in range(2)]
        rate = 0 if reverse else 2000
        vat = sum(net * rate // 10000 for net in nets)
        net = sum(nets)
        gross = net + vat
        due = issue + datetime.timedelta(days=30)
        created = datetime.datetime.combine(issue, datetime.time(9)) + datetime.timedelta(days=1)
        inv_rows.append((invoice_id, shop.id, sid, f"F{invoice_id:07d}", kind, issue, due, "EUR", net, vat, gross,
                         status, "MANUAL", user.id, created))
        for position, line_net in enumerate(nets, start=1):
            line_rows.append((ids["line"], invoice_id, position, f"Article {position} de la facture", 1000,
                              line_net, rate, line_net))
            ids["line"] += 1
        vat_rows.append((ids["vat"], invoice_id, rate, net, vat))
        ids["vat"] += 1
        if status in booked:
            event_rows.append((ids["event"], invoice_id, created + datetime.timedelta(hours=2), user.id, "approve",
                               "IN_HAND", "APPROVED"))
            ids["event"] += 1
        split = rng.random() < 0.3
        first = net // 2 if split else net
        alloc_rows.append((ids["alloc"], invoice_id, rng.choice(values).id, first, user.id, created))
        ids["alloc"] += 1
        if split:
            alloc_rows.append((ids["alloc"], invoice_id, rng.choice(values).id, net - first, user.id, created))
            ids["alloc"] += 1
        if kind != "CREDIT_NOTE" and status in ("PAID", "PARTIALLY_PAID"):
            amount = gross if status == "PAID" else gross // 2
            paid_on = min(due, AP_TODAY)
            pay_rows.append((ids["pay"], invoice_id, amount, paid_on, "TRANSFER", SUPPLIER_IBAN, "BNPAFRPP",
                             f"VIR-{invoice_id}", user.id, datetime.datetime.combine(paid_on, datetime.time(10))))
            ids["pay"] += 1
        if len(inv_rows) >= 5000:
            flush()
    flush()
    # Purchasing and mail, at the scale of the invoices.
    orders, requests_, mails = max(100, total // 30), max(100, total // 50), max(200, total // 5)
    with db.atomic():
        _insert(PurchaseRequest, [PurchaseRequest.id, PurchaseRequest.shop, PurchaseRequest.number,
                                  PurchaseRequest.title, PurchaseRequest.currency, PurchaseRequest.status,
                                  PurchaseRequest.requested_by, PurchaseRequest.created_at],
                [(n, shop.id, f"DA-B-{n:06d}", f"Demande {n}", "EUR", rng.choice(["OPEN", "ORDERED"]), user.id,
                  now - datetime.timedelta(hours=n)) for n in range(1, requests_ + 1)])
        _insert(PurchaseOrder, [PurchaseOrder.id, PurchaseOrder.shop, PurchaseOrder.number, PurchaseOrder.supplier,
                                PurchaseOrder.currency, PurchaseOrder.created_by, PurchaseOrder.created_at],
                [(n, shop.id, f"BC-B-{n:06d}", rng.randint(1, suppliers), "EUR", user.id,
                  now - datetime.timedelta(hours=n)) for n in range(1, orders + 1)])
        line_id = itertools.count(1)
        _insert(PurchaseLine, [PurchaseLine.id, PurchaseLine.request, PurchaseLine.order, PurchaseLine.position,
                               PurchaseLine.description, PurchaseLine.quantity_milli, PurchaseLine.unit_price,
                               PurchaseLine.vat_rate],
                [(next(line_id), None, n, p, f"Article {p}", 2000, rng.randint(500, 50000), 2000)
                 for n in range(1, orders + 1) for p in (1, 2)]
                + [(next(line_id), n, None, 1, "Article", 1000, rng.randint(500, 50000), 2000)
                   for n in range(1, requests_ + 1)])
        _insert(OutgoingMail, [OutgoingMail.id, OutgoingMail.to, OutgoingMail.subject, OutgoingMail.body,
                               OutgoingMail.invoice, OutgoingMail.status, OutgoingMail.attempts,
                               OutgoingMail.last_error, OutgoingMail.next_attempt_at, OutgoingMail.sent_at,
                               OutgoingMail.created_at],
                [(n, "compta@fournisseur.example", f"Facture F{n:07d} : approuvée", "Bonjour,\n…", n,
                  "SENT" if n % 50 else ("FAILED" if n % 100 else "PENDING"), 0 if n % 50 else 10,
                  "" if n % 50 else "550 refusé", now - datetime.timedelta(minutes=n),
                  now - datetime.timedelta(minutes=n) if n % 50 else None, now - datetime.timedelta(minutes=n))
                 for n in range(1, mails + 1)])
    _fix_ap_sequences([Supplier, Invoice, InvoiceLine, InvoiceVat, InvoiceEvent, Allocation, SupplierPayment,
                       PurchaseRequest, PurchaseOrder, PurchaseLine, OutgoingMail])
    if is_postgres():
        db.execute_sql("ANALYZE")
    return {"shop": shop, "user": user, "invoices": total, "suppliers": suppliers, "orders": orders,
            "requests": requests_, "mails": mails, "reverse_charge_invoices": counts["reverse_charge"],
            "lines": ids["line"] - 1, "allocations": ids["alloc"] - 1, "payments": ids["pay"] - 1,
            "seconds": round(time.perf_counter() - started, 1)}


# --- Measuring a page or an export next to its floor ------------------------------------------


def _drain(response):
    """Read a (streamed) body chunk by chunk without keeping it: the size in bytes."""
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


class Floors:
    """Raw-SQL floors: what the page or the export needs from the database, run straight through
    the driver (plus the CSV write into a discarding sink for an export)."""

    def __init__(self, shop_id):
        self.shop = shop_id

    @staticmethod
    def fetch(sql, params=()):
        return db.execute_sql(sql, params).fetchall()

    @staticmethod
    def write_csv(cursor):
        sink = io.StringIO()
        writer = csv.writer(sink, delimiter=";", lineterminator="\r\n")
        rows = 0
        while True:
            batch = cursor.fetchmany(1000)
            if not batch:
                break
            writer.writerows(batch)
            rows += len(batch)
            sink.seek(0)
            sink.truncate()
        return rows


PAYABLE_SQL = ("'APPROVED', 'PARTIALLY_APPROVED', 'PARTIALLY_PAID'")
# What the list of invoices to pay needs: since migration 0017 the settled sums are stored on the
# invoice (paid_total, deducted_total), so the floor reads them too (before: an aggregate of the
# payments and deductions per invoice, 179 ms on SQLite at 100,000 invoices).
OUTSTANDING_SQL = """
    SELECT i.id, i.number, i.kind, i.status, i.due_date, i.currency, i.total_gross, s.name, s.iban,
           i.paid_total + i.deducted_total AS settled
    FROM invoice i JOIN supplier s ON s.id = i.supplier_id
    WHERE i.shop_id = %(p)s AND i.status IN ({payable}) AND i.kind <> 'CREDIT_NOTE'
      AND i.total_gross > i.paid_total + i.deducted_total
"""


def _sql(text):
    """%(p)s placeholders in the floor queries, for both drivers."""
    return text.replace("%(p)s", "%s" if is_postgres() else "?")


def floor_queries(shop_id, period):
    """{name: callable} of the raw floors, keyed like the scenarios."""
    p = _sql("%(p)s")
    outstanding = _sql(OUTSTANDING_SQL.format(payable=PAYABLE_SQL))
    candidates = _sql(f"""SELECT i.total_gross AS gross, i.paid_total + i.deducted_total AS settled
        FROM invoice i WHERE i.shop_id = %(p)s AND i.status IN ({PAYABLE_SQL}) AND i.kind <> 'CREDIT_NOTE'""")
    start, end = period

    def invoices_first():
        Floors.fetch(f"SELECT i.*, s.name FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
                     f"WHERE i.shop_id = {p} ORDER BY i.due_date, i.id DESC LIMIT 50", (shop_id,))
        Floors.fetch(f"SELECT COUNT(*) FROM invoice i WHERE i.shop_id = {p}", (shop_id,))

    def invoices_last():
        count = Floors.fetch(f"SELECT COUNT(*) FROM invoice i WHERE i.shop_id = {p}", (shop_id,))[0][0]
        # The last page read from the other end, as a hand-written query would.
        last = count - (count - 1) // 50 * 50
        Floors.fetch(f"SELECT i.*, s.name FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
                     f"WHERE i.shop_id = {p} ORDER BY i.due_date DESC, i.id LIMIT {last}", (shop_id,))

    def to_pay(offset_last=False, order="i.due_date, i.id"):
        def run():
            count, total = Floors.fetch(f"SELECT COUNT(*), SUM(gross - settled) FROM ({candidates}) t "
                                        f"WHERE gross > settled", (shop_id,))[0]
            if offset_last:
                last = (count or 0) - ((count or 1) - 1) // 50 * 50
                Floors.fetch(f"{outstanding} ORDER BY i.due_date DESC, i.id DESC LIMIT {last}", (shop_id,))
            else:
                Floors.fetch(f"{outstanding} ORDER BY {order} LIMIT 50", (shop_id,))
        return run

    def suppliers():
        Floors.fetch("SELECT * FROM supplier WHERE archived = %s ORDER BY name, id LIMIT 50"
                     .replace("%s", "%s" if is_postgres() else "?"), (False,))
        Floors.fetch("SELECT COUNT(*) FROM supplier WHERE archived = %s".replace("%s", "%s" if is_postgres() else "?"),
                     (False,))

    def purchasing():
        Floors.fetch(f"SELECT o.*, s.name, (SELECT SUM(l.quantity_milli * l.unit_price) FROM purchase_line l "
                     f"WHERE l.order_id = o.id) FROM purchase_order o JOIN supplier s ON s.id = o.supplier_id "
                     f"WHERE o.shop_id = {p} ORDER BY o.created_at DESC, o.id DESC LIMIT 50", (shop_id,))
        Floors.fetch(f"SELECT r.*, (SELECT SUM(l.quantity_milli * l.unit_price) FROM purchase_line l "
                     f"WHERE l.request_id = r.id) FROM purchase_request r "
                     f"WHERE r.shop_id = {p} ORDER BY r.created_at DESC, r.id DESC LIMIT 50", (shop_id,))

    def mail_queue():
        Floors.fetch("SELECT status, COUNT(*) FROM outgoing_mail GROUP BY status")
        for status, order in (("FAILED", "created_at DESC"), ("PENDING", "next_attempt_at"),
                              ("SENT", "sent_at DESC")):
            Floors.fetch(f"SELECT * FROM outgoing_mail WHERE status = '{status}' ORDER BY {order}, id LIMIT 50")

    dates = (start, end)
    ph = "%s" if is_postgres() else "?"

    def export(sql, params):
        def run():
            cursor = db.execute_sql(sql, params)
            Floors.write_csv(cursor)
        return run

    booked = "('APPROVED', 'PARTIALLY_APPROVED', 'PARTIALLY_PAID', 'PAID')"
    allocation_sql = (f"SELECT i.issue_date, s.name, i.number, x.name, v.name, a.amount, i.currency "
                      f"FROM allocation a JOIN invoice i ON i.id = a.invoice_id JOIN supplier s ON s.id = i.supplier_id "
                      f"JOIN analytic_value v ON v.id = a.value_id JOIN analytic_axis x ON x.id = v.axis_id "
                      f"WHERE i.shop_id = {ph} ORDER BY i.issue_date, i.id, x.position, a.id")
    spend_sql = (f"SELECT i.issue_date, s.name, i.number, i.kind, i.total_net, i.total_vat, i.total_gross, "
                 f"i.currency, i.status, i.due_date FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
                 f"WHERE i.shop_id = {ph} AND i.currency = 'EUR' ORDER BY i.issue_date, i.id")
    entries_sql = (f"SELECT i.*, s.name, s.country, s.vat_number FROM invoice i JOIN supplier s ON s.id = i.supplier_id "
                   f"WHERE i.shop_id = {ph} AND i.currency = 'EUR' AND i.issue_date BETWEEN {ph} AND {ph} "
                   f"AND i.status IN {booked} ORDER BY i.issue_date, i.id")
    payments_sql = (f"SELECT p.*, i.number, s.name FROM supplier_payment p JOIN invoice i ON i.id = p.invoice_id "
                    f"JOIN supplier s ON s.id = i.supplier_id WHERE i.shop_id = {ph} AND i.currency = 'EUR' "
                    f"AND p.paid_on BETWEEN {ph} AND {ph} ORDER BY p.paid_on, p.id")

    def entries():
        export(entries_sql, (shop_id, *dates))()
        export(payments_sql, (shop_id, *dates))()

    analytic_sql = (f"SELECT i.issue_date, i.number, i.kind, s.name, x.name, v.code, v.name, a.amount, i.currency, "
                    f"a.percent FROM allocation a JOIN invoice i ON i.id = a.invoice_id "
                    f"JOIN supplier s ON s.id = i.supplier_id JOIN analytic_value v ON v.id = a.value_id "
                    f"JOIN analytic_axis x ON x.id = v.axis_id LEFT JOIN invoice_line l ON l.id = a.invoice_line_id "
                    f"WHERE i.shop_id = {ph} AND i.issue_date BETWEEN {ph} AND {ph} AND i.status IN {booked} "
                    f"ORDER BY i.issue_date, i.id, x.position, x.name, a.id")

    def accounting_page():
        Floors.fetch(f"SELECT i.kind, COUNT(*), SUM(i.total_gross) FROM invoice i WHERE i.shop_id = {ph} "
                     f"AND i.currency = 'EUR' AND i.issue_date BETWEEN {ph} AND {ph} AND i.status IN {booked} "
                     f"GROUP BY i.kind", (shop_id, *dates))
        Floors.fetch(f"SELECT COUNT(*), SUM(p.amount) FROM supplier_payment p JOIN invoice i ON i.id = p.invoice_id "
                     f"WHERE i.shop_id = {ph} AND i.currency = 'EUR' AND p.paid_on BETWEEN {ph} AND {ph}",
                     (shop_id, *dates))

    return {
        "invoices": invoices_first, "invoices_last": invoices_last, "to_pay": to_pay(), "to_pay_last": to_pay(True),
        "to_pay_by_supplier": to_pay(order="s.name, i.id"),
        "suppliers": suppliers, "purchasing": purchasing, "mail_queue": mail_queue,
        "allocation_csv": export(allocation_sql, (shop_id,)), "spend_csv": export(spend_sql, (shop_id,)),
        "entries_csv": entries, "fec": entries, "analytic_csv": export(analytic_sql, (shop_id, *dates)),
        "accounting_page": accounting_page,
    }


def _stats(values):
    values = sorted(values)
    return statistics.median(values), percentile(values, 95)


def measure(counter, name, run, floor, reps, budget):
    """Time `run` (a request) `reps` times, or fewer when one run exceeds `budget` seconds; one more
    run under tracemalloc for the peak memory; the floor the same number of times."""
    times, queries, cpu = [], [], []
    start = time.perf_counter()
    for index in range(reps + 1):
        before_queries = counter.count
        began, began_cpu = time.perf_counter(), time.process_time()
        run()
        elapsed = (time.perf_counter() - began) * 1000
        if index == 0 and elapsed < 2000:
            continue  # warm-up (template compilation, caches), unless it is already slow
        times.append(elapsed)
        # This process's CPU time: on a shared machine, less disturbed by the others than the wall
        # clock (SQLite runs in this process; PostgreSQL's own work is not counted).
        cpu.append((time.process_time() - began_cpu) * 1000)
        queries.append(counter.count - before_queries)
        if len(times) >= 2 and time.perf_counter() - start > budget:
            break
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    run()
    peak = (tracemalloc.get_traced_memory()[1] - base) / 1e6
    tracemalloc.stop()
    floor_times = []
    if floor is not None:
        floor()
        for _ in range(max(3, len(times))):
            began = time.perf_counter()
            floor()
            floor_times.append((time.perf_counter() - began) * 1000)
    median, p95 = _stats(times)
    cpu_median, cpu_p95 = _stats(cpu)
    row = {"operation": name, "n": len(times), "median_ms": round(median, 1), "p95_ms": round(p95, 1),
           "cpu_median_ms": round(cpu_median, 1), "cpu_p95_ms": round(cpu_p95, 1),
           "queries": int(statistics.median(queries)), "peak_mb": round(peak, 1)}
    if floor_times:
        floor_median, floor_p95 = _stats(floor_times)
        row.update(floor_median_ms=round(floor_median, 1), floor_p95_ms=round(floor_p95, 1),
                   ratio=round(median / floor_median, 2) if floor_median else None)
    print(f"  {name}: median {row['median_ms']} ms, p95 {row['p95_ms']} ms (cpu {row['cpu_median_ms']} / "
          f"{row['cpu_p95_ms']} ms), {row['queries']} queries, "
          f"peak {row['peak_mb']} MB" + (f", floor {row['floor_median_ms']} ms, ratio {row['ratio']}"
                                         if floor_times else ""), flush=True)
    return row


def bench_payables(app, info, reps):
    from models import Invoice, PaymentBatch
    counter = QueryCounter(db.obj)
    client = app.test_client()
    expect(client.post("/login", data={"username": AP_USER, "password": PASSWORD}), 302, "login compta")
    shop_id = info["shop"].id
    period = (datetime.date(AP_TODAY.year - 1, 1, 1), datetime.date(AP_TODAY.year - 1, 12, 31))
    floors = floor_queries(shop_id, period)
    rows = []

    def page(url, marker=None, headers=None):
        def run():
            response = expect(client.get(url, headers=headers), 200, url)
            if marker:
                assert marker in response.get_data(as_text=True), f"{url}: {marker!r} missing"
        return run

    def download(url):
        def run():
            response = client.get(url, buffered=False)
            if response.status_code != 200:
                expect(response, 200, url)
            assert _drain(response) > 100, url
        return run

    budget = 25
    count = Invoice.select().where(Invoice.shop == shop_id).count()
    last = max(1, -(-count // 50))
    year = f"du={period[0].isoformat()}&au={period[1].isoformat()}&boutique={shop_id}"
    scenarios = [
        ("GET /factures/ (page 1)", page("/factures/", "inv-row-"), floors["invoices"]),
        (f"GET /factures/?page={last} (last)", page(f"/factures/?page={last}", "inv-row-"), floors["invoices_last"]),
        ("GET /factures/?tri=montant&ordre=desc", page("/factures/?tri=montant&ordre=desc", "inv-row-"),
         floors["invoices"]),
        ("GET /reglements/ (page 1)", page(f"/reglements/?boutique={shop_id}", "amount-"), floors["to_pay"]),
        ("GET /reglements/ (last page)", page(f"/reglements/?boutique={shop_id}&page=100000", "amount-"),
         floors["to_pay_last"]),
        # ~18,000 invoices to pay sorted by their supplier's name (issue 14).
        ("GET /reglements/?tri=fournisseur", page(f"/reglements/?boutique={shop_id}&tri=fournisseur", "amount-"),
         floors["to_pay_by_supplier"]),
        ("GET /fournisseurs/", page("/fournisseurs/"), floors["suppliers"]),
        ("GET /achats/", page("/achats/"), floors["purchasing"]),
        ("GET /messages/file", page("/messages/file"), floors["mail_queue"]),
        # The page opens without its figures (a second request brings them: the htmx fragment below).
        ("GET /comptabilite/ (figures deferred)", page(f"/comptabilite/?{year}", "accounting-figures"), None),
        ("GET /comptabilite/ figures (htmx)", page(f"/comptabilite/?{year}", "Total débit",
                                                   {"HX-Request": "true", "HX-Target": "accounting-figures"}),
         floors["accounting_page"]),
        ("GET /ventilation/export.csv", download("/ventilation/export.csv"), floors["allocation_csv"]),
        ("GET /rapports/depenses.csv", download("/rapports/depenses.csv"), floors["spend_csv"]),
        ("GET /comptabilite/ecritures.csv", download(f"/comptabilite/ecritures.csv?{year}"), floors["entries_csv"]),
        ("GET /comptabilite/fec", download(f"/comptabilite/fec?{year}&encodage=utf-8"), floors["fec"]),
        ("GET /comptabilite/analytique.csv", download(f"/comptabilite/analytique.csv?{year}"), floors["analytic_csv"]),
    ]
    for name, run, floor in scenarios:
        rows.append(measure(counter, name, run, floor, reps, budget))
    rows.append(bench_sepa(client, counter, info, max(2, reps // 5)))
    batch = PaymentBatch.select().order_by(PaymentBatch.id.desc()).first()
    if batch is not None:
        def read_blob():
            Floors.fetch(_sql("SELECT data FROM document_blob b JOIN stored_document d ON d.sha256 = b.sha256 "
                              "WHERE d.id = %(p)s"), (batch.document_id,))
        rows.append(measure(counter, f"GET /reglements/lots/<id>.xml ({batch.count} transfers)",
                            download(f"/reglements/lots/{batch.id}.xml"), None, reps, budget))
    return rows


def bench_sepa(client, counter, info, reps):
    """POST /reglements/lots with 2,000 approved invoices (each repetition pays other invoices)."""
    from models import Invoice
    from portal.payables import sepa
    shop_id = info["shop"].id
    approved = [row.id for row in Invoice.select(Invoice.id).where(
        (Invoice.shop == shop_id) & (Invoice.status == "APPROVED") & (Invoice.kind == "INVOICE")
        & (Invoice.currency == "EUR")).order_by(Invoice.id)]
    reps = min(reps, len(approved) // SEPA_BATCH)
    if reps < 1:
        return {"operation": "POST /reglements/lots", "n": 0, "median_ms": 0, "p95_ms": 0, "queries": 0,
                "peak_mb": 0}
    gross = {row.id: row.total_gross for row in Invoice.select(Invoice.id, Invoice.total_gross)
             .where(Invoice.id.in_(approved[:SEPA_BATCH * reps]))}
    chunks = [approved[n * SEPA_BATCH:(n + 1) * SEPA_BATCH] for n in range(reps)]
    times, queries, floor_times = [], [], []
    peak = None
    for index, ids in enumerate(chunks):
        data = {"shop": str(shop_id), "execution_date": AP_TODAY.isoformat() if False else datetime.date.today().isoformat(),
                "idempotency_key": secrets.token_urlsafe(24)[:32], "invoice": [str(i) for i in ids]}
        data.update({f"amount-{i}": f"{gross[i] // 100},{gross[i] % 100:02d}" for i in ids})
        traced = index == len(chunks) - 1 and len(chunks) > 1
        if traced:
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
        before = counter.count
        began = time.perf_counter()
        response = client.post("/reglements/lots", data=data)
        elapsed = (time.perf_counter() - began) * 1000
        if traced:
            peak = (tracemalloc.get_traced_memory()[1] - base) / 1e6
            tracemalloc.stop()
        else:
            times.append(elapsed)
            queries.append(counter.count - before)
        expect(response, 303, "SEPA batch")
        # Floor: read the invoices with their suppliers and balances, and write the XML file.
        began = time.perf_counter()
        placeholders = ", ".join(["%s" if is_postgres() else "?"] * len(ids))
        rows = Floors.fetch(f"SELECT i.id, i.number, i.total_gross, s.name, s.iban, s.bic FROM invoice i "
                            f"JOIN supplier s ON s.id = i.supplier_id WHERE i.id IN ({placeholders})", ids)
        sepa.transfer_file(sepa.Debtor("Comptoir SAS", "FR7630004000031234567890143"),
                           [sepa.Transfer(name, iban, bic, gross_, f"F-{i}", f"Facture {number}")
                            for i, number, gross_, name, iban, bic in rows], datetime.date.today())
        floor_times.append((time.perf_counter() - began) * 1000)
    median, p95 = _stats(times)
    floor_median, floor_p95 = _stats(floor_times)
    row = {"operation": f"POST /reglements/lots ({SEPA_BATCH} invoices)", "n": len(times),
           "median_ms": round(median, 1), "p95_ms": round(p95, 1), "queries": int(statistics.median(queries)),
           "peak_mb": round(peak, 1) if peak is not None else None, "floor_median_ms": round(floor_median, 1),
           "floor_p95_ms": round(floor_p95, 1), "ratio": round(median / floor_median, 2)}
    print(f"  {row['operation']}: median {row['median_ms']} ms, {row['queries']} queries, peak {row['peak_mb']} MB, "
          f"floor {row['floor_median_ms']} ms", flush=True)
    return row


def print_payables(rows):
    print()
    header = (f"{'page / export':<44}  {'n':>3}  {'median':>8}  {'p95':>8}  {'queries':>7}  {'peak MB':>7}  "
              f"{'floor med':>9}  {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for row in rows:
        floor = row.get("floor_median_ms")
        print(f"{row['operation']:<44}  {row['n']:>3}  {row['median_ms']:>8.1f}  {row['p95_ms']:>8.1f}  "
              f"{row['queries']:>7}  {(row['peak_mb'] if row['peak_mb'] is not None else float('nan')):>7.1f}  "
              f"{(floor if floor is not None else float('nan')):>9.1f}  "
              f"{(row.get('ratio') if row.get('ratio') is not None else float('nan')):>6.2f}")


# --- Main --------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=None,
                        help=f"transactions in the 24-month history (default {DEFAULT_TRANSACTIONS:,})")
    parser.add_argument("--today", type=int, default=None,
                        help="transactions created today, due for remittance (default: 1%% of the history, "
                             "200 to 2,000)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_TRANSACTIONS:,} transactions and fewer repetitions")
    parser.add_argument("--seed", type=int, default=20260310, help="random seed")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="JSON results file")
    parser.add_argument("--invoices", type=int, default=None,
                        help=f"supplier invoices (default $BENCH_INVOICES or {DEFAULT_INVOICES:,})")
    parser.add_argument("--sqlite", type=Path, default=None,
                        help="SQLite file to use instead of a temporary one (kept after the run)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the card history already seeded in the database (a previous run "
                             "with --sqlite, or PORTAL_BENCH_DATABASE_URL), instead of seeding it again")
    parser.add_argument("--only", choices=("all", "cards", "search", "xlsx", "payables"), default="all",
                        help="measure only the card payments, only their search (issue 10), only the xlsx "
                             "export of 100,000 rows (bench_xlsx) or only the supplier side")
    parser.add_argument("--pages-only", action="store_true",
                        help="with --only search: the search pages alone, without their totals and the xlsx "
                             "export (which take minutes at 1M rows)")
    return parser.parse_args()


def print_report(report):
    seed_info = report["seed"]
    print()
    print(f"Comptoir benchmark — {report['database']} ({report['database_url']})")
    print(f"seed: {seed_info['transactions']:,} transactions ({seed_info['today']:,} today), "
          f"{seed_info['operations']:,} operations, loaded in {seed_info['seconds']} s; "
          f"busiest past day {seed_info['busiest_day']} ({seed_info['busiest_day_count']} transactions); "
          f"remittance: {seed_info['due_captures']} due captures, {seed_info['pending_credits']} pending refunds")
    print()
    width = max(len(row["operation"]) for row in report["results"])
    header = f"{'operation':<{width}}  {'n':>3}  {'median ms':>9}  {'p95 ms':>9}  {'max ms':>9}  {'queries':>7}"
    print(header)
    print("-" * len(header))
    for row in report["results"]:
        print(f"{row['operation']:<{width}}  {row['n']:>3}  {row['median_ms']:>9.1f}  {row['p95_ms']:>9.1f}  "
              f"{row['max_ms']:>9.1f}  {row['queries']:>7}")
    print()
    print(f"total {report['total_seconds']} s; results written to {report['output']}")


def main():
    args = parse_args()
    total = args.transactions or (QUICK_TRANSACTIONS if args.quick else DEFAULT_TRANSACTIONS)
    invoices = args.invoices or int(os.environ.get("BENCH_INVOICES") or 0) or (
        QUICK_INVOICES if args.quick else DEFAULT_INVOICES)
    today_count = args.today if args.today is not None else max(200, min(2000, total // 100))
    reps = {"list": 10, "detail": 12, "refund": 10, "receipts": 3, "cached": 3, "new": 8, "remit": 3, "ap": 5,
            "search": 8} \
        if args.quick else {"list": 30, "detail": 40, "refund": 25, "receipts": 6, "cached": 5, "new": 20,
                            "remit": 5, "ap": 15, "search": 30}
    cards, payables = args.only in ("all", "cards", "search", "xlsx"), args.only in ("all", "payables")
    search_only = args.only in ("search", "xlsx")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    if args.sqlite and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.sqlite}{suffix}").unlink(missing_ok=True)
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or (
        f"sqlite:///{args.sqlite.resolve()}" if args.sqlite else f"sqlite:///{tmp / 'bench.db'}")
    try:
        app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=tmp / "instance")
        app.test_client_class = BenchClient
        clock = FakeClock(NOW)
        app.config["CLOCK"] = clock
        reused = None
        if args.reuse:
            apply_migrations()
            db.connect(reuse_if_open=True)
            reused = existing_seed(clock)
        if reused is None:
            if not db.is_closed():
                db.close()
            if is_postgres():
                reset_postgres()
            apply_migrations()
        db.connect(reuse_if_open=True)
        report = {"database": "postgresql" if is_postgres() else "sqlite", "database_url": safe_url(url),
                  "results": [], "payables": [], "python": platform.python_version(), "output": str(args.output)}
        if cards:
            if reused:
                info = reused
                print(f"reusing the seeded history: {info['transactions']:,} transactions; measuring…", flush=True)
            else:
                print(f"seeding {total:,} transactions + {today_count:,} today on "
                      f"{'PostgreSQL' if is_postgres() else 'SQLite'}…", flush=True)
                info = seed(app, clock, total, today_count, rng)
                print(f"seeded in {info['seconds']} s (indexes built in {info['index_seconds']} s); measuring…",
                      flush=True)
        else:
            make_user("admin", is_admin=True)
        if payables:
            print(f"seeding {invoices:,} supplier invoices…", flush=True)
            ap_info = seed_payables(invoices, random.Random(args.seed + 1))
            print(f"seeded in {ap_info['seconds']} s: {ap_info}", flush=True)
            report["payables_seed"] = {k: v for k, v in ap_info.items() if k not in ("shop", "user")}
            report["payables"] = bench_payables(app, ap_info, reps["ap"])
        if cards:
            rec = Recorder(QueryCounter(db.obj))
            client = app.test_client()
            expect(client.post("/login", data={"username": USERNAME, "password": PASSWORD}), 302, "login")
            print("search scenarios (issue 10)…", flush=True)
            report["search"] = [bench_xlsx(client, QueryCounter(db.obj), info)] if args.only == "xlsx" else \
                bench_search(app, info, reps["search"], totals=not args.pages_only, export=not args.pages_only)
            # Its own login ended this client's session (AUTH-5: one session version per user).
            expect(client.post("/login", data={"username": USERNAME, "password": PASSWORD}), 302, "login")
            if args.only != "xlsx":
                bench_lists(client, rec, info, reps["list"])
            remittance = {"due_captures": None, "pending_credits": None, "summary": None}
            if not search_only:
                bench_detail(client, rec, info, reps["detail"], rng)
                bench_refund(client, rec, info, reps["refund"], rng)
                bench_receipts(client, rec, info, reps["receipts"], reps["cached"], rng)
                bench_new_payment(client, rec, reps["new"])
                remittance = bench_remittance(app, clock, rec, info, reps["remit"],
                                              time.perf_counter() + TIME_BUDGET)
            report["seed"] = {
                "transactions": info["transactions"], "today": info["today_count"],
                "operations": info["operations"], "states": info["states"], "seconds": info["seconds"],
                "busiest_day": info["busiest_day"].isoformat(), "busiest_day_count": info["busiest_day_count"],
                "shops": len(info["shops"]), "index_build_seconds": info["index_seconds"],
                "clock_now_utc": NOW.isoformat(), "due_captures": remittance["due_captures"],
                "pending_credits": remittance["pending_credits"], "remittance_summary": remittance["summary"],
            }
            report["results"] = rec.rows()
        report["generated_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        report["total_seconds"] = round(time.perf_counter() - started, 1)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
        if cards:
            if report["results"]:  # none with --only xlsx
                print_report(report)
            print_search(report["search"])
        if payables:
            print(f"\nSupplier side — {report['database']}: {report['payables_seed']}")
            print_payables(report["payables"])
    finally:
        if not db.is_closed():
            db.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
