"""Tests of the example app, with the kdv_policy pytest plugin: the `policy` fixture (the
bundled governance, loaded once per session) and the assert helpers."""

from approvals import BUDGET, approval_route, approvers

from kdv_policy.testing import assert_allowed, assert_denied


def test_the_steuerungsausschuss_requests_and_the_regierungsrat_releases(policy):
    route = approval_route(policy)
    assert [step.action for step in route.steps] == ["beantragen", "freigeben"]
    assert route.steps[0].bodies == ("Steuerungsausschuss",)
    assert approvers(policy) == ("Regierungsrat",)
    assert route.lodged_with == ("Regierungsrat",)
    assert route.steps[1].basis == "gibt das Budget frei"


def test_the_regierungsrat_releases_the_budget(policy):
    decision = assert_allowed(policy, "Regierungsrat", "freigeben", BUDGET)
    assert "rr_gibt_budget_frei" in decision.explanation.rule_ids


def test_who_requests_does_not_release(policy):
    assert_denied(policy, "Steuerungsausschuss", "freigeben", BUDGET)


def test_the_chair_signs_the_request_for_the_steuerungsausschuss(policy):
    assert_allowed(policy, "Departementschef DIV", "beantragen", BUDGET)
    assert_denied(policy, "Generalsekretär DEK", "beantragen", BUDGET)


def test_the_route_of_the_budget_of_the_kompetenzzentrum(policy):
    assert approval_route(policy, "Budget des Kompetenzzentrums").steps[0].bodies == ("Steuerungsausschuss",)
