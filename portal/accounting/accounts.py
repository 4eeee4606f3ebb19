"""The merchant's chart of accounts for the accounting export (ACC-2): PCG accounts and journal codes
kept in Setting "accounts", checked against their PCG class; the auxiliary supplier accounts
(401 + a stable code per supplier); the company identity (Setting "company") the FEC is named after."""
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, replace

from peewee import IntegrityError

from models import Setting, db
from portal.audit import record_action
from portal.purchasing.amounts import QuantityError, format_rate, parse_rate
from portal.texts import N_, Text, TextError

ACCOUNTS_KEY = "accounts"
COMPANY_KEY = "company"
SUPPLIER_CODES_KEY = "supplier_accounts"  # {supplier id: code}: assigned once, so a rename keeps the account

# A few usual expense accounts of the PCG; the merchant edits the list.
DEFAULT_EXPENSE_ACCOUNTS = (
    ("607", "Achats de marchandises"),
    ("601", "Achats stockés – matières premières"),
    ("606", "Achats non stockés de matières et fournitures"),
    ("6064", "Fournitures administratives"),
    ("611", "Sous-traitance générale"),
    ("613", "Locations"),
    ("615", "Entretien et réparations"),
    ("616", "Primes d'assurance"),
    ("6226", "Honoraires"),
    ("623", "Publicité, publications, relations publiques"),
    ("624", "Transports de biens"),
    ("625", "Déplacements, missions et réceptions"),
    ("626", "Frais postaux et de télécommunications"),
    ("627", "Services bancaires et assimilés"),
)

# Role of each configurable account: (French name, required PCG prefix, what that prefix means). The
# names are also the FEC's account labels (French); the messages translate them (N_: catalogue texts).
ACCOUNT_ROLES = {
    "suppliers": (N_("Fournisseurs"), ("401",), N_("un compte fournisseurs de la classe 4 (401…)")),
    "expense_default": (N_("Charges par défaut"), ("6",), N_("un compte de charges de la classe 6 (607, 606…)")),
    "vat_deductible": (N_("TVA déductible sur autres biens et services"), ("4456",),
                       N_("un compte de TVA déductible (44566…)")),
    "vat_intracom_deductible": (N_("TVA déductible intracommunautaire"), ("4456",),
                                N_("un compte de TVA déductible (445662…)")),
    "vat_intracom_due": (N_("TVA due intracommunautaire"), ("4452",),
                         N_("un compte de TVA due intracommunautaire (4452…)")),
    "deposits": (N_("Fournisseurs – avances et acomptes versés sur commandes"), ("409",),
                 N_("un compte d'avances et acomptes versés de la classe 4 (4091…)")),
    "bank": (N_("Banque"), ("51", "53"), N_("un compte de trésorerie de la classe 5 (512 banque, 53 caisse)")),
    # ACC-5: each self-assessed regime has its own pair (vat.REGIME_ACCOUNTS).
    "vat_services_due": (N_("TVA due autoliquidée – services"), ("445",),
                         N_("un compte de TVA de la classe 4 (4452…)")),
    "vat_services_deductible": (N_("TVA déductible autoliquidée – services"), ("4456",),
                                N_("un compte de TVA déductible (44566…)")),
    "vat_import_due": (N_("TVA due autoliquidée – importations"), ("445",),
                       N_("un compte de TVA de la classe 4 (4452…)")),
    "vat_import_deductible": (N_("TVA déductible – importations"), ("4456",),
                              N_("un compte de TVA déductible (44566…)")),
    "vat_domestic_due": (N_("TVA due autoliquidée – sous-traitance"), ("445",),
                         N_("un compte de TVA de la classe 4 (4452…)")),
    "vat_domestic_deductible": (N_("TVA déductible autoliquidée – sous-traitance"), ("4456",),
                                N_("un compte de TVA déductible (44566…)")),
    # Foreign-currency supplier payments: what the bank debited against the invoice's rate. A supplier
    # debt is commercial: 656 / 756 since the PCG of 2016 (ANC 2015-05); 666 / 766 kept for a firm
    # that books them as financial.
    "exchange_loss": (N_("Pertes de change sur créances et dettes commerciales"), ("656", "666"),
                      N_("un compte de pertes de change (656, ou 666…)")),
    "exchange_gain": (N_("Gains de change sur créances et dettes commerciales"), ("756", "766"),
                      N_("un compte de gains de change (756, ou 766…)")),
    # ACC-3: the card sales journal.
    "card_clearing": (N_("Cartes bancaires à encaisser"), ("511",),
                      N_("un compte de valeurs à l'encaissement (5115…)")),
    "card_customers": (N_("Clients – ventes par carte"), ("41", "46", "58"),
                       N_("un compte de clients (411…), de débiteurs divers (467…) ou de virements internes (58…)")),
    "card_unpaid": (N_("Clients – impayés cartes"), ("41",), N_("un compte de clients (411, 416…)")),
    "card_commission": (N_("Commissions bancaires sur cartes"), ("6",),
                        N_("un compte de charges de la classe 6 (627…)")),
}
NETWORK_SHAPE = re.compile(r"^[A-Z0-9_]{2,16}$")
ACCOUNT_SHAPE = re.compile(r"^[0-9]{3,10}$")
JOURNAL_SHAPE = re.compile(r"^[A-Z0-9]{1,6}$")
_LEGAL_FORMS = {"SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "SCOP", "SELARL", "GIE", "ETS", "STE", "SOCIETE",
                "CIE", "GMBH", "AG", "KG", "OHG", "UG", "LTD", "LIMITED", "LLC", "INC", "PLC", "BV", "NV", "SPA",
                "SRL", "SL", "AB", "AS", "OY", "SP", "ZOO", "CO", "ET", "DE", "DU", "DES", "LA", "LE", "LES", "L",
                "D", "THE", "AND", "UND"}
