"""Indexes of card_transaction that a longer index already serves (issue 10, the remittance run).
A state change cannot be a heap-only update on PostgreSQL (state is indexed), so for each
transaction the run captures PostgreSQL writes an entry in every index of the table: fewer indexes,
less written by each of the run's 100,000 updates (and by every insert).
- (shop_id), on both databases: the first column of (shop_id, reference), (shop_id, amount),
  (shop_id, state, created_at) and card_transaction_totals, which every query on a shop reads.
- (state), on PostgreSQL only: the first column of (state, capture_date), through which its
  queries on states read (the run's chunks go through the primary key there). SQLite keeps it: the
  run's chunk query walks it in id order ((state, rowid) without a sort), where (state,
  capture_date) would sort every due row for every chunk (SQLite only rewrites the indexes that
  hold the changed column, so it gains less from dropping one).
The queries filtering on these columns were compared with EXPLAIN before and after on both
databases; tests/unit/test_remittance_batches.py checks that they still read through an index
(test_ops_6_queries_on_shop_or_state_read_through_the_longer_indexes_of_0021)."""
from peewee import PostgresqlDatabase

SHOP = ("card_transaction_shop_id", "(shop_id)")
STATE = ("card_transaction_state", "(state)")


def _dropped(db):
    return [SHOP, STATE] if isinstance(db, PostgresqlDatabase) else [SHOP]


def up(migrator, db):
    for name, _ in _dropped(db):
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")


def down(migrator, db):
    for name, columns in _dropped(db):
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON card_transaction {columns}")
