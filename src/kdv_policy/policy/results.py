"""What the question methods return: pydantic models, JSON-serialisable, with documented fields.

A :class:`Decision` answers a yes/no question (``may``, ``is_consumer``, ``holds``);
:class:`Answers` answers a list question (``who_may``, ``members``, ...). Both carry
an :class:`Explanation`, computed on first access from the policy's model: the proof
when the answer is yes, the why-not when it is no.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

from kdv_policy.errors import ArgumentError
from kdv_policy.policy.arguments import kind_of
from kdv_policy.policy.explain import ProofNode, WhyNot
from kdv_policy.policy.wording import say


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


class OpenQuestion(BaseModel):
    """Something the text leaves open that an answer depends on: whether a body exists for the
    question asked (as of its date, or, without one, whether the body's phase has begun)."""

    model_config = ConfigDict(frozen=True)

    subject: Entity = Field(description="the body whose existence the text leaves open")
    summary: str = Field(description="one sentence: what the text leaves open")
    citation: str | None = Field(default=None, description="the sentence that leaves it open")
    id: str | None = Field(default=None, description="the @id of the rule that finds it open")
    answers: tuple[str, ...] = Field(
        default=(), description="for a list question: the ids of the answers that depend on it")
    proof: ProofNode | None = Field(default=None, description="the proof that the text leaves it open")

    def render(self) -> str:
        """One line: the summary and the cited sentence."""
        return self.summary + (f" — « {self.citation} »" if self.citation else "")


class Interpretation(BaseModel):
    """A named reading the text does not state, declared by the policy (``.interpretation``)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="the interpretation's id, e.g. `vorsitz_handelt_allein`")
    de: str = Field(description="its one-line description in German")
    en: str = Field(description="its one-line description in English")
    rationale: str = Field(description="why the policy reads the text so")
    adopted: bool = Field(description="whether this policy adopts it: its facts and rules take part in "
                                      "answers")
    rules: tuple[str, ...] = Field(default=(), description="the ids of the facts and rules that belong to it")

    def render(self) -> str:
        mark = "adopted" if self.adopted else "not adopted"
        return (f"{self.id} ({mark})\n  de: {self.de}\n  en: {self.en}\n  rationale: {self.rationale}\n"
                f"  rules: {', '.join(self.rules) or '-'}")


class Delegation(BaseModel):
    """One delegation: ``delegator`` passes doing ``action`` with ``object`` to ``delegate``;
    one answer of ``delegations``."""

    model_config = ConfigDict(frozen=True)

    delegator: Entity = Field(description="who delegates")
    delegate: Entity = Field(description="to whom")
    action: Entity = Field(description="what the delegate is to do")
    object: Entity = Field(description="with what")
    task: Entity | None = Field(default=None, description="the task as the text names it, e.g. "
                                                  "`Umsetzung der Strategie`")
    chain: tuple[Entity, ...] = Field(
        default=(), description="the whole chain up to the delegate: the original delegator first, the "
                                "delegate last")
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
    lang: str = Field(default="en", description="the language of the summary and the rendered text: "
                                                "`de` or `en` (ids, atoms and cited sentences do not change)")
    proofs: tuple[ProofNode, ...] = Field(default=(), description="proof trees of what holds")
    why_not: WhyNot | None = Field(default=None, description="for a no: the rules that could have said yes")
    alternatives: tuple[str, ...] = Field(default=(), description="for a no: what holds instead")
    chain: tuple[Entity, ...] = Field(
        default=(), description="for a decision through delegation: delegator first")

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
        """The explanation as text in its language: the summary, then the proof trees or the why-not."""
        parts = [self.summary]
        parts += [proof.render("  ", self.lang) for proof in self.proofs]
        if self.why_not is not None:
            parts.append(self.why_not.render("  ", self.lang))
        if self.alternatives:
            parts.append("  " + say(self.lang, "instead: {alternatives}",
                                    alternatives="; ".join(self.alternatives)))
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.render()


class _Explained(BaseModel):
    """A result whose explanation is computed on first access (and then kept)."""

    model_config = ConfigDict(frozen=True)
    _explain: Callable[[], Explanation] | None = PrivateAttr(default=None)
    # or: computed from the result itself (one callable shared by many results, see `shared_private`)
    _explain_from: Callable[[Any], Explanation] | None = PrivateAttr(default=None)

    @computed_field(description="why the answer is what it is")  # type: ignore[prop-decorator]
    @cached_property
    def explanation(self) -> Explanation:
        private = self.__pydantic_private__ or {}
        explain, explain_from = private.get("_explain"), private.get("_explain_from")
        if explain is not None:
            return explain()
        if explain_from is not None:
            return explain_from(self)
        return Explanation(summary="no explanation available")


class Decision(_Explained):
    """The answer to a yes/no question; ``bool(decision)`` is ``decision.allowed``.

    When the text does not decide the answer for the question's date (``determined`` is
    False), ``allowed`` is False, so an authorisation check denies by default, but the answer
    is no "no": ``status`` is ``"undetermined"`` and ``open_questions`` says what the text
    leaves open, with the sentence.
    """

    question: str = Field(description="the question as resolved, in rule-language syntax")
    allowed: bool = Field(description="whether it holds")
    actor: Entity | None = Field(default=None, description="for `may`: who would act")
    action: Entity | None = Field(default=None, description="for `may`: the action")
    object: Entity | None = Field(default=None, description="for `may`: what the action is about")
    subject: Entity | None = Field(default=None, description="for other questions: the entity asked about")
    version: str = Field(default="", description="the version of the policy that decided")
    interpretations: tuple[str, ...] = Field(
        default=(), description="the adopted interpretations the answer rests on: empty when the text alone "
                        "gives the same answer")
    determined: bool = Field(
        default=True, description="false when the text does not decide the answer for the question's date; "
                                  "`allowed` is then false (deny by default)")
    open_questions: tuple[OpenQuestion, ...] = Field(
        default=(), description="what the text leaves open that the answer depends on: as of a date, why "
                                "it is undetermined; without one, the phase the answer waits for")

    @computed_field(description="allowed, denied or undetermined (by the text, for the question's date)")  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        if not self.determined:
            return "undetermined"
        return "allowed" if self.allowed else "denied"

    def __bool__(self) -> bool:
        return self.allowed


T = TypeVar("T", Entity, Permission, Delegation)


class Answers(_Explained, Generic[T]):
    """The answers of a list question, sorted; iterable, sized, and ``"name" in answers`` works."""

    question: str = Field(description="the question as resolved")
    answers: tuple[T, ...] = Field(default=(), description="the answers, sorted by id")
    version: str = Field(default="", description="the version of the policy that answered")
    undetermined: tuple[T, ...] = Field(
        default=(), description="as of a date: the candidates the text does not decide for that date "
                                "(not in `answers`)")
    open_questions: tuple[OpenQuestion, ...] = Field(
        default=(), description="what the text leaves open that some answers (or undetermined candidates) "
                        "depend on, each naming them")
    interpretations: tuple[str, ...] = Field(
        default=(), description="the adopted interpretations the answers rest on, in total: empty when "
                                "the text alone gives the same answers")
    answer_interpretations: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="by answer id: the adopted interpretations that answer rests on "
                                          "(only answers the text alone does not give)")
    marks: dict[str, str] = Field(default_factory=dict, description=(
        "answer id -> how it answers when not plainly: `partner` (an organisation that takes part in a "
        "body as a partner), `open class` (a class of members the text names but leaves open)"))

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
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


_new = object.__new__
# the setters of the slots every pydantic model has (what BaseModel.model_construct sets, called directly)
_slots = BaseModel.__dict__
_set_dict = _slots["__dict__"].__set__
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__


SETTERS = (_new, _set_dict, _set_fields_set, _set_extra, _set_private)
"""``object.__new__`` and the setters of the slots every pydantic model has, for the hot
questions, which build a result from values the policy has already checked (entities it made,
booleans, ids) without validating them again: what ``BaseModel.model_construct`` does, inline.
A result asked for the first time is one dict of values (every field, defaults included) and
four slot assignments; it shares its fields set and private dict with the results of the same
question kind (frozen models never change them; a copy copies them).
``tests/test_first_questions.py`` checks that these results equal the validated ones."""


def shared_private(explain: Callable[[], Explanation] | None = None,
                   explain_from: Callable[[Any], Explanation] | None = None) -> dict[str, object]:
    """The private attributes of results made by :data:`SETTERS`: an explanation callable of
    its own, or one that computes the explanation from the result (shared by many results)."""
    return {"_explain": explain, "_explain_from": explain_from}


_ENTITY_SET = {"id", "name", "kind"}


def entity(id: str, name: str, kind: str) -> Entity:
    """``Entity(id=id, name=name, kind=kind)`` for plain strings the policy's data already
    validated, without validating them again (the name index makes one per entity). Entities
    are frozen: they share one fields set (a copy copies it), so that a policy's many entities
    are one object each for the cyclic collector to visit (their dicts hold strings only)."""
    model = _new(Entity)
    _set_dict(model, {"id": id, "name": name, "kind": kind})
    _set_fields_set(model, _ENTITY_SET)
    _set_extra(model, None)
    _set_private(model, None)
    return model
