"""The simulator gateway's nightly run (PAY-BATCH-1, PAY-GW-1): authorise what falls due, expire
overdue validations, send due captures and pending refunds to the bank, and take in the bank's
unpaids — for the shops the simulator serves (a Sips shop's gateway remits itself; `flask sync`
reads its results back).

OPS-7: the run works by chunks of CHUNK rows. A chunk is read and decided (rules, the simulator's
answers, the rows to insert) with no transaction open; its write is one short transaction that
checks nothing moved since the read (else reads the chunk again under the lock), bulk-inserts the
operation rows, bulk-updates the states and commits. On SQLite the write lock is held only for that
write, so the portal's own writes (a refund, a new payment) get in between. It stays
idempotent: every step selects its rows by state (TO_CAPTURE, TO_SEND …) and a chunk's effects
commit together with the day's running summary (RemittanceRun), so a rerun after a crash in the
middle resumes the unfinished day and does nothing twice; a finished day is never run again, and
a run after missed days catches up day by day. One run at a time is the caller's lock
(`portal.runlock.run_exclusively("remit")`, taken by `flask remit`)."""
import collections
import datetime
import json
import zoneinfo

from peewee import SQL, IntegrityError, Tuple

from models import Operation, RemittanceRun, Shop, Transaction, Unpaid, db
from portal.audit import record_action
from portal.database import is_postgres
from portal.payments.acquirer import BankItem
from portal.payments.cards import Expiry
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState as State
from portal.payments.lifecycle import Balances, TransactionFacts, balances, due_action, local_date
from portal.payments.service import _authorise_into, _locked_rows, money_transaction

SUMMARY_LABELS = {
    "authorised": "autorisations demandées",
    "expired": "expirées",
    "captured": "remises",
    "capture_refused": "remises refusées",
    "credited": "remboursements envoyés",
    "unpaid": "impayés reçus",
}

# How far back the bank may still announce an unpaid on a remittance.
CHARGEBACK_WINDOW_DAYS = 120
CHUNK = 1000
SIMULATOR = "SIMULATOR"

# What the rules need of a transaction (service.facts_for reads these attributes), and what goes to the bank.
_FACT_COLUMNS = (Transaction.id, Transaction.state, Transaction.amount, Transaction.capture_mode,
                 Transaction.created_at, Transaction.capture_date, Transaction.card_expiry_year,
                 Transaction.card_expiry_month, Transaction.card_token, Transaction.currency, Transaction.reference)
# The columns of a CAPTURE / EXPIRE row written in bulk (every NOT NULL column without a database default).
_OPERATION_COLUMNS = ("transaction", "kind", "amount", "succeeded", "response_code", "reason", "at",
                      "operation_number", "remittance_status", "sent_at", "warning_at", "error_at",
                      "gateway_status")


def _simulator_shops():
    return Shop.select(Shop.id).where(Shop.gateway == SIMULATOR)


def days_to_run(last_done: datetime.date | None, until: datetime.date):
    """The first run does only `until` (its selection already includes anything overdue)."""
    if last_done is None:
        return [until]
    return [last_done + datetime.timedelta(days=n) for n in range(1, (until - last_done).days + 1)]


def _days_due(until):
    """Days still to run: an unfinished day (a run that stopped in the middle) comes first."""
    last = RemittanceRun.select().order_by(RemittanceRun.day.desc()).first()
    if last is None:
        return [until]
    if last.finished_at is None and last.day <= until:
        return [last.day] + days_to_run(last.day, until)
    return days_to_run(last.day, until)


def remit(ctx, until: datetime.date, on_chunk=None):
    """Run every business day not yet run, up to `until`; returns {day: summary} for the days run.
    `on_chunk(day, counts)` is called after each committed chunk, with no transaction open."""
    summaries = {}
    for day in _days_due(until):
        summary = run_day(ctx, day, on_chunk)
        if summary is not None:
            summaries[day] = summary
    return summaries


def _empty_summary():
    return {key: 0 for key in SUMMARY_LABELS}


def _open_run(ctx, day):
    """The day's RemittanceRun, created (and committed) if new; None if the day is already done."""
    for _ in range(2):
        try:
            with money_transaction():
                run = RemittanceRun.get_or_none(RemittanceRun.day == day)
                if run is None:
                    return RemittanceRun.create(day=day, started_at=ctx.now(), summary=json.dumps(_empty_summary()))
                return None if run.finished_at is not None else run
        except IntegrityError:  # a concurrent run created it first: read it again
            continue
    return None


