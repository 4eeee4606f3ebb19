"""Demo data (DEMO-1): three months of a small merchant's activity in a separate instance, for
trying the portal without typing anything. Everything goes through the same services as the
pages, so the demo shows what the product really does."""
import datetime
import secrets

from models import Shop, ShopRight, db
from portal.auth.rights import SHOP_RIGHTS

DEMO_USERNAME = "demo"
SHOPS = (("Épicerie du Port", "211000000000001"), ("Boutique des Halles", "211000000000002"))
# name, country, SIREN, VAT number, IBAN, BIC, what it sells: (description, unit price, VAT rate bp)
SUPPLIERS = (
    ("Fournitures Dupont", "FR", "732829320", "FR44732829320", "FR7630006000011234567890189", "AGRIFRPPXXX",
     ("Ramette papier A4", 1250, 2000)),
    ("Primeurs du Marché", "FR", "542065479", "FR82542065479", "FR7630004000031234567890143", "BNPAFRPPXXX",
     ("Cagette de pommes", 1890, 550)),
    ("Rösterei Schmidt GmbH", "DE", "", "DE136695976", "DE89370400440532013000", "COBADEFFXXX",
     ("Café en grains 1 kg", 2150, 550)),
    ("Emballages Martin", "FR", "383474814", "FR89383474814", "FR1420041010050500013M02606", "PSSTFRPPXXX",
     ("Sacs kraft (lot de 100)", 890, 2000)),
)
CENTRES = ("Magasin", "Livraison", "Administration")


def generate_password():
    """The demo login's password: generated and printed once, never a fixed one."""
    return f"demo-{secrets.token_urlsafe(10)}-{secrets.randbelow(900) + 100}"


def build_demo(store, *, today=None, password=None, payments=None):
    """Fill an empty database with the demo; returns (username, password). `payments(shops, user,
    start, today)`, given by the caller that owns the payment context, adds the card payments."""
    from portal.auth.passwords import create_user

    today = today or datetime.date.today()
    start = today - datetime.timedelta(days=90)
    password = password or generate_password()
    with db.atomic():
        user = create_user(DEMO_USERNAME, password, display_name="Démonstration", is_admin=True)
        colleague = create_user("compta-demo", generate_password(), display_name="Comptable (démo)")
        shops = [_shop(name, merchant_id, [user, colleague]) for name, merchant_id in SHOPS]
        _company(user)
    suppliers = _suppliers(user, colleague)
    centres = _analytic_axis(user)
    _purchases_and_invoices(shops, suppliers, centres, user, store, start, today)
    _evaluations(suppliers, user, today)
    if payments is not None:
        payments(shops, user, start, today)
    return user.username, password


def _shop(name, merchant_id, users):
    shop = Shop.create(name=name, merchant_id=merchant_id)
    for user in users:
        for right in SHOP_RIGHTS:
            ShopRight.create(user=user, shop=shop, right=right)
    return shop


def _company(user):
    from portal.company import CompanyIdentity, save_identity

    save_identity(CompanyIdentity(name="Comptoir Démo", legal_form="SAS", address="12 quai du Port",
                                  postcode="13002", city="Marseille", siren="552100554", siret="55210055400013",
                                  vat_number="FR96552100554", iban="FR7630004000031234567890143",
                                  bic="BNPAFRPPXXX"), user)


def _suppliers(user, colleague):
    """Suppliers whose bank details one user typed and another approved (AP-SUP-2)."""
    from models import BankDetailsChange, SupplierContact
    from portal.suppliers.service import approve_bank_change, create_supplier

    suppliers = []
    for name, country, siren, vat_number, iban, bic, product in SUPPLIERS:
        supplier = create_supplier({"name": name, "country": country, "siren": siren, "vat_number": vat_number},
                                   colleague, iban=iban, bic=bic)
        approve_bank_change(BankDetailsChange.get(BankDetailsChange.supplier == supplier), user)
        SupplierContact.create(supplier=supplier, name="Service comptabilité", role="Comptabilité",
                               email=f"compta@{name.split()[0].lower()}.example")
        suppliers.append((supplier, product))
    return suppliers


def _analytic_axis(user):
    from portal.allocation.service import create_axis, create_value

    axis = create_axis("Centre de coût", user)
    return [create_value(axis, name, user) for name in CENTRES]


