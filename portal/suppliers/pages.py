"""What the supplier pages show: the list, the detail page and its fragments (bank details, contact
rows and forms, history), each rendered as a full page or as the part an htmx request swaps."""
from dataclasses import dataclass, field

from flask import render_template, request
from flask_babel import get_locale, gettext as _
from peewee import fn

from models import Supplier
from portal.suppliers import service
from portal.suppliers.forms import BankDetailsForm, ContactForm
from portal.suppliers.identifiers import country_name, format_iban
from portal.texts import N_

PAGE_SIZE = 50
NEW_CONTACT_PREFIX = "contact-new"
# French texts of the catalogue (N_), translated when the history is shown (LOC-3).
ACTION_LABELS = {
    "supplier.create": N_("Création de la fiche"),
    "supplier.update": N_("Modification de la fiche"),
    "supplier.archive": N_("Archivage"),
    "supplier.unarchive": N_("Désarchivage"),
    "supplier.contact.add": N_("Contact ajouté"),
    "supplier.contact.update": N_("Contact modifié"),
    "supplier.contact.delete": N_("Contact supprimé"),
    "supplier.bank_change.request": N_("Changement de coordonnées bancaires demandé"),
    "supplier.bank_change.approve": N_("Changement de coordonnées bancaires approuvé"),
    "supplier.bank_change.reject": N_("Changement de coordonnées bancaires rejeté"),
}
# An action the labels do not know yet shows this, never its raw code.
OTHER_ACTION = N_("Autre modification")
FIELD_LABELS = {
    "name": N_("Nom"), "siren": N_("SIREN"), "siret": N_("SIRET"), "vat_number": N_("N° de TVA"),
    "country": N_("Pays"), "address": N_("Adresse"), "postal_code": N_("Code postal"), "city": N_("Ville"),
    "payment_terms_days": N_("Délai de paiement (jours)"), "role": N_("Fonction"), "email": N_("E-mail"),
    "phone": N_("Téléphone"), "iban": N_("IBAN"), "bic": N_("BIC"), "status": N_("Statut"),
    "archived": N_("Archivé"),
}
STATUS_LABELS = {"PENDING": N_("en attente"), "APPROVED": N_("approuvé"), "REJECTED": N_("rejeté")}


def wants_fragment():
    return request.headers.get("HX-Request") == "true"


# --- List -----------------------------------------------------------------------------------


SORTS = {"nom": Supplier.name, "siret": Supplier.siret, "tva": Supplier.vat_number, "ville": Supplier.city,
         "pays": Supplier.country, "delai": Supplier.payment_terms_days, "etat": Supplier.archived}


def listing(args):
    """One page of the search, sorted by any column: three queries whatever the number of suppliers."""
    from portal.invoices.paging import Order, page_of, requested_page, sort_choice

    text = args.get("q", "").strip()
    include_archived = args.get("archives") == "1"
    sort, descending = sort_choice(args, SORTS, "nom")
    query = service.search_suppliers(text, include_archived).order_by()
    total = query.select(fn.COUNT(Supplier.id)).scalar()
    page = page_of(query, [Order(SORTS[sort], descending), Order(Supplier.id, descending)], requested_page(args),
                   total, PAGE_SIZE)
    suppliers = page.rows
    link_args = {"q": text or None, "archives": "1" if include_archived else None, "tri": sort,
                 "ordre": "desc" if descending else "asc"}
    return {"q": text, "include_archived": include_archived, "page": page.number, "total": total,
            "pages": page.pages, "suppliers": suppliers, "listing_page": page, "sort": sort, "descending": descending,
            "args": {key: value for key, value in link_args.items() if value is not None},
            "pending_ids": service.pending_supplier_ids([s.id for s in suppliers])}


def render_listing(args, access):
    """The results table alone when the search form asks for it (live search), else the page."""
    values = {"listing": listing(args), "access": access}
    if request.headers.get("HX-Target") == "supplier-results":
        return render_template("suppliers/_results.html", **values)
    return render_template("suppliers/index.html", **values)


