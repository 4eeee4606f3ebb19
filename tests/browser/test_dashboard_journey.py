"""PAY-DASH-1 in a real browser: the home page's panels, the menu's dashboard with its figures, the
60-day chart loaded after the page, another day chosen (URL pushed), the count scale, a day too old
refused under the field, and a figure opening the filtered transaction list; at 1280 and 390 px."""
import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from stdnum import luhn

from models import Invoice
from portal.payments.acquirer import simulator_card
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.remittance import remit
from portal.payments.service import new_idempotency_key, perform_operation
from tests.browser.steps import log_in
from tests.factories import make_shop, make_supplier, make_transaction, make_user

pytestmark = pytest.mark.browser
TODAY = datetime.date.today()
SHOTS = Path("/tmp/shots/h2")


def _card(n):
    return next(number for digit in "0123456789" if luhn.is_valid(number := f"43000000{n:05d}{digit}00"))


def _shoot(page, output_dir, name):
    page.screenshot(path=output_dir / name, full_page=True)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SHOTS / name, full_page=True)


def _history(payment_ctx, clock, shop):
    """Twelve days of payments (accepted, refused, one refused at remittance, a partial cancel),
    each day remitted in the evening."""
    number = 0
    for back in range(12, -1, -1):
        day = TODAY - datetime.timedelta(days=back)
        clock.set_local_day(day, hour=9)
        for n in range(2 + back % 4):
            number += 1
            make_transaction(payment_ctx, shop, 1500 + (number * 739) % 9000, card=_card(number))
        make_transaction(payment_ctx, shop, 2500, card=simulator_card("430000", "00", "05" if back % 2 else "51"))
        if back % 3 == 0:
            make_transaction(payment_ctx, shop, 4200, card=simulator_card("520000", "11"))
        if back == 0:
            txn = make_transaction(payment_ctx, shop, 8000, card=_card(900), capture_delay=1)
            perform_operation(payment_ctx, txn.id, Kind.CANCEL, 3000, None, {"cancel"}, new_idempotency_key())
        clock.set_local_day(day, hour=20)
        remit(payment_ctx, day)
    clock.set_local_day(TODAY, hour=10)


def test_pay_dash_1_home_and_dashboard_journey(app, page, output_dir, payment_ctx, clock):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    other = make_shop("Comptoir des Halles")
    make_user("gerante", display_name="Camille", rights={shop: ["view", "approve_invoices", "pay_invoices"],
                                                         other: ["view"]})
    _history(payment_ctx, clock, shop)
    supplier = make_supplier()
    for number, status, due in (("F-100", "IN_HAND", 10), ("F-101", "APPROVED", 2), ("F-102", "APPROVED", -4)):
        Invoice.create(shop=shop, supplier=supplier, number=number, issue_date=TODAY - datetime.timedelta(days=30),
                       due_date=TODAY + datetime.timedelta(days=due), currency="EUR", total_net=50000,
                       total_vat=10000, total_gross=60000, status=status)

    log_in(page, "gerante")
    expect(page.get_by_role("heading", name="Paiements carte du jour")).to_be_visible()
    expect(page.get_by_role("heading", name="Factures en attente d'approbation")).to_be_visible()
    expect(page.get_by_role("heading", name="Règlements fournisseurs de la semaine")).to_be_visible()
    _shoot(page, output_dir, "h2-home-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    _shoot(page, output_dir, "h2-home-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", name="Tableau de bord des paiements", level=1)).to_be_visible()
    expect(page.locator(".dash-accepted .dash-count")).to_contain_text("transactions")
    chart = page.locator("svg.dash-chart.dash-wide")
    expect(chart).to_be_visible()  # asked after the page, then swapped in
    expect(page.locator("#dash-reasons-title")).to_be_visible()
    expect(page.locator(".dash-table").get_by_text("Montant trop élevé ou provision insuffisante")).to_be_visible()
    _shoot(page, output_dir, "h2-dashboard-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("svg.dash-chart.dash-narrow")).to_be_visible()  # its own drawing on a phone
    expect(chart).to_be_hidden()
    _shoot(page, output_dir, "h2-dashboard-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    three_days_ago = (TODAY - datetime.timedelta(days=3)).isoformat()
    page.get_by_label("Jour", exact=True).fill(three_days_ago)
    page.get_by_label("Jour", exact=True).dispatch_event("change")
    expect(page).to_have_url(re.compile(f"jour={three_days_ago}"))
    expect(page.locator(".dash-scope")).to_contain_text((TODAY - datetime.timedelta(days=3)).strftime("%d/%m/%Y"))

    page.get_by_role("link", name="nombre").click()
    expect(page.locator("svg.dash-chart.dash-wide")).to_contain_text("Nombre de transactions")

    page.get_by_label("Boutique").select_option(label="Comptoir des Halles")
    expect(page.locator(".dash-empty")).to_be_visible()  # nothing was sold there
    page.get_by_label("Boutique").select_option(label="Toutes mes boutiques")
    expect(page.locator(".dash-empty")).to_have_count(0)

    # The calendar offers only the 60 days (min/max); an old bookmark gets the reason under the field.
    too_old = (TODAY - datetime.timedelta(days=75)).isoformat()
    page.goto(f"/transactions/tableau-de-bord?jour={too_old}")
    expect(page.locator("#jour-error")).to_contain_text("Le tableau de bord remonte à 60 jours")
    _shoot(page, output_dir, "h2-dashboard-error-1280.png")

    page.goto("/transactions/tableau-de-bord")
    page.locator(".dash-accepted .dash-count a").click()
    expect(page).to_have_url(re.compile(r"/transactions/\?du=" + TODAY.isoformat() + ".*etat=CAPTURED"))
