"""Per-request evaluation (engine/requests.py, Policy.with_input): a request's rows joined through
the request-dependent rules over the evaluated model give exactly the model of the whole policy
evaluated with those rows as stated facts; pyDatalog's state is as it was after every request;
requests from many threads get their own answers; a request's size and work are bounded."""

from __future__ import annotations

import datetime
import itertools
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import reference
from kdv_policy import Limits, Policy
from kdv_policy.engine.evaluation import Engine
from kdv_policy.engine.requests import RequestEvaluator
from kdv_policy.errors import ArgumentError, EngineError, QueryError
from kdv_policy.language.checker import analyse, check_query
from kdv_policy.language.lexer import MAX_INTEGER
from kdv_policy.language.syntax import (
    Annotation,
    Atom,
    Clause,
    Comparison,
    Constant,
    Declaration,
    Module,
    Negation,
    Query,
    Variable,
)
from kdv_policy.policy.explain import Prover, verify

D = datetime.date

# -- random programs with input relations --------------------------------------------------------------

STATED = {"e": 2, "f": 1}  # stated in the program or given as data
INPUTS = {"i": 2, "j": 1}  # filled by each request
CLOSURE = {"c": 2}  # the transitive closure of e: recursive, independent of the request
DERIVED = {"p": 2, "q": 1, "r": 1, "s": 2, "w": 0}  # non-recursive rules over lower levels
ARITY = {**STATED, **INPUTS, **CLOSURE, **DERIVED}
VARS = ("X", "Y", "Z", "_V")
NODES = [0, 1, 2, "a", D(2024, 1, 1)]
VALUES = [*NODES, -1, MAX_INTEGER, "1", "True", "??", "", "a b", "ä", D(2020, 12, 31)]
OPS = ("=", "!=", "<", "<=", ">", ">=")


def V(name: str) -> Variable:
    return Variable(name)


