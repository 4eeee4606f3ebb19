"""DOC-2 / PAY-RCPT-1: documents a French merchant can hand over — receipts per operation and the
purchase order carry the legal mentions, print the card as its last four digits, state each
operation's amount and the balance it leaves; a long order keeps lines whole and totals once.
Checked on the PDF's text with pdftotext, as a reader would see it."""
import re
import subprocess

import pytest

from models import Operation, Receipt, User
from portal.company import CompanyIdentity, missing_mentions, save_identity
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.receipts import has_receipt, last4, receipt_figures
from portal.payments.remittance import remit
from portal.payments.service import new_idempotency_key, perform_operation
from tests.factories import make_order, make_supplier, make_transaction

ALL_RIGHTS = ["view", "create_payment", "validate", "cancel", "refund", "duplicate"]
IDENTITY = CompanyIdentity(name="Comptoir Démo", legal_form="SAS", address="12 rue des Halles", postcode="75001",
                           city="Paris", siren="552100554", siret="55210055400013", vat_number="FR96552100554",
                           iban="FR7630004000031234567890143", bic="BNPAFRPPXXX")
# A card number in any form a document could print it: 16 digits, grouped by four, or BIN + last 4.
SIXTEEN_DIGITS = re.compile(r"(?<!\d)(?:\d{16}|\d{4}(?:[ -]\d{4}){3}|\d{6}\W{2,6}\d{4})(?!\d)")


@pytest.fixture
def merchant(login_as, shop, clock):
    return login_as("marchand", rights=ALL_RIGHTS, shop=shop)


@pytest.fixture
def identity(app):
    save_identity(IDENTITY, None)
    return IDENTITY


