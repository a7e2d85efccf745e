"""The governance invariants (rules/invariants.dl, kdv_policy.authoring.invariants).

None is violated by the bundled rules and data; each one fires on a what-if that breaks it,
naming the invariant and the subject, with a proof that re-verifies; the diagnostics point
at the invariant rule; docs/invariants.md lists every invariant.
"""

from __future__ import annotations

import doctest
import re
import shutil
from pathlib import Path

import pytest

import kdv_policy.authoring.invariants as invariants_module
from kdv_policy import Policy, QueryError, Severity
from kdv_policy.authoring.invariants import (
    MESSAGES,
    Violation,
    as_diagnostics,
    diagnostic_code,
    invariant_rules,
    violations,
)
from kdv_policy.policy.explain import verify

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
DOC = ROOT / "docs" / "invariants.md"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(RULES)


def found(policy: Policy) -> set[tuple]:
    return {(v.code, v.subject, v.detail) for v in violations(policy)}


# -- the bundled policy keeps every invariant ----------------------------------------------------


def test_the_bundled_policy_violates_no_invariant(policy):
    assert violations(policy) == []
    assert as_diagnostics(policy) == []
    assert policy.relation("violation") == frozenset()


@pytest.mark.parametrize("day", [None, "2000-01-01", "2020-06-30", "2020-12-31", "2021-01-01", "2040-01-01"])
def test_no_invariant_is_violated_on_any_date_with_the_sample_people(day):
    staff = Policy.load(RULES, people=ROOT / "examples" / "people.toml", at=day)
    assert violations(staff) == []


def test_every_invariant_rule_has_an_id_a_citation_and_a_message(policy):
    rules = invariant_rules(policy)
    codes = {c.head.args[0].value for c in rules}
    assert codes == set(MESSAGES)
    for clause in rules:
        assert clause.id and clause.id.startswith("inv_"), clause.head
        assert clause.basis in ("text", "structure"), clause.id
        assert clause.doc, f"{clause.id}: a `%%` comment says what the invariant checks"


# -- each invariant fires on a what-if that breaks it ---------------------------------------------

BREAKS = {
    "a second chair": (
        ["chair(steuerungsausschuss, departementschef_dfs)"], [],
        {("several_chairs", "steuerungsausschuss", "departementschef_div"),
         ("several_chairs", "steuerungsausschuss", "departementschef_dfs")},
        "inv_chair_unique",
    ),
    "no chair: the Departementschef DIV leaves the directory": (
        [], ["role_of(departementschef_div, div, departementschef)"],
        {("missing_chair", "steuerungsausschuss", "vorsitz")},
        "inv_chair_present",
    ),
    "a delegation back to the Regierungsrat": (
        ["delegates(steuerungsausschuss, regierungsrat, implement, strategie)"], [],
        {("delegation_cycle", "regierungsrat", "strategie"),
         ("delegation_cycle", "steuerungsausschuss", "strategie")},
        "inv_delegation_acyclic",
    ),
    "a three-body delegation cycle": (
        ["delegates(steuerungsausschuss, planungsausschuss, define, strategie)",
         "delegates(planungsausschuss, konferenz, define, strategie)",
         "delegates(konferenz, steuerungsausschuss, define, strategie)"], [],
        {("delegation_cycle", body, "strategie")
         for body in ("steuerungsausschuss", "planungsausschuss", "konferenz")},
        "inv_delegation_acyclic",
    ),
    "a body delegating to itself": (
        ["delegates(konferenz, konferenz, exchange, erfahrungen)"], [],
        {("delegation_cycle", "konferenz", "erfahrungen")},
        "inv_delegation_acyclic",
    ),
    "the Steuerungsausschuss approving the budget it requests": (
        ["competence(steuerungsausschuss, approve, budget)"], [],
        {("approves_own_request", "steuerungsausschuss", "budget"),
         ("approves_own_request", "steuerungsausschuss", "budget_impulsprogramm"),
         ("approves_own_request", "steuerungsausschuss", "budget_kompetenzzentrum")},
        "inv_request_not_approve",
    ),
    "the Regierungsrat delegating the budget's release to the Steuerungsausschuss": (
        ["delegates(regierungsrat, steuerungsausschuss, approve, budget_kompetenzzentrum)"], [],
        {("approves_own_request", "steuerungsausschuss", "budget_kompetenzzentrum")},
        "inv_request_not_approve",
    ),
    "a Gemeinde as a consumer": (
        ["consumer(gemeinde_frauenfeld)"], [],
        {("consumer_outside_administration", "gemeinde_frauenfeld", "gemeinde")},
        "inv_consumer_in_administration",
    ),
    "a consumer that is no unit": (
        ["consumer(migros)"], [],
        {("consumer_outside_administration", "migros", "not_in_directory")},
        "inv_consumer_is_unit",
    ),
    "a competence nobody holds any more": (
        [], ["competence(steuerungsausschuss, define, strategie)"],
        {("competence_without_holder", "strategie", "define")},
        "inv_competence_held",
    ),
    "an assignment to a role that does not exist": (
        ["person(erika_muster)", "assignment(erika_muster, departementschefin_div, 2020-06-01, 9999-12-31)"],
        [],
        {("assignment_unknown_role", "erika_muster", "departementschefin_div")},
        "inv_assignment_role_exists",
    ),
}


