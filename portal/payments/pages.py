"""What the payment pages show: view models built from the rules, forms pre-filled, and the
fragments an operation returns (the form, or its result plus out-of-band updates)."""
import datetime
import functools
import json
import zoneinfo
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from models import Operation, Transaction
from portal.auth.rights import rights_on, shops_with_right
from portal.money import format_amount_input
from portal.payments.cards import NETWORK_LABELS, default_network, mask
from portal.payments.forms import DuplicateForm, InstalmentForm, NewPaymentForm, OperationForm
from portal.payments.instalments import (BASE_REFERENCE_MAX, EVERY_N_DAYS, MAX_INSTALMENTS, MAX_PERIOD_DAYS,
                                         MIN_INSTALMENTS, prefill)
from portal.payments.fraud import FraudResult
from portal.payments.lifecycle import OperationKind as Kind
from portal.payments.lifecycle import TransactionState as State
from portal.payments.lifecycle import allowed_operations
from portal.fastmoney import money_formatter
from portal.payments.receipts import has_receipt
from portal.payments.service import (DuplicateFields, NewPayment, awaiting_gateway, facts_for, generate_reference,
                                     instalment_schedule, new_idempotency_key)
from portal.texts import N_, in_user_language
from portal.web import IdLinks

REMAINING, CREDITED = N_("reste %(amount)s"), N_("remboursé %(amount)s")  # under a list row's amount
OPERATION_SLUG = {Kind.VALIDATE: "valider", Kind.CANCEL: "annuler", Kind.CREDIT: "rembourser",
                  Kind.DUPLICATE: "dupliquer"}
STATE_TONE = {
    State.CAPTURED: "ok", State.CREDITED: "ok", State.TO_CAPTURE: "info", State.TO_CREDIT: "info",
    State.TO_VALIDATE: "warn", State.TO_VALIDATE_NO_AUTH: "warn", State.TO_AUTHORIZE: "warn",
    State.REFUSED: "danger", State.FRAUD_SUSPECTED: "danger", State.CAPTURE_REFUSED: "danger",
    State.UNPAID: "danger", State.CANCELLED: "muted", State.EXPIRED: "muted",
}


@dataclass
class TransactionView:
    txn: Transaction
    facts: object
    operations: list  # lifecycle.Availability, in a fixed order
    rights: frozenset = frozenset()
    fmt: object = None  # the amount formatter of the transaction's currency in the user's locale
    timezone: str = ""  # the merchant's time zone (Babel's, which the date and time filters use)

    def money(self, minor):
        """Same text as the `money` filter, without Babel's per-call locale lookups."""
        if self.fmt is None:
            self.fmt = money_formatter(self.txn.currency, _locale())
        return self.fmt(minor)

    @functools.cached_property
    def created_local(self):
        """The creation instant in the merchant's time zone (stored naive UTC), as the date filter reads it."""
        if not self.timezone:
            self.timezone = str(get_timezone())
        return self.txn.created_at.replace(tzinfo=datetime.UTC).astimezone(zoneinfo.ZoneInfo(self.timezone))

    @property
    def created_day(self):
        """Same text as the `date` filter (dd/MM/yyyy, digits in every locale)."""
        return self.created_local.strftime("%d/%m/%Y") if self.txn.created_at else ""

    @property
    def created_time(self):
        """Same text as the `time` filter (HH:mm:ss)."""
        return self.created_local.strftime("%H:%M:%S") if self.txn.created_at else ""

    @property
    def state(self):
        return State(self.txn.state)

    @property
    def tone(self):
        return STATE_TONE[self.state]

    @property
    def allowed(self):
        return [op for op in self.operations if op.allowed]

    def slug(self, availability):
        return OPERATION_SLUG[availability.kind]

    links: object = None  # a RowFormatting's link cache, shared by the rows of a list
    translate: object = None  # a RowFormatting's translations, looked up once per request and message

    def text(self, msgid):
        """A catalogue message (a state or an operation), as the templates' `_` gives it (Markup: the
        catalogue is trusted), without Babel's per-call look-ups on every row of a list."""
        return Markup(self.translate(msgid) if self.translate is not None else _(msgid))

    def link(self, endpoint, **values):
        """url_for(endpoint, transaction_id=<this one>, **values), built once per request and endpoint."""
        if self.links is None:
            self.links = Links()
        return self.links(endpoint, self.txn.id, values)

    @property
    def networks(self):
        return [NETWORK_LABELS.get(n, n) for n in self.txn.networks.split(",") if n]

    @functools.cached_property
    def row(self):
        """What a row of the list shows, worked out in one call: a Jinja call or attribute look-up per
        cell cost more than the row's HTML (issue 10). Catalogue texts are Markup (trusted), the rest is
        escaped by the template. Operations are (label, link, reason), link None when refused."""
        txn, facts = self.txn, self.facts
        remaining, credited = facts.remaining, facts.balances.credited
        operations = tuple(
            (self.text(op.label),
             self.link("payments.operation", slug=OPERATION_SLUG[op.kind], contexte="liste") if op.allowed else None,
             op.reason)
            for op in self.operations)
        return (txn.id, txn.reference, txn.order_reference, self.link("payments.detail"), self.created_day,
                self.created_time, txn.masked_pan, " / ".join(self.networks), self.money(txn.amount),
                self._amount_text(REMAINING, remaining) if remaining and remaining != txn.amount else "",
                self._amount_text(CREDITED, credited) if credited else "",
                self.tone, self.text(self.state.label), operations)

    def _amount_text(self, msgid, minor):
        """`_(msgid, amount=…)` as a template writes it: the catalogue text with the amount escaped."""
        return self.text(msgid) % {"amount": self.money(minor)}

    @property
    def state_label(self):
        return _(self.state.label)

    @property
    def unavailable(self):
        """Operations the user holds the right for but cannot do now, with the reason as text: a phone
        cannot hover a greyed-out button (issue 11)."""
        return [op for op in self.operations if not op.allowed and op.right in self.rights]


