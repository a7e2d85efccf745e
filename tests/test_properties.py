"""Property-based tests of the bundled governance through the API (hypothesis).

* Random changes of the organisation (units, Departemente, roles in organisation.toml;
  delegations, consumers, chairs, competences, persons and removed facts as what-ifs): the
  invariants hold, or ``invariants.violations`` names exactly the violations that an
  independent restatement of each invariant over the model finds, each with a valid proof.
* A Departement added to the data brings its Generalsekretär into the Steuerungsausschuss,
  with no rule edited.
* Monotonicity: for predicates that depend on no negation (computed from the program),
  adding facts never removes an answer.
* Every allowed decision's proof re-verifies step by step; a denied one has no proof.
* The decision cache never changes an answer: a cached and an uncached policy agree on
  random question sequences interleaved with what-ifs and dates.
* What-ifs compose: chained ``with_facts`` give the model of the stated facts as changed step
  by step (the reference evaluator computes it); a removal undoes an earlier addition.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from hypothesis import Phase, event, example, given, settings
from hypothesis import strategies as st

import reference
from kdv_policy import AmbiguousNameError, Policy, PolicyError, UnknownNameError
from kdv_policy.authoring.invariants import violations
from kdv_policy.language.program import dependency_edges
from kdv_policy.language.syntax import Negation
from kdv_policy.policy.explain import verify

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
PEOPLE = ROOT / "examples" / "people.toml"
D = datetime.date


@cache
def base() -> Policy:
    return Policy.load(RULES)


@cache
def staff() -> Policy:
    return Policy.load(RULES, people=PEOPLE)


def ids(policy: Policy, predicate: str) -> list[str]:
    return sorted({row[0] for row in policy.relation(predicate)})


BODIES = ids(base(), "body")
ROLES = ids(base(), "role")
UNITS = ids(base(), "unit")
KINDS = sorted({k for _, k in base().relation("unit_kind")} | {"abteilung", "schulgemeinde", "verein"})
FUNCTIONS = sorted({f for _, _, f in base().relation("role_of")} | {"amtsvertretung"})
ACTIONS = sorted(e.id for e in base().names.entities("action"))
OBJECTS = sorted({o for _, _, o in base().relation("may")} | {"budget", "digitale_transformation"})
DATES = [D(2000, 1, 1), D(2020, 6, 30), D(2020, 12, 31), D(2021, 1, 1), D(2025, 3, 1), D(2040, 1, 1)]
PERSONS = ids(staff(), "person")

# facts a what-if may remove: stated by organisation.toml or by a rule file
REMOVABLE = sorted(
    f"{p}({', '.join(map(str, row))})"
    for p in ("role_of", "role", "unit_kind", "administrative_kind", "competence", "delegates", "part_of",
              "consumer_kind", "chaired_body", "required_competence", "parent", "acts_as")
    for row in base().relation(p)
    if base()._is_stated(p, row)  # the API's own notion of "stated"
)


# removals that break an invariant (or are meant to, combined with others)
CRITICAL = [
    "role_of(departementschef_div, div, departementschef)", "chaired_body(steuerungsausschuss)",
    "competence(steuerungsausschuss, define, strategie)", "competence(regierungsrat, approve, budget)",
    "unit_kind(gemeinde_frauenfeld, gemeinde)", "role(staatsschreiber)", "administrative_kind(amt)",
    "competence(kompetenzzentrum, implement, schwerpunktplanung)", "part_of(budget_impulsprogramm, budget)",
]
assert set(CRITICAL) <= set(REMOVABLE)


def load_with(extra_toml: str) -> Policy:
    """The bundled rule files over the bundled organisation.toml with ``extra_toml`` appended."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for rule_file in RULES.glob("*.dl"):
            shutil.copy(rule_file, directory / rule_file.name)
        text = (RULES / "organisation.toml").read_text(encoding="utf-8")
        (directory / "organisation.toml").write_text(text + extra_toml, encoding="utf-8")
        return Policy.load(directory)


def toml_entry(table: str, **fields) -> str:
    body = "".join(f'{k} = "{v}"\n' for k, v in fields.items() if v is not None)
    return f"\n[[{table}]]\n{body}"


# -- an independent statement of each invariant, over the model -----------------------------------------


