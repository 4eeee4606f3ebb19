"""Supplier invoices (issue 4): suppliers and contacts, bank-detail changes, purchase requests
and orders with their lines, delivery notes, invoices with lines, VAT breakdown, request shares
and history, and merchant settings. Frozen copies of the models."""
import datetime

from peewee import *


def _models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        class Meta:
            table_name = "portal_user"

    class Shop(Base):
        class Meta:
            table_name = "shop"

    class StoredDocument(Base):
        class Meta:
            table_name = "stored_document"

    class Supplier(Base):
        name = CharField(max_length=200, index=True)
        siren = CharField(max_length=9, default="")
        siret = CharField(max_length=14, default="")
        vat_number = CharField(max_length=20, default="", index=True)
        country = CharField(max_length=2, default="FR")
        address = TextField(default="")
        postal_code = CharField(max_length=16, default="")
        city = CharField(max_length=100, default="")
        payment_terms_days = IntegerField(default=30)
        # Approved bank details only: a change waits in BankDetailsChange until a second user approves (AP-SUP-2).
        iban = CharField(max_length=34, default="")
        bic = CharField(max_length=11, default="")
        archived = BooleanField(default=False, index=True)
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "supplier"


    class SupplierContact(Base):
        supplier = ForeignKeyField(Supplier, backref="contacts", on_delete="CASCADE")
        name = CharField(max_length=120)
        role = CharField(max_length=120, default="")
        email = CharField(max_length=254, default="")
        phone = CharField(max_length=32, default="")

        class Meta:
            table_name = "supplier_contact"


    class BankDetailsChange(Base):
        """A requested IBAN/BIC change: PENDING until another user approves or rejects it."""

        supplier = ForeignKeyField(Supplier, backref="bank_changes", on_delete="CASCADE")
        iban = CharField(max_length=34)
        bic = CharField(max_length=11, default="")
        previous_iban = CharField(max_length=34, default="")
        previous_bic = CharField(max_length=11, default="")
        status = CharField(max_length=10, default="PENDING", index=True)
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        requested_at = DateTimeField(default=datetime.datetime.utcnow)
        decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        decided_at = DateTimeField(null=True)

        class Meta:
            table_name = "bank_details_change"


    class PurchaseRequest(Base):
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        number = CharField(max_length=20, unique=True)
        title = CharField(max_length=200)
        supplier = ForeignKeyField(Supplier, null=True, on_delete="RESTRICT")
        currency = CharField(max_length=3, default="EUR")
        status = CharField(max_length=12, default="OPEN")  # OPEN, ORDERED, CANCELLED
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "purchase_request"


    class PurchaseOrder(Base):
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        number = CharField(max_length=20, unique=True)
        supplier = ForeignKeyField(Supplier, backref="orders", on_delete="RESTRICT")
        request = ForeignKeyField(PurchaseRequest, null=True, backref="orders", on_delete="SET NULL")
        currency = CharField(max_length=3, default="EUR")
        notes = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "purchase_order"


    class PurchaseLine(Base):
        """A line of a purchase request or of a purchase order (exactly one of the two)."""

        request = ForeignKeyField(PurchaseRequest, null=True, backref="lines", on_delete="CASCADE")
        order = ForeignKeyField(PurchaseOrder, null=True, backref="lines", on_delete="CASCADE")
        position = IntegerField()
        description = CharField(max_length=300)
        quantity_milli = BigIntegerField()
        unit_price = BigIntegerField()
        vat_rate = IntegerField()

        class Meta:
            table_name = "purchase_line"


    class DeliveryNote(Base):
        order = ForeignKeyField(PurchaseOrder, backref="deliveries", on_delete="CASCADE")
        reference = CharField(max_length=64, default="")  # the supplier's delivery note number
        received_on = DateField()
        received_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "delivery_note"


    class DeliveryLine(Base):
        note = ForeignKeyField(DeliveryNote, backref="lines", on_delete="CASCADE")
        order_line = ForeignKeyField(PurchaseLine, backref="deliveries", on_delete="CASCADE")
        quantity_milli = BigIntegerField()

        class Meta:
            table_name = "delivery_line"


    class Invoice(Base):
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        supplier = ForeignKeyField(Supplier, backref="invoices", on_delete="RESTRICT")
        number = CharField(max_length=64)
        kind = CharField(max_length=12, default="INVOICE")  # INVOICE, CREDIT_NOTE, DEPOSIT
        issue_date = DateField()
        due_date = DateField(null=True, index=True)
        currency = CharField(max_length=3, default="EUR")
        total_net = BigIntegerField()
        total_vat = BigIntegerField()
        total_gross = BigIntegerField()
        po_reference = CharField(max_length=64, default="")
        order = ForeignKeyField(PurchaseOrder, null=True, backref="invoices", on_delete="SET NULL")
        status = CharField(max_length=20, index=True)
        source = CharField(max_length=12, default="MANUAL")  # MANUAL, PDF, FACTURX, CII, UBL
        einvoice_profile = CharField(max_length=20, default="")
        document = ForeignKeyField(StoredDocument, null=True, on_delete="RESTRICT")
        discrepancy_count = IntegerField(default=0)
        override_reason = TextField(default="")
        override_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        override_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "invoice"
            indexes = ((("supplier", "number"), True),)


    class InvoiceLine(Base):
        invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
        position = IntegerField()
        description = CharField(max_length=300)
        quantity_milli = BigIntegerField()
        unit_price = BigIntegerField()
        vat_rate = IntegerField()
        net_amount = BigIntegerField()
        order_line = ForeignKeyField(PurchaseLine, null=True, on_delete="SET NULL", backref="invoice_lines")

        class Meta:
            table_name = "invoice_line"


    class InvoiceVat(Base):
        """VAT breakdown of an invoice, per rate (BG-23 of EN 16931)."""

        invoice = ForeignKeyField(Invoice, backref="vat_breakdown", on_delete="CASCADE")
        category = CharField(max_length=4, default="S")
        rate = IntegerField()
        base = BigIntegerField()
        amount = BigIntegerField()

        class Meta:
            table_name = "invoice_vat"


    class InvoiceRequestShare(Base):
        """One invoice split across purchase requests (AP-INV-2): the shares sum to the invoice total."""

        invoice = ForeignKeyField(Invoice, backref="request_shares", on_delete="CASCADE")
        request = ForeignKeyField(PurchaseRequest, backref="invoice_shares", on_delete="CASCADE")
        amount = BigIntegerField()

        class Meta:
            table_name = "invoice_request_share"
            indexes = ((("invoice", "request"), True),)


    class InvoiceEvent(Base):
        """History of an invoice: who moved it from which status to which, when and why (AP-FLOW-1)."""

        invoice = ForeignKeyField(Invoice, backref="events", on_delete="CASCADE")
        at = DateTimeField(default=datetime.datetime.utcnow)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        action = CharField(max_length=32)
        from_status = CharField(max_length=20, default="")
        to_status = CharField(max_length=20, default="")
        reason = TextField(default="")

        class Meta:
            table_name = "invoice_event"


    class Setting(Base):
        """Merchant settings as JSON values (matching tolerances, numbering …)."""

        key = CharField(max_length=64, unique=True)
        value = TextField()

        class Meta:
            table_name = "setting"

    return [Supplier, SupplierContact, BankDetailsChange, PurchaseRequest, PurchaseOrder, PurchaseLine, DeliveryNote, DeliveryLine, Invoice, InvoiceLine, InvoiceVat, InvoiceRequestShare, InvoiceEvent, Setting]


def up(migrator, db):
    db.create_tables(_models(db))
