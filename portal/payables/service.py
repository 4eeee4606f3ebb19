"""Supplier payments against the database (AP-PAY-1): payments, deposit deductions and SEPA batches,
each checked and written in one transaction holding a lock on the invoice rows (BEGIN IMMEDIATE on
SQLite, SELECT … FOR UPDATE on PostgreSQL), idempotent, audited (AUDIT-1), paying only to bank
details a second user approved (AP-SUP-2). The merchant's own details come from portal.company.
No Flask here."""
import datetime
from dataclasses import asdict, dataclass
from typing import NamedTuple

from peewee import JOIN, SQL, IntegrityError, fn

from models import (AuditRecord, BankDetailsChange, DepositDeduction, Invoice, InvoiceBooking, InvoiceEvent,
                    PaymentBatch, Supplier, SupplierPayment, User, db)
from portal.audit import _dump, record_action
from portal.database import insert_rows, is_postgres
from portal.invoices.lifecycle import InvoiceStatus
from portal.invoices.paging import Order, Page, page_of
from portal.fastmoney import money_formatter
from portal.payables import sepa
from portal.payables.balances import (METHODS, PAYABLE_STATUSES, TRANSFER, Balance, InvoiceFacts, PaymentRefused,
                                      check_batch_line, check_debited_euros, check_deduction, check_execution_date,
                                      check_payment, status_after)
from portal.payments.service import money_transaction, new_idempotency_key
from portal.texts import N_, Text


def _fmt(amount, currency):
    return money_formatter(currency, "fr")(amount)


# --- The merchant's own details (debtor of the transfers) -----------------------------------------


@dataclass(frozen=True)
class CompanyDetails:
    name: str
    siren: str
    iban: str
    bic: str = ""


def company_details():
    """The debtor of the transfers — name, SIREN and bank account — read from the company identity
    (portal.company, owned by the /entreprise page), or None until someone enters it."""
    from portal.company import current_identity

    identity = current_identity()
    if not (identity.name or identity.siren or identity.iban):
        return None
    return CompanyDetails(identity.name, identity.siren, identity.iban, identity.bic)


def save_company_details(details: CompanyDetails, user, remote_addr=""):
    """Store the debtor's details through the one writer of the identity (tests and demo data use it;
    the pages edit the identity on /entreprise)."""
    from portal.company import update_company

    update_company(asdict(details), user, remote_addr)
    return details


# --- Balances -----------------------------------------------------------------------------------


def _sums(model, column, ids):
    if not ids:
        return {}
    rows = (model.select(column, fn.SUM(model.amount).alias("total"))
            .where(column.in_(list(ids))).group_by(column).tuples())
    return {key: int(total or 0) for key, total in rows}


def balances_for(invoices):
    """{invoice id: Balance} in three queries, for lists."""
    invoices = list(invoices)
    ids = [invoice.id for invoice in invoices]
    paid = _sums(SupplierPayment, SupplierPayment.invoice, ids)
    deducted = _sums(DepositDeduction, DepositDeduction.invoice, ids)
    return {invoice.id: Balance(invoice.total_gross, paid.get(invoice.id, 0), deducted.get(invoice.id, 0))
            for invoice in invoices}


def invoice_balance(invoice):
    return balances_for([invoice])[invoice.id]


def deducted_from_deposit(deposit):
    """How much of a deposit invoice was deducted from balance invoices so far."""
    return _sums(DepositDeduction, DepositDeduction.deposit, [deposit.id]).get(deposit.id, 0)


def facts_for(invoice):
    deducted_elsewhere = deducted_from_deposit(invoice) if invoice.kind == "DEPOSIT" else 0
    return InvoiceFacts(invoice.id, invoice.kind, invoice.status, invoice.currency, invoice.supplier_id,
                        invoice.shop_id, invoice_balance(invoice), deducted_elsewhere)


def facts_of_many(invoices):
    """{invoice id: InvoiceFacts} of many invoices in at most three queries (a batch of 2,000 too)."""
    invoices = list(invoices)
    balances = balances_for(invoices)
    deposits = [invoice.id for invoice in invoices if invoice.kind == "DEPOSIT"]
    elsewhere = _sums(DepositDeduction, DepositDeduction.deposit, deposits)
    return {invoice.id: InvoiceFacts(invoice.id, invoice.kind, invoice.status, invoice.currency, invoice.supplier_id,
                                     invoice.shop_id, balances[invoice.id], elsewhere.get(invoice.id, 0))
            for invoice in invoices}