def C(value: object) -> Constant:
    return Constant(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    clauses: tuple[Clause, ...]
    data: dict[str, list[tuple]]
    requests: tuple[dict[str, list[tuple]], ...]
    queries: tuple[Query, ...]

    def module(self) -> Module:
        decls = tuple(Declaration(p, tuple(f"a{k}" for k in range(n)), input=p in INPUTS)
                      for p, n in ARITY.items())
        return Module("<generated>", (*decls, *self.clauses))

    def text(self) -> str:
        from kdv_policy.language.printer import format_module

        return format_module(self.module()) + f"\n% data: {self.data}\n% requests: {self.requests}"


@st.composite
def bodies(draw, head_level: int, level: dict[str, int]):
    """Positive atoms of lower levels, then negations of lower levels and comparisons over the
    variables they bind (safe by construction)."""
    lower = [p for p in ARITY if level[p] < head_level]
    positives = []
    for _ in range(draw(st.integers(1, 3))):
        p = draw(st.sampled_from(lower))
        args = tuple(draw(st.one_of(st.sampled_from(VARS).map(V), st.just(V("_")),
                                    st.sampled_from(VALUES).map(C))) for _ in range(ARITY[p]))
        positives.append(Atom(p, args))
    bound = sorted({t.name for a in positives for t in a.args if isinstance(t, Variable)} - {"_"})
    term = st.one_of(st.sampled_from(VALUES).map(C), *([st.sampled_from(bound).map(V)] if bound else []))
    extra: list = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            p = draw(st.sampled_from(lower))
            extra.append(Negation(Atom(p, tuple(draw(st.one_of(term, st.just(V("_"))))
                                                for _ in range(ARITY[p])))))
        else:
            extra.append(Comparison(draw(st.sampled_from(OPS)), draw(term), draw(term)))
    return positives, extra, term


def rows_of(draw, arity: int, pool: list, most: int) -> list[tuple]:
    count = draw(st.integers(0, most))
    return [tuple(draw(st.sampled_from(pool)) for _ in range(arity)) for _ in range(count)]


@st.composite
def cases(draw) -> Case:
    level = {**dict.fromkeys(STATED, -1), **dict.fromkeys(INPUTS, -1), **dict.fromkeys(CLOSURE, -1)}
    for p in DERIVED:
        level[p] = draw(st.integers(0, 2))
    x, y, z = V("X"), V("Y"), V("Z")
    clauses: list[Clause] = [Clause(Atom("c", (x, y)), (Atom("e", (x, y)),)),
                             Clause(Atom("c", (x, y)), (Atom("c", (x, z)), Atom("e", (z, y))))]
    for _ in range(draw(st.integers(1, 7))):
        head = draw(st.sampled_from(sorted(DERIVED)))
        positives, extra, term = draw(bodies(level[head], level))
        body = tuple(draw(st.permutations(positives + extra)))
        clauses.append(Clause(Atom(head, tuple(draw(term) for _ in range(ARITY[head]))), body))
    data: dict[str, list[tuple]] = {}
    for p in (*STATED, *DERIVED):
        if p in DERIVED and draw(st.integers(0, 3)):
            continue
        for row in rows_of(draw, ARITY[p], NODES if p == "e" else VALUES, 6 if ARITY[p] else 1):
            if draw(st.booleans()):
                clauses.append(Clause(Atom(p, tuple(map(C, row)))))
            else:
                data.setdefault(p, []).append(row)
    clauses = [Clause(c.head, c.body, (Annotation("id", (C(f"c{k}"),)),))
               for k, c in enumerate(draw(st.permutations(clauses)))]
    requests = tuple({p: rows_of(draw, n, NODES if draw(st.booleans()) else VALUES, 5)
                      for p, n in INPUTS.items()} for _ in range(draw(st.integers(1, 3))))
    queries = []
    for _ in range(draw(st.integers(0, 2))):
        positives, extra, _term = draw(bodies(3, dict.fromkeys(ARITY, 0)))
        queries.append(Query(tuple(positives + extra)))
    return Case(tuple(clauses), data, requests, tuple(queries))


def merged(data: Mapping[str, list[tuple]], rows: Mapping[str, list[tuple]]) -> dict[str, list[tuple]]:
    out = {p: list(r) for p, r in data.items()}
    for p, r in rows.items():
        out.setdefault(p, []).extend(r)
    return out


def compare(case: Case) -> None:
    result = analyse([case.module()])
    assert not result.errors, (case.text(), [d.render() for d in result.errors])
    program = result.program
    assert program is not None
    engine = Engine(program, case.data)
    evaluator = RequestEvaluator(engine, program)
    base = {p: set(rows) for p, rows in engine.model.items()}
    assert base == reference.evaluate(ARITY, case.clauses, case.data), case.text()
    stored = None
    for rows in case.requests:
        view = evaluator.evaluate(rows)
        # the model of the whole policy, evaluated afresh with the request's rows as stated facts
        full = Engine(program, merged(case.data, rows))
        expected = {p: set(r) for p, r in full.model.items()}
        assert expected == reference.evaluate(ARITY, case.clauses, merged(case.data, rows)), case.text()
        assert {p: set(view.model[p]) for p in ARITY} == expected, f"{case.text()}\nrequest: {rows}"
        assert view.evaluated <= program.request_dependent
        changed = {p for p in ARITY if expected[p] != base[p]}
        assert changed <= program.request_dependent, "a request changes request-dependent relations only"
        event(f"request-dependent relations changed: {min(len(changed), 3)}")
        # pyDatalog holds what it held before the request (once the first rows prepared it)
        now = evaluator.stored()
        if now and stored is None:
            stored = now
        assert now == (stored or {})
        prover = Prover(program, view.model, view.steps)
        for predicate in sorted(program.request_dependent):
            for row in sorted(view.model[predicate], key=lambda r: tuple(map(reference.key, r)))[:4]:
                proof = prover.prove(predicate, row)
                assert proof is not None and verify(proof, program, view.model) == [], (predicate, row)
                if predicate in INPUTS and row in {tuple(r) for r in rows.get(predicate, ())}:
                    assert proof.kind == "request"
        for query in case.queries:
            check_query(query, program)
            answers = view.query(query)
            assert {tuple(sorted(a.items())) for a in answers} == reference.answer(query.body, expected)
    assert {p: set(rows) for p, rows in engine.model.items()} == base, "the evaluated model is untouched"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_request_gives_the_model_of_the_policy_with_its_rows_as_facts(case: Case) -> None:
    compare(case)


# -- the checker refuses what a request could not evaluate with bounded work -------------------------------


def test_a_recursive_request_dependent_rule_never_reaches_the_engine() -> None:
    x, y, z = V("X"), V("Y"), V("Z")
    module = Module("<m>", (Declaration("i", ("a", "b"), input=True), Declaration("t", ("a", "b")),
                            Clause(Atom("t", (x, y)), (Atom("i", (x, y)),)),
                            Clause(Atom("t", (x, y)), (Atom("t", (x, z)), Atom("i", (z, y))))))
    result = analyse([module])
    assert result.program is None
    assert [d.code for d in result.errors] == ["recursive-input"]


# -- a policy directory: state, threads, limits ------------------------------------------------------------

POLICY = """\
.input granted(user, right)
.input blocked(user)
.decl user(u)
.decl right(r)
.decl holds(u, r)
.decl free(u)
.decl pair(a, b)

@id(u_alice) @source("x")
user(alice).
@id(u_bob) @source("x")
user(bob).
@id(r_read) @source("x")
right(read).
@id(h_read) @source("x")
holds(U, read) :- user(U), not blocked(U).
@id(h_granted) @source("x")
holds(U, R) :- user(U), granted(U, R), right(R).
@id(free) @source("x")
free(U) :- user(U), not blocked(U).
@id(pair) @source("x")
pair(A, B) :- granted(A, _), granted(B, _).
"""


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "rules.dl").write_text(POLICY, encoding="utf-8")
    return tmp_path


