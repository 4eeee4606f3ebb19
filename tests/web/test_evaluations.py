"""Supplier audit through the Flask test client and the service (AP-KYS-1, AUTH-2, AUDIT-1): grids with
weighted criteria, the exact weighted score, action lists with owners and due dates, and archiving a
non-compliant supplier so that buyers no longer see it."""
import datetime
import html as html_module
import re

import pytest

from models import (AuditRecord, EvaluationAction, EvaluationCriterion, EvaluationGrid, EvaluationScore, Supplier,
                    SupplierEvaluation)
from portal.evaluations import service
from portal.evaluations.scoring import ScoringError, format_score, is_compliant, parse_threshold, weighted_score
from portal.evaluations.service import ActionInput, EvaluationError
from portal.suppliers.service import active_suppliers
from tests.factories import make_supplier, make_user

HX = {"HX-Request": "true"}
CRITERIA = [("Qualité des produits", 3), ("Respect des délais", 2), ("Prix", 1), ("Documents (Kbis, assurance)", 2)]


@pytest.fixture
def manager(login_as, shop):
    return login_as("acheteuse", rights=["manage_suppliers"], shop=shop, display_name="Anne Acheteuse")


def _text(response):
    return html_module.unescape(response.get_data(as_text=True))


def _grid_form(name, criteria, rows=6):
    data = {"name": name}
    padded = list(criteria) + [("", "")] * (rows - len(criteria))
    for index, (criterion, weight) in enumerate(padded):
        data[f"criteria-{index}-name"] = criterion
        data[f"criteria-{index}-weight"] = str(weight)
    return data


def _scores(grid, values):
    return {c.id: value for c, value in zip(service.grid_criteria(grid), values)}


def _evaluation_form(grid, values, **extra):
    data = {"evaluated_on": "2026-11-20", "notes": "", **extra}
    for criterion, value in zip(service.grid_criteria(grid), values):
        data[f"score_{criterion.id}"] = str(value)
    return data


# --- The arithmetic -------------------------------------------------------------------------------


def test_ap_kys_1_weighted_score_exact_in_hundredths_rounded_half_up():
    weights = [weight for _, weight in CRITERIA]
    # (7×3 + 8×2 + 6×1 + 5×2) × 100 / 8 = 662,5 → 663; Python's round() would give 662 (half to even).
    assert weighted_score(list(zip([7, 8, 6, 5], weights))) == 663
    assert round(5300 / 8) == 662
    assert weighted_score([(7, 1), (8, 1), (8, 1)]) == 767  # 766,67
    assert weighted_score([(7, 3), (5, 2), (9, 1)]) == 667  # 666,67
    assert weighted_score([(10, 5), (10, 1)]) == 1000 and weighted_score([(0, 2)]) == 0
    assert format_score(663) == "6,63/10" and format_score(1000) == "10,00/10" and format_score(5) == "0,05/10"
    for bad in ([(11, 1)], [(-1, 1)], [(5, 0)], [(5, 101)], []):
        with pytest.raises(ScoringError):
            weighted_score(bad)


def test_ap_kys_1_compliance_threshold_and_hand_marking():
    assert is_compliant(500) and not is_compliant(499)
    assert not is_compliant(900, marked_non_compliant=True)
    assert is_compliant(650, threshold=650) and not is_compliant(649, threshold=650)
    assert parse_threshold("5") == 500 and parse_threshold("6,5") == 650 and parse_threshold("7.25") == 725
    for bad in ("10,5", "abc", "5,123", "-1", ""):
        with pytest.raises(ScoringError):
            parse_threshold(bad)


# --- Grids ----------------------------------------------------------------------------------------


