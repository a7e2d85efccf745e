"""The result and explanation types are frozen dataclasses (``policy/record.py``) with the
surface of the pydantic models they were: dumps in declaration order with the computed fields
after the fields, JSON text, copies, documented fields, equality, hashing; and importing them
loads no pydantic."""

from __future__ import annotations

import dataclasses
import datetime
import json
import subprocess
import sys

import pytest

from kdv_policy import Policy
from kdv_policy.policy.diff import Change, PolicyDiff
from kdv_policy.policy.explain import Attempt, ProofNode, WhyNot
from kdv_policy.policy.results import (
    Answers,
    Decision,
    Delegation,
    Entity,
    Explanation,
    Interpretation,
    OpenQuestion,
    Permission,
)

RECORDS = (Entity, Permission, OpenQuestion, Interpretation, Delegation, Explanation, Decision, Answers,
           ProofNode, Attempt, WhyNot, Change, PolicyDiff)

RR = Entity(id="regierungsrat", name="Regierungsrat", kind="body")
APPROVE = Entity(id="approve", name="genehmigen", kind="action")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load("rules")


def test_importing_the_results_loads_no_pydantic():
    code = ("import sys, kdv_policy.policy.results, kdv_policy.policy.explain, kdv_policy.policy.diff; "
            "print(sorted(m for m in ('pydantic', 'pydantic_core', 'kdv_policy.data.model') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_every_record_is_a_frozen_dataclass_whose_fields_are_documented(record):
    assert dataclasses.is_dataclass(record) and record.__dataclass_params__.frozen
    fields = record.model_fields
    assert list(fields) == [f.name for f in dataclasses.fields(record)]
    undocumented = {"WhyNot": {"goal", "attempts"}, "PolicyDiff": {"old_version", "new_version", "changes"},
                    "Permission": {"action", "object"}}.get(record.__name__, set())
    assert {n for n, f in fields.items() if not f.description} == undocumented


def test_a_dump_lists_fields_in_order_then_the_computed_ones():
    decision = Decision(question="may(regierungsrat, approve, strategie)", allowed=True, actor=RR,
                        action=APPROVE)
    dumped = decision.model_dump(mode="json")
    assert list(dumped) == [*Decision.model_fields, "explanation", "status"]
    assert dumped["actor"] == {"id": "regierungsrat", "name": "Regierungsrat", "kind": "body"}
    assert dumped["status"] == "allowed" and dumped["interpretations"] == []
    assert decision.model_dump()["interpretations"] == ()  # the python mode keeps tuples
    assert "explanation" not in decision.model_dump(exclude={"explanation"})
    with pytest.raises(ValueError, match="`mode`"):
        decision.model_dump(mode="yaml")


def test_dates_dump_as_text_in_json_and_stay_dates_in_python():
    day = datetime.date(2021, 3, 1)
    node = ProofNode(kind="fact", atom="phase_start(1, 2021-03-01)", args=(1, day), bindings={"D": day})
    assert node.model_dump()["args"] == (1, day)
    assert node.model_dump(mode="json")["args"] == [1, "2021-03-01"]
    assert json.loads(node.model_dump_json())["bindings"] == {"D": "2021-03-01"}


def test_json_text_is_compact_and_keeps_umlauts():
    entity = Entity(id="amt_fuer_informatik", name="Amt für Informatik", kind="unit")
    assert entity.model_dump_json() == ('{"id":"amt_fuer_informatik","name":"Amt für Informatik",'
                                        '"kind":"unit"}')


def test_records_are_frozen_compared_by_value_and_hashed_when_their_values_are():
    same = Entity(id="regierungsrat", name="Regierungsrat", kind="body")
    assert same == RR and hash(same) == hash(RR) and len({RR, same}) == 1
    assert APPROVE != RR and RR.model_dump() != RR
    with pytest.raises(dataclasses.FrozenInstanceError):
        RR.name = "Rat"  # type: ignore[misc]
    assert repr(RR) == "Entity(id='regierungsrat', name='Regierungsrat', kind='body')"
    assert str(RR) == "Regierungsrat"


def test_a_copy_changes_what_it_is_told_and_keeps_the_explanation_source(policy):
    decision = policy.may("Regierungsrat", "verabschieden", "Strategie")
    summary = decision.explanation.summary
    copied = decision.model_copy(update={"version": "other"})
    assert copied.version == "other" and decision.version == policy.version
    assert copied.explanation.summary == summary
    assert decision.model_copy() == decision


def test_results_compare_by_their_fields_not_by_their_explanation_source(policy):
    one = policy.may("Regierungsrat", "verabschieden", "Strategie")
    two = Policy.load("rules").may("Regierungsrat", "approve", "strategie")
    assert one is not two and one == two
    assert one.model_dump_json() == two.model_dump_json()


def test_answers_are_generic_sized_iterable_and_searchable(policy):
    members = policy.members("StA")
    assert isinstance(members, Answers) and len(members) == len(members.answers) > 0
    assert list(members) == list(members.answers) and members[0] == members.first
    assert members.first is not None and members.first.name in members and members.first.id in members
    typed: Answers[Entity] = Answers[Entity](question="q", answers=(RR,))
    assert typed == Answers(question="q", answers=(RR,)) and typed.ids == ("regierungsrat",)
    assert not Answers(question="q") and bool(Decision(question="q", allowed=True))
