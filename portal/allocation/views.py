"""Allocation pages (ALLOC-1..3): thin views over service.py (writes and rules), editor.py (the
invoice editor's rows) and pages.py (what each page or htmx fragment shows)."""
import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import login_required

from models import AnalyticAccess, Invoice
from portal.allocation import bp, pages, service
from portal.allocation import editor as editing
from portal.allocation.access import axes_access_required, export_shops, invoice_access
from portal.allocation.forms import AxisForm, GrantForm, ValueForm
from portal.allocation.rules import format_percent
from portal.allocation.visibility import visible_axes, visible_value_ids
from portal.exports import spreadsheet_safe
from portal.accounting.fec import fec_amount as amount_text
from portal.money import format_amount_input
from portal.numbers import is_ascii_digits, parse_id
from portal.texts import in_user_language
from portal.web import filter_days, url_with

RECALCULATE = "alloc-recalc"  # the event after which the editor's summary recomputes itself


def _user():
    return pages.user()


def _addr():
    return request.remote_addr or ""


def _axis(axis_id):
    return pages.visible_axis(axis_id) or abort(404)


def _value(value_id):
    return pages.visible_value(value_id) or abort(404)


def _target(kind, target_id):
    """(axis or value, the axis it is shown in) from a URL's `axes/<id>` or `valeurs/<id>`."""
    if kind == "axes":
        axis = _axis(target_id)
        return axis, axis
    value = _value(target_id)
    return value, value.axis


def _field_error(form, error):
    target = form[error.field] if error.field in form else form.name
    target.errors = list(target.errors) + [in_user_language(error)]


def _saved(message, axis, render):
    """After a change: the fragment with its message for htmx; without JavaScript, back to the page."""
    if not pages.wants_fragment():
        flash(message, "success")
        return redirect(pages.index_url(axis), 303)
    return render(message)


def _parent(form):
    if not form.parent.data:
        return None
    return pages.visible_value(form.parent.data) or abort(404)


# --- Axes page -----------------------------------------------------------------------------------


@bp.route("/")
@axes_access_required("can_view")
def index(access):
    service.ensure_default_axis(_user())
    return pages.render_index(access)


@bp.route("/axes", methods=["POST"])
@axes_access_required("can_manage")
def create_axis(access):
    form = AxisForm(prefix="axis-new")
    if form.validate_on_submit():
        try:
            axis = service.create_axis(form.name.data, _user(), remote_addr=_addr())
        except service.AnalyticError as error:
            _field_error(form, error)
        else:
            return _saved(_("Axe « %(name)s » créé : ajoutez-lui ses valeurs.", name=axis.name), axis,
                          lambda notice: pages.render_axes(access, notice=notice))
    return pages.render_axes(access, 422, axis_form=form)


@bp.route("/axes/<int:axis_id>")
@axes_access_required("can_view")
def axis_section(axis_id, access):
    """One axis as shown in the list: what "Annuler" in an inline form brings back."""
    axis = _axis(axis_id)
    if not pages.wants_fragment():
        return redirect(pages.index_url(axis), 303)
    return pages.render_axis(axis, access)


@bp.route("/axes/<int:axis_id>/renommer", methods=["GET", "POST"])
@axes_access_required("can_manage")
def rename_axis(axis_id, access):
    axis = _axis(axis_id)
    form = AxisForm(obj=axis, prefix=f"axis-{axis.id}")
    if form.validate_on_submit():
        try:
            axis = service.rename_axis(axis, form.name.data, _user(), remote_addr=_addr())
        except service.AnalyticError as error:
            _field_error(form, error)
        else:
            return _saved(_("Axe renommé « %(name)s ».", name=axis.name), axis,
                          lambda notice: pages.render_axis(axis, access, notice=notice))
    return pages.render_axis(axis, access, 422 if request.method == "POST" else 200, rename_form=form)


@bp.route("/axes/<int:axis_id>/archiver", methods=["POST"])
@bp.route("/axes/<int:axis_id>/desarchiver", methods=["POST"], endpoint="unarchive_axis")
@axes_access_required("can_manage")
def archive_axis(axis_id, access):
    archived = request.endpoint == "allocation.archive_axis"
    axis = service.archive_axis(_axis(axis_id), _user(), archived=archived, remote_addr=_addr())
    message = (_("Axe « %(name)s » archivé : il n'est plus proposé dans les ventilations ; celles déjà faites "
                 "restent.", name=axis.name) if archived
               else _("Axe « %(name)s » désarchivé : il est de nouveau proposé.", name=axis.name))
    return _saved(message, axis, lambda notice: pages.render_axes(access, notice=notice))


