"""Populated shops for the security tests: one object of every shop-scoped kind in a shop, and
the shared objects (suppliers, analytic axes, evaluation grids) that pages link to."""
import datetime

from models import BankAccount, SupplierContact, WalletCard
from portal.allocation.service import create_axis, create_value
from portal.evaluations.service import create_grid, evaluate_supplier, grid_criteria
from portal.invoices.service import InvoiceData, LineData, apply_action, create_invoice, store_upload
from portal.messages.queue import enqueue
from portal.payables.service import CompanyDetails, create_batch, save_company_details
from portal.purchasing.service import LineInput, create_request, record_delivery
from tests.factories import make_order, make_supplier, make_transaction

TODAY = datetime.date.today()


def make_shared_objects(user):
    """The company, a supplier with a contact and approved bank details, an axis with a value and an
    evaluated supplier; returns their ids by the name routes give them."""
    save_company_details(CompanyDetails("Comptoir Démo SARL", "552100554", "FR7630004000031234567890143",
                                        "BNPAFRPPXXX"), None)
    supplier = make_supplier(iban="FR7630006000011234567890189", bic="AGRIFRPPXXX")
    contact = SupplierContact.create(supplier=supplier, name="Claire Martin", email="claire@dupont.test")
    axis = create_axis("Centre de coût", user)
    value = create_value(axis, "Magasin", user)
    grid = create_grid("Grille annuelle", [("Qualité", 2), ("Délais", 1)], user)
    evaluation = evaluate_supplier(supplier, grid, {c.id: 8 for c in grid_criteria(grid)}, user)
    return {"supplier": supplier, "supplier_id": supplier.id, "contact_id": contact.id, "axis_id": axis.id,
            "value_id": value.id, "target_id": axis.id, "grid_id": grid.id, "evaluation_id": evaluation.id}


def make_shop_objects(shop, owner, supplier, payment_ctx, store, mark):
    """A payment, a purchase request and order, an approved invoice, a SEPA batch, a queued mail
    and an upload in `shop`, every text carrying `mark`; returns their ids by route parameter name."""
    txn = make_transaction(payment_ctx, shop, reference=f"{mark}REF1")
    purchase_request = create_request(shop, f"{mark} demande", [LineInput(f"{mark} ligne", 1000, 500, 2000)], owner)
    order = make_order(shop, supplier, description=f"{mark} papier")
    invoice = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=f"{mark}-FA-1", kind="INVOICE", issue_date=TODAY, currency="EUR",
        total_net=20000, total_vat=0, total_gross=20000, lines=[LineData(f"{mark} article", 1000, 20000, 0)]), owner)
    apply_action(invoice.id, "approve", owner, {"approve_invoices"})
    to_pay = create_invoice(InvoiceData(
        shop=shop, supplier=supplier, number=f"{mark}-FA-2", kind="INVOICE", issue_date=TODAY, currency="EUR",
        total_net=5000, total_vat=0, total_gross=5000), owner)
    apply_action(to_pay.id, "approve", owner, {"approve_invoices"})
    batch = create_batch(shop, [(to_pay.id, 5000)], TODAY, owner, store)
    mail = enqueue("fournisseur@example.com", f"{mark} sujet", f"{mark} corps", invoice=invoice)
    upload = store_upload(store, b"%PDF-1.4 " + mark.encode(), "application/pdf", f"{mark}.pdf", owner)
    # The cash-flow page's opening balance (AP-CASH-1), a delivery note to correct or delete (AP-MATCH-1),
    # a card in a customer wallet (PAY-WAL-1).
    account = BankAccount.create(shop=shop, label=f"{mark} compte", iban="FR7630006000011234567890189",
                                 opening_balance=424242, opening_date=TODAY)
    note = record_delivery(order, {order.lines.get().id: 1000}, owner, TODAY, f"{mark}BL")
    wallet = WalletCard.create(shop=shop, wallet_id=f"{mark}W1", mean_id=f"wm_{mark.lower()}1", card_token=txn.card_token,
                               last4="0900", network="CB", networks="CB,VISA", label=f"{mark} carte",
                               expiry_year=TODAY.year + 2, expiry_month=12)
    return {"wallet_id": wallet.wallet_id, "mean_id": wallet.mean_id, "note_id": note.id,
            "transaction_id": txn.id, "operation_id": txn.operations.get().id, "request_id": purchase_request.id,
            "order_id": order.id, "invoice_id": invoice.id, "batch_id": batch.id, "mail_id": mail.id,
            "upload_id": upload.id, "shop_id": shop.id, "user_id": owner.id, "bank_account_id": account.id,
            "payment_id": batch.payments.get().id}