def expected_violations(m) -> set[tuple]:
    """The violations of rules/invariants.dl, restated in Python over the relations they read."""
    out: set[tuple] = set()
    chairs = m["chair"]
    for b, r in chairs:
        if (b, r) not in m["member"]:
            out.add(("chair_not_member", b, r))
        if any(b2 == b and r2 != r for b2, r2 in chairs):
            out.add(("several_chairs", b, r))
    for (b,) in m["chaired_body"]:
        if not any(b2 == b for b2, _ in chairs):
            out.add(("missing_chair", b, "vorsitz"))
    graphs: dict[tuple, dict] = defaultdict(lambda: defaultdict(set))
    for x, y, a, o in m["delegates"]:
        graphs[(a, o)][x].add(y)
    for (_a, o), graph in graphs.items():
        for start in list(graph):
            seen, todo = set(), list(graph[start])
            while todo:
                node = todo.pop()
                if node not in seen:
                    seen.add(node)
                    todo.extend(graph.get(node, ()))
            if start in seen:
                out.add(("delegation_cycle", start, o))
    bodies = {b for (b,) in m["body"]}
    for b, a, o in m["may"]:
        if b in bodies and a == "request" and (b, "approve", o) in m["may"]:
            out.add(("approves_own_request", b, o))
    units = {u for (u,) in m["unit"]}
    for (u,) in m["consumer"]:
        if (u,) not in m["in_administration"]:
            out |= {("consumer_outside_administration", u, k) for u2, k in m["unit_kind"] if u2 == u}
        if u not in units:
            out.add(("consumer_outside_administration", u, "not_in_directory"))
    held = {(a, o) for b, a, o in m["competence"] | m["may"] if b in bodies}
    out |= {("competence_without_holder", o, a) for a, o in m["required_competence"] if (a, o) not in held}
    roles = {r for (r,) in m["role"]}
    out |= {("assignment_unknown_role", p, r) for p, r, _, _ in m["assignment"] if r not in roles}
    return out


def check_invariants(policy: Policy) -> list:
    found = violations(policy)
    assert {(v.code, v.subject, v.detail) for v in found} == expected_violations(policy.model)
    for v in found:
        proof, *open_too = v.explanation.proofs  # then what the text leaves open that it depends on
        for node in (proof, *open_too):
            assert verify(node, policy.program, policy.model) == []
        assert f"`{v.subject}`" in v.message
    return found


# -- random organisation changes --------------------------------------------------------------------------


@st.composite
def organisation_changes(draw):
    """(TOML appended to organisation.toml, facts added, facts removed)."""
    toml = []
    new_units: list[str] = []
    for i in range(draw(st.integers(0, 3))):
        unit = f"neue_einheit_{i}"
        parent = draw(st.one_of(st.none(), st.sampled_from(UNITS + new_units)))
        toml.append(toml_entry("units", id=unit, kind=draw(st.sampled_from(KINDS)), name=f"Neue Einheit {i}",
                               parent=parent))
        new_units.append(unit)
    for i in range(draw(st.integers(0, 2))):
        dep = f"dep_{i}"
        toml.append(toml_entry("units", id=dep, kind="departement", name=f"Departement Neu {i}"))
        toml.append(toml_entry("roles", id=f"generalsekretaer_{dep}", unit=dep, function="generalsekretaer",
                               name=f"Generalsekretär Neu {i}"))
        if draw(st.booleans()):
            toml.append(toml_entry("roles", id=f"dv_{dep}", unit=dep, name=f"DV Neu {i}",
                                   function="digitalisierungsverantwortliche"))
        new_units.append(dep)
    for i in range(draw(st.integers(0, 2))):
        unit = draw(st.sampled_from([*UNITS, *new_units, "kompetenzzentrum"]))
        function = draw(st.sampled_from(FUNCTIONS))
        toml.append(toml_entry("roles", id=f"neue_rolle_{i}", unit=unit, function=function,
                               name=f"Neue Rolle {i}"))
    add = []
    for _ in range(draw(st.integers(0, 3))):
        add.append(f"delegates({draw(st.sampled_from(BODIES))}, {draw(st.sampled_from(BODIES))}, "
                   f"{draw(st.sampled_from(['implement', 'approve', 'define', 'request']))}, "
                   f"{draw(st.sampled_from(['strategie', 'budget', 'budget_impulsprogramm']))})")
    if draw(st.integers(0, 3)) == 0:
        add.append(f"consumer({draw(st.sampled_from([*UNITS, 'migros']))})")
    if draw(st.integers(0, 3)) == 0:
        add.append(f"chair({draw(st.sampled_from(BODIES))}, {draw(st.sampled_from(ROLES))})")
    if draw(st.integers(0, 3)) == 0:
        body = draw(st.sampled_from(["steuerungsausschuss", *BODIES]))
        obj = draw(st.sampled_from(["budget", "budget_kompetenzzentrum", *OBJECTS]))
        add.append(f"competence({body}, {draw(st.sampled_from(['approve', 'request']))}, {obj})")
    for i in range(draw(st.integers(0, 2))):
        role = draw(st.one_of(st.sampled_from(ROLES), st.just("no_such_role")))
        add += [f"person(person_{i})", f"assignment(person_{i}, {role}, 2020-01-01, 9999-12-31)"]
    remove = draw(st.lists(st.one_of(st.sampled_from(CRITICAL), st.sampled_from(REMOVABLE)), max_size=3,
                           unique=True))
    return "".join(toml), add, remove


