"""Peak memory of the simulator's nightly run at N due captures (issue 14 item 4), measured with
tracemalloc on a scratch SQLite database. Not a test (no timed assertion): run it by hand,
    .venv/bin/python -m tests.remit_memory 100000
"""
import datetime
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from config import TestConfig
from models import Operation, Transaction, db
from portal import create_app
from portal.database import apply_migrations
from portal.payments.acquirer import simulator_card
from portal.payments.cards import Expiry
from portal.payments.remittance import remit
from portal.payments.service import PaymentContext
from tests.factories import FakeClock, make_shop


def main(count):
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(TestConfig, DATABASE_URL=f"sqlite:///{Path(tmp) / 'remit.db'}", INSTANCE_DIR=Path(tmp) / "i")
        apply_migrations()
        db.connect(reuse_if_open=True)
        simulator = app.extensions["comptoir.acquirer"]
        shop = make_shop()
        tokens = [simulator.store_card(simulator_card("430000", "00", "00"), Expiry(2030, 12)) for _ in range(50)]
        day = datetime.date(2026, 3, 10)
        created = datetime.datetime(2026, 3, 10, 8)
        with db.atomic():
            for start in range(0, count, 5000):
                rows = [dict(shop=shop.id, reference=f"M{n:010d}", amount=1000 + n % 500, currency="EUR",
                             capture_mode="AUTO", capture_delay=0, state="TO_CAPTURE", created_at=created,
                             card_token=tokens[n % len(tokens)], masked_pan="430000######0000", networks="CB,VISA",
                             network="CB", card_expiry_year=2030, card_expiry_month=12, capture_date=day)
                        for n in range(start, min(count, start + 5000))]
                Transaction.insert_many(rows).execute()
        ctx = PaymentContext(acquirer=simulator, clock=FakeClock(datetime.datetime(2026, 3, 10, 22)))
        tracemalloc.start()
        began = time.monotonic()
        summary = remit(ctx, day)
        seconds = time.monotonic() - began
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        captures = Operation.select().where(Operation.kind == "CAPTURE").count()
        db.close()
    print(f"{count} due captures: {summary[day]} — {captures} CAPTURE rows, peak {peak / 2**20:.1f} MiB "
          f"(tracemalloc), {seconds:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