# --- Locks, status, bank details ------------------------------------------------------------------


def _locked_invoices(ids):
    """The invoices, locked for the rest of the transaction, in id order (no deadlock between two batches)."""
    query = Invoice.select().where(Invoice.id.in_(sorted(set(ids)))).order_by(Invoice.id)
    if is_postgres():
        query = query.for_update()
    return {invoice.id: invoice for invoice in query}


def _locked_invoice(invoice_id):
    invoices = _locked_invoices([invoice_id])
    if invoice_id not in invoices:
        raise Invoice.DoesNotExist(invoice_id)
    return invoices[invoice_id]


def _move_status(invoice, balance, user, note, remote_addr=""):
    """PARTIALLY_PAID or PAID after a settlement: the same history and audit as a lifecycle action."""
    target = status_after(invoice.status, balance)
    if target == invoice.status:
        return
    before = invoice.status
    action = "pay" if target == InvoiceStatus.PAID else "pay_partially"
    Invoice.update(status=target).where(Invoice.id == invoice.id).execute()
    invoice.status = target
    InvoiceEvent.create(invoice=invoice, user=user, action=action, from_status=before, to_status=target, reason=note)
    record_action(f"invoice.{action}", "invoice", invoice.id, user=user, remote_addr=remote_addr,
                  before={"status": before}, after={"status": str(target), "reason": note})


def missing_iban_message(supplier):
    """Why no transfer can go to `supplier` (a Text, LOC-3)."""
    if BankDetailsChange.select().where((BankDetailsChange.supplier == supplier)
                                        & (BankDetailsChange.status == "PENDING")).exists():
        return Text(N_("Pas de virement possible : « %(supplier)s » n'a pas d'IBAN approuvé, et le changement de "
                       "coordonnées bancaires demandé attend l'approbation d'un second utilisateur (fiche "
                       "fournisseur)."), supplier=supplier.name)
    return Text(N_("Pas de virement possible : « %(supplier)s » n'a pas d'IBAN approuvé. Saisissez ses coordonnées "
                   "bancaires sur sa fiche ; un changement de coordonnées attend peut-être déjà l'approbation d'un "
                   "second utilisateur."), supplier=supplier.name)


def approved_bank_details(supplier_id):
    """(IBAN, BIC) a second user approved, read inside the paying transaction; pending ones never count."""
    supplier = Supplier.get_by_id(supplier_id)
    if not supplier.iban:
        raise PaymentRefused(missing_iban_message(supplier), "method")
    return supplier.iban, supplier.bic


# --- One payment ----------------------------------------------------------------------------------


def _write_payment(invoice, before, user, note, remote_addr, **fields):
    """The payment row, its audit record and the status it leads to; `before` is the balance before it."""
    payment = SupplierPayment.create(invoice=invoice, created_by=user, **fields)
    balance = before.after_payment(payment.amount)
    record_action("invoice.payment", "invoice", invoice.id, user=user, remote_addr=remote_addr,
                  before={"outstanding": before.outstanding},
                  after={"payment_id": payment.id, "amount": payment.amount, "currency": invoice.currency,
                         "paid_on": payment.paid_on, "method": payment.method, "iban": payment.iban,
                         "bic": payment.bic, "reference": payment.reference, "debited_eur": payment.debited_eur,
                         "batch": payment.batch.message_id if payment.batch else None,
                         "outstanding": balance.outstanding})
    _move_status(invoice, balance, user, f"{note} ; reste à payer {_fmt(balance.outstanding, invoice.currency)}.",
                 remote_addr)
    return payment, balance


@dataclass
class Recorded:
    payment: SupplierPayment
    invoice: Invoice
    balance: Balance
    replayed: bool = False


def _replayed(key):
    return SupplierPayment.get_or_none(SupplierPayment.idempotency_key == key) if key else None


def _replay(payment):
    invoice = Invoice.get_by_id(payment.invoice_id)
    return Recorded(payment, invoice, invoice_balance(invoice), replayed=True)


