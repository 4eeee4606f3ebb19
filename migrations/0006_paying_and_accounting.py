"""Paying and accounting (issue 5): analytic axes, values, access grants and allocations;
supplier payments, SEPA batches and deposit deductions; invoice threads and the mail queue;
supplier evaluations; the expense account of an invoice. Frozen copies of the models."""
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

    class Department(Base):
        class Meta:
            table_name = "department"

    class Establishment(Base):
        class Meta:
            table_name = "establishment"

    class Shop(Base):
        class Meta:
            table_name = "shop"

    class StoredDocument(Base):
        class Meta:
            table_name = "stored_document"

    class Supplier(Base):
        class Meta:
            table_name = "supplier"

    class SupplierContact(Base):
        class Meta:
            table_name = "supplier_contact"

    class Invoice(Base):
        class Meta:
            table_name = "invoice"

    class InvoiceLine(Base):
        class Meta:
            table_name = "invoice_line"

    class AnalyticAxis(Base):
        """An analytic axis defined by the merchant (« Centre de coût », « Client », « Projet ») (ALLOC-1)."""

        name = CharField(max_length=80)
        position = IntegerField(default=0)
        restricted = BooleanField(default=False)  # visible only to the grants in AnalyticAccess (ALLOC-3)
        archived = BooleanField(default=False)

        class Meta:
            table_name = "analytic_axis"


    class AnalyticValue(Base):
        """A value of an axis, possibly under a parent value (sub-values)."""

        axis = ForeignKeyField(AnalyticAxis, backref="values", on_delete="CASCADE")
        parent = ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
        name = CharField(max_length=120)
        code = CharField(max_length=32, default="")
        restricted = BooleanField(default=False)
        archived = BooleanField(default=False)

        class Meta:
            table_name = "analytic_value"


    class AnalyticAccess(Base):
        """Who may see a restricted axis or value: a user, a department or an establishment (ALLOC-3)."""

        axis = ForeignKeyField(AnalyticAxis, null=True, backref="grants", on_delete="CASCADE")
        value = ForeignKeyField(AnalyticValue, null=True, backref="grants", on_delete="CASCADE")
        user = ForeignKeyField(User, null=True, on_delete="CASCADE")
        department = ForeignKeyField(Department, null=True, on_delete="CASCADE")
        establishment = ForeignKeyField(Establishment, null=True, on_delete="CASCADE")

        class Meta:
            table_name = "analytic_access"


    class Allocation(Base):
        """One allocation line of an invoice (or of one of its lines) on an analytic value (ALLOC-2).
        The lines of an invoice sum exactly to its net amount."""

        invoice = ForeignKeyField(Invoice, backref="allocations", on_delete="CASCADE")
        invoice_line = ForeignKeyField(InvoiceLine, null=True, backref="allocations", on_delete="CASCADE")
        value = ForeignKeyField(AnalyticValue, backref="allocations", on_delete="RESTRICT")
        amount = BigIntegerField()
        percent = IntegerField(null=True)  # basis points when entered as a percentage
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "allocation"


    class PaymentBatch(Base):
        """A batch of supplier payments exported as one SEPA credit transfer file (pain.001.001.09)."""

        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        message_id = CharField(max_length=35, unique=True)
        execution_date = DateField()
        total = BigIntegerField()
        count = IntegerField()
        document = ForeignKeyField(StoredDocument, null=True, on_delete="RESTRICT")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "payment_batch"


    class SupplierPayment(Base):
        """A payment of (part of) a supplier invoice (AP-PAY-1): deposits and balances are rows."""

        invoice = ForeignKeyField(Invoice, backref="payments", on_delete="RESTRICT")
        amount = BigIntegerField()
        paid_on = DateField()
        method = CharField(max_length=12, default="TRANSFER")  # TRANSFER, CHEQUE, CARD, CASH, OTHER
        batch = ForeignKeyField(PaymentBatch, null=True, backref="payments", on_delete="SET NULL")
        iban = CharField(max_length=34, default="")  # the approved IBAN used, at the time
        bic = CharField(max_length=11, default="")
        reference = CharField(max_length=140, default="")
        idempotency_key = CharField(max_length=64, null=True, unique=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "supplier_payment"


    class DepositDeduction(Base):
        """A deposit invoice deducted from a balance invoice: counted once, on the balance invoice."""

        invoice = ForeignKeyField(Invoice, backref="deductions", on_delete="CASCADE")
        deposit = ForeignKeyField(Invoice, backref="deducted_in", on_delete="RESTRICT")
        amount = BigIntegerField()
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "deposit_deduction"


    class InvoiceMessage(Base):
        """The discussion thread of an invoice between the merchant's users and the supplier (AP-CONT-1)."""

        invoice = ForeignKeyField(Invoice, backref="messages", on_delete="CASCADE")
        at = DateTimeField(default=datetime.datetime.utcnow)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        contact = ForeignKeyField(SupplierContact, null=True, on_delete="SET NULL")
        direction = CharField(max_length=12, default="OUT")  # OUT to the supplier, IN from it, NOTE internal
        body = TextField()

        class Meta:
            table_name = "invoice_message"


    class OutgoingMail(Base):
        """Mail queued in the database and retried until the SMTP server takes it: never lost."""

        to = TextField()  # comma-separated addresses
        subject = CharField(max_length=250)
        body = TextField()
        invoice = ForeignKeyField(Invoice, null=True, backref="mails", on_delete="SET NULL")
        status = CharField(max_length=10, default="PENDING", index=True)  # PENDING, SENT, FAILED
        attempts = IntegerField(default=0)
        last_error = TextField(default="")
        next_attempt_at = DateTimeField(default=datetime.datetime.utcnow)
        sent_at = DateTimeField(null=True)
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "outgoing_mail"


    class EvaluationGrid(Base):
        """A supplier evaluation grid: criteria and weights (AP-KYS-1)."""

        name = CharField(max_length=120)
        archived = BooleanField(default=False)
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "evaluation_grid"


    class EvaluationCriterion(Base):
        grid = ForeignKeyField(EvaluationGrid, backref="criteria", on_delete="CASCADE")
        name = CharField(max_length=120)
        weight = IntegerField()
        position = IntegerField(default=0)

        class Meta:
            table_name = "evaluation_criterion"


    class SupplierEvaluation(Base):
        supplier = ForeignKeyField(Supplier, backref="evaluations", on_delete="CASCADE")
        grid = ForeignKeyField(EvaluationGrid, on_delete="RESTRICT")
        evaluated_on = DateField()
        evaluator = ForeignKeyField(User, null=True, on_delete="SET NULL")
        score = IntegerField()  # weighted score, hundredths of a point out of 10 (e.g. 735 = 7,35/10)
        compliant = BooleanField(default=True)
        notes = TextField(default="")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "supplier_evaluation"


    class EvaluationScore(Base):
        evaluation = ForeignKeyField(SupplierEvaluation, backref="scores", on_delete="CASCADE")
        criterion = ForeignKeyField(EvaluationCriterion, on_delete="RESTRICT")
        score = IntegerField()  # 0 to 10

        class Meta:
            table_name = "evaluation_score"


    class EvaluationAction(Base):
        evaluation = ForeignKeyField(SupplierEvaluation, backref="actions", on_delete="CASCADE")
        description = CharField(max_length=300)
        owner = ForeignKeyField(User, null=True, on_delete="SET NULL")
        due_date = DateField(null=True)
        done_at = DateTimeField(null=True)

        class Meta:
            table_name = "evaluation_action"

    return [AnalyticAxis, AnalyticValue, AnalyticAccess, Allocation, PaymentBatch, SupplierPayment, DepositDeduction, InvoiceMessage, OutgoingMail, EvaluationGrid, EvaluationCriterion, SupplierEvaluation, EvaluationScore, EvaluationAction]


def up(migrator, db):
    db.create_tables(_models(db))
    migrator.migrate(migrator.add_column("invoice", "expense_account", CharField(max_length=10, default="")))