def pdf_text(data, tmp_path, name="doc.pdf", layout=True):
    path = tmp_path / name
    path.write_bytes(data)
    args = ["pdftotext"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_pages(data, tmp_path, name="doc.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _operate(ctx, txn, kind, amount, user):
    outcome = perform_operation(ctx, txn.id, kind, amount, user, set(ALL_RIGHTS), new_idempotency_key())
    assert outcome.succeeded, outcome.message
    return outcome


def _receipt(client, txn, op, layout="a4"):
    response = client.get(f"/transactions/{txn.id}/recus/{op.id}/{layout}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF"), response.status_code
    return response.data


def _flat(text):
    """pdftotext text with its layout spaces (and the narrow no-break spaces of amounts) folded."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


# --- Pure rules -------------------------------------------------------------------------------


def test_doc_2_card_printed_as_last_four_digits_only():
    assert last4("430000######0900") == "•••• 0900"
    assert last4("4300000000000900") == "•••• 0900"
    assert last4("") == "••••"


def test_doc_2_missing_mentions_named():
    assert missing_mentions(IDENTITY) == []
    assert missing_mentions(CompanyIdentity()) == ["name", "address", "siret", "vat_number"]
    assert missing_mentions(CompanyIdentity(name="X", address="1 rue", postcode="75001")) == ["address", "siret",
                                                                                               "vat_number"]


# --- Receipts ---------------------------------------------------------------------------------


def test_doc_2_payment_receipt_has_legal_mentions_and_last_four(client, merchant, shop, payment_ctx, identity, tmp_path):
    txn = make_transaction(payment_ctx, shop, 12000)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    for layout in ("a4", "ticket"):
        text = _flat(pdf_text(_receipt(client, txn, author, layout), tmp_path, f"{layout}.pdf"))
        for mention in ("Comptoir Démo", "SAS", "12 rue des Halles", "75001 Paris", "SIRET 552 100 554 00013",
                        "FR96552100554", shop.name, shop.merchant_id):
            assert mention in text, (layout, mention)
        assert "•••• 0900" in text and "430000" not in text, layout
        assert not SIXTEEN_DIGITS.search(text), layout
        assert "Le compte du porteur sera débité de 120,00 €" in text, layout
        assert "à renseigner" not in text


def test_doc_2_validation_receipt_says_what_is_debited_and_what_is_cancelled(client, merchant, shop, payment_ctx,
                                                                             identity, tmp_path):
    """The issue's case: a 120 € payment of which 60 € validated."""
    txn = make_transaction(payment_ctx, shop, 12000, capture_mode="VALIDATION", capture_delay=3)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    payment = _flat(pdf_text(_receipt(client, txn, author), tmp_path, "payment.pdf"))
    assert "Montant autorisé 120,00 €" in payment
    assert "débité du montant que le commerçant validera, au plus 120,00 €" in payment
    assert "sera débité de 120,00 €" not in payment

    _operate(payment_ctx, txn, Kind.VALIDATE, 6000, merchant)
    validate = Operation.get(Operation.kind == Kind.VALIDATE)
    text = _flat(pdf_text(_receipt(client, txn, validate), tmp_path, "validate.pdf"))
    assert "Reçu de validation" in text
    assert "Montant validé, qui sera débité 60,00 €" in text and "Solde annulé, non débité 60,00 €" in text
    assert "sera débité de 60,00 € ; le reste de l'autorisation, 60,00 €, est annulé" in text
    assert "120,00 € du" not in text and "débité de 120,00 €" not in text
    # The automatic rest has no receipt of its own: the validation's tells it.
    rest = Operation.get(Operation.kind == Kind.CANCEL)
    assert not has_receipt(rest)
    assert client.get(f"/transactions/{txn.id}/recus/{rest.id}/a4.pdf").status_code == 404
    # The payment's receipt, issued before, is unchanged.
    assert _receipt(client, txn, author) == _receipt(client, txn, author)


def test_doc_2_cancellation_receipts_show_the_rest_to_debit(client, merchant, shop, payment_ctx, identity, tmp_path):
    txn = make_transaction(payment_ctx, shop, 12000, capture_delay=3)
    _operate(payment_ctx, txn, Kind.CANCEL, 2000, merchant)
    _operate(payment_ctx, txn, Kind.CANCEL, 10000, merchant)
    first, second = Operation.select().where(Operation.kind == Kind.CANCEL).order_by(Operation.id)
    text = _flat(pdf_text(_receipt(client, txn, first), tmp_path, "c1.pdf"))
    assert "Reçu d'annulation" in text and "20,00 €" in text
    assert "Reste à débiter 100,00 €" in text and "débité de 100,00 € au lieu de 120,00 €" in text
    text = _flat(pdf_text(_receipt(client, txn, second, "ticket"), tmp_path, "c2.pdf"))
    assert "Ticket d'annulation" in text and "Total annulé 120,00 €" in text and "Reste à débiter 0,00 €" in text
    assert "entièrement annulée : rien ne sera débité" in text


def test_doc_2_refund_receipts_show_what_remains_refundable_and_the_real_bank_day(client, merchant, shop, payment_ctx,
                                                                                  clock, identity, tmp_path):
    txn = make_transaction(payment_ctx, shop, 12000)
    remit(payment_ctx, clock.now.date())  # today's run has gone: a refund now leaves with tomorrow's
    clock.advance(hours=2)
    _operate(payment_ctx, txn, Kind.CREDIT, 3000, merchant)
    first = Operation.get(Operation.kind == Kind.CREDIT)
    text = _flat(pdf_text(_receipt(client, txn, first), tmp_path, "r1.pdf"))
    assert "Reçu de remboursement" in text and "CRÉDIT" in text
    assert "Total remboursé 30,00 €" in text and "Reste remboursable 90,00 €" in text
    assert "crédité de 30,00 €" in text
    assert "avec la remise du 11/03/2026" in text and "ce soir" not in text

    clock.advance(days=1)  # before the 11th's run: the second refund leaves with it
    _operate(payment_ctx, txn, Kind.CREDIT, 9000, merchant)
    second = Operation.select().where(Operation.kind == Kind.CREDIT).order_by(Operation.id.desc()).get()
    text = _flat(pdf_text(_receipt(client, txn, second), tmp_path, "r2.pdf"))
    assert "Total remboursé 120,00 €" in text and "Reste remboursable 0,00 €" in text
    assert "avec la remise du 11/03/2026" in text


def test_doc_2_duplicate_receipt_names_the_new_transaction(client, merchant, shop, payment_ctx, identity, tmp_path):
    from portal.payments.service import DuplicateFields

    txn = make_transaction(payment_ctx, shop, 12000)
    fields = DuplicateFields(reference="DUPREF1", capture_mode="AUTO", capture_delay=0)
    outcome = perform_operation(payment_ctx, txn.id, Kind.DUPLICATE, 5000, merchant, set(ALL_RIGHTS),
                                new_idempotency_key(), duplicate=fields)
    assert outcome.succeeded, outcome.message
    duplicate = Operation.get(Operation.kind == Kind.DUPLICATE)
    assert has_receipt(duplicate)
    text = _flat(pdf_text(_receipt(client, txn, duplicate), tmp_path, "dup.pdf"))
    assert "Reçu de duplication" in text and "DUPREF1" in text and "Montant qui sera débité 50,00 €" in text


def test_doc_2_receipt_list_offers_each_operation(client, merchant, shop, payment_ctx, clock, identity):
    txn = make_transaction(payment_ctx, shop, 12000, capture_mode="VALIDATION", capture_delay=3)
    _operate(payment_ctx, txn, Kind.VALIDATE, 6000, merchant)
    remit(payment_ctx, clock.now.date())
    clock.advance(hours=1)
    _operate(payment_ctx, txn, Kind.CREDIT, 1000, merchant)
    page = client.get(f"/transactions/{txn.id}").get_data(as_text=True)
    receipts = page.split('id="txn-receipts"', 1)[1].split("</section>", 1)[0]
    for op in Operation.select().where(Operation.kind.in_([Kind.AUTHOR, Kind.VALIDATE, Kind.CREDIT])):
        assert f"/recus/{op.id}/a4.pdf" in receipts and f"/recus/{op.id}/ticket.pdf" in receipts
    assert "Paiement" in receipts and "Validation" in receipts and "Remboursement" in receipts
    rest = Operation.get(Operation.kind == Kind.CANCEL)
    assert f"/recus/{rest.id}/" not in receipts


def test_doc_2_receipt_without_company_identity_says_what_is_missing(client, merchant, shop, payment_ctx, tmp_path):
    txn = make_transaction(payment_ctx, shop, 12000)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    text = _flat(pdf_text(_receipt(client, txn, author), tmp_path))
    assert "Mentions légales incomplètes" in text
    assert "raison sociale, adresse du siège, SIRET, numéro de TVA intracommunautaire" in text
    assert shop.name in text and "•••• 0900" in text


def test_doc_2_stored_receipt_is_immutable_after_identity_changes(client, merchant, shop, payment_ctx, identity):
    txn = make_transaction(payment_ctx, shop, 12000)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    first = _receipt(client, txn, author)
    save_identity(CompanyIdentity(name="Autre nom"), None)
    assert _receipt(client, txn, author) == first
    assert Receipt.select().count() == 1


def test_loc_3_receipt_in_english_for_an_english_user(client, merchant, shop, payment_ctx, identity, tmp_path):
    txn = make_transaction(payment_ctx, shop, 12000)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    french = _receipt(client, txn, author)
    User.update(language="en").where(User.id == merchant.id).execute()
    english = _receipt(client, txn, author)
    text = _flat(pdf_text(english, tmp_path, "en.pdf"))
    assert "Payment receipt" in text and "Amount to be debited €120.00" in text and "VAT number" in text
    assert "Reçu" not in text and "Montant" not in text
    assert _receipt(client, txn, author) == english and english != french
    User.update(language="fr").where(User.id == merchant.id).execute()
    assert _receipt(client, txn, author) == french
    assert sorted(r.layout for r in Receipt.select()) == ["a4", "a4-en"]


def test_doc_2_receipt_figures_follow_the_operations_not_later_ones():
    class Op:
        def __init__(self, id, kind, amount, succeeded=True, reason=""):
            self.id, self.kind, self.amount, self.succeeded, self.reason = id, kind, amount, succeeded, reason

    ops = [Op(1, Kind.AUTHOR, 12000), Op(2, Kind.VALIDATE, 6000),
           Op(3, Kind.CANCEL, 6000, reason="Solde annulé automatiquement par la validation partielle"),
           Op(4, Kind.CAPTURE, 6000), Op(5, Kind.CREDIT, 1000), Op(6, Kind.CREDIT, 999, succeeded=False),
           Op(7, Kind.CREDIT, 2000)]
    assert receipt_figures(ops, ops[0], 12000, "VALIDATION").awaiting_validation
    validated = receipt_figures(ops, ops[1], 12000, "VALIDATION")
    assert (validated.amount, validated.rest_cancelled, validated.to_debit) == (6000, 6000, 6000)
    refund = receipt_figures(ops, ops[4], 12000)
    assert (refund.refunded, refund.refundable) == (1000, 5000)
    refund = receipt_figures(ops, ops[6], 12000)
    assert (refund.refunded, refund.refundable) == (3000, 3000)


# --- Purchase orders ----------------------------------------------------------------------------


def _page_texts(data, tmp_path, name="order.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    count = pdf_pages(data, tmp_path, name)
    return [_flat(subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                                 capture_output=True, text=True, check=True).stdout) for n in range(1, count + 1)]


def test_doc_2_purchase_order_carries_buyer_delivery_and_supplier_identity(client, login_as, shop, identity, tmp_path):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop)
    supplier = make_supplier(address="3 quai des Fournitures", postal_code="69002", city="Lyon", siret="73282932000074")
    order = make_order(shop, supplier, lines=((10000, 1250, 2000), (3000, 990, 550)))
    response = client.get(f"/achats/commandes/{order.id}.pdf")
    assert response.status_code == 200
    text = _flat(pdf_text(response.data, tmp_path))
    for mention in ("Acheteur", "Comptoir Démo", "SAS", "12 rue des Halles", "75001 Paris", "SIRET 552 100 554 00013",
                    "FR96552100554", "Adresse de livraison", shop.name, "Fournisseur", "Fournitures Dupont",
                    "3 quai des Fournitures", "69002 Lyon", "73282932000074", "FR44732829320", order.number):
        assert mention in text, mention
    assert shop.merchant_id not in text, "the card merchant id is no identity for a supplier"
    assert not SIXTEEN_DIGITS.search(text)
    assert "Page 1 / 1" in text and text.count("Total TTC") == 1
    assert "à renseigner" not in text


def test_doc_2_long_purchase_order_keeps_lines_whole_and_totals_once_on_the_last_page(client, login_as, shop, identity,
                                                                                     tmp_path):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop)
    words = "cartouche d'encre compatible, conditionnement par carton de douze, livraison en une fois"
    lines = [(1000 * (1 + i % 4), 1250 + i, 2000 if i % 3 else 550) for i in range(45)]
    order = make_order(shop, make_supplier(), lines=lines, description="Article")
    from models import PurchaseLine

    for line in order.lines:  # long, wrapping descriptions with a marker at each end
        PurchaseLine.update(description=f"DEBUT{line.position:02d} {words} {words} FIN{line.position:02d}").where(
            PurchaseLine.id == line.id).execute()
    data = client.get(f"/achats/commandes/{order.id}.pdf").data
    (tmp_path / "long.pdf").write_bytes(data)
    pages = _page_texts(data, tmp_path, "long.pdf")
    total = len(pages)
    assert total >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} / {total}" in text, number
        assert "Désignation" in text and "Prix unitaire HT" in text, f"header row repeated on page {number}"
        for position in range(1, 46):
            starts, ends = f"DEBUT{position:02d}" in text, f"FIN{position:02d}" in text
            assert starts == ends, f"line {position} split across pages at page {number}"
        assert ("Total TTC" in text) == (number == total), f"totals on page {number}"
        assert text.count("Total TTC") <= 1 and text.count("Total HT") <= 1
    assert all(any(f"DEBUT{p:02d}" in text for text in pages) for p in range(1, 46))


