"""Supplier pages and their HTMX partials through the Flask test client (AP-SUP-1, AP-SUP-2, AUTH-2, AUDIT-1)."""
import html as html_module
import re

import pytest

from models import AuditRecord, BankDetailsChange, Supplier, SupplierContact
from portal.suppliers.service import active_suppliers, create_supplier, request_bank_change
from tests.factories import make_user

HX = {"HX-Request": "true"}
SIREN = "732829320"
SIRET = "73282932000074"
VAT = "FR44732829320"
IBAN = "FR7630006000011234567890189"
NEW_IBAN = "DE89370400440532013000"
BIC = "BNPAFRPPXXX"
NEW_BIC = "COBADEFFXXX"


@pytest.fixture
def buyer(login_as, shop):
    """The logged-in user: keeps the supplier file."""
    return login_as("acheteur", rights=["manage_suppliers"], shop=shop)


@pytest.fixture
def treasurer(app, shop, admin):
    """A second user, in a client of their own, who pays invoices and so may approve bank details."""
    make_user("tresorier", rights={shop: ["pay_invoices"]})
    other = app.test_client()
    assert other.login("tresorier").status_code == 302
    return other


def make_supplier(user=None, **fields):
    data = {"name": "Fournitures Dupont", "country": "FR", "city": "Lyon", "payment_terms_days": 30, **fields}
    return create_supplier(data, user)


def _supplier_form(**overrides):
    data = {"name": "Papeterie Martin", "country": "FR", "siren": "", "siret": "732 829 320 00074",
            "vat_number": "fr 44 732829320", "address": "3 rue des Lilas", "postal_code": "69001", "city": "Lyon",
            "payment_terms_days": "45", "iban": "", "bic": ""}
    data.update(overrides)
    return data


def _field_error(html, field_id):
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    return html_module.unescape(match.group(1)) if match else None


def _names_listed(html):
    return re.findall(r'<a href="/fournisseurs/\d+">([^<]+)</a>', html)


# --- List and search --------------------------------------------------------------------------


def test_ap_sup_1_list_search_by_name_city_and_identifiers(client, buyer):
    make_supplier(name="Électricité Durand", city="Villeurbanne")
    make_supplier(name="Boulangerie Martin", city="Lyon", siret=SIRET, vat_number=VAT)
    make_supplier(name="Garage Petit", city="Paris", country="DE", vat_number="DE136695976")

    assert _names_listed(client.get("/fournisseurs/").get_data(as_text=True)) == [
        "Boulangerie Martin", "Garage Petit", "Électricité Durand"]

    def found(text):
        return _names_listed(client.get("/fournisseurs/", query_string={"q": text}).get_data(as_text=True))

    assert found("boulangerie") == ["Boulangerie Martin"]
    assert found("éLECTRICITÉ") == ["Électricité Durand"], "case-insensitive, also on accented letters (LOC-2)"
    assert found("electricite") == [], "accent-sensitive (LOC-2)"
    assert found("LYON") == ["Boulangerie Martin"]
    assert found("732 829 320") == ["Boulangerie Martin"]
    assert found("00074") == ["Boulangerie Martin"]
    assert found("de136") == ["Garage Petit"]
    assert found("100%") == []


