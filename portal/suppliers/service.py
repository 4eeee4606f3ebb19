"""Supplier records and their rules (AP-SUP-1, AP-SUP-2), in plain Python: every write is audited
(AUDIT-1) inside the transaction that makes it, and new bank details wait for a second user."""
import re

from models import AuditRecord, BankDetailsChange, Supplier, SupplierContact, db, utcnow
from portal.audit import record_action
from portal.database import is_postgres, text_contains
from portal.suppliers import identifiers
from portal.texts import N_, Text, TextError

SUPPLIER_FIELDS = ("name", "siren", "siret", "vat_number", "country", "address", "postal_code", "city",
                   "payment_terms_days")
CONTACT_FIELDS = ("name", "role", "email", "phone")
PENDING, APPROVED, REJECTED = "PENDING", "APPROVED", "REJECTED"
TARGET = "supplier"


class SupplierError(TextError):
    """A refused change; `field` names the form field the message belongs next to, if any. str() is the
    French message, translate() the reader's (LOC-3). Built from a template, or from a Text already made."""

    def __init__(self, template, field=None, **params):
        if isinstance(template, Text):
            template, params = template.template, {**template.params, **params}
        super().__init__(template, field, **params)


class BankChangeError(SupplierError):
    pass


def _write():
    """A write transaction; on SQLite it takes the write lock at once, so that two requests cannot
    both see "no pending change" (PostgreSQL locks the supplier row instead, see _lock)."""
    if is_postgres():
        return db.atomic()
    return db.atomic(lock_type="IMMEDIATE")


def _lock(supplier):
    query = Supplier.select().where(Supplier.id == supplier.id)
    if is_postgres():
        query = query.for_update()
    return query.get()


def _audit(action, supplier, user, before=None, after=None, remote_addr=""):
    return record_action(action, TARGET, supplier.id, user=user, before=before, after=after,
                         remote_addr=remote_addr)


# --- Suppliers ------------------------------------------------------------------------------


def supplier_snapshot(supplier):
    return {name: getattr(supplier, name) for name in SUPPLIER_FIELDS}


def _checked(check, value, field, error_class=None, **related):
    try:
        return check(value, **related)
    except identifiers.IdentifierError as error:
        raise (error_class or SupplierError)(error.text, field=field) from None


def _clean_supplier_data(data):
    """Stripped values, identifiers checked and compacted as the forms do, so that no caller can
    store a wrong one; a missing SIREN is taken from the SIRET, which starts with it."""
    values = {name: data.get(name) for name in SUPPLIER_FIELDS if name in data}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if values.get("country"):
        values["country"] = _checked(identifiers.check_country, values["country"], "country")
    if values.get("siren"):
        values["siren"] = _checked(identifiers.check_siren, values["siren"], "siren")
    if values.get("siret"):
        values["siret"] = _checked(identifiers.check_siret, values["siret"], "siret",
                                   siren=values.get("siren") or None)
        values["siren"] = values.get("siren") or values["siret"][:9]
    if values.get("vat_number"):
        values["vat_number"] = _checked(identifiers.check_vat_number, values["vat_number"], "vat_number",
                                        country=values.get("country"), siren=values.get("siren") or None)
    return values


def _refuse_duplicate_siret(siret, supplier_id=None):
    if not siret:
        return
    query = Supplier.select().where(Supplier.siret == siret)
    if supplier_id is not None:
        query = query.where(Supplier.id != supplier_id)
    other = query.first()
    if other is not None:
        raise SupplierError(N_("Ce SIRET est déjà celui du fournisseur « %(name)s » : ouvrez sa fiche plutôt que "
                               "d'en créer une seconde."), field="siret", name=other.name)


def create_supplier(data, user, *, iban="", bic="", remote_addr=""):
    """A new supplier; bank details typed at creation wait for a second user like any change (AP-SUP-2)."""
    values = _clean_supplier_data(data)
    with _write():
        _refuse_duplicate_siret(values.get("siret"))
        supplier = Supplier.create(**values)
        _audit("supplier.create", supplier, user, after=supplier_snapshot(supplier), remote_addr=remote_addr)
        if iban:
            _request_bank_change(supplier, iban, bic, user, remote_addr)
    return supplier


