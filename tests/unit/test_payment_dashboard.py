"""PAY-DASH-1: each figure of the payments dashboard, from payments made and operated through the
service and the simulator (partial validation, partial cancel, a refusal at authorisation and one
at remittance, expiry, refund), on a day with nothing, across the merchant's midnight, per
currency; and a constant number of queries whatever the volume."""
import datetime

import pytest

from models import Transaction
from portal.payments import dashboard
from portal.payments.acquirer import simulator_card
from portal.payments.dashboard import DayOutOfRange, Figure, check_day, day_figures, daily_series
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.remittance import remit
from portal.payments.service import new_idempotency_key, perform_operation
from tests.factories import make_shop, make_transaction
from tests.query_count import counting

RIGHTS = {"view", "validate", "cancel", "refund", "duplicate"}
DAY = datetime.timedelta(days=1)
TZ = "Europe/Paris"


def _operate(ctx, txn, kind, amount):
    outcome = perform_operation(ctx, txn.id, kind, amount, None, RIGHTS, new_idempotency_key())
    assert outcome.succeeded, outcome.message


@pytest.fixture
def day_of_payments(app, shop, payment_ctx, clock):
    """One day (10/03/2026) of payments in EUR, remitted that evening:
    t1 100,00 remitted whole; t2 200,00 in validation mode validated for 150,00 (the rest cancelled);
    t3 80,00 with a 1-day delay, 30,00 cancelled (remitted tomorrow); t4 40,00 refused by the issuer;
    t5 60,00 accepted then refused at remittance; t6 70,00 to validate, never validated (expires)."""
    today = clock.now.date()
    t = {
        "t1": make_transaction(payment_ctx, shop, 10000),
        "t2": make_transaction(payment_ctx, shop, 20000, capture_mode="VALIDATION", capture_delay=2),
        "t3": make_transaction(payment_ctx, shop, 8000, capture_delay=1),
        "t4": make_transaction(payment_ctx, shop, 4000, card=simulator_card("430000", "00", "05")),
        "t5": make_transaction(payment_ctx, shop, 6000, card=simulator_card("520000", "11")),
        "t6": make_transaction(payment_ctx, shop, 7000, capture_mode="VALIDATION", capture_delay=1),
    }
    _operate(payment_ctx, t["t2"], Kind.VALIDATE, 15000)
    _operate(payment_ctx, t["t3"], Kind.CANCEL, 3000)
    clock.now = clock.now.replace(hour=20)
    remit(payment_ctx, today)
    return today, t


def _figures(shop, day, currency="EUR"):
    return day_figures([shop.id], day, currency, TZ)


def test_pay_dash_1_accepted_counts_the_amount_at_acceptance(day_of_payments, shop):
    day, _ = day_of_payments
    figures = _figures(shop, day)
    # t1 + t2 + t3 + t5 + t6: the authorised amounts, not what was validated, cancelled or remitted.
    assert figures.accepted == Figure(5, 10000 + 20000 + 8000 + 6000 + 7000)


def test_pay_dash_1_accepted_does_not_change_with_later_operations(day_of_payments, shop, payment_ctx, clock):
    day, t = day_of_payments
    before = _figures(shop, day).accepted
    clock.advance(days=1)
    _operate(payment_ctx, t["t1"], Kind.CREDIT, 2500)  # a partial refund the next day
    remit(payment_ctx, day + DAY)
    assert _figures(shop, day).accepted == before


def test_pay_dash_1_refused_at_authorisation_or_at_remittance(day_of_payments, shop):
    day, _ = day_of_payments
    figures = _figures(shop, day)
    assert figures.refused_authorisation == Figure(1, 4000)
    assert figures.refused_remittance == Figure(1, 6000)
    assert figures.refused == Figure(2, 10000)
    reasons = {(stage, code): (count, amount) for stage, code, count, amount in figures.reasons}
    assert reasons == {("authorisation", "05"): (1, 4000), ("remittance", "12"): (1, 6000)}


def test_pay_dash_1_remitted_is_the_amount_actually_remitted(day_of_payments, shop):
    day, _ = day_of_payments
    # t1 whole and t2 for its validated 150,00; t5's refused capture is not remitted.
    assert _figures(shop, day).remitted == Figure(2, 10000 + 15000)


def test_pay_dash_1_not_remitted_count_falls_on_remittance_or_rejection_amount_only_by_remitted(
        day_of_payments, shop, payment_ctx, clock):
    day, _ = day_of_payments
    accepted = 10000 + 20000 + 8000 + 6000 + 7000
    # Evening of the day: t3 (tomorrow) and t6 (to validate) wait; t5 was rejected at remittance.
    assert _figures(shop, day).not_remitted == Figure(2, accepted - 25000)
    clock.advance(days=1)
    remit(payment_ctx, day + DAY)  # t3 leaves for its 50,00 left after the partial cancel
    assert _figures(shop, day).remitted == Figure(3, 30000)
    assert _figures(shop, day).not_remitted == Figure(1, accepted - 30000)
    clock.advance(days=1)
    remit(payment_ctx, day + 2 * DAY)  # t6 expires: the count falls, the amount does not
    assert _figures(shop, day).not_remitted == Figure(0, accepted - 30000)


def test_pay_dash_1_average_basket_is_accepted_amount_over_accepted_count(day_of_payments, shop):
    day, _ = day_of_payments
    figures = _figures(shop, day)
    assert figures.average_basket == 51000 // 5 == 10200
    assert dashboard.DayFigures(day, "EUR", accepted=Figure(3, 1000)).average_basket == 333
    assert dashboard.DayFigures(day, "EUR", accepted=Figure(2, 1001)).average_basket == 501  # half up


