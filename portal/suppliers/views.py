"""Supplier pages (AP-SUP-1, AP-SUP-2): thin views over service.py (writes and rules) and pages.py
(what each page or htmx fragment shows)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from models import BankDetailsChange, SupplierContact
from portal.suppliers import bp, pages
from portal.suppliers.access import access_required
from portal.suppliers.forms import BankDetailsForm, ContactForm, NewSupplierForm, SupplierForm
from portal.suppliers.identifiers import country_name, format_iban
from portal.suppliers.service import (BankChangeError, SupplierError, add_contact, approve_bank_change,
                                      archive_supplier, create_supplier, delete_contact, reject_bank_change,
                                      request_bank_change, unarchive_supplier, update_contact, update_supplier)
from portal.texts import in_user_language
from portal.web import htmx_redirect


def _user():
    return current_user._get_current_object()


def _supplier(supplier_id):
    return pages.get_supplier(supplier_id) or abort(404)


def _contact(supplier, contact_id):
    return SupplierContact.get_or_none((SupplierContact.id == contact_id)
                                       & (SupplierContact.supplier == supplier)) or abort(404)


def _change(supplier, change_id):
    return BankDetailsChange.get_or_none((BankDetailsChange.id == change_id)
                                         & (BankDetailsChange.supplier == supplier)) or abort(404)


def _field_error(form, error):
    """Put a refusal of the service next to its field (or the name field when it has none)."""
    target = form[error.field] if error.field in form else form.name
    target.errors = list(target.errors) + [in_user_language(error)]


def _detail_url(supplier, anchor=""):
    return url_for("suppliers.detail", supplier_id=supplier.id) + anchor


@bp.route("/")
@access_required("can_view")
def index(access):
    return pages.render_listing(request.args, access)


@bp.route("/<int:supplier_id>")
@access_required("can_view")
def detail(supplier_id, access):
    return pages.render_detail(_supplier(supplier_id), access)


@bp.route("/nouveau", methods=["GET", "POST"])
@bp.route("/<int:supplier_id>/modifier", methods=["GET", "POST"])
@access_required("can_manage")
def edit(access, supplier_id=None):
    supplier = _supplier(supplier_id) if supplier_id else None
    form = SupplierForm(obj=supplier) if supplier else NewSupplierForm()
    if form.validate_on_submit():
        try:
            if supplier:
                supplier = update_supplier(supplier, form.supplier_data(), _user(), remote_addr=request.remote_addr)
            else:
                supplier = create_supplier(form.supplier_data(), _user(), iban=form.iban.data or "",
                                           bic=form.bic.data or "", remote_addr=request.remote_addr)
        except SupplierError as error:
            _field_error(form, error)
        else:
            flash(_("Fournisseur « %(name)s » enregistré.", name=supplier.name), "success")
            return redirect(_detail_url(supplier), 303)
    return render_template("suppliers/edit.html", form=form, supplier=supplier), 422 if form.errors else 200


@bp.route("/<int:supplier_id>/archiver", methods=["POST"])
@bp.route("/<int:supplier_id>/desarchiver", methods=["POST"], endpoint="unarchive")
@access_required("can_manage")
def archive(supplier_id, access):
    supplier = _supplier(supplier_id)
    if request.endpoint == "suppliers.unarchive":
        unarchive_supplier(supplier, _user(), remote_addr=request.remote_addr)
        flash(_("Fournisseur « %(name)s » désarchivé : il réapparaît dans les listes.", name=supplier.name),
              "success")
    else:
        archive_supplier(supplier, _user(), remote_addr=request.remote_addr)
        flash(_("Fournisseur « %(name)s » archivé : il n'apparaît plus dans les choix des acheteurs ; "
                "sa fiche et son historique sont conservés.", name=supplier.name), "success")
    return htmx_redirect(_detail_url(supplier))


# --- Bank details (AP-SUP-2) ----------------------------------------------------------------


@bp.route("/<int:supplier_id>/coordonnees-bancaires", methods=["POST"])
@access_required("can_manage")
def request_bank_details(supplier_id, access):
    supplier = _supplier(supplier_id)
    form = BankDetailsForm()
    if not form.validate_on_submit():
        return pages.render_bank(supplier, access, 422, bank_form=form)
    try:
        request_bank_change(supplier, form.iban.data, form.bic.data or "", _user(), remote_addr=request.remote_addr)
    except BankChangeError as error:  # a change already pending (409), or the same details (422)
        if error.field:
            _field_error(form, error)
        return pages.render_bank(supplier, access, 422 if error.field else 409, bank_form=form,
                                 bank_error=None if error.field else in_user_language(error))
    notice = _("Changement demandé : il attend l'approbation d'un autre utilisateur ; les paiements gardent "
               "l'IBAN actuel.")
    if not pages.wants_fragment():
        flash(notice, "success")
        return redirect(_detail_url(supplier, "#supplier-bank"), 303)
    return pages.render_bank(supplier, access, bank_notice=notice)


@bp.route("/<int:supplier_id>/coordonnees-bancaires/<int:change_id>/approuver", methods=["POST"])
@bp.route("/<int:supplier_id>/coordonnees-bancaires/<int:change_id>/rejeter", methods=["POST"],
          endpoint="reject_bank_details")
@access_required("can_decide_bank_change")
def approve_bank_details(supplier_id, change_id, access):
    supplier = _supplier(supplier_id)
    change = _change(supplier, change_id)
    approving = request.endpoint == "suppliers.approve_bank_details"
    try:
        if approving:
            approve_bank_change(change, _user(), remote_addr=request.remote_addr)
        else:
            reject_bank_change(change, _user(), remote_addr=request.remote_addr)
    except BankChangeError as error:
        return pages.render_bank(pages.get_supplier(supplier.id), access, 409, bank_error=in_user_language(error))
    notice = (_("Nouvelles coordonnées bancaires approuvées : elles serviront aux prochains paiements.")
              if approving else _("Changement de coordonnées bancaires rejeté : l'IBAN actuel reste en vigueur."))
    if not pages.wants_fragment():
        flash(notice, "success")
        return redirect(_detail_url(supplier, "#supplier-bank"), 303)
    return pages.render_bank(pages.get_supplier(supplier.id), access, bank_notice=notice)


# --- Contacts, edited in place --------------------------------------------------------------


@bp.route("/<int:supplier_id>/contacts", methods=["POST"])
@access_required("can_manage")
def new_contact(supplier_id, access):
    supplier = _supplier(supplier_id)
    form = pages.new_contact_form(request.form)
    if not form.validate_on_submit():
        return pages.render_contact_form(supplier, access, form, status=422)
    contact = add_contact(supplier, form.contact_data(), _user(), remote_addr=request.remote_addr)
    if not pages.wants_fragment():
        flash(_("Contact « %(name)s » ajouté.", name=contact.name), "success")
        return redirect(_detail_url(supplier, "#supplier-contacts"), 303)
    return pages.render_contact_added(supplier, access, contact)


@bp.route("/<int:supplier_id>/contacts/<int:contact_id>")
@access_required("can_view")
def contact_row(supplier_id, contact_id, access):
    """The row of one contact: what "Annuler" in an edit form brings back."""
    supplier = _supplier(supplier_id)
    contact = _contact(supplier, contact_id)
    if not pages.wants_fragment():
        return redirect(_detail_url(supplier, f"#contact-{contact.id}"), 303)
    return render_template("suppliers/_contact_row.html", supplier=supplier, contact=contact, access=access)


@bp.route("/<int:supplier_id>/contacts/<int:contact_id>/modifier", methods=["GET", "POST"])
@access_required("can_manage")
def edit_contact(supplier_id, contact_id, access):
    supplier = _supplier(supplier_id)
    contact = _contact(supplier, contact_id)
    form = ContactForm(obj=contact, prefix=f"contact-{contact.id}")
    if not form.validate_on_submit():
        return pages.render_contact_form(supplier, access, form, contact, 422 if request.method == "POST" else 200)
    contact = update_contact(contact, form.contact_data(), _user(), remote_addr=request.remote_addr)
    if not pages.wants_fragment():
        flash(_("Contact « %(name)s » enregistré.", name=contact.name), "success")
        return redirect(_detail_url(supplier, f"#contact-{contact.id}"), 303)
    return pages.render_contact_row(supplier, access, contact)


@bp.route("/<int:supplier_id>/contacts/<int:contact_id>/supprimer", methods=["POST"])
@access_required("can_manage")
def remove_contact(supplier_id, contact_id, access):
    supplier = _supplier(supplier_id)
    contact = _contact(supplier, contact_id)
    delete_contact(contact, _user(), remote_addr=request.remote_addr)
    if not pages.wants_fragment():
        flash(_("Contact « %(name)s » supprimé.", name=contact.name), "success")
        return redirect(_detail_url(supplier, "#supplier-contacts"), 303)
    return pages.contact_changed("")  # htmx swaps the row with nothing: it disappears


@bp.route("/<int:supplier_id>/historique")
@access_required("can_view")
def history(supplier_id, access):
    supplier = _supplier(supplier_id)
    if not pages.wants_fragment():
        return redirect(_detail_url(supplier, "#supplier-history"), 303)
    return render_template("suppliers/_history.html", supplier=supplier, history=pages.history(supplier))


@bp.app_template_filter("iban")
def iban_filter(value):
    return format_iban(value)


@bp.app_template_filter("country_name")
def country_name_filter(code):
    return country_name(code, str(get_locale() or "fr"))
