"""What the question methods return: frozen records, JSON-serialisable, with documented fields.

A :class:`Decision` answers a yes/no question (``may``, ``is_consumer``, ``holds``);
:class:`Answers` answers a list question (``who_may``, ``members``, ...). Both carry
an :class:`Explanation`, computed on first access from the policy's model: the proof
when the answer is yes, the why-not when it is no.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Generic, TypeVar, overload

from kdv_policy.errors import ArgumentError
from kdv_policy.policy.arguments import kind_of
from kdv_policy.policy.explain import ProofNode, WhyNot
from kdv_policy.policy.record import Record, doc, set_values
from kdv_policy.policy.wording import say


@dataclass(frozen=True, kw_only=True)
class Entity(Record):
    """A named thing of the policy: a body, role, person, unit, action, object or plain constant."""

    id: str = field(metadata=doc("the constant that stands for it in the rules, e.g. `steuerungsausschuss`"))
    name: str = field(metadata=doc("its official name, e.g. `Steuerungsausschuss`"))
    kind: str = field(metadata=doc("body, role, person, unit, action, object, or constant (no data entry)"))

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, kw_only=True)
class Permission(Record):
    """An (action, object) pair an actor may: one answer of ``what_may``."""

    action: Entity
    object: Entity

    @property
    def id(self) -> str:
        return f"{self.action.id} {self.object.id}"

    @property
    def name(self) -> str:
        return f"{self.action.name} {self.object.name}"


@dataclass(frozen=True, kw_only=True)
class OpenQuestion(Record):
    """Something the text leaves open that an answer depends on: whether a body exists for the
    question asked (as of its date, or, without one, whether the body's phase has begun)."""

    subject: Entity = field(metadata=doc("the body whose existence the text leaves open"))
    summary: str = field(metadata=doc("one sentence: what the text leaves open"))
    citation: str | None = field(default=None, metadata=doc("the sentence that leaves it open"))
    id: str | None = field(default=None, metadata=doc("the @id of the rule that finds it open"))
    answers: tuple[str, ...] = field(default=(), metadata=doc(
        "for a list question: the ids of the answers that depend on it"))
    proof: ProofNode | None = field(default=None, metadata=doc("the proof that the text leaves it open"))

    def render(self) -> str:
        """One line: the summary and the cited sentence."""
        return self.summary + (f" — « {self.citation} »" if self.citation else "")


@dataclass(frozen=True, kw_only=True)
class Interpretation(Record):
    """A named reading the text does not state, declared by the policy (``.interpretation``)."""

    id: str = field(metadata=doc("the interpretation's id, e.g. `vorsitz_handelt_allein`"))
    de: str = field(metadata=doc("its one-line description in German"))
    en: str = field(metadata=doc("its one-line description in English"))
    rationale: str = field(metadata=doc("why the policy reads the text so"))
    adopted: bool = field(metadata=doc(
        "whether this policy adopts it: its facts and rules take part in answers"))
    rules: tuple[str, ...] = field(default=(), metadata=doc(
        "the ids of the facts and rules that belong to it"))

    def render(self) -> str:
        mark = "adopted" if self.adopted else "not adopted"
        return (f"{self.id} ({mark})\n  de: {self.de}\n  en: {self.en}\n  rationale: {self.rationale}\n"
                f"  rules: {', '.join(self.rules) or '-'}")


@dataclass(frozen=True, kw_only=True)
class Delegation(Record):
    """One delegation: ``delegator`` passes doing ``action`` with ``object`` to ``delegate``;
    one answer of ``delegations``."""

    delegator: Entity = field(metadata=doc("who delegates"))
    delegate: Entity = field(metadata=doc("to whom"))
    action: Entity = field(metadata=doc("what the delegate is to do"))
    object: Entity = field(metadata=doc("with what"))
    task: Entity | None = field(default=None, metadata=doc(
        "the task as the text names it, e.g. `Umsetzung der Strategie`"))
    chain: tuple[Entity, ...] = field(default=(), metadata=doc(
        "the whole chain up to the delegate: the original delegator first, the delegate last"))
    effective: bool = field(metadata=doc(
        "whether the delegate may do it through this delegation (the delegator may delegate it or do it, "
        "and the delegate is active)"))

    @property
    def id(self) -> str:
        return f"{self.delegator.id} {self.delegate.id} {self.action.id} {self.object.id}"

    @property
    def name(self) -> str:
        what = self.task.name if self.task is not None else f"{self.action.name} {self.object.name}"
        return f"{' → '.join(e.name for e in self.chain)}: {what}"


@dataclass(frozen=True, kw_only=True)
class Explanation(Record):
    """Why an answer is what it is.

    For a yes: ``proofs``, one proof tree per answer, down to stated facts, each node with
    its rule or fact id, the instantiated atom and the cited sentence. For a no:
    ``why_not``, each rule that could have given the answer and the first condition that
    failed, and ``alternatives``: what does hold instead (who holds the competence, what
    the actor may do with the object).
    """

    summary: str = field(metadata=doc("one or two sentences, with official names"))
    lang: str = field(default="en", metadata=doc(
        "the language of the summary and the rendered text: `de` or `en` (ids, atoms and cited sentences "
        "do not change)"))
    proofs: tuple[ProofNode, ...] = field(default=(), metadata=doc("proof trees of what holds"))
    why_not: WhyNot | None = field(default=None, metadata=doc("for a no: the rules that could have said yes"))
    alternatives: tuple[str, ...] = field(default=(), metadata=doc("for a no: what holds instead"))
    chain: tuple[Entity, ...] = field(default=(), metadata=doc(
        "for a decision through delegation: delegator first"))

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


class _Explained(Record):
    """A result whose explanation is computed on first access (and then kept).

    What computes it is kept in the result's ``__dict__`` beside the fields, out of equality and
    of dumps: under ``_explain`` a callable of its own, or under ``_explain_from`` one that
    computes the explanation from the result (one callable shared by many results).
    """

    _computed: ClassVar[tuple[str, ...]] = ("explanation",)

    @cached_property
    def explanation(self) -> Explanation:
        """Why the answer is what it is."""
        values = self.__dict__
        explain = values.get("_explain")
        if explain is not None:
            return explain()
        explain_from = values.get("_explain_from")
        if explain_from is not None:
            return explain_from(self)
        return Explanation(summary="no explanation available")

    def _explained_by(self, explain: Callable[[], Explanation]) -> None:
        """Compute the explanation with ``explain`` when it is first read."""
        self.__dict__["_explain"] = explain


@dataclass(frozen=True, kw_only=True)
class Decision(_Explained):
    """The answer to a yes/no question; ``bool(decision)`` is ``decision.allowed``.

    When the text does not decide the answer for the question's date (``determined`` is
    False), ``allowed`` is False, so an authorisation check denies by default, but the answer
    is no "no": ``status`` is ``"undetermined"`` and ``open_questions`` says what the text
    leaves open, with the sentence.
    """

    question: str = field(metadata=doc("the question as resolved, in rule-language syntax"))
    allowed: bool = field(metadata=doc("whether it holds"))
    actor: Entity | None = field(default=None, metadata=doc("for `may`: who would act"))
    action: Entity | None = field(default=None, metadata=doc("for `may`: the action"))
    object: Entity | None = field(default=None, metadata=doc("for `may`: what the action is about"))
    subject: Entity | None = field(default=None, metadata=doc("for other questions: the entity asked about"))
    version: str = field(default="", metadata=doc("the version of the policy that decided"))
    interpretations: tuple[str, ...] = field(default=(), metadata=doc(
        "the adopted interpretations the answer rests on: empty when the text alone gives the same answer"))
    determined: bool = field(default=True, metadata=doc(
        "false when the text does not decide the answer for the question's date; `allowed` is then false "
        "(deny by default)"))
    open_questions: tuple[OpenQuestion, ...] = field(default=(), metadata=doc(
        "what the text leaves open that the answer depends on: as of a date, why it is undetermined; "
        "without one, the phase the answer waits for"))

    _computed: ClassVar[tuple[str, ...]] = ("explanation", "status")

    @property
    def status(self) -> str:
        """Allowed, denied or undetermined (by the text, for the question's date)."""
        if not self.determined:
            return "undetermined"
        return "allowed" if self.allowed else "denied"

    def __bool__(self) -> bool:
        return self.allowed


T = TypeVar("T", Entity, Permission, Delegation)


@dataclass(frozen=True, kw_only=True)
class Answers(_Explained, Generic[T]):
    """The answers of a list question, sorted; iterable, sized, and ``"name" in answers`` works."""

    question: str = field(metadata=doc("the question as resolved"))
    answers: tuple[T, ...] = field(default=(), metadata=doc("the answers, sorted by id"))
    version: str = field(default="", metadata=doc("the version of the policy that answered"))
    undetermined: tuple[T, ...] = field(default=(), metadata=doc(
        "as of a date: the candidates the text does not decide for that date (not in `answers`)"))
    open_questions: tuple[OpenQuestion, ...] = field(default=(), metadata=doc(
        "what the text leaves open that some answers (or undetermined candidates) depend on, each naming "
        "them"))
    interpretations: tuple[str, ...] = field(default=(), metadata=doc(
        "the adopted interpretations the answers rest on, in total: empty when the text alone gives the "
        "same answers"))
    answer_interpretations: dict[str, tuple[str, ...]] = field(default_factory=dict, metadata=doc(
        "by answer id: the adopted interpretations that answer rests on (only answers the text alone does "
        "not give)"))
    marks: dict[str, str] = field(default_factory=dict, metadata=doc(
        "answer id -> how it answers when not plainly: `partner` (an organisation that takes part in a "
        "body as a partner), `open class` (a class of members the text names but leaves open)"))

    def __iter__(self) -> Iterator[T]:
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


SETTERS = (_new, set_values)
"""``object.__new__`` and the setter of a record's ``__dict__``, for the hot questions, which
build a result from values the policy has already checked (entities it made, booleans, ids)
without the dataclass's ``__init__``: a result asked for the first time is ``object.__new__``
and one dict of values: every field, defaults included, and what computes its explanation
(``_explain`` or ``_explain_from``, see :class:`_Explained`; for a list, the value of the cached
property ``ids`` as well). ``tests/test_first_questions.py`` checks that these results equal
those built by ``__init__``."""


def entity(id: str, name: str, kind: str) -> Entity:
    """``Entity(id=id, name=name, kind=kind)`` for plain strings the policy's data already
    checked, without the dataclass's ``__init__`` (the name index makes one per entity)."""
    made = _new(Entity)
    set_values(made, {"id": id, "name": name, "kind": kind})
    return made
