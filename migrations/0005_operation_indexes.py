"""Indexes the daily remittance run and the fraud check read through: captures by send time,
refunds waiting to be sent, and a card's transactions by token."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("card_operation", ("kind", "sent_at")),
        migrator.add_index("card_operation", ("remittance_status",)),
        migrator.add_index("card_transaction", ("card_token",)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("card_operation", "card_operation_kind_sent_at"),
        migrator.drop_index("card_operation", "card_operation_remittance_status"),
        migrator.drop_index("card_transaction", "card_transaction_card_token"),
    )