def record_payment(invoice, amount, paid_on, method, user, idempotency_key, reference="", remote_addr="",
                   debited_eur=None):
    """Record a payment of (part of) an invoice; the same idempotency key twice records it once.
    `debited_eur`: of an invoice in another currency, the euro cents the bank debited (else None)."""
    try:
        with money_transaction():
            invoice = _locked_invoice(invoice.id)
            replay = _replayed(idempotency_key)
            if replay is not None:
                return _replay(replay)
            facts = facts_for(invoice)
            check_payment(facts, amount, method)
            if invoice.currency == "EUR":
                debited_eur = None
            else:
                _check_debited(invoice, amount, debited_eur)
            iban, bic = approved_bank_details(invoice.supplier_id) if method == TRANSFER else ("", "")
            note = f"Paiement de {_fmt(amount, invoice.currency)} ({METHODS[method].lower()})"
            payment, balance = _write_payment(invoice, facts.balance, user, note, remote_addr, amount=amount,
                                              paid_on=paid_on, method=method, iban=iban, bic=bic,
                                              reference=(reference or "").strip()[:140],
                                              debited_eur=debited_eur,
                                              idempotency_key=idempotency_key or None)
            return Recorded(payment, invoice, balance)
    except IntegrityError:
        replay = _replayed(idempotency_key)
        if replay is not None:  # the same form submitted twice at once
            return _replay(replay)
        raise


def _check_debited(invoice, amount, debited_eur):
    """check_debited_euros() against the rate the accountant entered, if any."""
    booking = InvoiceBooking.get_or_none(InvoiceBooking.invoice == invoice.id)
    check_debited_euros(amount, invoice.currency, debited_eur, booking.exchange_rate if booking else None)


def set_debited_euros(payment_id, debited_eur, user, remote_addr=""):
    """Enter or correct the euro cents the bank debited for a payment of a foreign-currency invoice,
    known from the bank statement after the payment was recorded (None clears it). A payment already
    in closed books is corrected in the next open period, as any later change (ACC-4)."""
    with money_transaction():
        payment = SupplierPayment.get_by_id(payment_id)
        invoice = _locked_invoice(payment.invoice_id)
        if invoice.currency == "EUR":
            raise PaymentRefused(N_("Le montant débité ne se saisit que pour une facture dans une autre devise."),
                                 "debited_eur")
        payment = SupplierPayment.get_by_id(payment_id)  # read again under the invoice's lock
        _check_debited(invoice, payment.amount, debited_eur)
        if payment.debited_eur == debited_eur:
            return payment
        before = payment.debited_eur
        SupplierPayment.update(debited_eur=debited_eur).where(SupplierPayment.id == payment.id).execute()
        payment.debited_eur = debited_eur
        record_action("invoice.payment_debited", "invoice", invoice.id, user=user, remote_addr=remote_addr,
                      before={"payment_id": payment.id, "debited_eur": before},
                      after={"payment_id": payment.id, "debited_eur": debited_eur})
        paid_on = payment.paid_on.strftime("%d/%m/%Y")
        InvoiceEvent.create(invoice=invoice, user=user, action="payment_debited", from_status=invoice.status,
                            to_status=invoice.status,
                            reason=(f"Paiement du {paid_on} de {_fmt(payment.amount, invoice.currency)} : débité "
                                    f"{_fmt(debited_eur, 'EUR')}." if debited_eur is not None else
                                    f"Paiement du {paid_on} : montant débité effacé."))
        return payment


# --- Deposit deductions ---------------------------------------------------------------------------


def deduct_deposit(invoice, deposit, amount, user, remote_addr=""):
    """Deduct (part of) a paid deposit invoice from a balance invoice of the same supplier."""
    with money_transaction():
        locked = _locked_invoices([invoice.id, deposit.id])
        invoice, deposit = locked[invoice.id], locked.get(deposit.id)
        if deposit is None:
            raise PaymentRefused(N_("Facture d'acompte introuvable."), "deposit")
        facts = facts_for(invoice)
        check_deduction(facts, facts_for(deposit), amount)
        deduction = DepositDeduction.create(invoice=invoice, deposit=deposit, amount=amount, created_by=user)
        balance = facts.balance.after_deduction(amount)
        record_action("invoice.deposit_deduction", "invoice", invoice.id, user=user, remote_addr=remote_addr,
                      before={"outstanding": facts.balance.outstanding},
                      after={"deduction_id": deduction.id, "deposit": deposit.number, "deposit_id": deposit.id,
                             "amount": amount, "currency": invoice.currency, "outstanding": balance.outstanding})
        _move_status(invoice, balance, user, f"Acompte n° {deposit.number} déduit : "
                     f"{_fmt(amount, invoice.currency)} ; reste à payer {_fmt(balance.outstanding, invoice.currency)}.",
                     remote_addr)
    return deduction


