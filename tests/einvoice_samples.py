"""E-invoices built for tests with the factur-x package (nothing binary is committed)."""
import datetime

import facturx
import weasyprint


def paper_invoice_data(po_number, quantity="10", unit_price="12.50", number="FA-2026-0100",
                       vat_number="FR44732829320", seller="Fournitures Dupont"):
    """One line of « Ramette papier A4 » at 20 % VAT, quoting `po_number` (BT-13)."""
    net = f"{float(quantity) * float(unit_price):.2f}"  # test data only: exact for these values
    vat = f"{float(net) * 0.2:.2f}"
    gross = f"{float(net) + float(vat):.2f}"
    data = {
        "BT-1": number, "BT-2": datetime.date(2026, 11, 20), "BT-3": "380", "BT-5": "EUR",
        "BT-9": datetime.date(2026, 12, 20), "BT-72": datetime.date(2026, 11, 18),
        "BG-4": {"name": seller, "vat_identifier": vat_number, "country_code": "FR", "city": "Paris",
                 "postcode": "75001", "addr_l1": "1 rue de Rivoli"},
        "BG-7": {"name": "Épicerie du Port", "country_code": "FR"},
        "BG-25": [{"BT-126": "1", "BT-153": "Ramette papier A4", "BT-129": quantity, "BT-130": "C62",
                   "BT-146": unit_price, "BT-131": net, "BT-151": "S", "BT-152": "20"}],
        "BG-23": [{"BT-118": "S", "BT-119": "20", "BT-116": net, "BT-117": vat}],
        "BT-106": net, "BT-109": net, "BT-110": vat, "BT-112": gross, "BT-115": gross,
    }
    if po_number:
        data["BT-13"] = po_number
    return data


def facturx_pdf(data, level="en16931"):
    xml = facturx.generate_xml(data, flavor="factur-x", level=level, check_schematron=False)
    pdf = weasyprint.HTML(string=f"<h1>Facture {data['BT-1']}</h1><p>{data['BG-4']['name']}</p>").write_pdf()
    return facturx.generate_from_binary(pdf, xml)


def ubl_xml(data):
    return facturx.generate_xml(data, flavor="ubl-2.1", level="en16931", check_schematron=False)


def plain_pdf(text="Facture papier scannée"):
    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()