class Links:
    """url_for of the routes a list links every transaction to: one IdLinks per route and values."""

    def __init__(self):
        self._built = {}

    def __call__(self, endpoint, transaction_id, values):
        key = (endpoint, *sorted(values.items()))
        links = self._built.get(key)
        if links is None:
            links = self._built[key] = IdLinks(endpoint, "transaction_id", **values)
        return links(transaction_id)


class RowFormatting:
    """What every row of a list formats, looked up once per request: the user's locale, one money
    formatter per currency, today's date, and each translated message (the list refuses the same
    operation for the same reason on many rows)."""

    def __init__(self, ctx):
        self.locale = _locale()
        self.today = ctx.today()
        self.timezone = str(get_timezone())
        self._translate = ctx.t
        self._messages = {}
        self.links = Links()

    def t(self, template, **params):
        """`ctx.t(template, **params)`, the catalogue read once per message: like gettext (and
        lifecycle.french), the translation is looked up without the values, then filled in (many
        rows refuse the same operation with their own amount)."""
        try:
            message = self._messages[template]
        except KeyError:
            message = self._messages[template] = self._translate(template)
        return message % params if params else message

    def fmt(self, currency):
        return money_formatter(currency, self.locale)


def transaction_view(ctx, txn, rights, operations=None, formatting=None):
    """The view of one transaction; a list passes one `formatting` (RowFormatting) for all its rows."""
    facts = facts_for(txn, ctx.timezone, operations)
    formatting = formatting or RowFormatting(ctx)
    fmt = formatting.fmt(txn.currency)
    view = TransactionView(txn, facts, allowed_operations(facts, rights, formatting.today, formatting.t, fmt))
    view.rights = rights
    view.fmt = fmt
    view.timezone = formatting.timezone
    view.links = formatting.links
    view.translate = formatting.t
    return view


def detail_context(ctx, txn, user):
    operations = list(txn.operations.order_by(Operation.at, Operation.id))
    view = transaction_view(ctx, txn, rights_on(user, txn.shop), operations)
    return {
        "view": view,
        "txn": txn,
        "history": operations,
        "fraud": FraudResult.from_dict(json.loads(txn.fraud_result)) if txn.fraud_result else None,
        "unpaids": list(txn.unpaids),
        "remittances": [op for op in operations if op.sent_at or op.remittance_status],
        "receipt_ops": [op for op in operations if has_receipt(op)],
        "duplicates": list(txn.duplicates.order_by(Transaction.id)),
        "schedule": schedule_rows(ctx, instalment_schedule(txn), user),
        **gateway_context(txn, user),
    }


def gateway_context(txn, user, refresh=None):
    """The gateway panel of the detail page (PAY-GW-1); `refresh` is the result of a refresh."""
    return {"txn": txn, "awaiting": awaiting_gateway(txn), "can_refresh": "view" in rights_on(user, txn.shop),
            "refresh_message": in_user_language(refresh.message) if refresh else "", "refresh_ok": bool(refresh and refresh.reachable)}


