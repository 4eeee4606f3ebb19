"""SEPA credit transfer file (ISO 20022 pain.001.001.09) of a payment batch, written with sepaxml and
validated against its bundled XSD before anything is recorded. Amounts go in as integers of cents:
sepaxml turns them into decimal strings without any float."""
import datetime
import re
from dataclasses import dataclass

from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError

SCHEMA = "pain.001.001.09"
# Characters of the SEPA Latin subset allowed in identifiers (EndToEndId): others are dropped.
_NOT_SEPA_ID = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


class SepaFileError(Exception):
    pass


@dataclass(frozen=True)
class Debtor:
    """The merchant, whose account is debited."""

    name: str
    iban: str
    bic: str = ""


@dataclass(frozen=True)
class Transfer:
    """One credit transfer: to a supplier's approved account, for one invoice."""

    creditor_name: str
    iban: str
    bic: str
    amount: int  # cents
    end_to_end_id: str
    remittance: str


def end_to_end_id(*parts):
    """An end-to-end id the bank passes to the supplier: 35 characters of the SEPA subset at most."""
    return _NOT_SEPA_ID.sub("", "-".join(str(part) for part in parts))[:35] or "NOTPROVIDED"


def transfer_file(debtor: Debtor, transfers, execution_date: datetime.date):
    """(xml bytes, message id) of one batch; every transfer is executed on `execution_date`."""
    config = {"name": debtor.name, "IBAN": debtor.iban, "currency": "EUR", "batch": True}
    if debtor.bic:
        config["BIC"] = debtor.bic
    sepa = SepaTransfer(config, schema=SCHEMA, clean=True)
    for transfer in transfers:
        if not isinstance(transfer.amount, int) or transfer.amount <= 0:
            raise SepaFileError(f"montant invalide pour {transfer.creditor_name}")
        payment = {"name": transfer.creditor_name, "IBAN": transfer.iban, "amount": transfer.amount,
                   "execution_date": execution_date, "description": transfer.remittance,
                   "endtoend_id": transfer.end_to_end_id}
        if transfer.bic:
            payment["BIC"] = transfer.bic
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True), sepa.msg_id
    except ValidationError as error:
        raise SepaFileError(str(error.__cause__ or error)) from error