CODE_LENGTH = 10


class AccountError(TextError):
    """A refused account setting; str() is the French message, translate() the reader's (LOC-3)."""


@dataclass(frozen=True)
class AccountsConfig:
    suppliers: str = "401"
    expense_default: str = "607"
    expense_accounts: tuple = DEFAULT_EXPENSE_ACCOUNTS  # ((number, label), ...)
    vat_deductible: str = "44566"
    vat_intracom_deductible: str = "445662"
    vat_intracom_due: str = "4452"
    deposits: str = "4091"
    bank: str = "512"
    exchange_loss: str = "656"
    exchange_gain: str = "756"
    purchases_journal: str = "AC"
    purchases_journal_label: str = "Achats"
    bank_journal: str = "BQ"
    bank_journal_label: str = "Banque"
    default_vat_rate: int = 2000  # French rate of a reverse-charged line that states none (basis points)
    # Sub-accounts of 4452 / 44566 by default: the accountant renames them to the firm's chart.
    vat_services_due: str = "445201"
    vat_services_deductible: str = "445663"
    vat_import_due: str = "445202"
    vat_import_deductible: str = "445664"
    vat_domestic_due: str = "445203"
    vat_domestic_deductible: str = "445665"
    card_clearing: str = "5115"
    card_customers: str = "411"
    card_unpaid: str = "416"
    card_commission: str = "627"
    card_journal: str = "CB"
    card_journal_label: str = "Ventes par carte"
    # ((network, basis points), ...): the acquirer's commission on a remittance, 0 % for a network not
    # listed, until the gateway's remittance report gives the real figure.
    card_commission_rates: tuple = ()
    card_credit_delay_days: int = 1  # the bank credits a remittance this many days after it is sent
    # ((ISO 4217 code, euros for one unit x fec.RATE_SCALE, first day "AAAA-MM-JJ" or "" from the start),
    # ...): the card sales of a shop in another currency are booked at the rate of their day
    # (card_exchange_rate); a currency not listed is left out of the books (and said so).
    card_exchange_rates: tuple = ()
    fiscal_year_start_month: int = 1  # entry numbers restart at 1 on the first day of this month

    def commission_rate(self, network):
        for name, rate in self.card_commission_rates:
            if name == (network or "").upper():
                return rate
        return 0

    def card_exchange_rate(self, currency, day=None):
        """Euros for one unit of `currency` x RATE_SCALE on `day`, None when the currency has no rate:
        the rate of the latest line in force on that day (a line without a date holds from the start),
        the earliest line's before any is. A new month's rate is a new dated line, so the days already
        booked (and closed) keep theirs."""
        found = None
        for code, rate, since in sorted(self.card_exchange_rates, key=lambda line: (line[0], line[2])):
            if code != currency:
                continue
            if found is None or day is None or since <= day.isoformat():
                found = rate
        return found

    def card_currencies(self):
        """The card currencies the books take: the euro and those with a rate."""
        return ("EUR",) + tuple(dict.fromkeys(code for code, _, _ in self.card_exchange_rates))

    def journals(self):
        """Journal codes in the order the FEC lists them."""
        return (self.purchases_journal, self.bank_journal, self.card_journal)

    def label_of(self, number):
        """The name of an account: the merchant's label of an expense account, else its role."""
        labels = self.__dict__.get("_labels")
        if labels is None:
            labels = {}
            object.__setattr__(self, "_labels", labels)  # a cache, not a field: equality and to_dict ignore it
        label = labels.get(number)
        if label is None:
            label = labels[number] = self._label_of(number)
        return label

    def _label_of(self, number):
        for expense, label in self.expense_accounts:
            if expense == number:
                return label
        for role, (label, _, _) in ACCOUNT_ROLES.items():
            if getattr(self, role) == number:
                return label
        return "Charges" if number.startswith("6") else number

    def expense_account_of(self, invoice_account):
        """The 6xx account of an invoice: its own, or the default when it has none ("")."""
        return (invoice_account or "").strip() or self.expense_default

    def to_dict(self):
        data = asdict(self)
        data["expense_accounts"] = [list(pair) for pair in self.expense_accounts]
        data["card_commission_rates"] = [list(pair) for pair in self.card_commission_rates]
        data["card_exchange_rates"] = [list(line) for line in self.card_exchange_rates]
        return data

    @classmethod
    def from_dict(cls, data):
        known = {name: value for name, value in data.items() if name in cls.__dataclass_fields__}
        if "expense_accounts" in known:
            known["expense_accounts"] = tuple((str(n), str(l)) for n, l in known["expense_accounts"])
        if "card_commission_rates" in known:
            known["card_commission_rates"] = tuple((str(n), int(r)) for n, r in known["card_commission_rates"])
        if "card_exchange_rates" in known:
            known["card_exchange_rates"] = tuple((str(line[0]), int(line[1]), str(line[2]) if len(line) > 2 else "")
                                                 for line in known["card_exchange_rates"])
        return replace(cls(), **known)


