"""The command line's questions: ``may Regierungsrat approve Strategie`` → an API call.

A question is a few words, split as a shell splits them (``shlex``)::

    may ACTOR ACTION OBJECT           Policy.may
    who may ACTION OBJECT             Policy.who_may
    what may ACTOR                    Policy.what_may
    who serves UNIT                   Policy.who_serves
    members of BODY                   Policy.members
    chair of BODY | who chairs BODY   Policy.chair
    who is responsible for UNIT       Policy.responsible_for
    is UNIT a consumer | is consumer UNIT      Policy.is_consumer
    delegations [of OBJECT]           Policy.delegations
    who delegated OBJECT              Policy.delegations

Anything else that looks like Datalog (``member(steuerungsausschuss, X)``) is an ad-hoc
query for :meth:`Policy.ask`. Names are resolved by the API (ids, official names,
abbreviations, any case, umlauts or ae/oe/ue). A name of several words may be quoted
(``"Departementschef DIV"``) or not: unquoted, the words are split so that every part
names something, preferring the longest actor (then the longest action). A word with a
space in it (a quoted argument) is always one name.

:func:`parse` turns a text into a :class:`Query`; :meth:`Query.ask` asks a policy and
returns a :class:`Reply`, which renders itself as text (:meth:`Reply.text`) or as the JSON
object of docs/cli.md (:meth:`Reply.json`).
"""

from __future__ import annotations

import datetime
import itertools
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from kdv_policy.errors import PolicyError
from kdv_policy.language.parser import parse_query
from kdv_policy.language.printer import format_atom, format_value
from kdv_policy.language.syntax import Atom, Constant, Variable
from kdv_policy.policy.api import ACTOR_KINDS, Policy
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
from kdv_policy.policy.results import (
    Answers,
    Decision,
    Delegation,
    Entity,
    Explanation,
    OpenQuestion,
    Permission,
)
from kdv_policy.policy.wording import N_, say, words

KEYWORDS = ("may", "who", "what", "members", "chair", "is", "delegations")
"""The words a question starts with; any other text is a Datalog query."""

ACTION_KINDS = ("action", "constant")
OBJECT_KINDS = ("object", "constant")

FORMS = (
    "may ACTOR ACTION OBJECT",
    "who may ACTION OBJECT",
    "what may ACTOR",
    "who serves UNIT",
    "members of BODY",
    "chair of BODY",
    "who is responsible for UNIT",
    "is UNIT a consumer",
    "delegations of OBJECT",
    "who delegated OBJECT",
    "a Datalog query such as member(steuerungsausschuss, X)",
)
"""The question forms, as error messages and ``--help`` list them."""

_CONSUMER = ("consumer", "leistungsbezueger", "leistungsbezüger")
_DATALOG_START = re.compile(r"\s*[^\W\d]\w*\s*\(")
_IDENTIFIER = re.compile(r"\s*[^\W\d]\w*\s*\Z")
_FIRST_WORD = re.compile(r"\s*([^\s\"']+)")


