"""Browser journey of issue 12 (AP-INV-3, AP-MATCH-1): a ZUGFeRD 2.0 invoice that fails today's XSD is
uploaded, read, kept and flagged; the buyer accepts it as read and approves it. Then an invoice with a
price 5,4 % above its order is flagged on its line, accepted with a reason and paid: the discrepancy shows
as resolved. Screenshots at 1280 and 390 px wide in /tmp/shots/h4 (and the test output directory)."""
import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import Invoice
from portal.invoices.matching import Tolerances
from portal.invoices.service import InvoiceData, LineData, apply_action, create_invoice, save_tolerances
from portal.payables.service import record_payment
from portal.payments.service import new_idempotency_key
from portal.purchasing.service import record_delivery
from tests import einvoice_samples as samples
from tests.browser.steps import log_in
from tests.factories import make_order, make_shop, make_supplier, make_user

pytestmark = pytest.mark.browser

BUYER = ["manage_suppliers", "approve_invoices", "pay_invoices"]
SHOTS = Path("/tmp/shots/h4")


def _shots(page, output_dir, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for folder in (SHOTS, output_dir):
            page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_non_conforming_einvoice_accepted_and_resolved_discrepancy(app, page, output_dir, tmp_path):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    marc = make_user("marc", rights={shop: BUYER})
    make_supplier(name="Rösterei Hamburg GmbH", vat_number="DE136695976", country="DE")
    log_in(page, "marc")

    invoice_file = tmp_path / "RE-2019-1183.xml"
    invoice_file.write_bytes(samples.german_bankleitzahl_xml())
    page.goto("/factures/deposer")
    page.get_by_label("Fichier de la facture").set_input_files(str(invoice_file))
    page.get_by_role("button", name="Lire la facture").click()
    expect(page.get_by_text("ses données ont pu être lues")).to_be_visible()
    page.get_by_role("button", name="Enregistrer la facture").click()
    expect(page.get_by_text("Facture électronique lue mais non conforme à son schéma.")).to_be_visible()
    expect(page.locator(".schema-issues").first).to_contain_text("ram:GermanBankleitzahlID")
    _shots(page, output_dir, "h4-01-invoice-non-conforming")

    page.get_by_role("link", name="Accepter malgré la non-conformité").click()
    page.get_by_label("Motif").fill("Ancien format du torréfacteur, montants vérifiés sur le PDF")
    page.locator("#inv-panel-detail").get_by_role("button", name="Accepter malgré la non-conformité").click()
    expect(page.locator("p.schema-flag")).to_contain_text("acceptée telle qu'elle a été lue")
    assert Invoice.get().schema_decision == "ACCEPTED"

    # An order of coffee at 18,50 received in full, invoiced at 19,50 with a 5 % tolerance.
    save_tolerances(Tolerances(0, 500, 100, "pct"), marc)
    supplier = make_supplier()
    order = make_order(shop, supplier, lines=((10000, 1850, 550),), description="Café en grains Moka 1 kg")
    record_delivery(order, {order.lines.get().id: 10000}, marc, datetime.date(2026, 11, 18), "BL-7")
    coffee = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number="FA-2026-0311", issue_date=datetime.date(2026, 11, 20), currency="EUR",
        total_net=19500, total_vat=1073, total_gross=20573, po_reference=order.number,
        lines=[LineData("Café en grains Moka 1 kg", 10000, 1950, 550)]), marc)
    page.goto(f"/factures/{coffee.id}")
    expect(page.get_by_text("Prix unitaire ≠ prix commandé — Café en grains Moka 1 kg")).to_be_visible()
    expect(page.locator("#inv-matching")).to_contain_text("+5,4")
    _shots(page, output_dir, "h4-02-invoice-price-flagged")

    apply_action(coffee.id, "approve", marc, set(BUYER), override_reason="Hausse du cours du café annoncée le 2 novembre")
    record_payment(Invoice.get_by_id(coffee.id), coffee.total_gross, datetime.date(2026, 11, 25), "CHEQUE", marc,
                   new_idempotency_key())
    page.goto(f"/factures/{coffee.id}")
    expect(page.locator(".discrepancies-resolved")).to_contain_text("résolus")
    expect(page.get_by_text("Attention :")).to_have_count(0)
    _shots(page, output_dir, "h4-03-invoice-discrepancy-resolved")