def test_a_request_leaves_the_policy_and_pyDatalog_as_they_were(directory: Path) -> None:
    policy = Policy.load(directory).materialise()
    before = {p: policy.relation(p) for p in policy.program.declarations}
    scoped = policy.with_input({"blocked": [("alice",)], "granted": [("bob", "read")]})
    assert ("alice", "read") not in scoped.relation("holds")
    assert policy._requests is not None
    stored = policy._requests.stored()
    assert stored  # the request-independent relations the rules read: stored once
    for _ in range(3):
        policy.with_input({"blocked": [("bob",)], "granted": [("carol", "read"), ("x", "y")]})
        assert policy._requests.stored() == stored
    assert {p: policy.relation(p) for p in policy.program.declarations} == before
    assert scoped.relation("free") == {("bob",)}
    assert policy.relation("free") == {("alice",), ("bob",)}


def test_a_request_scoped_policy_answers_questions_queries_and_explanations(directory: Path) -> None:
    policy = Policy.load(directory)
    scoped = policy.with_input({"granted": [("alice", "read")], "blocked": [("alice",)]})
    assert scoped.input == {"granted": frozenset({("alice", "read")}), "blocked": frozenset({("alice",)})}
    assert policy.input == {}
    assert policy.input_relations == {"blocked": ("user",), "granted": ("user", "right")}
    assert scoped.holds("holds(alice, read)").allowed  # granted, though blocked from the default
    assert scoped.ask("holds(U, read)") == ({"U": "alice"}, {"U": "bob"})
    proof = scoped.explain("holds(alice, read)").proofs[0]
    assert proof.id == "h_granted"
    assert [c.kind for c in proof.children] == ["fact", "request", "fact"]
    why = scoped.explain("free(alice)").why_not
    assert why is not None and why.attempts[0].failed == "blocked(alice) holds"
    assert scoped.with_input({}) is policy
    assert scoped.with_input({"blocked": [("bob",)]}).relation("free") == {("alice",)}  # replaces
    assert scoped.version == policy.version
    # a derived policy keeps the request's rows
    assert scoped.in_language("de").input == scoped.input
    assert scoped.with_facts(add=["user(carol)"]).input == scoped.input
    assert ("carol",) in scoped.with_facts(add=["user(carol)"]).relation("free")


def test_a_request_with_new_values_resolves_them_by_name(directory: Path) -> None:
    policy = Policy.load(directory)
    policy.names  # noqa: B018 -- built before the request
    scoped = policy.with_input({"granted": [("dora", "read")]})
    assert scoped.resolve("dora").id == "dora"


EXPECTED_REQUESTS = [
    ({}, {("alice", "read"), ("bob", "read")}),
    ({"blocked": [("alice",)]}, {("bob", "read")}),
    ({"blocked": [("alice",), ("bob",)]}, set()),
    ({"granted": [("alice", "write")]}, {("alice", "read"), ("bob", "read")}),  # write is no right
    ({"blocked": [("bob",)], "granted": [("bob", "read")]}, {("alice", "read"), ("bob", "read")}),
    ({"granted": [("zoe", "read")]}, {("alice", "read"), ("bob", "read")}),  # zoe is no user
]


