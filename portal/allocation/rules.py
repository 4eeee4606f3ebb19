"""The arithmetic of an analytic allocation (ALLOC-2), in plain Python: percentages turned into
amounts by the largest-remainder method, so that the lines always sum exactly to the amount
allocated (no lost cent), and the checks an allocation must pass before it is saved."""
from dataclasses import dataclass, field
from decimal import Decimal

from portal.money import plain_decimal
from portal.texts import N_, Text, TextError

FULL = 10000  # 100 % in basis points


class PercentError(TextError):
    """A percentage that cannot be accepted; str() is the French message, translate() the reader's."""


@dataclass(frozen=True)
class Line:
    """One line as typed: an amount in minor units, or a percentage in basis points (not both)."""

    amount: int | None = None
    percent: int | None = None


@dataclass(frozen=True)
class AllocationError:
    """A refusal; `index` is the position of the line it belongs next to, None for the whole.
    `message` is the French text; `text` keeps its template and values so that the page shows it in
    the reader's language (LOC-3)."""

    message: str
    index: int | None = None
    text: Text | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, template, index=None, **params):
        text = Text(template, **params)
        return cls(str(text), index, text)

    def translate(self, gettext, locale="fr"):
        return (self.text or Text(self.message)).translate(gettext, locale)


def _plain_format(minor):
    return f"{minor} (unités mineures)"


def split_by_percentages(total, percents_bp):
    """Amounts of `total` for each percentage (basis points), by the largest-remainder method.

    Each share is first rounded down; the units left over (the exact total of the percentages,
    rounded half up, minus those shares) go one by one to the largest remainders, ties to the
    earlier line. Percentages summing to 100 % therefore give amounts summing exactly to `total`."""
    percents = [int(p) for p in percents_bp]
    if total < 0 or any(p < 0 for p in percents):
        raise ValueError("total and percentages must not be negative")
    quotas = [total * p for p in percents]
    shares = [quota // FULL for quota in quotas]
    target = (total * sum(percents) * 2 + FULL) // (2 * FULL)  # half up
    left = target - sum(shares)
    by_remainder = sorted(range(len(percents)), key=lambda i: (-(quotas[i] % FULL), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def resolve_amounts(total, lines):
    """The amount of each line: typed amounts as they are, percentages of `total` split together
    by split_by_percentages. A line with neither counts for 0."""
    percent_positions = [i for i, line in enumerate(lines) if line.amount is None and line.percent is not None]
    split = split_by_percentages(total, [lines[i].percent for i in percent_positions])
    amounts = [line.amount if line.amount is not None else 0 for line in lines]
    for position, amount in zip(percent_positions, split):
        amounts[position] = amount
    return amounts


def remaining(total, lines):
    """What is left to allocate (negative when too much is)."""
    return total - sum(resolve_amounts(total, lines))


def check_allocation(total, lines, format_amount=_plain_format):
    """Errors that forbid saving `lines` as the allocation of `total`, or [] when it is exact.

    Each line needs a positive amount or a percentage above 0 and at most 100 %; together they
    must come to `total` to the minor unit. `format_amount(minor)` writes amounts in messages."""
    errors = []
    if not lines:
        return [AllocationError.of(N_("Ajoutez au moins une ligne de ventilation."))]
    percent_total = 0
    for index, line in enumerate(lines):
        if line.amount is not None and line.percent is not None:
            errors.append(AllocationError.of(N_("Saisissez un montant ou un pourcentage, pas les deux."), index))
        elif line.percent is not None:
            percent_total += line.percent
            if not 0 < line.percent <= FULL:
                errors.append(AllocationError.of(N_("Le pourcentage doit être supérieur à 0 et au plus 100 %."), index))
        elif line.amount is None:
            errors.append(AllocationError.of(N_("Saisissez un montant ou un pourcentage."), index))
        elif line.amount <= 0:
            errors.append(AllocationError.of(N_("Le montant doit être supérieur à zéro."), index))
    if errors:
        return errors
    if percent_total > FULL:
        return [AllocationError.of(N_("Les pourcentages dépassent 100 % au total."))]
    amounts = resolve_amounts(total, lines)
    errors = [AllocationError.of(N_("Ce pourcentage donne %(amount)s : augmentez-le ou retirez la ligne."), i,
                                 amount=format_amount(0))
              for i, amount in enumerate(amounts) if amount <= 0]
    left = total - sum(amounts)
    if left > 0:
        errors.append(AllocationError.of(N_("Reste à ventiler : %(amount)s."), amount=format_amount(left)))
    elif left < 0:
        errors.append(AllocationError.of(N_("Ventilation supérieure au montant de %(amount)s : réduisez une ligne."),
                                         amount=format_amount(-left)))
    return errors


def parse_percent(text):
    """`33,33`, `33.33` or `33,33 %` -> 3333 basis points; two decimals at most, above 0, 100 at most."""
    raw = (text or "").strip().rstrip("%").strip().replace("\u202f", "").replace("\u00a0", "").replace(",", ".")
    if not raw:
        raise PercentError(N_("Saisissez un pourcentage."))
    if raw.startswith("-"):
        raise PercentError(N_("Le pourcentage doit être positif."))
    value = plain_decimal(raw)
    if value is None:
        raise PercentError(N_("Pourcentage illisible : écrivez par exemple 33,33."))
    if value > 100:  # before quantize(), which fails on a number of more than 25 digits
        raise PercentError(N_("100 % au plus."))
    if value != value.quantize(Decimal("0.01")):
        raise PercentError(N_("Deux décimales au plus pour un pourcentage."))
    if value <= 0:
        raise PercentError(N_("Le pourcentage doit être supérieur à zéro."))
    return int(value * 100)


def format_percent(percent_bp):
    """3333 -> « 33,33 », 5000 -> « 50 » (as typed back into a field, without the sign)."""
    text = format(Decimal(percent_bp) / 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")