@pytest.mark.parametrize("case", BREAKS)
def test_each_invariant_fires_on_a_what_if_that_breaks_it(policy, case):
    add, remove, expected, rule_id = BREAKS[case]
    broken = policy.with_facts(add=add, remove=remove)
    found_violations = violations(broken)
    assert {(v.code, v.subject, v.detail) for v in found_violations} == expected
    for v in found_violations:
        assert v.rule_id == rule_id
        assert v.citation is None or v.citation in (RULES / "source-text.txt").read_text(encoding="utf-8")
        assert v.location and "invariants.dl:" in v.location
        assert f"`{v.subject}`" in v.message
        (proof,) = v.explanation.proofs
        assert proof.atom == v.atom and proof.id == rule_id
        assert verify(proof, broken.program, broken.model) == []
    assert violations(policy) == []  # the original policy is unchanged


def test_a_delegation_cycle_explains_itself_as_a_chain(policy):
    broken = policy.with_facts(add=["delegates(steuerungsausschuss, regierungsrat, implement, strategie)"])
    (v, _) = violations(broken)
    assert v.subject == "regierungsrat"
    text = v.explanation.render()
    assert "delegates(regierungsrat, steuerungsausschuss, implement, strategie)" in text
    assert "delegates(steuerungsausschuss, regierungsrat, implement, strategie)" in text
    assert {"inv_delegation_acyclic", "inv_delegation_path_chain", "rr_delegiert_umsetzung_an_sta"} <= set(
        v.explanation.rule_ids)


def test_a_delegation_of_another_competence_back_is_no_cycle(policy):
    """The invariant is about a competence coming back: delegating something else back is not one."""
    other = policy.with_facts(add=["delegates(steuerungsausschuss, regierungsrat, define, strategie)"])
    assert violations(other) == []


def test_separation_of_duties_holds_for_the_budget_as_the_text_gives_it(policy):
    requesters = {b for b, a, _ in policy.relation("may") if a == "request"}
    assert "steuerungsausschuss" in requesters
    for budget in ("budget_impulsprogramm", "budget_kompetenzzentrum"):
        approvers = {b for b, a, o in policy.relation("may") if (a, o) == ("approve", budget)}
        assert approvers == {"regierungsrat"}
        assert not policy.holds(f"violation(approves_own_request, steuerungsausschuss, {budget})")


def test_a_competence_held_only_by_an_inactive_body_still_has_a_holder(policy):
    """As of a date before the Kompetenzzentrum exists, its competences are assigned but not
    exercised: the text gives them a holder, so no violation."""
    before = policy.at("2020-06-30")
    assert not before.may("Kompetenzzentrum", "implement", "Schwerpunktplanung")
    assert violations(before) == []
    gone = before.with_facts(remove=["competence(kompetenzzentrum, implement, schwerpunktplanung)"])
    assert found(gone) == {("competence_without_holder", "schwerpunktplanung", "implement")}