# --- Checks --------------------------------------------------------------------------------------


def check_account(value, role):
    """A PCG account number for `role`: digits only, 3 to 10 of them, in the class the role needs."""
    number = (value or "").strip().replace(" ", "")
    name, prefixes, meaning = ACCOUNT_ROLES[role]
    if not ACCOUNT_SHAPE.match(number):
        raise AccountError(N_("Un numéro de compte ne contient que des chiffres, de 3 à 10 (par exemple "
                              "%(example)s)."), example=getattr(AccountsConfig(), role))
    if not number.startswith(prefixes):
        raise AccountError(N_("Le compte « %(name)s » doit être %(meaning)s ; « %(number)s » n'en est pas un."),
                           name=Text(name), meaning=Text(meaning), number=number)
    return number


def check_journal(value):
    code = (value or "").strip().upper()
    if not JOURNAL_SHAPE.match(code):
        raise AccountError(N_("Un code journal compte de 1 à 6 lettres ou chiffres, sans espace (AC, BQ…)."))
    return code


def parse_expense_accounts(text):
    """One account a line, « 6226 Honoraires »: returns ((number, label), ...) or raises AccountError."""
    accounts, seen = [], set()
    for number_line, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        number, _, label = raw.partition(" ")
        number = number.strip()
        if not ACCOUNT_SHAPE.match(number):
            raise AccountError(N_("Ligne %(line)s : commencez par le numéro du compte (chiffres seulement), "
                                  "puis son libellé — par exemple « 6226 Honoraires »."), line=number_line)
        if not number.startswith("6"):
            raise AccountError(N_("Ligne %(line)s : « %(number)s » n'est pas un compte de charges ; "
                                  "les comptes de charges commencent par 6."), line=number_line, number=number)
        if number in seen:
            raise AccountError(N_("Ligne %(line)s : le compte %(number)s figure déjà dans la liste."),
                               line=number_line, number=number)
        seen.add(number)
        accounts.append((number, label.strip() or "Charges"))
    if not accounts:
        raise AccountError(N_("Gardez au moins un compte de charges (par exemple « 607 Achats de marchandises »)."))
    return tuple(accounts)