def test_ap_kys_1_manager_creates_and_edits_a_grid(client, manager):
    page = _text(client.get("/evaluations/grilles/nouvelle"))
    assert 'name="criteria-2-weight"' in page
    created = client.post("/evaluations/grilles/nouvelle", data=_grid_form("Audit qualité 2026", CRITERIA))
    assert created.status_code == 303, _text(created)
    grid = EvaluationGrid.get()
    assert [(c.name, c.weight, c.position) for c in service.grid_criteria(grid)] == [
        (name, weight, position) for position, (name, weight) in enumerate(CRITERIA, start=1)]
    index = _text(client.get("/evaluations/"))
    assert "Audit qualité 2026" in index and "Qualité des produits (3)" in index

    edited = client.post(f"/evaluations/grilles/{grid.id}/modifier",
                         data=_grid_form("Audit qualité", CRITERIA[:2] + [("Prix", 4)]))
    assert edited.status_code == 303
    assert [(c.name, c.weight) for c in service.grid_criteria(grid)] == CRITERIA[:2] + [("Prix", 4)]
    actions = [r.action for r in AuditRecord.select().where(AuditRecord.target_type == "evaluation_grid")]
    assert actions == ["evaluation.grid.create", "evaluation.grid.update"]


def test_ap_kys_1_grid_form_errors_next_to_their_fields(client, manager):
    empty = client.post("/evaluations/grilles/nouvelle", data=_grid_form("Sans critère", []))
    assert empty.status_code == 422 and "Ajoutez au moins un critère" in _text(empty)
    no_weight = client.post("/evaluations/grilles/nouvelle", data=_grid_form("Poids", [("Qualité", "")]))
    assert no_weight.status_code == 422 and "Donnez un poids" in _text(no_weight)
    zero = client.post("/evaluations/grilles/nouvelle", data=_grid_form("Poids", [("Qualité", "0")]))
    assert zero.status_code == 422 and "Un entier de 1 à 100." in _text(zero)
    twice = client.post("/evaluations/grilles/nouvelle", data=_grid_form("Doublon", [("Prix", 1), ("prix", 2)]))
    assert twice.status_code == 422 and "figure deux fois" in _text(twice)
    assert EvaluationGrid.select().count() == 0


def test_ap_kys_1_criteria_of_a_used_grid_are_frozen(app, shop):
    user = make_user("anne", rights={shop: ["manage_suppliers"]})
    grid = service.create_grid("Audit", CRITERIA, user)
    service.evaluate_supplier(make_supplier(), grid, _scores(grid, [7, 8, 6, 5]), user)
    with pytest.raises(EvaluationError) as refused:
        service.update_grid(grid, "Audit", CRITERIA[:3], user)
    assert refused.value.field == "criteria"
    assert service.update_grid(grid, "Audit fournisseurs", CRITERIA, user).name == "Audit fournisseurs"
    archived = service.set_grid_archived(grid, True, user)
    with pytest.raises(EvaluationError):
        service.evaluate_supplier(make_supplier("Autre", vat_number="", siren=""), archived,
                                  _scores(grid, [5, 5, 5, 5]), user)


# --- Evaluations and their action lists -----------------------------------------------------------


def test_ap_kys_1_evaluation_through_the_page_with_actions_owners_and_due_dates(client, manager, shop):
    supplier = make_supplier()
    grid = service.create_grid("Audit qualité", CRITERIA, manager)
    owner = make_user("marc", rights={shop: ["approve_invoices"]}, display_name="Marc Qualité")
    page = _text(client.get(f"/evaluations/fournisseur/{supplier.id}"))
    assert "Ce fournisseur n'a pas encore été évalué." in page
    assert f'name="score_{service.grid_criteria(grid)[0].id}"' in page, "the only grid is chosen"
    assert '<option value="%d">Marc Qualité</option>' % owner.id in page

    response = client.post(f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}", data=_evaluation_form(
        grid, [7, 8, 6, 5], notes="Attestation d'assurance expirée.",
        **{"actions-0-description": "Obtenir l'attestation d'assurance 2027", "actions-0-owner": str(owner.id),
           "actions-0-due_date": "2026-12-15",
           "actions-1-description": "Négocier les délais de livraison", "actions-1-owner": "0",
           "actions-1-due_date": ""}))
    assert response.status_code == 303, _text(response)

    evaluation = SupplierEvaluation.get()
    assert (evaluation.score, evaluation.compliant, evaluation.evaluator_id) == (663, True, manager.id)
    assert evaluation.evaluated_on == datetime.date(2026, 11, 20)
    assert sorted(s.score for s in EvaluationScore.select()) == [5, 6, 7, 8]
    actions = list(EvaluationAction.select().order_by(EvaluationAction.id))
    assert [(a.description, a.owner_id, a.due_date) for a in actions] == [
        ("Obtenir l'attestation d'assurance 2027", owner.id, datetime.date(2026, 12, 15)),
        ("Négocier les délais de livraison", None, None)]
    page = _text(client.get(response.headers["Location"]))
    assert "6,63/10" in page and "Conforme" in page and "Attestation d'assurance expirée." in page
    assert "Marc Qualité" in page and "15/12/2026" in page
    audit = AuditRecord.get(AuditRecord.action == "evaluation.create")
    assert '"score": "6,63/10"' in audit.after and '"Prix": 6' in audit.after