def test_pay_dash_1_share_by_network(day_of_payments, shop):
    day, _ = day_of_payments
    networks = {name: (count, amount) for name, count, amount in _figures(shop, day).networks}
    # 430000 cards go through CB, 520000 ones through CB too (co-badged): accepted payments only.
    assert sum(count for count, _ in networks.values()) == 5
    assert sum(amount for _, amount in networks.values()) == 51000


def test_pay_dash_1_a_day_with_nothing(day_of_payments, shop):
    day, _ = day_of_payments
    figures = _figures(shop, day - DAY)
    assert figures.empty
    assert figures.accepted == figures.refused == figures.remitted == figures.not_remitted == Figure(0, 0)
    assert figures.average_basket is None and figures.networks == [] and figures.reasons == []


def test_pay_dash_1_the_merchant_day_not_the_utc_day(app, shop, payment_ctx, clock):
    clock.now = datetime.datetime(2026, 3, 10, 23, 30)  # 00:30 on 11/03 in Paris
    make_transaction(payment_ctx, shop, 5000)
    assert _figures(shop, datetime.date(2026, 3, 10)).accepted == Figure(0, 0)
    assert _figures(shop, datetime.date(2026, 3, 11)).accepted == Figure(1, 5000)


def test_pay_dash_1_one_currency_no_conversion(app, shop, payment_ctx, clock):
    make_transaction(payment_ctx, shop, 5000)
    make_transaction(payment_ctx, shop, 9000, currency="USD")
    day = clock.now.date()
    assert _figures(shop, day).accepted == Figure(1, 5000)
    assert _figures(shop, day, "USD").accepted == Figure(1, 9000)
    assert _figures(shop, day).currencies == ["EUR", "USD"]


def test_pay_dash_1_only_the_shops_asked(app, shop, payment_ctx, clock):
    other = make_shop()
    make_transaction(payment_ctx, shop, 5000)
    make_transaction(payment_ctx, other, 7000)
    day = clock.now.date()
    assert day_figures([shop.id], day, "EUR", TZ).accepted == Figure(1, 5000)
    assert day_figures([shop.id, other.id], day, "EUR", TZ).accepted == Figure(2, 12000)
    assert day_figures([], day, "EUR", TZ).accepted == Figure(0, 0)


def test_pay_dash_1_sixty_days_series(day_of_payments, shop, payment_ctx, clock):
    day, _ = day_of_payments
    clock.now = datetime.datetime.combine(day - 10 * DAY, datetime.time(12))
    make_transaction(payment_ctx, shop, 1234, card=simulator_card("430000", "00", "51"))
    points = daily_series([shop.id], day, "EUR", TZ)
    assert len(points) == 61 and points[0].day == day - 60 * DAY and points[-1].day == day
    assert points[-1].accepted == Figure(5, 51000) and points[-1].refused == Figure(2, 10000)
    assert points[-11].refused == Figure(1, 1234) and points[-11].accepted == Figure(0, 0)
    assert sum(p.accepted.count for p in points) == 5


def test_pay_dash_1_days_outside_the_60_days_are_refused():
    today = datetime.date(2026, 3, 10)
    assert check_day(today, today) == today
    assert check_day(today - 60 * DAY, today) == today - 60 * DAY
    with pytest.raises(DayOutOfRange) as future:
        check_day(today + DAY, today)
    assert future.value.reason == "future"
    with pytest.raises(DayOutOfRange) as old:
        check_day(today - 61 * DAY, today)
    assert old.value.reason == "too_old" and old.value.first == today - 60 * DAY


def test_pay_dash_1_constant_number_of_queries(app, shop, payment_ctx, clock):
    day = clock.now.date()
    make_transaction(payment_ctx, shop, 1000)
    with counting() as few:
        day_figures([shop.id], day, "EUR", TZ)
        daily_series([shop.id], day, "EUR", TZ)
    rows = [dict(shop=shop.id, reference=f"B{n:06d}", amount=1000 + n, currency="EUR", capture_mode="AUTO",
                 state=("CAPTURED", "REFUSED", "TO_CAPTURE")[n % 3], created_at=clock.now - datetime.timedelta(hours=n % 9),
                 card_token="tok", masked_pan="430000******0000", networks="CB,VISA", network=("CB", "VISA")[n % 2],
                 card_expiry_year=2030, card_expiry_month=12, response_code="00" if n % 3 != 1 else "05")
            for n in range(300)]
    Transaction.insert_many(rows).execute()
    with counting() as many:
        figures = day_figures([shop.id], day, "EUR", TZ)
        daily_series([shop.id], day, "EUR", TZ)
    assert figures.accepted.count > 150
    assert many[0] == few[0] <= 3


def test_pay_dash_1_chart_geometry_has_a_labelled_scale():
    points = [dashboard.DayPoint(datetime.date(2026, 3, 1) + n * DAY, Figure(n, 1000 * n), Figure(1, 500))
              for n in range(61)]
    chart = dashboard.series_chart(points, "amount")
    assert chart["top_value"] == 100000 and chart["ticks"][-1][1] == 100000 and chart["ticks"][0][1] == 0
    assert len(chart["bars"]) == 122 and chart["labels"][-1][1] == points[-1].day
    tallest = max(chart["bars"], key=lambda bar: bar.height)
    assert tallest.day == points[-1].day and tallest.y == pytest.approx(chart["top"] + 
                                                                       (chart["baseline"] - chart["top"]) * 0.4)
    assert dashboard.nice_ceiling(0) == 1 and dashboard.nice_ceiling(7) == 10 and dashboard.nice_ceiling(2300) == 2500
    shares = dashboard.share_bars([("CB", 3, 3000), ("Visa", 1, 1000)], "amount")
    assert [row["percent"] for row in shares["rows"]] == [75, 25]
