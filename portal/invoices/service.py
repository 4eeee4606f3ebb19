"""Supplier invoices in the database: intake, attachment to purchase orders (AP-INV-2), matching
(AP-MATCH-1), request shares, and status changes with their history (AP-FLOW-1). No Flask here."""
import datetime
import json
import unicodedata
from dataclasses import dataclass, field

from peewee import IntegrityError, fn

from models import (Invoice, InvoiceEvent, InvoiceLine, InvoiceRequestShare, InvoiceVat,
                    PurchaseLine, PurchaseOrder, Setting, Supplier, Upload, db)
from portal.audit import record_action
from portal.numbers import is_ascii_digits
from portal.invoices.lifecycle import InvoiceStatus, check_transition
from portal.invoices.matching import InvoicedLine, OrderedLine, Tolerances, match_invoice
from portal.invoices.texts import N_, Text
from portal.messages.notifications import notify_status_change
from portal.purchasing.amounts import line_net
from portal.purchasing.service import received_by_line

TOLERANCES_KEY = "matching_tolerances"


def current_tolerances() -> Tolerances:
    row = Setting.get_or_none(Setting.key == TOLERANCES_KEY)
    return Tolerances.from_dict(json.loads(row.value)) if row else Tolerances()


def save_tolerances(tolerances: Tolerances, user):
    with db.atomic():
        before = current_tolerances().to_dict()
        row = Setting.get_or_none(Setting.key == TOLERANCES_KEY)
        if row is None:
            Setting.create(key=TOLERANCES_KEY, value=json.dumps(tolerances.to_dict()))
        else:
            row.value = json.dumps(tolerances.to_dict())
            row.save()
        record_action("matching.tolerances", "setting", TOLERANCES_KEY, user=user, before=before,
                      after=tolerances.to_dict())
        for invoice in Invoice.select().where(Invoice.order.is_null(False)):
            refresh_discrepancies(invoice)


@dataclass
class LineData:
    description: str
    quantity_milli: int
    unit_price: int
    vat_rate: int
    net_amount: int | None = None  # None: computed from quantity × unit price


@dataclass
class InvoiceData:
    shop: object
    supplier: object
    number: str
    issue_date: datetime.date
    currency: str
    total_net: int
    total_vat: int
    total_gross: int
    due_date: datetime.date | None = None
    kind: str = "INVOICE"
    po_reference: str = ""
    lines: list = field(default_factory=list)
    vat_breakdown: list = field(default_factory=list)  # (category, rate_bp, base, amount)
    source: str = "MANUAL"
    einvoice_profile: str = ""
    document: object = None
    schema_issues: str = ""  # AP-INV-3: JSON of the first XSD errors of an e-invoice read although not conforming


class DuplicateInvoice(Exception):
    def __init__(self, existing):
        super().__init__(f"invoice {existing.number} already recorded")
        self.existing = existing