# --- SEPA batches ---------------------------------------------------------------------------------


class BatchRefused(Exception):
    """A batch refused as a whole (nothing written); `texts` lists every reason (Texts), one per line,
    `messages` the same in French; the page shows `translate(gettext, locale)` (LOC-3)."""

    def __init__(self, texts, field=None):
        self.texts = [text if isinstance(text, Text) else Text(text) for text in texts]
        self.messages = [str(text) for text in self.texts]
        super().__init__(" ".join(self.messages))
        self.field = field

    def translate(self, gettext, locale="fr"):
        return [text.translate(gettext, locale) for text in self.texts]


def _batch_key(idempotency_key, invoice_id):
    return f"{idempotency_key}:{invoice_id}" if idempotency_key else None


def _batch_replay(idempotency_key, invoice_ids):
    """The batch an earlier submission of the same form created, in one query."""
    keys = [_batch_key(idempotency_key, invoice_id) for invoice_id in invoice_ids]
    if not idempotency_key or not keys:
        return None
    payment = (SupplierPayment.select(SupplierPayment.batch).where(SupplierPayment.idempotency_key.in_(keys)
                                                                   & SupplierPayment.batch.is_null(False))
               .limit(1).first())
    return PaymentBatch.get_by_id(payment.batch_id) if payment is not None else None


def missing_debtor_details(company):
    """What the company still lacks to be the debtor of a transfer file: ("name",), ("iban",), both, or ()."""
    return tuple(name for name in ("name", "iban") if not (company and getattr(company, name)))


# Keyed by what is missing: each text names exactly that (LOC-3, issue 11).
DEBTOR_WARNINGS = {
    ("name",): N_("La raison sociale de la société n'est pas renseignée : un administrateur doit la saisir sur la "
                  "page Entreprise avant le premier lot de virements."),
    ("iban",): N_("L'IBAN de la société (le compte débité) n'est pas renseigné : un administrateur doit le saisir "
                  "sur la page Entreprise avant le premier lot de virements."),
    ("name", "iban"): N_("La raison sociale et l'IBAN de la société (le compte débité) ne sont pas renseignés : un "
                         "administrateur doit les saisir sur la page Entreprise avant le premier lot de virements."),
}
DEBTOR_REFUSALS = {
    ("name",): N_("Renseignez d'abord la raison sociale de la société (page « Entreprise », réservée aux "
                  "administrateurs) : c'est le nom du donneur d'ordre des virements."),
    ("iban",): N_("Renseignez d'abord l'IBAN de la société (page « Entreprise », réservée aux administrateurs) : "
                  "c'est ce compte que la banque débite."),
    ("name", "iban"): N_("Renseignez d'abord la raison sociale et l'IBAN de la société (page « Entreprise », réservée "
                         "aux administrateurs) : ce sont eux que la banque débite."),
}


def debtor_warning(company):
    """The warning the list of invoices to pay shows while a batch cannot be made (a Text), or None."""
    missing = missing_debtor_details(company)
    return Text(DEBTOR_WARNINGS[missing]) if missing else None


def _debtor():
    company = company_details()
    missing = missing_debtor_details(company)
    if missing:
        raise BatchRefused([DEBTOR_REFUSALS[missing]])
    return sepa.Debtor(company.name, company.iban, company.bic)


def _batch_lines(shop, items, locked):
    """(invoice, amount, iban, bic, balance before) of each line, or BatchRefused with the reason of
    every bad line. The facts and the suppliers of every line are read at once (constant queries)."""
    errors, lines = [], []
    mine = [invoice for invoice in locked.values() if invoice.shop_id == shop.id]
    facts = facts_of_many(mine)
    suppliers = {supplier.id: supplier for supplier in
                 Supplier.select().where(Supplier.id.in_(list({invoice.supplier_id for invoice in mine}) or [0]))}
    for invoice_id, amount in items:
        invoice = locked.get(invoice_id)
        if invoice is None or invoice.shop_id != shop.id:
            errors.append(Text(N_("Facture #%(id)s introuvable dans la boutique %(shop)s."), id=invoice_id,
                               shop=shop.name))
            continue
        supplier = suppliers[invoice.supplier_id]
        invoice.supplier = supplier  # no query per line for its name
        label = Text(N_("Facture n° %(number)s (%(supplier)s)"), number=invoice.number, supplier=supplier.name)
        try:
            check_batch_line(facts[invoice.id], amount, label)
            if not supplier.iban:
                raise PaymentRefused(missing_iban_message(supplier), "method")
        except PaymentRefused as refused:
            labelled = refused.text.params.get("label") == label
            errors.append(refused.text if labelled else Text(N_("%(label)s : %(reason)s"), label=label,
                                                             reason=refused.text))
            continue
        lines.append((invoice, amount, supplier.iban, supplier.bic, facts[invoice.id].balance))
    if errors:
        raise BatchRefused(errors)
    return lines


