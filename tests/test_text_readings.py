"""Answers that follow the governance text where the policy used to read it otherwise:
the implementation the Regierungsrat delegates, delegation as a question, the budget as a
whole, the participants of the Kontaktgremium and the Konferenz, and names that are no actor."""

import json

import pytest

from kdv_policy import Delegation, Policy, UnknownNameError
from kdv_policy.cli.main import main
from kdv_policy.policy.questions import parse

DELEGATES = "delegiert die Umsetzung der Strategie an den Steuerungsausschuss"
REQUESTS = "beantragt das Budget des Impulsprogramms und des Kompetenzzentrums beim Regierungsrat"


@pytest.fixture(scope="module")
def policy():
    return Policy.load()


def ask(policy, question):
    return parse(question).ask(policy)


# -- (b) the Regierungsrat delegates the implementation, it does not keep it --------------------


def test_the_regierungsrat_does_not_implement_the_strategie_it_delegated(policy):
    implementers = policy.who_may("implement", "Strategie")
    assert "regierungsrat" not in implementers.ids
    assert {"steuerungsausschuss", "kompetenzzentrum"} <= set(implementers.ids)
    decision = policy.may("Regierungsrat", "umsetzen", "Strategie")
    assert not decision.allowed
    assert "To implement it is for:" in decision.explanation.summary


def test_the_steuerungsausschuss_implements_by_the_delegation_the_text_states(policy):
    decision = policy.may("Steuerungsausschuss", "umsetzen", "Strategie")
    assert [e.id for e in decision.explanation.chain] == ["regierungsrat", "steuerungsausschuss"]
    citations = {n.citation for n in decision.explanation.proofs[0].walk()}
    assert DELEGATES in citations


# -- (c) delegation can be asked about -----------------------------------------------------------


def test_may_the_regierungsrat_delegate_the_umsetzung(policy):
    decision = policy.may("Regierungsrat", "delegieren", "Umsetzung der Strategie")
    assert decision.allowed
    assert decision.explanation.summary.endswith(f"« {DELEGATES} »")
    assert not policy.may("Steuerungsausschuss", "delegieren", "Umsetzung der Strategie").allowed
    assert policy.who_may("delegieren", "Umsetzung der Strategie").ids == ("regierungsrat",)


@pytest.mark.parametrize("asked", [None, "Strategie", "Umsetzung der Strategie", "umsetzung_strategie"])
def test_delegations_give_the_chain_with_its_proof(policy, asked):
    answers = policy.delegations(asked)
    [step] = answers
    assert isinstance(step, Delegation) and step.effective
    assert (step.delegator.id, step.delegate.id, step.action.id, step.object.id) == (
        "regierungsrat", "steuerungsausschuss", "implement", "strategie")
    assert step.task is not None and step.task.name == "Umsetzung der Strategie"
    assert [e.name for e in step.chain] == ["Regierungsrat", "Steuerungsausschuss"]
    [proof] = answers.explanation.proofs
    assert proof.predicate == "delegated_may"
    used = set(answers.explanation.rule_ids)
    assert {"rr_delegiert_umsetzung_an_sta", "rr_delegiert_umsetzung_strategie"} <= used
    assert f"« {DELEGATES} »" in answers.explanation.summary


def test_delegations_of_an_object_nobody_delegates_say_so(policy):
    answers = policy.delegations("Budget")
    assert len(answers) == 0
    assert answers.explanation.summary == "no delegations: nobody delegates Budget"


def test_delegations_follow_a_chain_and_mark_what_passes_nothing_on(policy):
    changed = policy.with_facts(add=[
        "delegates(steuerungsausschuss, planungsausschuss, implement, strategie)",
        "delegates(planungsausschuss, konferenz, approve, budget)"])
    chains = {tuple(e.id for e in d.chain): d.effective for d in changed.delegations()}
    assert chains == {
        ("regierungsrat", "steuerungsausschuss"): True,
        ("regierungsrat", "steuerungsausschuss", "planungsausschuss"): True,
        ("planungsausschuss", "konferenz"): False,  # the Planungsausschuss may not approve the budget
    }
    ordered = [tuple(e.id for e in d.chain) for d in changed.delegations("Strategie")]
    assert ordered == [("regierungsrat", "steuerungsausschuss"),
                       ("regierungsrat", "steuerungsausschuss", "planungsausschuss")]


def test_delegations_name_an_unknown_object():
    with pytest.raises(UnknownNameError):
        Policy.load().delegations("Strategy Paper")


@pytest.mark.parametrize("question", ["who delegated Umsetzung der Strategie", "delegations of Strategie",
                                      "delegations", "who delegated \"Umsetzung der Strategie\"?"])
def test_the_cli_asks_who_delegated_what(policy, question):
    reply = ask(policy, question)
    lines = reply.text().splitlines()
    assert lines[0].endswith(": 1 answer")
    assert lines[1] == ("  Regierungsrat → Steuerungsausschuss: implement Strategie Digitale Verwaltung "
                        "Thurgau (Umsetzung der Strategie)   [delegation_aus_delegationskompetenz]")
    [row] = reply.json()["answers"]
    assert [e["id"] for e in row["chain"]] == ["regierungsrat", "steuerungsausschuss"]
    assert row["task"]["id"] == "umsetzung_strategie" and row["effective"] is True


def test_the_cli_command_answers_delegation_questions_in_json(capsys):
    assert main(["query", "--format", "json", "who delegated Umsetzung der Strategie"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["kind"] == "delegations"
    assert line["answers"][0]["delegator"]["id"] == "regierungsrat"


def test_an_incomplete_delegation_question_is_a_usage_error(capsys):
    assert main(["query", "who delegated"]) == 2
    assert "who delegated OBJECT" in capsys.readouterr().err


# -- (d) the budget the Steuerungsausschuss requests is the budget the Regierungsrat releases ----


def test_the_steuerungsausschuss_requests_das_budget(policy):
    decision = policy.may("Steuerungsausschuss", "beantragen", "Budget")
    assert decision.allowed
    citations = {n.citation for n in decision.explanation.proofs[0].walk()}
    assert {REQUESTS, "gibt das Budget frei"} <= citations
    assert "steuerungsausschuss" in policy.who_may("request", "Budget").ids


def test_nobody_else_requests_das_budget(policy):
    assert not policy.may("Regierungsrat", "beantragen", "Budget").allowed
    assert not policy.may("Planungsausschuss", "beantragen", "Budget").allowed
    assert "regierungsrat" not in policy.who_may("request", "Budget").ids


def test_a_competence_over_one_part_only_does_not_carry_to_the_whole(policy):
    one_part = policy.with_facts(remove=["competence(steuerungsausschuss, request, budget_kompetenzzentrum)"])
    assert one_part.may("Steuerungsausschuss", "beantragen", "Budget des Impulsprogramms").allowed
    assert not one_part.may("Steuerungsausschuss", "beantragen", "Budget").allowed


def test_the_impulsprogramm_is_not_read_as_its_parts(policy):
    both = policy.with_facts(add=["competence(planungsausschuss, lead, strategische_massnahmen)",
                                  "competence(planungsausschuss, lead, umsetzungsprojekte)"])
    assert not both.may("Planungsausschuss", "leiten", "Impulsprogramm").allowed
