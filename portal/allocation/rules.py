"""The arithmetic of an analytic allocation (ALLOC-2), in plain Python: percentages turned into
amounts by the largest-remainder method, so that the lines always sum exactly to the amount
allocated (no lost cent), and the checks an allocation must pass before it is saved."""
from dataclasses import dataclass
from decimal import Decimal

from portal.money import plain_decimal

FULL = 10000  # 100 % in basis points


class PercentError(ValueError):
    """A percentage that cannot be accepted; the message is shown to the user as is."""


@dataclass(frozen=True)
class Line:
    """One line as typed: an amount in minor units, or a percentage in basis points (not both)."""

    amount: int | None = None
    percent: int | None = None


@dataclass(frozen=True)
class AllocationError:
    """A refusal; `index` is the position of the line it belongs next to, None for the whole."""

    message: str
    index: int | None = None


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
        return [AllocationError("Ajoutez au moins une ligne de ventilation.")]
    percent_total = 0
    for index, line in enumerate(lines):
        if line.amount is not None and line.percent is not None:
            errors.append(AllocationError("Saisissez un montant ou un pourcentage, pas les deux.", index))
        elif line.percent is not None:
            percent_total += line.percent
            if not 0 < line.percent <= FULL:
                errors.append(AllocationError("Le pourcentage doit être supérieur à 0 et au plus 100 %.", index))
        elif line.amount is None:
            errors.append(AllocationError("Saisissez un montant ou un pourcentage.", index))
        elif line.amount <= 0:
            errors.append(AllocationError("Le montant doit être supérieur à zéro.", index))
    if errors:
        return errors
    if percent_total > FULL:
        return [AllocationError("Les pourcentages dépassent 100 % au total.")]
    amounts = resolve_amounts(total, lines)
    errors = [AllocationError(f"Ce pourcentage donne {format_amount(0)} : augmentez-le ou retirez la ligne.", i)
              for i, amount in enumerate(amounts) if amount <= 0]
    left = total - sum(amounts)
    if left > 0:
        errors.append(AllocationError(f"Reste à ventiler : {format_amount(left)}."))
    elif left < 0:
        errors.append(AllocationError(f"Ventilation supérieure au montant de {format_amount(-left)} : "
                                      "réduisez une ligne."))
    return errors


def parse_percent(text):
    """`33,33`, `33.33` or `33,33 %` -> 3333 basis points; two decimals at most, above 0, 100 at most."""
    raw = (text or "").strip().rstrip("%").strip().replace("\u202f", "").replace("\u00a0", "").replace(",", ".")
    if not raw:
        raise PercentError("Saisissez un pourcentage.")
    if raw.startswith("-"):
        raise PercentError("Le pourcentage doit être positif.")
    value = plain_decimal(raw)
    if value is None:
        raise PercentError("Pourcentage illisible : écrivez par exemple 33,33.")
    if value != value.quantize(Decimal("0.01")):
        raise PercentError("Deux décimales au plus pour un pourcentage.")
    if value <= 0:
        raise PercentError("Le pourcentage doit être supérieur à zéro.")
    if value > 100:
        raise PercentError("100 % au plus.")
    return int(value * 100)


def format_percent(percent_bp):
    """3333 -> « 33,33 », 5000 -> « 50 » (as typed back into a field, without the sign)."""
    text = format(Decimal(percent_bp) / 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")