def invoice_number(text):
    """The number as kept and compared: NFKC (full-width letters, a PDF's non-breaking spaces) and single
    spaces, so that « FA\u00a0100 », « FA  100 » and « ＦＡ 100 » are the invoice « FA 100 » already saved."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def duplicate_of(supplier, number):
    return Invoice.get_or_none((Invoice.supplier == supplier)
                               & (fn.LOWER(Invoice.number) == invoice_number(number).lower()))


def find_order(supplier, po_reference):
    """The purchase order an invoice quotes (BT-13), for the same supplier."""
    reference = (po_reference or "").strip()
    if not reference:
        return None
    return PurchaseOrder.get_or_none((fn.UPPER(PurchaseOrder.number) == reference.upper())
                                     & (PurchaseOrder.supplier == supplier))


def order_from_lines(supplier, einvoice):
    """AP-INV-3: the purchase order of this supplier that the invoice's lines quote (BT-132 and the line's
    order number) when the header names none (BT-13 empty); the most quoted one that exists."""
    for reference in einvoice.line_order_references:
        order = find_order(supplier, reference)
        if order is not None:
            return order
    return None


def create_invoice(data: InvoiceData, user):
    existing = duplicate_of(data.supplier, data.number)
    if existing is not None:
        raise DuplicateInvoice(existing)
    due_date = data.due_date or data.issue_date + datetime.timedelta(days=data.supplier.payment_terms_days)
    try:
        with db.atomic():
            invoice = Invoice.create(
                shop=data.shop, supplier=data.supplier, number=invoice_number(data.number), kind=data.kind,
                issue_date=data.issue_date, due_date=due_date, currency=data.currency, total_net=data.total_net,
                total_vat=data.total_vat, total_gross=data.total_gross, po_reference=data.po_reference.strip(),
                order=find_order(data.supplier, data.po_reference), status=InvoiceStatus.RECEIVED,
                source=data.source, einvoice_profile=data.einvoice_profile, document=data.document, created_by=user,
                schema_issues=data.schema_issues,
            )
            for position, line in enumerate(data.lines, start=1):
                InvoiceLine.create(invoice=invoice, position=position, description=line.description,
                                   quantity_milli=line.quantity_milli, unit_price=line.unit_price,
                                   vat_rate=line.vat_rate,
                                   net_amount=line.net_amount if line.net_amount is not None
                                   else line_net(line.quantity_milli, line.unit_price))
            for category, rate, base, amount in data.vat_breakdown:
                InvoiceVat.create(invoice=invoice, category=category, rate=rate, base=base, amount=amount)
            refresh_discrepancies(invoice)
            InvoiceEvent.create(invoice=invoice, user=user, action="receive", to_status=InvoiceStatus.RECEIVED,
                                reason=_intake_note(data, invoice))
            record_action("invoice.create", "invoice", invoice.id, user=user,
                          after={"supplier": data.supplier.name, "number": invoice.number, "source": data.source,
                                 "total_gross": data.total_gross, "order": invoice.order.number if invoice.order else None,
                                 "schema_conforming": not data.schema_issues})
    except IntegrityError:
        existing = duplicate_of(data.supplier, data.number)
        if existing is not None:
            raise DuplicateInvoice(existing)
        raise
    return invoice


def _intake_note(data, invoice):
    source = {"MANUAL": "saisie manuelle", "PDF": "PDF déposé", "FACTURX": f"Factur-X {data.einvoice_profile}",
              "CII": f"XML CII {data.einvoice_profile}", "UBL": "XML UBL"}.get(data.source, data.source)
    note = f"Reçue par {source}"
    if data.schema_issues:
        note += ", non conforme au schéma XSD (à accepter ou refuser)"
    if invoice.order:
        note += f", rattachée au bon de commande {invoice.order.number}"
    elif data.po_reference:
        note += f" ; la référence d'achat « {data.po_reference} » ne correspond à aucun bon de commande de ce fournisseur"
    return note + "."


# --- Matching ----------------------------------------------------------------------------------


def _ordered_lines(invoice):
    order = invoice.order
    received = received_by_line(order)
    earlier = (InvoiceLine.select(InvoiceLine.order_line, InvoiceLine.description, InvoiceLine.quantity_milli,
                                  InvoiceLine.invoice)
               .join(Invoice)
               .where((Invoice.order == order) & (Invoice.id < invoice.id) & (Invoice.status != InvoiceStatus.REFUSED)))
    lines = list(order.lines.order_by(PurchaseLine.position))
    invoiced_before = {}
    for earlier_line in earlier:
        if earlier_line.order_line_id:
            invoiced_before[earlier_line.order_line_id] = (invoiced_before.get(earlier_line.order_line_id, 0)
                                                           + earlier_line.quantity_milli)
    return [OrderedLine(l.id, l.position, l.description, l.quantity_milli, l.unit_price, received.get(l.id, 0),
                        invoiced_before.get(l.id, 0)) for l in lines]


def discrepancies(invoice):
    """The discrepancies of an invoice with its order and deliveries (none without an order)."""
    if invoice.order is None:
        return []
    invoiced = [InvoicedLine(l.position, l.description, l.quantity_milli, l.unit_price, l.net_amount, l.order_line_id)
                for l in invoice.lines.order_by(InvoiceLine.position)]
    return match_invoice(invoiced, _ordered_lines(invoice), invoice.total_net, current_tolerances())


def _link_lines(invoice):
    """Remember which order line each invoice line was paired with (cumulative checks use it)."""
    from portal.invoices.matching import pair_lines

    ordered = _ordered_lines(invoice)
    invoiced = [InvoicedLine(l.position, l.description, l.quantity_milli, l.unit_price, l.net_amount, l.order_line_id)
                for l in invoice.lines.order_by(InvoiceLine.position)]
    rows = {l.position: l for l in invoice.lines}
    for line, order_line in pair_lines(invoiced, ordered):
        row = rows[line.position]
        wanted = order_line.id if order_line else None
        if row.order_line_id != wanted:
            row.order_line = wanted
            row.save()


def refresh_discrepancies(invoice):
    if invoice.order is not None:
        _link_lines(invoice)
    count = len(discrepancies(invoice))
    if count != invoice.discrepancy_count:
        invoice.discrepancy_count = count
        invoice.save()
    return count


def refresh_order_invoices(order):
    for invoice in order.invoices.order_by(Invoice.id):
        refresh_discrepancies(invoice)


# --- Lifecycle -----------------------------------------------------------------------------------


def _locked_invoice(invoice_id):
    from portal.database import is_postgres

    query = Invoice.select().where(Invoice.id == invoice_id)
    if is_postgres():
        query = query.for_update()
    return query.get()


def schema_pending(invoice):
    """AP-INV-3: an e-invoice read although it fails its XSD, on which nobody has decided yet."""
    return bool(invoice.schema_issues) and not invoice.schema_decision


def schema_issues_of(invoice):
    return json.loads(invoice.schema_issues) if invoice.schema_issues else []


def apply_action(invoice_id, action_name, user, rights, reason="", override_reason=""):
    """Move an invoice to its next status, with who/when/why in its history; returns the invoice."""
    from portal.payments.service import money_transaction

    with money_transaction():
        invoice = _locked_invoice(invoice_id)
        count = refresh_discrepancies(invoice)
        action = check_transition(action_name, invoice.status, rights, reason, count, override_reason,
                                  schema_pending=schema_pending(invoice))
        before = invoice.status
        if action.keeps_status:
            return _accept_schema(invoice, user, reason)
        invoice.status = action.to
        note = (reason or "").strip()
        if action_name in ("approve", "approve_partially") and count:
            invoice.override_reason = override_reason.strip()
            invoice.override_by = user
            invoice.override_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
            note = (note + " — " if note else "") + f"Écarts acceptés ({count}) : {override_reason.strip()}"
        invoice.save()
        InvoiceEvent.create(invoice=invoice, user=user, action=action_name, from_status=before, to_status=action.to,
                            reason=note)
        record_action(f"invoice.{action_name}", "invoice", invoice.id, user=user, before={"status": before},
                      after={"status": str(action.to), "reason": note, "discrepancies": count})
        # The supplier's contacts hear of refusals, disputes, approvals and payments (AP-CONT-1), with
        # the reason given, not the internal justification of accepted discrepancies.
        notify_status_change(invoice, action_name, reason, user)
        if invoice.order is not None and action.to == InvoiceStatus.REFUSED:
            refresh_order_invoices(invoice.order)  # a refused invoice no longer counts in the cumulated quantities
    return invoice


def _accept_schema(invoice, user, reason):
    """The user takes a non-conforming e-invoice as it was read (AP-INV-3): kept in its history and the audit."""
    note = "Facture électronique non conforme au schéma XSD acceptée telle qu'elle a été lue"
    note += f" : {reason.strip()}" if (reason or "").strip() else "."
    invoice.schema_decision = "ACCEPTED"
    invoice.save()
    InvoiceEvent.create(invoice=invoice, user=user, action="accept_schema", from_status=invoice.status,
                        to_status=invoice.status, reason=note)
    record_action("invoice.accept_schema", "invoice", invoice.id, user=user, before={"schema_decision": ""},
                  after={"schema_decision": "ACCEPTED", "issues": len(schema_issues_of(invoice)),
                         "reason": (reason or "").strip()})
    return invoice


# --- Split across purchase requests -----------------------------------------------------------------


class ShareRefused(ValueError):
    """`text` is translated by the page; str() is its French."""

    def __init__(self, template, **params):
        self.text = Text(template, **params)
        super().__init__(str(self.text))


def set_request_shares(invoice, shares, user):
    """One invoice across several purchase requests: the shares (HT) must sum to the invoice's net total."""
    shares = {request: amount for request, amount in shares.items() if amount}
    if any(amount < 0 for amount in shares.values()):
        raise ShareRefused(N_("Une part ne peut pas être négative."))
    if shares and sum(shares.values()) != invoice.total_net:
        raise ShareRefused(N_("Les parts doivent totaliser exactement le montant HT de la facture "
                              "(%(net)s contre %(total)s en unités mineures)."),
                           net=invoice.total_net, total=sum(shares.values()))
    with db.atomic():
        before = {share.request.number: share.amount for share in invoice.request_shares}
        InvoiceRequestShare.delete().where(InvoiceRequestShare.invoice == invoice).execute()
        for request, amount in shares.items():
            InvoiceRequestShare.create(invoice=invoice, request=request, amount=amount)
        record_action("invoice.request_shares", "invoice", invoice.id, user=user, before=before,
                      after={request.number: amount for request, amount in shares.items()})


