"""Purchase requests, orders, their PDF and delivery notes through the pages (AP-PO-1, AP-DN-1)."""
import datetime
import html as html_module
import subprocess

from models import DeliveryLine, PurchaseLine, PurchaseOrder, PurchaseRequest
from portal.purchasing.service import received_by_line
from tests.factories import make_order, make_supplier

BUYER = ["manage_suppliers"]


def _lines(*rows):
    data = {}
    for i, (description, quantity, price, rate) in enumerate(rows):
        data.update({f"lines-{i}-description": description, f"lines-{i}-quantity": quantity,
                     f"lines-{i}-unit_price": price, f"lines-{i}-vat_rate": rate})
    return data


def test_ap_po_1_request_turned_into_numbered_order(client, login_as, shop):
    login_as("acheteur", rights=BUYER, shop=shop)
    supplier = make_supplier()
    response = client.post("/achats/demandes/nouvelle", data={
        "shop": shop.id, "title": "Fournitures de bureau", "supplier": "0", "currency": "EUR",
        **_lines(("Ramette papier A4", "10", "12,50", "2000"), ("Stylos (boîte)", "2,5", "3,33", "2000"))})
    assert response.status_code == 303, response.get_data(as_text=True)
    request_row = PurchaseRequest.get()
    year = datetime.date.today().year
    assert request_row.number == f"DA-{year}-0001"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "133,33" in page  # 125,00 + 8,33 HT
    response = client.post(f"/achats/demandes/{request_row.id}", data={"supplier": supplier.id})
    order = PurchaseOrder.get()
    assert order.number == f"BC-{year}-0001" and order.request_id == request_row.id
    assert [(l.description, l.quantity_milli, l.unit_price) for l in order.lines.order_by(PurchaseLine.position)] == [
        ("Ramette papier A4", 10000, 1250), ("Stylos (boîte)", 2500, 333)]
    assert PurchaseRequest.get().status == "ORDERED"
    second = make_order(shop, supplier)
    assert second.number == f"BC-{year}-0002"


def test_ap_po_1_line_errors_shown_and_nothing_saved(client, login_as, shop):
    login_as("acheteur", rights=BUYER, shop=shop)
    supplier = make_supplier()
    response = client.post("/achats/commandes/nouvelle", data={
        "shop": shop.id, "supplier": supplier.id, "currency": "EUR",
        **_lines(("", "0", "12,345", "2000"))})
    assert response.status_code == 422
    html = html_module.unescape(response.get_data(as_text=True))
    assert "Décrivez l'article" in html and "supérieure à zéro" in html and "Trop de décimales" in html
    assert PurchaseOrder.select().count() == 0


def test_ap_po_1_add_line_fragment_follows_the_form(client, login_as, shop):
    login_as("acheteur", rights=BUYER, shop=shop)
    html = client.post("/achats/ligne?prefix=lines", data=_lines(("a", "1", "1", "2000"), ("b", "1", "1", "2000")),
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="lines-2-description"' in html and "<html" not in html


def test_ap_po_1_order_pdf_is_a4(client, login_as, shop, output_dir):
    login_as("acheteur", rights=BUYER, shop=shop)
    order = make_order(shop, make_supplier(), lines=((10000, 1250, 2000), (3000, 990, 550)))
    response = client.get(f"/achats/commandes/{order.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = output_dir / "purchase-order.pdf"
    path.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "595.276 x 841.89" in info  # A4 in points
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert order.number in text and "Ramette papier A4" in text and "TVA 5,5" in text


def test_ap_dn_1_partial_deliveries_line_by_line(client, login_as, shop):
    login_as("acheteur", rights=BUYER, shop=shop)
    order = make_order(shop, make_supplier(), lines=((10000, 1250, 2000), (5000, 400, 2000)))
    first, second = order.lines.order_by(PurchaseLine.position)
    response = client.post(f"/achats/commandes/{order.id}/reception", data={
        "reference": "BL-778", "received_on": "2026-11-20", f"received-{first.id}": "8"})
    assert response.status_code == 303
    page = client.get(f"/achats/commandes/{order.id}").get_data(as_text=True)
    assert "Reçue partiellement" in page and "BL-778" in page
    client.post(f"/achats/commandes/{order.id}/reception", data={
        "received_on": "2026-11-22", f"received-{first.id}": "2", f"received-{second.id}": "5"})
    assert received_by_line(order) == {first.id: 10000, second.id: 5000}
    assert "Reçue</dd>" in client.get(f"/achats/commandes/{order.id}").get_data(as_text=True)


def test_ap_dn_1_bad_quantity_keeps_nothing(client, login_as, shop):
    login_as("acheteur", rights=BUYER, shop=shop)
    order = make_order(shop, make_supplier())
    line = order.lines.get()
    response = client.post(f"/achats/commandes/{order.id}/reception", data={
        "received_on": "2026-11-20", f"received-{line.id}": "huit"})
    assert response.status_code == 422 and "illisible" in response.get_data(as_text=True)
    empty = client.post(f"/achats/commandes/{order.id}/reception", data={"received_on": "2026-11-20"})
    assert empty.status_code == 422 and "au moins une quantité" in empty.get_data(as_text=True)
    assert DeliveryLine.select().count() == 0


def test_auth_2_purchasing_needs_a_payables_right(client, login_as, shop):
    login_as("caisse", rights=["view"], shop=shop)
    assert client.get("/achats/").status_code == 403
    assert client.get("/achats/commandes/nouvelle").status_code == 403


def test_issue_14_order_list_shows_totals_reception_and_invoices_page_by_page(client, login_as, shop):
    """The list reads the page's lines, receptions and invoice counts at once, sorts and pages."""
    from models import Invoice
    from portal.purchasing.service import record_delivery

    login_as("acheteur", rights=BUYER, shop=shop)
    supplier = make_supplier()
    orders = [make_order(shop, supplier, lines=((10000, 1250, 2000), (2000, 500, 550))) for _ in range(55)]
    first, second = orders[0], orders[1]
    lines = list(first.lines.order_by(PurchaseLine.position))
    record_delivery(first, {lines[0].id: 10000, lines[1].id: 2000}, None, datetime.date.today())
    record_delivery(second, {second.lines.order_by(PurchaseLine.position).first().id: 4000}, None,
                    datetime.date.today())
    Invoice.create(shop=shop, supplier=supplier, number="F-9", issue_date=datetime.date.today(), total_net=1,
                   total_vat=0, total_gross=1, status="RECEIVED", order=first)
    page = html_module.unescape(client.get("/achats/?tri_bc=numero").get_data(as_text=True))
    assert "55 bons de commande." in page and "Page 1 sur 2" in page
    row = page[page.index(first.number):].split("</tr>")[0]
    # 10 × 12,50 € + 2 × 5,00 € HT = 135,00 €; VAT 25,00 + 0,55 € -> 160,55 € TTC
    assert "160,55" in row and "Reçue" in row and "<td>1</td>" in row
    row = page[page.index(second.number):].split("</tr>")[0]
    assert "Reçue partiellement" in row and "<td>0</td>" in row
    last = html_module.unescape(client.get("/achats/?tri_bc=numero&page_bc=2").get_data(as_text=True))
    assert orders[-1].number in last and first.number not in last and "Page 2 sur 2" in last
    descending = client.get("/achats/?tri_bc=numero&ordre=desc").get_data(as_text=True)
    assert descending.index(orders[-1].number) < descending.index(orders[-2].number)
