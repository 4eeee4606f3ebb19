"""The arithmetic of a supplier evaluation (AP-KYS-1), in plain integers: criterion scores 0 to 10,
integer weights, and a weighted score kept exactly in hundredths of a point out of 10. No Flask here:
messages are French templates marked with N_() that the views translate (LOC-3)."""
from portal.numbers import is_ascii_digits

MIN_SCORE, MAX_SCORE = 0, 10
MAX_WEIGHT = 100
DEFAULT_THRESHOLD = 500  # 5,00/10: below it an evaluation is non-compliant


def N_(text):
    """Marks a French text for the catalogue (pybabel extracts N_); the view translates it."""
    return text


class ScoringError(ValueError):
    """`template` and `params` let a view translate it: gettext(template, **params); str() is the French text."""

    def __init__(self, template, **params):
        self.template, self.params = template, params
        super().__init__(template % params if params else template)


def check_score(score):
    if not isinstance(score, int) or isinstance(score, bool) or not MIN_SCORE <= score <= MAX_SCORE:
        raise ScoringError(N_("Une note est un entier de %(min)s à %(max)s."), min=MIN_SCORE, max=MAX_SCORE)
    return score


def check_weight(weight):
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
        raise ScoringError(N_("Un poids est un entier de 1 à %(max)s."), max=MAX_WEIGHT)
    return weight


def weighted_score(scored):
    """sum(score × weight × 100) / sum(weight), rounded half up: hundredths of a point out of 10.

    `scored` is a list of (score, weight). Integer division only, so 662,5 gives 663, never 662."""
    if not scored:
        raise ScoringError(N_("Une grille d'évaluation a au moins un critère."))
    numerator = sum(check_score(score) * check_weight(weight) * 100 for score, weight in scored)
    denominator = sum(weight for _, weight in scored)
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def is_compliant(score, threshold=DEFAULT_THRESHOLD, marked_non_compliant=False):
    """Compliant unless the score is below the threshold or the evaluator found a blocking issue."""
    return score >= threshold and not marked_non_compliant


def format_score(hundredths):
    """735 -> '7,35/10' (French decimal comma), as the audit log keeps it; pages use the user's locale."""
    if hundredths is None:
        return ""
    return f"{hundredths // 100},{hundredths % 100:02d}/10"


def parse_threshold(text):
    """'5', '5,5' or '5.25' (out of 10) -> hundredths; raise ScoringError otherwise."""
    raw = (text or "").strip().replace(".", ",")
    whole, _, fraction = raw.partition(",")
    if not is_ascii_digits(whole, 4) or (fraction and (not is_ascii_digits(fraction) or len(fraction) > 2)):
        raise ScoringError(N_("Saisissez une note sur 10, par exemple 5 ou 6,5."))
    hundredths = int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    if hundredths > MAX_SCORE * 100:
        raise ScoringError(N_("Le seuil est une note sur 10 : 10 au plus."))
    return hundredths
