"""The model is evaluated relation by relation, on first use: what users rely on.

A relation read before the others gives the same rows, the same steps (hence the same
proofs) as a model evaluated all at once; queries over relations pyDatalog has let go of
answer as before; a reloading store swaps in only evaluated policies; and the cyclic
garbage collector paused while a policy is built is resumed as it was.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from kdv_policy import Policy, gcpause
from kdv_policy.engine.evaluation import Engine
from kdv_policy.language.parser import parse_query
from kdv_policy.policy.loader import load_program
from kdv_policy.policy.store import PolicyStore
from test_engine import program

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""

RULES = """
.decl edge(a, b)
.decl path(a, b)
.decl far(a, b)
.decl node(a)
.decl isolated(a)
edge(a, b). edge(b, c). edge(c, d). node(a). node(b). node(c). node(d). node(e).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
far(X, Z) :- path(X, Z), not edge(X, Z).
isolated(X) :- node(X), not path(X, _), not path(_, X).
"""


def _evaluated(engine: Engine) -> set[str]:
    return {p for s, done in zip(engine._program.strata, engine._evaluated, strict=True) if done
            for p in s.predicates}


def test_reading_one_relation_evaluates_it_and_what_it_depends_on_only():
    engine = Engine(program(RULES))
    assert _evaluated(engine) == set()
    assert engine.relation("path") == {("a", "b"), ("b", "c"), ("c", "d"), ("a", "c"), ("b", "d"), ("a", "d")}
    assert _evaluated(engine) == {"edge", "path"}
    assert engine.relation("isolated") == {("e",)}
    assert "far" not in _evaluated(engine)


@pytest.mark.parametrize("first", ["edge", "path", "far", "isolated", "node"])
def test_the_order_of_first_reads_changes_no_row_and_no_step(first):
    whole = Engine(program(RULES))
    whole.materialise()
    lazy = Engine(program(RULES))
    lazy.relation(first)
    assert {p: lazy.steps[p] for p in lazy.model} == {p: whole.steps[p] for p in whole.model}
    assert dict(lazy.model) == dict(whole.model)


def test_proofs_do_not_depend_on_which_question_came_first():
    loaded = load_program(REPO_RULES)
    asked_first = Policy(loaded)
    asked_first.members("Steuerungsausschuss")
    evaluated = Policy(loaded).materialise()
    for policy in (asked_first, evaluated):
        policy.may("Regierungsrat", "approve", "Strategie")
    rows = sorted(evaluated.model["may"])[:40]
    for row in rows:
        one = asked_first.holds(f"may({', '.join(map(str, row))})").explanation
        two = evaluated.holds(f"may({', '.join(map(str, row))})").explanation
        assert one == two, row


def test_queries_read_relations_that_no_rule_needs_any_more():
    engine = Engine(program(RULES))
    engine.materialise()
    assert not engine._asserted  # every rule has run: pyDatalog holds nothing
    for predicate in engine.model:
        arity = engine._program.arity(predicate)
        variables = ", ".join(f"V{i}" for i in range(arity))
        answers = engine.query(parse_query(f"{predicate}({variables})", "<q>"))
        assert {tuple(a[f"V{i}"] for i in range(arity)) for a in answers} == engine.relation(predicate)
    assert engine.query(parse_query("path(X, d), not edge(X, d)", "<q>")) == ({"X": "a"}, {"X": "b"})


def test_threads_reading_a_relation_first_at_once_agree():
    engine = Engine(program(RULES))
    results: list = []
    barrier = threading.Barrier(6)

    def read(predicate: str) -> None:
        barrier.wait()
        results.append((predicate, engine.relation(predicate)))

    threads = [threading.Thread(target=read, args=(p,)) for p in ["far", "isolated", "path"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    whole = Engine(program(RULES))
    whole.materialise()
    assert len(results) == 6
    for predicate, rows in results:
        assert rows == whole.relation(predicate)


def test_a_store_swaps_in_evaluated_policies_only():
    with PolicyStore(REPO_RULES) as store:
        assert all(store.current._engine._evaluated)
        assert all(store.reload()._engine._evaluated)


def test_the_collector_is_paused_while_building_and_resumed_as_it_was():
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        Policy.load(REPO_RULES).materialise()
        assert not gc.isenabled()  # an app that disabled it keeps it disabled
    finally:
        gc.enable()
    Policy.load(REPO_RULES).materialise()
    assert gc.isenabled()


def test_the_collector_resumes_when_a_build_fails(tmp_path):
    (tmp_path / "bad.dl").write_text("p(a", encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 -- any load error
        Policy.load(tmp_path)
    assert gc.isenabled()


def test_reloading_leaves_no_objects_behind():
    """A policy loaded, evaluated and asked, then dropped, leaves nothing for the next load: what
    loading shares between policies (constants of pyDatalog, fields sets of entries, dicts of
    name keys) lives only as long as the policy or the evaluation that made it."""
    counts = []
    for _ in range(4):
        policy = Policy.load(REPO_RULES).materialise()
        policy.who_may("verabschieden", "Strategie")
        policy.ask("may(X, verabschieden, strategie)")
        del policy
        gc.collect()
        counts.append(len(gc.get_objects()))
    assert counts[3] <= counts[1], counts  # the first load also fills caches (imports, grammar)
