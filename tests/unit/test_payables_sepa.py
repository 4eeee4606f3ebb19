"""The SEPA credit transfer file of a payment batch (AP-PAY-1, MONEY-1): pain.001.001.09 checked
against its XSD, amounts written from integer cents, never from floats."""
import datetime
import xml.etree.ElementTree as ET

import pytest

from portal.payables.sepa import Debtor, SepaFileError, Transfer, end_to_end_id, transfer_file

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
DEBTOR = Debtor("Épicerie du Port", "FR7630004000031234567890143")
DAY = datetime.date(2026, 3, 10)


def _transfer(amount, iban="FR7630006000011234567890189", name="Fournitures Dupont"):
    return Transfer(name, iban, "", amount, end_to_end_id("F", 1, "AB_C"), "Facture F-1")


def test_ap_pay_1_amounts_written_from_cents_with_two_decimals():
    xml, message_id = transfer_file(DEBTOR, [_transfer(1), _transfer(123456789)], DAY)
    root = ET.fromstring(xml)
    amounts = [a.text for a in root.iter("{%s}InstdAmt" % NS["p"])]
    assert amounts == ["0.01", "1234567.89"]
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text == "1234567.90"
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", NS).text == message_id
    assert root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:Dbtr/p:Nm", NS).text == "Epicerie du Port"


def test_ap_pay_1_float_or_non_positive_amount_refused():
    for amount in (10.5, 0, -100):
        with pytest.raises(SepaFileError):
            transfer_file(DEBTOR, [_transfer(amount)], DAY)


def test_ap_pay_1_file_that_breaks_the_schema_is_refused():
    with pytest.raises(SepaFileError):
        transfer_file(DEBTOR, [_transfer(100, iban="not an iban")], DAY)


def test_ap_pay_1_end_to_end_id_keeps_to_the_sepa_characters_and_35_of_them():
    assert end_to_end_id("F", 12, "ab_c*d") == "F-12-abcd"
    assert len(end_to_end_id("F" * 50)) == 35
