"""Card payments: the planned remittance day of a transaction (the batch selects on it) and a
keyed fingerprint of each vaulted card (the fraud check counts a card's uses without its number)."""
from peewee import CharField, DateField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("card_transaction", "capture_date", DateField(null=True)),
        migrator.add_index("card_transaction", ("state", "capture_date")),
        migrator.add_column("vault_card", "fingerprint", CharField(max_length=64, default="")),
        migrator.add_index("vault_card", ("fingerprint",)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("card_transaction", "card_transaction_state_capture_date"),
        migrator.drop_column("card_transaction", "capture_date"),
        migrator.drop_index("vault_card", "vault_card_fingerprint"),
        migrator.drop_column("vault_card", "fingerprint"),
    )