def test_ap_kys_1_every_criterion_must_be_scored_0_to_10(client, manager):
    supplier = make_supplier()
    grid = service.create_grid("Audit", CRITERIA, manager)
    missing = client.post(f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}",
                          data=_evaluation_form(grid, [7, 8, 6]))
    assert missing.status_code == 422 and "Notez ce critère de 0 à 10." in _text(missing)
    too_high = client.post(f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}",
                           data=_evaluation_form(grid, [7, 8, 6, 11]))
    assert too_high.status_code == 422 and "Une note entière de 0 à 10." in _text(too_high)
    orphan = client.post(f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}",
                         data=_evaluation_form(grid, [7, 8, 6, 5], **{"actions-0-due_date": "2026-12-01"}))
    assert orphan.status_code == 422 and "Décrivez l'action, ou videz la ligne." in _text(orphan)
    assert SupplierEvaluation.select().count() == 0


def test_ap_kys_1_below_threshold_or_marked_by_hand_is_non_compliant(app, shop):
    user = make_user("anne", rights={shop: ["manage_suppliers"]})
    grid = service.create_grid("Audit", [("Qualité", 1), ("Délais", 1)], user)
    low = service.evaluate_supplier(make_supplier(), grid, _scores(grid, [5, 4]), user)  # 4,50
    assert (low.score, low.compliant) == (450, False)
    exact = service.evaluate_supplier(make_supplier(), grid, _scores(grid, [5, 5]), user)
    assert (exact.score, exact.compliant) == (500, True), "5,00 is not below 5,00"
    marked = service.evaluate_supplier(make_supplier(), grid, _scores(grid, [9, 9]), user, marked_non_compliant=True)
    assert (marked.score, marked.compliant) == (900, False)
    service.save_compliance_threshold(650, user)
    stricter = service.evaluate_supplier(make_supplier(), grid, _scores(grid, [6, 7]), user)
    assert (stricter.score, stricter.compliant) == (650, True)
    assert not service.evaluate_supplier(make_supplier(), grid, _scores(grid, [6, 6]), user).compliant
    assert AuditRecord.get(AuditRecord.action == "evaluation.threshold").after == '{"threshold": 650}'


