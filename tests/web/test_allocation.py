"""Analytic axes, the invoice allocation editor and restricted visibility through the Flask test
client (ALLOC-1, ALLOC-2, ALLOC-3, AUTH-2, AUDIT-1)."""
import csv
import datetime
import html as html_module
import io
import re

import pytest

from models import (AnalyticAccess, AnalyticAxis, AnalyticValue, Allocation, AuditRecord, Department, Establishment,
                    User)
from portal.allocation import service
from portal.allocation.service import AllocationInput, AllocationRefused
from portal.allocation.visibility import visible_axes, visible_value_ids
from portal.invoices.service import InvoiceData, LineData, create_invoice
from tests.factories import make_shop, make_supplier, make_user

HX = {"HX-Request": "true"}
PAYABLES = ["manage_suppliers", "approve_invoices", "pay_invoices"]
ACCOUNTANT = ["manage_axes", *PAYABLES]
NBSP, NNBSP = "\u00a0", "\u202f"


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def euros(text):
    """« 1 000,00 € » as the money filter writes it (narrow no-break space, no-break space before €)."""
    return text.replace(" ", NNBSP) + NBSP + "€"


def make_invoice(shop, net=1200000, number="F-2026-001", supplier=None, lines=()):
    supplier = supplier or make_supplier()
    return create_invoice(InvoiceData(shop=shop, supplier=supplier, number=number, issue_date=datetime.date(2026, 3, 2),
                                      currency="EUR", total_net=net, total_vat=net // 5, total_gross=net + net // 5,
                                      lines=list(lines)), None)


def make_axes(user=None):
    """The seed's axes: « Centre de coût » (Commercial, Consultant) and « Client » (Accor Hôtels)."""
    service.ensure_default_axis(user)
    cost_centre = AnalyticAxis.get(AnalyticAxis.name == "Centre de coût")
    client = service.create_axis("Client", user)
    values = {name: service.create_value(cost_centre, name, user) for name in ("Commercial", "Consultant")}
    values["Accor Hôtels"] = service.create_value(client, "Accor Hôtels", user)
    return cost_centre, client, values


def rows(**lines):
    """Editor form data: rows(r0=(axis, value, "amount", "5 000,00"), …)."""
    data = {}
    for key, (axis, value, mode, entry) in lines.items():
        index = key[1:]
        data.update({f"lines-{index}-axis": axis.id, f"lines-{index}-value": value.id if value else "",
                     f"lines-{index}-mode": mode, f"lines-{index}-entry": entry})
    return data


def saved(invoice):
    return sorted((a.value.name, a.amount, a.percent) for a in Allocation.select().where(Allocation.invoice == invoice))


