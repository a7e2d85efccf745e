"""Cedar (``cedarpy``) encoding the same organisation.

Cedar has no recursive rules, but its entity hierarchy is transitive (``in``), so the
organisation is written as entities and the recursion goes into the hierarchy:

* ``Person`` in the ``Role``\\ s it holds; a chair ``Role`` in the ``Body`` it chairs (represents);
* per (action, object) pair, a ``Holder::"action|object|body"`` for every body that holds the
  competence or receives it by delegation: the body is in it; it is in
  ``Pair::"action|object"`` when the body has the competence, and in the delegator's Holder
  for every delegation of the pair to it, in both cases only when the body acts (phase 1).
  So a body reaches the Pair exactly when it may (delegation passing on only what the
  delegator may), and one policy per pair permits ``principal in Pair::"action|object"``;
* a ``Unit`` of the administration is in its parent unit, and in ``Group::"consumers"`` when
  its kind is a consumer kind, so ``resource in Group::"consumers"`` is consumer/1; a
  specialist provider's ``Group::"within_<provider>"`` holds the administrative units of its
  kinds, and so their sub-units.

The exporter only translates facts into edges (the acting check is local to a body);
the closure is Cedar's. Policies and entities are parsed once into cedarpy's reusable
``PolicySet`` and ``Entities`` handles. Cedar answers yes/no requests only: ``who_serves``
asks one batch of requests (one per provider), ``who_may`` one batch over every principal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import System
from .floor import read_organisation


class CedarSystem(System):
    name = "cedar"
    label = "Cedar (cedarpy)"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            import cedarpy  # noqa: F401
        except ImportError:
            return "cedarpy is not installed (pip install kdv_policy[bench])"
        return None

    def load(self, directory: Path) -> None:
        import cedarpy

        org = read_organisation(directory)
        policies, entities, self._types, self._providers = export(org)
        self._policies = cedarpy.PolicySet.from_str(policies)
        self._entities = cedarpy.Entities.from_json_str(json.dumps(entities))
        self._counts = {"policies": policies.count("permit("), "entities": len(entities)}
        self._principals = [{"type": t, "id": i} for i, t in sorted(self._types.items())]
        self._ids = [i for i, _ in sorted(self._types.items())]

    def calls(self) -> dict[str, Callable[..., Any]]:
        import cedarpy

        batch = cedarpy.is_authorized_batch
        policies, entities, types = self._policies, self._entities, self._types
        providers, principals, ids = self._providers, self._principals, self._ids

        serve = {"type": "Action", "id": "serve"}
        provider_uids = [{"type": "Unit", "id": p} for p in providers]

        # requests name entities as {"type", "id"} dicts: cheaper for cedarpy than `Type::"id"` text
        def may(actor: str, action: str, obj: str) -> bool:
            request = {"principal": {"type": types.get(actor, "Person"), "id": actor},
                       "action": {"type": "Action", "id": action}, "resource": {"type": "Object", "id": obj}}
            return batch([request], policies, entities)[0].allowed

        def who_serves(unit: str) -> tuple[str, ...]:
            resource = {"type": "Unit", "id": unit}
            requests = [{"principal": p, "action": serve, "resource": resource} for p in provider_uids]
            return tuple(p for p, r in zip(providers, batch(requests, policies, entities), strict=True)
                         if r.allowed)

        def who_may(action: str, obj: str) -> tuple[str, ...]:
            act, res = {"type": "Action", "id": action}, {"type": "Object", "id": obj}
            requests = [{"principal": p, "action": act, "resource": res} for p in principals]
            results = batch(requests, policies, entities)
            return tuple(i for i, r in zip(ids, results, strict=True) if r.allowed)

        return {"may": may, "who_serves": who_serves, "who_may": who_may}

    def info(self) -> dict[str, Any]:
        return dict(self._counts)


def export(org) -> tuple[str, list[dict], dict[str, str], list[str]]:
    """Cedar policies (text) and entities (JSON-ready) for an organisation
    (:class:`benchmarks.systems.floor.Organisation`); also each actor's entity type and the providers."""
    facts = org.facts
    acting = {b for b, phase in org.phase.items() if phase == 1}
    parents: dict[tuple[str, str], set[tuple[str, str]]] = {}

    def edge(child: tuple[str, str], parent: tuple[str, str]) -> None:
        parents.setdefault(child, set()).add(parent)
        parents.setdefault(parent, set())

    for b in org.phase:
        parents.setdefault(("Body", b), set())
    for r in org.role_unit:
        parents.setdefault(("Role", r), set())
    for p, roles in org.assignments.items():
        parents.setdefault(("Person", p), set())
        for r in roles:
            if r in org.role_unit:
                edge(("Person", p), ("Role", r))
    for b, r in facts["chair"]:
        edge(("Role", r), ("Body", b))
    pairs = set()
    for b, a, o in facts["competence"]:
        holder = ("Holder", f"{a}|{o}|{b}")
        edge(("Body", b), holder)
        pairs.add((a, o))
        if b in acting:
            edge(holder, ("Pair", f"{a}|{o}"))
    for y, x, a, o in facts["delegates"]:
        holder = ("Holder", f"{a}|{o}|{x}")
        edge(("Body", x), holder)
        if x in acting:
            edge(holder, ("Holder", f"{a}|{o}|{y}"))
    consumer_kinds = {k for (k,) in facts["consumer_kind"]}
    specialist_kinds: dict[str, set[str]] = {}
    for p, k in facts["provides_for"]:
        specialist_kinds.setdefault(p, set()).add(k)
    for u, kind in org.unit_kind.items():
        parents.setdefault(("Unit", u), set())
        if kind not in org.admin_kinds:
            continue  # outside the administration: never a consumer, and no path through it
        if u in org.parent:
            edge(("Unit", u), ("Unit", org.parent[u]))
        if kind in consumer_kinds:
            edge(("Unit", u), ("Group", "consumers"))
        for p, kinds in specialist_kinds.items():
            if kind in kinds:
                edge(("Unit", u), ("Group", f"within_{p}"))

    policies = [f'permit(principal in Pair::"{a}|{o}", action == Action::"{a}", resource == Object::"{o}");'
                for a, o in sorted(pairs)]
    central = [p for (p,) in facts["provider"]]
    for p in central:
        policies.append(f'permit(principal == Unit::"{p}", action == Action::"serve", '
                        f'resource in Group::"consumers");')
    for p in sorted(specialist_kinds):
        policies.append(f'permit(principal == Unit::"{p}", action == Action::"serve", '
                        f'resource in Group::"within_{p}") when {{ resource in Group::"consumers" }};')
    entities = [{"uid": {"type": t, "id": i}, "attrs": {},
                 "parents": [{"type": pt, "id": pi} for pt, pi in sorted(ps)]}
                for (t, i), ps in sorted(parents.items())]
    types = {**{b: "Body" for b in org.phase}, **{r: "Role" for r in org.role_unit},
             **{p: "Person" for p in org.assignments}}
    return "\n".join(policies), entities, types, sorted(set(central) | set(specialist_kinds))
