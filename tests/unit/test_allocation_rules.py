"""The arithmetic of an analytic allocation (ALLOC-2): largest remainder, exact sums, refusals."""
import itertools

import pytest

from portal.allocation.rules import (AllocationError, Line, PercentError, check_allocation, format_percent,
                                     parse_percent, remaining, resolve_amounts, split_by_percentages)
from portal.money import format_money


def euros(minor):
    return format_money(minor, "EUR")


def test_alloc_2_thirds_of_100_euros_sum_exactly():
    assert split_by_percentages(10000, [3333, 3333, 3334]) == [3333, 3333, 3334]


def test_alloc_2_largest_remainder_gives_the_lost_cent_to_the_largest_fraction():
    # 10,00 € × 33,33 % = 3,333 € ; × 33,34 % = 3,334 € : the cent left goes to the largest remainder.
    assert split_by_percentages(1000, [3333, 3333, 3334]) == [333, 333, 334]
    # 1 000,01 € halved: the odd cent goes to the first line (ties broken by order).
    assert split_by_percentages(100001, [5000, 5000]) == [50001, 50000]
    # 0,10 € in three equal-ish shares: 3,333 / 3,333 / 3,334 cents.
    assert split_by_percentages(10, [3333, 3333, 3334]) == [3, 3, 4]


def test_alloc_2_ties_broken_by_order():
    assert split_by_percentages(1, [5000, 5000]) == [1, 0]
    assert split_by_percentages(2, [2500, 2500, 2500, 2500]) == [1, 1, 0, 0]


@pytest.mark.parametrize("total", [1, 7, 99, 100, 1001, 1200000, 999999999, 10**12])
def test_alloc_2_percentages_summing_to_100_always_give_the_total(total):
    for percents in ([3333, 3333, 3334], [1, 9999], [1250] * 8, [700, 1300, 2000, 6000], [10000], [4999, 5001]):
        amounts = split_by_percentages(total, percents)
        assert sum(amounts) == total
        # each share is within one minor unit of its exact value
        for amount, percent in zip(amounts, percents):
            assert abs(amount * 10000 - total * percent) < 10000


def test_alloc_2_percentages_below_100_give_the_rounded_part():
    assert split_by_percentages(1200000, [5000]) == [600000]
    assert sum(split_by_percentages(1001, [3333, 3333])) == 667  # 66,66 % of 10,01 = 6,6726… -> 6,67


def test_alloc_2_split_refuses_negatives():
    with pytest.raises(ValueError):
        split_by_percentages(-1, [10000])
    with pytest.raises(ValueError):
        split_by_percentages(100, [-1, 10001])


def test_alloc_2_seed_examples_check_out():
    # 12 000 € = 5 000 € Commercial + 7 000 € Consultant
    assert check_allocation(1200000, [Line(amount=500000), Line(amount=700000)], euros) == []
    # 60 % Commercial + 40 % Accor Hôtels
    assert check_allocation(1200000, [Line(percent=6000), Line(percent=4000)], euros) == []
    assert resolve_amounts(1200000, [Line(percent=6000), Line(percent=4000)]) == [720000, 480000]


def test_alloc_2_amounts_and_percentages_mixed():
    lines = [Line(amount=500000), Line(percent=5834)]  # 58,34 % of 12 000 € = 7 000,80 €
    assert resolve_amounts(1200000, lines) == [500000, 700080]
    assert remaining(1200000, lines) == -80
    errors = check_allocation(1200000, lines, euros)
    assert [e.message for e in errors] == [f"Ventilation supérieure au montant de {euros(80)} : réduisez une ligne."]


def test_alloc_2_says_what_remains_to_allocate():
    errors = check_allocation(1200000, [Line(amount=500000), Line(amount=600000)], euros)
    assert errors == [AllocationError("Reste à ventiler : 1\u202f000,00\u00a0€.")]
    assert remaining(1200000, [Line(amount=500000), Line(amount=600000)]) == 100000


def test_alloc_2_one_cent_short_is_refused():
    errors = check_allocation(10000, [Line(amount=3333), Line(amount=3333), Line(amount=3333)], euros)
    assert [e.message for e in errors] == ["Reste à ventiler : 0,01\u00a0€."]


def test_alloc_2_each_line_positive():
    errors = check_allocation(1000, [Line(amount=1000), Line(amount=0)], euros)
    assert errors == [AllocationError("Le montant doit être supérieur à zéro.", 1)]
    errors = check_allocation(1000, [Line(amount=1000), Line()], euros)
    assert errors == [AllocationError("Saisissez un montant ou un pourcentage.", 1)]
    errors = check_allocation(1000, [Line(amount=500, percent=5000)], euros)
    assert errors[0].index == 0 and "pas les deux" in errors[0].message
    assert check_allocation(1000, [], euros) == [AllocationError("Ajoutez au moins une ligne de ventilation.")]


def test_alloc_2_percentage_giving_zero_is_refused_next_to_its_line():
    errors = check_allocation(1, [Line(percent=5000), Line(percent=5000)], euros)
    assert errors[0].index == 1 and "0,00" in errors[0].message


def test_alloc_2_percentages_above_100_refused():
    errors = check_allocation(1000, [Line(percent=6000), Line(percent=6000)], euros)
    assert errors == [AllocationError("Les pourcentages dépassent 100 % au total.")]
    assert check_allocation(1000, [Line(percent=10001)], euros)[0].index == 0


def test_alloc_2_sums_are_exact_for_many_splits():
    for total, a, b in itertools.product((1, 3, 1000, 1200000), (1, 3333, 5000), (1, 2500, 3334)):
        c = 10000 - a - b
        if c <= 0:
            continue
        assert sum(split_by_percentages(total, [a, b, c])) == total


def test_alloc_2_percent_parsing_and_formatting():
    assert parse_percent("33,33") == 3333
    assert parse_percent(" 33.34 % ") == 3334
    assert parse_percent("100") == 10000
    for text, message in (("", "Saisissez"), ("abc", "illisible"), ("33,333", "Deux décimales"), ("0", "supérieur"),
                          ("-5", "positif"), ("100,01", "100 %"), ("nan", "illisible")):
        with pytest.raises(PercentError, match=message):
            parse_percent(text)
    assert format_percent(3333) == "33,33"
    assert format_percent(5000) == "50"
    assert format_percent(550) == "5,5"