def test_ap_kys_1_actions_added_later_done_and_overdue_highlighted(client, manager, shop):
    supplier = make_supplier()
    grid = service.create_grid("Audit", CRITERIA, manager)
    owner = make_user("marc", rights={shop: ["approve_invoices"]}, display_name="Marc Qualité")
    evaluation = service.evaluate_supplier(supplier, grid, _scores(grid, [3, 4, 5, 2]), manager, actions=[
        ActionInput("Chercher un second fournisseur", manager, datetime.date.today() - datetime.timedelta(days=3))])

    added = client.post(f"/evaluations/{evaluation.id}/actions", headers=HX, data={
        f"action-{evaluation.id}-description": "Audit sur site", f"action-{evaluation.id}-owner": str(owner.id),
        f"action-{evaluation.id}-due_date": (datetime.date.today() + datetime.timedelta(days=30)).isoformat()})
    html = _text(added)
    assert added.status_code == 200 and f'id="evaluation-{evaluation.id}-actions"' in html
    assert "Audit sur site" in html and "Marc Qualité" in html
    empty = client.post(f"/evaluations/{evaluation.id}/actions", headers=HX,
                        data={f"action-{evaluation.id}-description": ""})
    assert empty.status_code == 422 and "Décrivez l'action à mener." in _text(empty)

    index = _text(client.get("/evaluations/"))
    assert index.index("Chercher un second fournisseur") < index.index("Audit sur site"), "by due date"
    overdue = re.search(r'<tr id="open-action-(\d+)" class="overdue">', index)
    late = EvaluationAction.get(EvaluationAction.description == "Chercher un second fournisseur")
    assert overdue and int(overdue.group(1)) == late.id and "En retard" in index
    assert index.count('class="overdue"') == 1

    done = client.post(f"/evaluations/actions/{late.id}/fait", headers=HX, data={"contexte": "index"})
    assert done.status_code == 200 and f'<tr id="open-action-{late.id}">' in _text(done) and "Fait le" in _text(done)
    assert EvaluationAction.get_by_id(late.id).done_at is not None
    assert "Chercher un second fournisseur" not in _text(client.get("/evaluations/"))
    assert [r.action for r in AuditRecord.select().where(AuditRecord.action.startswith("evaluation.action."))] == [
        "evaluation.action.add", "evaluation.action.done"]


def test_ap_kys_1_an_owner_marks_their_action_done_but_nobody_else(client, login_as, shop, app):
    boss = make_user("anne", rights={shop: ["manage_suppliers"]})
    grid = service.create_grid("Audit", CRITERIA, boss)
    owner = login_as("marc", rights=["pay_invoices"], shop=shop)
    other = make_user("paul", rights={shop: ["pay_invoices"]})
    evaluation = service.evaluate_supplier(make_supplier(), grid, _scores(grid, [8, 8, 8, 8]), boss, actions=[
        ActionInput("Mine", owner, None), ActionInput("His", other, None)])
    mine, his = EvaluationAction.select().order_by(EvaluationAction.id)
    assert client.post(f"/evaluations/actions/{his.id}/fait", headers=HX).status_code == 403
    assert client.post(f"/evaluations/actions/{mine.id}/fait", headers=HX).status_code == 200
    assert client.post(f"/evaluations/{evaluation.id}/actions", headers=HX,
                       data={f"action-{evaluation.id}-description": "x"}).status_code == 403
    page = _text(client.get(f"/evaluations/fournisseur/{evaluation.supplier_id}"))
    assert "Nouvelle évaluation" not in page and "Archiver ce fournisseur" not in page


# --- Archiving non-compliant suppliers ------------------------------------------------------------


def test_ap_kys_1_archiving_a_non_compliant_supplier_hides_it_from_buyers(client, manager):
    supplier = make_supplier("Transports Lenoir")
    kept = make_supplier("Papeterie Martin", vat_number="", siren="")
    grid = service.create_grid("Audit", CRITERIA, manager)
    evaluation = service.evaluate_supplier(supplier, grid, _scores(grid, [2, 3, 5, 1]), manager)
    assert not evaluation.compliant
    page = _text(client.get(f"/evaluations/fournisseur/{supplier.id}"))
    assert "Non conforme" in page and "Archiver ce fournisseur" in page and "hx-confirm=" in page

    archived = client.post(f"/evaluations/{evaluation.id}/archiver-fournisseur", headers=HX)
    assert archived.status_code == 204 and archived.headers["HX-Redirect"] == f"/evaluations/fournisseur/{supplier.id}"
    assert Supplier.get_by_id(supplier.id).archived
    assert [s.name for s in active_suppliers()] == [kept.name]
    record = AuditRecord.get(AuditRecord.action == "supplier.archive")
    assert (record.target_type, record.target_id, record.actor) == ("supplier", str(supplier.id), "acheteuse")
    assert AuditRecord.get(AuditRecord.action == "evaluation.archive_supplier").target_id == str(evaluation.id)
    page = _text(client.get(f"/evaluations/fournisseur/{supplier.id}"))
    assert "Fournisseur archivé" in page and "Archiver ce fournisseur" not in page
    assert SupplierEvaluation.select().count() == 1, "its evaluations are kept"