@settings(max_examples=50, deadline=None)
@given(organisation_changes())
@example(change=(  # a violation that depends on what the text leaves open (the Kontaktgremium's phase)
    "", ["delegates(kontaktgremium, steuerungsausschuss, approve, budget)",
         "delegates(regierungsrat, kontaktgremium, approve, budget)", "consumer(amt_fuer_informatik)"], []))
def test_after_random_organisation_changes_violations_names_exactly_what_is_broken(change):
    toml, add, remove = change
    policy = load_with(toml) if toml else base()
    found = check_invariants(policy.with_facts(add=add, remove=remove))
    for code in sorted({v.code for v in found}) or ["no violation"]:
        event(code)


def test_the_restatement_of_the_invariants_finds_nothing_in_the_bundled_policy():
    assert expected_violations(base().model) == set()
    assert check_invariants(staff()) == []


# -- a new Departement joins the Steuerungsausschuss through data alone -----------------------------------


@st.composite
def departements(draw):
    names = draw(st.lists(st.from_regex(r"d[a-z]{2,5}", fullmatch=True).filter(lambda n: n not in UNITS),
                          min_size=1, max_size=3, unique=True))
    return [(n, draw(st.booleans()), draw(st.booleans())) for n in names]  # (id, with DV, with a chef)


@settings(max_examples=25, deadline=None)
@given(departements(), st.booleans())
def test_a_new_departement_brings_its_generalsekretaer_into_the_steuerungsausschuss(deps, as_what_if):
    toml, facts = [], []
    for i, (dep, with_dv, with_chef) in enumerate(deps):
        roles = [("generalsekretaer", f"gs_{dep}")]
        roles += [("digitalisierungsverantwortliche", f"dv_{dep}")] if with_dv else []
        roles += [("departementschef", f"chef_{dep}")] if with_chef else []
        toml.append(toml_entry("units", id=dep, kind="departement", name=f"Departement Neu {i}"))
        facts += [f"unit({dep})", f"unit_kind({dep}, departement)"]
        for function, role in roles:
            toml.append(toml_entry("roles", id=role, unit=dep, function=function, name=f"{function} {dep}"))
            facts += [f"role({role})", f"role_of({role}, {dep}, {function})"]
    policy = base().with_facts(add=facts) if as_what_if else load_with("".join(toml))
    # no rule edited: the rule files are the bundled ones
    texts = {s.text for s in policy._loaded.sources.values()}
    assert texts == {s.text for s in base()._loaded.sources.values()}
    before = set(base().members("Steuerungsausschuss").ids)
    after = set(policy.members("Steuerungsausschuss").ids)
    assert after == before | {f"gs_{dep}" for dep, _, _ in deps}
    assert policy.chair("Steuerungsausschuss").ids == ("departementschef_div",)
    for dep, with_dv, _ in deps:
        assert policy.holds(f"consumer({dep})")
        assert policy.holds(f"member(planungsausschuss, dv_{dep})").allowed == with_dv
        assert policy.holds(f"lacks_dv({dep})").allowed == (not with_dv)
    assert violations(policy) == []


# -- monotonicity of the negation-free part ------------------------------------------------------------------


