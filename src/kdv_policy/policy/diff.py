"""Decision diff: which decisions a policy change flips, not only which lines it touches.

``diff(old, new)`` compares the decision relations of two policies — ``may`` for every
(actor, action, object), membership, chairs, who serves whom, responsibilities,
consumers — and lists every tuple gained or lost, grouped, each with its explanation
from the version where it holds. Both relations are computed already (the model is
materialised at load), so a diff is a set difference plus one proof per change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from kdv_policy.errors import ArgumentError
from kdv_policy.language.printer import format_value
from kdv_policy.language.syntax import Value
from kdv_policy.policy import arguments as check
from kdv_policy.policy.record import Record, doc
from kdv_policy.policy.results import Entity, Explanation
from kdv_policy.policy.wording import N_, check_language, phrase, say


class Comparable(Protocol):
    """What a diff reads of a policy (a :class:`kdv_policy.Policy` is one): this module does not
    depend on the ``Policy`` class, which depends on it."""

    @property
    def version(self) -> str: ...

    @property
    def model(self) -> Mapping[str, Any]: ...

    @property
    def program(self) -> Any: ...

    def entity(self, value: Value) -> Entity: ...

    def explain(self, atom: str) -> Explanation: ...

DECISIONS: dict[str, tuple[str, int]] = {
    # relation: (what it decides, the argument a change is grouped by)
    "may": ("may", 0),
    "member": ("membership", 0),
    "chair": ("chair", 0),
    "serves": ("service", 0),
    "responsible": ("responsibility", 0),
    "consumer": ("consumer", 0),
}
"""The relations a diff compares, when both policies declare them with the same arity."""


ChangeKind = Literal["gained", "lost"]
"""How a decision differs: it holds only in the new version (gained) or only in the old (lost)."""


@dataclass(frozen=True, kw_only=True)
class Change(Record):
    """One decision that differs between the two versions."""

    change: ChangeKind = field(metadata=doc("gained: holds only in the new version"))
    relation: str = field(metadata=doc("the relation: may, member, chair, serves, responsible, consumer"))
    atom: str = field(metadata=doc("the decision, e.g. `may(planungsausschuss, approve, strategie)`"))
    entities: tuple[Entity, ...] = field(metadata=doc("its arguments, with official names"))
    group: str = field(metadata=doc(
        "what the change is grouped under: the actor and action (its id), or the body; text output writes "
        "the action as a verb of its language"))
    explanation: Explanation | None = field(default=None, metadata=doc(
        "why it holds, in the version where it does"))


@dataclass(frozen=True, kw_only=True)
class PolicyDiff(Record):
    """Every decision that differs between an old and a new policy version."""

    old_version: str
    new_version: str
    relations: tuple[str, ...] = field(metadata=doc("the relations compared"))
    changes: tuple[Change, ...] = ()

    @property
    def gained(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.change == "gained")

    @property
    def lost(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.change == "lost")

    def __bool__(self) -> bool:
        return bool(self.changes)

    def render(self, explain: bool = False, lang: str = "en") -> str:
        """Text for a reviewer: the changes grouped by relation and group, gained before lost; the
        words in ``lang`` (``en`` or ``de``), atoms as they are."""
        lang = check_language(lang)
        versions = f"({self.old_version} → {self.new_version})"
        if not self.changes:
            return say(lang, "no decision changed {versions}", versions=versions)
        lines = [say(lang, "{gained} gained, {lost} lost {versions}", gained=str(len(self.gained)),
                     lost=str(len(self.lost)), versions=versions)]
        current = None
        for c in self.changes:
            heading = heading_of(c, lang)
            if heading != current:
                lines.append("")
                lines.append(heading)
                current = heading
            mark = "+" if c.change == "gained" else "-"
            lines.append(f"  {mark} {c.atom}")
            if explain and c.explanation is not None:
                lines += ["      " + line for line in c.explanation.render().splitlines()]
        return "\n".join(lines)


_DECIDES = {"may": N_("may"), "member": N_("membership"), "chair": N_("chair"), "serves": N_("service"),
            "responsible": N_("responsibility"), "consumer": N_("consumer")}
"""What each relation decides, as the headings say it (message ids of the catalog)."""


def group_of(change: Change, lang: str = "en") -> str:
    """What a change is grouped under, in ``lang``: ``Planungsausschuss / define``, in German
    ``Planungsausschuss / definieren`` (an action's id is its English verb, its name the German
    one); the body of the other relations."""
    if change.relation == "may" and len(change.entities) > 1:
        actor, action = change.entities[0], change.entities[1]
        verb = action.id if lang == "en" or action.kind != "action" else action.name
        return f"{actor.name} / {verb}"
    return change.group


def heading_of(change: Change, lang: str = "en") -> str:
    """The heading a change is listed under in ``lang``: ``may: Planungsausschuss / define``,
    ``darf: Planungsausschuss / definieren``."""
    decides = _DECIDES.get(change.relation)
    return f"{phrase(lang, decides) if decides else change.relation}: {group_of(change, lang)}"


def diff(old: Comparable, new: Comparable, *, explain: bool = True,
         relations: Iterable[str] | None = None) -> PolicyDiff:
    """The decisions that differ between ``old`` and ``new``; ``explain=False`` skips the proofs."""
    for policy, what in ((old, "the old policy"), (new, "the new policy")):
        if not all(hasattr(policy, a) for a in ("version", "model", "program", "entity", "explain")):
            raise ArgumentError(f"{what} must be a `Policy`, not {check.kind_of(policy)}")
    check.flag(explain, "`explain`")
    names = ([check.text(r, "a relation") for r in check.many(relations, "`relations`", "relations")]
             if relations is not None else list(DECISIONS))
    compared = [r for r in names if r in DECISIONS and _same_arity(old, new, r)]
    changes: list[Change] = []
    for relation in compared:
        before, after = old.model[relation], new.model[relation]
        sides: tuple[tuple[ChangeKind, frozenset[tuple[Value, ...]], Comparable], ...] = (
            ("gained", after - before, new), ("lost", before - after, old))
        for change, rows, policy in sides:
            for row in rows:
                changes.append(_change(change, relation, row, policy, explain))
    changes.sort(key=lambda c: (compared.index(c.relation), c.group, c.change != "gained", c.atom))
    return PolicyDiff(old_version=old.version, new_version=new.version, relations=tuple(compared),
                      changes=tuple(changes))


def _same_arity(old: Comparable, new: Comparable, relation: str) -> bool:
    a = old.program.declarations.get(relation)
    b = new.program.declarations.get(relation)
    return a is not None and b is not None and a.arity == b.arity


def _change(change: ChangeKind, relation: str, row: tuple[Value, ...], policy: Comparable,
            explain: bool) -> Change:
    atom = f"{relation}({', '.join(format_value(v) for v in row)})"
    entities = tuple(policy.entity(v) for v in row)
    by = DECISIONS[relation][1]
    group = entities[by].name
    if relation == "may" and len(entities) > 1:
        group = f"{entities[0].name} / {entities[1].id}"
    return Change(change=change, relation=relation, atom=atom, entities=entities, group=group,
                  explanation=policy.explain(atom) if explain else None)
