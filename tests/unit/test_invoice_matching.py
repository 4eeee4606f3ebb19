"""Three-way matching rules (AP-MATCH-1) and the invoice lifecycle (AP-FLOW-1), without a database."""
import pytest

from portal.invoices.lifecycle import InvoiceStatus as S
from portal.invoices.lifecycle import TransitionRefused, available_actions, check_transition
from portal.invoices.matching import InvoicedLine, OrderedLine, Tolerances, match_invoice

PAPER = OrderedLine(id=1, position=1, description="Ramette papier A4", quantity_milli=10000, unit_price=1250,
                    received_milli=8000)
EXACT = Tolerances(quantity_pct=0, price_pct=0, amount_abs=0)


def _line(quantity=8000, price=1250, description="Ramette papier A4", position=1):
    return InvoicedLine(position, description, quantity, price, quantity * price // 1000)


def test_ap_match_1_matching_invoice_has_no_discrepancy():
    assert match_invoice([_line()], [PAPER], 10000, EXACT) == []


def test_ap_match_1_quantity_above_received_is_flagged_side_by_side():
    found = match_invoice([_line(10000)], [PAPER], 12500, EXACT)
    assert [(d.kind, d.invoiced, d.expected) for d in found] == [("quantity_received", 10000, 8000)]
    assert found[0].difference == 2000


def test_ap_match_1_partial_invoice_below_received_is_fine():
    assert match_invoice([_line(5000)], [PAPER], 6250, EXACT) == []


def test_ap_match_1_quantity_tolerance_in_percent():
    assert match_invoice([_line(8400)], [PAPER], 10500, Tolerances(500, 0, 0)) == []   # 5 % of 8 = 0,4
    assert match_invoice([_line(8401)], [PAPER], 10501, Tolerances(500, 0, 100))[0].kind == "quantity_received"


def test_ap_match_1_price_tolerance_in_percent():
    assert match_invoice([_line(8000, 1270)], [PAPER], 10160, Tolerances(0, 200, 0)) == []  # +1,6 %
    found = match_invoice([_line(8000, 1300)], [PAPER], 10400, Tolerances(0, 200, 10))
    assert {d.kind for d in found} == {"unit_price", "total"}


def test_ap_match_1_cumulated_invoices_of_one_order():
    earlier = OrderedLine(1, 1, "Ramette papier A4", 10000, 1250, 8000, invoiced_before_milli=6000)
    found = match_invoice([_line(4000)], [earlier], 5000, EXACT)
    assert [(d.kind, d.invoiced, d.expected) for d in found] == [("quantity_received", 10000, 8000)]


def test_ap_match_1_line_not_on_the_order():
    found = match_invoice([_line(), _line(1000, 500, "Frais de port", 2)], [PAPER], 10500, EXACT)
    assert [d.kind for d in found] == ["unknown_line", "total"]


def test_ap_match_1_invoice_without_lines_is_matched_on_totals():
    assert match_invoice([], [PAPER], 10000, EXACT) == []
    found = match_invoice([], [PAPER], 12500, EXACT)
    assert [(d.kind, d.invoiced, d.expected) for d in found] == [("total", 12500, 10000)]


def test_ap_flow_1_actions_depend_on_status_and_rights():
    approver = {"approve_invoices"}
    assert [a.name for a in available_actions(S.RECEIVED, approver)] == [
        "take", "approve", "approve_partially", "dispute", "suspend", "refuse"]
    assert available_actions(S.RECEIVED, {"manage_suppliers"}) == []
    # « Payée » follows the recorded payments: never offered by hand.
    assert available_actions(S.APPROVED, {"pay_invoices"}) == []
    assert available_actions(S.PAID, approver | {"pay_invoices"}) == []
    assert available_actions(S.REFUSED, approver) == []


def test_ap_flow_1_reasons_and_overrides():
    approver = {"approve_invoices"}
    with pytest.raises(TransitionRefused, match="motif"):
        check_transition("dispute", S.RECEIVED, approver, "", 0)
    assert check_transition("dispute", S.RECEIVED, approver, "Quantité erronée", 0).to == S.DISPUTED
    with pytest.raises(TransitionRefused, match="2 écart"):
        check_transition("approve", S.IN_HAND, approver, "", 2)
    assert check_transition("approve", S.IN_HAND, approver, "", 2, "Reliquat livré demain").to == S.APPROVED
    with pytest.raises(TransitionRefused, match="pas le droit"):
        check_transition("approve", S.IN_HAND, {"pay_invoices"}, "", 0)
    with pytest.raises(TransitionRefused, match="Impossible"):
        check_transition("take", S.PAID, approver, "", 0)
    for status in (S.IN_HAND, S.APPROVED, S.PARTIALLY_PAID):
        with pytest.raises(TransitionRefused, match="paiements enregistrés"):
            check_transition("pay", status, {"pay_invoices"}, "", 0)


def test_ap_flow_1_statuses_carry_the_reform_codes():
    assert S.APPROVED.reform_code == "205" and S.REFUSED.reform_code == "210"
    assert S.DISPUTED.label == "En litige" and S.SUSPENDED.label == "Suspendue"


COFFEE = OrderedLine(id=7, position=1, description="Café en grains Moka 1 kg", quantity_milli=10000, unit_price=1850,
                     received_milli=10000)


def test_ap_match_1_price_5_4_percent_above_the_order_is_flagged_on_its_line_with_5_percent():
    invoiced = [InvoicedLine(1, "Café en grains Moka 1 kg", 10000, 1950, 19500)]

    found = match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 500, 100_000, "pct"))

    price = next(d for d in found if d.kind == "unit_price")
    assert (price.line, price.invoiced, price.expected, price.difference) == (1, 1950, 1850, 100)
    assert price.difference_bp == 541  # +5,4 %
    assert str(price.label) == "Prix unitaire ≠ prix commandé — Café en grains Moka 1 kg"
    assert match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 600, 0, "pct")) == []  # within 6 %