def update_supplier(supplier, data, user, *, remote_addr=""):
    """Save the changed fields; the audit keeps only what changed. Bank details are not edited here."""
    values = _clean_supplier_data(data)
    with _write():
        supplier = _lock(supplier)
        _refuse_duplicate_siret(values.get("siret"), supplier.id)
        changed = {name: value for name, value in values.items() if getattr(supplier, name) != value}
        if changed:
            before = {name: getattr(supplier, name) for name in changed}
            Supplier.update(**changed).where(Supplier.id == supplier.id).execute()
            _audit("supplier.update", supplier, user, before=before, after=changed, remote_addr=remote_addr)
    return Supplier.get_by_id(supplier.id)


def _set_archived(supplier, archived, user, remote_addr):
    with _write():
        supplier = _lock(supplier)
        if supplier.archived != archived:
            Supplier.update(archived=archived).where(Supplier.id == supplier.id).execute()
            _audit("supplier.archive" if archived else "supplier.unarchive", supplier, user,
                   before={"archived": supplier.archived}, after={"archived": archived}, remote_addr=remote_addr)
    return Supplier.get_by_id(supplier.id)


def archive_supplier(supplier, user, *, remote_addr=""):
    """Hidden from buyers (pickers, default list); its page, history and invoices stay."""
    return _set_archived(supplier, True, user, remote_addr)


def unarchive_supplier(supplier, user, *, remote_addr=""):
    return _set_archived(supplier, False, user, remote_addr)


def active_suppliers():
    """Suppliers a buyer may choose (purchase orders, invoices): archived ones never appear."""
    return Supplier.select().where(~Supplier.archived).order_by(Supplier.name, Supplier.id)


# --- Search (LOC-2: case-insensitive, accent-sensitive, on both databases) ------------------

def search_suppliers(text="", include_archived=False):
    """Suppliers whose name or city contains `text`, or whose SIREN, SIRET or VAT number contains it
    (spaces and dots ignored), by name."""
    query = Supplier.select()
    if not include_archived:
        query = query.where(~Supplier.archived)
    text = (text or "").strip()
    if text:
        condition = text_contains(Supplier.name, text) | text_contains(Supplier.city, text)
        compact = re.sub(r"[\s.\-]", "", text).upper()
        if compact:
            condition |= (Supplier.siren.contains(compact) | Supplier.siret.contains(compact)
                          | Supplier.vat_number.contains(compact))
        query = query.where(condition)
    return query.order_by(Supplier.name, Supplier.id)


def supplier_history(supplier, limit=200):
    """Audit records about the supplier, its contacts and its bank details, newest first."""
    return list(AuditRecord.select()
                .where((AuditRecord.target_type == TARGET) & (AuditRecord.target_id == str(supplier.id)))
                .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
                .limit(limit))


# --- Contacts -------------------------------------------------------------------------------


def contact_snapshot(contact):
    return {"contact_id": contact.id, **{name: getattr(contact, name) for name in CONTACT_FIELDS}}


def _contact_values(data):
    return {name: (data.get(name) or "").strip() for name in CONTACT_FIELDS}


def add_contact(supplier, data, user, *, remote_addr=""):
    with db.atomic():
        contact = SupplierContact.create(supplier=supplier, **_contact_values(data))
        _audit("supplier.contact.add", supplier, user, after=contact_snapshot(contact), remote_addr=remote_addr)
    return contact


def update_contact(contact, data, user, *, remote_addr=""):
    values = _contact_values(data)
    with db.atomic():
        before = contact_snapshot(contact)
        changed = {name: value for name, value in values.items() if getattr(contact, name) != value}
        if changed:
            SupplierContact.update(**changed).where(SupplierContact.id == contact.id).execute()
            contact = SupplierContact.get_by_id(contact.id)
            _audit("supplier.contact.update", contact.supplier, user, before=before,
                   after=contact_snapshot(contact), remote_addr=remote_addr)
    return contact


def delete_contact(contact, user, *, remote_addr=""):
    with db.atomic():
        _audit("supplier.contact.delete", contact.supplier, user, before=contact_snapshot(contact),
               remote_addr=remote_addr)
        contact.delete_instance()


def supplier_contacts(supplier):
    return list(supplier.contacts.order_by(SupplierContact.name, SupplierContact.id))


# --- Bank details (AP-SUP-2) ----------------------------------------------------------------


