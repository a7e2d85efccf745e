"""The Python API over the bundled governance and over plain policies."""

import datetime
import json
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kdv_policy import Policy, QueryError
from kdv_policy.policy import names
from kdv_policy.policy.explain import verify
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError, normalise

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(REPO_RULES, lang="en")  # these tests assert the English wording


# -- the questions -------------------------------------------------------------------------------

def test_may_allowed_with_proof_down_to_cited_facts(policy):
    d = policy.may("Regierungsrat", "approve", "Strategie")
    assert d.allowed and bool(d)
    assert (d.actor.id, d.action.id, d.object.id) == ("regierungsrat", "approve", "strategie")
    (proof,) = d.explanation.proofs
    leaves = [n for n in proof.walk() if not n.children]
    assert any(n.id == "rr_verabschiedet_strategie" and "verabschiedet die Strategie" in n.citation
               for n in leaves)
    assert "Der Regierungsrat verabschiedet die Strategie" in d.explanation.render()


def test_german_verbs_resolve_to_canonical_actions(policy):
    for verb in ("verabschieden", "freigeben", "abnehmen", "approve", "Verabschieden"):
        assert policy.may("Regierungsrat", verb, "Strategie").action.id == "approve"
    assert policy.may("StA", "abnehmen", "Schwerpunktplanung").allowed


def test_delegation_shows_the_chain(policy):
    d = policy.may("Steuerungsausschuss", "umsetzen", "Strategie")
    assert d.allowed
    assert [e.id for e in d.explanation.chain] == ["regierungsrat", "steuerungsausschuss"]
    assert "Regierungsrat → Steuerungsausschuss" in d.explanation.summary
    assert "rr_delegiert_umsetzung_an_sta" in d.explanation.rule_ids


def test_denied_says_why_and_who_holds_the_competence(policy):
    d = policy.may("Planungsausschuss", "approve", "Schwerpunktplanung")
    assert not d.allowed and d.explanation.proofs == ()
    summary = d.explanation.summary
    assert "Planungsausschuss may prepare it" in summary
    assert "Steuerungsausschuss" in summary
    failed = [a.failed for a in d.explanation.why_not.attempts]
    assert "no competence(planungsausschuss, approve, schwerpunktplanung)" in failed


def test_reverse_questions(policy):
    assert policy.who_may("approve", "Schwerpunktplanung").ids[:1] == ("steuerungsausschuss",)
    perms = {(p.action.id, p.object.id) for p in policy.what_may("Planungsausschuss")}
    assert ("prepare", "schwerpunktplanung") in perms and ("approve", "schwerpunktplanung") not in perms
    assert policy.who_serves("Bezirksamt Arbon").ids == ("kompetenzzentrum",)
    assert policy.who_serves("Gemeinde Frauenfeld").ids == ()


def test_members_chair_and_responsibility(policy):
    members = policy.members("Steuerungsausschuss")
    assert "departementschef_div" in members and "Staatsschreiber" in members
    assert {f"generalsekretaer_{d}" for d in ("div", "dfs", "dek", "dbu", "djs")} <= set(members.ids)
    assert policy.chair("StA").ids == ("departementschef_div",)
    assert policy.chair("StA").first in members
    assert policy.responsible_for("DEK").ids == ("dv_dek",)


def test_consumers(policy):
    assert policy.is_consumer("Bezirksamt Arbon").allowed
    no = policy.is_consumer("Gemeinde Frauenfeld")
    assert not no.allowed
    assert "Gemeinde Frauenfeld is not a consumer" in no.explanation.summary
    assert no.explanation.why_not.attempts


def test_ask_parses_with_the_projects_parser(policy):
    rows = policy.ask("may(B, approve, strategie), not chair(B, _)")
    assert rows == ({"B": "regierungsrat"},)


def test_results_are_json_serialisable(policy):
    data = json.loads(policy.may("StA", "implement", "Strategie").model_dump_json())
    assert data["allowed"] is True and data["actor"] == {
        "id": "steuerungsausschuss", "name": "Steuerungsausschuss", "kind": "body"}
    assert data["explanation"]["proofs"][0]["id"] == "darf_aus_delegation"
    listed = json.loads(policy.members("PA").model_dump_json())
    assert all({"id", "name", "kind"} <= set(a) for a in listed["answers"])


# -- explanations re-check -------------------------------------------------------------------------

def test_every_proof_of_every_may_re_verifies(policy):
    model = policy.model
    for actor, action, obj in sorted(model["may"]):
        proof = policy.explain(f"may({actor}, {action}, {obj})").proofs[0]
        assert verify(proof, policy.program, model) == [], proof.render()


def test_verify_catches_a_forged_step(policy):
    proof = policy.may("Regierungsrat", "approve", "Strategie").explanation.proofs[0]
    forged = proof.model_copy(update={"children": (proof.children[0].model_copy(
        update={"atom": "competence(planungsausschuss, approve, strategie)", "args": (
            "planungsausschuss", "approve", "strategie")}),)})
    assert verify(forged, policy.program, policy.model)


# -- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "DEK", "dek", "Departement für Erziehung und Kultur", "Departement fuer Erziehung und Kultur",
    "departement für erziehung und kultur", "DEPARTEMENT FUR ERZIEHUNG UND KULTUR",
])
def test_names_with_and_without_umlauts(policy, name):
    assert policy.resolve(name).id == "dek"


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text(alphabet="aäoöuüßAÄ -_.Ée\u0301x"))
def test_a_name_is_found_under_its_normalised_and_its_umlaut_dropped_spelling(name):
    # ASCII names take a short cut in keys(); it must give the same keys as the general rule
    assert names.keys(name) == {normalise(name), names._fold(name.casefold())}