def _purchases_and_invoices(shops, suppliers, centres, user, store, start, today):
    """Every fortnight and shop: a request, its order, a delivery, the supplier's invoice (one in
    three as a Factur-X e-invoice), approved, allocated, and paid when due."""
    from portal.purchasing.service import LineInput, create_order, create_request, record_delivery

    day, number = start, 0
    while day <= today - datetime.timedelta(days=5):
        for shop in shops:
            for supplier, (description, price, rate) in suppliers:
                number += 1
                quantity = 1000 * (4 + number % 9)
                lines = [LineInput(description, quantity, price, rate)]
                purchase_request = create_request(shop, f"Réassort {description.lower()}", lines, user,
                                                  supplier=supplier, today=day)
                order = create_order(shop, supplier, lines, user, request=purchase_request, today=day)
                line = order.lines.get()
                received_on = day + datetime.timedelta(days=2)
                # One delivery in seven is short: the three-way match flags its invoice.
                received = quantity - (1000 if number % 7 == 0 else 0)
                record_delivery(order, {line.id: received}, user, received_on, f"BL-{number:04d}")
                invoice = _invoice(shop, supplier, order, description, quantity, price, rate, number,
                                   received_on, store, user)
                _settle(invoice, centres, user, today, number)
        day += datetime.timedelta(days=14)


def _invoice(shop, supplier, order, description, quantity, price, rate, number, issued_on, store, user):
    from portal.invoices.service import InvoiceData, LineData, create_invoice
    from portal.purchasing.amounts import totals

    computed = totals([(quantity, price, rate)])
    reverse_charge = supplier.country != "FR"
    data = InvoiceData(
        shop=shop, supplier=supplier, number=f"F{issued_on:%y%m}-{number:04d}", kind="INVOICE",
        issue_date=issued_on, due_date=issued_on + datetime.timedelta(days=30), currency="EUR",
        total_net=computed.net, total_vat=0 if reverse_charge else computed.vat,
        total_gross=computed.net if reverse_charge else computed.gross, po_reference=order.number,
        lines=[LineData(description, quantity, price, 0 if reverse_charge else rate)],
        vat_breakdown=[("K", 0, computed.net, 0)] if reverse_charge
        else [("S", r, base, vat) for r, base, vat in computed.by_rate])
    if number % 3 == 0 and not reverse_charge:
        return _einvoice(data, store, user)
    return create_invoice(data, user)


def _einvoice(data, store, user):
    """The same invoice as a Factur-X PDF read back by the e-invoice reader, stored as received."""
    import facturx
    import weasyprint

    from portal.invoices.einvoice import read_einvoice
    from portal.invoices.intake import data_from_einvoice
    from portal.invoices.service import create_invoice, store_upload

    line = data.lines[0]
    net, vat, gross = (f"{amount / 100:.2f}" for amount in (data.total_net, data.total_vat, data.total_gross))
    rate = f"{line.vat_rate / 100:g}"
    xml = facturx.generate_xml({
        "BT-1": data.number, "BT-2": data.issue_date, "BT-3": "380", "BT-5": "EUR", "BT-9": data.due_date,
        "BT-72": data.issue_date,
        "BT-13": data.po_reference,
        "BG-4": {"name": data.supplier.name, "vat_identifier": data.supplier.vat_number,
                 "country_code": "FR", "city": "Marseille", "postcode": "13001", "addr_l1": "1 rue de la République"},
        "BG-7": {"name": "Comptoir Démo", "country_code": "FR"},
        "BG-25": [{"BT-126": "1", "BT-153": line.description, "BT-129": f"{line.quantity_milli / 1000:g}",
                   "BT-130": "C62", "BT-146": f"{line.unit_price / 100:.2f}", "BT-131": net, "BT-151": "S",
                   "BT-152": rate}],
        "BG-23": [{"BT-118": "S", "BT-119": rate, "BT-116": net, "BT-117": vat}],
        "BT-106": net, "BT-109": net, "BT-110": vat, "BT-112": gross, "BT-115": gross,
    }, flavor="factur-x", level="en16931", check_schematron=False)
    pdf = weasyprint.HTML(string=f"<h1>{data.supplier.name}</h1><p>Facture {data.number}</p>").write_pdf()
    content = facturx.generate_from_binary(pdf, xml)
    upload = store_upload(store, content, "application/pdf", f"{data.number}.pdf", user)
    einvoice = read_einvoice(content, f"{data.number}.pdf")
    return create_invoice(data_from_einvoice(einvoice, data.shop, data.supplier, data.po_reference,
                                             upload.document), user)


