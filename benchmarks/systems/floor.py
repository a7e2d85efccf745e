"""The plain-Python floor and the ground truth: the generated organisation read and closed by hand.

Nothing here uses kdv_policy. :func:`read_organisation` reads a generated policy directory
with ``tomllib`` (organisation.toml, people.toml) and a regular expression for the fact lines
of the ``.dl`` files (the generator writes one fact per line); :func:`closure` computes what
the generic rules of :mod:`benchmarks.generate` mean, with plain loops, sets and dicts:

* a body acts when it is of phase 1; it may what it has the competence for, and what a body
  that may it delegates to it (to a fixpoint: chains of any length, cycles harmless);
* the chair of a body represents it and may what it may; a person may what the roles it
  holds may;
* a unit of an administrative kind is a consumer when its kind is a consumer kind or its
  parent is a consumer; the central provider serves every consumer, a specialist the
  consumers of its kinds and the consumers below them.

The result (:class:`Truth`) is the ground truth every system is checked against, and its
dicts and sets are the floor: a Python function answering from memory.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import System

_FACT = re.compile(r"^([a-z_]+)\(([^()]*)\)\.$")
DL_FACTS = ("member", "chair", "seat", "competence", "delegates", "consumer_kind", "provider", "provides_for")


@dataclass
class Organisation:
    """What the files of a generated policy directory state."""

    admin_kinds: set[str]
    unit_kind: dict[str, str]
    parent: dict[str, str]
    role_unit: dict[str, str]
    role_function: dict[str, str]
    phase: dict[str, int]  # body -> phase
    actions: list[str]
    objects: list[str]
    assignments: dict[str, list[str]]  # person -> roles, in file order (repeats possible)
    facts: dict[str, list[tuple[str, ...]]]  # the .dl facts by predicate
    stated: int = 0  # the number of facts the files state (data entries and .dl facts)


def read_organisation(directory: Path) -> Organisation:
    directory = Path(directory)
    with open(directory / "organisation.toml", "rb") as f:
        org = tomllib.load(f)
    people: dict[str, Any] = {"persons": []}
    if (directory / "people.toml").is_file():
        with open(directory / "people.toml", "rb") as f:
            people = tomllib.load(f)
    facts: dict[str, list[tuple[str, ...]]] = {p: [] for p in DL_FACTS}
    for path in sorted(directory.glob("*.dl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            found = _FACT.match(line)
            if found and found.group(1) in facts:
                facts[found.group(1)].append(tuple(a.strip() for a in found.group(2).split(",")))
    units = org.get("units", [])
    roles = org.get("roles", [])
    bodies = org.get("bodies", [])
    result = Organisation(
        admin_kinds={k["id"] for k in org.get("unit_kinds", []) if k["administration"]},
        unit_kind={u["id"]: u["kind"] for u in units},
        parent={u["id"]: u["parent"] for u in units if u.get("parent")},
        role_unit={r["id"]: r["unit"] for r in roles},
        role_function={r["id"]: r["function"] for r in roles},
        phase={b["id"]: b.get("phase", 1) for b in bodies},
        actions=[a["id"] for a in org.get("actions", [])],
        objects=[o["id"] for o in org.get("objects", [])],
        assignments={p["id"]: [a["role"] for a in p.get("roles", [])] for p in people["persons"]},
        facts=facts,
    )
    # as kdv_policy.data states them: unit, unit_kind, parent; role, role_of; body, in_phase;
    # administrative_kind; person, assignment; plus the .dl facts
    result.stated = (2 * len(units) + len(result.parent) + 2 * len(roles) + 2 * len(bodies)
                     + len(result.admin_kinds) + len(people["persons"])
                     + sum(len(p.get("roles", [])) for p in people["persons"])
                     + sum(len(rows) for rows in facts.values()))
    return result


@dataclass
class Truth:
    """The answers, computed by :func:`closure`; also what the question generator draws on."""

    may: frozenset[tuple[str, str, str]]
    serves: dict[str, tuple[str, ...]]  # unit -> the providers serving it, sorted
    who_may: dict[tuple[str, str], tuple[str, ...]]  # (action, object) -> actors, sorted
    kind_of: dict[str, str]  # actor id -> body, role or person
    units: list[str]
    actions: list[str]
    objects: list[str]
    body_may: dict[str, set[tuple[str, str]]]
    members: dict[str, set[str]]
    chairs_of_body: dict[str, set[str]]
    holders: dict[str, set[str]]  # role -> persons
    delegations: list[tuple[str, str, str, str]]
    consumers: set[str]
    stats: dict[str, int] = field(default_factory=dict)


def closure(org: Organisation) -> Truth:
    facts = org.facts
    acting = {b for b, phase in org.phase.items() if phase == 1}
    body_may: dict[str, set[tuple[str, str]]] = {b: set() for b in org.phase}
    for b, a, o in facts["competence"]:
        if b in acting:
            body_may[b].add((a, o))
    delegations = [tuple(d) for d in facts["delegates"]]
    changed = True
    while changed:  # delegation, to a fixpoint
        changed = False
        for y, x, a, o in delegations:
            if x in acting and (a, o) in body_may.get(y, ()) and (a, o) not in body_may[x]:
                body_may[x].add((a, o))
                changed = True

    chairs_of_body: dict[str, set[str]] = {b: set() for b in org.phase}
    represents: dict[str, set[str]] = {}
    for b, r in facts["chair"]:
        chairs_of_body[b].add(r)
        represents.setdefault(r, set()).add(b)
    members: dict[str, set[str]] = {b: set(chairs) for b, chairs in chairs_of_body.items()}
    for b, r in facts["member"]:
        members[b].add(r)
    for b, function, kind in facts["seat"]:
        for r, f in org.role_function.items():
            if f == function and org.unit_kind.get(org.role_unit[r]) == kind:
                members[b].add(r)

    role_may = {r: set().union(*(body_may[b] for b in bodies)) for r, bodies in represents.items()}
    holders: dict[str, set[str]] = {}
    may: set[tuple[str, str, str]] = set()
    for b, pairs in body_may.items():
        may.update((b, a, o) for a, o in pairs)
    for r, pairs in role_may.items():
        may.update((r, a, o) for a, o in pairs)
    for p, roles in org.assignments.items():
        for r in roles:
            if r in org.role_unit:
                holders.setdefault(r, set()).add(p)
                may.update((p, a, o) for a, o in role_may.get(r, ()))

    consumers: set[str] = set()
    consumer_kinds = {k for (k,) in facts["consumer_kind"]}
    memo: dict[str, bool] = {}

    def consumer(u: str) -> bool:
        if u not in memo:
            admin = org.unit_kind[u] in org.admin_kinds
            memo[u] = admin and (org.unit_kind[u] in consumer_kinds
                                 or (u in org.parent and consumer(org.parent[u])))
        return memo[u]

    for u in org.unit_kind:
        if consumer(u):
            consumers.add(u)
    specialist_kinds: dict[str, set[str]] = {}
    for p, k in facts["provides_for"]:
        specialist_kinds.setdefault(p, set()).add(k)

    def within(p: str, u: str) -> bool:
        if u not in consumers:
            return False
        return org.unit_kind[u] in specialist_kinds[p] or (u in org.parent and within(p, org.parent[u]))

    serves: dict[str, tuple[str, ...]] = {}
    central = [p for (p,) in facts["provider"]]
    for u in org.unit_kind:
        found = set(central) if u in consumers else set()
        found.update(p for p in specialist_kinds if within(p, u))
        serves[u] = tuple(sorted(found))

    who_may: dict[tuple[str, str], set[str]] = {}
    for actor, a, o in may:
        who_may.setdefault((a, o), set()).add(actor)
    kind_of = {**{b: "body" for b in org.phase}, **{r: "role" for r in org.role_unit},
               **{p: "person" for p in org.assignments}}
    stats = {
        "stated_facts": org.stated, "persons": len(org.assignments), "roles": len(org.role_unit),
        "units": len(org.unit_kind), "bodies": len(org.phase), "competences": len(facts["competence"]),
        "delegations": len(delegations), "may_rows": len(may),
        "may_rows_bodies": sum(len(v) for v in body_may.values()), "consumers": len(consumers),
        "serves_rows": sum(len(v) for v in serves.values()),
        "members_min": min(len(m) for m in members.values()),
        "members_max": max(len(m) for m in members.values()),
        "delegation_depth": _depth(delegations),
    }
    return Truth(frozenset(may), serves, {k: tuple(sorted(v)) for k, v in who_may.items()}, kind_of,
                 sorted(org.unit_kind), sorted(org.actions), sorted(org.objects), body_may, members,
                 chairs_of_body, holders, delegations, consumers, stats)


def _depth(delegations: list[tuple[str, str, str, str]]) -> int:
    """The longest chain of delegating bodies (edges delegator → delegate; the data is acyclic)."""
    out: dict[str, set[str]] = {}
    for y, x, _, _ in delegations:
        out.setdefault(y, set()).add(x)
    memo: dict[str, int] = {}

    def longest(b: str, seen: frozenset[str]) -> int:
        if b in seen:
            raise ValueError(f"delegation cycle through {b}")
        if b not in memo:
            memo[b] = max((1 + longest(x, seen | {b}) for x in out.get(b, ())), default=0)
        return memo[b]

    return max((longest(b, frozenset()) for b in out), default=0)


def load_truth(directory: Path) -> Truth:
    return closure(read_organisation(directory))


class Floor(System):
    """A Python function answering from dicts and sets computed at load: the floor."""

    name = "floor"
    label = "plain Python (floor)"

    def load(self, directory: Path) -> None:
        self.truth = load_truth(directory)

    def calls(self) -> dict[str, Callable[..., Any]]:
        may_rows = self.truth.may
        serves = self.truth.serves
        who = self.truth.who_may

        def may(actor: str, action: str, obj: str) -> bool:
            return (actor, action, obj) in may_rows

        def who_serves(unit: str) -> tuple[str, ...]:
            return serves.get(unit, ())

        def who_may(action: str, obj: str) -> tuple[str, ...]:
            return who.get((action, obj), ())

        return {"may": may, "who_serves": who_serves, "who_may": who_may}

    def info(self) -> dict[str, Any]:
        return dict(self.truth.stats)
