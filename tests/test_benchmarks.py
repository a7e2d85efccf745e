"""The benchmark suite at small scale, so that it cannot rot: the generated policy checks clean,
and every system's answers equal the ground truth (no timing is asserted)."""

from __future__ import annotations

import dataclasses
import filecmp
import json
from collections import Counter
from pathlib import Path

import pytest
from benchmarks import generate
from benchmarks.run import DEFAULT_SYSTEMS, first_askings, run_scale, table, targets
from benchmarks.systems import registry
from benchmarks.systems.floor import load_truth, read_organisation

from kdv_policy import Policy
from kdv_policy.policy.loader import analyse_directory


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return generate.generate("small", seed=1, out=tmp_path_factory.mktemp("bench") / "policy")


def test_generated_policy_checks_clean(small):
    result, _sources, (data, people) = analyse_directory(small)
    assert result.program is not None
    assert [d.render() for d in result.diagnostics] == []  # no error, no warning
    assert data is not None and people is not None
    for clause in result.program.clauses:
        assert clause.id and clause.citation, clause


def test_generator_is_seeded(small, tmp_path):
    again = generate.generate("small", seed=1, out=tmp_path / "again")
    other = generate.generate("small", seed=2, out=tmp_path / "other")
    names = sorted(p.name for p in small.iterdir())
    assert filecmp.cmpfiles(small, again, names, shallow=False)[0] == names
    assert filecmp.cmpfiles(small, other, names, shallow=False)[0] != names


def test_generated_organisation_has_the_promised_shape(small):
    org = read_organisation(small)
    truth = load_truth(small)
    scale = generate.SCALES["small"]
    assert (truth.stats["persons"], truth.stats["units"], truth.stats["bodies"]) == (
        scale.persons, scale.units, scale.bodies)
    assert all(1 <= len(roles) <= 3 for roles in org.assignments.values())
    assert all(3 <= len(m) <= 12 for m in truth.members.values())
    assert all(len(chairs) == 1 for chairs in truth.chairs_of_body.values())
    assert truth.stats["delegation_depth"] == generate.MAX_DELEGATION_DEPTH
    depth = {}
    for unit in org.unit_kind:
        at, n = unit, 1
        while at in org.parent:
            at, n = org.parent[at], n + 1
        depth[unit] = n
    assert max(depth.values()) == 4
    per_body = Counter(b for b, _, _ in org.facts["competence"])
    for body in [f"g{i:03d}" for i in range(1, scale.top_bodies + 1)]:
        assert per_body[body] == generate.COMPETENCES_PER_TOP_BODY
    # some delegations name what the delegator may not, and some bodies do not act
    assert any((a, o) not in truth.body_may[y] for y, _, a, o in truth.delegations)
    assert any(phase != 1 for phase in org.phase.values())


def test_questions_are_half_allowed(small):
    truth = load_truth(small)
    questions = generate.make_questions(truth, seed=1)
    assert len(questions.may) == 2_000 and len(questions.who_serves) == 200 and len(questions.who_may) == 50
    assert sum(q in truth.may for q in questions.may) == 1_000
    assert len(questions.mix) == 2_250


def test_kdv_policy_agrees_with_the_ground_truth_directly(small):
    """The same check as the benchmark's, spelt out: every may row, serves row and who_may answer."""
    truth = load_truth(small)
    policy = Policy.load(small)
    assert set(policy.model["may"]) == set(truth.may)
    assert {(p, u) for u, ps in truth.serves.items() for p in ps} == set(policy.model["serves"])
    for (action, obj), actors in truth.who_may.items():
        assert tuple(sorted(policy.who_may(action, obj).ids)) == actors


def test_benchmark_runs_at_small_scale(tmp_path):
    available = [s for s in DEFAULT_SYSTEMS if registry()[s].unavailable() is None]
    report = run_scale("small", available, tmp_path, seed=1, in_process=True, load_repeats=1,
                       warm_budget_s=0.02, throughput_budget_s=0.02, log=lambda _: None)
    systems = report["systems"]
    for name in available:
        result = systems[name]
        assert "error" not in result, result.get("error")
        assert result["check"]["checked"] == 2_250
        assert result["check"]["mismatches"] == 0, result["check"]["examples"]
        assert all(result["warm_us"][k] is not None for k in ("may", "who_serves", "who_may"))
    assert systems["kdv_uncached"]["same_as_cached"]["different"] == 0
    explanation = systems["kdv_policy"]["explanation"]
    assert explanation["n"] > 0 and explanation["verify_problems"] == 0
    assert explanation["with_delegation_chain"] > 0
    assert "| small | kdv_policy |" in table({"scales": {"small": report}})
    # the distinct-question mode: questions never asked before, each once, checked like the mix
    for name in available:
        result = systems[name]
        assert result["check_distinct"]["checked"] > 0
        assert result["check_distinct"]["mismatches"] == 0, result["check_distinct"]["examples"]
        assert result["distinct_us"]["may"] is not None and result["distinct_us"]["who_may"] is not None
    assert systems["kdv_policy"]["distinct_ratio"]["may"] is not None
    assert systems["kdv_policy"]["load_ratio"] > 0
    shown = first_askings({"scales": {"small": report}})
    assert "| small | kdv_policy | " in shown and "| small | plain Python (floor) | " in shown
    assert "asked for the first time (distinct questions)" in targets({"scales": {"small": report}})