def options(html, select_id):
    match = re.search(rf'<select[^>]*\bid="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select {select_id}"
    return re.findall(r'<option value="[1-9]\d*"[^>]*>([^<]+)</option>', match.group(1))


def remaining_shown(html):
    match = re.search(r'class="alloc-remaining[^"]*">\s*<dt>([^<]+)</dt>\s*<dd>([^<]+)</dd>', html)
    return match.groups() if match else None


def other_client(app, username):
    client = app.test_client()
    assert client.login(username).status_code == 302
    return client


# --- ALLOC-1: axes, values and sub-values --------------------------------------------------------


def test_alloc_1_default_axis_then_renamed_in_place(client, login_as, shop):
    manager = login_as("gestion", rights=["manage_axes"], shop=shop)
    page = _text(client.get("/ventilation/"))
    axis = AnalyticAxis.get()
    assert axis.name == "Centre de coût" and f'id="axis-{axis.id}"' in page

    form = _text(client.get(f"/ventilation/axes/{axis.id}/renommer", headers=HX))
    assert 'name="axis-%d-name"' % axis.id in form and 'value="Centre de coût"' in form

    refused = client.post(f"/ventilation/axes/{axis.id}/renommer", data={f"axis-{axis.id}-name": "  "}, headers=HX)
    assert refused.status_code == 422 and "Saisissez le nom de l'axe" in _text(refused)

    renamed = client.post(f"/ventilation/axes/{axis.id}/renommer", data={f"axis-{axis.id}-name": "Service"}, headers=HX)
    assert renamed.status_code == 200
    assert "Axe renommé « Service »" in _text(renamed) and _text(renamed).lstrip().startswith("<section")
    assert AnalyticAxis.get_by_id(axis.id).name == "Service"
    record = AuditRecord.get(AuditRecord.action == "analytic.axis.rename")
    assert record.user_id == manager.id and record.before_data == {"name": "Centre de coût"}
    assert record.after_data == {"name": "Service"}

    # A second axis of the same name is refused next to the field.
    duplicate = client.post("/ventilation/axes", data={"axis-new-name": "service"}, headers=HX)
    assert duplicate.status_code == 422 and "Un axe s'appelle déjà « Service »" in _text(duplicate)
    # Without JavaScript: a redirect to the page, with the message.
    created = client.post("/ventilation/axes", data={"axis-new-name": "Projet"})
    assert created.status_code == 303 and created.headers["Location"].endswith(
        f"/ventilation/#axis-{AnalyticAxis.get(AnalyticAxis.name == 'Projet').id}")


def test_alloc_1_values_and_sub_values_in_a_tree(client, login_as, shop):
    manager = login_as("gestion", rights=["manage_axes"], shop=shop)
    client.get("/ventilation/")
    axis = AnalyticAxis.get()
    prefix = f"axis-{axis.id}-value"
    for name in ("Consultant", "Commercial"):
        response = client.post(f"/ventilation/axes/{axis.id}/valeurs", data={f"{prefix}-name": name,
                                                                              f"{prefix}-parent": "0"}, headers=HX)
        assert response.status_code == 200
    commercial = AnalyticValue.get(AnalyticValue.name == "Commercial")
    response = client.post(f"/ventilation/axes/{axis.id}/valeurs", headers=HX, data={
        f"{prefix}-name": "Grands comptes", f"{prefix}-code": "CC-GC", f"{prefix}-parent": commercial.id})
    html = _text(response)
    assert "Valeur « Grands comptes » ajoutée à l'axe « Centre de coût »" in html
    sub = AnalyticValue.get(AnalyticValue.name == "Grands comptes")
    assert sub.parent_id == commercial.id and sub.code == "CC-GC"
    # Parents first, each followed by its sub-values, indented one level.
    names = re.findall(r'<li class="alloc-node alloc-depth-(\d)[^"]*" id="value-\d+">\s*<span class="alloc-value-name">'
                       r'(?:<span[^>]*>└</span> )?([^<]+)</span>', html)
    assert names == [("0", "Commercial"), ("1", "Grands comptes"), ("0", "Consultant")]
    # The parent list of the add form offers the paths.
    assert "Commercial > Grands comptes" in html

    # The same name twice under one parent is refused; under another parent it is fine.
    twice = client.post(f"/ventilation/axes/{axis.id}/valeurs", headers=HX, data={
        f"{prefix}-name": "grands comptes", f"{prefix}-parent": commercial.id})
    assert twice.status_code == 422 and "« grands comptes » existe déjà à cet endroit de l'axe." in _text(twice)

    # Renamed and moved in place; a value cannot go under its own sub-value.
    edit_form = _text(client.get(f"/ventilation/valeurs/{commercial.id}/modifier", headers=HX))
    assert f'name="value-{commercial.id}-name"' in edit_form
    assert options(edit_form, f"value-{commercial.id}-parent") == ["Consultant"]  # not itself nor its sub-values
    cycle = client.post(f"/ventilation/valeurs/{commercial.id}/modifier", headers=HX, data={
        f"value-{commercial.id}-name": "Commercial", f"value-{commercial.id}-parent": sub.id})
    assert cycle.status_code == 422 and AnalyticValue.get_by_id(commercial.id).parent_id is None
    consultant = AnalyticValue.get(AnalyticValue.name == "Consultant")
    moved = client.post(f"/ventilation/valeurs/{sub.id}/modifier", headers=HX, data={
        f"value-{sub.id}-name": "Grands comptes Est", f"value-{sub.id}-code": "CC-GCE",
        f"value-{sub.id}-parent": consultant.id})
    assert moved.status_code == 200
    sub = AnalyticValue.get_by_id(sub.id)
    assert (sub.name, sub.code, sub.parent_id) == ("Grands comptes Est", "CC-GCE", consultant.id)
    assert AuditRecord.get(AuditRecord.action == "analytic.value.update").after_data == {
        "name": "Grands comptes Est", "code": "CC-GCE", "parent_id": consultant.id}

    # Archived: still on the axes page (for its manager), no longer offered to allocate.
    client.post(f"/ventilation/valeurs/{consultant.id}/archiver", headers=HX)
    assert AnalyticValue.get_by_id(consultant.id).archived
    assert [node.path for node in service.value_tree(manager, axis)] == ["Commercial"]


def test_alloc_1_axes_created_reordered_and_archived(client, login_as, shop):
    manager = login_as("gestion", rights=["manage_axes"], shop=shop)
    client.get("/ventilation/")
    for name in ("Client", "Projet"):
        assert client.post("/ventilation/axes", data={"axis-new-name": name}, headers=HX).status_code == 200
    project = AnalyticAxis.get(AnalyticAxis.name == "Projet")

    def order():
        return [a.name for a in AnalyticAxis.select().order_by(AnalyticAxis.position)]

    assert order() == ["Centre de coût", "Client", "Projet"]
    response = client.post(f"/ventilation/axes/{project.id}/monter", headers=HX)
    assert response.status_code == 200 and 'id="alloc-axes"' in _text(response)
    assert order() == ["Centre de coût", "Projet", "Client"]
    client.post(f"/ventilation/axes/{project.id}/descendre", headers=HX)
    client.post(f"/ventilation/axes/{project.id}/descendre", headers=HX)  # already last: nothing moves
    assert order() == ["Centre de coût", "Client", "Projet"]

    archived = client.post(f"/ventilation/axes/{project.id}/archiver", headers=HX)
    assert "Axe « Projet » archivé" in _text(archived)
    assert [a.name for a in visible_axes(manager)] == ["Centre de coût", "Client"]
    client.post(f"/ventilation/axes/{project.id}/desarchiver", headers=HX)
    assert not AnalyticAxis.get_by_id(project.id).archived
    actions = [r.action for r in AuditRecord.select().where(AuditRecord.target_type == "analytic_axis")
               .order_by(AuditRecord.id)]
    assert actions.count("analytic.axis.create") == 3 and "analytic.axis.reorder" in actions
    assert actions[-2:] == ["analytic.axis.archive", "analytic.axis.unarchive"]


def test_alloc_1_managing_axes_needs_the_right(app, client, login_as, shop):
    login_as("compta", rights=["approve_invoices"], shop=shop)
    service.ensure_default_axis()
    axis = AnalyticAxis.get()
    page = _text(client.get("/ventilation/"))
    assert "Centre de coût" in page and "Nouvel axe" not in page and "Renommer" not in page
    for url, data in (("/ventilation/axes", {"axis-new-name": "Client"}),
                      (f"/ventilation/axes/{axis.id}/renommer", {f"axis-{axis.id}-name": "X"}),
                      (f"/ventilation/axes/{axis.id}/archiver", {}),
                      (f"/ventilation/axes/{axis.id}/valeurs", {f"axis-{axis.id}-value-name": "X"}),
                      (f"/ventilation/axes/{axis.id}/restriction", {"restricted": "1"})):
        assert client.post(url, data=data, headers=HX).status_code == 403, url
    assert AnalyticAxis.get().name == "Centre de coût" and not AnalyticValue.select().exists()

    make_user("caissier", rights={shop: ["view"]})
    assert other_client(app, "caissier").get("/ventilation/").status_code == 403


# --- ALLOC-2: the invoice allocation editor ------------------------------------------------------


def test_alloc_2_seed_one_axis_5000_commercial_7000_consultant(client, login_as, shop):
    accountant = login_as("compta", rights=ACCOUNTANT, shop=shop)
    cost_centre, client_axis, values = make_axes()
    invoice = make_invoice(shop)

    panel = _text(client.get(f"/ventilation/facture/{invoice.id}", headers=HX))
    assert panel.lstrip().startswith("<section") and "Ventilation analytique" in panel
    assert options(panel, "alloc-axis-0") == ["Centre de coût", "Client"]
    assert options(panel, "alloc-value-0") == ["Commercial", "Consultant"]  # the first axis, preselected
    assert remaining_shown(panel) == ("Reste à ventiler", euros("12 000,00"))

    # The value list follows the axis chosen in the row.
    values_of_client = _text(client.get(f"/ventilation/facture/{invoice.id}/valeurs",
                                        query_string={"index": 0, "lines-0-axis": client_axis.id}, headers=HX))
    assert options(values_of_client, "alloc-value-0") == ["Accor Hôtels"]

    first = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"))
    summary = _text(client.post(f"/ventilation/facture/{invoice.id}/calcul", data=first, headers=HX))
    assert remaining_shown(summary) == ("Reste à ventiler", euros("7 000,00"))
    over = {**first, "lines-0-entry": "12 000,01"}
    summary = _text(client.post(f"/ventilation/facture/{invoice.id}/calcul", data=over, headers=HX))
    assert remaining_shown(summary) == ("Ventilé en trop", euros("0,01"))
    # One more row, filled with what remains.
    row = _text(client.post(f"/ventilation/facture/{invoice.id}/ligne", data=first, headers=HX))
    assert row.lstrip().startswith('<tr class="alloc-row" id="alloc-row-1"') and 'value="7000,00"' in row

    both = {**first, **rows(r1=(cost_centre, values["Consultant"], "amount", "7000"))}
    summary = _text(client.post(f"/ventilation/facture/{invoice.id}/calcul", data=both, headers=HX))
    assert remaining_shown(summary) == ("Reste à ventiler", euros("0,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=both, headers=HX)
    assert response.status_code == 200, _text(response)
    assert "Ventilation analytique enregistrée." in _text(response)
    assert saved(invoice) == [("Commercial", 500000, None), ("Consultant", 700000, None)]
    record = AuditRecord.get(AuditRecord.action == "allocation.save")
    assert record.user_id == accountant.id and record.target_type == "invoice" and record.target_id == str(invoice.id)
    assert [line["amount"] for line in record.after_data["lines"]] == [500000, 700000]

    # The invoice page shows the saved rows in the editor.
    detail = _text(client.get(f"/factures/{invoice.id}"))
    assert 'id="invoice-allocation"' in detail and 'value="5000,00"' in detail and 'value="7000,00"' in detail


def test_alloc_2_seed_two_axes_at_once_consultant_and_accor_hotels(client, login_as, shop):
    login_as("compta", rights=ACCOUNTANT, shop=shop)
    cost_centre, client_axis, values = make_axes()
    invoice = make_invoice(shop)
    data = rows(r0=(cost_centre, values["Consultant"], "amount", "5 000,00"),
                r1=(client_axis, values["Accor Hôtels"], "amount", "7 000,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=data, headers=HX)
    assert response.status_code == 200 and "Ventilation analytique enregistrée." in _text(response)
    assert saved(invoice) == [("Accor Hôtels", 700000, None), ("Consultant", 500000, None)]
    html = _text(response)
    assert options(html, "alloc-axis-1") == ["Centre de coût", "Client"]
    assert re.search(r'<option value="%d" selected>Accor Hôtels</option>' % values["Accor Hôtels"].id, html)


def test_alloc_2_percentages_sum_exactly(client, login_as, shop):
    login_as("compta", rights=ACCOUNTANT, shop=shop)
    cost_centre, client_axis, values = make_axes()
    third = service.create_value(cost_centre, "Direction", None)
    for net, expected in ((10000, [3333, 3333, 3334]), (1000, [333, 333, 334])):
        invoice = make_invoice(shop, net=net, number=f"P-{net}")
        data = rows(r0=(cost_centre, values["Commercial"], "percent", "33,33"),
                    r1=(cost_centre, values["Consultant"], "percent", "33,33"),
                    r2=(cost_centre, third, "percent", "33,34 %"))
        summary = _text(client.post(f"/ventilation/facture/{invoice.id}/calcul", data=data, headers=HX))
        computed = re.findall(r'<span id="alloc-computed-(\d)" hx-swap-oob="true">([^<]+)</span>', summary)
        assert [amount for _, amount in computed] == [euros(f"{a // 100},{a % 100:02d}") for a in expected]
        assert remaining_shown(summary) == ("Reste à ventiler", euros("0,00"))
        response = client.post(f"/ventilation/facture/{invoice.id}", data=data, headers=HX)
        assert response.status_code == 200, _text(response)
        assert saved(invoice) == sorted([("Commercial", expected[0], 3333), ("Consultant", expected[1], 3333),
                                         ("Direction", expected[2], 3334)])
        assert sum(a.amount for a in invoice.allocations) == net
        # Shown again as percentages.
        assert 'value="33,34"' in _text(response)


def test_alloc_2_wrong_sum_refused_and_nothing_saved(client, login_as, shop):
    login_as("compta", rights=ACCOUNTANT, shop=shop)
    cost_centre, client_axis, values = make_axes()
    invoice = make_invoice(shop)
    good = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                r1=(cost_centre, values["Consultant"], "amount", "7 000,00"))
    assert client.post(f"/ventilation/facture/{invoice.id}", data=good, headers=HX).status_code == 200
    before = saved(invoice)

    short = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                 r1=(cost_centre, values["Consultant"], "amount", "6 000,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=short, headers=HX)
    assert response.status_code == 422
    assert f"Reste à ventiler : {euros('1 000,00')}." in _text(response)
    assert 'value="6 000,00"' in _text(response)  # what was typed stays
    assert saved(invoice) == before

    over = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                r1=(cost_centre, values["Consultant"], "amount", "7 000,01"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=over, headers=HX)
    assert response.status_code == 422 and f"Ventilation supérieure au montant de {euros('0,01')}" in _text(response)

    # Errors sit next to their row.
    unreadable = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                      r1=(cost_centre, values["Consultant"], "amount", "sept mille"))
    response = _text(client.post(f"/ventilation/facture/{invoice.id}", data=unreadable, headers=HX))
    assert re.search(r'<p class="error" id="alloc-row-1-error">Montant illisible', response)
    no_value = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                    r1=(cost_centre, None, "amount", "7 000,00"))
    response = _text(client.post(f"/ventilation/facture/{invoice.id}", data=no_value, headers=HX))
    assert re.search(r'<p class="error" id="alloc-row-1-error">Choisissez une valeur.', response)
    # A value of another axis than the row's is just a value: but one that does not exist is refused.
    forged = {**good, "lines-1-value": "999999"}
    response = client.post(f"/ventilation/facture/{invoice.id}", data=forged, headers=HX)
    assert response.status_code == 422 and "Choisissez une valeur dans la liste." in _text(response)
    assert saved(invoice) == before
    assert AuditRecord.select().where(AuditRecord.action == "allocation.save").count() == 1


def test_alloc_2_rows_added_and_removed_without_javascript(client, login_as, shop):
    login_as("compta", rights=ACCOUNTANT, shop=shop)
    cost_centre, client_axis, values = make_axes()
    invoice = make_invoice(shop)
    data = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"))
    added = _text(client.post(f"/ventilation/facture/{invoice.id}", data={**data, "action": "add"}))
    assert "<h1>Facture n°" in added and 'id="alloc-row-1"' in added
    removed = _text(client.post(f"/ventilation/facture/{invoice.id}", data={
        **data, **rows(r1=(client_axis, values["Accor Hôtels"], "amount", "1")), "action": "remove-0"}))
    assert 'id="alloc-row-0"' not in removed and 'id="alloc-row-1"' in removed
    assert not Allocation.select().exists()
    # With htmx, removing a row answers nothing (the row goes) and asks the summary to recompute.
    response = client.post(f"/ventilation/facture/{invoice.id}/ligne/0/retirer", data=data, headers=HX)
    assert response.get_data() == b"" and response.headers["HX-Trigger-After-Settle"] == "alloc-recalc"
    # Saved without JavaScript: back to the invoice page.
    full = {**data, **rows(r1=(cost_centre, values["Consultant"], "amount", "7 000,00"))}
    response = client.post(f"/ventilation/facture/{invoice.id}", data=full)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/factures/{invoice.id}#invoice-allocation")
    assert "Ventilation analytique enregistrée." in _text(client.get(response.headers["Location"]))
    # Every row emptied: the invoice is no longer allocated.
    cleared = client.post(f"/ventilation/facture/{invoice.id}", headers=HX, data={
        "lines-0-axis": cost_centre.id, "lines-0-value": "", "lines-0-mode": "amount", "lines-0-entry": ""})
    assert cleared.status_code == 200 and not Allocation.select().exists()
    assert AuditRecord.get(AuditRecord.action == "allocation.clear").before_data["lines"][0]["value"] == "Commercial"


def test_alloc_2_viewing_and_editing_rights(app, client, login_as, shop):
    cost_centre, client_axis, values = make_axes()
    invoice = make_invoice(shop)
    service.save_allocation(invoice, [AllocationInput(values["Commercial"].id, 1200000)], None,
                            visible_value_ids(make_user("robot")))
    login_as("tresorier", rights=["pay_invoices"], shop=shop)
    detail = _text(client.get(f"/factures/{invoice.id}"))
    assert 'id="invoice-allocation"' in detail and "Commercial" in detail and 'id="alloc-form"' not in detail
    data = rows(r0=(cost_centre, values["Consultant"], "amount", "12 000,00"))
    for url in (f"/ventilation/facture/{invoice.id}", f"/ventilation/facture/{invoice.id}/ligne",
                f"/ventilation/facture/{invoice.id}/calcul"):
        assert client.post(url, data=data, headers=HX).status_code == 403, url
    assert saved(invoice) == [("Commercial", 1200000, None)]

    make_user("ailleurs", rights={make_shop(): ACCOUNTANT})
    elsewhere = other_client(app, "ailleurs")
    assert elsewhere.get(f"/ventilation/facture/{invoice.id}", headers=HX).status_code == 403
    assert elsewhere.post(f"/ventilation/facture/{invoice.id}", data=data, headers=HX).status_code == 403


def test_alloc_2_each_invoice_line_allocated(app, shop):
    cost_centre, client_axis, values = make_axes()
    invoice = make_invoice(shop, net=15000, lines=[LineData("Conseil", 1000, 10000, 2000),
                                                   LineData("Déplacement", 1000, 5000, 2000)])
    first, second = sorted(invoice.lines, key=lambda line: line.position)
    everyone = visible_value_ids(make_user("robot"))
    lines = [AllocationInput(values["Consultant"].id, percent=5000, invoice_line_id=first.id),
             AllocationInput(values["Accor Hôtels"].id, percent=5000, invoice_line_id=first.id),
             AllocationInput(values["Commercial"].id, 5000, invoice_line_id=second.id)]
    service.save_allocation(invoice, lines, None, everyone)
    assert sorted((a.invoice_line_id, a.amount) for a in invoice.allocations) == [
        (first.id, 5000), (first.id, 5000), (second.id, 5000)]
    with pytest.raises(AllocationRefused) as refused:
        service.save_allocation(invoice, lines[:2], None, everyone)  # the second line left out
    assert [e.message for e in refused.value.errors] == ["Ligne 2 de la facture : Reste à ventiler : 50,00\u00a0€."]
    with pytest.raises(AllocationRefused, match="soit la facture entière"):
        service.save_allocation(invoice, lines + [AllocationInput(values["Commercial"].id, 1)], None, everyone)
    assert Allocation.select().count() == 3


# --- ALLOC-3: restricted axes and values ---------------------------------------------------------


@pytest.fixture
def confidential(shop):
    """« Projet » restricted (value « Abracadabra »), and « Direction » a restricted value of the public
    « Centre de coût »; both granted to Valentin, to the Production department and to the Lyon studio.
    The invoice: 5 000 € Commercial + 4 000 € Direction + 3 000 € Abracadabra."""
    production, studio = Department.create(name="Production"), Establishment.create(name="Studio Lyon")
    valentin = make_user("valentin", rights={shop: ACCOUNTANT})
    cost_centre, client_axis, values = make_axes()
    project = service.create_axis("Projet", None)
    film = service.create_value(project, "Abracadabra", None)
    direction = service.create_value(cost_centre, "Direction", None)
    for target in (project, direction):
        service.set_restricted(target, True, None)
        service.grant_access(target, None, grantee_user=valentin)
        service.grant_access(target, None, department=production)
        service.grant_access(target, None, establishment=studio)
    invoice = make_invoice(shop)
    service.save_allocation(invoice, [AllocationInput(values["Commercial"].id, 500000),
                                      AllocationInput(direction.id, 400000), AllocationInput(film.id, 300000)],
                            valentin, visible_value_ids(valentin))
    return {"invoice": invoice, "project": project, "film": film, "direction": direction, "values": values,
            "cost_centre": cost_centre, "production": production, "studio": studio}


SECRETS = ("Projet", "Abracadabra", "Direction")


def _seen_everywhere(client, invoice, project):
    """What of the secrets the user sees on the axes page, in the editor pickers, in the invoice
    panel and in the CSV export."""
    axes_page = _text(client.get("/ventilation/"))
    editor = _text(client.get(f"/ventilation/facture/{invoice.id}", headers=HX))
    picker = client.get(f"/ventilation/facture/{invoice.id}/valeurs", query_string={
        "index": 0, "lines-0-axis": project.id}, headers=HX)
    invoice_page = _text(client.get(f"/factures/{invoice.id}"))
    panel = invoice_page[invoice_page.index('id="invoice-allocation"'):]
    export = client.get("/ventilation/export.csv").get_data(as_text=True)
    return {
        "axes page": {s for s in SECRETS if s in axes_page},
        "editor": {s for s in SECRETS if s in editor} | {s for s in SECRETS if s in _text(picker)},
        "invoice panel": {s for s in SECRETS if s in panel},
        "export": {s for s in SECRETS if s in export},
    }


def test_alloc_3_restricted_axis_and_value_absent_without_grant(app, client, login_as, shop, confidential):
    invoice = confidential["invoice"]
    login_as("stagiaire", rights=ACCOUNTANT, shop=shop)
    assert _seen_everywhere(client, invoice, confidential["project"]) == {
        "axes page": set(), "editor": set(), "invoice panel": set(), "export": set()}
    # The panel shows the hidden lines as one figure, naming nothing.
    panel = _text(client.get(f"/ventilation/facture/{invoice.id}", headers=HX))
    assert euros("7 000,00") in panel and "qui ne vous sont pas ouverts" in panel
    assert 'value="5000,00"' in panel and "alloc-row-1" not in panel
    # The export has the visible line only.
    export = client.get("/ventilation/export.csv")
    assert export.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")) == [
        ["Date de facture", "Fournisseur", "N° de facture", "Axe", "Valeur", "Montant HT ventilé", "Devise"],
        ["02/03/2026", "Fournitures Dupont", "F-2026-001", "Centre de coût", "Commercial", "5000,00", "EUR"]]
    # Reports: the visible value only.
    report = _text(client.get("/ventilation/rapport"))
    assert "Commercial" in report and not any(s in report for s in SECRETS)
    # Hidden means not found, even by id, and never allocatable.
    project, film, direction = confidential["project"], confidential["film"], confidential["direction"]
    assert client.get(f"/ventilation/axes/{project.id}", headers=HX).status_code == 404
    assert client.post(f"/ventilation/valeurs/{direction.id}/modifier", headers=HX,
                       data={f"value-{direction.id}-name": "Fuite"}).status_code == 404
    forged = rows(r0=(project, film, "amount", "5 000,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=forged, headers=HX)
    assert response.status_code == 422 and "Choisissez une valeur dans la liste." in _text(response)


@pytest.mark.parametrize("who", ["user", "department", "establishment"])
def test_alloc_3_present_for_a_granted_user_department_or_establishment(app, client, shop, admin, confidential, who):
    fields = {"user": {}, "department": {"department": confidential["production"]},
              "establishment": {"establishment": confidential["studio"]}}[who]
    username = "valentin" if who == "user" else "marie"
    if who != "user":
        make_user(username, rights={shop: ACCOUNTANT}, **fields)
    assert client.login(username).status_code == 302
    seen = _seen_everywhere(client, confidential["invoice"], confidential["project"])
    assert seen == {place: set(SECRETS) for place in seen}
    export = client.get("/ventilation/export.csv").get_data(as_text=True)
    assert "Projet;Abracadabra;3000,00;EUR" in export and "Centre de coût;Direction;4000,00;EUR" in export


def test_alloc_3_hidden_lines_preserved_when_another_user_saves(app, client, login_as, shop, confidential):
    invoice, values, cost_centre = confidential["invoice"], confidential["values"], confidential["cost_centre"]
    login_as("stagiaire", rights=ACCOUNTANT, shop=shop)
    # The hidden 7 000 € count: 12 000 € on Consultant is too much.
    too_much = rows(r0=(cost_centre, values["Consultant"], "amount", "12 000,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=too_much, headers=HX)
    assert response.status_code == 422
    assert f"Ventilation supérieure au montant de {euros('7 000,00')}" in _text(response)
    # Moving the visible 5 000 € keeps the lines this user cannot see.
    moved = rows(r0=(cost_centre, values["Consultant"], "percent", "25"),
                 r1=(cost_centre, values["Commercial"], "amount", "2 000,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=moved, headers=HX)
    assert response.status_code == 200, _text(response)
    assert saved(invoice) == [("Abracadabra", 300000, None), ("Commercial", 200000, None),
                              ("Consultant", 300000, 2500), ("Direction", 400000, None)]
    record = AuditRecord.get(AuditRecord.action == "allocation.save", AuditRecord.actor == "stagiaire")
    assert record.after_data["kept_hidden_amount"] == 700000
    assert not any(s in record.before + record.after for s in SECRETS)
    # Clearing what one sees still leaves the others' lines, which no longer add up: refused.
    response = client.post(f"/ventilation/facture/{invoice.id}", data={"lines-0-axis": cost_centre.id,
                                                                        "lines-0-value": "", "lines-0-entry": ""},
                           headers=HX)
    assert response.status_code == 422 and f"Reste à ventiler : {euros('5 000,00')}" in _text(response)
    assert len(saved(invoice)) == 4


def test_alloc_3_restrict_grant_and_revoke_through_the_page(app, client, login_as, shop):
    manager = login_as("gestion", rights=ACCOUNTANT, shop=shop)
    make_user("valentin", rights={shop: PAYABLES})
    production = Department.create(name="Production")
    project = service.create_axis("Projet", None)
    film = service.create_value(project, "Abracadabra", None)
    valentin_client = other_client(app, "valentin")
    assert "Abracadabra" in _text(valentin_client.get("/ventilation/"))

    panel = _text(client.get(f"/ventilation/axes/{project.id}/acces", headers=HX))
    assert "Visibilité de l'axe « Projet »" in panel and "Visible de tous les utilisateurs." in panel
    response = client.post(f"/ventilation/axes/{project.id}/restriction", data={"restricted": "1"}, headers=HX)
    assert response.status_code == 200 and "(vous en faites partie)" in _text(response)
    assert AnalyticAxis.get_by_id(project.id).restricted
    assert AnalyticAccess.get(AnalyticAccess.axis == project).user_id == manager.id  # not locked out
    assert "Abracadabra" not in _text(valentin_client.get("/ventilation/"))

    prefix = f"grant-axis-{project.id}"
    nothing = client.post(f"/ventilation/axes/{project.id}/acces", data={f"{prefix}-user": "0"}, headers=HX)
    assert nothing.status_code == 422 and "Choisissez au moins un utilisateur" in _text(nothing)
    granted = client.post(f"/ventilation/axes/{project.id}/acces", headers=HX,
                          data={f"{prefix}-user": "0", f"{prefix}-department": production.id})
    assert granted.status_code == 200 and "Service :</span>\n      Production" in _text(granted)
    assert "Abracadabra" not in _text(valentin_client.get("/ventilation/"))
    valentin = User.get(User.username == "valentin")
    valentin.department = production
    valentin.save()
    assert "Abracadabra" in _text(valentin_client.get("/ventilation/"))

    grant = AnalyticAccess.get(AnalyticAccess.department == production)
    revoked = client.post(f"/ventilation/acces/{grant.id}/retirer", headers=HX)
    assert revoked.status_code == 200 and "Accès retiré à Production." in _text(revoked)
    assert "Abracadabra" not in _text(valentin_client.get("/ventilation/"))

    # A restricted value of a public axis.
    client.post(f"/ventilation/valeurs/{film.id}/restriction", data={"restricted": "1"}, headers=HX)
    assert AnalyticValue.get_by_id(film.id).restricted
    actions = [r.action for r in AuditRecord.select().order_by(AuditRecord.id)]
    assert actions[-6:] == ["analytic.restrict", "analytic.access.grant", "analytic.access.grant",
                            "analytic.access.revoke", "analytic.restrict", "analytic.access.grant"]

    # Revoking one's own grant: the axis disappears from one's page, the list is shown instead.
    own = AnalyticAccess.get((AnalyticAccess.axis == project) & (AnalyticAccess.user == manager))
    response = client.post(f"/ventilation/acces/{own.id}/retirer", headers=HX)
    assert response.headers["HX-Retarget"] == "#alloc-axes" and "Vous ne voyez plus cet axe" in _text(response)
    assert "Abracadabra" not in _text(response)


# --- LOC-3: axes, the invoice editor and the export in English -----------------------------------


def test_loc_3_axes_page_and_editor_in_english(client, login_as, shop):
    user = login_as("accountant", rights=ACCOUNTANT, shop=shop, language="en")
    cost_centre, client_axis, values = make_axes(user)
    page = _text(client.get("/ventilation/"))
    main = page[page.index("<main"):]
    for english in ("Analytic axes", "Spending by value", "Export the allocation (CSV)", "New axis", "Create the axis",
                    "Rename", "Visibility", "Archive", "Add the value", "Sub-value of"):
        assert english in main, english
    for french in ("Axes analytiques", "Renommer", "Visibilité", "Archiver", "Ajouter la valeur", "Nouvel axe"):
        assert french not in main, french
    duplicate = client.post("/ventilation/axes", headers=HX, data={"axis-new-name": "Client"})
    assert duplicate.status_code == 422 and "An axis is already called “Client”." in _text(duplicate)

    invoice = make_invoice(shop)
    editor = _text(client.get(f"/ventilation/facture/{invoice.id}", headers=HX))
    for english in ("Cost allocation", "Add a line", "Save the allocation", "Recalculate", "Entered as",
                    "Percentage (%)", "Amount or %", "Left to allocate", "— choose —"):
        assert english in editor, english
    short = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                 r1=(cost_centre, values["Consultant"], "percent", "33,333"))
    refused = _text(client.post(f"/ventilation/facture/{invoice.id}", data=short, headers=HX))
    assert "Two decimals at most for a percentage." in refused
    short = rows(r0=(cost_centre, values["Commercial"], "amount", "5 000,00"),
                 r1=(cost_centre, values["Consultant"], "amount", "6 000,00"))
    response = client.post(f"/ventilation/facture/{invoice.id}", data=short, headers=HX)
    assert response.status_code == 422 and "Left to allocate: €1,000.00." in _text(response)
    unreadable = rows(r0=(cost_centre, values["Commercial"], "amount", "cinq"))
    assert "Unreadable amount: write for example" in _text(
        client.post(f"/ventilation/facture/{invoice.id}", data=unreadable, headers=HX))


def test_loc_3_allocation_export_header_in_english(client, login_as, shop):
    user = login_as("accountant", rights=ACCOUNTANT, shop=shop, language="en")
    cost_centre, client_axis, values = make_axes(user)
    invoice = make_invoice(shop)
    client.post(f"/ventilation/facture/{invoice.id}", headers=HX,
                data=rows(r0=(cost_centre, values["Commercial"], "amount", "12 000,00")))
    csv_text = client.get("/ventilation/export.csv").get_data(as_text=True)
    header = csv_text.lstrip("\ufeff").splitlines()[0]
    assert header == "Invoice date;Supplier;Invoice no.;Axis;Value;Allocated amount excl. VAT;Currency", header
