"""Peewee models: one class per table, query helpers as classmethods. No Flask here."""
import datetime
import json

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

db = DatabaseProxy()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Department(BaseModel):
    name = CharField(max_length=120, unique=True)

    class Meta:
        table_name = "department"


class Establishment(BaseModel):
    name = CharField(max_length=120, unique=True)

    class Meta:
        table_name = "establishment"


class User(BaseModel):
    username = CharField(max_length=80, unique=True)
    display_name = CharField(max_length=120, default="")
    email = CharField(max_length=254, default="")
    password_hash = CharField(max_length=255)
    language = CharField(max_length=5, default="fr")
    is_admin = BooleanField(default=False)
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    establishment = ForeignKeyField(Establishment, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    # AUTH-5: bumped at logout, deactivation and password change; a session carrying an older
    # value is refused, so those events end every session of the user on the server.
    session_version = IntegerField(default=0)
    # AUTH-4: the TOTP secret, encrypted with the vault key; None until the user has enrolled.
    totp_secret = TextField(null=True)
    totp_enrolled_at = DateTimeField(null=True)

    class Meta:
        table_name = "portal_user"

    # flask-login protocol, written out so that this module stays free of Flask.
    is_anonymous = False

    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return str(self.id)

    def is_locked(self, now):
        return self.locked_until is not None and self.locked_until > now

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(cls.username == username.strip())

    @classmethod
    def admin_exists(cls):
        return cls.select().where(cls.is_admin & cls.active).exists()


class PasswordHistory(BaseModel):
    user = ForeignKeyField(User, backref="password_history", on_delete="CASCADE")
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "password_history"

    @classmethod
    def recent(cls, user, count):
        return list(
            cls.select()
            .where(cls.user == user)
            .order_by(cls.created_at.desc(), cls.id.desc())
            .limit(count)
        )


class Shop(BaseModel):
    name = CharField(max_length=120)
    merchant_id = CharField(max_length=15, unique=True)
    establishment = ForeignKeyField(Establishment, null=True, on_delete="SET NULL")
    currency = CharField(max_length=3, default="EUR")
    default_capture_mode = CharField(max_length=12, default="AUTO")
    default_capture_delay = IntegerField(default=0)
    default_network = CharField(max_length=8, default="CB")
    active = BooleanField(default=True)
    # Payment gateway (PAY-GW-2): SIMULATOR, SIPS_TEST or SIPS_PRODUCTION. The Sips secret key is
    # stored only encrypted with the vault key (portal.payments.gateways), never in clear.
    gateway = CharField(max_length=16, default="SIMULATOR")
    gateway_secret = TextField(null=True)
    gateway_key_version = IntegerField(default=1)
    gateway_key_saved_at = DateTimeField(null=True)
    # Postal address of the shop (DOC-2): printed on its receipts; a purchase order's delivery address.
    address = TextField(default="")
    postal_code = CharField(max_length=16, default="")
    city = CharField(max_length=100, default="")

    class Meta:
        table_name = "shop"


class ShopRight(BaseModel):
    """One right of one user on one shop (AUTH-2)."""

    user = ForeignKeyField(User, backref="shop_rights", on_delete="CASCADE")
    shop = ForeignKeyField(Shop, backref="user_rights", on_delete="CASCADE")
    right = CharField(max_length=32)

    class Meta:
        table_name = "shop_right"
        indexes = ((("user", "shop", "right"), True),)


class AuditRecord(BaseModel):
    """Append-only (AUDIT-1): database triggers refuse UPDATE and DELETE."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor = CharField(max_length=80)
    action = CharField(max_length=64, index=True)
    target_type = CharField(max_length=64)
    target_id = CharField(max_length=64, default="")
    before = TextField(null=True)
    after = TextField(null=True)
    remote_addr = CharField(max_length=64, default="")

    class Meta:
        table_name = "audit_record"

    @property
    def before_data(self):
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        return json.loads(self.after) if self.after else None


class RecoveryCode(BaseModel):
    """A one-time TOTP recovery code (AUTH-4), stored hashed; used_at set when spent."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(max_length=255)
    used_at = DateTimeField(null=True)

    class Meta:
        table_name = "recovery_code"


class InstanceSecret(BaseModel):
    """Secrets every application machine must share (session signing key, setup token), kept in
    the database so that several portal machines on one PostgreSQL agree without a shared disk."""

    name = CharField(max_length=64, unique=True)
    value = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "instance_secret"


class RunLock(BaseModel):
    """OPS-7: one row per batch (remittance, sync) while it runs, so only one runs at a time
    across workers and machines (PostgreSQL adds an advisory lock on top)."""

    name = CharField(max_length=40, unique=True)
    holder = CharField(max_length=200)
    acquired_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "run_lock"


ALL_MODELS = [Department, Establishment, User, PasswordHistory, Shop, ShopRight, AuditRecord,
              RecoveryCode, InstanceSecret, RunLock]


# --- Card payments (SPEC 2) ---------------------------------------------------


class VaultCard(BaseModel):
    """Encrypted card numbers behind tokens (PAY-ACQ-2); the key lives outside the database."""

    token = CharField(max_length=64, unique=True)
    ciphertext = TextField()
    expiry_year = IntegerField()
    expiry_month = IntegerField()
    created_at = DateTimeField(default=utcnow)
    fingerprint = CharField(max_length=64, default="", index=True)  # keyed hash of the number

    class Meta:
        table_name = "vault_card"


class FraudProfile(BaseModel):
    """Versioned fraud-check settings; a transaction records the version it was checked with."""

    version = IntegerField(unique=True)
    settings = TextField()  # JSON of portal.payments.fraud.FraudProfile
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "fraud_profile"


class Transaction(BaseModel):
    # No index of its own: longer indexes start with shop_id (migration 0021).
    shop = ForeignKeyField(Shop, backref="transactions", on_delete="RESTRICT", index=False)
    reference = CharField(max_length=35)
    order_reference = CharField(max_length=64, default="")
    customer_code = CharField(max_length=64, default="")
    free_info = CharField(max_length=255, default="")
    amount = BigIntegerField()  # authorised amount, minor units
    currency = CharField(max_length=3)
    capture_mode = CharField(max_length=12)
    capture_delay = IntegerField(default=0)
    state = CharField(max_length=24, index=True)  # on SQLite only since migration 0021 (see there)
    created_at = DateTimeField(default=utcnow, index=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    card_token = CharField(max_length=64, index=True)
    masked_pan = CharField(max_length=19)
    networks = CharField(max_length=64)  # comma-separated, e.g. "CB,VISA"
    network = CharField(max_length=16)  # the one used
    card_expiry_year = IntegerField()
    card_expiry_month = IntegerField()
    card_country = CharField(max_length=2, default="")
    response_code = CharField(max_length=2, default="")
    authorisation_number = CharField(max_length=12, default="")
    duplicated_from = ForeignKeyField("self", null=True, backref="duplicates", on_delete="SET NULL")
    instalment_group = CharField(max_length=35, null=True, index=True)
    instalment_rank = IntegerField(null=True)
    instalment_count = IntegerField(null=True)
    due_date = DateField(null=True)
    fraud_result = TextField(null=True)  # JSON of portal.payments.fraud.FraudResult
    fraud_profile_version = IntegerField(null=True)
    # The day the batch sends it to the bank (or expires it, in validation mode).
    capture_date = DateField(null=True)
    # Last time its state was read from the gateway (PAY-GW-1), and the gateway's own status then.
    synced_at = DateTimeField(null=True)
    gateway_status = CharField(max_length=24, default="")
    class Meta:
        table_name = "card_transaction"
        # Migration 0018 widened (shop, created_at) into card_transaction_totals: see there.
        indexes = (
            (("shop", "reference"), True),
            (("state", "capture_date"), False),
        )


class Operation(BaseModel):
    """One row per operation (PAY-OP-1): balances are derived from these, never edited."""

    transaction = ForeignKeyField(Transaction, backref="operations", on_delete="CASCADE")
    kind = CharField(max_length=16)
    amount = BigIntegerField()
    succeeded = BooleanField(default=True)
    response_code = CharField(max_length=2, default="")
    reason = CharField(max_length=255, default="")
    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    idempotency_key = CharField(max_length=64, null=True, unique=True)
    # Reconciliation data for what went to the bank (PAY-DET-1).
    operation_number = CharField(max_length=32, default="")
    remittance_status = CharField(max_length=16, default="", index=True)
    sent_at = DateTimeField(null=True)
    warning_at = DateTimeField(null=True)
    error_at = DateTimeField(null=True)
    # Journal of what was asked of the gateway (PAY-GW-3): "" = answered, PENDING = asked and waiting,
    # UNKNOWN = no usable answer (timeout, bad seal) until the gateway's state is read.
    gateway_status = CharField(max_length=12, default="")
    gateway_answer = TextField(null=True)  # the answer's fields, seal removed, for the detail page

    class Meta:
        table_name = "card_operation"
        indexes = ((("kind", "sent_at"), False),)


class TransactionSettled(BaseModel):
    """What is refunded (succeeded CREDIT operations) and remitted (succeeded CAPTURE operations sent
    to the bank) of a transaction that has any, written only by the database triggers of migration
    0018 on card_operation, so a search result's totals read no operation. Its own narrow table: the
    remittance run writes each transaction's row once, not a second version of the wide one."""

    transaction = ForeignKeyField(Transaction, primary_key=True, backref="+", on_delete="CASCADE")
    refunded_total = BigIntegerField(default=0)
    remitted_total = BigIntegerField(default=0)

    class Meta:
        table_name = "card_transaction_settled"


class Unpaid(BaseModel):
    """A chargeback received after remittance (PAY-DET-1 unpaid block)."""

    transaction = ForeignKeyField(Transaction, backref="unpaids", on_delete="CASCADE")
    operation_number = CharField(max_length=32)
    operation_code = CharField(max_length=16)
    unpaid_date = DateField()
    file_number = CharField(max_length=32)
    amount = BigIntegerField()
    unpaid_code = CharField(max_length=8)
    reason = CharField(max_length=255)
    received_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "card_unpaid"


class RemittanceRun(BaseModel):
    """One row per business day processed by the daily batch, so reruns do nothing twice."""

    day = DateField(unique=True)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    summary = TextField(default="{}")

    class Meta:
        table_name = "remittance_run"


class StoredDocument(BaseModel):
    """An immutable file (receipt, upload) stored once under its SHA-256 (DOC-1)."""

    sha256 = CharField(max_length=64, unique=True)
    media_type = CharField(max_length=100)
    size = IntegerField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "stored_document"


class Receipt(BaseModel):
    transaction = ForeignKeyField(Transaction, backref="receipts", on_delete="CASCADE")
    operation = ForeignKeyField(Operation, on_delete="CASCADE")  # AUTHOR for the payment receipt
    layout = CharField(max_length=8)  # "a4" or "ticket"
    document = ForeignKeyField(StoredDocument, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "receipt"
        indexes = ((("transaction", "operation", "layout"), True),)


class DocumentBlob(BaseModel):
    """The bytes of a stored document, when the store is kept in the database (DOCUMENT_STORE =
    "database") so that several application machines share it; same SHA-256 addressing as on disk."""

    sha256 = CharField(max_length=64, unique=True)
    data = BlobField()

    class Meta:
        table_name = "document_blob"


class Upload(BaseModel):
    """A file a user put into the portal (e-invoice, PDF to attach): who may see it before it
    becomes part of an invoice (SEC-1). The document itself is shared by content."""

    document = ForeignKeyField(StoredDocument, on_delete="RESTRICT")
    uploaded_by = ForeignKeyField(User, on_delete="CASCADE")
    # JSON of the e-invoice read at upload (migration 0008): the review step reads it instead of parsing again.
    reading = TextField(null=True)
    filename = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "upload"


ALL_MODELS += [VaultCard, FraudProfile, Transaction, Operation, TransactionSettled, Unpaid, RemittanceRun,
               StoredDocument, Receipt, DocumentBlob, Upload]


# --- Supplier invoices (SPEC 3) -------------------------------------------------------------
# Quantities are integers in thousandths (quantity_milli: 2,5 kg = 2500); VAT rates in basis
# points (20 % = 2000); amounts in minor units of the document's currency.


class Supplier(BaseModel):
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
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "supplier"


class SupplierContact(BaseModel):
    supplier = ForeignKeyField(Supplier, backref="contacts", on_delete="CASCADE")
    name = CharField(max_length=120)
    role = CharField(max_length=120, default="")
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=32, default="")

    class Meta:
        table_name = "supplier_contact"


class BankDetailsChange(BaseModel):
    """A requested IBAN/BIC change: PENDING until another user approves or rejects it."""

    supplier = ForeignKeyField(Supplier, backref="bank_changes", on_delete="CASCADE")
    iban = CharField(max_length=34)
    bic = CharField(max_length=11, default="")
    previous_iban = CharField(max_length=34, default="")
    previous_bic = CharField(max_length=11, default="")
    status = CharField(max_length=10, default="PENDING", index=True)
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    requested_at = DateTimeField(default=utcnow)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    decided_at = DateTimeField(null=True)

    class Meta:
        table_name = "bank_details_change"


class PurchaseRequest(BaseModel):
    shop = ForeignKeyField(Shop, on_delete="RESTRICT")
    number = CharField(max_length=20, unique=True)
    title = CharField(max_length=200)
    supplier = ForeignKeyField(Supplier, null=True, on_delete="RESTRICT")
    currency = CharField(max_length=3, default="EUR")
    status = CharField(max_length=12, default="OPEN")  # OPEN, ORDERED, CANCELLED
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "purchase_request"
        # Issue 14 (migration 0008): the list pages and exports sort and filter on these.
        indexes = ((("shop", "created_at"), False),)


class PurchaseOrder(BaseModel):
    shop = ForeignKeyField(Shop, on_delete="RESTRICT")
    number = CharField(max_length=20, unique=True)
    supplier = ForeignKeyField(Supplier, backref="orders", on_delete="RESTRICT")
    request = ForeignKeyField(PurchaseRequest, null=True, backref="orders", on_delete="SET NULL")
    currency = CharField(max_length=3, default="EUR")
    notes = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "purchase_order"
        # Issue 14 (migration 0008): the list pages and exports sort and filter on these.
        indexes = ((("shop", "created_at"), False),)


class PurchaseLine(BaseModel):
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


class DeliveryNote(BaseModel):
    order = ForeignKeyField(PurchaseOrder, backref="deliveries", on_delete="CASCADE")
    reference = CharField(max_length=64, default="")  # the supplier's delivery note number
    received_on = DateField()
    received_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "delivery_note"


class DeliveryLine(BaseModel):
    note = ForeignKeyField(DeliveryNote, backref="lines", on_delete="CASCADE")
    order_line = ForeignKeyField(PurchaseLine, backref="deliveries", on_delete="CASCADE")
    quantity_milli = BigIntegerField()

    class Meta:
        table_name = "delivery_line"


class Invoice(BaseModel):
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
    created_at = DateTimeField(default=utcnow)
    # PCG expense account (6xx) the invoice is booked to; "" = the merchant's default (ACC-2).
    expense_account = CharField(max_length=10, default="")
    # AP-INV-3 (migration 0013): first XSD errors of an e-invoice read although not conforming (JSON
    # list of texts), and the user's decision on it: "" (to decide) or ACCEPTED; refusing = status REFUSED.
    schema_issues = TextField(default="")
    schema_decision = CharField(max_length=12, default="")
    # Issue 14 (migration 0017): the sums of its payments and of the deposits deducted from it, kept
    # exact by database triggers on supplier_payment and deposit_deduction. Read-only here: save()
    # never writes them back (a copy read before a payment would undo it).
    paid_total = BigIntegerField(default=0)
    deducted_total = BigIntegerField(default=0)

    def save(self, force_insert=False, only=None):
        if only is None and not force_insert and self._pk is not None:
            only = [f for f in self._meta.sorted_fields if f.name not in ("paid_total", "deducted_total")]
        return super().save(force_insert=force_insert, only=only)

    class Meta:
        table_name = "invoice"
        indexes = ((("supplier", "number"), True), (("shop", "due_date"), False), (("shop", "issue_date"), False), (("shop", "status"), False), (("shop", "total_gross"), False),)


class InvoiceLine(BaseModel):
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


class InvoiceVat(BaseModel):
    """VAT breakdown of an invoice, per rate (BG-23 of EN 16931)."""

    invoice = ForeignKeyField(Invoice, backref="vat_breakdown", on_delete="CASCADE")
    category = CharField(max_length=4, default="S")
    rate = IntegerField()
    base = BigIntegerField()
    amount = BigIntegerField()

    class Meta:
        table_name = "invoice_vat"


class InvoiceRequestShare(BaseModel):
    """One invoice split across purchase requests (AP-INV-2): the shares sum to the invoice total."""

    invoice = ForeignKeyField(Invoice, backref="request_shares", on_delete="CASCADE")
    request = ForeignKeyField(PurchaseRequest, backref="invoice_shares", on_delete="CASCADE")
    amount = BigIntegerField()

    class Meta:
        table_name = "invoice_request_share"
        indexes = ((("invoice", "request"), True),)


class InvoiceEvent(BaseModel):
    """History of an invoice: who moved it from which status to which, when and why (AP-FLOW-1)."""

    invoice = ForeignKeyField(Invoice, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=32)
    from_status = CharField(max_length=20, default="")
    to_status = CharField(max_length=20, default="")
    reason = TextField(default="")

    class Meta:
        table_name = "invoice_event"


class Setting(BaseModel):
    """Merchant settings as JSON values (matching tolerances, numbering …)."""

    key = CharField(max_length=64, unique=True)
    value = TextField()

    class Meta:
        table_name = "setting"


ALL_MODELS += [Supplier, SupplierContact, BankDetailsChange, PurchaseRequest, PurchaseOrder, PurchaseLine,
               DeliveryNote, DeliveryLine, Invoice, InvoiceLine, InvoiceVat, InvoiceRequestShare, InvoiceEvent,
               Setting]


# --- Paying and accounting (SPEC 3 and 4) ---------------------------------------------------------


class AnalyticAxis(BaseModel):
    """An analytic axis defined by the merchant (« Centre de coût », « Client », « Projet ») (ALLOC-1)."""

    name = CharField(max_length=80)
    position = IntegerField(default=0)
    restricted = BooleanField(default=False)  # visible only to the grants in AnalyticAccess (ALLOC-3)
    archived = BooleanField(default=False)

    class Meta:
        table_name = "analytic_axis"


class AnalyticValue(BaseModel):
    """A value of an axis, possibly under a parent value (sub-values)."""

    axis = ForeignKeyField(AnalyticAxis, backref="values", on_delete="CASCADE")
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    name = CharField(max_length=120)
    code = CharField(max_length=32, default="")
    restricted = BooleanField(default=False)
    archived = BooleanField(default=False)

    class Meta:
        table_name = "analytic_value"


class AnalyticAccess(BaseModel):
    """Who may see a restricted axis or value: a user, a department or an establishment (ALLOC-3)."""

    axis = ForeignKeyField(AnalyticAxis, null=True, backref="grants", on_delete="CASCADE")
    value = ForeignKeyField(AnalyticValue, null=True, backref="grants", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="CASCADE")
    department = ForeignKeyField(Department, null=True, on_delete="CASCADE")
    establishment = ForeignKeyField(Establishment, null=True, on_delete="CASCADE")

    class Meta:
        table_name = "analytic_access"


class Allocation(BaseModel):
    """One allocation line of an invoice (or of one of its lines) on an analytic value (ALLOC-2).
    The lines of an invoice sum exactly to its net amount."""

    invoice = ForeignKeyField(Invoice, backref="allocations", on_delete="CASCADE")
    invoice_line = ForeignKeyField(InvoiceLine, null=True, backref="allocations", on_delete="CASCADE")
    value = ForeignKeyField(AnalyticValue, backref="allocations", on_delete="RESTRICT")
    amount = BigIntegerField()
    percent = IntegerField(null=True)  # basis points when entered as a percentage
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "allocation"


class PaymentBatch(BaseModel):
    """A batch of supplier payments exported as one SEPA credit transfer file (pain.001.001.09)."""

    shop = ForeignKeyField(Shop, on_delete="RESTRICT")
    message_id = CharField(max_length=35, unique=True)
    execution_date = DateField()
    total = BigIntegerField()
    count = IntegerField()
    document = ForeignKeyField(StoredDocument, null=True, on_delete="RESTRICT")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "payment_batch"


class SupplierPayment(BaseModel):
    """A payment of (part of) a supplier invoice (AP-PAY-1): deposits and balances are rows."""

    invoice = ForeignKeyField(Invoice, backref="payments", on_delete="RESTRICT")
    amount = BigIntegerField()
    paid_on = DateField()
    method = CharField(max_length=12, default="TRANSFER")  # TRANSFER, CHEQUE, CARD, CASH, OTHER
    batch = ForeignKeyField(PaymentBatch, null=True, backref="payments", on_delete="SET NULL")
    iban = CharField(max_length=34, default="")  # the approved IBAN used, at the time
    bic = CharField(max_length=11, default="")
    reference = CharField(max_length=140, default="")
    # Of a foreign-currency invoice: the euro cents the bank debited, when known (migration 0023); the
    # books put the difference with the invoice's rate to an exchange loss or gain.
    debited_eur = BigIntegerField(null=True)
    idempotency_key = CharField(max_length=64, null=True, unique=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "supplier_payment"
        # Issue 14 (migration 0008): the list pages and exports sort and filter on these.
        indexes = ((("paid_on",), False),)


class DepositDeduction(BaseModel):
    """A deposit invoice deducted from a balance invoice: counted once, on the balance invoice."""

    invoice = ForeignKeyField(Invoice, backref="deductions", on_delete="CASCADE")
    deposit = ForeignKeyField(Invoice, backref="deducted_in", on_delete="RESTRICT")
    amount = BigIntegerField()
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "deposit_deduction"


class InvoiceMessage(BaseModel):
    """The discussion thread of an invoice between the merchant's users and the supplier (AP-CONT-1)."""

    invoice = ForeignKeyField(Invoice, backref="messages", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    contact = ForeignKeyField(SupplierContact, null=True, on_delete="SET NULL")
    direction = CharField(max_length=12, default="OUT")  # OUT to the supplier, IN from it, NOTE internal
    body = TextField()

    class Meta:
        table_name = "invoice_message"


class OutgoingMail(BaseModel):
    """Mail queued in the database and retried until the SMTP server takes it: never lost."""

    to = TextField()  # comma-separated addresses
    subject = CharField(max_length=250)
    body = TextField()
    invoice = ForeignKeyField(Invoice, null=True, backref="mails", on_delete="SET NULL")
    status = CharField(max_length=10, default="PENDING", index=True)  # PENDING, SENT, FAILED
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "outgoing_mail"
        # Issue 14 (migration 0008): the list pages and exports sort and filter on these.
        indexes = ((("status", "created_at"), False),)


class EvaluationGrid(BaseModel):
    """A supplier evaluation grid: criteria and weights (AP-KYS-1)."""

    name = CharField(max_length=120)
    archived = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "evaluation_grid"


class EvaluationCriterion(BaseModel):
    grid = ForeignKeyField(EvaluationGrid, backref="criteria", on_delete="CASCADE")
    name = CharField(max_length=120)
    weight = IntegerField()
    position = IntegerField(default=0)

    class Meta:
        table_name = "evaluation_criterion"


class SupplierEvaluation(BaseModel):
    supplier = ForeignKeyField(Supplier, backref="evaluations", on_delete="CASCADE")
    grid = ForeignKeyField(EvaluationGrid, on_delete="RESTRICT")
    evaluated_on = DateField()
    evaluator = ForeignKeyField(User, null=True, on_delete="SET NULL")
    score = IntegerField()  # weighted score, hundredths of a point out of 10 (e.g. 735 = 7,35/10)
    compliant = BooleanField(default=True)
    notes = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "supplier_evaluation"


class EvaluationScore(BaseModel):
    evaluation = ForeignKeyField(SupplierEvaluation, backref="scores", on_delete="CASCADE")
    criterion = ForeignKeyField(EvaluationCriterion, on_delete="RESTRICT")
    score = IntegerField()  # 0 to 10

    class Meta:
        table_name = "evaluation_score"


class EvaluationAction(BaseModel):
    evaluation = ForeignKeyField(SupplierEvaluation, backref="actions", on_delete="CASCADE")
    description = CharField(max_length=300)
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL")
    due_date = DateField(null=True)
    done_at = DateTimeField(null=True)

    class Meta:
        table_name = "evaluation_action"


ALL_MODELS += [AnalyticAxis, AnalyticValue, AnalyticAccess, Allocation, PaymentBatch, SupplierPayment,
               DepositDeduction, InvoiceMessage, OutgoingMail, EvaluationGrid, EvaluationCriterion,
               SupplierEvaluation, EvaluationScore, EvaluationAction]


class BankAccount(BaseModel):
    """A bank account of the company and its balance at the start of a day (AP-CASH-1): the
    cash-flow page runs its totals from there. A shop's card remittances and supplier payments
    reach the first account entered for that shop."""

    shop = ForeignKeyField(Shop, backref="bank_accounts", on_delete="RESTRICT")
    label = CharField(max_length=70)
    iban = CharField(max_length=34)
    currency = CharField(max_length=3, default="EUR")
    opening_balance = BigIntegerField()  # minor units, negative for an overdraft
    opening_date = DateField()  # the balance before that day's movements
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "bank_account"


ALL_MODELS += [BankAccount]


class SavedView(BaseModel):
    """A named filter set of the transaction list, per user (PAY-SRCH-3): the list's query string,
    read again through the search's own checks when it is opened."""

    user = ForeignKeyField(User, backref="saved_views", on_delete="CASCADE")
    name = CharField(max_length=80)
    query = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "saved_view"
        indexes = ((("user", "name"), True),)


ALL_MODELS += [SavedView]


class WalletCard(BaseModel):
    """A card kept in a customer's wallet of one shop (PAY-WAL-1): the vault token and what may be
    shown of the card (last 4 digits only). `mean_id` is the id of the payment mean in the wallet;
    a deleted card keeps its row (deleted_at) for the audit trail and is never offered again."""

    shop = ForeignKeyField(Shop, backref="wallet_cards", on_delete="CASCADE")
    wallet_id = CharField(max_length=64)
    mean_id = CharField(max_length=32, unique=True)
    card_token = CharField(max_length=64)
    last4 = CharField(max_length=4)
    network = CharField(max_length=16)
    networks = CharField(max_length=64, default="")
    label = CharField(max_length=50, default="")
    expiry_year = IntegerField()
    expiry_month = IntegerField()
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    deleted_at = DateTimeField(null=True)
    deleted_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        table_name = "wallet_card"
        indexes = ((("shop", "wallet_id"), False),)


ALL_MODELS += [WalletCard]


# --- Books (issue 12: ACC-3, ACC-4, ACC-5) -------------------------------------------------------


class ClosedPeriod(BaseModel):
    """A period whose entries were validated by "Clôturer la période" (ACC-4): from then on its
    entries (LedgerEntry) keep their number and content; later changes go to the next open period."""

    start = DateField()
    end = DateField(unique=True)
    fiscal_year_start = DateField()  # numbering restarts at 1 each fiscal year
    first_number = IntegerField(default=0)
    last_number = IntegerField(default=0)
    entry_count = IntegerField(default=0)
    debit = BigIntegerField(default=0)
    credit = BigIntegerField(default=0)
    closed_at = DateTimeField(default=utcnow)
    closed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    # ledger.booking_basis() of the settings it was closed with (migration 0020): the next one compares
    # every document of the closed history again when they differ, only the changed ones otherwise.
    basis = CharField(max_length=64, null=True)

    class Meta:
        table_name = "closed_period"


class LedgerEntry(BaseModel):
    """A validated entry, stored when its period was closed: never updated nor deleted."""

    period = ForeignKeyField(ClosedPeriod, backref="entries", on_delete="RESTRICT")
    fiscal_year_start = DateField()
    number = IntegerField()
    journal = CharField(max_length=6)
    journal_label = CharField(max_length=60)
    date = DateField()
    piece_ref = CharField(max_length=64)
    piece_date = DateField()
    label = CharField(max_length=300)
    valid_date = DateField()
    kind = CharField(max_length=16)
    source = CharField(max_length=40, index=True)  # INV:12, PAY:5, CB:REM:3:20250310 … (what it books)
    shop = ForeignKeyField(Shop, null=True, on_delete="RESTRICT")
    amount = BigIntegerField(default=0)
    currency = CharField(max_length=3, default="")  # Idevise of a foreign-currency document
    reverse_charge_vat = BigIntegerField(default=0)  # self-assessed VAT it books (for the summary)

    class Meta:
        table_name = "ledger_entry"
        indexes = ((("fiscal_year_start", "number"), True), (("date",), False), (("kind",), False))


class LedgerLine(BaseModel):
    entry = ForeignKeyField(LedgerEntry, backref="lines", on_delete="RESTRICT")
    position = IntegerField()
    account = CharField(max_length=10)
    account_label = CharField(max_length=120)
    aux = CharField(max_length=24, default="")
    aux_label = CharField(max_length=200, default="")
    debit = BigIntegerField(default=0)
    credit = BigIntegerField(default=0)
    foreign_amount = BigIntegerField(null=True)  # Montantdevise
    letter_ref = CharField(max_length=24, default="")  # F12 (supplier invoice), C345 (card remittance)

    class Meta:
        table_name = "ledger_line"


class InvoiceBooking(BaseModel):
    """The accountant's choices for booking one supplier invoice (ACC-4, ACC-5): its exchange rate,
    goods or services, domestic reverse charge, the French VAT rate of reverse-charged lines."""

    invoice = ForeignKeyField(Invoice, unique=True, backref="+", on_delete="CASCADE")
    exchange_rate = BigIntegerField(null=True)  # euros for one unit of the invoice's currency, x 1 000 000
    nature = CharField(max_length=8, default="")  # "" (from the expense account), GOODS, SERVICES
    reverse_charge = CharField(max_length=12, default="")  # "" (detected), DOMESTIC, NONE
    line_rates = TextField(default="{}")  # {invoice line id: French rate in basis points}
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "invoice_booking"


class LedgerChange(BaseModel):
    """A document written since the last closing (INV:12, PAY:5, SUP:3: a supplier's invoices and
    payments), logged by the triggers of migration 0020 and consumed by the next closing: the
    documents of the closed history that may book otherwise than their validated entries."""

    source = CharField(max_length=40)

    class Meta:
        table_name = "ledger_change"


ALL_MODELS += [ClosedPeriod, LedgerEntry, LedgerLine, InvoiceBooking, LedgerChange]