def parse_commission_rates(text):
    """One network a line, « CB 0,80 » (percent of the remittance): ((network, basis points), ...)."""
    rates, seen = [], set()
    for number_line, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        network, _, rate = raw.partition(" ")
        network = network.strip().upper()
        if not NETWORK_SHAPE.match(network) or network in seen:
            raise AccountError(N_("Ligne %(line)s : écrivez le réseau puis son taux, une fois par réseau — "
                                  "par exemple « CB 0,80 »."), line=number_line)
        try:
            basis_points = parse_rate(rate)
        except QuantityError:
            raise AccountError(N_("Ligne %(line)s : taux illisible, écrivez par exemple « VISA 1,20 »."),
                               line=number_line) from None
        if basis_points > 1000:
            raise AccountError(N_("Ligne %(line)s : une commission de plus de 10 %% n'est pas plausible."),
                               line=number_line)
        seen.add(network)
        rates.append((network, basis_points))
    return tuple(rates)


CURRENCY_SHAPE = re.compile(r"^[A-Z]{3}$")
EXCHANGE_RATE_SHAPE = re.compile(r"^[0-9]{1,6}(?:[.,]([0-9]+))?$")


def parse_card_exchange_rates(text):
    """One rate a line, « USD 0,9234 » (euros for one unit, six decimals at most), followed by the day it
    holds from for a later rate, « USD 0,9310 01/04/2025 »: ((ISO 4217 code, euros for one unit x
    RATE_SCALE, "AAAA-MM-JJ" or ""), ...) or AccountError naming the line."""
    from babel.numbers import is_currency

    from portal.accounting.fec import FEC_CURRENCY, RATE_SCALE

    rates, seen = [], set()
    for number_line, raw in enumerate((text or "").replace("\u00a0", " ").splitlines(), start=1):
        words = raw.split()
        if not words:
            continue
        code, rate, since = words[0].upper(), (words[1] if len(words) > 1 else ""), words[2:]
        if not CURRENCY_SHAPE.match(code) or not is_currency(code):
            raise AccountError(N_("Ligne %(line)s : « %(code)s » n'est pas un code de devise ISO 4217 ; écrivez "
                                  "la devise puis son cours, par exemple « USD 0,9234 »."),
                               line=number_line, code=code[:12])
        if code == FEC_CURRENCY:
            raise AccountError(N_("Ligne %(line)s : l'euro est la monnaie des comptes, il n'a pas de cours."),
                               line=number_line)
        shape = EXCHANGE_RATE_SHAPE.match(rate)
        if not shape:
            raise AccountError(N_("Ligne %(line)s : cours illisible ; écrivez les euros pour une unité de la "
                                  "devise, par exemple « %(code)s 0,9234 »."), line=number_line, code=code)
        if shape.group(1) and len(shape.group(1)) > 6:
            raise AccountError(N_("Ligne %(line)s : un cours compte six décimales au plus."), line=number_line)
        whole, _, fraction = rate.replace(",", ".").partition(".")
        value = int(whole) * RATE_SCALE + int((fraction or "0").ljust(6, "0"))
        if value <= 0:
            raise AccountError(N_("Ligne %(line)s : le cours doit être supérieur à zéro."), line=number_line)
        day = _rate_day(since)
        if day is None:
            raise AccountError(N_("Ligne %(line)s : après le cours, écrivez seulement le jour à partir duquel il "
                                  "s'applique, par exemple « %(code)s 0,9310 01/04/2025 »."),
                               line=number_line, code=code)
        if (code, day) in seen:
            raise AccountError(N_("Ligne %(line)s : la devise %(code)s a déjà un cours à cette date."),
                               line=number_line, code=code)
        seen.add((code, day))
        rates.append((code, value, day))
    return tuple(sorted(rates, key=lambda line: (line[0], line[2])))