def _audit_rows(user, remote_addr, records):
    """AuditRecord rows for insert_many: the same content record_action() writes, one query per
    thousand records instead of one per record."""
    actor = user.username if user is not None else "système"
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return [{"at": now, "user": user, "actor": actor, "action": action, "target_type": target_type,
             "target_id": str(target_id), "before": _dump(before), "after": _dump(after),
             "remote_addr": remote_addr or ""} for action, target_type, target_id, before, after in records]


def _write_batch_payments(batch, lines, transfers, user, idempotency_key, remote_addr):
    """One payment per line, its audit record and the status it leads to (PARTIALLY_PAID or PAID),
    with the same history and audit as a single payment, written in bulk."""
    execution_date, message_id = batch.execution_date, batch.message_id
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    insert_rows(SupplierPayment, [
        {"invoice": invoice.id, "created_by": user, "amount": amount, "paid_on": execution_date, "method": TRANSFER,
         "batch": batch.id, "iban": iban, "bic": bic, "reference": transfer.end_to_end_id,
         "idempotency_key": _batch_key(idempotency_key, invoice.id), "created_at": now}
        for (invoice, amount, iban, bic, _), transfer in zip(lines, transfers)])
    payment_ids = dict(SupplierPayment.select(SupplierPayment.invoice, SupplierPayment.id)
                       .where(SupplierPayment.batch == batch.id).tuples())
    audits, events, moved = [], [], {}
    for (invoice, amount, iban, bic, before), transfer in zip(lines, transfers):
        balance = before.after_payment(amount)
        audits.append(("invoice.payment", "invoice", invoice.id, {"outstanding": before.outstanding},
                       {"payment_id": payment_ids[invoice.id], "amount": amount, "currency": invoice.currency,
                        "paid_on": execution_date, "method": TRANSFER, "iban": iban, "bic": bic,
                        "reference": transfer.end_to_end_id, "batch": message_id,
                        "outstanding": balance.outstanding}))
        target = status_after(invoice.status, balance)
        if target == invoice.status:
            continue
        note = (f"Virement SEPA de {_fmt(amount, invoice.currency)} (lot {message_id}, exécution le "
                f"{execution_date:%d/%m/%Y}) ; reste à payer {_fmt(balance.outstanding, invoice.currency)}.")
        action = "pay" if target == InvoiceStatus.PAID else "pay_partially"
        moved.setdefault(target, []).append(invoice.id)
        events.append({"invoice": invoice.id, "user": user, "action": action, "from_status": invoice.status,
                       "to_status": target, "reason": note, "at": now})
        audits.append((f"invoice.{action}", "invoice", invoice.id, {"status": invoice.status},
                       {"status": str(target), "reason": note}))
        invoice.status = target
    for target, ids in moved.items():
        Invoice.update(status=target).where(Invoice.id.in_(ids)).execute()
    insert_rows(InvoiceEvent, events)
    insert_rows(AuditRecord, _audit_rows(user, remote_addr, audits))