def test_normalise():
    assert normalise("Münchwilen") == normalise("Muenchwilen") == "muenchwilen"
    assert normalise("departementschef_div") == normalise("Departementschef  DIV")


def test_a_typo_is_an_error_with_suggestions_never_a_silent_deny(policy):
    with pytest.raises(UnknownNameError) as info:
        policy.may("Regierungsrath", "approve", "Strategie")
    assert "regierungsrat" in [e.id for e in info.value.suggestions]
    assert "did you mean `Regierungsrat`" in str(info.value)
    with pytest.raises(UnknownNameError, match="unknown action `aprove`"):
        policy.may("Regierungsrat", "aprove", "Strategie")


def test_an_ambiguous_name_lists_the_candidates(tmp_path):
    (tmp_path / "p.dl").write_text(
        '.decl may(a, b, c)\n@id(a) @source("s") may(foo_bar, approve, x).\n'
        '@id(b) @source("s") may("Foo Bar", approve, y).\n', encoding="utf-8")
    policy = Policy.load(tmp_path)
    with pytest.raises(AmbiguousNameError) as info:
        policy.may("foo bar", "approve", "x")
    assert {e.id for e in info.value.candidates} == {"foo_bar", "Foo Bar"}
    assert policy.may("foo_bar", "approve", "x").allowed  # the exact id is never ambiguous


# -- plain policies --------------------------------------------------------------------------------

def test_questions_work_on_any_policy_that_declares_the_interface(tmp_path):
    (tmp_path / "p.dl").write_text(
        '.decl member(body, role)\n.decl may(a, b, c)\n'
        '@id(m) @source("s") member(board, alice).\n@id(p) @source("s") may(board, sign, contract).\n',
        encoding="utf-8")
    policy = Policy.load(tmp_path)
    assert policy.members("board").ids == ("alice",)
    assert policy.may("Board", "sign", "contract").allowed
    with pytest.raises(QueryError, match="does not define `serves/2`"):
        policy.who_serves("board")


# -- time and what-if ----------------------------------------------------------------------------

def test_as_of_dates(policy):
    before = policy.at(datetime.date(2020, 6, 30))
    after = policy.at("2021-01-01")
    assert not before.may("KDV", "implement", "Strategie").allowed
    assert after.may("KDV", "implement", "Strategie").allowed
    assert before.who_serves("Bezirksamt Arbon").ids == ()
    assert not after.may("Kontaktgremium", "coordinate", "gemeinsame_vorhaben").allowed
    assert policy.may("KDV", "implement", "Strategie").allowed  # timeless: the text as a whole
    assert Policy.load(REPO_RULES, at="2020-06-30").version == before.version


def test_what_if_returns_a_new_policy_and_leaves_the_original(policy):
    changed = policy.with_facts(add=["member(steuerungsausschuss, dv_dek)"])
    assert "dv_dek" in changed.members("StA") and "dv_dek" not in policy.members("StA")
    assert changed.version != policy.version
    removed = policy.with_facts(remove=["competence(regierungsrat, approve, strategie)"])
    assert not removed.may("RR", "approve", "Strategie").allowed
    assert policy.may("RR", "approve", "Strategie").allowed
    with pytest.raises(QueryError, match="derived by rules"):
        policy.with_facts(remove=["may(regierungsrat, approve, strategie)"])


# -- cache and threads -----------------------------------------------------------------------------

def test_cache_counts_hits_and_never_changes_an_answer():
    policy = Policy.load(REPO_RULES)
    first = policy.may("RR", "approve", "Strategie")
    info = policy.cache_info()
    again = policy.may("RR", "approve", "Strategie")
    assert again is first and policy.cache_info().hits == info.hits + 1
    uncached = Policy.load(REPO_RULES, cache_size=1)
    for args in [("RR", "approve", "Strategie"), ("PA", "approve", "Schwerpunktplanung")] * 3:
        assert uncached.may(*args).allowed == policy.may(*args).allowed


def test_eight_threads_get_exactly_the_single_thread_answers():
    questions = [(a, ac, o) for a in ("RR", "StA", "PA", "KDV", "Departementschef DIV")
                 for ac in ("approve", "implement", "prepare", "define")
                 for o in ("Strategie", "Schwerpunktplanung")]
    expected = {q: Policy.load(REPO_RULES).may(*q).allowed for q in questions}
    shared = Policy.load(REPO_RULES, cache_size=8)
    results: dict[int, dict] = {}
    errors = []

    def worker(n: int) -> None:
        try:
            out = {}
            for _ in range(20):
                for q in questions:
                    out[q] = shared.may(*q).allowed
                    shared.members("StA")
                    shared.ask("chair(B, R)")
            results[n] = out
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results.values()) and len(results) == 8


def test_the_summary_quotes_the_competence_not_the_chair(tmp_path):
    (tmp_path / "p.dl").write_text(
        ".decl chair(body, role)\n.decl competence(body, action, object)\n.decl may(actor, action, object)\n"
        '@id(c) @source("Den Vorsitz des Rates führt die Präsidentin.") chair(rat, praesidentin).\n'
        '@id(k) @source("Der Rat gibt das Budget frei.") competence(rat, approve, budget).\n'
        '@id(m1) @source("s") may(B, A, O) :- competence(B, A, O).\n'
        '@id(m2) @source("s") may(R, A, O) :- chair(B, R), may(B, A, O).\n', encoding="utf-8")
    decision = Policy.load(tmp_path).may("praesidentin", "approve", "budget")
    assert decision.allowed and "« Der Rat gibt das Budget frei. »" in decision.explanation.summary
