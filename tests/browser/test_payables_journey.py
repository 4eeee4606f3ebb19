"""Browser journey of a treasurer (AP-PAY-1): pay 20,00 € of a 100,00 € invoice from its page, see
the rest and the new status in place, get a field error on a bad amount, then pay the rest of it and
another invoice in a SEPA batch."""
import datetime

import pytest
from playwright.sync_api import expect

from models import Invoice, PaymentBatch
from portal.invoices.service import InvoiceData, apply_action, create_invoice
from portal.payables.service import CompanyDetails, save_company_details
from tests.factories import make_shop, make_supplier, make_user

pytestmark = pytest.mark.browser


def _approved(shop, supplier, number, total):
    invoice = create_invoice(InvoiceData(shop=shop, supplier=supplier, number=number, currency="EUR",
                                         issue_date=datetime.date.today(), total_net=total, total_vat=0,
                                         total_gross=total), None)
    apply_action(invoice.id, "approve", None, {"approve_invoices"})
    return Invoice.get_by_id(invoice.id)


def test_treasurer_pays_in_two_times_then_by_sepa_batch(app, page, output_dir):
    make_user("admin", is_admin=True)
    shop = make_shop("Épicerie du Port")
    make_user("tresorier", rights={shop: ["pay_invoices", "approve_invoices"]})
    save_company_details(CompanyDetails("Épicerie du Port SARL", "552100554", "FR7630004000031234567890143",
                                        "BNPAFRPPXXX"), None)
    invoice = _approved(shop, make_supplier(iban="FR7630006000011234567890189", bic="AGRIFRPPXXX"), "F-100", 10000)
    _approved(shop, make_supplier("Müller GmbH", iban="DE89370400440532013000", vat_number="", siren=""),
              "M-7", 4550)

    page.goto("/login")
    page.get_by_label("Identifiant").fill("tresorier")
    page.get_by_label("Mot de passe").fill("correct horse 42 battery")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"/factures/{invoice.id}")
    panel = page.locator("#inv-payments")
    expect(panel.get_by_label("Montant payé")).to_have_value("100,00")
    panel.get_by_label("Montant payé").fill("20,00")
    panel.get_by_role("button", name="Enregistrer un paiement").click()
    expect(panel.get_by_text("Paiement de 20,00")).to_be_visible()
    expect(page.locator("#inv-status")).to_contain_text("Payée partiellement")
    expect(panel.get_by_label("Montant payé")).to_have_value("80,00")
    page.screenshot(path=output_dir / "60-payables-partial.png", full_page=True)

    panel.get_by_label("Montant payé").fill("12,345")
    panel.get_by_role("button", name="Enregistrer un paiement").click()
    expect(panel.locator("#payment-amount-error")).to_contain_text("Trop de décimales")

    page.goto("/reglements/")
    page.get_by_label("Payer la facture n° F-100").check()
    page.get_by_label("Payer la facture n° M-7").check()
    page.screenshot(path=output_dir / "61-payables-to-pay.png", full_page=True)
    page.get_by_role("button", name="Créer le lot de virements SEPA").click()
    expect(page.get_by_role("link", name="Télécharger le fichier SEPA")).to_be_visible()
    expect(page.locator("#payables-batches")).to_contain_text("125,50")
    page.screenshot(path=output_dir / "62-payables-batch.png", full_page=True)
    batch = PaymentBatch.get()
    assert (batch.count, batch.total) == (2, 12550)
    assert Invoice.get_by_id(invoice.id).status == "PAID"
