"""The accountant's booking choices of one supplier invoice (ACC-4, ACC-5): its exchange rate when it
is not in euros, goods or services, the reverse-charge choice and the French VAT rate of each line
under self-assessment. Stored in InvoiceBooking, audited. No Flask here."""
import json

from models import InvoiceBooking, InvoiceLine, SupplierPayment, db, utcnow
from portal.audit import record_action
from portal.texts import N_, Text

# French VAT rates a self-assessed line may take (basis points): 20, 10, 8,5 and 2,1 (overseas), 5,5, 2,1.
FRENCH_RATES = (2000, 1000, 850, 550, 210)


class BookingError(ValueError):
    """A refused choice; `field` names the form field it belongs to, `message` (a Text) says why when
    the field's own message would not."""

    def __init__(self, field, message=None):
        super().__init__(field)
        self.field, self.message = field, message


def booking_of(invoice):
    return InvoiceBooking.get_or_none(InvoiceBooking.invoice == invoice.id)


def chosen_rates(booking):
    return {int(k): v for k, v in json.loads(booking.line_rates or "{}").items()} if booking else {}


def parse_line_rates(invoice, values):
    """{line id: rate} from form values `taux-<line id>` ("" = the line's own rate); BookingError."""
    line_ids = {line_id for line_id, in InvoiceLine.select(InvoiceLine.id).where(InvoiceLine.invoice == invoice.id)
                .tuples()}
    rates = {}
    for name, raw in values.items():
        if not name.startswith("taux-"):
            continue
        try:
            line_id = int(name[5:])
        except ValueError:
            raise BookingError("line_rates") from None
        if line_id not in line_ids:
            raise BookingError("line_rates")
        if raw in ("", None):
            continue
        try:
            rate = int(raw)
        except ValueError:
            raise BookingError("line_rates") from None
        if rate not in FRENCH_RATES:
            raise BookingError("line_rates")
        rates[line_id] = rate
    return rates


def _check_debited_euros(invoice, exchange_rate):
    """The euros debited for the invoice's payments, entered before its rate, checked against it as the
    payment form checks them (a slip there would otherwise reach the books unseen)."""
    from portal.payables.balances import PaymentRefused, check_debited_euros

    for payment in (SupplierPayment.select().where((SupplierPayment.invoice == invoice.id)
                                                   & SupplierPayment.debited_eur.is_null(False))
                    .order_by(SupplierPayment.paid_on, SupplierPayment.id)):
        try:
            check_debited_euros(payment.amount, invoice.currency, payment.debited_eur, exchange_rate)
        except PaymentRefused as refused:
            raise BookingError("exchange_rate", Text(
                N_("Paiement du %(day)s : %(reason)s Corrigez ce cours, ou ce montant débité dans le panneau "
                   "Règlements."), day=payment.paid_on.strftime("%d/%m/%Y"), reason=refused)) from None


def save_booking(invoice, user, *, exchange_rate, nature, reverse_charge, line_rates, remote_addr=""):
    if nature not in ("", "GOODS", "SERVICES"):
        raise BookingError("nature")
    if reverse_charge not in ("", "DOMESTIC", "NONE"):
        raise BookingError("reverse_charge")
    if invoice.currency == "EUR":
        exchange_rate = None
    after = {"exchange_rate": exchange_rate, "nature": nature, "reverse_charge": reverse_charge,
             "line_rates": {str(k): v for k, v in sorted(line_rates.items())}}
    with db.atomic():
        if exchange_rate:
            _check_debited_euros(invoice, exchange_rate)
        booking = booking_of(invoice)
        before = None
        if booking is None:
            booking = InvoiceBooking(invoice=invoice)
        else:
            before = {"exchange_rate": booking.exchange_rate, "nature": booking.nature,
                      "reverse_charge": booking.reverse_charge, "line_rates": json.loads(booking.line_rates or "{}")}
        booking.exchange_rate, booking.nature, booking.reverse_charge = exchange_rate, nature, reverse_charge
        booking.line_rates = json.dumps(after["line_rates"])
        booking.updated_by, booking.updated_at = user, utcnow()
        booking.save()
        record_action("accounting.invoice_booking", "invoice", str(invoice.id), user=user, before=before, after=after,
                      remote_addr=remote_addr)
    return booking