def create_batch(shop, items, execution_date, user, store, idempotency_key=None, today=None, remote_addr=""):
    """One SEPA credit transfer file for `items` [(invoice id, amount)], stored (DOC-1), with one
    TRANSFER payment per invoice linked to the batch, all in one locked transaction; refused as a
    whole (BatchRefused, nothing written) if any line breaks a rule. The number of queries does not
    grow with the number of invoices (bulk reads and inserts, a thousand rows a statement)."""
    items = [(int(invoice_id), amount) for invoice_id, amount in items]
    if not items:
        raise BatchRefused([N_("Cochez au moins une facture à payer.")])
    if len({invoice_id for invoice_id, _ in items}) != len(items):
        raise BatchRefused([N_("Une facture ne peut figurer qu'une fois dans un lot.")])
    try:
        check_execution_date(execution_date, today or datetime.date.today())
    except PaymentRefused as refused:
        raise BatchRefused([refused.text], refused.field) from None
    with money_transaction():
        locked = _locked_invoices([invoice_id for invoice_id, _ in items])
        replay = _batch_replay(idempotency_key, locked)
        if replay is not None:
            return replay
        debtor = _debtor()
        lines = _batch_lines(shop, items, locked)
        transfers = [sepa.Transfer(invoice.supplier.name, iban, bic, amount,
                                   sepa.end_to_end_id("F", invoice.id, new_idempotency_key()[:10].upper()),
                                   f"Facture {invoice.number}")
                     for invoice, amount, iban, bic, _ in lines]
        try:
            xml, message_id = sepa.transfer_file(debtor, transfers, execution_date)
        except sepa.SepaFileError as error:
            raise BatchRefused([Text(N_("Le fichier SEPA ne respecte pas le schéma %(schema)s (%(error)s) : "
                                        "vérifiez les noms et les coordonnées bancaires."),
                                     schema=sepa.SCHEMA, error=str(error))]) from None
        document = store.put(xml, "application/xml")
        total = sum(line[1] for line in lines)
        batch = PaymentBatch.create(shop=shop, message_id=message_id, execution_date=execution_date, total=total,
                                    count=len(lines), document=document, created_by=user)
        _write_batch_payments(batch, lines, transfers, user, idempotency_key, remote_addr)
        record_action("payment_batch.create", "payment_batch", batch.id, user=user, remote_addr=remote_addr,
                      after={"message_id": message_id, "shop": shop.id, "execution_date": execution_date,
                             "total": total, "count": len(lines), "sha256": document.sha256,
                             "invoices": [line[0].id for line in lines]})
    return batch


# --- What the pages list --------------------------------------------------------------------------


def _settled_sql():
    """What is settled on an invoice (payments + deposit deductions): the two sums stored on the
    invoice (migration 0017, kept by the database in the writing transaction), so the list filters,
    counts, sums and sorts on the invoice row alone."""
    return Invoice.paid_total + Invoice.deducted_total


TO_PAY_SORTS = {
    "echeance": lambda settled: [Order(Invoice.due_date, nulls="LAST")],
    "fournisseur": lambda settled: [Order(Supplier.name)],
    "facture": lambda settled: [Order(Invoice.number)],
    "montant": lambda settled: [Order(Invoice.total_gross)],
    "reste": lambda settled: [Order(Invoice.total_gross - settled)],
}


def _to_pay_candidates(shops, supplier_id=None):
    shop = Invoice.shop
    if supplier_id:
        # A supplier has a few hundred invoices: read them through the supplier's index. SQLite, without
        # statistics, would rather walk the shop's whole invoice_to_pay or due-date index; `+ 0` keeps
        # the shop's column out of every index choice.
        shop = Invoice.shop + 0
    where = (shop.in_([chosen.id for chosen in shops]) & Invoice.status.in_(list(PAYABLE_STATUSES))
             & (Invoice.kind != "CREDIT_NOTE"))
    if supplier_id:
        where &= Invoice.supplier == supplier_id
    return where


def _to_pay_query(shops, supplier_id=None):
    settled = _settled_sql()
    return _to_pay_candidates(shops, supplier_id) & (Invoice.total_gross > settled), settled


class ToPayRow(NamedTuple):
    """One invoice of the list to pay, read as a tuple (no model instance per row)."""

    id: int
    number: str
    kind: str
    status: str
    due_date: datetime.date | None
    currency: str
    total_gross: int
    paid_total: int
    deducted_total: int
    supplier_id: int
    supplier_name: str
    supplier_iban: str
    bank_change_pending: bool

    @property
    def balance(self):
        return Balance(self.total_gross, self.paid_total, self.deducted_total)


def _to_pay_rows(ordering):
    """read() of page_of: the page's ids (sorted on the index alone) joined to what a row shows, with
    whether the supplier's bank details wait for a second approval, in one query."""
    pending = fn.EXISTS(BankDetailsChange.select(BankDetailsChange.id).where(
        (BankDetailsChange.supplier == Invoice.supplier) & (BankDetailsChange.status == "PENDING")))

    def read(limited, reverse):
        page_ids = limited.alias("page_ids")
        return (Invoice.select(Invoice.id, Invoice.number, Invoice.kind, Invoice.status, Invoice.due_date,
                               Invoice.currency, Invoice.total_gross, Invoice.paid_total, Invoice.deducted_total,
                               Invoice.supplier, Supplier.name, Supplier.iban, pending)
                .join(page_ids, on=(Invoice.id == page_ids.c.id))
                .switch(Invoice).join(Supplier, on=(Invoice.supplier == Supplier.id))
                .order_by(*[order.clause(reverse=reverse) for order in ordering]).tuples())
    return read