def negation_free(policy: Policy) -> set[str]:
    """Predicates whose rules, and the rules of everything they depend on, use no `not`."""
    edges = dependency_edges(policy.program.rules)
    negative = {head for head, deps in edges.items() if any(negated for _, negated in deps)}
    free = set()
    for predicate in policy.program.declarations:
        seen, todo = set(), [predicate]
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(d for d, _ in edges.get(p, ()))
        if not seen & negative:
            free.add(predicate)
    return free


def test_the_negation_free_part_is_what_it_should_be():
    free = negation_free(base())
    assert {"chair", "competence", "in_administration", "delegation_path"} <= free
    # member/2 and consumer/1 follow the existence of a body as of a date (dates.dl)
    assert not free & {"may", "serves", "responsible", "inactive", "violation", "held_competence", "member",
                       "consumer"}
    for predicate in free:  # checked against the rules themselves: no rule of it has a negation
        assert not any(isinstance(lit, Negation) for c in base().program.rules
                       if c.head.predicate == predicate for lit in c.body)


FACT_POOL = (BODIES + ROLES[:6] + UNITS[:6] + ["approve", "implement", "request", "strategie", "budget",
                                                "departement", "amt", "gemeinde", "generalsekretaer",
                                                "neu", 1, 2, D(2021, 1, 1)])


@st.composite
def random_facts(draw, policy: Policy):
    decls = sorted(p for p, d in policy.program.declarations.items() if d.arity)
    facts = []
    for _ in range(draw(st.integers(1, 5))):
        predicate = draw(st.sampled_from(decls))
        row = tuple(draw(st.sampled_from(FACT_POOL)) for _ in range(policy.program.arity(predicate)))
        facts.append((predicate, row))
    return facts


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_adding_facts_never_removes_an_answer_of_a_negation_free_predicate(data):
    policy = data.draw(st.sampled_from([base(), staff(), base().at("2020-06-30")]))
    more = policy.with_facts(add=data.draw(random_facts(policy)))
    for predicate in negation_free(policy):
        assert policy.relation(predicate) <= more.relation(predicate), predicate


# -- explanations ------------------------------------------------------------------------------------------


@st.composite
def policies(draw):
    policy = draw(st.sampled_from([base(), staff()]))
    if draw(st.booleans()):
        policy = policy.at(draw(st.sampled_from(DATES)))
    add = draw(st.lists(st.sampled_from([
        "delegates(steuerungsausschuss, planungsausschuss, implement, strategie)",
        "delegates(planungsausschuss, regierungsrat, implement, strategie)",
        "delegates(regierungsrat, konferenz, approve, budget)",
        "chair(planungsausschuss, leitung_kompetenzzentrum)",
        "phase_started(2, 2025-03-01)",
        "consumer(gemeinde_frauenfeld)",
    ]), max_size=3, unique=True))
    return policy.with_facts(add=add) if add else policy


@settings(max_examples=25, deadline=None)
@given(policies(), st.data())
def test_every_allowed_decision_has_a_proof_that_verifies_and_a_denied_one_has_none(policy, data):
    actors = BODIES + ROLES + (PERSONS if "person" in policy.model and policy.relation("person") else [])
    for _ in range(12):
        actor = data.draw(st.sampled_from(actors))
        action = data.draw(st.sampled_from(ACTIONS))
        obj = data.draw(st.sampled_from(OBJECTS))
        decision = policy.may(actor, action, obj)
        explanation = decision.explanation
        held = (actor, action, obj) in policy.relation("may")
        # allowed: the model holds it and the text decides it for the date (else deny by default)
        assert decision.allowed == (held and decision.determined)
        opened = {q.proof.atom for q in decision.open_questions if q.proof is not None}
        assert not decision.open_questions or opened  # what the text leaves open comes with its proof
        for proof in explanation.proofs:
            assert verify(proof, policy.program, policy.model) == []
        proofs = [p for p in explanation.proofs if p.atom not in opened]
        if held:
            (proof,) = proofs
            assert proof.atom == decision.question
        else:
            assert proofs == [] and explanation.why_not is not None
            assert all(p.atom in opened for p in policy.explain(decision.question).proofs)
    for predicate in ("member", "serves", "responsible", "delegated_may", "violation", "holds_role"):
        rows = sorted(policy.relation(predicate), key=str)
        if rows:
            row = data.draw(st.sampled_from(rows))
            atom = f"{predicate}({', '.join(map(str, row))})"
            proof, *opened_too = policy.explain(atom).proofs  # then what the text leaves open, if anything
            assert proof.atom == atom
            for node in (proof, *opened_too):
                assert verify(node, policy.program, policy.model) == []
    for answers in (policy.who_may(data.draw(st.sampled_from(ACTIONS)), data.draw(st.sampled_from(OBJECTS))),
                    policy.members(data.draw(st.sampled_from(BODIES)))):
        assert len(answers.explanation.proofs) == len(answers)
        for proof in answers.explanation.proofs:
            assert verify(proof, policy.program, policy.model) == []