def test_ap_match_1_price_tolerance_in_amount_per_line():
    invoiced = [InvoicedLine(1, "Café en grains Moka 1 kg", 10000, 1950, 19500)]  # 10 × 1,00 € = 10,00 € more

    assert match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 0, 1000, "amount")) == []
    found = match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 10000, 999, "amount"))
    assert [d.kind for d in found] == ["unit_price", "total"]


def test_ap_match_1_price_tolerance_in_percent_and_amount():
    invoiced = [InvoicedLine(1, "Café en grains Moka 1 kg", 10000, 1950, 19500)]

    assert match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 600, 1000, "both")) == []
    assert [d.kind for d in match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 500, 1000, "both"))] == [
        "unit_price", "total"]  # the percentage is exceeded
    assert [d.kind for d in match_invoice(invoiced, [COFFEE], 19500, Tolerances(0, 600, 500, "both"))] == [
        "unit_price", "total"]  # the amount is exceeded


def test_ap_match_1_stored_tolerances_without_a_mode_read_as_percent():
    assert Tolerances.from_dict({"quantity_pct": 0, "price_pct": 200, "amount_abs": 100}).price_mode == "pct"
    assert Tolerances.from_dict({"price_mode": "nonsense", "extra": 1}) == Tolerances()


def test_ap_match_1_over_delivery_is_flagged():
    from portal.purchasing.reception import over_deliveries, reception_status

    ordered, received = {1: 5000, 2: 3000}, {1: 8000, 2: 3000}

    assert reception_status(ordered, received) == "OVER_RECEIVED"
    assert [(o.line_id, o.excess_milli) for o in over_deliveries(ordered, received)] == [(1, 3000)]
    assert reception_status(ordered, {1: 5000, 2: 3000}) == "RECEIVED"
    assert reception_status(ordered, {1: 4000}) == "PARTIALLY_RECEIVED"


def test_ap_match_1_delivery_note_is_frozen_once_an_invoice_is_matched_against_it():
    from portal.purchasing.reception import note_is_locked

    assert not note_is_locked([1], [])
    assert not note_is_locked([1], [("RECEIVED", {1}), ("DISPUTED", {1})])  # not decided yet
    assert note_is_locked([1], [("APPROVED", {1})])
    assert not note_is_locked([1], [("PAID", {2})])  # billed another line only
    assert note_is_locked([1], [("PAID", None)])  # no lines: matched on the totals of everything received


def test_ap_match_1_resolved_discrepancies():
    from portal.invoices.lifecycle import discrepancies_resolved

    assert not discrepancies_resolved(S.RECEIVED, "")
    assert discrepancies_resolved(S.RECEIVED, "Reliquat livré lundi")
    assert all(discrepancies_resolved(status, "") for status in (S.APPROVED, S.PAID, S.PARTIALLY_PAID, S.REFUSED))


def test_ap_inv_3_non_conforming_invoice_must_be_accepted_before_approval():
    approver = {"approve_invoices"}
    names = [a.name for a in available_actions(S.RECEIVED, approver, schema_pending=True)]
    assert "accept_schema" in names and "refuse" in names and "approve" not in names
    assert "accept_schema" not in [a.name for a in available_actions(S.RECEIVED, approver)]
    with pytest.raises(TransitionRefused, match="acceptez-la"):
        check_transition("approve", S.RECEIVED, approver, "", 0, schema_pending=True)
    assert check_transition("accept_schema", S.RECEIVED, approver, "", 0, schema_pending=True).keeps_status
    with pytest.raises(TransitionRefused, match="déjà été acceptée"):
        check_transition("accept_schema", S.RECEIVED, approver, "", 0, schema_pending=False)
    with pytest.raises(TransitionRefused, match="pas le droit"):
        check_transition("accept_schema", S.RECEIVED, {"manage_suppliers"}, "", 0, schema_pending=True)
