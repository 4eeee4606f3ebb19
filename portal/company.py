"""The merchant's legal identity (ONB-1, DOC-2): one owner for the name, legal form, address,
SIREN/SIRET, VAT number and bank account that receipts, purchase orders, SEPA files and the FEC
print. Kept in the shared "company" setting, whose keys name/siren/iban/bic the payables and
accounting areas already read. No Flask here."""
import json
from dataclasses import asdict, dataclass, fields

from models import Setting, db
from portal.audit import record_action

COMPANY_KEY = "company"


@dataclass(frozen=True)
class CompanyIdentity:
    name: str = ""  # legal name (raison sociale)
    legal_form: str = ""  # SARL, SAS, EI …
    address: str = ""  # street and number
    postcode: str = ""
    city: str = ""
    siren: str = ""
    siret: str = ""  # of the head office
    vat_number: str = ""
    iban: str = ""
    bic: str = ""

    @property
    def address_lines(self):
        """The postal address as printed on a document."""
        return [line for line in (self.address, f"{self.postcode} {self.city}".strip()) if line]

    @property
    def siret_display(self):
        """« 552 100 554 00013 »: SIREN in groups of three, then the establishment number."""
        digits = self.siret.replace(" ", "")
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}" if len(digits) == 14 else self.siret

    @property
    def siren_display(self):
        digits = self.siren.replace(" ", "")
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 9 else self.siren

    @property
    def legal_line(self):
        """« SAS Comptoir Démo — SIRET 552 100 554 00013 — TVA FR… », for the foot of a document."""
        parts = [" ".join(part for part in (self.legal_form, self.name) if part)]
        if self.siret:
            parts.append(f"SIRET {self.siret}")
        elif self.siren:
            parts.append(f"SIREN {self.siren}")
        if self.vat_number:
            parts.append(f"TVA {self.vat_number}")
        return " — ".join(part for part in parts if part)


# What a French merchant must print on a receipt or an order, and the bank account that pays.
REQUIRED = ("name", "address", "postcode", "city", "siren", "iban")


def _stored():
    row = Setting.get_or_none(Setting.key == COMPANY_KEY)
    return json.loads(row.value) if row else {}


def current_identity():
    data = _stored()
    return CompanyIdentity(**{f.name: str(data.get(f.name) or "") for f in fields(CompanyIdentity)})


def missing_fields(identity):
    return [name for name in REQUIRED if not getattr(identity, name)]


# The legal mentions a receipt or a purchase order prints (DOC-2); what is blank is named on the
# document itself ("SIRET à renseigner") rather than silently left out.
DOCUMENT_MENTIONS = ("name", "address", "siret", "vat_number")


def missing_mentions(identity):
    """The DOCUMENT_MENTIONS the identity lacks (the address counts as one: street, postcode, city)."""
    present = {
        "name": bool(identity.name),
        "address": bool(identity.address and identity.postcode and identity.city),
        "siret": bool(identity.siret),
        "vat_number": bool(identity.vat_number),
    }
    return [name for name in DOCUMENT_MENTIONS if not present[name]]


def shop_address_lines(shop):
    """The shop's own postal address as printed (street lines, then postcode and city), or [] when
    it has none: documents then print the head office's (DOC-2)."""
    street = [line.strip() for line in (getattr(shop, "address", "") or "").splitlines() if line.strip()]
    town = " ".join(part for part in ((getattr(shop, "postal_code", "") or "").strip(),
                                      (getattr(shop, "city", "") or "").strip()) if part)
    return street + [town] if town else street


def delivery_address_lines(shop, identity):
    """Where a purchase order of `shop` is delivered: the shop's address when filled in, else the
    head office's."""
    return shop_address_lines(shop) or list(identity.address_lines)


def register_document_globals(blueprint):
    """Templates of documents (templates/pdf/) read the identity through these globals, so a view
    that renders a document needs no change to print the legal mentions."""
    blueprint.add_app_template_global(current_identity, "company_identity")
    blueprint.add_app_template_global(missing_mentions, "missing_mentions")
    blueprint.add_app_template_global(shop_address_lines, "shop_address_lines")
    blueprint.add_app_template_global(delivery_address_lines, "delivery_address_lines")


def update_company(changes, user, remote_addr=""):
    """Write `changes` into the company setting, audited with before and after; keys other areas
    keep in the same setting are left as they are. Every writer of the identity goes through here."""
    with db.atomic():
        before = _stored()
        after = {**before, **changes}
        value = json.dumps(after, ensure_ascii=False)
        if Setting.update(value=value).where(Setting.key == COMPANY_KEY).execute() == 0:
            Setting.create(key=COMPANY_KEY, value=value)
        record_action("setting.company", "setting", COMPANY_KEY, user=user, remote_addr=remote_addr,
                      before=before or None, after=after)
    return after


def save_identity(identity, user, remote_addr=""):
    """Store the identity (already checked by the form)."""
    update_company(asdict(identity), user, remote_addr)
    return identity