def pending_bank_change(supplier):
    return (BankDetailsChange.select()
            .where((BankDetailsChange.supplier == supplier) & (BankDetailsChange.status == PENDING))
            .order_by(BankDetailsChange.id).first())


def _change_snapshot(change):
    return {"change_id": change.id, "iban": change.iban, "bic": change.bic, "status": change.status,
            "requested_by": change.requested_by.username if change.requested_by_id else None}


def _request_bank_change(supplier, iban, bic, user, remote_addr):
    iban = _checked(identifiers.check_iban, iban, "iban", BankChangeError)
    bic = _checked(identifiers.check_bic, bic, "bic", BankChangeError) if bic else ""
    if pending_bank_change(supplier) is not None:
        raise BankChangeError(N_("Un changement de coordonnées bancaires attend déjà une approbation : "
                                 "faites-le approuver ou rejeter avant d'en demander un autre."))
    if iban == supplier.iban and (bic or "") == supplier.bic:
        raise BankChangeError(N_("Ces coordonnées bancaires sont déjà celles du fournisseur."), field="iban")
    change = BankDetailsChange.create(supplier=supplier, iban=iban, bic=bic or "", previous_iban=supplier.iban,
                                      previous_bic=supplier.bic, status=PENDING, requested_by=user)
    _audit("supplier.bank_change.request", supplier, user, before={"iban": supplier.iban, "bic": supplier.bic},
           after=_change_snapshot(change), remote_addr=remote_addr)
    return change


def request_bank_change(supplier, iban, bic, user, *, remote_addr=""):
    """Record new bank details as PENDING; the supplier keeps paying to the approved ones meanwhile."""
    with _write():
        return _request_bank_change(_lock(supplier), iban, bic, user, remote_addr)


def bank_change_approval_refusal(change, user):
    """Why `user` may not approve `change` (a Text), or None: the rule the pages ask too."""
    if change.status != PENDING:
        return Text(N_("Ce changement a déjà été traité : rechargez la page."))
    if user is not None and change.requested_by_id == user.id:
        return Text(N_("Un autre utilisateur doit approuver ce changement : la personne qui a demandé "
                       "de nouvelles coordonnées bancaires ne peut pas les approuver elle-même."))
    return None


def _decide(change, status, user, now):
    """Move the change out of PENDING once, even if two users click at the same time."""
    updated = (BankDetailsChange.update(status=status, decided_by=user, decided_at=now or utcnow())
               .where((BankDetailsChange.id == change.id) & (BankDetailsChange.status == PENDING))
               .execute())
    if updated != 1:
        raise BankChangeError(N_("Ce changement a déjà été traité : rechargez la page."))
    return BankDetailsChange.get_by_id(change.id)


def approve_bank_change(change, user, *, remote_addr="", now=None):
    """A second user approves: the new details become the supplier's, for the next payments."""
    with _write():
        supplier = _lock(change.supplier)
        change = BankDetailsChange.get_by_id(change.id)
        refusal = bank_change_approval_refusal(change, user)
        if refusal:
            raise BankChangeError(refusal)
        change = _decide(change, APPROVED, user, now)
        before = {"iban": supplier.iban, "bic": supplier.bic, "status": PENDING, "change_id": change.id}
        Supplier.update(iban=change.iban, bic=change.bic).where(Supplier.id == supplier.id).execute()
        _audit("supplier.bank_change.approve", supplier, user, before=before,
               after={**_change_snapshot(change), "approved_by": user.username}, remote_addr=remote_addr)
    return change


def reject_bank_change(change, user, *, remote_addr="", now=None):
    """Reject (or, for the requester, withdraw) a pending change: the approved details stay."""
    with _write():
        supplier = _lock(change.supplier)
        change = _decide(change, REJECTED, user, now)
        _audit("supplier.bank_change.reject", supplier, user,
               before={**_change_snapshot(change), "status": PENDING},
               after={"change_id": change.id, "status": REJECTED, "rejected_by": user.username},
               remote_addr=remote_addr)
    return change


def pending_supplier_ids(supplier_ids):
    """Ids among `supplier_ids` with a bank change waiting for approval (for list badges)."""
    if not supplier_ids:
        return set()
    query = (BankDetailsChange.select(BankDetailsChange.supplier)
             .where(BankDetailsChange.supplier.in_(list(supplier_ids)) & (BankDetailsChange.status == PENDING)))
    return {row.supplier_id for row in query}