def test_requests_from_eight_threads_get_their_own_answers(directory: Path) -> None:
    policy = Policy.load(directory).materialise()
    for rows, expected in EXPECTED_REQUESTS:
        assert set(policy.with_input(rows).relation("holds")) == expected
    stored = policy._requests.stored() if policy._requests else None
    barrier = threading.Barrier(8)
    failures: list[str] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(60):
            rows, expected = rng.choice(EXPECTED_REQUESTS)
            scoped = policy.with_input(rows)
            got = set(scoped.relation("holds"))
            decision = scoped.holds("holds(alice, read)").allowed
            if got != expected or decision != (("alice", "read") in expected):
                failures.append(f"{rows}: {got} != {expected}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert policy._requests is not None and policy._requests.stored() == stored


def test_the_rows_of_a_request_are_bounded(directory: Path) -> None:
    policy = Policy.load(directory, limits=Limits(max_input_rows=3, max_input_value_length=10))
    with pytest.raises(QueryError, match="`max_input_rows` of 3"):
        policy.with_input({"blocked": [("a",), ("b",)], "granted": [("a", "r"), ("b", "r")]})
    with pytest.raises(QueryError, match="`max_input_rows` of 3"):
        policy.with_input({"blocked": ((f"u{n}",) for n in itertools.count())})  # endless: read 4 rows
    with pytest.raises(QueryError, match="11 characters, more than the limit `max_input_value_length` of 10"):
        policy.with_input({"blocked": [("x" * 11,)]})
    assert policy.with_input({"blocked": [("x" * 10,)]}).input == {"blocked": frozenset({("x" * 10,)})}


@pytest.mark.parametrize(("rows", "error", "message"), [
    ({"user": [("x",)]}, QueryError, "`user` is not an input relation, so a request cannot fill it; "
                                     "the policy's input relations are: `blocked`, `granted`"),
    ({"nope": [("x",)]}, QueryError, "`nope` is not declared; the policy's input relations are: "),
    ({"blocked": [("x", "y")]}, QueryError, "a row of `blocked` has 2 values; it is declared with 1 (user)"),
    ({"blocked": [(True,)]}, ArgumentError, "the boolean `True`"),
    ({"blocked": [(1.5,)]}, ArgumentError, "a float"),
    ({"blocked": "alice"}, ArgumentError, "must be a list of rows"),
    ({"blocked": ["alice"]}, ArgumentError, "must be a tuple or a list"),
    ([("blocked", ("x",))], ArgumentError, "must be a mapping of input relation to rows"),
])
def test_a_request_s_rows_are_checked(directory: Path, rows: object, error: type[Exception],
                                     message: str) -> None:
    policy = Policy.load(directory)
    with pytest.raises(error) as info:
        policy.with_input(rows)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_a_policy_without_input_relations_takes_no_request_rows(tmp_path: Path) -> None:
    (tmp_path / "rules.dl").write_text('.decl p(x)\n@id(a) @source("x")\np(a).\n', encoding="utf-8")
    policy = Policy.load(tmp_path)
    assert policy.with_input({}) is policy
    assert policy.input_relations == {}
    with pytest.raises(QueryError, match="declares no input relations, so a request cannot fill `p`"):
        policy.with_input({"p": [("b",)]})


def test_the_work_of_a_request_is_bounded_before_pyDatalog_runs(directory: Path) -> None:
    policy = Policy.load(directory, limits=Limits(max_rule_work=100)).materialise()
    granted = [(f"u{n}", "read") for n in range(11)]  # pair/2 joins them with themselves: 121 rows
    with pytest.raises(EngineError) as info:
        policy.with_input({"granted": granted})
    assert "rule `pair` could build up to 121 rows in one evaluation step" in str(info.value)
    assert "`max_rule_work` of 100" in str(info.value)
    stored = policy._requests.stored() if policy._requests else None
    small = policy.with_input({"granted": granted[:3]})  # the next request is answered
    assert len(small.relation("pair")) == 9
    assert policy._requests is not None and policy._requests.stored() == stored


def test_the_rows_a_request_derives_are_bounded(directory: Path) -> None:
    policy = Policy.load(directory, limits=Limits(max_rows_per_relation=8))
    with pytest.raises(EngineError, match="rule `pair` derives more than 8 rows of `pair`"):
        policy.with_input({"granted": [(f"u{n}", "read") for n in range(3)]})