def run_day(ctx, day, on_chunk=None):
    """Process one day in committed chunks; None if it was already processed (by this or another run)."""
    run = _open_run(ctx, day)
    if run is None:
        return None
    # Unpaids first: they can only concern captures sent on earlier days, so tonight's captures are
    # not read back the night they leave.
    steps = (_receive_chargebacks(ctx, day), _authorise_due(ctx, day), _expire_overdue(ctx, day),
             _send_captures(ctx, day), _send_credits(ctx))
    for step in steps:
        for prepare in step:
            # Reading and deciding happen with no transaction open (on SQLite, without the write lock);
            # the write is short, checks that nothing moved meanwhile, and commits with the summary.
            write = prepare()
            if write is None:
                continue
            with money_transaction():
                counts = write()
                if counts:
                    _add_to_summary(run.id, counts)
            if on_chunk is not None and counts:
                on_chunk(day, counts)
    with money_transaction():
        run = RemittanceRun.get_by_id(run.id)
        if run.finished_at is not None:  # a concurrent run finished it meanwhile
            return None
        summary = {**_empty_summary(), **json.loads(run.summary or "{}")}
        RemittanceRun.update(finished_at=ctx.now(), summary=json.dumps(summary)).where(
            RemittanceRun.id == run.id).execute()
        record_action("remittance.run", "remittance_run", day.isoformat(), actor="batch", after=summary)
    return summary


def _add_to_summary(run_id, counts):
    """The day's running totals move in the same transaction as the chunk they count."""
    table, p = RemittanceRun._meta.table_name, db.param
    (text,) = db.execute_sql(f'SELECT "summary" FROM "{table}" WHERE "id" = {p}', (run_id,)).fetchone()
    summary = {**_empty_summary(), **json.loads(text or "{}")}
    for key, value in counts.items():
        summary[key] += value
    db.execute_sql(f'UPDATE "{table}" SET "summary" = {p} WHERE "id" = {p}', (json.dumps(summary), run_id))


# --- Reading the due rows, one chunk at a time ------------------------------------------------------


def _id_text(ids):
    """`(1,2,3)` for an IN clause: ids read from the database are ints (int() makes sure), and a literal
    list spares a thousand bound parameters per chunk."""
    return "(" + ",".join(map(str, map(int, ids))) + ")"


def _id_list(ids):
    return SQL(_id_text(ids))


# The statements run once per chunk are written here as SQL text: peewee spent ~1 ms building each.
_T = f'"{Transaction._meta.table_name}"'
_O = f'"{Operation._meta.table_name}"'


def _placeholders(values):
    return ", ".join([db.param] * len(values))


def _values(states):
    return [getattr(state, "value", state) for state in states]


def _sql_day(day):
    """A date parameter: SQLite stores dates as ISO text, PostgreSQL takes the date."""
    return day if is_postgres() else day.isoformat()


_FactRow = collections.namedtuple("_FactRow", [column.name for column in _FACT_COLUMNS])
# An operation row of a chunk, as the driver hands it: (id, transaction id, kind, amount, succeeded, gateway_status).
_OP_ID, _OP_KIND, _OP_AMOUNT, _OP_SUCCEEDED, _OP_WAITING = 0, 2, 3, 4, 5
_BALANCE_KINDS = frozenset(kind.value for kind in (Kind.CANCEL, Kind.VALIDATE, Kind.CAPTURE, Kind.CREDIT))
_NO_BALANCES = Balances()
_STATES = {state.value: state for state in State}


def _as_datetime(value):
    """SQLite hands timestamps back as text: fromisoformat reads them ten times faster than the
    field's strptime formats (PostgreSQL hands datetimes already)."""
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value


def _operations_of(ids):
    """{transaction id: [operation rows]} of a chunk, in one query (plain tuples, see _OP_ID …); a
    transaction without operations is not a key."""
    operations = collections.defaultdict(list)
    for row in db.execute_sql(f'SELECT "id", "transaction_id", "kind", "amount", "succeeded", "gateway_status" '
                              f'FROM {_O} WHERE "transaction_id" IN {_id_text(ids)}').fetchall():
        operations[row[1]].append(row)
    return operations