def _rate_day(words):
    """The day a rate holds from, "AAAA-MM-JJ" ("" without one), from « 01/04/2025 » or « 2025-04-01 »;
    None when unreadable or followed by anything else."""
    import datetime

    if not words:
        return ""
    if len(words) > 1:
        return None
    for shape in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(words[0], shape).date().isoformat()
        except ValueError:
            pass
    return None


def format_card_exchange_rates(rates):
    from portal.accounting.fec import format_exchange_rate

    return "\n".join(f"{code} {format_exchange_rate(rate)}" + (f" {since[8:10]}/{since[5:7]}/{since[:4]}" if since else "")
                     for code, rate, since in rates)


def format_commission_rates(rates):
    return "\n".join(f"{network} {format_rate(rate).replace(chr(160) + '%', '')}" for network, rate in rates)


def format_expense_accounts(accounts):
    return "\n".join(f"{number} {label}" for number, label in accounts)


def build_config(values):
    """An AccountsConfig from raw form values (strings), or {field: message} of what is wrong: each
    message a Text (or an error with translate()), shown with portal.texts.in_user_language."""
    errors, data = {}, {}
    for role in ACCOUNT_ROLES:
        try:
            data[role] = check_account(values.get(role), role)
        except AccountError as error:
            errors[role] = error
    for name in ("purchases_journal", "bank_journal", "card_journal"):
        try:
            data[name] = check_journal(values.get(name) if name != "card_journal" or values.get(name) else "CB")
        except AccountError as error:
            errors[name] = error
    if "purchases_journal" in data and data.get("purchases_journal") == data.get("bank_journal"):
        errors["bank_journal"] = Text(N_("Le journal de banque doit avoir un autre code que le journal des achats."))
    if "card_journal" in data and data["card_journal"] in (data.get("purchases_journal"), data.get("bank_journal")):
        errors["card_journal"] = Text(N_("Le journal des ventes par carte doit avoir son propre code (CB par "
                                         "exemple)."))
    for name, default in (("purchases_journal_label", "Achats"), ("bank_journal_label", "Banque"),
                          ("card_journal_label", "Ventes par carte")):
        data[name] = " ".join((values.get(name) or "").split())[:60] or default
    try:
        data["card_commission_rates"] = parse_commission_rates(values.get("card_commission_rates"))
    except AccountError as error:
        errors["card_commission_rates"] = error
    try:
        data["card_exchange_rates"] = parse_card_exchange_rates(values.get("card_exchange_rates"))
    except AccountError as error:
        errors["card_exchange_rates"] = error
    for name, low, high, message in (
            ("card_credit_delay_days", 0, 10, N_("Un délai de 0 à 10 jours (1 : la banque crédite le lendemain).")),
            ("fiscal_year_start_month", 1, 12, N_("Un mois de 1 (janvier) à 12 (décembre)."))):
        raw = str(values.get(name) if values.get(name) is not None else getattr(AccountsConfig(), name)).strip()
        if not re.fullmatch(r"[0-9]{1,2}", raw) or not low <= int(raw) <= high:
            errors[name] = Text(message)
        else:
            data[name] = int(raw)
    try:
        data["expense_accounts"] = parse_expense_accounts(values.get("expense_accounts"))
    except AccountError as error:
        errors["expense_accounts"] = error
    if "expense_default" in data and "expense_accounts" in data \
            and data["expense_default"] not in {number for number, _ in data["expense_accounts"]}:
        errors["expense_default"] = Text(N_("Ajoutez le compte %(number)s à la liste des comptes de charges, ou "
                                            "choisissez-en un de la liste."), number=data["expense_default"])
    try:
        data["default_vat_rate"] = parse_rate(values.get("default_vat_rate"))
    except QuantityError as error:
        errors["default_vat_rate"] = error
    return (None, errors) if errors else (AccountsConfig.from_dict(data), {})