class QuestionError(PolicyError):
    """A text that is no question form, or whose quotes do not close."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(message)
        self.query = query


# -- parsing --------------------------------------------------------------------------------------


def is_keyword(word: str) -> bool:
    """Is ``word`` (a whole command-line argument) a bare question keyword such as ``may``?"""
    return word.casefold() in KEYWORDS


def is_question(text: str) -> bool:
    """Does ``text`` start with a question keyword (rather than being Datalog)?"""
    if _DATALOG_START.match(text):
        return False
    first = _FIRST_WORD.match(text)
    return first is not None and is_keyword(first.group(1))


def parse(text: str) -> Query:
    """The query a text states: a question form, or Datalog for :meth:`Policy.ask`.

    Raises :class:`QuestionError` for a text that starts with a keyword but is no question
    form, for unbalanced quotes, and for several words that are neither a question nor
    Datalog. A Datalog syntax error is raised when the query is asked, with a caret.
    """
    text = text.strip()
    if is_question(text):
        try:
            tokens = shlex.split(text)
        except ValueError as err:
            raise QuestionError(f"cannot split `{text}` into words: {err} (a quote is not closed)",
                                text) from None
        return parse_words(tokens, text)
    if "(" in text or _IDENTIFIER.match(text):
        return Datalog(text)
    raise _unknown_form(text)


def parse_words(words: Sequence[str], text: str | None = None) -> Query:
    """The question the words state (``["may", "Regierungsrat", "approve", "Strategie"]``).

    A word containing a space is one name, as if quoted. ``text`` is the question as the
    user wrote it (default: the words, quoted where needed).
    """
    words = [w for w in words if w.strip()]
    text = text if text is not None else quote(words)
    if words and words[-1].endswith("?"):  # "who may approve Strategie?"
        words[-1] = words[-1].rstrip("?")
        words = [w for w in words if w.strip()]
    low = [w.casefold() for w in words]

    def rest(start: int, *skip: str) -> tuple[str, ...]:
        tail = list(words[start:])
        if tail and skip and tail[0].casefold() in skip:
            tail = tail[1:]
        return tuple(tail)

    def need(question: Query, *counts: int) -> Query:
        if any(len(names) < n for names, n in zip(question.parts(), counts, strict=True)):
            raise _unknown_form(text, f"`{text}` is incomplete")
        return question

    head = low[0] if low else ""
    second = low[1] if len(low) > 1 else ""
    if head == "may":
        return need(May(text, rest(1)), 3)
    if head == "who" and second == "may":
        return need(WhoMay(text, rest(2)), 2)
    if head == "what" and second == "may":
        names = rest(2)
        if len(names) > 1 and names[-1].casefold() == "do":
            names = names[:-1]
        return need(WhatMay(text, names), 1)
    if head == "who" and second == "serves":
        return need(ListQuestion(text, "who_serves", rest(2)), 1)
    if head == "who" and second == "chairs":
        return need(ListQuestion(text, "chair", rest(2)), 1)
    if head == "who" and low[1:3] == ["is", "responsible"]:
        return need(ListQuestion(text, "responsible_for", rest(3, "for")), 1)
    if head == "members":
        return need(ListQuestion(text, "members", rest(1, "of", "in")), 1)
    if head == "chair":
        return need(ListQuestion(text, "chair", rest(1, "of")), 1)
    if head == "delegations":
        return Delegations(text, rest(1, "of"))
    if head == "who" and second in ("delegated", "delegates"):
        return need(Delegations(text, rest(2)), 1)
    if head == "is" and second in _CONSUMER:
        return need(IsConsumer(text, rest(2, "of")), 1)
    if head == "is" and low[-1:] and low[-1] in _CONSUMER:
        unit = words[1:-1]
        if unit and unit[-1].casefold() in ("a", "an"):
            unit = unit[:-1]
        return need(IsConsumer(text, tuple(unit)), 1)
    raise _unknown_form(text)


def quote(words: Sequence[str]) -> str:
    """The words as one line, a word with spaces or quotes in double quotes."""
    out = []
    for w in words:
        if not w or re.search(r"[\s\"'\\]", w):
            out.append('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            out.append(w)
    return " ".join(out)


def _unknown_form(text: str, what: str | None = None) -> QuestionError:
    forms = "\n".join(f"  {f}" for f in FORMS)
    return QuestionError(f"{what or f'unknown question form: `{text}`'}; ask one of:\n{forms}", text)


# -- splitting words into names -----------------------------------------------------------------------


def split_names(policy: Policy, words: Sequence[str], kinds: Sequence[Sequence[str]]) -> list[str]:
    """Split ``words`` into ``len(kinds)`` names, each naming an entity of its kinds.

    Every split into contiguous, non-empty parts is tried, the longest first part first
    (then the longest second): the first split whose every part resolves wins. When none
    does, the split with the most parts that name something (or name several things) is
    returned, so that asking with it raises the error about the part that does not. A word
    containing a space (a quoted name) is never joined with another.
    """
    n, k = len(words), len(kinds)
    if k == 1 or n == k:
        return _joined(words, [n // k] * k if n == k else [n])
    known: dict[tuple[int, int, int], int] = {}

    def status(start: int, end: int, which: int) -> int:
        """2: resolves, 1: ambiguous, 0: unknown."""
        key = (start, end, which)
        if key not in known:
            part = words[start:end]
            if len(part) > 1 and any(re.search(r"\s", w) for w in part):
                known[key] = 0
            else:
                try:
                    policy.resolve(" ".join(part), kinds[which])
                    known[key] = 2
                except AmbiguousNameError:
                    known[key] = 1
                except UnknownNameError:
                    known[key] = 0
        return known[key]

    splits = []
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        lengths = [bounds[i + 1] - bounds[i] for i in range(k)]
        states = [status(bounds[i], bounds[i + 1], i) for i in range(k)]
        splits.append((lengths, states))
    by_preference = sorted(splits, key=lambda s: [-length for length in s[0]])
    for lengths, states in by_preference:
        if all(s == 2 for s in states):
            return _joined(words, lengths)
    lengths, _ = max(by_preference, key=lambda s: sum(1 for state in s[1] if state))  # first of the best
    return _joined(words, lengths)


def _joined(words: Sequence[str], lengths: Sequence[int]) -> list[str]:
    out, at = [], 0
    for length in lengths:
        out.append(" ".join(words[at:at + length]))
        at += length
    return out


# -- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A parsed query: ``text`` as the user wrote it; :meth:`ask` asks a policy."""

    text: str

    kind = "query"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        """The words of each name slot of the question (for checking completeness)."""
        return ()

    def ask(self, policy: Policy) -> Reply:
        raise NotImplementedError

    def explanation(self, policy: Policy) -> Explanation:
        """The full explanation of the answer (the proof tree or the why-not)."""
        explanation = self.ask(policy).explanation
        assert explanation is not None
        return explanation