class _Facts:
    """service.facts_for for a whole run: the same TransactionFacts at a fraction of the cost (issue
    10: it was a quarter of the run). What repeats is worked out once: the local day of a creation
    minute (time zone offsets are whole minutes, so every instant of a minute has the same local
    day), a card expiry's last day, a stored capture date (SQLite hands text), a state's enum; and
    a transaction whose operations move no balance (an authorisation alone, the usual case) shares
    one empty Balances. tests/unit/test_remittance_batches.py compares it with facts_for."""

    def __init__(self, timezone):
        self.timezone = timezone
        self.days = {}
        self.last_days = {}
        self.dates = {}

    def _created_on(self, key, created_at):
        if len(self.days) > 10_000:
            self.days.clear()
        day = self.days[key] = local_date(_as_datetime(created_at), self.timezone)
        return day

    def _last_day(self, expiry):
        day = self.last_days[expiry] = Expiry(*expiry).last_day()
        return day

    def _date(self, text):
        if len(self.dates) > 10_000:
            self.dates.clear()
        day = self.dates[text] = datetime.date.fromisoformat(text)
        return day

    def __call__(self, txn, operations):
        created_at = txn.created_at
        key = created_at[:16] if created_at.__class__ is str else created_at.replace(second=0, microsecond=0)
        created_on = self.days.get(key) or self._created_on(key, created_at)
        expiry = (txn.card_expiry_year, txn.card_expiry_month)
        last_day = self.last_days.get(expiry) or self._last_day(expiry)
        capture_date = txn.capture_date
        if capture_date.__class__ is str:
            capture_date = self.dates.get(capture_date) or self._date(capture_date)
        moving = [(op[_OP_KIND], op[_OP_AMOUNT], op[_OP_SUCCEEDED]) for op in operations
                  if op[_OP_KIND] in _BALANCE_KINDS]
        # Positional (state, amount, capture_mode, created_on, capture_date, card_expiry_last_day, balances):
        # cheaper than keywords; test_pay_batch_1_the_runs_facts_are_service_facts_for compares them.
        return TransactionFacts(_STATES[txn.state], txn.amount, txn.capture_mode, created_on, capture_date, last_day,
                                balances(moving) if moving else _NO_BALANCES)


def _latest_operation_id():
    return db.execute_sql(f'SELECT MAX("id") FROM {_O}').fetchone()[0] or 0


_FACT_SQL = ", ".join(f'"{column.column_name}"' for column in _FACT_COLUMNS)


def _due_sql(states, day, after, only_ids, lock):
    """The SELECT of _due_rows: (sql, params)."""
    p = db.param
    sql = (f"SELECT {_FACT_SQL} FROM {_T} WHERE \"state\" IN ({_placeholders(states)}) AND \"capture_date\" <= {p} "
           f'AND "shop_id" IN (SELECT "id" FROM "{Shop._meta.table_name}" WHERE "gateway" = {p}) AND ')
    params = [*_values(states), _sql_day(day), SIMULATOR]
    if only_ids is not None:
        sql += f'"id" IN {_id_text(only_ids)}'
    else:
        sql += f'"id" > {p}'
        params.append(after)
    sql += f' ORDER BY "id" LIMIT {CHUNK}' + (" FOR UPDATE" if lock and is_postgres() else "")
    return sql, params


def _due_rows(ctx, action, states, day, after=0, models=False, lock=True, only_ids=None, facts=None):
    """One chunk of (row, facts) after id `after` (or among `only_ids`) for which the lifecycle rule
    says `action` today: SQL narrows, the rule decides. Also the chunk's last id (None when nothing
    is left) and what a later write compares to see that nothing moved (see _unchanged).
    `facts`: the run's _Facts (one is made if not given)."""
    latest = None if lock or is_postgres() else _latest_operation_id()  # read before the rows
    if models:
        where = (Transaction.state.in_(states) & (Transaction.capture_date <= day)
                 & Transaction.shop.in_(_simulator_shops()))
        where &= Transaction.id.in_(_id_list(only_ids)) if only_ids is not None else Transaction.id > after
        query = Transaction.select().where(where).order_by(Transaction.id).limit(CHUNK)
        rows = _locked_rows(query) if lock else list(query)
    else:
        # As read: _Facts reads the dates (SQLite: text) the way it needs them; use facts.capture_date.
        rows = list(map(_FactRow._make, db.execute_sql(*_due_sql(states, day, after, only_ids, lock)).fetchall()))
    if not rows:
        return [], None, None
    operations = _operations_of([row.id for row in rows])
    facts_of = facts if facts is not None else _Facts(ctx.timezone)
    due = []
    highest = waiting = 0
    for row in rows:
        ops = operations.get(row.id, ())
        facts = facts_of(row, ops)
        if due_action(facts, day) == action:
            due.append((row, facts))
            for op in ops:  # the fingerprint of the due rows (see _unchanged)
                highest = max(highest, op[_OP_ID])
                waiting += 1 if op[_OP_WAITING] else 0
    return due, rows[-1].id, (latest, highest, waiting)


