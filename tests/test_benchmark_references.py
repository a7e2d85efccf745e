"""The benchmark's floor worker also times what a Python call costs on the machine (a function
returning True, and one building a slotted result object) and every system's load in CPU time
beside wall time: the figures docs/performance.md explains the first-asking ratios with. The
structure is checked, never the times."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from benchmarks import generate
from benchmarks.run import _references, measure, summary
from benchmarks.systems.floor import load_truth


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return generate.generate("small", seed=2, out=tmp_path_factory.mktemp("refs") / "policy")


def test_the_floor_worker_reports_the_cost_of_a_call_and_the_loads_cpu(small):
    truth = load_truth(small)
    questions = generate.make_questions(truth, 2)
    questions = dataclasses.replace(questions, distinct=generate.make_distinct(truth, questions, 2))
    floor = measure("floor", small, questions, load_repeats=2, warm_budget_s=0.01, throughput_budget_s=0.01,
                    explain_sample=0, distinct_budget_s=0.01)
    assert set(floor["reference_us"]) == {"bare_bool", "slotted_result"}
    assert all(isinstance(v, float) for v in floor["reference_us"].values())
    assert len(floor["loads_cpu_s"]) == 2
    assert min(floor["loads_cpu_s"]) <= floor["load_cpu_s"] <= max(floor["loads_cpu_s"])
    kdv = measure("kdv_policy", small, questions, load_repeats=1, warm_budget_s=0.01,
                  throughput_budget_s=0.01, explain_sample=1, distinct_budget_s=0.01)
    assert kdv["reference_us"] == {} and len(kdv["loads_cpu_s"]) == 1
    stats = {"persons": 1, "roles": 1, "units": 1, "bodies": 1, "stated_facts": 1, "may_rows": 1}
    shown = summary({"scales": {"small": {"stats": stats, "questions": {}, "distinct_questions": {},
                                          "systems": {"floor": floor}}}, "meta": {}})
    assert "one building a slotted result object" in shown


def test_no_questions_no_references():
    assert _references(()) == {}
