"""PyCasbin encoding the same organisation: RBAC with the same hierarchy as the Cedar encoding.

Casbin's role manager (``g``) is transitive, so the organisation becomes role links: a person
has the roles it holds, a chair role has its body, a body has a ``H:action|object|body``
holder per pair it holds or receives, which links to ``P:action|object`` (a competence of an
acting body) or to the delegator's holder (a delegation to an acting body). One policy line
per pair, ``p, P:action|object, object, action``, and the matcher
``g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act`` decide ``may``. The units are a second
enforcer: ``g`` links an administrative unit to its parent, to ``G:consumers`` (a consumer
kind) and to ``G:within_<provider>`` (a specialist's kinds); ``p, provider, group``.

The may enforcer is a ``FastEnforcer``, which indexes the policy lines by object and action,
so a request is matched against the one line it can match (the serving enforcer has a line
per provider). Casbin's
hierarchy limit is raised from 10 to 20 links: a person reaches a pair through up to 9.
``who_may`` walks the role links backwards from the pair (``get_users_for_role``);
``who_serves`` asks each provider.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import System
from .floor import read_organisation

MAY_MODEL = """
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
"""

SERVES_MODEL = """
[request_definition]
r = sub, obj

[policy_definition]
p = sub, obj

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.sub == p.sub && g(r.obj, p.obj)
"""


class CasbinSystem(System):
    name = "casbin"
    label = "PyCasbin"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            import casbin  # noqa: F401
        except ImportError:
            return "casbin is not installed (pip install kdv_policy[bench])"
        return None

    def load(self, directory: Path) -> None:
        import casbin
        from casbin.model import FastModel, Model
        from casbin.persist.adapters.string_adapter import StringAdapter

        org = read_organisation(directory)
        may_lines, serve_lines, self._providers, self._actors = export(org)
        may_model = FastModel([1, 2])  # index the lines by (object, action)
        may_model.load_model_from_text(MAY_MODEL)
        self._may = casbin.FastEnforcer(may_model, StringAdapter("\n".join(may_lines)),
                                        cache_key_order=[1, 2])
        serves_model = Model()
        serves_model.load_model_from_text(SERVES_MODEL)
        self._serves = casbin.Enforcer(serves_model, StringAdapter("\n".join(serve_lines)))
        for enforcer in (self._may, self._serves):
            enforcer.get_role_manager().max_hierarchy_level = 20
        self._counts = {"policy_lines": len(may_lines) + len(serve_lines)}

    def calls(self) -> dict[str, Callable[..., Any]]:
        may_e, serves_e, providers, actors = self._may, self._serves, self._providers, self._actors
        enforce_may, enforce_serves = may_e.enforce, serves_e.enforce
        users = may_e.get_users_for_role

        def may(actor: str, action: str, obj: str) -> bool:
            return enforce_may(actor, obj, action)

        def who_serves(unit: str) -> tuple[str, ...]:
            return tuple(p for p in providers if enforce_serves(p, unit))

        def who_may(action: str, obj: str) -> tuple[str, ...]:
            seen: set[str] = set()
            todo = [line[0] for line in may_e.get_filtered_policy(1, obj, action)]
            while todo:
                name = todo.pop()
                if name not in seen:
                    seen.add(name)
                    todo.extend(users(name))
            return tuple(a for a in seen if a in actors)

        return {"may": may, "who_serves": who_serves, "who_may": who_may}

    def info(self) -> dict[str, Any]:
        return dict(self._counts)


def export(org) -> tuple[list[str], list[str], list[str], set[str]]:
    """Casbin policy lines (may, serves) for an organisation, the providers and the actor ids."""
    facts = org.facts
    acting = {b for b, phase in org.phase.items() if phase == 1}
    may: list[str] = []
    for p, roles in org.assignments.items():
        for r in dict.fromkeys(roles):
            if r in org.role_unit:
                may.append(f"g, {p}, {r}")
    for b, r in facts["chair"]:
        may.append(f"g, {r}, {b}")
    pairs = set()
    links = set()
    for b, a, o in facts["competence"]:
        links.add((b, f"H:{a}|{o}|{b}"))
        pairs.add((a, o))
        if b in acting:
            links.add((f"H:{a}|{o}|{b}", f"P:{a}|{o}"))
    for y, x, a, o in facts["delegates"]:
        links.add((x, f"H:{a}|{o}|{x}"))
        if x in acting:
            links.add((f"H:{a}|{o}|{x}", f"H:{a}|{o}|{y}"))
    may += [f"g, {child}, {parent}" for child, parent in sorted(links)]
    may += [f"p, P:{a}|{o}, {o}, {a}" for a, o in sorted(pairs)]

    serves: list[str] = []
    consumer_kinds = {k for (k,) in facts["consumer_kind"]}
    specialist_kinds: dict[str, set[str]] = {}
    for p, k in facts["provides_for"]:
        specialist_kinds.setdefault(p, set()).add(k)
    for u, kind in org.unit_kind.items():
        if kind not in org.admin_kinds:
            continue
        if u in org.parent:
            serves.append(f"g, {u}, {org.parent[u]}")
        if kind in consumer_kinds:
            serves.append(f"g, {u}, G:consumers")
        for p, kinds in specialist_kinds.items():
            if kind in kinds:
                serves.append(f"g, {u}, G:within_{p}")
    central = [p for (p,) in facts["provider"]]
    serves += [f"p, {p}, G:consumers" for p in central]
    serves += [f"p, {p}, G:within_{p}" for p in sorted(specialist_kinds)]
    actors = set(org.phase) | set(org.role_unit) | set(org.assignments)
    return may, serves, sorted(set(central) | set(specialist_kinds)), actors
