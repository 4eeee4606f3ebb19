"""AP-CASH-1: where the cash-flow timeline starts (opening balances, movements counted once) and the
chart's amount scale, in plain Python."""
import datetime
from types import SimpleNamespace

import pytest

from portal.reports.cashflow import Flow, OpeningDateError, cash_position, check_opening_date, realised_since
from portal.reports.timeline import NARROW, WIDE, Bucket, build_timeline, chart_geometry, nice_step, scale_ticks

TODAY = datetime.date(2026, 12, 2)  # a Wednesday
OPENED = datetime.date(2026, 11, 20)


def _account(id, shop_id, balance, day=OPENED, label=None):
    return SimpleNamespace(id=id, shop_id=shop_id, label=label or f"Compte {id}", opening_balance=balance,
                           opening_date=day)


def test_ap_cash_1_movements_before_the_opening_day_are_inside_the_balance():
    realised = [Flow(1, OPENED - datetime.timedelta(days=1), -30000),  # already in the statement's balance
                Flow(1, OPENED, 20000),  # the opening day itself: after the balance was read
                Flow(1, TODAY, -5000),  # today: counted
                Flow(2, OPENED, 99999)]  # another shop
    assert realised_since(OPENED, TODAY, 1, realised) == 15000
    position = cash_position([_account(1, 1, 100000)], [1], realised, [], [], TODAY, 4, "week")
    assert position.accounts[0].since_opening == 15000
    assert position.today_balance == 115000
    assert [row.cumulated for row in position.rows] == [115000] * 4


def test_ap_cash_1_opening_on_today_counts_only_what_comes_next():
    realised = [Flow(1, TODAY - datetime.timedelta(days=1), -40000)]
    inflows = [Flow(1, TODAY + datetime.timedelta(days=1), 10000)]
    outflows = [Flow(1, TODAY - datetime.timedelta(days=10), 3000),  # overdue, still unpaid: counted once, now
                Flow(1, TODAY + datetime.timedelta(days=8), 50000)]
    position = cash_position([_account(1, 1, 20000, day=TODAY)], [1], realised, inflows, outflows, TODAY, 3, "week")
    assert position.today_balance == 20000
    assert [(r.inflow, r.outflow, r.cumulated) for r in position.rows] == [
        (10000, 3000, 27000), (0, 50000, -23000), (0, 0, -23000)]


def test_ap_cash_1_per_account_and_total_each_flow_once():
    accounts = [_account(1, 1, 100000, label="Courant"), _account(2, 1, 500000, label="Épargne"),
                _account(3, 2, -20000, label="Banque B")]
    realised = [Flow(1, TODAY, 1000), Flow(2, TODAY, -7000)]
    inflows = [Flow(1, TODAY, 4000), Flow(2, TODAY, 6000), Flow(3, TODAY, 9000)]
    outflows = [Flow(3, TODAY + datetime.timedelta(days=7), 2000)]
    position = cash_position(accounts, [1, 2, 3], realised, inflows, outflows, TODAY, 2, "week")
    by_label = {p.account.label: p for p in position.accounts}
    assert by_label["Courant"].carries_flows and not by_label["Épargne"].carries_flows
    assert [r.cumulated for r in by_label["Courant"].rows] == [105000, 105000]
    assert [r.cumulated for r in by_label["Épargne"].rows] == [500000, 500000]  # the shop's second account
    assert [r.cumulated for r in by_label["Banque B"].rows] == [-21000, -21000]
    assert by_label["Banque B"].lowest_balance == -27000
    assert position.unbanked_shop_ids == [3] and [r.cumulated for r in position.unbanked] == [9000, 7000]
    assert position.today_balance == 101000 + 500000 - 27000
    assert [r.cumulated for r in position.rows] == [105000 + 500000 - 21000 + 9000, 105000 + 500000 - 21000 + 7000]


def test_ap_cash_1_without_account_the_total_starts_from_zero():
    position = cash_position([], [1], [], [Flow(1, TODAY, 500)], [], TODAY, 2, "month")
    assert position.accounts == [] and [r.cumulated for r in position.rows] == [500, 500]


@pytest.mark.parametrize("day, reason", [(datetime.date(2099, 1, 1), "future"), (TODAY + datetime.timedelta(days=1), "future"),
                                         (datetime.date(1999, 12, 31), "too_old")])
def test_ap_cash_1_opening_day_is_a_known_day(day, reason):
    with pytest.raises(OpeningDateError) as error:
        check_opening_date(day, TODAY)
    assert error.value.reason == reason
    assert check_opening_date(TODAY, TODAY) == TODAY


def test_ap_cash_1_scale_ticks_are_round_and_hold_zero():
    assert scale_ticks(-35000, 120000) == [-50000, 0, 50000, 100000, 150000]
    assert scale_ticks(0, 0) == [0, 25, 50, 75, 100]
    assert scale_ticks(-9000, -100) == [-10000, -7500, -5000, -2500, 0]
    assert [nice_step(span) for span in (4, 10, 99, 1000, 1234567)] == [1, 5, 25, 250, 500000]
    for low, high in ((-1, 1), (-123456789, 987), (5, 6)):
        ticks = scale_ticks(low, high)
        assert 0 in ticks and ticks[0] <= low and ticks[-1] >= high


def test_ap_cash_1_chart_draws_negatives_below_zero_and_marks_today():
    rows = build_timeline(TODAY, 3, "week", [(TODAY, 20000)], [(TODAY + datetime.timedelta(days=7), 90000)],
                          opening=10000)
    assert [r.cumulated for r in rows] == [30000, -60000, -60000]
    for size in (WIDE, NARROW):
        chart = chart_geometry(rows, TODAY, "week", size)
        zero = chart["zero"]
        assert any(t.value == 0 and t.y == zero for t in chart["ticks"])
        assert chart["ticks"][0].value <= -90000 and chart["ticks"][-1].value >= 30000
        start, (x0, y0), (x1, y1), _ = chart["points"]
        assert start == (chart["today"], pytest.approx(zero - (zero - chart["ticks"][-1].y) * 10000 / chart["ticks"][-1].value))
        assert y0 < zero < y1  # a positive balance above the line, a negative one below
        assert x0 == pytest.approx(chart["left"] + chart["slot"])  # at the end of its period
        inflow, outflow = chart["bars"][0], chart["bars"][3]
        assert inflow.y + inflow.height == pytest.approx(zero) and outflow.y == zero and outflow.height > 0
        # Today (a Wednesday) sits in the first week, after its Monday.
        assert chart["left"] + chart["slot"] * 2 / 7 < chart["today"] < chart["left"] + chart["slot"] * 3 / 7
        assert chart["labels"][0].day == datetime.date(2026, 11, 30)
    narrow = chart_geometry(rows * 5, TODAY, "week", NARROW)
    gaps = [b.x - a.x for a, b in zip(narrow["labels"], narrow["labels"][1:])]
    assert gaps and min(gaps) >= NARROW["label_gap"]  # week labels never overlap on a phone
    assert chart_geometry(rows, TODAY + datetime.timedelta(days=60), "week")["today"] is None


def test_ap_cash_1_empty_timeline_still_has_a_scale():
    chart = chart_geometry([Bucket(TODAY)], TODAY, "week")
    assert [t.value for t in chart["ticks"]][0] == 0 and len(chart["ticks"]) >= 2
