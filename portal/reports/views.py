"""Report pages: cash-flow timeline and spend dashboard, with a CSV export."""
import csv
import datetime
import io

from flask import Response, abort, render_template, request, stream_with_context
from flask_login import current_user, login_required

from models import Invoice, Supplier
from portal.accounting.fec import fec_amount as amount_text
from portal.allocation.service import spend_by_value
from portal.auth.rights import PAYABLES_RIGHTS, shops_with_any_right, shops_with_right
from portal.exports import spreadsheet_safe_row
from portal.invoices.paging import keyset_chunks
from portal.money import format_amount_input
from portal.reports import bp, data
from portal.reports.timeline import build_timeline, chart_geometry

PERIODS = {"week": ("Semaines", 13), "month": ("Mois", 12)}
OVERDUE_SHOWN = 20  # the most overdue; the count and the total cover them all


def _shops():
    shops = shops_with_any_right(current_user, PAYABLES_RIGHTS)
    if not shops:
        abort(403)
    return shops


def _day(name):
    try:
        return datetime.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/tresorerie")
@login_required
def cashflow():
    shops = _shops()
    period = request.args.get("periode") if request.args.get("periode") in PERIODS else "week"
    currency = "EUR"
    include_to_validate = bool(request.args.get("a_valider"))
    today = datetime.date.today()
    payables = data.outstanding_payables([s.id for s in shops], currency)
    card_shops = [s.id for s in shops_with_right(current_user, "view")]
    inflows, refunds = data.expected_remittances(card_shops, currency, include_to_validate) if card_shops else ([], [])
    outflows = [(invoice.due_date or today, left, f"{invoice.supplier.name} n° {invoice.number}")
                for invoice, left in payables] + refunds
    rows = build_timeline(today, PERIODS[period][1], period, inflows, outflows)
    return render_template("reports/cashflow.html", rows=rows, chart=chart_geometry(rows), period=period,
                           periods=PERIODS, currency=currency, include_to_validate=include_to_validate,
                           overdue=[(i, left) for i, left in payables if i.due_date and i.due_date < today],
                           sees_cards=bool(card_shops), today=today)


def _filters():
    args = {"du": _day("du"), "au": _day("au"), "boutique": request.args.get("boutique", type=int),
            "fournisseur": request.args.get("fournisseur", type=int)}
    return {key: value for key, value in args.items() if value}


@bp.route("/depenses")
@login_required
def dashboard():
    shops = _shops()
    shop_ids = [s.id for s in shops]
    args = _filters()
    if args.get("boutique") not in (None, *shop_ids):
        abort(403)
    currency = "EUR"
    by_supplier = data.spend_by_supplier(shop_ids, currency, args)
    by_month = data.spend_by_month(shop_ids, currency, args)
    return render_template(
        "reports/dashboard.html", shops=shops, suppliers=Supplier.select().order_by(Supplier.name), args=args,
        currency=currency, by_supplier=by_supplier, by_month=by_month,
        by_value=[(row.axis.name, row.path, row.amount)
                  for row in spend_by_value(current_user, {**args, "shop_ids": shop_ids}) if row.currency == currency],
        overdue=data.overdue(shop_ids, currency, datetime.date.today(), limit=OVERDUE_SHOWN),
        overdue_totals=data.overdue_totals(shop_ids, currency, datetime.date.today()),
        largest_supplier=max([total for _, total, _ in by_supplier] + [1]),
        largest_month=max([total for _, total in by_month] + [1]),
    )


@bp.route("/depenses.csv")
@login_required
def dashboard_export():
    shops = _shops()
    args = _filters()
    shop_ids = [s.id for s in shops]
    if args.get("boutique") not in (None, *shop_ids):
        abort(403)

    def rows():
        # Read a thousand invoices at a time by keyset and written a chunk at a time (issue 14);
        # amounts formatted from the integer (fec_amount gives format_amount_input's text, far faster).
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(["Date", "Fournisseur", "Numéro", "Type", "HT", "TVA", "TTC", "Devise", "Statut", "Échéance"])
        yield "\ufeff" + buffer.getvalue()
        query = data.invoices_for_export(shop_ids, "EUR", args).order_by().select(
            Invoice.id, Invoice.issue_date, Supplier.name, Invoice.number, Invoice.kind, Invoice.total_net,
            Invoice.total_vat, Invoice.total_gross, Invoice.currency, Invoice.status, Invoice.due_date).tuples()
        for chunk in keyset_chunks(query, [Invoice.issue_date, Invoice.id], key=lambda row: (row[1], row[0])):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(spreadsheet_safe_row([
                issued.strftime("%d/%m/%Y"), supplier, number, kind, amount_text(net, currency),
                amount_text(vat, currency), amount_text(gross, currency), currency, status,
                due.strftime("%d/%m/%Y") if due else ""])
                for _, issued, supplier, number, kind, net, vat, gross, currency, status, due in chunk)
            yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="depenses.csv"'})