# --- Operations ---------------------------------------------------------------------------


def _locale():
    return str(get_locale() or "fr")


def operation_form(kind, txn, view):
    availability = next(op for op in view.operations if op.kind == kind)
    form_class = DuplicateForm if kind == Kind.DUPLICATE else OperationForm
    form = form_class(currency=txn.currency)
    if request.method == "GET":
        form.amount.data = format_amount_input(availability.maximum, txn.currency, _locale())
        form.idempotency_key.data = new_idempotency_key()
        form.context.data = request.args.get("contexte", "detail")
        if kind == Kind.DUPLICATE:
            form.reference.data = f"{txn.reference[:31]}D{len(list(txn.duplicates)) + 1}"
            form.capture_mode.data = txn.capture_mode
            form.capture_delay.data = txn.capture_delay
            form.order_reference.data = txn.order_reference
            form.customer_code.data = txn.customer_code
            form.free_info.data = txn.free_info
            form.network.data = txn.network
    if kind == Kind.DUPLICATE:
        form.network.choices = [(n, NETWORK_LABELS.get(n, n)) for n in txn.networks.split(",")]
    return form


def duplicate_fields(form):
    return DuplicateFields(
        reference=form.reference.data.strip(), capture_mode=form.capture_mode.data,
        capture_delay=form.capture_delay.data, order_reference=form.order_reference.data or "",
        customer_code=form.customer_code.data or "", free_info=form.free_info.data or "",
        network=form.network.data or "",
    )


def render_operation(ctx, kind, txn, view, *, form=None, outcome=None, status=200):
    """The fragment for htmx (form, or result with out-of-band row/summary), or the full page."""
    availability = next(op for op in view.operations if op.kind == kind)
    context_name = (form.context.data if form is not None else request.form.get("context")) or "detail"
    values = {"kind": kind, "slug": OPERATION_SLUG[kind], "txn": txn, "view": view, "form": form,
              "outcome": outcome, "availability": availability, "context_name": context_name}
    if request.headers.get("HX-Request") != "true":
        return render_template("payments/operation.html", **values), status
    if outcome is None:
        return render_template("payments/_operation_form.html", **values), status
    if context_name == "liste":
        values["several_shops"] = len(shops_with_right(current_user, "view")) > 1
    else:
        values.update(detail_context(ctx, txn, current_user))
    return render_template("payments/_operation_result.html", oob=True, **values), status


# --- New payment ------------------------------------------------------------------------------


def new_payment_form(ctx, user):
    shops = shops_with_right(user, "create_payment")
    form = NewPaymentForm(today=ctx.today())
    form.shop.choices = [(shop.id, f"{shop.name} ({shop.merchant_id})") for shop in shops]
    if request.method == "GET" and shops:
        shop = next((s for s in shops if s.id == request.args.get("boutique", type=int)), shops[0])
        form.shop.data = shop.id
        form.reference.data = generate_reference(ctx, shop)
        form.currency.data = shop.currency
        form.capture_mode.data = shop.default_capture_mode
        form.capture_delay.data = shop.default_capture_delay
        form.idempotency_key.data = new_idempotency_key()
    form.shops_by_id = {shop.id: shop for shop in shops}
    _look_up_networks_in_shop_gateway(ctx, form)
    return form


def _look_up_networks_in_shop_gateway(ctx, form):
    """The card's networks come from the chosen shop's gateway (Sips knows real co-badged cards)."""
    from portal.payments.gateways import card_networks_for

    form.network_lookup = lambda number: card_networks_for(ctx, form.shops_by_id.get(form.shop.data), number)


def card_choice(form):
    """Networks of the typed card and the preselected one (PAY-ACQ-3)."""
    from portal.payments.cards import clean_number, detect_networks

    networks = form.networks if form.card_digits else detect_networks(clean_number(form.card_number.data or ""))
    shop = form.shops_by_id.get(form.shop.data)
    selected = form.network.data if form.network.data in networks else default_network(
        networks, shop.default_network if shop else "CB")
    return {"networks": [(n, NETWORK_LABELS.get(n, n)) for n in networks], "selected_network": selected}