# -- the cache never changes an answer ---------------------------------------------------------------------

NAMES = [*BODIES, *ROLES[:8], "Regierungsrat", "StA", "KDV", "Regierungsrath", "DV DEK", "Erika Muster",
         "nobody"]
QUESTIONS = st.one_of(
    st.tuples(st.just("may"), st.sampled_from(NAMES), st.sampled_from([*ACTIONS, "verabschieden", "fliegen"]),
              st.sampled_from([*OBJECTS, "Strategie", "Budget"])),
    st.tuples(st.just("who_may"), st.sampled_from(ACTIONS), st.sampled_from(OBJECTS)),
    st.tuples(st.just("what_may"), st.sampled_from(NAMES)),
    st.tuples(st.sampled_from(["members", "chair"]), st.sampled_from(NAMES)),
    st.tuples(st.sampled_from(["is_consumer", "who_serves", "responsible_for"]),
              st.sampled_from([*UNITS[:10], "Gemeinde Frauenfeld", "DEK", "Atlantis"])),
    st.tuples(st.just("holds"), st.sampled_from([
        "member(steuerungsausschuss, staatsschreiber)", "consumer(gemeinde_frauenfeld)",
        "violation(delegation_cycle, regierungsrat, strategie)", "inactive(kompetenzzentrum)",
        "may(planungsausschuss, implement, strategie)"])),
    st.tuples(st.just("ask"), st.sampled_from([
        "member(steuerungsausschuss, X)", "may(X, implement, strategie)", "violation(C, S, D)",
        "chair(B, R), not member(B, R)", "delegated_may(H, V, A, O)", "nonsense(X)"])),
)
CHANGES = st.one_of(
    st.tuples(st.just("add"), st.sampled_from([
        "delegates(steuerungsausschuss, planungsausschuss, implement, strategie)",
        "delegates(planungsausschuss, steuerungsausschuss, implement, strategie)",
        "delegates(steuerungsausschuss, regierungsrat, implement, strategie)",
        "member(steuerungsausschuss, dv_dek)", "consumer(gemeinde_frauenfeld)",
        "chair(steuerungsausschuss, staatsschreiber)", "phase_started(2, 2025-03-01)"])),
    st.tuples(st.just("remove"), st.sampled_from([
        "competence(steuerungsausschuss, define, strategie)",
        "delegates(regierungsrat, steuerungsausschuss, implement, strategie)",
        "role_of(departementschef_div, div, departementschef)",
        "member(steuerungsausschuss, staatsschreiber)", "consumer(gemeinde_frauenfeld)"])),
    st.tuples(st.just("at"), st.sampled_from([None, *DATES])),
)


def outcome(policy: Policy, question: tuple):
    """What a question answers, or the error it raises, as plain data."""
    method, *args = question
    try:
        result = getattr(policy, method)(*args)
    except (UnknownNameError, AmbiguousNameError, PolicyError) as err:
        return ("error", type(err).__name__, str(err))
    if isinstance(result, tuple):
        return result
    explanation = result.explanation
    dumped = result.model_dump(mode="json", exclude={"explanation"})
    return dumped, explanation.summary, [p.model_dump(mode="json") for p in explanation.proofs]


