"""Reverse charge (ACC-1, ACC-5): detected from the supplier's country and VAT number, the nature of the
purchase and the category AE; VAT due and deductible at the French rate of each line, exact integers."""
import datetime

import pytest

from portal.accounting.vat import (EU_COUNTRIES, SERVICES, VAT_CHARGED, VAT_NUMBER_MISSING, VatRegime,
                                   invoice_vat_treatment, line_rates, nature_of, regime_for, self_assessed_vat,
                                   vat_treatment)
from portal.suppliers.identifiers import check_vat_number

GERMAN_VAT = "DE136695976"


def test_acc_1_german_vat_number_passes_its_checksum():
    assert check_vat_number(GERMAN_VAT, "DE") == GERMAN_VAT


def test_acc_1_german_supplier_is_reverse_charged_at_the_french_rate_of_each_line():
    # 1 000,00 € of goods invoiced at 0 % (no French rate on the line: 20 %), 200,00 € of books at 5,5 %.
    treatment = vat_treatment("DE", GERMAN_VAT, [(100000, 0), (20000, 550)], invoice_vat=0)
    assert treatment.regime == VatRegime.REVERSE_CHARGE and treatment.reverse_charge
    assert treatment.by_rate == ((2000, 100000, 20000), (550, 20000, 1100))
    assert treatment.vat_due == treatment.vat_deductible == 21100  # 4452 credit = 445662 debit
    assert isinstance(treatment.vat_due, int)
    assert treatment.account_roles == ("vat_intracom_due", "vat_intracom_deductible") and treatment.warnings == ()


def test_acc_1_seed_example_1000_euros_from_germany_gives_200_euros_due_and_deductible():
    treatment = vat_treatment("DE", GERMAN_VAT, [(100000, 0)], invoice_vat=0)
    assert (treatment.vat_due, treatment.vat_deductible) == (20000, 20000)


def test_acc_1_self_assessed_vat_rounds_half_up_once_per_rate_on_the_sum_of_bases():
    # 3,33 € + 3,33 € at 20 %: 1,332 € on the sum -> 1,33 € (not 0,67 € + 0,67 €); 0,25 € at 10 % -> 0,025 -> 0,03 €.
    assert self_assessed_vat([(333, 2000), (333, 0)]) == ((2000, 666, 133),)
    assert self_assessed_vat([(25, 1000)]) == ((1000, 25, 3),)
    assert self_assessed_vat([(10000, 0)], default_rate=1000) == ((1000, 10000, 1000),)


def test_acc_1_vat_charged_by_a_reverse_charged_supplier_is_flagged_not_deducted():
    treatment = vat_treatment("DE", GERMAN_VAT, [(10000, 1900)], invoice_vat=1900)
    assert treatment.reverse_charge and treatment.non_deductible_vat == 1900
    assert treatment.warnings == (VAT_CHARGED,)


def test_acc_1_french_supplier_has_no_reverse_charge_its_vat_is_deductible():
    treatment = vat_treatment("FR", "FR44732829320", [(12500, 2000)], invoice_vat=2500)
    assert treatment.regime == VatRegime.DOMESTIC and not treatment.reverse_charge
    assert (treatment.vat_due, treatment.vat_deductible, treatment.by_rate) == (0, 2500, ())


@pytest.mark.parametrize("country", ["US", "CH", "GB", "CN"])
def test_acc_5_non_eu_goods_are_an_import_with_self_assessed_vat_at_each_line_rate(country):
    treatment = vat_treatment(country, "", [(100000, 0), (20000, 550)], invoice_vat=0)
    assert treatment.regime == VatRegime.IMPORT and treatment.reverse_charge
    assert treatment.by_rate == ((2000, 100000, 20000), (550, 20000, 1100))
    assert treatment.account_roles == ("vat_import_due", "vat_import_deductible")