def test_a_chair_that_is_no_member_fires_when_the_rule_making_chairs_members_is_dropped(tmp_path):
    """The rule `vorsitz_ist_mitglied` makes every chair a member, so no fact can break this
    invariant; an edit of the rules that drops it can."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    bodies = (rules / "bodies.dl").read_text(encoding="utf-8")
    rule = re.search(r"@id\(vorsitz_ist_mitglied\)\n@source\(.*\)\nmember\(B, R\) :- chair\(B, R\)\.\n",
                     bodies)
    assert rule is not None
    (rules / "bodies.dl").write_text(bodies.replace(rule.group(0), ""), encoding="utf-8")
    edited = Policy.load(rules)
    assert found(edited) == {("chair_not_member", "steuerungsausschuss", "departementschef_div")}
    (v,) = violations(edited)
    assert v.rule_id == "inv_chair_is_member"
    assert v.message == "`departementschef_div` chairs `steuerungsausschuss` but is not a member of it"


# -- diagnostics ------------------------------------------------------------------------------------


def test_diagnostics_are_errors_at_the_invariant_rule(policy):
    broken = policy.with_facts(add=["chair(steuerungsausschuss, staatsschreiber)", "consumer(vtg)"])
    diags = as_diagnostics(broken)
    assert [d.code for d in diags] == ["invariant-several-chairs", "invariant-several-chairs",
                                       "invariant-consumer-outside-administration"]
    rules = {c.id: c for c in invariant_rules(broken)}
    for d in diags:
        assert d.severity is Severity.ERROR and d.is_error
        assert d.span is not None and d.span.path.endswith("invariants.dl")
        assert d.help
    assert diags[0].span == rules["inv_chair_unique"].span
    assert diags[2].span == rules["inv_consumer_in_administration"].span
    assert "`vtg`" in diags[2].message and "`steuerungsausschuss`" in diags[0].message
    rendered = diags[2].render()
    assert rendered.splitlines()[0].endswith(
        "error: `vtg` is a consumer but no unit of the cantonal administration (`verband`) "
        "[invariant-consumer-outside-administration]")
    assert "violation(consumer_outside_administration, U, K) :-" in rendered  # the snippet
    assert "= help: only units of the administration are consumers" in rendered


def test_diagnostic_codes():
    assert diagnostic_code("several_chairs") == "invariant-several-chairs"
    assert Violation.model_fields.keys() >= {"code", "subject", "detail", "message", "rule_id", "citation",
                                            "explanation"}


def test_violations_are_json_serialisable(policy):
    broken = policy.with_facts(add=["delegates(konferenz, konferenz, exchange, erfahrungen)"])
    (v,) = violations(broken)
    data = v.model_dump(mode="json")
    assert data["code"] == "delegation_cycle" and data["rule_id"] == "inv_delegation_acyclic"
    assert data["explanation"]["proofs"][0]["id"] == "inv_delegation_acyclic"
    assert v.model_dump_json()


# -- policies of their own ---------------------------------------------------------------------------


def test_a_policy_without_violation_has_no_invariants(tmp_path):
    text = '.decl may(a, b, c)\n@id(b1) @source("x")\nmay(board, sign, contract).\n'
    (tmp_path / "board.dl").write_text(text, encoding="utf-8")
    assert violations(Policy.load(tmp_path)) == []
    assert as_diagnostics(Policy.load(tmp_path)) == []


def test_violation_with_another_arity_is_an_error(tmp_path):
    (tmp_path / "p.dl").write_text('.decl violation(code, subject)\n@id(v) @source("x")\nviolation(a, b).\n',
                                   encoding="utf-8")
    with pytest.raises(QueryError, match="3 arguments"):
        violations(Policy.load(tmp_path))


def test_an_invariant_of_a_policy_authors_own_gets_a_generic_message_and_its_comment_as_help(tmp_path):
    (tmp_path / "board.dl").write_text(
        ".decl member(board, person)\n.decl signer(person)\n.decl violation(invariant, subject, detail)\n"
        '@id(m1) @source("Anna sits on the board.")\nmember(board, anna).\n'
        '@id(s1) @source("Bert signs.")\nsigner(bert).\n'
        "%% Only members of the board sign.\n"
        '@id(inv_signer_is_member) @source("Only members sign.")\n'
        "violation(signer_not_member, P, board) :- signer(P), not member(board, P).\n",
        encoding="utf-8")
    board = Policy.load(tmp_path)
    (v,) = violations(board)
    assert (v.code, v.subject, v.detail) == ("signer_not_member", "bert", "board")
    assert v.rule_id == "inv_signer_is_member"
    assert v.message == "`bert` breaks the invariant `signer_not_member` (`board`)"
    (d,) = as_diagnostics(board)
    assert d.code == "invariant-signer-not-member"
    assert d.help == "Only members of the board sign."
    assert d.span is not None and d.span.line == 10  # the rule, below its comment and annotations


def test_a_violation_stated_as_a_fact_is_reported_without_a_rule(policy):
    stated = policy.with_facts(add=["violation(manual_finding, kompetenzzentrum, 2024)"])
    (v,) = violations(stated)
    assert (v.code, v.subject, v.detail, v.rule_id) == ("manual_finding", "kompetenzzentrum", 2024, None)
    assert v.message == "`kompetenzzentrum` breaks the invariant `manual_finding` (`2024`)"
    (d,) = as_diagnostics(stated)
    assert d.span is None and d.code == "invariant-manual-finding"


# -- docs ------------------------------------------------------------------------------------------------


def test_the_doc_lists_every_invariant_rule_and_code(policy):
    text = DOC.read_text(encoding="utf-8")
    for clause in invariant_rules(policy):
        assert f"`{clause.id}`" in text, clause.id
        code = clause.head.args[0].value
        assert f"`{code}`" in text and f"`{diagnostic_code(code)}`" in text, code


def test_the_module_examples_run():
    assert doctest.testmod(invariants_module).failed == 0