def _settle(invoice, centres, user, today, number):
    """Approve, allocate across the cost centres, and pay what is due (a deposit-like partial
    payment on some); recent invoices stay to pay, one in eleven stays waiting for approval."""
    from portal.allocation.service import AllocationInput, save_allocation
    from portal.invoices.service import apply_action
    from portal.payables.service import new_idempotency_key, record_payment

    if number % 11 == 0:
        return
    invoice = apply_action(invoice.id, "approve", user, {"approve_invoices"},
                           override_reason="Écart de quantité accepté (démo)")
    if invoice.status != "APPROVED":
        return
    first = invoice.total_net * 70 // 100
    save_allocation(invoice, [AllocationInput(centres[number % 3].id, amount=first),
                              AllocationInput(centres[(number + 1) % 3].id, amount=invoice.total_net - first)],
                    user, [centre.id for centre in centres])
    if invoice.due_date and invoice.due_date <= today:
        amount = invoice.total_gross if number % 5 else invoice.total_gross // 2
        record_payment(invoice, amount, invoice.due_date, "TRANSFER", user, new_idempotency_key(),
                       reference=f"VIR-{number:04d}")


def _evaluations(suppliers, user, today):
    from portal.evaluations.service import create_grid, evaluate_supplier, grid_criteria

    grid = create_grid("Évaluation trimestrielle", [("Qualité", 3), ("Délais", 2), ("Prix", 1)], user)
    criteria = grid_criteria(grid)
    for position, (supplier, _) in enumerate(suppliers):
        scores = {criterion.id: (9 - position * 2 + index) % 11 for index, criterion in enumerate(criteria)}
        evaluate_supplier(supplier, grid, scores, user, evaluated_on=today - datetime.timedelta(days=7))


# --- The command ----------------------------------------------------------------------------------------


def register_cli(app):
    import click

    @app.cli.command("demo")
    @click.option("--reset", is_flag=True, help="Efface la démo existante et la reconstruit.")
    @click.option("--serve/--no-serve", default=True, help="Lance le portail sur la démo (par défaut).")
    @click.option("--port", default=5001, show_default=True)
    def demo(reset, serve, port):
        """DEMO-1: a separate demo instance (INSTANCE_DIR/demo) with three months of activity."""
        import shutil
        from pathlib import Path

        from flask import current_app

        from portal import create_app
        from portal.database import apply_migrations
        from portal.documents import document_store

        demo_dir = Path(current_app.config["INSTANCE_DIR"]) / "demo"
        if reset and demo_dir.exists():
            shutil.rmtree(demo_dir)
        demo_app = create_app(None, INSTANCE_DIR=demo_dir, DATABASE_URL=f"sqlite:///{demo_dir / 'comptoir.db'}",
                              DOCUMENT_STORE="files", DOCUMENTS_DIR=None, PRINT_SETUP_TOKEN=False,
                              TOTP_ENFORCED=False)
        with demo_app.app_context():
            apply_migrations()
            with db.connection_context():
                from models import User

                if User.select().exists():
                    click.echo(f"La démo existe déjà dans {demo_dir} (--reset pour la reconstruire ; "
                               f"le mot de passe affiché à sa création reste valable).")
                else:
                    click.echo("Construction de la démo (trois mois d'activité)…")
                    username, password = build_demo(document_store(demo_app.config),
                                                    payments=_demo_payments(demo_app))
                    click.echo(f"\n  Démo prête dans {demo_dir}\n  Identifiant : {username}\n"
                               f"  Mot de passe : {password}\n")
        if serve:
            click.echo(f"Portail de démonstration : http://127.0.0.1:{port}/ (Ctrl+C pour l'arrêter)")
            # Not demo_app.run(): under the flask command it returns at once without serving.
            from werkzeug.serving import run_simple

            run_simple("127.0.0.1", port, demo_app, threaded=True)


def _demo_payments(app):
    """Card payments need the demo app's simulator; they are made day after day on a clock that
    walks the three months, with the nightly remittance run each evening."""
    return lambda shops, user, start, today: demo_payments(app, shops, user, start, today)