def form_values(config):
    """The raw values a settings form shows for `config` (the inverse of build_config)."""
    values = {name: getattr(config, name) for name in ACCOUNT_ROLES}
    values.update(purchases_journal=config.purchases_journal, purchases_journal_label=config.purchases_journal_label,
                  bank_journal=config.bank_journal, bank_journal_label=config.bank_journal_label,
                  card_journal=config.card_journal, card_journal_label=config.card_journal_label,
                  card_commission_rates=format_commission_rates(config.card_commission_rates),
                  card_exchange_rates=format_card_exchange_rates(config.card_exchange_rates),
                  card_credit_delay_days=str(config.card_credit_delay_days),
                  fiscal_year_start_month=str(config.fiscal_year_start_month),
                  expense_accounts=format_expense_accounts(config.expense_accounts),
                  default_vat_rate=format_rate(config.default_vat_rate).replace("\u00a0%", ""))
    return values


# --- Stored settings -----------------------------------------------------------------------------


def _read(key, default):
    row = Setting.get_or_none(Setting.key == key)
    return json.loads(row.value) if row else default


def _write(key, value):
    row = Setting.get_or_none(Setting.key == key)
    if row is None:
        Setting.create(key=key, value=json.dumps(value, ensure_ascii=False))
    else:
        row.value = json.dumps(value, ensure_ascii=False)
        row.save()


def current_accounts():
    return AccountsConfig.from_dict(_read(ACCOUNTS_KEY, {}))


def save_accounts(config, user):
    with db.atomic():
        before = current_accounts().to_dict()
        _write(ACCOUNTS_KEY, config.to_dict())
        record_action("accounting.accounts", "setting", ACCOUNTS_KEY, user=user, before=before, after=config.to_dict())


def current_company():
    """{"name", "siren", …} of the merchant, owned by the company page (portal/company.py); read only here."""
    return _read(COMPANY_KEY, {})


# --- Auxiliary supplier accounts -------------------------------------------------------------------


def derive_code(name):
    """« Fournitures Dupont SARL » -> « FOURNITURE »: the significant words, unaccented, upper case."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().upper()
    words = [word for word in re.split(r"[^A-Z0-9]+", ascii_name) if word and word not in _LEGAL_FORMS]
    return "".join(words)[:CODE_LENGTH]


def _unique(code, taken, supplier_id):
    if code and code not in taken:
        return code
    stem = (code or "F")[:CODE_LENGTH - 2]
    for counter in range(2, 100):
        candidate = f"{stem}{counter:02d}"
        if candidate not in taken:
            return candidate
    return f"F{supplier_id}"[:CODE_LENGTH + 4]


def _locked_setting(key, default):
    """The Setting row of `key`, created if missing and locked until the transaction ends."""
    from portal.database import is_postgres

    if Setting.get_or_none(Setting.key == key) is None:
        try:
            with db.atomic():
                Setting.create(key=key, value=json.dumps(default))
        except IntegrityError:
            pass  # created meanwhile by another worker
    query = Setting.select().where(Setting.key == key)
    return (query.for_update() if is_postgres() else query).get()


def supplier_codes(suppliers, user=None):
    """{supplier id: code} for `suppliers` (id, name pairs), assigning a unique code to those that have
    none yet. Assigned once and stored, so renaming a supplier never changes its account."""
    from portal.database import is_postgres

    suppliers = list(suppliers)
    codes = {int(k): v for k, v in _read(SUPPLIER_CODES_KEY, {}).items()}
    if all(supplier_id in codes for supplier_id, _ in suppliers):
        return {supplier_id: codes[supplier_id] for supplier_id, _ in suppliers}
    # BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL: two exports never hand out the same code.
    with db.atomic() if is_postgres() else db.atomic(lock_type="IMMEDIATE"):
        row = _locked_setting(SUPPLIER_CODES_KEY, {})
        codes = {int(k): v for k, v in json.loads(row.value).items()}
        taken = set(codes.values())
        assigned = {}
        for supplier_id, name in sorted(suppliers):
            if supplier_id not in codes:
                codes[supplier_id] = assigned[supplier_id] = _unique(derive_code(name), taken, supplier_id)
                taken.add(codes[supplier_id])
        if assigned:
            row.value = json.dumps({str(k): v for k, v in sorted(codes.items())})
            row.save()
            record_action("accounting.supplier_accounts", "setting", SUPPLIER_CODES_KEY, user=user, after=assigned)
    return {supplier_id: codes[supplier_id] for supplier_id, _ in suppliers}


def all_supplier_codes():
    return {int(k): v for k, v in _read(SUPPLIER_CODES_KEY, {}).items()}