def invoices_to_pay_page(shops, page=1, sort="echeance", descending=False, supplier_id=None):
    """One page of the approved or partially paid invoices (credit notes excepted) with something left
    to pay, with the number and the outstanding total of all of them: two queries whatever their
    number, on the invoice's stored settled sums. The count, the sum and the order of the ids are read
    from the invoice_to_pay index (no row read to sort 20,000 invoices by what is left to pay); the
    page's fifty invoices are joined to those ids in the same query. Rows are ToPayRow tuples."""
    where, settled = _to_pay_query(shops, supplier_id)
    count, outstanding = (Invoice.select(fn.COUNT(SQL("*")), fn.COALESCE(fn.SUM(Invoice.total_gross - settled), 0))
                          .where(where).tuples().get())
    ordering = TO_PAY_SORTS.get(sort, TO_PAY_SORTS["echeance"])(settled)
    ordering = [Order(o.expression, descending, o.nulls) for o in ordering] + [Order(Invoice.id, descending)]
    ids = Invoice.select(Invoice.id).where(where)
    if sort == "fournisseur":
        ids = ids.join(Supplier)
    result = page_of(ids, ordering, page, int(count or 0), read=_to_pay_rows(ordering))
    result.rows = [ToPayRow(*row[:12], bool(row[12])) for row in result.rows]
    result.pending_supplier_ids = {row.supplier_id for row in result.rows if row.bank_change_pending}
    result.outstanding = int(outstanding or 0)
    return result


def batches_page(shops, number, size=20):
    """One page of the shops' batches, newest first, with who created them: one query, the number of
    batches read with the rows (COUNT(*) OVER ()); two when the page asked for is past the last."""
    where = PaymentBatch.shop.in_([shop.id for shop in shops])
    query = PaymentBatch.select(PaymentBatch, User).join(User, JOIN.LEFT_OUTER, on=PaymentBatch.created_by).where(where)
    ordering = [Order(PaymentBatch.created_at, True), Order(PaymentBatch.id, True)]
    number = max(1, number)
    rows = list(query.select_extend(fn.COUNT(SQL("*")).over().alias("batch_count"))
                .order_by(*[order.clause() for order in ordering]).limit(size).offset((number - 1) * size))
    if rows or number == 1:
        return Page(number, rows[0].batch_count if rows else 0, size, rows)
    total = PaymentBatch.select(fn.COUNT(PaymentBatch.id)).where(where).scalar()
    return page_of(query, ordering, number, total, size)


def invoice_payments(invoice):
    return list(invoice.payments.order_by(SupplierPayment.paid_on, SupplierPayment.id))


def invoice_deductions(invoice):
    """Deposits deducted from this invoice, and (for a deposit invoice) the invoices it was deducted from."""
    deducted = list(DepositDeduction.select().where(DepositDeduction.invoice == invoice)
                    .order_by(DepositDeduction.id))
    deducted_in = list(DepositDeduction.select().where(DepositDeduction.deposit == invoice)
                       .order_by(DepositDeduction.id))
    return deducted, deducted_in


def deposit_choices(invoice):
    """Paid deposit invoices of the same supplier and shop with something left to deduct: [(deposit, available)]."""
    if invoice.kind != "INVOICE":
        return []
    deposits = list(Invoice.select().where((Invoice.kind == "DEPOSIT") & (Invoice.supplier == invoice.supplier_id)
                                           & (Invoice.shop == invoice.shop_id) & (Invoice.currency == invoice.currency)
                                           & (Invoice.status == InvoiceStatus.PAID))
                    .order_by(Invoice.issue_date, Invoice.id))
    used = _sums(DepositDeduction, DepositDeduction.deposit, [d.id for d in deposits])
    return [(deposit, deposit.total_gross - used.get(deposit.id, 0)) for deposit in deposits
            if deposit.total_gross - used.get(deposit.id, 0) > 0]
