"""The invoice allocation editor as data: its rows read from a submitted form (lines-<n>-axis,
-value, -mode, -entry) or from the saved allocation, each with its parsed amount or percentage,
its computed amount and its errors (in the reader's language, through portal.texts); and what remains
to allocate. Plain Python, no Flask."""
from dataclasses import dataclass, field

from portal.allocation import rules
from portal.allocation.service import AllocationInput
from portal.money import MoneyError, format_amount_input, parse_amount
from portal.numbers import is_ascii_digits, parse_id
from portal.texts import N_, Text, in_user_language

AMOUNT, PERCENT = "amount", "percent"
PREFIX = "lines"


@dataclass
class EditorRow:
    index: int
    axis_id: int | None = None
    value_id: int | None = None
    mode: str = AMOUNT
    entry: str = ""
    amount: int | None = None
    percent: int | None = None
    computed: int | None = None  # the amount the line comes to (a percentage's share)
    errors: list = field(default_factory=list)

    def name(self, part):
        return f"{PREFIX}-{self.index}-{part}"

    @property
    def is_blank(self):
        return self.value_id is None and not self.entry.strip()

    @property
    def as_rule_line(self):
        return rules.Line(self.amount, self.percent)


@dataclass
class Editor:
    total: int
    currency: str
    hidden_amount: int
    rows: list
    errors: list = field(default_factory=list)  # about the whole allocation

    @property
    def allocated(self):
        return self.hidden_amount + sum(row.computed or 0 for row in self.rows)

    @property
    def remaining(self):
        return self.total - self.allocated

    def next_index(self):
        return max((row.index for row in self.rows), default=-1) + 1

    def inputs(self):
        """The rows to save (blank rows are dropped), as service.AllocationInput, and their rows."""
        kept = [row for row in self.rows if not row.is_blank]
        return [AllocationInput(row.value_id, row.amount, row.percent) for row in kept], kept


def row_indexes(form):
    """The indexes of the rows present in a submitted form, in order (removed rows leave gaps)."""
    indexes = set()
    for key in form:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == PREFIX and is_ascii_digits(parts[1], 4):
            indexes.add(int(parts[1]))
    return sorted(indexes)


def row_from_form(form, index, currency):
    row = EditorRow(index, parse_id(form.get(f"{PREFIX}-{index}-axis")), parse_id(form.get(f"{PREFIX}-{index}-value")),
                    PERCENT if form.get(f"{PREFIX}-{index}-mode") == PERCENT else AMOUNT,
                    (form.get(f"{PREFIX}-{index}-entry") or "").strip())
    if row.entry:
        try:
            if row.mode == PERCENT:
                row.percent = rules.parse_percent(row.entry)
            else:
                row.amount = parse_amount(row.entry, currency)
        except (MoneyError, rules.PercentError) as error:
            row.errors.append(in_user_language(error))
    return row


def compute(editor):
    """Fill in each row's computed amount: typed amounts as they are, percentages of the total
    split together by the largest-remainder method, as the service will save them."""
    amounts = rules.resolve_amounts(editor.total, [row.as_rule_line for row in editor.rows])
    for row, amount in zip(editor.rows, amounts):
        row.computed = amount if (row.amount is not None or row.percent is not None) else None
    return editor


def editor_from_form(form, total, currency, hidden_amount, remove=None):
    """The editor as submitted, without the row `remove` (an index) when one is being removed."""
    rows = [row_from_form(form, index, currency) for index in row_indexes(form) if index != remove]
    return compute(Editor(total, currency, hidden_amount, rows))


def editor_from_allocation(shown, default_axis_id=None):
    """The editor over the saved lines the user sees (service.allocations_for); one empty row to
    start with when there is none."""
    invoice = shown.invoice
    rows = []
    for index, line in enumerate(shown.lines):
        allocation = line.allocation
        if allocation.percent is not None:
            row = EditorRow(index, line.axis.id, line.value.id, PERCENT, rules.format_percent(allocation.percent),
                            percent=allocation.percent)
        else:
            row = EditorRow(index, line.axis.id, line.value.id, AMOUNT,
                            format_amount_input(allocation.amount, invoice.currency), amount=allocation.amount)
        rows.append(row)
    if not rows:
        rows.append(EditorRow(0, default_axis_id))
    return compute(Editor(invoice.total_net, invoice.currency, shown.hidden_amount, rows))


def place_errors(editor, errors, kept_rows):
    """Put the service's refusals next to their rows (indexes of `kept_rows`), or on the whole."""
    for error in errors:
        if error.index is not None and error.index < len(kept_rows):
            kept_rows[error.index].errors.append(in_user_language(error))
        else:
            editor.errors.append(in_user_language(error))
    return editor


def check_rows(editor):
    """Refusals the form itself can tell: a row with an amount but no value, or a value but no amount."""
    ok = True
    for row in editor.rows:
        if row.is_blank or row.errors:
            ok = ok and not row.errors
            continue
        if row.value_id is None:
            row.errors.append(in_user_language(Text(N_("Choisissez une valeur."))))
            ok = False
        elif not row.entry:
            row.errors.append(in_user_language(Text(N_("Saisissez un montant ou un pourcentage.") if row.mode == AMOUNT
                                                    else N_("Saisissez un pourcentage."))))
            ok = False
    return ok
