"""The fraud check run before each authorisation (PAY-DET-1): a versioned profile of rules,
and a result that keeps every rule's outcome and the profile version it was checked with."""
from dataclasses import asdict, dataclass, field

from portal.money import Amount
from portal.texts import N_, Text


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
    detail: str  # a French template marked N_(), or the whole sentence of a result stored before `values`
    values: dict | None = None  # the template's values; an amount as {"minor": …, "currency": …}

    def detail_text(self):
        """The detail as a Text, shown in the reader's language (LOC-3); a result stored by an earlier
        version has its French sentence only."""
        if self.values is None:
            return self.detail
        return Text(self.detail, **{name: Amount(value["minor"], value["currency"]) if isinstance(value, dict)
                                    else value for name, value in self.values.items()})


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


def evaluate(profile: FraudProfile, *, amount, currency, card_country, uses_today):
    """Run every rule (none short-circuits, so the detail page can show them all)."""
    ceiling = profile.max_amount.get(currency)
    blocked = ", ".join(profile.blocked_countries)
    if card_country:
        country_detail = (N_("carte émise en %(country)s ; pays bloqués : %(blocked)s") if blocked
                          else N_("carte émise en %(country)s ; aucun pays bloqué"))
    else:
        country_detail = (N_("carte émise dans un pays inconnu ; pays bloqués : %(blocked)s") if blocked
                          else N_("carte émise dans un pays inconnu ; aucun pays bloqué"))
    rules = [
        RuleOutcome(
            "max_amount", "Montant maximum par transaction",
            ceiling is None or amount <= ceiling,
            N_("aucun plafond pour cette devise") if ceiling is None else N_("%(amount)s pour un plafond de %(ceiling)s"),
            {} if ceiling is None else {"amount": {"minor": amount, "currency": currency},
                                        "ceiling": {"minor": ceiling, "currency": currency}},
        ),
        RuleOutcome(
            "card_velocity", "Utilisations de la carte dans la journée",
            uses_today < profile.max_uses_per_card_per_day,
            N_("%(uses)s utilisation(s) déjà aujourd'hui, %(most)s au plus"),
            {"uses": uses_today, "most": profile.max_uses_per_card_per_day},
        ),
        RuleOutcome(
            "card_country", "Pays de la carte",
            card_country not in profile.blocked_countries,
            country_detail, {"country": card_country or "", "blocked": blocked},
        ),
    ]
    return FraudResult(profile.version, tuple(rules))