@dataclass(frozen=True)
class May(Query):
    """``may ACTOR ACTION OBJECT``."""

    words: tuple[str, ...] = ()
    kind = "may"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def ask(self, policy: Policy) -> Reply:
        actor, action, obj = split_names(policy, self.words, (ACTOR_KINDS, ACTION_KINDS, OBJECT_KINDS))
        return DecisionReply(self, policy.may(actor, action, obj))


@dataclass(frozen=True)
class IsConsumer(Query):
    """``is UNIT a consumer``, ``is consumer UNIT``."""

    words: tuple[str, ...] = ()
    kind = "is_consumer"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def ask(self, policy: Policy) -> Reply:
        return DecisionReply(self, policy.is_consumer(" ".join(self.words)))


@dataclass(frozen=True)
class WhoMay(Query):
    """``who may ACTION OBJECT``."""

    words: tuple[str, ...] = ()
    kind = "who_may"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def ask(self, policy: Policy) -> Reply:
        action, obj = split_names(policy, self.words, (ACTION_KINDS, OBJECT_KINDS))
        return ListReply(self, policy.who_may(action, obj), lambda args: str(args[0]))


@dataclass(frozen=True)
class WhatMay(Query):
    """``what may ACTOR``."""

    words: tuple[str, ...] = ()
    kind = "what_may"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def ask(self, policy: Policy) -> Reply:
        return ListReply(self, policy.what_may(" ".join(self.words)),
                         lambda args: f"{args[1]} {args[2]}" if len(args) == 3 else "")


_LISTS: dict[str, tuple[Callable[[Policy], Callable[[str], Answers]], int]] = {
    "who_serves": (lambda p: p.who_serves, 0),
    "members": (lambda p: p.members, 1),
    "chair": (lambda p: p.chair, 1),
    "responsible_for": (lambda p: p.responsible_for, 0),
}


