"""ONB-1: the guided first run of an administrator, the one page owning the company identity,
and 403 pages that name the missing right."""
import html

from models import AuditRecord
from portal.company import current_identity
from portal.payables.service import company_details
from tests.factories import make_shop, make_supplier, make_user

IDENTITY = {"name": "Comptoir Démo", "legal_form": "SAS", "address": "12 rue des Halles", "postcode": "75001",
            "city": "Paris", "siren": "552 100 554", "siret": "55210055400013", "vat_number": "FR96552100554",
            "iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPPXXX"}


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def test_onb_1_a_new_administrator_is_guided_until_ready(client, admin):
    client.login("admin")
    home = _text(client.get("/"))
    assert "Premiers pas : 0 étapes sur 5" in home
    checklist = _text(client.get("/premiers-pas"))
    for step in ("Identité de l'entreprise", "Première boutique", "Vos droits sur la boutique",
                 "Double authentification", "Vos collègues"):
        assert step in checklist
    assert checklist.count("à faire") == 5

    refused = client.post("/entreprise", data={**IDENTITY, "siren": "552100555"})
    assert refused.status_code == 422 and "Clé de contrôle SIREN invalide" in _text(refused)
    saved = client.post("/entreprise", data=IDENTITY)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/premiers-pas")
    identity = current_identity()
    assert (identity.siren, identity.siret, identity.iban) == ("552100554", "55210055400013", "FR7630004000031234567890143")
    assert "SAS Comptoir Démo — SIRET 55210055400013 — TVA FR96552100554" == identity.legal_line
    assert company_details().name == "Comptoir Démo", "the SEPA payer reads the same identity"
    assert AuditRecord.get(AuditRecord.action == "setting.company").user_id == admin.id

    shop = make_shop("Épicerie du port")
    make_user("caissier")
    checklist = _text(client.get("/premiers-pas"))
    assert checklist.count("à faire") == 2  # rights on the shop, second factor
    from models import ShopRight

    ShopRight.create(user=admin, shop=shop, right="view")
    from models import User
    User.update(totp_enrolled_at=User.created_at).where(User.id == admin.id).execute()
    ready = _text(client.get("/premiers-pas"))
    assert "Le portail est prêt" in ready
    assert "Premiers pas" not in _text(client.get("/")).split("<main", 1)[1].split("Administration")[0]


def test_onb_1_company_identity_is_the_administrators(client, login_as, shop):
    login_as("acheteur", rights=["manage_suppliers", "pay_invoices"], shop=shop)
    response = client.post("/entreprise", data=IDENTITY)
    assert response.status_code == 403
    assert "Administrer les utilisateurs" in _text(response)
    assert current_identity().name == ""


def test_onb_1_forbidden_page_names_the_missing_right_and_the_shop(client, admin, login_as):
    shop = make_shop("Épicerie du port")
    login_as("comptable", rights=["approve_invoices"], shop=shop)
    from portal.invoices.service import InvoiceData, create_invoice
    import datetime

    invoice = create_invoice(InvoiceData(shop=shop, supplier=make_supplier(), number="F-1", kind="INVOICE",
                                         issue_date=datetime.date(2026, 3, 1), currency="EUR", total_net=1000,
                                         total_vat=0, total_gross=1000), None)
    response = client.post(f"/factures/{invoice.id}/repartition", data={})
    text = _text(response)
    assert response.status_code == 403
    assert "Il vous manque le droit « Gérer les fournisseurs » sur la boutique « Épicerie du port »" in text
    assert "Un administrateur peut vous le donner : admin" in text
    listing = client.get("/transactions/")
    assert listing.status_code == 403 and "« Consulter »" in _text(listing)


def test_onb_1_forbidden_page_does_not_name_a_shop_the_user_has_no_right_on(client, admin, login_as):
    mine, other = make_shop("Ma boutique"), make_shop("Boutique secrète")
    login_as("tresorier", rights=["pay_invoices"], shop=mine)
    response = client.post("/reglements/lots", data={"shop": other.id, "execution_date": "2026-03-10"})
    assert response.status_code == 403
    assert "Boutique secrète" not in _text(response) and "Payer les factures" in _text(response)


def test_onb_1_the_administrator_works_in_the_shops_she_creates(client, admin):
    from models import Shop, ShopRight
    from portal.auth.rights import SHOP_RIGHTS

    client.login("admin")
    response = client.post("/admin/shops/new", data={
        "name": "Épicerie du port", "merchant_id": "123456789012345", "establishment": 0, "currency": "EUR",
        "default_capture_mode": "AUTO", "default_capture_delay": 0, "default_network": "CB",
        "gateway": "SIMULATOR", "gateway_key_version": 1})
    assert response.status_code == 303, _text(response)[:2000]
    shop = Shop.get()
    assert {row.right for row in ShopRight.select().where((ShopRight.user == admin) & (ShopRight.shop == shop))} \
        == set(SHOP_RIGHTS)
    assert client.get("/transactions/").status_code == 200, "no 403 on the way to the first payment"
    assert client.get("/transactions/nouveau").status_code == 200


def test_onb_1_role_presets_fill_a_shops_rights(client, admin):
    from models import ShopRight
    from portal.auth.rights import ROLE_PRESETS

    shop, other = make_shop("Épicerie"), make_shop("Halles")
    cashier = make_user("caissier")
    client.login("admin")
    page = _text(client.get(f"/admin/users/{cashier.id}"))
    assert "Gérant" in page and "Caissier" in page and "Lecture seule" in page
    response = client.post(f"/admin/users/{cashier.id}/rights", data={
        f"preset-{shop.id}": "cashier", f"shop-{shop.id}": ["manage_axes"],
        f"preset-{other.id}": "", f"shop-{other.id}": ["view"]})
    assert response.status_code == 303
    held = lambda s: {r.right for r in ShopRight.select().where((ShopRight.user == cashier) & (ShopRight.shop == s))}
    assert held(shop) == set(ROLE_PRESETS["cashier"][1]), "the preset wins over the boxes"
    assert held(other) == {"view"}
