"""Supplier rules without Flask pages (AP-SUP-1, AP-SUP-2, AUDIT-1): identifiers checked again by the
service, audit of what changed, archived suppliers out of the pickers, bank details approved once by
another user."""
import pytest

from models import AuditRecord, BankDetailsChange, Supplier
from portal.suppliers.service import (BankChangeError, SupplierError, active_suppliers, approve_bank_change,
                                      archive_supplier, create_supplier, pending_bank_change,
                                      reject_bank_change, request_bank_change, search_suppliers,
                                      unarchive_supplier, update_supplier)
from tests.factories import make_user

IBAN = "FR7630006000011234567890189"
NEW_IBAN = "DE89370400440532013000"


@pytest.fixture
def users(app):
    return make_user("lea"), make_user("marc")


def _supplier(user, **fields):
    return create_supplier({"name": "Papeterie Martin", "country": "FR", "payment_terms_days": 30, **fields}, user)


def test_ap_sup_1_service_checks_identifiers_like_the_forms(users):
    lea, _ = users
    with pytest.raises(SupplierError) as caught:
        _supplier(lea, siren="732829321")
    assert caught.value.field == "siren" and str(caught.value).startswith("Clé de contrôle SIREN invalide")
    with pytest.raises(SupplierError) as caught:
        _supplier(lea, country="DE", vat_number="FR44732829320")
    assert caught.value.field == "vat_number"
    supplier = _supplier(lea, siret="732 829 320 00074", vat_number="fr44 732 829 320")
    assert (supplier.siren, supplier.siret, supplier.vat_number) == ("732829320", "73282932000074", "FR44732829320")
    assert Supplier.select().count() == 1


def test_audit_1_update_records_only_what_changed(users):
    lea, _ = users
    supplier = _supplier(lea, city="Lyon")
    update_supplier(supplier, {"name": "Papeterie Martin", "city": "Lyon", "payment_terms_days": 30}, lea)
    assert not AuditRecord.select().where(AuditRecord.action == "supplier.update").exists()
    update_supplier(supplier, {"name": "Papeterie Martin", "city": "Grenoble", "payment_terms_days": 60}, lea)
    record = AuditRecord.get(AuditRecord.action == "supplier.update")
    assert record.before_data == {"city": "Lyon", "payment_terms_days": 30}
    assert record.after_data == {"city": "Grenoble", "payment_terms_days": 60}
    assert record.actor == "lea" and record.target_type == "supplier" and record.target_id == str(supplier.id)


def test_ap_sup_1_archived_supplier_leaves_the_pickers_once(users):
    lea, _ = users
    old, kept = _supplier(lea, name="Ancien"), _supplier(lea, name="Actuel")
    archive_supplier(old, lea)
    archive_supplier(old, lea)
    assert list(active_suppliers()) == [kept]
    assert list(search_suppliers("ancien")) == []
    assert list(search_suppliers("ancien", include_archived=True)) == [Supplier.get_by_id(old.id)]
    assert AuditRecord.select().where(AuditRecord.action == "supplier.archive").count() == 1
    unarchive_supplier(old, lea)
    assert [s.name for s in active_suppliers()] == ["Actuel", "Ancien"]


def test_loc_2_search_ignores_case_not_accents(users):
    lea, _ = users
    _supplier(lea, name="Électricité Œuvre", city="Besançon")
    assert [s.name for s in search_suppliers("électricité")] == ["Électricité Œuvre"]
    assert [s.name for s in search_suppliers("BESANÇON")] == ["Électricité Œuvre"]
    assert list(search_suppliers("besancon")) == []
    assert list(search_suppliers("_")) == [] and list(search_suppliers("%")) == []


def test_ap_sup_2_request_keeps_approved_details_and_only_one_waits(users):
    lea, marc = users
    supplier = _supplier(lea)
    change = request_bank_change(supplier, IBAN, "", lea)
    assert Supplier.get_by_id(supplier.id).iban == "" and pending_bank_change(supplier) == change
    with pytest.raises(BankChangeError) as caught:
        request_bank_change(supplier, NEW_IBAN, "", marc)
    assert "attend déjà une approbation" in str(caught.value)
    with pytest.raises(BankChangeError) as caught:
        request_bank_change(_supplier(lea, name="Autre"), "FR76 3000 6000 0112 3456 7890 188", "", lea)
    assert caught.value.field == "iban" and str(caught.value).startswith("Clé de contrôle IBAN invalide")


def test_ap_sup_2_requester_cannot_approve(users):
    lea, _ = users
    change = request_bank_change(_supplier(lea), IBAN, "", lea)
    with pytest.raises(BankChangeError) as caught:
        approve_bank_change(change, lea)
    assert str(caught.value).startswith("Un autre utilisateur doit approuver ce changement")
    assert BankDetailsChange.get_by_id(change.id).status == "PENDING"
    assert Supplier.get_by_id(change.supplier_id).iban == ""


def test_ap_sup_2_second_user_approves_once(users):
    lea, marc = users
    supplier = _supplier(lea)
    change = request_bank_change(supplier, IBAN, "BNPAFRPPXXX", lea)
    approve_bank_change(change, marc)
    supplier = Supplier.get_by_id(supplier.id)
    assert (supplier.iban, supplier.bic) == (IBAN, "BNPAFRPPXXX")
    for decide in (approve_bank_change, reject_bank_change):
        with pytest.raises(BankChangeError, match="déjà été traité"):
            decide(change, make_user(f"autre-{decide.__name__}"))
    actions = [r.action for r in AuditRecord.select().order_by(AuditRecord.id)]
    assert actions == ["supplier.create", "supplier.bank_change.request", "supplier.bank_change.approve"]

    second = request_bank_change(supplier, NEW_IBAN, "", marc)
    assert second.previous_iban == IBAN
    reject_bank_change(second, marc)  # the requester may withdraw their own request
    assert Supplier.get_by_id(supplier.id).iban == IBAN
    assert BankDetailsChange.get_by_id(second.id).decided_by_id == marc.id
