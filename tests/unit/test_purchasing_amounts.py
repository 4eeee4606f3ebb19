"""Exact amounts of purchase documents (AP-PO-1): no float, half-up line rounding, VAT per rate."""
import pytest

from portal.purchasing.amounts import (QuantityError, format_quantity, format_rate, line_net, parse_quantity,
                                       parse_rate, totals)


def test_ap_po_1_line_net_is_exact_and_rounded_half_up():
    assert line_net(10000, 1250) == 12500          # 10 × 12,50 €
    assert line_net(2500, 333) == 833              # 2,5 × 3,33 = 8,325 → 8,33
    assert line_net(1000, 0) == 0
    assert isinstance(line_net(3333, 1), int)


def test_ap_po_1_totals_compute_vat_per_rate_on_the_sum_of_lines():
    result = totals([(1000, 1001, 2000), (1000, 1001, 2000), (3000, 1000, 550)])
    assert result.by_rate == ((2000, 2002, 400), (550, 3000, 165))
    assert (result.net, result.vat, result.gross) == (5002, 565, 5567)


@pytest.mark.parametrize("text, milli", [("10", 10000), ("2,5", 2500), ("0.125", 125), ("1 000", 1000000)])
def test_ap_po_1_quantities_parse_in_thousandths(text, milli):
    assert parse_quantity(text) == milli


@pytest.mark.parametrize("text, message", [("", "Saisissez"), ("abc", "illisible"), ("0", "supérieure à zéro"),
                                           ("-2", "supérieure à zéro"), ("1,0005", "Trois décimales")])
def test_ap_po_1_bad_quantities_are_refused_with_a_message(text, message):
    with pytest.raises(QuantityError, match=message):
        parse_quantity(text)


def test_ap_po_1_quantity_and_rate_formatting():
    assert format_quantity(2500) == "2,5" and format_quantity(10000) == "10"
    assert format_rate(550) == "5,5\u00a0%" and format_rate(2000) == "20\u00a0%"
    assert parse_rate("5,5") == 550 and parse_rate("20 %") == 2000
    with pytest.raises(QuantityError):
        parse_rate("120")