def test_ap_sup_1_live_search_returns_the_results_fragment(client, buyer):
    make_supplier(name="Boulangerie Martin")
    response = client.get("/fournisseurs/?q=boul", headers={**HX, "HX-Target": "supplier-results"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="supplier-results"' in html and "<form" not in html
    assert _names_listed(html) == ["Boulangerie Martin"]


def test_ap_sup_1_list_paginates_by_50(client, buyer):
    for number in range(51):
        make_supplier(name=f"Fournisseur {number:02d}")
    first = client.get("/fournisseurs/").get_data(as_text=True)
    assert len(_names_listed(first)) == 50 and "Page 1 sur 2" in first
    second = client.get("/fournisseurs/?page=2").get_data(as_text=True)
    assert _names_listed(second) == ["Fournisseur 50"]


# --- Create and edit --------------------------------------------------------------------------


def test_ap_sup_1_create_supplier_stores_compact_identifiers(client, buyer):
    response = client.post("/fournisseurs/nouveau", data=_supplier_form())
    assert response.status_code == 303
    supplier = Supplier.get()
    assert response.headers["Location"].endswith(f"/fournisseurs/{supplier.id}")
    assert (supplier.siren, supplier.siret, supplier.vat_number) == (SIREN, SIRET, VAT), "SIREN taken from SIRET"
    assert supplier.payment_terms_days == 45 and supplier.city == "Lyon"
    record = AuditRecord.get(AuditRecord.action == "supplier.create")
    assert record.user_id == buyer.id and record.target_id == str(supplier.id)
    assert record.after_data["siret"] == SIRET
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Papeterie Martin" in page and "Création de la fiche" in page


def test_ap_sup_1_create_shows_errors_next_to_fields(client, buyer):
    data = _supplier_form(name="", siren="732829321", siret="73282932000075", vat_number="DE136695976",
                          iban="FR7630006000011234567890188", bic="BNPAFRPPXX", payment_terms_days="400")
    response = client.post("/fournisseurs/nouveau", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_error(html, "name") == "Saisissez le nom du fournisseur."
    assert _field_error(html, "siren").startswith("Clé de contrôle SIREN invalide")
    assert _field_error(html, "siret").startswith("Clé de contrôle SIRET invalide")
    assert _field_error(html, "vat_number").startswith("Ce numéro de TVA commence par DE (Allemagne)")
    assert _field_error(html, "iban").startswith("Clé de contrôle IBAN invalide")
    assert _field_error(html, "bic") == "Le BIC compte 8 ou 11 caractères ; vous en avez saisi 10."
    assert _field_error(html, "payment_terms_days") == "Entre 0 et 365 jours."
    assert 'aria-describedby="siren-help siren-error"' in html
    assert Supplier.select().count() == 0 and AuditRecord.select().count() == 0


def test_ap_sup_1_siret_must_start_with_siren_and_vat_match_it(client, buyer):
    html = client.post("/fournisseurs/nouveau", data=_supplier_form(
        siren="552100554", siret=SIRET, vat_number=VAT)).get_data(as_text=True)
    assert _field_error(html, "siret") == ("Le SIRET doit commencer par le SIREN 552100554 ; "
                                           "ses 9 premiers chiffres sont 732829320.")
    assert _field_error(html, "vat_number") == ("Ce numéro de TVA ne correspond pas au SIREN 552100554 : "
                                                "le numéro attendu est FR96552100554.")


def test_ap_sup_1_duplicate_siret_refused_next_to_the_field(client, buyer):
    make_supplier(name="Boulangerie Martin", siret=SIRET)
    response = client.post("/fournisseurs/nouveau", data=_supplier_form())
    assert response.status_code == 422
    assert "déjà celui du fournisseur « Boulangerie Martin »" in _field_error(response.get_data(as_text=True), "siret")
    assert Supplier.select().count() == 1


def test_ap_sup_1_edit_supplier_audits_what_changed(client, buyer):
    supplier = make_supplier(buyer, siret=SIRET)
    form = client.get(f"/fournisseurs/{supplier.id}/modifier").get_data(as_text=True)
    assert 'value="Fournitures Dupont"' in form and 'name="iban"' not in form, "bank details change elsewhere"
    response = client.post(f"/fournisseurs/{supplier.id}/modifier",
                           data=_supplier_form(name="Fournitures Dupont", siret=SIRET, vat_number="", city="Grenoble",
                                               payment_terms_days="30", address="", postal_code=""))
    assert response.status_code == 303
    assert Supplier.get_by_id(supplier.id).city == "Grenoble"
    record = AuditRecord.get(AuditRecord.action == "supplier.update")
    assert record.before_data == {"city": "Lyon"} and record.after_data == {"city": "Grenoble"}
    page = client.get(f"/fournisseurs/{supplier.id}").get_data(as_text=True)
    assert "<del>Lyon</del> → Grenoble" in page


def test_ap_sup_2_iban_given_at_creation_waits_for_approval(client, buyer):
    response = client.post("/fournisseurs/nouveau", data=_supplier_form(iban=IBAN, bic=BIC))
    assert response.status_code == 303
    supplier = Supplier.get()
    assert supplier.iban == "" and supplier.bic == ""
    change = BankDetailsChange.get()
    assert (change.iban, change.bic, change.status, change.requested_by_id) == (IBAN, BIC, "PENDING", buyer.id)


# --- Archive ----------------------------------------------------------------------------------


def test_ap_sup_1_archive_hides_from_buyers_but_keeps_the_file(client, buyer):
    supplier = make_supplier(buyer, name="Ancien Fournisseur")
    make_supplier(buyer, name="Fournisseur Actif")
    page = client.get(f"/fournisseurs/{supplier.id}").get_data(as_text=True)
    assert re.search(r'hx-post="/fournisseurs/\d+/archiver"\s+hx-confirm="Archiver', page)

    response = client.post(f"/fournisseurs/{supplier.id}/archiver", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/fournisseurs/{supplier.id}"
    assert [s.name for s in active_suppliers()] == ["Fournisseur Actif"]
    assert _names_listed(client.get("/fournisseurs/").get_data(as_text=True)) == ["Fournisseur Actif"]
    assert _names_listed(client.get("/fournisseurs/?q=ancien").get_data(as_text=True)) == []
    assert _names_listed(client.get("/fournisseurs/?archives=1").get_data(as_text=True)) == [
        "Ancien Fournisseur", "Fournisseur Actif"]
    detail = client.get(f"/fournisseurs/{supplier.id}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "Fournisseur archivé" in html
    assert "Archivage" in html and "Création de la fiche" in html, "history kept"
    assert AuditRecord.get(AuditRecord.action == "supplier.archive").after_data == {"archived": True}

    assert client.post(f"/fournisseurs/{supplier.id}/desarchiver").status_code == 303
    assert [s.name for s in active_suppliers()] == ["Ancien Fournisseur", "Fournisseur Actif"]


# --- Contacts, inline -------------------------------------------------------------------------


def test_ap_sup_1_contact_added_inline(client, buyer):
    supplier = make_supplier(buyer)
    page = client.get(f"/fournisseurs/{supplier.id}").get_data(as_text=True)
    assert 'id="contact-new-form"' in page and 'form="contact-new-form"' in page
    response = client.post(f"/fournisseurs/{supplier.id}/contacts", headers=HX, data={
        "contact-new-name": "Claire Dupont", "contact-new-role": "Comptable",
        "contact-new-email": "claire@dupont.fr", "contact-new-phone": "+33 4 72 00 00 00"})
    html = response.get_data(as_text=True)
    contact = SupplierContact.get()
    assert response.status_code == 200 and "<html" not in html
    assert html.index(f'<tr id="contact-{contact.id}">') < html.index('<tr id="contact-new">'), \
        "the new row, then a fresh add row"
    assert "mailto:claire@dupont.fr" in html and 'value="Claire Dupont"' not in html
    assert (contact.supplier_id, contact.role, contact.phone) == (supplier.id, "Comptable", "+33 4 72 00 00 00")
    record = AuditRecord.get(AuditRecord.action == "supplier.contact.add")
    assert record.target_id == str(supplier.id) and record.after_data["email"] == "claire@dupont.fr"
    assert response.headers["HX-Trigger"] == "supplier-changed", "the history section reloads itself"
    assert 'hx-trigger="supplier-changed from:body"' in page
    history = client.get(f"/fournisseurs/{supplier.id}/historique", headers=HX).get_data(as_text=True)
    assert "<html" not in history and "Contact ajouté" in history and "claire@dupont.fr" in history


def test_ap_sup_1_contact_bad_email_rerenders_form_with_422(client, buyer):
    supplier = make_supplier(buyer)
    response = client.post(f"/fournisseurs/{supplier.id}/contacts", headers=HX, data={
        "contact-new-name": "Claire Dupont", "contact-new-email": "claire@dupont"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert html.lstrip().startswith('<tr id="contact-new">')
    assert _field_error(html, "contact-new-email") == ("Adresse e-mail invalide : elle s'écrit nom@domaine.fr, "
                                                       "sans espace.")
    assert 'value="Claire Dupont"' in html, "what was typed stays"
    assert SupplierContact.select().count() == 0

    response = client.post(f"/fournisseurs/{supplier.id}/contacts", headers=HX, data={"contact-new-name": "Sans Moyen"})
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "contact-new-email") == \
        "Saisissez au moins une adresse e-mail ou un téléphone."


def test_ap_sup_1_contact_edited_in_place_and_deleted(client, buyer):
    supplier = make_supplier(buyer)
    contact = SupplierContact.create(supplier=supplier, name="Paul Durand", email="paul@dupont.fr")
    prefix = f"contact-{contact.id}"

    form = client.get(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/modifier", headers=HX).get_data(as_text=True)
    assert form.lstrip().startswith(f'<tr id="{prefix}">')
    assert "<html" not in form and 'value="Paul Durand"' in form and f'id="{prefix}-form"' in form

    bad = client.post(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/modifier", headers=HX,
                      data={f"{prefix}-name": "Paul Durand", f"{prefix}-email": "pas une adresse"})
    assert bad.status_code == 422 and _field_error(bad.get_data(as_text=True), f"{prefix}-email")

    saved = client.post(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/modifier", headers=HX,
                        data={f"{prefix}-name": "Paul Durand", f"{prefix}-email": "paul@dupont.fr",
                              f"{prefix}-phone": "04 72 11 22 33"})
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and f'<tr id="{prefix}">' in html and "04 72 11 22 33" in html
    assert "<input" not in html.split("</td>")[0], "the row is back, not the form"
    assert SupplierContact.get_by_id(contact.id).phone == "04 72 11 22 33"
    update = AuditRecord.get(AuditRecord.action == "supplier.contact.update")
    assert update.before_data["phone"] == "" and update.after_data["phone"] == "04 72 11 22 33"

    cancel = client.get(f"/fournisseurs/{supplier.id}/contacts/{contact.id}", headers=HX).get_data(as_text=True)
    assert f'<tr id="{prefix}">' in cancel and "<input" not in cancel.split("</td>")[0]

    row = client.get(f"/fournisseurs/{supplier.id}").get_data(as_text=True)
    assert 'hx-confirm="Supprimer le contact Paul Durand ?"' in row
    deleted = client.post(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/supprimer", headers=HX)
    assert deleted.status_code == 200 and deleted.get_data(as_text=True) == ""
    assert SupplierContact.select().count() == 0
    assert AuditRecord.get(AuditRecord.action == "supplier.contact.delete").before_data["name"] == "Paul Durand"


def test_ap_sup_1_contacts_work_without_javascript(client, buyer):
    supplier = make_supplier(buyer)
    added = client.post(f"/fournisseurs/{supplier.id}/contacts", data={
        "contact-new-name": "Claire Dupont", "contact-new-email": "claire@dupont.fr"})
    assert added.status_code == 303 and added.headers["Location"].endswith("#supplier-contacts")
    contact = SupplierContact.get()
    page = client.get(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/modifier")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    invalid = client.post(f"/fournisseurs/{supplier.id}/contacts", data={"contact-new-name": ""})
    assert invalid.status_code == 422 and "<html" in invalid.get_data(as_text=True)


def test_ap_sup_1_contact_of_another_supplier_is_not_found(client, buyer):
    first, second = make_supplier(buyer, name="Un"), make_supplier(buyer, name="Deux")
    contact = SupplierContact.create(supplier=first, name="Paul", email="paul@un.fr")
    assert client.post(f"/fournisseurs/{second.id}/contacts/{contact.id}/supprimer", headers=HX).status_code == 404
    assert SupplierContact.select().count() == 1


# --- Bank details (AP-SUP-2) ------------------------------------------------------------------


@pytest.fixture
def paid_supplier(buyer, treasurer):
    """A supplier whose first IBAN was requested by the buyer and approved by the treasurer."""
    from portal.suppliers.service import approve_bank_change

    supplier = make_supplier(buyer)
    change = request_bank_change(supplier, IBAN, BIC, make_user("ancien"))
    approve_bank_change(change, buyer)
    return Supplier.get_by_id(supplier.id)


def _request_new_details(client, supplier, iban=NEW_IBAN, bic=NEW_BIC):
    return client.post(f"/fournisseurs/{supplier.id}/coordonnees-bancaires", headers=HX,
                       data={"iban": iban, "bic": bic})


def test_ap_sup_2_bank_change_stays_pending_and_supplier_keeps_old_iban(client, paid_supplier):
    response = _request_new_details(client, paid_supplier)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="supplier-bank"' in html and "Changement en attente d'approbation" in html
    assert re.search(r'<section [^>]*id="supplier-history"[^>]*hx-swap-oob="true"', html), "history updated too"
    supplier = Supplier.get_by_id(paid_supplier.id)
    assert (supplier.iban, supplier.bic) == (IBAN, BIC), "payments keep using the approved details"
    change = BankDetailsChange.get(BankDetailsChange.status == "PENDING")
    assert (change.iban, change.previous_iban) == (NEW_IBAN, IBAN)
    record = AuditRecord.get(AuditRecord.action == "supplier.bank_change.request", AuditRecord.after.contains(NEW_IBAN))
    assert record.before_data == {"iban": IBAN, "bic": BIC}
    assert record.after_data["iban"] == NEW_IBAN and record.after_data["status"] == "PENDING"


def test_ap_sup_2_requester_cannot_approve(client, paid_supplier):
    _request_new_details(client, paid_supplier)
    change = BankDetailsChange.get(BankDetailsChange.status == "PENDING")
    page = client.get(f"/fournisseurs/{paid_supplier.id}").get_data(as_text=True)
    assert "/approuver" not in page, "the button is hidden from the requester"
    assert "Un autre utilisateur doit approuver ce changement." in page

    response = client.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires/{change.id}/approuver", headers=HX)
    assert response.status_code == 409
    assert "Un autre utilisateur doit approuver ce changement" in response.get_data(as_text=True)
    assert BankDetailsChange.get_by_id(change.id).status == "PENDING"
    assert Supplier.get_by_id(paid_supplier.id).iban == IBAN
    assert not AuditRecord.select().where(AuditRecord.action == "supplier.bank_change.approve",
                                          AuditRecord.after.contains(NEW_IBAN)).exists()


def test_ap_sup_2_second_user_approves_and_both_steps_are_audited(client, treasurer, paid_supplier):
    _request_new_details(client, paid_supplier)
    change = BankDetailsChange.get(BankDetailsChange.status == "PENDING")
    page = treasurer.get(f"/fournisseurs/{paid_supplier.id}").get_data(as_text=True)
    assert f"/coordonnees-bancaires/{change.id}/approuver" in page and 'hx-confirm="Approuver le nouvel IBAN' in page
    assert "Demander un changement" not in page, "paying is not keeping the supplier file"

    response = treasurer.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires/{change.id}/approuver",
                              headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nouvelles coordonnées bancaires approuvées" in html
    supplier = Supplier.get_by_id(paid_supplier.id)
    assert (supplier.iban, supplier.bic) == (NEW_IBAN, NEW_BIC)
    change = BankDetailsChange.get_by_id(change.id)
    assert change.status == "APPROVED" and change.decided_by.username == "tresorier" and change.decided_at

    requested = AuditRecord.get(AuditRecord.action == "supplier.bank_change.request",
                                AuditRecord.after.contains(NEW_IBAN))
    approved = AuditRecord.get(AuditRecord.action == "supplier.bank_change.approve",
                               AuditRecord.after.contains(NEW_IBAN))
    assert requested.actor == "acheteur" and approved.actor == "tresorier"
    assert approved.before_data["iban"] == IBAN and approved.after_data["iban"] == NEW_IBAN
    assert approved.after_data["status"] == "APPROVED"
    history = treasurer.get(f"/fournisseurs/{paid_supplier.id}").get_data(as_text=True)
    assert "Changement de coordonnées bancaires approuvé" in history
    assert "Changement de coordonnées bancaires demandé" in history


def test_ap_sup_2_one_pending_change_at_a_time(client, paid_supplier):
    _request_new_details(client, paid_supplier)
    response = _request_new_details(client, paid_supplier, iban="FR1420041010050500013M02606", bic="")
    assert response.status_code == 409
    assert "attend déjà une approbation" in response.get_data(as_text=True)
    assert BankDetailsChange.select().where(BankDetailsChange.status == "PENDING").count() == 1


def test_ap_sup_2_invalid_or_unchanged_iban_refused_next_to_field(client, paid_supplier):
    response = _request_new_details(client, paid_supplier, iban="FR7630006000011234567890188")
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "iban").startswith("Clé de contrôle IBAN invalide")
    response = _request_new_details(client, paid_supplier, iban=IBAN, bic=BIC)
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "iban") == \
        "Ces coordonnées bancaires sont déjà celles du fournisseur."
    assert not BankDetailsChange.select().where(BankDetailsChange.status == "PENDING").exists()


def test_ap_sup_2_rejected_change_keeps_old_details(client, treasurer, paid_supplier):
    _request_new_details(client, paid_supplier)
    change = BankDetailsChange.get(BankDetailsChange.status == "PENDING")
    response = treasurer.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires/{change.id}/rejeter",
                              headers=HX)
    assert response.status_code == 200
    assert BankDetailsChange.get_by_id(change.id).status == "REJECTED"
    assert Supplier.get_by_id(paid_supplier.id).iban == IBAN
    assert AuditRecord.get(AuditRecord.action == "supplier.bank_change.reject").after_data["status"] == "REJECTED"
    again = treasurer.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires/{change.id}/approuver", headers=HX)
    assert again.status_code == 409 and "déjà été traité" in again.get_data(as_text=True)


def test_ap_sup_2_bank_flow_works_without_javascript(client, treasurer, paid_supplier):
    response = client.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires",
                           data={"iban": NEW_IBAN, "bic": ""})
    assert response.status_code == 303
    change = BankDetailsChange.get(BankDetailsChange.status == "PENDING")
    refused = client.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires/{change.id}/approuver")
    assert refused.status_code == 409 and "<html" in refused.get_data(as_text=True)
    approved = treasurer.post(f"/fournisseurs/{paid_supplier.id}/coordonnees-bancaires/{change.id}/approuver")
    assert approved.status_code == 303
    assert Supplier.get_by_id(paid_supplier.id).iban == NEW_IBAN


# --- Rights (AUTH-2) --------------------------------------------------------------------------


def test_auth_2_suppliers_need_a_payables_right(client, login_as):
    login_as("vendeur", rights=["view", "refund"])
    assert client.get("/fournisseurs/").status_code == 403


def test_auth_2_anonymous_is_sent_to_login(client, admin):
    response = client.get("/fournisseurs/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("right", ["approve_invoices", "pay_invoices"])
def test_auth_2_viewer_sees_but_cannot_change(client, login_as, right):
    supplier = make_supplier(name="Boulangerie Martin")
    contact = SupplierContact.create(supplier=supplier, name="Paul", email="paul@martin.fr")
    login_as("comptable", rights=[right])
    listing = client.get("/fournisseurs/").get_data(as_text=True)
    assert _names_listed(listing) == ["Boulangerie Martin"] and "Nouveau fournisseur" not in listing
    page = client.get(f"/fournisseurs/{supplier.id}").get_data(as_text=True)
    for hidden in ("/modifier", "/archiver", "/contacts/", "contact-new-form", "Demander un changement"):
        assert hidden not in page, hidden
    forbidden = [
        client.get("/fournisseurs/nouveau"),
        client.post("/fournisseurs/nouveau", data=_supplier_form()),
        client.get(f"/fournisseurs/{supplier.id}/modifier"),
        client.post(f"/fournisseurs/{supplier.id}/modifier", data=_supplier_form()),
        client.post(f"/fournisseurs/{supplier.id}/archiver"),
        client.post(f"/fournisseurs/{supplier.id}/contacts", headers=HX, data={"contact-new-name": "X",
                                                                              "contact-new-email": "x@y.fr"}),
        client.post(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/modifier", data={}),
        client.post(f"/fournisseurs/{supplier.id}/contacts/{contact.id}/supprimer", headers=HX),
        client.post(f"/fournisseurs/{supplier.id}/coordonnees-bancaires", data={"iban": NEW_IBAN}),
    ]
    assert [r.status_code for r in forbidden] == [403] * len(forbidden)
    assert Supplier.select().count() == 1 and SupplierContact.select().count() == 1
    assert not BankDetailsChange.select().exists() and Supplier.get().archived is False


def test_auth_2_approving_invoices_is_not_enough_to_approve_bank_details(client, login_as, shop):
    supplier = make_supplier(name="Boulangerie Martin")
    change = request_bank_change(supplier, NEW_IBAN, "", make_user("demandeur", rights={shop: ["manage_suppliers"]}))
    login_as("approbateur", rights=["approve_invoices"], shop=shop)
    page = client.get(f"/fournisseurs/{supplier.id}").get_data(as_text=True)
    assert "En attente" in page and "/approuver" not in page and "/rejeter" not in page
    for action in ("approuver", "rejeter"):
        response = client.post(f"/fournisseurs/{supplier.id}/coordonnees-bancaires/{change.id}/{action}", headers=HX)
        assert response.status_code == 403
    assert BankDetailsChange.get_by_id(change.id).status == "PENDING"
    assert Supplier.get_by_id(supplier.id).iban == ""


# --- LOC-3: the supplier pages in English --------------------------------------------------------

FRENCH_WORDS = ("Fournisseur", "Enregistrer", "Annuler", "Rechercher", "Modifier", "Supprimer", "Coordonnées",
                "Délai", "Aucun", "Pays", "Adresse", "Téléphone", "Identité", "Archiver", "Demander")


def _main_text(response):
    """The visible text of the page's main part, tags and scripts left out."""
    html = response.get_data(as_text=True)
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    body = main.group(1) if main else html
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", body))


def _no_french(text, *user_data):
    for data in user_data:
        text = text.replace(data, " ")
    found = [word for word in FRENCH_WORDS if word in text]
    assert not found, f"French left in English: {found}"


@pytest.fixture
def english_buyer(login_as, shop):
    return login_as("buyer", rights=["manage_suppliers"], shop=shop, language="en")


def test_loc_3_supplier_list_and_detail_in_english(client, english_buyer):
    supplier = make_supplier(name="Acme Ltd", siret=SIRET, vat_number=VAT)
    SupplierContact.create(supplier=supplier, name="Jane Roe", email="jane@acme.test", phone="")
    request_bank_change(supplier, IBAN, BIC, english_buyer)
    listing = client.get("/fournisseurs/")
    text = _main_text(listing)
    assert "Suppliers" in text and "New supplier" in text and "1 supplier" in text and "IBAN to approve" in text
    _no_french(text, "Acme Ltd", "Lyon")
    detail = _main_text(client.get(f"/fournisseurs/{supplier.id}"))
    for english in ("Identity", "Bank details", "Change waiting for approval", "Another user must approve this change.",
                    "Contacts", "History", "Change of bank details requested", "Payment terms", "30 days", "France"):
        assert english in detail, english
    _no_french(detail, "Acme Ltd", "Lyon", "Jane Roe")


def test_loc_3_supplier_form_errors_in_english(client, english_buyer):
    page = client.get("/fournisseurs/nouveau")
    assert page.status_code == 200
    assert "Legal name" in _main_text(page) and "Payment terms (days)" in _main_text(page)
    _no_french(_main_text(page))
    refused = client.post("/fournisseurs/nouveau", data=_supplier_form(
        name="", siret="732 829 320 00075", vat_number="DE123", payment_terms_days="400"))
    assert refused.status_code == 422
    html = html_module.unescape(refused.get_data(as_text=True))
    assert _field_error(html, "name") == "Enter the supplier's name."
    assert _field_error(html, "siret") == "Invalid SIRET check digit: a digit is wrong or swapped, check the 14 digits."
    assert "but the supplier's country is France" in _field_error(html, "vat_number")
    assert _field_error(html, "payment_terms_days") == "Between 0 and 365 days."
    _no_french(_main_text(refused), "Papeterie Martin", "3 rue des Lilas", "Lyon")


def test_loc_3_bank_and_contact_refusals_and_flashes_in_english(client, english_buyer):
    supplier = make_supplier(name="Acme Ltd")
    same = client.post(f"/fournisseurs/{supplier.id}/coordonnees-bancaires", headers=HX,
                       data={"iban": "FR76 3000 6000 0112 3456 7890 188", "bic": ""})
    assert same.status_code == 422
    assert "Invalid IBAN check digits" in _field_error(html_module.unescape(same.get_data(as_text=True)), "iban")
    asked = client.post(f"/fournisseurs/{supplier.id}/coordonnees-bancaires", headers=HX, data={"iban": IBAN, "bic": BIC})
    assert asked.status_code == 200
    assert "Change requested: it waits for another user's approval" in html_module.unescape(asked.get_data(as_text=True))
    again = client.post(f"/fournisseurs/{supplier.id}/coordonnees-bancaires", headers=HX, data={"iban": NEW_IBAN})
    assert again.status_code == 409
    assert "A change of bank details is already waiting for approval" in html_module.unescape(again.get_data(as_text=True))
    contact = client.post(f"/fournisseurs/{supplier.id}/contacts", data={
        "contact-new-name": "Jane Roe", "contact-new-email": "", "contact-new-phone": ""})
    assert contact.status_code == 422
    assert "Enter at least an e-mail address or a phone number." in html_module.unescape(contact.get_data(as_text=True))
    added = client.post(f"/fournisseurs/{supplier.id}/contacts", follow_redirects=True, data={
        "contact-new-name": "Jane Roe", "contact-new-email": "jane@acme.test", "contact-new-phone": ""})
    assert "Contact “Jane Roe” added." in html_module.unescape(added.get_data(as_text=True))
