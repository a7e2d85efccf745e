"""Rule evaluation is bounded: a rule that would build too many rows, derive too many rows or
that is too long is refused with an error naming the rule and the limit, before memory or time
run away; raising the limit lets the same policy load; a refused evaluation leaves nothing
half-evaluated behind.

pyDatalog cannot be interrupted once it runs, so the refusals that matter most are checked in a
subprocess with an address-space limit (and a generous timeout, only as a guard against a hang).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from benchmarks import generate

from kdv_policy import EngineError, Limits, Policy, PolicyError, QueryError
from kdv_policy.engine.evaluation import Engine
from kdv_policy.language.parser import parse_query
from kdv_policy.limits import DEFAULT_LIMITS
from kdv_policy.policy.store import PolicyStore
from test_engine import program

ADDRESS_SPACE = 1 << 30  # 1 GiB: pyDatalog building the 4,000,000-row cross product needs far more
HANG_GUARD = 300  # seconds; the refusal takes well under one


def cross_product(directory: Path, n: int) -> Path:
    """``n`` facts ``v(1). … v(n).`` and a rule pairing every two of them."""
    directory.mkdir(parents=True, exist_ok=True)
    facts = "".join(f"v({i}).\n" for i in range(1, n + 1))
    (directory / "pairs.dl").write_text(
        ".decl v(x)\n.decl pair(x, y)\n.decl w(x)\n" + facts
        + "w(1).\n@id(alle_paare)\npair(X, Y) :- v(X), v(Y).\n", encoding="utf-8")
    return directory


def long_body(directory: Path, atoms: int) -> Path:
    """A rule whose body chains ``atoms`` atoms."""
    directory.mkdir(parents=True, exist_ok=True)
    body = ", ".join(f"e(X{i}, X{i + 1})" for i in range(atoms))
    (directory / "long.dl").write_text(
        ".decl e(a, b)\n.decl p(a)\ne(1, 2). e(2, 1).\n@id(lange_regel)\np(X0) :- " + body + ".\n",
        encoding="utf-8")
    return directory


def chain(directory: Path, nodes: int) -> Path:
    """A path of ``nodes`` edges and its transitive closure (``nodes * (nodes + 1) / 2`` rows)."""
    directory.mkdir(parents=True, exist_ok=True)
    edges = "".join(f"edge({i}, {i + 1}).\n" for i in range(nodes))
    (directory / "reach.dl").write_text(
        ".decl edge(a, b)\n.decl reach(a, b)\n" + edges
        + "reach(X, Y) :- edge(X, Y).\n@id(erreichbar)\nreach(X, Z) :- reach(X, Y), edge(Y, Z).\n",
        encoding="utf-8")
    return directory


def run_capped(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run Python code in a subprocess whose address space is capped at :data:`ADDRESS_SPACE`."""
    cap = textwrap.dedent(f"""
        import resource, runpy, sys
        resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))
    """)
    return subprocess.run([sys.executable, "-c", cap + textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=HANG_GUARD)


# -- the cross product ------------------------------------------------------------------------


def test_the_2000_fact_cross_product_is_refused_in_bounded_memory(tmp_path):
    directory = cross_product(tmp_path / "policy", 2_000)
    done = run_capped("""
        import json
        from kdv_policy import EngineError, Policy
        policy = Policy.load(sys.argv[1])
        try:
            rows = len(policy.relation("pair"))
        except EngineError as error:
            print(json.dumps({"refused": str(error), "help": error.diagnostics[0].help}))
        else:
            print(json.dumps({"rows": rows}))
    """, str(directory))
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert "refused" in result, result
    assert "alle_paare" in result["refused"]
    assert "pairs.dl:" in result["refused"]
    assert "`max_rule_work`" in result["refused"]
    assert "4,000,000" in result["refused"]
    assert "Limits(max_rule_work=...)" in result["help"]
    assert "--limit max_rule_work=..." in result["help"]


def test_the_query_command_refuses_the_cross_product_with_exit_2(tmp_path):
    directory = cross_product(tmp_path / "policy", 2_000)
    done = run_capped("""
        runpy.run_module("kdv_policy", run_name="__main__")
    """, "query", "--rules", str(directory), "pair(1, X)")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "alle_paare" in done.stderr
    assert "max_rule_work" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_refuses_what_loading_would_refuse(tmp_path):
    directory = cross_product(tmp_path / "policy", 2_000)
    done = run_capped("""
        runpy.run_module("kdv_policy", run_name="__main__")
    """, "check", str(directory))
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert "alle_paare" in done.stderr
    assert "max_rule_work" in done.stderr


def test_raising_max_rule_work_lets_the_same_policy_load(tmp_path):
    directory = cross_product(tmp_path / "policy", 40)
    with pytest.raises(EngineError, match="max_rule_work"):
        Policy.load(directory, limits=Limits(max_rule_work=1_000)).relation("pair")
    policy = Policy.load(directory, limits=Limits(max_rule_work=1_600))
    assert len(policy.relation("pair")) == 1_600


def test_a_reloading_store_keeps_the_old_version_when_a_rule_is_refused(tmp_path):
    directory = cross_product(tmp_path / "policy", 10)
    store = PolicyStore(directory, limits=Limits(max_rule_work=1_000), validate=lambda policy: None)
    old = store.current
    cross_product(directory, 40)  # 1,600 pairs: over the limit
    with pytest.raises(EngineError, match="alle_paare"):
        store.reload()
    assert store.current is old
    assert len(store.current.relation("pair")) == 100
    assert "max_rule_work" in str(store.last_error)


# -- long bodies --------------------------------------------------------------------------------


def test_a_rule_of_20000_atoms_is_refused_when_the_policy_loads(tmp_path):
    directory = long_body(tmp_path / "policy", 20_000)
    with pytest.raises(EngineError) as refused:
        Policy.load(directory)
    message = str(refused.value)
    assert "lange_regel" in message and "long.dl:5:" in message
    assert "20,000 body literals" in message and "`max_body_literals` of 64" in message
    assert "Limits(max_body_literals=...)" in refused.value.diagnostics[0].help


def test_check_refuses_a_rule_of_20000_atoms_with_exit_2(tmp_path):
    directory = long_body(tmp_path / "policy", 20_000)
    done = run_capped("""
        runpy.run_module("kdv_policy", run_name="__main__")
    """, "check", str(directory))
    assert done.returncode == 2, (done.stdout[-2000:], done.stderr[-2000:])
    assert "lange_regel" in done.stderr and "max_body_literals" in done.stderr


def test_raising_max_body_literals_lets_a_long_rule_load(tmp_path):
    directory = long_body(tmp_path / "policy", 80)
    with pytest.raises(EngineError, match="max_body_literals"):
        Policy.load(directory)
    policy = Policy.load(directory, limits=Limits(max_body_literals=80, max_rule_work=10**30))
    assert policy.relation("p") == {(1,), (2,)}


def test_a_query_longer_than_max_body_literals_is_refused():
    engine = Engine(program("v(1).\n"), limits=Limits(max_body_literals=3))
    assert engine.query(parse_query("v(X), v(X), v(X)")) == ({"X": 1},)
    with pytest.raises(QueryError, match="max_body_literals"):
        engine.query(parse_query("v(X), v(X), v(X), v(X)"))


# -- rows per relation, recursion ---------------------------------------------------------------


def test_a_recursive_closure_over_max_rows_per_relation_is_refused(tmp_path):
    directory = chain(tmp_path / "policy", 100)  # 5,050 rows of reach
    with pytest.raises(EngineError) as refused:
        Policy.load(directory, limits=Limits(max_rows_per_relation=1_000)).relation("reach")
    message = str(refused.value)
    assert "erreichbar" in message and "reach.dl:" in message
    assert "`reach`" in message and "`max_rows_per_relation`" in message and "1,000" in message
    assert "Limits(max_rows_per_relation=...)" in refused.value.diagnostics[0].help
    policy = Policy.load(directory, limits=Limits(max_rows_per_relation=5_050))
    assert len(policy.relation("reach")) == 5_050


def test_a_rule_without_id_is_named_by_its_head(tmp_path):
    directory = tmp_path / "policy"
    directory.mkdir()
    (directory / "p.dl").write_text(".decl v(x)\n.decl pair(x, y)\nv(1). v(2). v(3).\n"
                                    "pair(X, Y) :- v(X), v(Y).\n", encoding="utf-8")
    with pytest.raises(EngineError, match=r"p\.dl:4:1: .*the rule for `pair/2` could build up to 9 rows"):
        Policy.load(directory, limits=Limits(max_rule_work=8)).relation("pair")


def test_each_semi_naive_round_is_bounded_by_its_own_delta(tmp_path):
    # reach grows to 5,050 rows, but each round joins only the rows new in the last round (at
    # most 100) with edge: 100 rows of work a step suffice
    directory = chain(tmp_path / "policy", 100)
    policy = Policy.load(directory, limits=Limits(max_rule_work=100))
    assert len(policy.relation("reach")) == 5_050
    with pytest.raises(EngineError, match="the rule for `reach/2` could build up to 100 rows"):
        Policy.load(directory, limits=Limits(max_rule_work=99)).relation("reach")


# -- a refused evaluation leaves nothing half-evaluated -------------------------------------------


def test_asking_again_after_a_refusal_raises_the_same_error_and_reads_nothing_partial(tmp_path):
    directory = chain(tmp_path / "policy", 100)
    policy = Policy.load(directory, limits=Limits(max_rows_per_relation=1_000))
    with pytest.raises(EngineError) as first:
        policy.relation("reach")
    for ask in (lambda: policy.relation("reach"), lambda: policy.model["reach"],
                lambda: policy.ask("reach(0, X)"), policy.materialise):
        with pytest.raises(EngineError) as again:
            ask()
        assert str(again.value) == str(first.value)
    # what does not depend on the refused rule still answers, from complete relations
    assert len(policy.relation("edge")) == 100
    assert policy.ask("edge(0, X)") == ({"X": 1},)


def test_a_refused_stratum_does_not_disturb_the_others():
    rules = """
        edge(1, 2). edge(2, 3). edge(3, 4). edge(4, 5).
        reach(X, Y) :- edge(X, Y).
        @id(weiter)
        reach(X, Z) :- reach(X, Y), edge(Y, Z).
        first(X) :- edge(X, _), not edge(_, X).
    """
    refused = Engine(program(rules), limits=Limits(max_rows_per_relation=6))
    with pytest.raises(EngineError, match="weiter"):
        refused.relation("reach")
    whole = Engine(program(rules))
    whole.materialise()
    assert refused.relation("first") == whole.relation("first") == {(1,)}
    assert refused.steps["first"] == whole.steps["first"]
    assert refused.query(parse_query("edge(X, 5)")) == ({"X": 4},)
    assert "reach" not in {p for p, rows in refused._done.items()}  # never stored as complete


# -- the defaults serve the legitimate workloads, with room ----------------------------------------


def test_the_defaults_leave_room_for_the_legitimate_workloads(tmp_path):
    # a tenth of each default suffices for the bundled policy and the medium benchmark canton
    tight = Limits(max_rule_work=DEFAULT_LIMITS.max_rule_work // 10,
                   max_rows_per_relation=DEFAULT_LIMITS.max_rows_per_relation // 10,
                   max_body_literals=DEFAULT_LIMITS.max_body_literals // 10)
    Policy.load(limits=tight).materialise()
    canton = generate.generate("medium", seed=1, out=tmp_path / "canton")
    Policy.load(canton, limits=tight).materialise()


def test_every_refusal_is_a_policy_error(tmp_path):
    directory = cross_product(tmp_path / "policy", 40)
    with pytest.raises(PolicyError):
        Policy.load(directory, limits=Limits(max_rule_work=10)).materialise()