def test_doc_2_purchase_order_without_identity_says_what_is_missing(client, login_as, shop, tmp_path):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop)
    order = make_order(shop, make_supplier())
    text = _flat(pdf_text(client.get(f"/achats/commandes/{order.id}.pdf").data, tmp_path, layout=False))
    assert "Mentions légales incomplètes" in text and "Raison sociale à renseigner" in text and order.number in text


def test_loc_3_purchase_order_in_english(client, login_as, shop, identity, tmp_path):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop, language="en")
    order = make_order(shop, make_supplier())
    text = _flat(pdf_text(client.get(f"/achats/commandes/{order.id}.pdf").data, tmp_path))
    for english in ("Purchase order", "Buyer", "Delivery address", "Supplier", "Unit price excl. VAT", "Total incl. VAT",
                    "Page 1 / 1"):
        assert english in text, english
    for french in ("Bon de commande", "Désignation", "Fournisseur", "Montant", "Acheteur"):
        assert french not in text, french


# --- Shop address (issue 11): receipts print the shop's, purchase orders are delivered there -----


def _with_address(shop, address="8 avenue du Port\nBâtiment B", postal_code="13002", city="Marseille"):
    from models import Shop

    Shop.update(address=address, postal_code=postal_code, city=city).where(Shop.id == shop.id).execute()
    return Shop.get_by_id(shop.id)