def _unchanged(ids, states, seen):
    """Inside the write: the due rows are still in their states and no operation touched them since
    they were read. SQLite serialises writers, so an operation added anywhere meanwhile would have
    a higher id than the highest one before the read: one look at MAX(id). PostgreSQL locks the
    rows here, then compares their own operations (ids are not committed in order there)."""
    latest, highest, waiting = seen
    if waiting:
        return False  # an operation was waiting for its gateway's answer: read again under the lock
    states = _values(states)
    if not is_postgres():
        (still,) = db.execute_sql(f'SELECT COUNT(*) FROM {_T} WHERE "id" IN {_id_text(ids)} '
                                  f'AND "state" IN ({_placeholders(states)})', states).fetchone()
        return still == len(ids) and _latest_operation_id() == latest
    rows = db.execute_sql(f'SELECT "id", "state" FROM {_T} WHERE "id" IN {_id_text(ids)} FOR UPDATE').fetchall()
    if len(rows) != len(ids) or any(state not in states for _, state in rows):
        return False
    now_highest, now_waiting = db.execute_sql(
        f'SELECT MAX("id"), SUM(CASE WHEN "gateway_status" <> \'\' THEN 1 ELSE 0 END) FROM {_O} '
        f'WHERE "transaction_id" IN {_id_text(ids)}').fetchone()
    return (now_highest or 0, int(now_waiting or 0)) == (highest, waiting)


def _chunked(ctx, action, states, day, decide, apply):
    """Chunks for run_day, read and decided (`decide(due)` -> what to write) outside any transaction;
    `apply(decided)` writes under the lock once _unchanged says nothing moved, else the chunk is read
    and decided again under the lock. `decide` must have no effect outside the portal: the
    simulator's bank side computes, it sends nothing."""
    cursor = {"after": 0, "done": False}
    facts = _Facts(ctx.timezone)

    def prepare():
        due, last_id, seen = _due_rows(ctx, action, states, day, cursor["after"], lock=False, facts=facts)
        if last_id is None:
            cursor["done"] = True
            return None
        cursor["after"] = last_id
        if not due:
            return None
        decided = decide(due)

        def write():
            ids = [row.id for row, _ in due]
            if _unchanged(ids, states, seen):
                return apply(decided)
            fresh, _, _ = _due_rows(ctx, action, states, day, only_ids=ids, facts=facts)
            return apply(decide(fresh)) if fresh else {}

        return write

    while not cursor["done"]:
        yield prepare


def _locked_chunks(ctx, action, states, day, process):
    """Chunks read under the lock, for the few rows whose processing asks the gateway one by one."""
    cursor = {"after": 0, "done": False}

    def write():
        due, last_id, _ = _due_rows(ctx, action, states, day, cursor["after"], models=True)
        if last_id is None:
            cursor["done"] = True
            return {}
        cursor["after"] = last_id
        return process(due) if due else {}

    while not cursor["done"]:
        yield lambda: write


def _stamp(value):
    """A datetime written as many times as rows in a chunk, converted once: SQLite stores the text
    its adapter would make (isoformat with a space), PostgreSQL takes the datetime."""
    return value if is_postgres() else value.isoformat(" ")


def _bulk_insert(model, names, rows):
    """INSERT of many rows in one statement per chunk, straight through the driver: peewee's
    insert_many spends ~0.1 ms a row building its SQL, more than the database takes to write it."""
    if not rows:
        return
    fields = [model._meta.fields[name] for name in names]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    table = model._meta.table_name
    if is_postgres():
        _insert_postgres(table, columns, fields, rows)
    else:
        db.cursor().executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(fields))})', rows)


# PostgreSQL array types of the columns _bulk_insert writes, by peewee field type.
_PG_TYPES = {"AUTO": "bigint", "BIGAUTO": "bigint", "BIGINT": "bigint", "INT": "bigint", "SMALLINT": "bigint",
             "BOOL": "boolean", "DATETIME": "timestamp", "DATE": "date", "VARCHAR": "text", "TEXT": "text"}