def test_distinct_questions_are_new_and_distinct(small):
    truth = load_truth(small)
    questions = generate.make_questions(truth, seed=1)
    distinct = generate.make_distinct(truth, questions, seed=1)
    asked = set(questions.mix)
    for kind, pool in distinct.items():
        assert len(set(pool)) == len(pool)
        assert not any((kind, q) in asked for q in pool)
    assert distinct["may"] and distinct["who_may"]  # (every unit of the small canton is in the mix)
    unasked = [r for r in truth.may if ("may", r) not in asked]  # none at small: the mix asks every one
    assert sum(q in truth.may for q in distinct["may"]) == min(len(unasked), 1_000)
    assert any(q not in truth.may for q in distinct["may"])
    again = generate.Questions.from_json(json.loads(json.dumps(
        dataclasses.replace(questions, distinct=distinct).to_json())))
    assert again.distinct == distinct


def test_clingo_reads_the_rules_as_they_are(small):
    from benchmarks.systems.clingo_system import rules_text

    text = rules_text(small)
    assert "may(X, A, O) :- competence(X, A, O), acting(X)." in text
    assert "@id" not in text and ".decl" not in text and "%" not in text


def test_scaling_mode_loads_and_fits_exponents(tmp_path):
    """The scaling mode at two tiny sizes: every system loads (within the worker's bounds) and
    answers a question that holds; the exponents are fitted."""
    from benchmarks.scaling import exponent, run, table

    systems = [s for s in ("floor", "kdv_policy", "clingo") if registry()[s].unavailable() is None]
    report = run([60, 120], systems, tmp_path, memory_limit_mib=2_000, timeout_s=300, log=lambda _: None)
    ran = {(r["persons"], r["system"]) for r in report["runs"]}
    assert ran == {(n, s) for n in (60, 120) for s in systems}
    for r in report["runs"]:
        assert "error" not in r, r
        assert r["answer"] is True and r["rss_peak_mib"] >= r["rss_import_mib"] > 0
    assert all(report["exponents"][s]["load_cpu"] is not None for s in systems)
    assert "| kdv_policy |" in table(report)
    assert exponent([1, 10, 100], [2, 20, 200]) == pytest.approx(1.0)
    assert exponent([1, 10], [5, 500]) == pytest.approx(2.0)


def test_coldstart_measures_the_three_commands():
    from benchmarks.coldstart import COMMANDS, measure

    medians = measure(runs=1)
    assert set(medians) == set(COMMANDS)
    assert all(seconds > 0 for seconds in medians.values())


def test_coldstart_splits_the_query_by_phase():
    from benchmarks.coldstart import split

    parts = split(runs=1)
    assert parts["status"] == 0
    assert parts["classes"] > 10
    assert 0 < parts["dataclasses"] < parts["import"]
    assert parts["start"] > 0 and parts["run"] > 0


def _points_to(stated: dict[str, list[tuple[str, ...]]]) -> dict[str, set[tuple[str, ...]]]:
    """The points-to rules of benchmarks/recursive.py, evaluated naively to their fixpoint."""
    vpt, lvpt, svpt, bridge = set(stated["alloc"]), set(), set(), set()
    while True:
        before = (len(vpt), len(lvpt), len(svpt), len(bridge))
        vpt |= {(dst, o) for src, dst in stated["assign"] for v, o in list(vpt) if v == src}
        vpt |= {(dst, o) for dst, src in bridge for v, o in list(vpt) if v == src}
        lvpt |= {(dst, o, f) for base, dst, f in stated["load"] for v, o in vpt if v == base}
        svpt |= {(src, o, f) for src, base, f in stated["store"] for v, o in vpt if v == base}
        bridge |= {(dst, src) for dst, o, f in lvpt for src, o2, f2 in svpt if (o, f) == (o2, f2)}
        if (len(vpt), len(lvpt), len(svpt), len(bridge)) == before:
            return {"vpt": vpt, "lvpt": lvpt, "svpt": svpt, "bridge": bridge}


def test_recursive_benchmark_derives_the_points_to_fixpoint(tmp_path):
    from benchmarks import recursive

    stated = recursive.facts(600, module=300)
    assert stated == recursive.facts(600, module=300)  # seeded
    assert stated != recursive.facts(600, seed=2, module=300)
    recursive.write_policy(tmp_path / "p", stated)
    expected = _points_to(stated)
    assert sum(len(rows) for rows in expected.values()) > 2 * sum(len(rows) for rows in stated.values())
    assert recursive.run_kdv_policy(tmp_path / "p")["model"] == expected


def test_recursive_benchmark_runs_each_system_in_a_bounded_worker():
    from benchmarks import recursive

    systems = [s for s in recursive.SYSTEMS if registry()[s].unavailable() is None]
    report = recursive.run([300, 600], systems, memory_mib=3_000, timeout=300, module=300)
    sizes = [sum(len(v) for v in recursive.facts(n, module=300).values()) for n in (300, 600)]
    assert [r["facts"] for r in report["rows"]] == sizes
    for row in report["rows"]:
        assert row["agree"]
        for s in systems:
            assert row[s]["cpu_s"] > 0 and row[s]["peak_mib"] > 0
            assert sum(row[s]["rows"].values()) > row["facts"]
    assert set(report["exponents"]) == set(systems)
    if len(systems) > 1:
        assert "models agree at every size: yes" in recursive.markdown(report)
