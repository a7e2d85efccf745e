"""Answers that follow the governance text where the policy used to read it otherwise:
the implementation the Regierungsrat delegates, delegation as a question, the budget as a
whole, the participants of the Kontaktgremium and the Konferenz, and names that are no actor."""

import json

import pytest

from kdv_policy import AmbiguousNameError, Delegation, Policy, UnknownNameError
from kdv_policy.cli.main import main
from kdv_policy.policy.questions import parse

DELEGATES = "delegiert die Umsetzung der Strategie an den Steuerungsausschuss"
REQUESTS = "beantragt das Budget des Impulsprogramms und des Kompetenzzentrums beim Regierungsrat"


@pytest.fixture(scope="module")
def policy():
    return Policy.load(lang="en")  # these tests assert the English wording


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
    assert main(["query", "--lang", "en", "--format", "json", "who delegated Umsetzung der Strategie"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["kind"] == "delegations"
    assert line["answers"][0]["delegator"]["id"] == "regierungsrat"


def test_an_incomplete_delegation_question_is_a_usage_error(capsys):
    assert main(["query", "--lang", "en", "who delegated"]) == 2
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


# -- (h) the Kontaktgremium's partners are its members --------------------------------------------

KONTAKTGREMIUM = ("Das Kontaktgremium VTG / VTGS / STG ( Verband Thurgauer Gemeinden, "
                  "Verband Thurgauer Schulgemeinden, Smarter Thurgau )")


def test_the_members_of_the_kontaktgremium_are_its_partners(policy):
    members = policy.members("Kontaktgremium")
    assert members.ids == ("smarter_thurgau", "vtg", "vtgs")
    assert members.marks == {"smarter_thurgau": "partner", "vtg": "partner", "vtgs": "partner"}
    assert "the partners Smarter Thurgau, Verband Thurgauer Gemeinden, Verband Thurgauer Schulgemeinden " \
           "take part in it" in members.explanation.summary


def test_explaining_a_partners_membership_cites_the_partners(policy):
    explanation = policy.explain("member(kontaktgremium, vtg)")
    # the partner's membership, then what it depends on: the second phase, which the text gives no date
    assert explanation.rule_ids[:2] == ("partner_ist_mitglied", "kg_partner_vtg")
    assert "bestand_offen_ohne_stichtag" in explanation.rule_ids
    assert [n.predicate for n in explanation.proofs[0].walk()] == ["member", "partner", "inactive"]
    assert explanation.proofs[0].citation == KONTAKTGREMIUM
    assert not policy.holds("member(steuerungsausschuss, vtg)").allowed


def test_the_cli_marks_the_partners(policy):
    lines = ask(policy, "members of Kontaktgremium").text().splitlines()
    assert lines == ["members of Kontaktgremium: 3 answers",
                     "  Smarter Thurgau (smarter_thurgau) — partner   [partner_ist_mitglied]",
                     "  Verband Thurgauer Gemeinden (vtg) — partner   [partner_ist_mitglied]",
                     "  Verband Thurgauer Schulgemeinden (vtgs) — partner   [partner_ist_mitglied]"]
    rows = ask(policy, "members of Kontaktgremium").json()["answers"]
    assert {(r["id"], r["kind"], r["mark"]) for r in rows} == {
        ("vtg", "unit", "partner"), ("vtgs", "unit", "partner"), ("smarter_thurgau", "unit", "partner")}


def test_members_of_a_body_without_partners_carry_no_marks(policy):
    members = policy.members("Steuerungsausschuss")
    assert members.marks == {} and "staatsschreiber" in members.ids
    assert all("mark" not in row for row in ask(policy, "members of StA").json()["answers"])


# -- (i) the Konferenz's further Amtsvertretungen: a class the text leaves open -------------------


def test_the_konferenz_shows_the_amtsvertretungen_as_an_open_class(policy):
    members = policy.members("Konferenz")
    assert members.answers[-1].id == "amtsvertretung" and members.answers[-1].kind == "function"
    assert members.marks == {"amtsvertretung": "open class"}
    assert "the text leaves open which Amtsvertretung sit in it" in members.explanation.summary
    assert "konferenz_weitere_amtsvertretungen" in members.explanation.rule_ids
    line = ask(policy, "members of Konferenz").text().splitlines()[-1]
    assert line == ("  Amtsvertretung (amtsvertretung) — further members the text leaves open   "
                    "[konferenz_weitere_amtsvertretungen]")


def test_an_amtsvertretung_of_the_directory_sits_in_the_konferenz_and_the_class_stays_open(policy):
    more = policy.with_facts(add=["role(amtsvertretung_afi)",
                                  "role_of(amtsvertretung_afi, amt_fuer_informatik, amtsvertretung)"])
    members = more.members("Konferenz")
    assert "amtsvertretung_afi" in members.ids and "amtsvertretung" in members.ids
    assert members.marks == {"amtsvertretung": "open class"}


def test_other_bodies_show_no_open_class(policy):
    assert "amtsvertretung" not in policy.members("Planungsausschuss").ids


# -- (j) a name that is not an actor is an error, never a silent no ------------------------------

GENERALSEKRETAERE = ["generalsekretaer_dbu", "generalsekretaer_dek", "generalsekretaer_dfs",
                     "generalsekretaer_div", "generalsekretaer_djs"]
DV = ["dv_dbu", "dv_dek", "dv_dfs", "dv_div", "dv_djs", "dv_gerichte", "dv_staatskanzlei"]


@pytest.mark.parametrize("name", ["Generalsekretär", "generalsekretaer", "Generalsekretäre",
                                  "Generalsekretär/in"])
def test_a_group_is_no_actor_its_candidates_are_its_roles(policy, name):
    with pytest.raises(AmbiguousNameError) as caught:
        policy.may(name, "approve", "Strategie")
    assert [c.id for c in caught.value.candidates] == GENERALSEKRETAERE
    assert caught.value.group.id == "generalsekretaer"
    assert "names a group" in str(caught.value) and "ask about one of them" in str(caught.value)
    with pytest.raises(AmbiguousNameError):
        policy.what_may(name)


def test_dv_names_the_group_of_the_digitalisierungsverantwortlichen(policy):
    group = policy.resolve("DV")
    assert (group.id, group.kind) == ("digitalisierungsverantwortliche", "function")
    with pytest.raises(AmbiguousNameError) as caught:
        policy.may("DV", "coordinate", "laufende Projekte")
    assert [c.id for c in caught.value.candidates] == DV
    assert policy.resolve("DV DIV").id == "dv_div"  # one DV, by its own name
    assert not policy.may("DV DIV", "approve", "Strategie").allowed


def test_a_group_with_one_role_names_that_role(policy):
    assert policy.may("Leitung", "umsetzen", "Strategie").actor.id == "leitung_kompetenzzentrum"


def test_a_group_no_role_holds_is_no_actor(policy):
    with pytest.raises(UnknownNameError, match="which no role of the directory holds"):
        policy.may("Amtsvertretung", "approve", "Strategie")


def test_a_value_of_the_rules_that_does_not_act_is_no_actor(policy):
    with pytest.raises(UnknownNameError, match="`hueter` is no actor: it is a value of the rules"):
        policy.may("hueter", "approve", "Strategie")


def test_in_a_policy_without_data_the_values_that_act_are_actors(tmp_path):
    (tmp_path / "p.dl").write_text(
        ".decl member(body, role)\n.decl may(actor, action, object)\n"
        '@id(m) @source("s") member(rat, schreiberin).\n'
        '@id(k) @source("s") may(rat, sign, vertrag).\n', encoding="utf-8")
    small = Policy.load(tmp_path)
    assert small.may("rat", "sign", "vertrag").allowed
    assert not small.may("schreiberin", "sign", "vertrag").allowed  # a role of the rules: it acts, may not
    with pytest.raises(UnknownNameError):
        small.may("vertrag", "sign", "vertrag")


def test_the_cli_refuses_a_group_as_actor_with_the_candidates(capsys):
    assert main(["query", "--lang", "en", "--format", "json", "may Generalsekretär approve Strategie"]) == 2
    captured = capsys.readouterr()
    error = json.loads(captured.out.splitlines()[-1])["error"]
    assert error["type"] == "ambiguous-name"
    assert [c["id"] for c in error["candidates"]] == GENERALSEKRETAERE
    assert "names a group" in captured.err


def test_asking_to_delegate_the_object_points_to_the_task(policy):
    decision = policy.may("Regierungsrat", "delegieren", "Strategie")
    assert not decision.allowed  # the text delegates the Umsetzung der Strategie, not the Strategie
    assert "To delegate Umsetzung der Strategie it is for: Regierungsrat." in decision.explanation.summary