@dataclass(frozen=True)
class ListQuestion(Query):
    """``who serves UNIT``, ``members of BODY``, ``chair of BODY``, ``who is responsible for UNIT``."""

    question: str = "members"
    words: tuple[str, ...] = ()

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.question

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def ask(self, policy: Policy) -> Reply:
        method, position = _LISTS[self.question]
        return ListReply(self, method(policy)(" ".join(self.words)), lambda args: str(args[position]))


@dataclass(frozen=True)
class Delegations(Query):
    """``delegations``, ``delegations of OBJECT``, ``who delegated OBJECT``: who delegated what to whom."""

    words: tuple[str, ...] = ()
    kind = "delegations"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def ask(self, policy: Policy) -> Reply:
        answers = policy.delegations(" ".join(self.words) if self.words else None)
        return DelegationsReply(self, answers, str)


@dataclass(frozen=True)
class Datalog(Query):
    """An ad-hoc Datalog query for :meth:`Policy.ask`."""

    kind = "datalog"

    def ask(self, policy: Policy) -> Reply:
        return DatalogReply(self, policy.ask(self.text), policy)

    def explanation(self, policy: Policy) -> Explanation:
        """The proof (or why-not) of a ground atom: ``member(steuerungsausschuss, staatsschreiber)``."""
        return policy.explain(self.text)


# -- replies --------------------------------------------------------------------------------------