def test_doc_2_shop_address_lines_and_delivery_fallback():
    from models import Shop
    from portal.company import delivery_address_lines, shop_address_lines

    shop = Shop(name="Halles", address="8 avenue du Port\n\nBâtiment B ", postal_code="13002", city="Marseille")
    assert shop_address_lines(shop) == ["8 avenue du Port", "Bâtiment B", "13002 Marseille"]
    assert delivery_address_lines(shop, IDENTITY) == ["8 avenue du Port", "Bâtiment B", "13002 Marseille"]
    bare = Shop(name="Sans adresse")
    assert shop_address_lines(bare) == []
    assert delivery_address_lines(bare, IDENTITY) == ["12 rue des Halles", "75001 Paris"]


def test_doc_2_receipt_prints_the_shop_name_and_address(client, merchant, shop, payment_ctx, identity, tmp_path):
    _with_address(shop)
    txn = make_transaction(payment_ctx, shop, 4500)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    for layout in ("a4", "ticket"):
        text = _flat(pdf_text(_receipt(client, txn, author, layout), tmp_path, f"shop-{layout}.pdf", layout=False))
        for mention in (shop.name, "8 avenue du Port", "Bâtiment B", "13002 Marseille",  # the shop
                        "Comptoir Démo", "12 rue des Halles", "75001 Paris", "SIRET 552 100 554 00013"):  # head office
            assert mention in text, (layout, mention)
        assert not SIXTEEN_DIGITS.search(text), layout