def change(policy: Policy, step: tuple) -> Policy:
    kind, arg = step
    try:
        if kind == "at":
            return policy.at(arg)
        return policy.with_facts(**{kind: [arg]})
    except PolicyError:
        return policy


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(QUESTIONS, QUESTIONS, QUESTIONS, CHANGES), min_size=5, max_size=25))
def test_the_cache_never_changes_an_answer(steps):
    cached, uncached = Policy.load(RULES, people=PEOPLE), Policy.load(RULES, people=PEOPLE, cache_size=1)
    for step in steps:
        if step[0] in ("add", "remove", "at"):
            cached, uncached = change(cached, step), change(uncached, step)
            assert cached.version == uncached.version
            continue
        first = outcome(cached, step)
        event("an error" if first and first[0] == "error" else "an answer")
        assert first == outcome(uncached, step), step
        assert outcome(cached, step) == first  # asked again: from the cache, the same
    assert cached.cache_info().maxsize > uncached.cache_info().maxsize == 1


@pytest.mark.parametrize("question", [("may", "StA", "umsetzen", "Strategie"), ("members", "StA")])
def test_a_repeated_question_is_answered_from_the_cache(question):
    policy = Policy.load(RULES)
    first = outcome(policy, question)
    hits = policy.cache_info().hits
    assert outcome(policy, question) == first
    assert policy.cache_info().hits == hits + 1
    changed = policy.with_facts(add=["member(steuerungsausschuss, dv_dek)"])
    assert changed.cache_info().hits == 0  # a new policy starts with a cache of its own
    assert outcome(changed, question)[0]["version"] != first[0]["version"]


def test_names_resolve_for_every_id_the_strategies_use():
    for name in BODIES + ROLES + UNITS + ACTIONS:
        assert base().resolve(name).id == name
    assert set(PERSONS) >= {"erika_muster", "max_beispiel"}


# -- what-ifs compose ----------------------------------------------------------------------------------------
# Policy.with_facts documents: a new policy with facts added and stated facts removed. Applied one
# after the other, what-ifs must give the model of the stated facts as changed step by step.

WHAT_IF_FACTS = [
    "competence(steuerungsausschuss, define, strategie)",  # stated in a rule file
    "delegates(regierungsrat, steuerungsausschuss, implement, strategie)",  # stated in a rule file
    "role_of(departementschef_div, div, departementschef)",  # stated in organisation.toml
    "consumer(gemeinde_frauenfeld)",  # new
    "delegates(steuerungsausschuss, planungsausschuss, implement, strategie)",  # new
    "member(steuerungsausschuss, staatsschreiber)",  # derived by rules
]


def stated_facts(policy: Policy) -> set[tuple]:
    """The facts of a freshly loaded policy: rule-file facts and data facts."""
    facts = {(c.head.predicate, tuple(t.value for t in c.head.args)) for c in policy.program.facts}
    return facts | {(p, tuple(row)) for p, rows in policy._loaded.facts.items() for row in rows}


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from(WHAT_IF_FACTS)),
                min_size=1, max_size=4))
def test_chained_what_ifs_give_the_model_of_the_changed_facts(steps):
    policy = base()
    stated = stated_facts(policy)
    rules = [c for c in policy.program.clauses if not c.is_fact]
    arities = {p: d.arity for p, d in policy.program.declarations.items()}
    for kind, text in steps:
        fact = policy._fact(text)
        if kind == "remove" and (fact[1] not in policy.relation(fact[0]) or fact not in stated):
            with pytest.raises(PolicyError):
                policy.with_facts(remove=[text])
            continue
        policy = policy.with_facts(**{kind: [text]})
        stated = stated | {fact} if kind == "add" else stated - {fact}
        facts: dict[str, set] = defaultdict(set)
        for predicate, row in stated:
            facts[predicate].add(row)
        expected = reference.evaluate(arities, rules, facts)
        assert {p: set(r) for p, r in policy.model.items()} == expected, steps


def test_a_what_if_after_a_removal():
    removed = base().with_facts(remove=["competence(steuerungsausschuss, define, strategie)"])
    more = removed.with_facts(add=["consumer(gemeinde_frauenfeld)"])
    assert more.is_consumer("Gemeinde Frauenfeld")
    assert not more.may("Steuerungsausschuss", "define", "Strategie")


def test_removing_a_fact_an_earlier_what_if_added():
    added = base().with_facts(add=["consumer(gemeinde_frauenfeld)"])
    assert added.is_consumer("Gemeinde Frauenfeld")
    assert not added.with_facts(remove=["consumer(gemeinde_frauenfeld)"]).is_consumer("Gemeinde Frauenfeld")
