"""Supplier invoices at real size (issue 14): indexes the list pages and exports sort and filter on
(invoices by shop and due date, issue date, status or amount; payments by date; orders and requests
by shop and date; the mail queue by state and date), and the reading of an uploaded e-invoice kept
with the upload so that it is parsed once."""
from peewee import TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("invoice", ("shop_id", "due_date")),
        migrator.add_index("invoice", ("shop_id", "issue_date")),
        migrator.add_index("invoice", ("shop_id", "status")),
        migrator.add_index("invoice", ("shop_id", "total_gross")),
        migrator.add_index("supplier_payment", ("paid_on",)),
        migrator.add_index("purchase_order", ("shop_id", "created_at")),
        migrator.add_index("purchase_request", ("shop_id", "created_at")),
        migrator.add_index("outgoing_mail", ("status", "created_at")),
        migrator.add_column("upload", "reading", TextField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("upload", "reading"),
        migrator.drop_index("outgoing_mail", "outgoing_mail_status_created_at"),
        migrator.drop_index("purchase_request", "purchase_request_shop_id_created_at"),
        migrator.drop_index("purchase_order", "purchase_order_shop_id_created_at"),
        migrator.drop_index("supplier_payment", "supplier_payment_paid_on"),
        migrator.drop_index("invoice", "invoice_shop_id_total_gross"),
        migrator.drop_index("invoice", "invoice_shop_id_status"),
        migrator.drop_index("invoice", "invoice_shop_id_issue_date"),
        migrator.drop_index("invoice", "invoice_shop_id_due_date"),
    )