def test_ap_kys_1_a_compliant_supplier_is_not_archived_from_its_evaluation(client, manager):
    supplier = make_supplier()
    grid = service.create_grid("Audit", CRITERIA, manager)
    evaluation = service.evaluate_supplier(supplier, grid, _scores(grid, [8, 8, 8, 8]), manager)
    assert "Archiver ce fournisseur" not in _text(client.get(f"/evaluations/fournisseur/{supplier.id}"))
    client.post(f"/evaluations/{evaluation.id}/archiver-fournisseur")
    assert not Supplier.get_by_id(supplier.id).archived
    assert AuditRecord.select().where(AuditRecord.action == "supplier.archive").count() == 0


# --- Rights ---------------------------------------------------------------------------------------


def test_auth_2_reading_needs_a_payables_right_changing_needs_manage_suppliers(client, login_as, shop, app):
    boss = make_user("anne", rights={shop: ["manage_suppliers"]})
    supplier = make_supplier()
    grid = service.create_grid("Audit", CRITERIA, boss)
    evaluation = service.evaluate_supplier(supplier, grid, _scores(grid, [2, 2, 2, 2]), boss)
    login_as("payeur", rights=["pay_invoices"], shop=shop)
    assert client.get("/evaluations/").status_code == 200
    assert client.get(f"/evaluations/fournisseur/{supplier.id}").status_code == 200
    for url, data in (("/evaluations/grilles/nouvelle", _grid_form("X", CRITERIA)),
                      (f"/evaluations/grilles/{grid.id}/modifier", _grid_form("X", CRITERIA)),
                      (f"/evaluations/grilles/{grid.id}/archiver", {}),
                      (f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}", _evaluation_form(grid, [9, 9, 9, 9])),
                      (f"/evaluations/{evaluation.id}/archiver-fournisseur", {}),
                      ("/evaluations/seuil", {"threshold": "2"})):
        assert client.post(url, data=data).status_code == 403, url
    assert not Supplier.get_by_id(supplier.id).archived and SupplierEvaluation.select().count() == 1
    assert EvaluationGrid.get_by_id(grid.id).name == "Audit"
    client.post("/logout")
    login_as("vendeur", rights=["view", "refund"], shop=shop)
    assert client.get("/evaluations/").status_code == 403
    assert client.get(f"/evaluations/fournisseur/{supplier.id}").status_code == 403


def test_ap_kys_1_grid_choice_swaps_the_form_alone(client, manager):
    supplier = make_supplier()
    first = service.create_grid("Audit qualité", CRITERIA, manager)
    second = service.create_grid("Audit RSE", [("Bilan carbone", 1)], manager)
    page = _text(client.get(f"/evaluations/fournisseur/{supplier.id}"))
    assert "— choisir —" in page and "score_" not in page, "two grids: the user chooses"
    fragment = _text(client.get(f"/evaluations/fournisseur/{supplier.id}?grille={second.id}",
                                headers={**HX, "HX-Target": "new-evaluation"}))
    assert fragment.lstrip().startswith('<section class="panel" id="new-evaluation"')
    criterion = EvaluationCriterion.get(EvaluationCriterion.grid == second)
    assert f'name="score_{criterion.id}"' in fragment and "Bilan carbone" in fragment
    assert "<html" not in fragment and first.name in fragment


# --- Languages (LOC-1, LOC-3) ---------------------------------------------------------------------

FRENCH_WORDS = ("Évaluation", "Fournisseur", "Enregistrer", "Annuler", "Critère", "Seuil", "Grille", "Archiver")