# --- History --------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    record: object
    label: str
    changes: list = field(default_factory=list)  # (label, before, after)


def _shown(name, value):
    if value is None or value == "":
        return "—"
    if name == "iban":
        return format_iban(value)
    if name == "country":
        return country_name(value, str(get_locale() or "fr"))
    if name == "status":
        return _(STATUS_LABELS[value]) if value in STATUS_LABELS else "—"
    if name == "archived":
        return _("oui") if value else _("non")
    return str(value)


def history_entry(record):
    before, after = record.before_data or {}, record.after_data or {}
    changes = []
    for name, label in FIELD_LABELS.items():
        if (name not in before and name not in after) or before.get(name) == after.get(name):
            continue
        old = _shown(name, before[name]) if name in before else ""
        new = _shown(name, after[name]) if name in after else ""
        if old in ("", "—") and new in ("", "—"):
            continue
        changes.append((_(label), old, new))
    label = _(ACTION_LABELS.get(record.action, OTHER_ACTION))
    if record.action.startswith("supplier.contact."):  # say which contact
        label = _("%(action)s : %(name)s", action=label, name=after.get("name") or before.get("name"))
    return HistoryEntry(record, label, changes)


def history(supplier):
    return [history_entry(record) for record in service.supplier_history(supplier)]


# --- Detail page and its fragments ----------------------------------------------------------


def new_contact_form(formdata=None):
    """The add-contact form, empty unless `formdata` (the submitted request.form) is given."""
    return ContactForm(formdata=formdata, prefix=NEW_CONTACT_PREFIX)


def bank_context(supplier, access, bank_form=None, bank_error=None, bank_notice=None):
    return {"supplier": supplier, "access": access, "pending": service.pending_bank_change(supplier),
            "bank_form": bank_form or BankDetailsForm(formdata=None), "bank_error": bank_error,
            "bank_notice": bank_notice}


def detail_context(supplier, access, **bank):
    return {**bank_context(supplier, access, **bank), "contacts": service.supplier_contacts(supplier),
            "contact_form": new_contact_form(), "history": history(supplier)}


def render_detail(supplier, access, status=200, **bank):
    return render_template("suppliers/detail.html", **detail_context(supplier, access, **bank)), status


def render_bank(supplier, access, status=200, **bank):
    """The bank-details section and, out of band, the history; the whole page without htmx."""
    if not wants_fragment():
        return render_detail(supplier, access, status, **bank)
    html = render_template("suppliers/_bank_details.html", **bank_context(supplier, access, **bank))
    html += render_template("suppliers/_history.html", supplier=supplier, history=history(supplier), oob=True)
    return html, status


def render_contact_form(supplier, access, form, contact=None, status=200):
    """The form row for htmx (edit in place, or the add row); a page of its own without JavaScript."""
    values = {"supplier": supplier, "access": access, "form": form, "contact": contact}
    template = "suppliers/_contact_form.html" if wants_fragment() else "suppliers/contact_edit.html"
    return render_template(template, **values), status


def contact_changed(html):
    """A contact fragment, with the event that makes the history section reload itself."""
    return html, 200, {"HX-Trigger": "supplier-changed"}


def render_contact_row(supplier, access, contact):
    return contact_changed(render_template("suppliers/_contact_row.html", supplier=supplier, contact=contact,
                                           access=access))


def render_contact_added(supplier, access, contact):
    """The new row followed by an empty add row, replacing the add row that was submitted."""
    return contact_changed(
        render_template("suppliers/_contact_row.html", supplier=supplier, contact=contact, access=access)
        + render_template("suppliers/_contact_form.html", supplier=supplier, access=access,
                          form=new_contact_form(), contact=None, autofocus=True))


def get_supplier(supplier_id):
    return Supplier.get_or_none(Supplier.id == supplier_id)