def test_doc_2_receipt_of_a_shop_without_address_prints_the_head_office_only(client, merchant, shop, payment_ctx,
                                                                            identity, tmp_path):
    txn = make_transaction(payment_ctx, shop, 4500)
    author = Operation.get(Operation.kind == Kind.AUTHOR)
    text = _flat(pdf_text(_receipt(client, txn, author), tmp_path, "bare.pdf", layout=False))
    assert shop.name in text and text.count("12 rue des Halles") == 1 and "Marseille" not in text


def test_doc_2_purchase_order_delivered_to_the_shop_address_when_filled(client, login_as, shop, identity, tmp_path):
    login_as("acheteur", rights=["manage_suppliers"], shop=shop)
    order = make_order(shop, make_supplier())
    head_office = _flat(pdf_text(client.get(f"/achats/commandes/{order.id}.pdf").data, tmp_path, "po1.pdf",
                                 layout=False))
    # Without a shop address, the head office is both the buyer and the delivery address.
    assert head_office.count("12 rue des Halles") == 2 and "Marseille" not in head_office
    _with_address(shop)
    text = _flat(pdf_text(client.get(f"/achats/commandes/{order.id}.pdf").data, tmp_path, "po2.pdf", layout=False))
    delivery = text[text.index("Adresse de livraison"):]
    assert "8 avenue du Port" in delivery and "13002 Marseille" in delivery
    assert text.count("12 rue des Halles") == 1, "the head office stays the buyer's address, not the delivery's"


def test_doc_2_shop_address_edited_on_the_shop_page(client, admin, shop):
    client.login("admin")
    page = client.get(f"/admin/shops/{shop.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="address"' in html and 'name="postal_code"' in html and 'name="city"' in html
    form = {"name": shop.name, "merchant_id": shop.merchant_id, "establishment": "0", "currency": "EUR",
            "address": "8 avenue du Port", "postal_code": "13002", "city": "Marseille", "default_capture_mode": "AUTO",
            "default_capture_delay": "0", "default_network": "CB", "gateway": "SIMULATOR", "gateway_key_version": "1"}
    response = client.post(f"/admin/shops/{shop.id}", data=form)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    from models import Shop

    saved = Shop.get_by_id(shop.id)
    assert (saved.address, saved.postal_code, saved.city) == ("8 avenue du Port", "13002", "Marseille")
    too_long = client.post(f"/admin/shops/{shop.id}", data={**form, "postal_code": "1" * 17})
    assert too_long.status_code == 422 and "16 caractères au plus" in too_long.get_data(as_text=True)


def test_loc_3_shop_address_fields_in_english(client, login_as, shop):
    login_as("boss", is_admin=True, language="en")
    html = client.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "Shop address" in html and "Postcode" in html and "Adresse de la boutique" not in html