class _WalkingClock:
    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now


def demo_payments(app, shops, user, start, today):
    """A few card payments a day per shop on the simulator's test cards: accepted, refused by the
    issuer, in validation mode (validated, partly validated or cancelled), refunded, duplicated,
    refused at remittance, and unpaid after remittance."""
    from portal.money import format_money
    from portal.payments.acquirer import simulator_card
    from portal.payments.cards import Expiry, detect_networks, mask
    from portal.payments.lifecycle import OperationKind as Kind
    from portal.payments.remittance import remit
    from portal.payments.service import (DuplicateFields, NewPayment, PaymentContext, create_payment,
                                         new_idempotency_key, perform_operation)

    clock = _WalkingClock()
    ctx = PaymentContext(acquirer=app.extensions["comptoir.acquirer"], gateways=app.extensions.get("comptoir.gateways"),
                         timezone=app.config["BABEL_DEFAULT_TIMEZONE"], clock=clock,
                         format_amount=lambda minor, currency: format_money(minor, currency, locale="fr"))
    rights = set(SHOP_RIGHTS)
    cards = [simulator_card("430000"), simulator_card("520000"), simulator_card("410000"),
             simulator_card("430000", response_code="05"), simulator_card("430000", response_code="51"),
             simulator_card("520000", scenario="22"), simulator_card("520000", scenario="11"),
             simulator_card("340000")]
    day, number = start, 0
    while day <= today:
        clock.now = datetime.datetime.combine(day, datetime.time(9, 30))
        for shop in shops:
            for slot in range(2):
                number += 1
                card = cards[number % len(cards)]
                networks = detect_networks(card)
                validation = number % 6 == 0
                amount = 1500 + (number * 739) % 18000
                txn = create_payment(ctx, NewPayment(
                    shop=shop, reference=f"D{day:%y%m%d}{shop.id}{slot}", amount=amount, currency="EUR",
                    capture_mode="VALIDATION" if validation else "AUTO", capture_delay=3 if validation else 0,
                    network=networks[0], networks=networks, masked_pan=mask(card),
                    expiry=Expiry(today.year + 2, 12), card_number=card, cvv="1234" if "AMEX" in networks else "123",
                    order_reference=f"CMD-{number:05d}", customer_code=f"C{number % 40:03d}"),
                    user, new_idempotency_key())
                clock.now += datetime.timedelta(minutes=20)
                _operate(ctx, txn, number, validation, amount, user, rights, perform_operation, Kind,
                         DuplicateFields, new_idempotency_key)
        clock.now = datetime.datetime.combine(day, datetime.time(21, 0))
        remit(ctx, day)
        _refund_one_of_last_week(ctx, day, user, rights, perform_operation, Kind, new_idempotency_key)
        day += datetime.timedelta(days=1)


def _refund_one_of_last_week(ctx, day, user, rights, perform_operation, Kind, key):
    """A customer brings something back: a third of a payment of a week ago is refunded."""
    from models import Transaction

    week_ago = datetime.datetime.combine(day - datetime.timedelta(days=7), datetime.time(0))
    txn = (Transaction.select().where(Transaction.created_at.between(week_ago, week_ago + datetime.timedelta(days=1)))
           .order_by(Transaction.id).first())
    if txn is not None and day.day % 2 == 0:
        perform_operation(ctx, txn.id, Kind.CREDIT, txn.amount // 3, user, rights, key())


def _operate(ctx, txn, number, validation, amount, user, rights, perform_operation, Kind, DuplicateFields, key):
    """Some of the day's payments are operated on right away, as a shop would."""
    if validation and number % 12 == 0:
        perform_operation(ctx, txn.id, Kind.VALIDATE, amount // 2, user, rights, key())
    elif validation and number % 18 == 0:
        perform_operation(ctx, txn.id, Kind.CANCEL, amount, user, rights, key())
    elif validation:
        perform_operation(ctx, txn.id, Kind.VALIDATE, amount, user, rights, key())
    elif number % 10 == 0:
        perform_operation(ctx, txn.id, Kind.CANCEL, amount, user, rights, key())
    elif number % 23 == 0:
        perform_operation(ctx, txn.id, Kind.DUPLICATE, amount, user, rights, key(),
                          duplicate=DuplicateFields(f"{txn.reference}B", "AUTO", 0))
