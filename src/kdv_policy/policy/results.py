"""What the question methods return: pydantic models, JSON-serialisable, with documented fields.

A :class:`Decision` answers a yes/no question (``may``, ``is_consumer``, ``holds``);
:class:`Answers` answers a list question (``who_may``, ``members``, ...). Both carry
an :class:`Explanation`, computed on first access from the policy's model: the proof
when the answer is yes, the why-not when it is no.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

from kdv_policy.errors import ArgumentError
from kdv_policy.policy.arguments import kind_of
from kdv_policy.policy.explain import ProofNode, WhyNot


class Entity(BaseModel):
    """A named thing of the policy: a body, role, person, unit, action, object or plain constant."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="the constant that stands for it in the rules, e.g. `steuerungsausschuss`")
    name: str = Field(description="its official name, e.g. `Steuerungsausschuss`")
    kind: str = Field(description="body, role, person, unit, action, object, or constant (no data entry)")

    def __str__(self) -> str:
        return self.name


class Permission(BaseModel):
    """An (action, object) pair an actor may: one answer of ``what_may``."""

    model_config = ConfigDict(frozen=True)

    action: Entity
    object: Entity

    @property
    def id(self) -> str:
        return f"{self.action.id} {self.object.id}"

    @property
    def name(self) -> str:
        return f"{self.action.name} {self.object.name}"


class Delegation(BaseModel):
    """One delegation: ``delegator`` passes doing ``action`` with ``object`` to ``delegate``;
    one answer of ``delegations``."""

    model_config = ConfigDict(frozen=True)

    delegator: Entity = Field(description="who delegates")
    delegate: Entity = Field(description="to whom")
    action: Entity = Field(description="what the delegate is to do")
    object: Entity = Field(description="with what")
    task: Entity | None = Field(None, description="the task as the text names it, e.g. "
                                                  "`Umsetzung der Strategie`")
    chain: tuple[Entity, ...] = Field((), description="the whole chain up to the delegate: the original "
                                                      "delegator first, the delegate last")
    effective: bool = Field(description="whether the delegate may do it through this delegation (the "
                                        "delegator may delegate it or do it, and the delegate is active)")

    @property
    def id(self) -> str:
        return f"{self.delegator.id} {self.delegate.id} {self.action.id} {self.object.id}"

    @property
    def name(self) -> str:
        what = self.task.name if self.task is not None else f"{self.action.name} {self.object.name}"
        return f"{' → '.join(e.name for e in self.chain)}: {what}"


class Explanation(BaseModel):
    """Why an answer is what it is.

    For a yes: ``proofs``, one proof tree per answer, down to stated facts, each node with
    its rule or fact id, the instantiated atom and the cited sentence. For a no:
    ``why_not``, each rule that could have given the answer and the first condition that
    failed, and ``alternatives``: what does hold instead (who holds the competence, what
    the actor may do with the object).
    """

    model_config = ConfigDict(frozen=True)

    summary: str = Field(description="one or two sentences, with official names")
    proofs: tuple[ProofNode, ...] = Field((), description="proof trees of what holds")
    why_not: WhyNot | None = Field(None, description="for a no: the rules that could have said yes")
    alternatives: tuple[str, ...] = Field((), description="for a no: what holds instead")
    chain: tuple[Entity, ...] = Field((), description="for a decision through delegation: delegator first")

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of every fact and rule in the proofs, in proof order, each once."""
        seen: dict[str, None] = {}
        for proof in self.proofs:
            for node in proof.walk():
                if node.id:
                    seen.setdefault(node.id)
        return tuple(seen)

    def render(self) -> str:
        """The explanation as text: the summary, then the proof trees or the why-not."""
        parts = [self.summary]
        parts += [proof.render("  ") for proof in self.proofs]
        if self.why_not is not None:
            parts.append(self.why_not.render("  "))
        if self.alternatives:
            parts.append("  instead: " + "; ".join(self.alternatives))
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.render()


class _Explained(BaseModel):
    """A result whose explanation is computed on first access (and then kept)."""

    model_config = ConfigDict(frozen=True)
    _explain: Callable[[], Explanation] | None = PrivateAttr(default=None)

    @computed_field(description="why the answer is what it is")  # type: ignore[prop-decorator]
    @cached_property
    def explanation(self) -> Explanation:
        if self._explain is None:
            return Explanation(summary="no explanation available")
        return self._explain()


class Decision(_Explained):
    """The answer to a yes/no question; ``bool(decision)`` is ``decision.allowed``."""

    question: str = Field(description="the question as resolved, in rule-language syntax")
    allowed: bool = Field(description="whether it holds")
    actor: Entity | None = Field(None, description="for `may`: who would act")
    action: Entity | None = Field(None, description="for `may`: the action")
    object: Entity | None = Field(None, description="for `may`: what the action is about")
    subject: Entity | None = Field(None, description="for other questions: the entity asked about")
    version: str = Field("", description="the version of the policy that decided")

    def __bool__(self) -> bool:
        return self.allowed


T = TypeVar("T", Entity, Permission, Delegation)


class Answers(_Explained, Generic[T]):
    """The answers of a list question, sorted; iterable, sized, and ``"name" in answers`` works."""

    question: str = Field(description="the question as resolved")
    answers: tuple[T, ...] = Field((), description="the answers, sorted by id")
    version: str = Field("", description="the version of the policy that answered")
    marks: dict[str, str] = Field(default_factory=dict, description=(
        "answer id -> how it answers when not plainly: `partner` (an organisation that takes part in a "
        "body as a partner), `open class` (a class of members the text names but leaves open)"))

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    def __getitem__(self, index: int) -> T:
        if isinstance(index, bool) or not isinstance(index, (int, slice)):
            raise ArgumentError(f"answers are indexed by position, not by {kind_of(index)}; "
                                "`\"name\" in answers` finds one by id or name")
        return self.answers[index]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return any(item in (a.id, a.name) for a in self.answers)
        return item in self.answers

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """The answers' ids, in order (computed once: apps read them on every request)."""
        return tuple(a.id for a in self.answers)

    @property
    def first(self) -> T | None:
        """The first answer, or None when there is none."""
        return self.answers[0] if self.answers else None
