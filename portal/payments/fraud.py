"""The fraud check run before each authorisation (PAY-DET-1): a versioned profile of rules,
and a result that keeps every rule's outcome and the profile version it was checked with."""
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class FraudProfile:
    version: int = 1
    # Ceiling per currency, in minor units; a currency not listed has no ceiling.
    max_amount: dict = field(default_factory=lambda: {"EUR": 500000})
    max_uses_per_card_per_day: int = 5
    blocked_countries: tuple = ()

    def settings(self):
        data = asdict(self)
        data.pop("version")
        data["blocked_countries"] = list(self.blocked_countries)
        return data

    @classmethod
    def from_settings(cls, version, settings):
        return cls(
            version=version,
            max_amount={k: int(v) for k, v in settings.get("max_amount", {}).items()},
            max_uses_per_card_per_day=int(settings.get("max_uses_per_card_per_day", 5)),
            blocked_countries=tuple(settings.get("blocked_countries", ())),
        )


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    label: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class FraudResult:
    profile_version: int
    rules: tuple

    @property
    def passed(self):
        return all(rule.passed for rule in self.rules)

    def to_dict(self):
        return {"profile_version": self.profile_version, "passed": self.passed,
                "rules": [asdict(rule) for rule in self.rules]}

    @classmethod
    def from_dict(cls, data):
        return cls(data["profile_version"], tuple(RuleOutcome(**rule) for rule in data["rules"]))


def evaluate(profile: FraudProfile, *, amount, currency, card_country, uses_today, format_amount=str):
    """Run every rule (none short-circuits, so the detail page can show them all)."""
    ceiling = profile.max_amount.get(currency)
    rules = [
        RuleOutcome(
            "max_amount", "Montant maximum par transaction",
            ceiling is None or amount <= ceiling,
            "aucun plafond pour cette devise" if ceiling is None
            else f"{format_amount(amount)} pour un plafond de {format_amount(ceiling)}",
        ),
        RuleOutcome(
            "card_velocity", "Utilisations de la carte dans la journée",
            uses_today < profile.max_uses_per_card_per_day,
            f"{uses_today} utilisation(s) déjà aujourd'hui, {profile.max_uses_per_card_per_day} au plus",
        ),
        RuleOutcome(
            "card_country", "Pays de la carte",
            card_country not in profile.blocked_countries,
            f"carte émise en {card_country or 'pays inconnu'}"
            + (f" ; pays bloqués : {', '.join(profile.blocked_countries)}" if profile.blocked_countries else
               " ; aucun pays bloqué"),
        ),
    ]
    return FraudResult(profile.version, tuple(rules))