@bp.route("/axes/<int:axis_id>/monter", methods=["POST"])
@bp.route("/axes/<int:axis_id>/descendre", methods=["POST"], endpoint="move_axis_down")
@axes_access_required("can_manage")
def move_axis_up(axis_id, access):
    axis = _axis(axis_id)
    service.move_axis(axis, 1 if request.endpoint == "allocation.move_axis_down" else -1, _user(), remote_addr=_addr())
    return _saved(_("Ordre des axes enregistré (« %(name)s » déplacé).", name=axis.name), axis,
                  lambda notice: pages.render_axes(access, notice=notice))


# --- Values --------------------------------------------------------------------------------------


@bp.route("/axes/<int:axis_id>/valeurs", methods=["POST"])
@axes_access_required("can_manage")
def create_value(axis_id, access):
    axis = _axis(axis_id)
    form = pages.new_value_form(axis, service.value_tree(_user(), axis, include_archived=True), request.form)
    if form.validate_on_submit():
        try:
            value = service.create_value(axis, form.name.data, _user(), parent=_parent(form),
                                         code=form.code.data or "", remote_addr=_addr())
        except service.AnalyticError as error:
            _field_error(form, error)
        else:
            return _saved(_("Valeur « %(value)s » ajoutée à l'axe « %(axis)s ».", value=value.name, axis=axis.name), axis,
                          lambda notice: pages.render_axis(axis, access, notice=notice))
    return pages.render_axis(axis, access, 422, value_form=form)


@bp.route("/valeurs/<int:value_id>/modifier", methods=["GET", "POST"])
@axes_access_required("can_manage")
def edit_value(value_id, access):
    value = _value(value_id)
    form = ValueForm(obj=value, prefix=f"value-{value.id}")
    form.set_parents(service.value_tree(_user(), value.axis, include_archived=True), exclude=value)
    if request.method == "GET":
        form.parent.data = value.parent_id or 0
    elif form.validate_on_submit():
        try:
            value = service.update_value(value, _user(), name=form.name.data, code=form.code.data or "",
                                         parent=_parent(form), remote_addr=_addr())
        except service.AnalyticError as error:
            _field_error(form, error)
        else:
            return _saved(_("Valeur « %(name)s » enregistrée.", name=value.name), value.axis,
                          lambda notice: pages.render_axis(value.axis, access, notice=notice))
    return pages.render_axis(value.axis, access, 422 if request.method == "POST" else 200, edit_value=value,
                             value_edit_form=form)


@bp.route("/valeurs/<int:value_id>/archiver", methods=["POST"])
@bp.route("/valeurs/<int:value_id>/desarchiver", methods=["POST"], endpoint="unarchive_value")
@axes_access_required("can_manage")
def archive_value(value_id, access):
    archived = request.endpoint == "allocation.archive_value"
    value = service.archive_value(_value(value_id), _user(), archived=archived, remote_addr=_addr())
    message = (_("Valeur « %(name)s » archivée : elle n'est plus proposée ; les ventilations déjà faites "
                 "restent.", name=value.name) if archived else _("Valeur « %(name)s » désarchivée.", name=value.name))
    return _saved(message, value.axis, lambda notice: pages.render_axis(value.axis, access, notice=notice))


# --- Restrictions and grants (ALLOC-3) -----------------------------------------------------------


@bp.route("/<any(axes, valeurs):kind>/<int:target_id>/acces", methods=["GET", "POST"])
@axes_access_required("can_manage")
def grants(kind, target_id, access):
    target, axis = _target(kind, target_id)
    panel = pages.access_panel(target)
    if request.method == "GET":
        return pages.render_axis(axis, access, panel=panel)
    form = GrantForm(prefix=f"grant-{panel.kind}-{target.id}")
    if not form.validate_on_submit():
        return pages.render_axis(axis, access, 422, panel=pages.access_panel(target, form))
    for keyword, grantee in form.grantees():
        service.grant_access(target, _user(), remote_addr=_addr(), **{keyword: grantee})
    message = (_("Accès accordé.") if target.restricted else
               _("Accès accordé. Il ne compte qu'une fois la visibilité restreinte : tout le monde voit encore "
                 "« %(name)s ».", name=target.name))
    return _saved(message, axis, lambda notice: pages.render_axis(axis, access, panel=pages.access_panel(
        target, notice=notice)))