def _insert_postgres(table, columns, fields, rows):
    """One INSERT … SELECT FROM unnest(arrays): a column whose value is the same on every row (the
    kind, the timestamps, an empty text: most of a chunk's columns) is sent once, the others as one
    array each; integer arrays go as their text. psycopg2's execute_values quoted each of the
    13 values of each row in Python, 1.2 s of a 100,000-capture run."""
    selected, params = [], []  # the SELECT list and its parameters (the constant columns)
    arrays, array_params = [], []  # then the arrays of unnest and theirs
    for field, values in zip(fields, zip(*rows)):
        kind = _PG_TYPES[field.field_type]
        first = values[0]
        types = set(map(type, values))
        if values.count(first) == len(values) and len(types) == 1:  # (the types: True == 1)
            selected.append(f"{db.param}::{kind}")
            params.append(first)
            continue
        selected.append(f"column{len(arrays) + 1}")
        arrays.append(f"{db.param}::{kind}[]")
        if kind == "bigint" and types == {int}:
            array_params.append("{" + ",".join(map(str, values)) + "}")
        else:
            array_params.append(list(values))
    if arrays:
        names = ", ".join(f"column{n}" for n in range(1, len(arrays) + 1))
        source = f" FROM unnest({', '.join(arrays)}) AS chunk({names})"
    else:
        source = f" FROM generate_series(1, {len(rows)})"
    db.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT {", ".join(selected)}{source}', params + array_params)


def _set_state(ids, state, was):
    if ids:
        was = _values(was)
        db.execute_sql(f'UPDATE {_T} SET "state" = {db.param} WHERE "id" IN {_id_text(ids)} '
                       f'AND "state" IN ({_placeholders(was)})', [_values([state])[0], *was])


# --- The steps -----------------------------------------------------------------------------------


def _authorise_due(ctx, day):
    """Instalments and long-delay payments: their authorisation is asked on the due day (a few a
    day, each with its fraud check, so one by one)."""
    def process(due):
        for txn, _ in due:
            txn.state = State.TO_CAPTURE
            _authorise_into(ctx, txn, None)  # a refusal sets REFUSED: never presented again
            txn.save()
        return {"authorised": len(due)}

    return _locked_chunks(ctx, "authorise", [State.TO_AUTHORIZE], day, process)


def _expire_overdue(ctx, day):
    states = [State.TO_VALIDATE, State.TO_VALIDATE_NO_AUTH]
    now = _stamp(ctx.now())
    kind = Kind.EXPIRE.value

    def decide(due):
        return [(row.id, kind, facts.remaining, True, "",
                 f"Non validée au plus tard le {facts.capture_date:%d/%m/%Y}", now, "", "", None, None, None, "")
                for row, facts in due]

    def apply(rows):
        _bulk_insert(Operation, _OPERATION_COLUMNS, rows)
        _set_state([row[0] for row in rows], State.EXPIRED, states)
        return {"expired": len(rows)}

    return _chunked(ctx, "expire", states, day, decide, apply)


def _send_captures(ctx, day):
    sent_at = ctx.now()
    stamp = _stamp(sent_at)
    kind = Kind.CAPTURE.value

    def decide(due):
        """The simulator's answers and the CAPTURE rows: computed before taking the lock."""
        items = [BankItem(row.id, row.card_token, facts.remaining, row.currency, row.reference) for row, facts in due]
        amounts = {item.key: item.amount for item in items}
        return [(report.key, kind, amounts[report.key], report.accepted, report.response_code,
                 report.reason, stamp, report.operation_number, "ACCEPTED" if report.accepted else "REFUSED",
                 stamp, report.warning_at, report.error_at, "")
                for report in ctx.acquirer.capture(items, sent_at)]

    def apply(rows):
        _bulk_insert(Operation, _OPERATION_COLUMNS, rows)
        accepted = [row[0] for row in rows if row[3]]
        refused = [row[0] for row in rows if not row[3]]
        _set_state(accepted, State.CAPTURED, [State.TO_CAPTURE])
        _set_state(refused, State.CAPTURE_REFUSED, [State.TO_CAPTURE])
        return {"captured": len(accepted), "capture_refused": len(refused)}

    return _chunked(ctx, "capture", [State.TO_CAPTURE], day, decide, apply)