class Style:
    """Terminal styling: bold headlines, green yes, red no; plain when ``enabled`` is false."""

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def yes(self, text: str) -> str:
        return self._wrap("1;32", text)

    def no(self, text: str) -> str:
        return self._wrap("1;31", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


PLAIN = Style(False)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


@overload
def entity_json(entity: Entity) -> dict[str, str]: ...
@overload
def entity_json(entity: None) -> None: ...
@overload
def entity_json(entity: Entity | None) -> dict[str, str] | None: ...
def entity_json(entity: Entity | None) -> dict[str, str] | None:
    return None if entity is None else {"id": entity.id, "name": entity.name, "kind": entity.kind}


@dataclass
class Reply:
    """The answer to a query, ready to print."""

    query: Query

    @property
    def denied(self) -> bool:
        """A yes/no question answered no (what ``--fail-on-deny`` fails on)."""
        return False

    @property
    def explanation(self) -> Explanation | None:
        return None

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        raise NotImplementedError

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def _head(self, style: Style, answer: str) -> str:
        return f"{style.bold(self.query.text)}: {answer}"


@dataclass
class DecisionReply(Reply):
    """A yes/no answer: ``may`` or ``is ... a consumer``."""

    decision: Decision

    @property
    def denied(self) -> bool:
        return not self.decision.allowed

    @property
    def explanation(self) -> Explanation:
        return self.decision.explanation

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        lang = self.explanation.lang
        if not self.decision.determined:
            answer = style.no(words(lang, "undetermined by the text"))
        else:
            answer = style.yes(words(lang, "yes")) if self.decision.allowed else style.no(words(lang, "no"))
        why = self.explanation.render() if explain else self.explanation.summary
        return self._head(style, answer) + "\n" + _indent(why)

    def json(self) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {"query": self.query.text, "kind": self.query.kind, "allowed": d.allowed}
        if self.query.kind == "may":
            out.update(actor=entity_json(d.actor), action=entity_json(d.action), object=entity_json(d.object))
        else:
            out["unit"] = entity_json(d.subject)
        out["resolved"] = d.question
        out.update(status=d.status, determined=d.determined, open_questions=_open_json(d.open_questions))
        out["interpretations"] = list(d.interpretations)
        out["explanation"] = self.explanation.model_dump(mode="json")
        return out


@dataclass
class ListReply(Reply):
    """The answers of a list question, each with the rule that gives it."""

    answers: Answers
    key_of_proof: Callable[[tuple], str]
    """The answer a proof gives, as the key :meth:`rule_of` maps: from the proof's atom's arguments."""

    @property
    def explanation(self) -> Explanation:
        return self.answers.explanation

    def rule_of(self) -> dict[str, str]:
        """Answer key (an id, or ``action object`` for what may) → the id of the rule that gives it."""
        return {self.key_of_proof(p.args): p.id or "" for p in self.explanation.proofs}

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        n, lang = len(self.answers), self.explanation.lang
        counted = words(lang, "1 answer") if n == 1 else say(lang, "{n} answers", n=str(n))
        lines = [self._head(style, counted if n else style.no(words(lang, "none")))]
        if explain:
            lines.append(_indent(self.explanation.render()))
            return "\n".join(lines)
        rules = self.rule_of()
        for a in self.answers:
            if isinstance(a, Permission):
                label, key = f"{a.action.id} {a.object.name}", f"{a.action.id} {a.object.id}"
            elif isinstance(a, Delegation):
                what = f"{a.action.id} {a.object.name}" + (f" ({a.task.name})" if a.task is not None else "")
                label = f"{' → '.join(e.name for e in a.chain)}: {what}" + ("" if a.effective else
                                                                             "   (passes nothing on)")
                key = a.id
            else:
                label = a.name if a.name == a.id else f"{a.name} ({a.id})"
                key = a.id
                mark = self.answers.marks.get(a.id)
                if mark is not None:
                    label += f" — {words(lang, _MARKS.get(mark, mark))}"
            rule = rules.get(key)
            lines.append(f"  {label}" + (style.dim(f"   [{rule}]") if rule else ""))
        if not n:
            lines.append(_indent(self.explanation.summary))
        lines += self._open_lines(style, lang)
        return "\n".join(lines)

    def _open_lines(self, style: Style, lang: str = "en") -> list[str]:
        """The candidates the text does not decide for the date, and what it leaves open."""
        lines = []
        if self.answers.undetermined:
            names = ", ".join(a.name for a in self.answers.undetermined)
            lines.append(f"  {style.no(words(lang, 'undetermined by the text'))}: {names}")
        for q in self.answers.open_questions:
            lines.append("  " + say(lang, "open: {question}", question=q.render())
                         + (f" [{', '.join(q.answers)}]" if q.answers else ""))
        return lines

    def json(self) -> dict[str, Any]:
        answers: list[dict[str, Any]] = []
        for a in self.answers:
            if isinstance(a, Permission):
                answers.append({"id": a.id, "name": a.name, "action": entity_json(a.action),
                                "object": entity_json(a.object)})
            elif isinstance(a, Delegation):
                answers.append({"id": a.id, "name": a.name, "delegator": entity_json(a.delegator),
                                "delegate": entity_json(a.delegate), "action": entity_json(a.action),
                                "object": entity_json(a.object), "task": entity_json(a.task),
                                "chain": [entity_json(e) for e in a.chain], "effective": a.effective})
            else:
                entity = entity_json(a)
                mark = self.answers.marks.get(a.id)
                answers.append(entity if mark is None else {**entity, "mark": mark})
            resting = self.answers.answer_interpretations.get(answers[-1]["id"])
            if resting:
                answers[-1]["interpretations"] = list(resting)
        undetermined = [{"id": a.id, "name": a.name} if isinstance(a, Permission) else entity_json(a)
                        for a in self.answers.undetermined]
        return {"query": self.query.text, "kind": self.query.kind, "answers": answers,
                "undetermined": undetermined, "open_questions": _open_json(self.answers.open_questions),
                "resolved": self.answers.question, "interpretations": list(self.answers.interpretations),
                "explanation": self.explanation.model_dump(mode="json")}


def _open_json(questions: Sequence[OpenQuestion]) -> list[dict[str, Any]]:
    """What the text leaves open, for JSON output (the proofs are in the explanation)."""
    return [{"subject": entity_json(q.subject), "summary": q.summary, "citation": q.citation, "id": q.id,
             "answers": list(q.answers)} for q in questions]


@dataclass
class DelegationsReply(ListReply):
    """The delegations, each with the rule of its proof: the delegation step, or the stated delegation."""

    def rule_of(self) -> dict[str, str]:
        rules = {}
        for p in self.explanation.proofs:
            a = [str(v) for v in p.args]
            key = " ".join([a[1], a[0], *a[2:]] if p.predicate == "delegated_may" else a)
            rules[key] = p.id or ""
        return rules


_MARKS = {"partner": N_("partner"), "open class": N_("further members the text leaves open")}
"""How a list shows a marked answer (Answers.marks)."""


def json_value(value: Any) -> Any:
    """A value of the rule language as JSON: dates as ISO strings."""
    return value.isoformat() if isinstance(value, datetime.date) else value


@dataclass
class DatalogReply(Reply):
    """The answers of an ad-hoc Datalog query: one dict of variable values per answer."""

    rows: tuple[dict[str, Any], ...]
    policy: Policy

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        rows = self.rows
        if not rows:
            head = self._head(style, style.no("no"))
        elif rows == ({},):
            head = self._head(style, style.yes("yes"))
        else:
            head = self._head(style, f"{len(rows)} answer{'s' if len(rows) != 1 else ''}")
        lines = [head]
        grounded = self._grounded() if explain else []
        for i, row in enumerate(rows):
            if row:
                lines.append("  " + ", ".join(f"{k} = {format_value(v)}" for k, v in row.items()))
            ground = grounded[i] if explain else None
            if ground is not None:
                lines.append(_indent(self.policy.explain(ground).render(), "    " if row else "  "))
        if explain and not rows:
            ground = self._grounded_text()
            if ground is not None:
                lines.append(_indent(self.policy.explain(ground).render()))
        return "\n".join(lines)

    def _atom(self) -> Atom | None:
        query = parse_query(self.query.text)
        if len(query.body) == 1 and isinstance(query.body[0], Atom):
            return query.body[0]
        return None

    def _grounded_text(self) -> str | None:
        atom = self._atom()
        if atom is not None and all(isinstance(t, Constant) for t in atom.args):
            return format_atom(atom)
        return None

    def _grounded(self) -> list[str | None]:
        """Each answer as the ground atom it makes true, when the query is a single atom whose
        variables are all named (so each answer fixes every argument)."""
        atom = self._atom()
        out: list[str | None] = []
        for row in self.rows:
            if atom is None or any(isinstance(t, Variable) and t.name not in row for t in atom.args):
                out.append(None)
                continue
            args = tuple(Constant(row[t.name]) if isinstance(t, Variable) else t for t in atom.args)
            out.append(format_atom(Atom(atom.predicate, args)))
        return out

    def json(self) -> dict[str, Any]:
        return {"query": self.query.text, "kind": "datalog",
                "answers": [{k: json_value(v) for k, v in row.items()} for row in self.rows]}


def error_json(text: str, err: PolicyError) -> dict[str, Any]:
    """The JSON line for a query that could not be answered."""
    if isinstance(err, UnknownNameError):
        detail: dict[str, Any] = {"type": "unknown-name", "name": err.name,
                                  "suggestions": [entity_json(e) for e in err.suggestions]}
    elif isinstance(err, AmbiguousNameError):
        detail = {"type": "ambiguous-name", "name": err.name,
                  "candidates": [entity_json(e) for e in err.candidates]}
    elif isinstance(err, QuestionError):
        detail = {"type": "unknown-form"}
    elif err.diagnostics and err.diagnostics[0].code == "syntax":
        span = err.diagnostics[0].span
        detail = {"type": "syntax", "line": span.line if span else None, "col": span.col if span else None}
    else:
        detail = {"type": "query"}
    return {"query": text, "error": {**detail, "message": str(err)}}