def test_acc_5_services_from_abroad_and_domestic_subcontracting_have_their_own_accounts():
    assert vat_treatment("DE", GERMAN_VAT, [(1000, 1000)], 0, nature=SERVICES).regime == VatRegime.EU_SERVICES
    assert vat_treatment("CH", "", [(1000, 1000)], 0, nature=SERVICES).account_roles == (
        "vat_services_due", "vat_services_deductible")
    domestic = vat_treatment("FR", "", [(100000, 2000)], 0, domestic_reverse_charge=True)
    assert domestic.regime == VatRegime.DOMESTIC_REVERSE_CHARGE and domestic.vat_due == 20000
    assert domestic.account_roles == ("vat_domestic_due", "vat_domestic_deductible")
    settled = vat_treatment("US", "", [(1000, 2000)], 0, self_assess=False)
    assert settled.regime == VatRegime.NOT_SELF_ASSESSED and not settled.reverse_charge


def test_acc_5_nature_from_the_expense_account_unless_chosen():
    assert [nature_of(account) for account in ("607", "601", "606", "6064", "604", "611", "6226", "627")] == [
        "GOODS", "GOODS", "GOODS", "GOODS", "SERVICES", "SERVICES", "SERVICES", "SERVICES"]
    assert nature_of("607", "SERVICES") == "SERVICES" and nature_of("6226", "GOODS") == "GOODS"


def test_acc_5_french_rate_of_a_line_chosen_else_its_own_else_its_order_lines():
    lines = [(1, 30000, 0, 0), (2, 10000, 550, 2000), (3, 5000, 0, 1000), (4, 2000, 0, None)]
    assert line_rates(lines) == [(30000, 0), (10000, 550), (5000, 1000), (2000, 0)]
    assert line_rates(lines, {1: 550, 2: 2000}) == [(30000, 550), (10000, 2000), (5000, 1000), (2000, 0)]
    # The épicerie's coffee (issue 12): 300 € at 5,5 % is 16,50 € of VAT, not 60 €.
    assert self_assessed_vat(line_rates([(1, 30000, 0, 0)], {1: 550})) == ((550, 30000, 1650),)


@pytest.mark.parametrize("vat_number", ["", "DE136695975", "BE0403170701"])
def test_acc_1_eu_supplier_without_a_valid_number_of_its_country_is_not_reverse_charged(vat_number):
    treatment = vat_treatment("DE", vat_number, [(100000, 0)], invoice_vat=0)
    assert treatment.regime == VatRegime.EU_WITHOUT_VAT_NUMBER and treatment.vat_due == 0
    assert treatment.warnings == (VAT_NUMBER_MISSING,)


def test_acc_1_member_states_other_than_france_greece_with_its_el_prefix():
    assert {"DE", "BE", "IT", "GR", "AT"} <= EU_COUNTRIES and "GB" not in EU_COUNTRIES and "CH" not in EU_COUNTRIES
    assert regime_for("GR", "EL094259216") == VatRegime.REVERSE_CHARGE
    assert regime_for("AT", "ATU13585627") == VatRegime.REVERSE_CHARGE
    assert regime_for("FR", "FR44732829320") == regime_for("MC", "") == VatRegime.DOMESTIC


def test_acc_1_invoice_treatment_reads_lines_else_breakdown_else_total(app, shop):
    from models import InvoiceLine
    from portal.invoices.service import InvoiceData, LineData, create_invoice
    from tests.factories import make_supplier

    supplier = make_supplier("Büro Schmidt GmbH", country="DE", vat_number=GERMAN_VAT, siren="")
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number="DE-1", issue_date=datetime.date(2025, 4, 2), currency="EUR",
        total_net=120000, total_vat=0, total_gross=120000,
        lines=[LineData("Machine", 1000, 100000, 0), LineData("Livres", 2000, 10000, 550)],
        vat_breakdown=[("K", 0, 120000, 0)]), None)
    assert invoice_vat_treatment(invoice).vat_due == 21100
    InvoiceLine.delete().where(InvoiceLine.invoice == invoice).execute()  # no lines: the breakdown (0 % -> 20 %)
    assert invoice_vat_treatment(invoice).vat_due == 24000
    assert invoice_vat_treatment(invoice, default_rate=1000).vat_due == 12000
