"""Thread of an invoice and mail queue pages: thin views over thread.py, queue.py and pages.py."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Invoice, OutgoingMail
from portal.auth.decorators import admin_required
from portal.messages import bp, pages, queue
from portal.messages.thread import MessageRefused, may_use_thread, post_message, record_reply
from portal.texts import in_user_language


def _user():
    return current_user._get_current_object()


def _invoice(invoice_id):
    invoice = Invoice.get_or_none(Invoice.id == invoice_id) or abort(404)
    if not may_use_thread(current_user, invoice):
        abort(403)
    return invoice


def _thread_url(invoice):
    return url_for("invoices.detail", invoice_id=invoice.id) + "#inv-thread"


def _refused(form, error):
    target = form[error.field] if error.field and error.field in form else form.body
    target.errors = list(target.errors) + [in_user_language(error)]


@bp.app_context_processor
def inject_thread():
    """templates/messages/_invoice_thread.html, included by the invoice page, asks for its data here."""
    return {"invoice_thread": pages.thread_view}


@bp.route("/facture/<int:invoice_id>")
@login_required
def thread(invoice_id):
    invoice = _invoice(invoice_id)
    if not pages.wants_fragment():
        return redirect(_thread_url(invoice), 303)
    return pages.render_thread(invoice)


@bp.route("/facture/<int:invoice_id>", methods=["POST"])
@login_required
def post(invoice_id):
    invoice = _invoice(invoice_id)
    form = pages.message_form(invoice, request.form)
    if form.validate_on_submit():
        try:
            message = post_message(invoice, _user(), form.body.data, to_supplier=form.to_supplier,
                                   contact_id=form.recipient.data, remote_addr=request.remote_addr)
        except MessageRefused as error:
            _refused(form, error)
        else:
            notice = (_("Message mis en file d'envoi vers le fournisseur.") if form.to_supplier
                      else _("Note interne enregistrée."))
            if not pages.wants_fragment():
                flash(notice, "success")
                return redirect(_thread_url(invoice), 303)
            return pages.render_posted(invoice, message, "messages/_message_form.html", notice)
    return pages.render_form(invoice, "messages/_message_form.html", 422, message_form_=form)


@bp.route("/facture/<int:invoice_id>/reponse", methods=["POST"])
@login_required
def reply(invoice_id):
    invoice = _invoice(invoice_id)
    form = pages.reply_form(invoice, request.form)
    if form.validate_on_submit():
        try:
            message = record_reply(invoice, _user(), form.contact.data, form.body.data,
                                   remote_addr=request.remote_addr)
        except MessageRefused as error:
            _refused(form, error)
        else:
            notice = _("Réponse du fournisseur enregistrée dans le fil.")
            if not pages.wants_fragment():
                flash(notice, "success")
                return redirect(_thread_url(invoice), 303)
            return pages.render_posted(invoice, message, "messages/_reply_form.html", notice)
    return pages.render_form(invoice, "messages/_reply_form.html", 422, reply_form_=form)


# --- Mail queue (administrators) ------------------------------------------------------------


@bp.route("/file")
@admin_required
def mail_queue():
    settings = queue.settings_from_config(current_app.config)
    return render_template("messages/queue.html", settings=settings, **pages.queue_page(_user()))


@bp.route("/file/<int:mail_id>/reessayer", methods=["POST"])
@admin_required
def retry(mail_id):
    mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id) or abort(404)
    try:
        mail = queue.retry_failed(mail, _user(), remote_addr=request.remote_addr)
    except queue.RetryRefused as error:
        message, status = in_user_language(error), 409
    else:
        message, status = _("Courriel remis en file : il partira au prochain passage de l'envoi."), 200
    if not pages.wants_fragment():
        flash(message, "success" if status == 200 else "error")
        return redirect(url_for("messages.mail_queue"), 303)
    return render_template("messages/_queue_row.html", mail=mail, notice=message,
                           **pages.queue_page(_user())), status
