"""The company's bank accounts and their opening balance (AP-CASH-1): reads within the user's
shops, audited writes. No Flask here; the form has checked every value."""
from dataclasses import dataclass

from models import BankAccount, Shop, db, utcnow
from portal.audit import record_action
from portal.database import is_postgres


@dataclass(frozen=True)
class AccountData:
    shop_id: int
    label: str
    iban: str  # compact, checked
    opening_balance: int  # minor units, signed
    opening_date: object  # datetime.date


def accounts_of(shop_ids, currency="EUR"):
    """Accounts of these shops, in one query."""
    if not shop_ids:
        return []
    return list(BankAccount.select(BankAccount, Shop).join(Shop)
                .where(BankAccount.shop.in_(shop_ids) & (BankAccount.currency == currency))
                .order_by(BankAccount.label, BankAccount.id))


def account_in(account_id, shop_ids):
    """The account if it belongs to one of these shops, else None (SEC-1)."""
    if not shop_ids:
        return None
    return BankAccount.get_or_none((BankAccount.id == account_id) & BankAccount.shop.in_(shop_ids))


def _facts(account):
    return {"shop": account.shop_id, "label": account.label, "iban": account.iban,
            "opening_balance": account.opening_balance, "opening_date": account.opening_date.isoformat()}


def create_account(data, user, remote_addr=""):
    with db.atomic():
        account = BankAccount.create(shop=data.shop_id, label=data.label, iban=data.iban,
                                     opening_balance=data.opening_balance, opening_date=data.opening_date,
                                     created_by=user)
        record_action("bank_account.create", "bank_account", account.id, user=user, remote_addr=remote_addr,
                      after=_facts(account))
    return account


def update_account(account_id, shop_ids, data, user, remote_addr=""):
    """Change an account of the user's shops, moved only to another of them; None if not found."""
    with db.atomic():
        query = BankAccount.select().where((BankAccount.id == account_id) & BankAccount.shop.in_(shop_ids or [0]))
        account = (query.for_update() if is_postgres() else query).first()
        if account is None or data.shop_id not in shop_ids:
            return None
        before = _facts(account)
        account.shop, account.label, account.iban = data.shop_id, data.label, data.iban
        account.opening_balance, account.opening_date = data.opening_balance, data.opening_date
        account.updated_at = utcnow()
        account.save()
        record_action("bank_account.update", "bank_account", account.id, user=user, remote_addr=remote_addr,
                      before=before, after=_facts(account))
    return account
