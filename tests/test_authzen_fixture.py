"""The AuthZEN certification scenario's fixture (examples/authzen-fixture) decides as the scenario
requires: its eight decisions, the decisions of its batch requests and its search requirements
S1-S6, each asked through the Python API with the request's properties as input rows.

An AuthZEN entity's ``properties`` become rows of the fixture's input relations, keyed by the
entity's id (the action's name): ``subject_property(id, key, value)``,
``resource_property(id, key, value)``, ``action_property(name, key, value)``; a JSON boolean is
the atom ``true`` or ``false`` (docs/rule-language.md, "Input relations").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kdv_policy import Policy
from kdv_policy.language.printer import format_value
from kdv_policy.policy.explain import verify

FIXTURE = Path(__file__).resolve().parents[1] / "examples" / "authzen-fixture"

Entity = dict[str, Any]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(FIXTURE).materialise()


def _value(value: object) -> str | int:
    if isinstance(value, bool):
        return "true" if value else "false"
    assert isinstance(value, (str, int)), value
    return value


def request_rows(subject: Entity | None = None, action: Entity | None = None,
                 resource: Entity | None = None) -> dict[str, list[tuple[str | int, ...]]]:
    """The input rows of an AuthZEN request's entities."""
    rows: dict[str, list[tuple[str | int, ...]]] = {}
    for relation, entity, key in (("subject_property", subject, "id"), ("action_property", action, "name"),
                                  ("resource_property", resource, "id")):
        if entity is None or key not in entity:
            continue
        for name, value in entity.get("properties", {}).items():
            rows.setdefault(relation, []).append((entity[key], name, _value(value)))
    return rows


def decide(policy: Policy, subject: Entity, action: Entity, resource: Entity) -> bool:
    """An Access Evaluation: may the subject perform the action on the resource?"""
    scoped = policy.with_input(request_rows(subject, action, resource))
    decision = scoped.holds(("may", (subject["id"], action["name"], resource["id"])))
    if decision.allowed:  # every permit comes with a proof that checks out against the request's model
        assert verify(decision.explanation.proofs[0], scoped.program, scoped.model) == []
    return decision.allowed


def user(id: str, **properties: object) -> Entity:
    return {"type": "user", "id": id, **({"properties": properties} if properties else {})}


def record(id: str, **properties: object) -> Entity:
    return {"type": "record", "id": id, **({"properties": properties} if properties else {})}


def act(name: str, **properties: object) -> Entity:
    return {"name": name, **({"properties": properties} if properties else {})}


# The eight decisions of "Required Policy Behaviour" (c-1-4), in the scenario's order.
DECISIONS = [
    ("rule 1", user("alice"), act("read"), record("record-1"), True),
    ("rule 2", user("alice"), act("write"), record("record-1"), True),
    ("rule 3", user("bob"), act("read"), record("record-1"), True),
    ("rule 4", user("bob"), act("write"), record("record-1"), False),
    ("rule 5 (c-2-2-4)", user("alice"), act("write"), record("record-2", status="archived"), False),
    ("rule 6 (c-2-2-5)", user("bob", role="admin"), act("write"), record("record-2", status="archived"),
     True),
    ("rule 7 (c-2-2-6)", user("alice"), act("delete", soft=True), record("record-1"), True),
    ("rule 8 (c-2-2-7)", user("alice"), act("delete", soft=False), record("record-1"), False),
    # c-2-2-8: additional properties change nothing
    ("c-2-2-8", user("alice", department="Sales", role="manager"), act("read", method="GET"),
     record("record-1", status="active", owner="bob"), True),
]


@pytest.mark.parametrize(("case", "subject", "action", "resource", "expected"), DECISIONS,
                         ids=[d[0] for d in DECISIONS])
def test_the_scenario_decisions(policy: Policy, case: str, subject: Entity, action: Entity,
                                resource: Entity, expected: bool) -> None:
    assert decide(policy, subject, action, resource) is expected, case


def test_rule_6_holds_for_any_subject_with_the_admin_role(policy: Policy) -> None:
    # "For a subject with properties.role = admin": a subject the fixture does not know
    assert decide(policy, user("carol", role="admin"), act("write"), record("record-2", status="archived"))
    assert not decide(policy, user("carol"), act("write"), record("record-2", status="archived"))


def test_a_delete_without_the_soft_property_is_denied(policy: Policy) -> None:
    assert not decide(policy, user("alice"), act("delete"), record("record-1"))