def spend_by_request(requests):
    """Invoiced amount (HT) per purchase request; an invoice split in shares counts once in total."""
    rows = (InvoiceRequestShare.select(InvoiceRequestShare.request, fn.SUM(InvoiceRequestShare.amount).alias("total"))
            .join(Invoice).where((InvoiceRequestShare.request.in_(list(requests)))
                                 & (Invoice.status != InvoiceStatus.REFUSED))
            .group_by(InvoiceRequestShare.request))
    return {row.request_id: int(row.total) for row in rows}


def create_supplier_from_einvoice(name, vat_number, siret_or_siren, country, user):
    """A supplier first met on an e-invoice: created from what the invoice says, audited."""
    digits = "".join(ch for ch in (siret_or_siren or "") if is_ascii_digits(ch))
    with db.atomic():
        supplier = Supplier.create(name=name.strip() or vat_number, vat_number=vat_number or "",
                                   siret=digits if len(digits) == 14 else "",
                                   siren=digits[:9] if len(digits) in (9, 14) else "", country=country or "FR")
        record_action("supplier.create", "supplier", supplier.id, user=user,
                      after={"name": supplier.name, "vat_number": supplier.vat_number, "from": "e-invoice"})
    return supplier


def find_supplier(vat_number, siret_or_siren):
    """The supplier an e-invoice comes from: by VAT number, else by SIRET/SIREN."""
    if vat_number:
        found = Supplier.get_or_none(fn.UPPER(Supplier.vat_number) == vat_number.replace(" ", "").upper())
        if found:
            return found
    digits = "".join(ch for ch in (siret_or_siren or "") if is_ascii_digits(ch))
    if len(digits) == 14:
        return Supplier.get_or_none((Supplier.siret == digits) | (Supplier.siren == digits[:9]))
    if len(digits) == 9:
        return Supplier.get_or_none(Supplier.siren == digits)
    return None


def store_upload(store, data, media_type, filename, user):
    """Keep an uploaded file and record who put it in (SEC-1: only they may open it until it
    becomes part of an invoice)."""
    document = store.put(data, media_type)
    return Upload.create(document=document, uploaded_by=user, filename=(filename or "")[:255])