def _english(page, user_data=()):
    """The page, checked to be in English: none of the French words once user data is taken out."""
    interface = page
    for value in user_data:
        interface = interface.replace(value, "")
    french = [word for word in FRENCH_WORDS if word in interface]
    assert not french, french
    return page


def test_loc_1_evaluation_pages_in_english_for_an_english_user(client, login_as, shop):
    manager = login_as("anne", rights=["manage_suppliers"], shop=shop, language="en")
    supplier = make_supplier("Acme Ltd")
    late = make_supplier("Slow Freight", vat_number="", siren="")
    data = [supplier.name, late.name, "Quality audit", "Quality", "Delivery"]
    index = _english(_text(client.get("/evaluations/")), data)
    assert "Supplier audit" in index and "No scorecards yet" in index and "Evaluate a supplier" in index
    assert "Criteria and weights" in _english(_text(client.get("/evaluations/grilles/nouvelle")), data)
    refused = client.post("/evaluations/grilles/nouvelle", data=_grid_form("Quality audit", [("Quality", "0")]))
    assert refused.status_code == 422 and "A whole number from 1 to 100." in _english(_text(refused), data)
    twice = client.post("/evaluations/grilles/nouvelle",
                        data=_grid_form("Quality audit", [("Quality", 1), ("quality", 2)]))
    assert twice.status_code == 422 and "“quality” appears twice in the scorecard." in _english(_text(twice), data)
    saved = client.post("/evaluations/grilles/nouvelle",
                        data=_grid_form("Quality audit", [("Quality", 3), ("Delivery", 1)]))
    assert saved.status_code == 303
    grid = EvaluationGrid.get()
    assert "Scorecard “Quality audit” saved." in _english(_text(client.get(saved.headers["Location"])), data)

    page = _english(_text(client.get(f"/evaluations/fournisseur/{supplier.id}")), data)
    assert "New evaluation" in page and "This supplier has not been evaluated yet." in page and "— nobody —" in page
    assert "Weight 3" in page and "compliance threshold 5.00/10" in page
    missing = client.post(f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}",
                          data=_evaluation_form(grid, [7], **{"actions-0-due_date": "2026-12-01"}))
    page = _english(_text(missing), data)
    assert missing.status_code == 422 and "Score this criterion from 0 to 10." in page
    assert "Describe the action, or clear the row." in page
    evaluated = client.post(f"/evaluations/fournisseur/{supplier.id}?grille={grid.id}", data=_evaluation_form(
        grid, [2, 3], **{"actions-0-description": "Audit on site", "actions-0-due_date": "2020-01-01"}))
    assert evaluated.status_code == 303
    page = _english(_text(client.get(evaluated.headers["Location"])), data)
    assert "Evaluation saved: 2.25/10, NON-COMPLIANT." in page
    assert "Evaluation dated 20/11/2026 — Quality audit" in page and "Non-compliant" in page and "Overdue" in page
    assert "Archive this supplier" in page and "Archive “Acme Ltd”? Buyers will no longer" in page

    evaluation = SupplierEvaluation.get()
    service.evaluate_supplier(late, grid, _scores(grid, [9, 9]), manager)
    index = _english(_text(client.get("/evaluations/")), data)
    assert "Open actions" in index and "Latest evaluations" in index and "Scorecards" in index
    assert "Compliant" in index and "Non-compliant" in index and "9.00/10" in index
    threshold = client.post("/evaluations/seuil", data={"threshold": "11"})
    assert threshold.status_code == 422 and "The threshold is a score out of 10: 10 at most." in _text(threshold)
    action = EvaluationAction.get()
    done = client.post(f"/evaluations/actions/{action.id}/fait", headers=HX, data={"contexte": "index"})
    assert "Done on" in _english(_text(done), data) and "Reopen" in _text(done)
    client.post(f"/evaluations/{evaluation.id}/archiver-fournisseur")
    page = _english(_text(client.get(f"/evaluations/fournisseur/{supplier.id}")), data)
    assert "Supplier “Acme Ltd” archived: buyers can no longer choose it" in page and "Archived supplier" in page