def new_payment_from(form, shop):
    networks = form.networks
    network = form.network.data if form.network.data in networks else default_network(networks, shop.default_network)
    return NewPayment(
        shop=shop, reference=form.reference.data.strip(), amount=form.amount.minor, currency=form.currency.data,
        capture_mode=form.capture_mode.data, capture_delay=form.capture_delay.data, network=network,
        networks=networks, masked_pan=mask(form.card_digits), expiry=form.expiry_value,
        card_number=form.card_digits, cvv=form.cvv.data or "", order_reference=form.order_reference.data or "",
        customer_code=form.customer_code.data or "", free_info=form.free_info.data or "",
        wallet_id=(form.wallet_id.data or "").strip() if form.save_card.data else "",
        wallet_label=(form.wallet_label.data or "").strip() if form.save_card.data else "",
    )


# --- Payment in instalments (PAY-INST-1/2) ---------------------------------------------------------


def instalment_form(ctx, user, ask_cvv=False):
    """The instalment form with the user's shops; a GET pre-fills the shop's defaults."""
    shops = shops_with_right(user, "create_payment")
    form = InstalmentForm(today=ctx.today(), ask_cvv=ask_cvv)
    form.shop.choices = [(shop.id, f"{shop.name} ({shop.merchant_id})") for shop in shops]
    if request.method == "GET" and shops:
        shop = next((s for s in shops if s.id == request.args.get("boutique", type=int)), shops[0])
        form.shop.data = shop.id
        form.reference.data = generate_reference(ctx, shop)[:BASE_REFERENCE_MAX]
        form.currency.data = shop.currency
        form.idempotency_key.data = new_idempotency_key()
    form.shops_by_id = {shop.id: shop for shop in shops}
    _look_up_networks_in_shop_gateway(ctx, form)
    return form


def prefill_schedule(ctx, form):
    """Replace the form's schedule lines by the one its figures give (PAY-INST-2); False when the
    figures (total, count, periodicity, first amount) cannot make one yet."""
    for name in ("amount", "first_amount", "count", "period_days", "schedule_type", "currency"):
        form[name].errors = []
    total = _minor(form.amount, form)
    first = _minor(form.first_amount, form) if (form.first_amount.data or "").strip() else None
    count = form.count.data if isinstance(form.count.data, int) else None
    if total is None or count is None or not MIN_INSTALMENTS <= count <= MAX_INSTALMENTS:
        return False
    period = form.period_days.data if isinstance(form.period_days.data, int) else 30
    if not 1 <= period <= MAX_PERIOD_DAYS:
        return False
    schedule = prefill(total, count, ctx.today(), form.schedule_type.data or EVERY_N_DAYS, period, first)
    if schedule is None:
        return False
    while len(form.lines):
        form.lines.pop_entry()
    for instalment in schedule:
        form.lines.append_entry({"due_date": instalment.due_date.isoformat(),
                                 "amount": format_amount_input(instalment.amount, form.amount_currency(), _locale())})
    return True


def _minor(field, form):
    from portal.money import MoneyError, parse_amount

    try:
        return parse_amount(field.data, form.amount_currency())
    except MoneyError:
        return None


def instalment_payment_from(form, shop):
    """The first instalment as a NewPayment carrying the whole schedule (service.create_payment)."""
    from portal.payments.instalments import Instalment, derived_reference

    networks = form.networks
    network = form.network.data if form.network.data in networks else default_network(networks, shop.default_network)
    base = form.reference.data.strip()
    schedule = [Instalment(rank, day, amount) for rank, (day, amount) in enumerate(form.schedule, start=1)]
    return NewPayment(
        shop=shop, reference=derived_reference(base, 1), amount=schedule[0].amount, currency=form.currency.data,
        capture_mode="AUTO", capture_delay=0, network=network, networks=networks, masked_pan=mask(form.card_digits),
        expiry=form.expiry_value, card_number=form.card_digits, cvv=form.cvv.data or "",
        order_reference=form.order_reference.data or "", customer_code=form.customer_code.data or "",
        free_info=form.free_info.data or "", instalment_group=base, instalments=schedule,
    )


def schedule_rows(ctx, schedule, user):
    """The schedule of a transaction for its detail page: each instalment with its state and view."""
    shop_rights = rights_on(user, schedule[0].shop) if schedule else set()
    operations = {txn.id: [] for txn in schedule}
    if schedule:
        for op in Operation.select().where(Operation.transaction.in_(list(operations))):
            operations[op.transaction_id].append(op)
    return [transaction_view(ctx, txn, shop_rights, operations[txn.id]) for txn in schedule]