@bp.route("/<any(axes, valeurs):kind>/<int:target_id>/restriction", methods=["POST"])
@axes_access_required("can_manage")
def restriction(kind, target_id, access):
    target, axis = _target(kind, target_id)
    restricted = request.form.get("restricted") == "1"
    target = service.set_restricted(target, restricted, _user(), remote_addr=_addr())
    message = (_("« %(name)s » n'est plus visible que des personnes autorisées ci-dessous (vous en faites partie).",
                 name=target.name)
               if restricted else _("« %(name)s » est de nouveau visible de tous.", name=target.name))
    return _saved(message, axis, lambda notice: pages.render_axis(axis, access, panel=pages.access_panel(
        target, notice=notice)))


@bp.route("/acces/<int:grant_id>/retirer", methods=["POST"])
@axes_access_required("can_manage")
def revoke(grant_id, access):
    grant = AnalyticAccess.get_or_none(AnalyticAccess.id == grant_id) or abort(404)
    target, axis = _target("axes", grant.axis_id) if grant.axis_id else _target("valeurs", grant.value_id)
    who = service.grantee_label(grant)
    service.revoke_access(grant, _user(), remote_addr=_addr())
    return _saved(_("Accès retiré à %(who)s.", who=who), axis, lambda notice: pages.render_axis(
        axis, access, panel=pages.access_panel(target, notice=notice)))


# --- Reports and export (visible values only) ----------------------------------------------------


def _report_filters(errors):
    """The report's filters; an unreadable day or an inverted range is left out and said in `errors`."""
    start, end = filter_days(request.args, errors)
    filters = {"du": start, "au": end, "axe": parse_id(request.args.get("axe"))}
    return {name: value for name, value in filters.items() if value}


@bp.route("/rapport")
@axes_access_required("can_export")
def report(access):
    errors = {}
    filters = _report_filters(errors)
    shop_ids = [shop.id for shop in export_shops(_user())]
    rows = service.spend_by_value(_user(), {**filters, "shop_ids": shop_ids})
    return render_template("allocation/report.html", rows=rows, filters=filters, errors=errors, access=access,
                           axes=visible_axes(_user(), include_archived=True))