def _send_credits(ctx):
    """Refunds entered today (remittance_status TO_SEND): a chunk's rows leave TO_SEND when it commits."""
    sent_at = ctx.now()
    cursor = {"after": 0, "done": False}

    def work():
        pending = _locked_rows(
            Operation.select().join(Transaction)
            .where((Operation.kind == Kind.CREDIT) & (Operation.remittance_status == "TO_SEND")
                   & (Operation.id > cursor["after"]) & Transaction.shop.in_(_simulator_shops()))
            .order_by(Operation.id).limit(CHUNK))
        if not pending:
            cursor["done"] = True
            return {}
        cursor["after"] = pending[-1].id
        transactions = {txn.id: txn for txn in _locked_rows(
            Transaction.select(*_FACT_COLUMNS).where(Transaction.id.in_({op.transaction_id for op in pending}))
            .namedtuples())}
        items = [BankItem(op.id, transactions[op.transaction_id].card_token, op.amount,
                          transactions[op.transaction_id].currency, transactions[op.transaction_id].reference)
                 for op in pending]
        reports = {report.key: report for report in ctx.acquirer.credit(items, sent_at)}
        for op in pending:
            report = reports[op.id]
            Operation.update(operation_number=report.operation_number, sent_at=sent_at,
                             remittance_status="ACCEPTED" if report.accepted else "REFUSED",
                             warning_at=report.warning_at, error_at=report.error_at).where(
                Operation.id == op.id).execute()
        _set_state(list(transactions), State.CREDITED, [State.TO_CREDIT])
        return {"credited": len(pending)}

    while not cursor["done"]:
        yield lambda: work


def _receive_chargebacks(ctx, day):
    """Captures on which the gateway may still announce an unpaid (the simulator: 3 days), read as
    plain tuples a chunk at a time with no transaction open; only the few unpaids found are written."""
    window = getattr(ctx.acquirer, "chargeback_window_days", CHARGEBACK_WINDOW_DAYS)
    since = datetime.datetime.combine(day - datetime.timedelta(days=window), datetime.time())
    # Keyset on (sent_at, id), the order of the (kind, sent_at) index: no chunk sorts the whole window.
    cursor = {"after": (since, 0), "done": False}

    def prepare():
        captures = list(
            Operation.select(Operation.id, Operation.transaction.alias("transaction_id"), Operation.amount,
                             Operation.sent_at, Transaction.card_token, Transaction.currency, Transaction.reference)
            .join(Transaction)
            .where((Operation.kind == Kind.CAPTURE) & (Operation.sent_at >= since)
                   & (Tuple(Operation.sent_at, Operation.id) > Tuple(*cursor["after"])) & Operation.succeeded
                   & (Transaction.state != State.UNPAID) & Transaction.shop.in_(_simulator_shops()))
            .order_by(Operation.sent_at, Operation.id).limit(CHUNK).namedtuples())
        if not captures:
            cursor["done"] = True
            return None
        cursor["after"] = (captures[-1].sent_at, captures[-1].id)
        items = [(BankItem(op.id, op.card_token, op.amount, op.currency, op.reference),
                  local_date(op.sent_at, ctx.timezone)) for op in captures]
        by_id = {op.id: op for op in captures}
        found = [(by_id[chargeback.key].transaction_id, chargeback) for chargeback in ctx.acquirer.chargebacks(items, day)]
        if not found:
            return None
        # Written under the lock; a transaction already UNPAID (another run) is left alone.
        return lambda: {"unpaid": sum(_take_unpaid(ctx, transaction_id, chargeback) for transaction_id, chargeback in found)}

    while not cursor["done"]:
        yield prepare


def _take_unpaid(ctx, transaction_id, chargeback):
    txn = _locked_rows(Transaction.select().where(Transaction.id == transaction_id))[0]
    if txn.state == State.UNPAID:
        return 0
    Unpaid.create(transaction=txn, operation_number=chargeback.operation_number,
                  operation_code=chargeback.operation_code, unpaid_date=chargeback.unpaid_date,
                  file_number=chargeback.file_number, amount=chargeback.amount,
                  unpaid_code=chargeback.unpaid_code, reason=chargeback.reason, received_at=ctx.now())
    Operation.create(transaction=txn, kind=Kind.UNPAID, amount=chargeback.amount, at=ctx.now(),
                     response_code="", reason=f"{chargeback.unpaid_code} — {chargeback.reason}",
                     operation_number=chargeback.operation_number)
    txn.state = State.UNPAID
    txn.save()
    return 1