def evaluations(policy: Policy, defaults: dict[str, Entity], items: list[dict[str, Entity]]) -> list[bool]:
    """An Access Evaluations request: each item replaces the defaults it names, entity by entity."""
    return [decide(policy, **{**defaults, **item}) for item in items]


def test_the_batch_decisions(policy: Policy) -> None:
    # c-3-2-2: ordering, rules 3 and 4
    assert evaluations(policy, {"subject": user("bob"), "resource": record("record-1")},
                       [{"action": act("read")}, {"action": act("write")}]) == [True, False]
    # c-3-2-3: properties per item, rules 2 and 5
    assert evaluations(policy, {"subject": user("alice"), "action": act("write")},
                       [{"resource": record("record-1", status="active")},
                        {"resource": record("record-2", status="archived")}]) == [True, False]
    # c-3-2-4: subject properties per item, rules 5 and 6
    assert evaluations(policy, {"action": act("write"), "resource": record("record-2", status="archived")},
                       [{"subject": user("alice")}, {"subject": user("bob", role="admin")}]) == [False, True]
    # c-3-2-5: no defaults
    assert evaluations(policy, {}, [
        {"subject": user("alice"), "action": act("read"), "resource": record("record-1")},
        {"subject": user("bob"), "action": act("write"), "resource": record("record-1")}]) == [True, False]
    # c-3-2-7: whole-entity replacement of the defaults
    assert evaluations(policy, {"subject": user("alice"), "action": act("write"),
                                "resource": record("record-1", status="active")},
                       [{}, {"resource": record("record-2", status="archived")}]) == [True, False]


def _ids(policy: Policy, query: str) -> set[str]:
    return {str(answer["X"]) for answer in policy.ask(query)}


def subject_search(policy: Policy, subject_type: str, action: Entity, resource: Entity) -> set[str]:
    scoped = policy.with_input(request_rows(action=action, resource=resource))
    return _ids(scoped, f"subject(X, {format_value(subject_type)}), "
                        f"may(X, {format_value(action['name'])}, {format_value(resource['id'])})")


def resource_search(policy: Policy, subject: Entity, action: Entity, resource_type: str) -> set[str]:
    scoped = policy.with_input(request_rows(subject=subject, action=action))
    return _ids(scoped, f"resource(X, {format_value(resource_type)}), "
                        f"may({format_value(subject['id'])}, {format_value(action['name'])}, X)")


def action_search(policy: Policy, subject: Entity, resource: Entity) -> set[str]:
    scoped = policy.with_input(request_rows(subject=subject, resource=resource))
    return _ids(scoped, f"action(X), may({format_value(subject['id'])}, X, {format_value(resource['id'])})")


def test_the_search_requirements(policy: Policy) -> None:
    assert {"alice", "bob"} <= subject_search(policy, "user", act("read"), record("record-1"))  # S1
    assert "record-1" in resource_search(policy, user("alice"), act("read"), "record")  # S2
    assert {"read", "write"} <= action_search(policy, user("alice"), record("record-1"))  # S3
    assert "bob" in subject_search(policy, "user", act("write"), record("record-2", status="archived"))  # S4
    assert "record-2" in resource_search(policy, user("bob", role="admin"), act("write"), "record")  # S5
    assert "write" in action_search(policy, user("bob", role="admin"),
                                    record("record-2", status="archived"))  # S6


def test_searches_for_what_the_fixture_does_not_know_are_empty(policy: Policy) -> None:
    assert action_search(policy, user("nonexistent-user"), record("record-1")) == set()  # c-4-6-1
    assert subject_search(policy, "spaceship", act("read"), record("record-1")) == set()  # c-4-6-2


def test_a_permit_from_request_properties_cites_the_request(policy: Policy) -> None:
    scoped = policy.with_input(request_rows(user("carol", role="admin"), act("write"),
                                            record("record-2", status="archived")))
    decision = scoped.holds('may(carol, write, "record-2")')
    assert decision.allowed
    proof = decision.explanation.proofs[0]
    request = [n for n in proof.walk() if n.kind == "request"]
    assert [n.atom for n in request] == ["subject_property(carol, role, admin)"]
    assert "[from the request]" in proof.render()
    assert "[aus der Anfrage]" in proof.render(lang="de")
    # the policy itself is unchanged: without the request carol may nothing
    assert not policy.holds('may(carol, write, "record-2")').allowed


def test_the_fixture_checks_clean() -> None:
    from kdv_policy.cli.main import main

    assert main(["check", str(FIXTURE)]) == 0


def test_the_fixture_is_in_the_canonical_layout() -> None:
    from kdv_policy.cli.main import main

    assert main(["fmt", "--check", str(FIXTURE)]) == 0