@bp.route("/export.csv")
@axes_access_required("can_export")
def export(access):
    errors = {}
    filters = _report_filters(errors)
    if errors:  # the report says what is wrong with the dates, rather than a file of another period
        return redirect(url_with("allocation.report", request.args.to_dict(flat=False)), 303)
    chunks = service.allocation_export_chunks(_user(), [shop.id for shop in export_shops(_user())], filters)
    header = [_("Date de facture"), _("Fournisseur"), _("N° de facture"), _("Axe"), _("Valeur"),
              _("Montant HT ventilé"), _("Devise")]
    return Response(stream_with_context(_export_lines(chunks, header)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="ventilation-analytique.csv"'})


def _export_lines(chunks, header):
    """The CSV, written and sent a chunk of rows at a time (issue 14: never the whole file in memory).
    The same days, suppliers, axes and values name thousands of rows: each is formatted and
    neutralised (SEC-3) once."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads the file as UTF-8 only with the BOM
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    days, texts = {}, {}

    def day(value):
        text = days.get(value)
        if text is None:
            text = days[value] = value.strftime("%d/%m/%Y")
        return text

    def cell(value):
        text = texts.get(value)
        if text is None:
            if len(texts) > 50_000:
                texts.clear()
            text = texts[value] = _cell(value)
        return text

    for rows in chunks:
        writer.writerows([day(issued), cell(supplier), _cell(number), cell(axis), cell(path),
                          amount_text(amount, currency), currency]
                         for issued, supplier, number, axis, path, amount, currency in rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


_cell = spreadsheet_safe


# --- Invoice allocation editor (ALLOC-2) ---------------------------------------------------------


def _invoice(invoice_id, edit=False):
    invoice = Invoice.get_or_none(Invoice.id == invoice_id) or abort(404)
    allowed = invoice_access(_user(), invoice)
    if not (allowed.can_edit if edit else allowed.can_view):
        abort(403)
    return invoice


def _posted_editor(invoice, remove=None):
    hidden = service.allocations_for(invoice, _user()).hidden_amount
    return editing.editor_from_form(request.form, invoice.total_net, invoice.currency, hidden, remove)


def _detail_url(invoice):
    return url_for("invoices.detail", invoice_id=invoice.id) + "#" + pages.PANEL_ID


@bp.route("/facture/<int:invoice_id>", methods=["GET", "POST"])
@login_required
def invoice_allocation(invoice_id):
    """GET: the panel. POST: save the rows (or, without JavaScript, add or remove one)."""
    invoice = _invoice(invoice_id, edit=request.method == "POST")
    if request.method == "GET":
        return pages.render_panel(invoice) if pages.wants_fragment() else redirect(_detail_url(invoice), 303)
    action = request.form.get("action", "save")
    if action.startswith("remove-") or action in ("add", "refresh"):
        editor = _posted_editor(invoice, remove=int(action[7:]) if is_ascii_digits(action[7:], 4) else None)
        if action == "add":
            editor.rows.append(editing.EditorRow(editor.next_index(), pages.default_axis_id()))
        return pages.render_panel(invoice, editor=editor)
    editor = _posted_editor(invoice)
    if not editing.check_rows(editor):
        return pages.render_panel(invoice, 422, editor=editor)
    inputs, kept = editor.inputs()
    try:
        service.save_allocation(invoice, inputs, _user(), visible_value_ids(_user()),
                                format_amount=pages.money_formatter(invoice.currency), remote_addr=_addr())
    except service.AllocationRefused as refused:
        return pages.render_panel(invoice, 422, editor=editing.place_errors(editor, refused.errors, kept))
    if not pages.wants_fragment():
        flash(_("Ventilation analytique enregistrée."), "success")
        return redirect(_detail_url(invoice), 303)
    return pages.render_panel(invoice, saved=True)


@bp.route("/facture/<int:invoice_id>/ligne", methods=["POST"])
@login_required
def new_row(invoice_id):
    """One more row, filled with what remains to allocate; the summary then recomputes itself."""
    invoice = _invoice(invoice_id, edit=True)
    editor = _posted_editor(invoice)
    row = editing.EditorRow(editor.next_index(), pages.default_axis_id())
    if editor.remaining > 0:
        row.entry = format_amount_input(editor.remaining, invoice.currency)
    html = render_template("allocation/_allocation_row.html", **pages.row_context(invoice, row))
    return html, 200, {"HX-Trigger-After-Settle": RECALCULATE}


@bp.route("/facture/<int:invoice_id>/ligne/<int:index>/retirer", methods=["POST"])
@login_required
def remove_row(invoice_id, index):
    """Nothing in place of the row: htmx removes it; the summary then recomputes itself."""
    _invoice(invoice_id, edit=True)
    return "", 200, {"HX-Trigger-After-Settle": RECALCULATE}


@bp.route("/facture/<int:invoice_id>/valeurs")
@login_required
def value_select(invoice_id):
    """The value list of one row for the axis chosen in it; the value the row had stays selected when
    it is one of that axis (the same axis chosen again), never otherwise."""
    invoice = _invoice(invoice_id, edit=True)
    index = request.args.get("index", 0, type=int)
    row = editing.EditorRow(index, parse_id(request.args.get(f"{editing.PREFIX}-{index}-axis")))
    context = pages.row_context(invoice, row)
    value_id = parse_id(request.args.get(f"{editing.PREFIX}-{index}-value"))
    if value_id in {choice_id for choice_id, _ in context["values"]}:
        row.value_id = value_id
    return render_template("allocation/_value_select.html", **context)


@bp.route("/facture/<int:invoice_id>/calcul", methods=["POST"])
@login_required
def recalculate(invoice_id):
    """The summary (what remains to allocate) and each row's amount, computed as they would be saved."""
    invoice = _invoice(invoice_id, edit=True)
    return render_template("allocation/_allocation_totals.html", invoice=invoice, editor=_posted_editor(invoice),
                           oob=True)


@bp.app_template_global("allocation_panel")
def allocation_panel(invoice, rights=None):
    """Read by allocation/_invoice_allocation.html when the invoice page includes it."""
    return pages.allocation_panel(invoice, rights)


@bp.app_template_filter("percent")
def percent_filter(percent_bp):
    return "" if percent_bp is None else format_percent(percent_bp)


@bp.app_template_filter("grantee")
def grantee_filter(grant):
    return service.grantee_label(grant)
