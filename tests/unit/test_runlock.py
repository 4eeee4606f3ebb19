"""OPS-7: one remittance run at a time across processes (advisory lock on PostgreSQL, a lock row
on SQLite): a second `flask remit` started while one runs does nothing and says so; the lock
survives neither an exception nor the death of its process, and holds no transaction open."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models import RemittanceRun, RunLock, db, utcnow
from portal.runlock import AlreadyRunning, run_exclusively
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]

# A real `flask remit` in another process, paused inside its run until the test lets it go.
PAUSED_REMIT = """
import sys, time
from pathlib import Path
from config import TestConfig
from portal import create_app
import portal.payments.remittance as remittance

url, instance, started, release = sys.argv[1:5]
real_remit = remittance.remit

def paused(ctx, day):
    Path(started).touch()
    while not Path(release).exists():
        time.sleep(0.05)
    return real_remit(ctx, day)

remittance.remit = paused
app = create_app(TestConfig, DATABASE_URL=url, INSTANCE_DIR=instance)
result = app.test_cli_runner().invoke(args=["remit"])
print(result.output)
sys.exit(result.exit_code)
"""


def _start_paused_remit(app, tmp_path):
    started, release = tmp_path / "started", tmp_path / "release"
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_REMIT, app.config["DATABASE_URL"], str(tmp_path / "other"),
         str(started), str(release)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "the first run never started"
        time.sleep(0.05)
    return process, release


def _remit(app):
    return app.test_cli_runner().invoke(args=["remit"])


def test_ops_7_second_remit_refused_while_first_runs(app, tmp_path):
    first, release = _start_paused_remit(app, tmp_path)
    try:
        second = _remit(app)
        assert second.exit_code == 1
        assert "Une remise est déjà en cours" in second.output and f":{first.pid}" in second.output
        assert "rien n'a été fait" in second.output
        assert RemittanceRun.select().count() == 0

        # The held lock keeps no transaction open: the portal writes at once meanwhile.
        began = time.monotonic()
        make_user("pendant-la-remise")
        assert time.monotonic() - began < 2
        if app.config["DATABASE_URL"].startswith("postgres"):
            states = [row[0] for row in db.execute_sql(
                "SELECT state FROM pg_stat_activity WHERE application_name LIKE 'comptoir remit %%'")]
            assert states == ["idle"]
    finally:
        release.touch()
        output = first.communicate(timeout=60)[0]
    assert first.returncode == 0, output
    assert _remit(app).exit_code == 0, "the lock is released when the first run ends"


def test_ops_7_lock_of_a_killed_run_is_released(app, tmp_path):
    first, _ = _start_paused_remit(app, tmp_path)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (result := _remit(app)).exit_code != 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # PostgreSQL ends the dead client's session within moments
    assert result.exit_code == 0, result.output


def test_ops_7_two_runs_started_together_one_runs(app):
    barrier, outcomes = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            with run_exclusively("remit"):
                outcomes.append("ran")
                time.sleep(0.5)
        except AlreadyRunning:
            outcomes.append("refused")
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ran", "refused"]


def test_ops_7_lock_released_after_an_exception(app):
    with pytest.raises(ZeroDivisionError):
        with run_exclusively("remit"):
            1 / 0
    with run_exclusively("remit"):
        with pytest.raises(AlreadyRunning):
            with run_exclusively("remit"):
                pass
    assert RunLock.select().count() == 0


def test_ops_7_stale_lock_rows_are_taken_over(app):
    if app.config["DATABASE_URL"].startswith("postgres"):
        pytest.skip("PostgreSQL uses an advisory lock, released by the server when its holder dies")
    import datetime
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    RunLock.create(name="remit", holder=f"{socket.gethostname()}:{dead.pid}:abcd", acquired_at=utcnow())
    with run_exclusively("remit"):
        assert RunLock.get().holder.split(":")[1] == str(os.getpid())
    RunLock.create(name="remit", holder="autre-machine:1:abcd", acquired_at=utcnow())
    with pytest.raises(AlreadyRunning, match="autre-machine:1"):
        with run_exclusively("remit"):
            pass
    RunLock.update(acquired_at=utcnow() - datetime.timedelta(hours=13)).execute()
    with run_exclusively("remit"):
        pass
    assert RunLock.select().count() == 0
