"""Proofs and why-nots: why a fact holds, or why it does not, down to cited facts.

A proof is built from the computed model, not by re-running the engine: each row
of the model carries the evaluation step that first derived it, and a rule node's
premises are looked up among rows of earlier steps only, so every proof is finite
and well-founded, also through recursion and delegation cycles.

Every node names the fact or rule (id, citation, file:line) and the instantiated
atom; rule nodes carry the variable bindings, so :func:`verify` can re-check
each step against the program and the model on its own.
"""

from __future__ import annotations

import copy
import datetime
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from kdv_policy.language.printer import format_atom, format_literal, format_value
from kdv_policy.language.program import Program
from kdv_policy.language.source import Span
from kdv_policy.language.syntax import (
    Atom,
    Basis,
    Clause,
    Comparison,
    Constant,
    Negation,
    Term,
    Value,
    Variable,
    ground_values,
)
from kdv_policy.language.syntax import Literal as BodyLiteral
from kdv_policy.language.syntax import literal_variables as literal_vars
from kdv_policy.policy import arguments as check
from kdv_policy.policy.record import Record, doc
from kdv_policy.policy.wording import phrase, say

JsonValue = str | int | datetime.date

_ORDER = {int: 0, datetime.date: 1, str: 2}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {  # compare() passes two values of one type
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge,
}


def compare(op: str, left: Value, right: Value) -> bool:
    """The rule language's comparison: by value within a type; int < date < str across types."""
    lt, rt = _ORDER[type(left)], _ORDER[type(right)]
    if lt != rt:
        return _COMPARE[op](lt, rt)
    return _COMPARE[op](left, right)


@dataclass(frozen=True, kw_only=True)
class ProofNode(Record):
    """One step of a proof: a stated fact, a rule applied, a negation or a comparison that holds."""

    kind: Literal["fact", "data", "rule", "negation", "comparison", "request"] = field(metadata=doc(
        "fact: stated in a rule file; data: stated by a data file; rule: derived; negation: a `not` that "
        "holds; comparison: a comparison that holds; request: a row of an input relation, from the "
        "request (Policy.with_input)"))
    atom: str = field(metadata=doc("the instantiated atom or literal, in rule-language syntax"))
    predicate: str | None = field(default=None, metadata=doc("the predicate of the atom"))
    args: tuple[JsonValue, ...] = field(default=(), metadata=doc("the values of the atom"))
    id: str | None = field(default=None, metadata=doc("the @id of the fact or rule"))
    citation: str | None = field(default=None, metadata=doc("the cited sentence of the governance text"))
    basis: Literal["text", "structure", "interpretation"] | None = field(default=None, metadata=doc(
        "what the step rests on: text (it cites a sentence), structure (it composes other steps) or "
        "interpretation (a reading the text does not state)"))
    interpretation: str | None = field(default=None, metadata=doc(
        "for basis interpretation: the interpretation's id"))
    note: str | None = field(default=None, metadata=doc(
        "for basis structure: how the rule composes others; for basis interpretation: the "
        "interpretation's description"))
    location: str | None = field(default=None, metadata=doc("file:line of the fact, rule or data entry"))
    bindings: dict[str, JsonValue] = field(default_factory=dict, metadata=doc("the rule's variables"))
    children: tuple[ProofNode, ...] = field(default=(), metadata=doc("the premises, in body order"))

    def walk(self) -> Iterator[ProofNode]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def render(self, indent: str = "", lang: str = "en") -> str:
        """The proof as an indented tree, one node a line, with id and citation (the connecting
        words in ``lang``; atoms and cited sentences as they are)."""
        label = self.atom
        if self.kind == "negation":
            label += "   " + phrase(lang, "(no such fact)")
        elif self.kind == "request":
            label += "   " + phrase(lang, "[from the request]")
        elif self.kind == "data":
            label += ("   " + say(lang, "[data {location}]", location=self.location) if self.location
                      else "   " + phrase(lang, "[data]"))
        elif self.id:
            label += f"   [{self.id}]"
        lines = [indent + label]
        if self.citation:
            lines.append(f"{indent}    « {self.citation} »")
        if self.basis in ("structure", "interpretation"):
            lines.append(f"{indent}  {basis_line(self.basis, self.interpretation, self.note, lang)}")
        for child in self.children:
            lines.append(child.render(indent + "  ", lang))
        return "\n".join(lines)


def basis_line(basis: str, interpretation: str | None, note: str | None, lang: str = "en") -> str:
    """``↳ Interpretation vorsitz_handelt_allein: The chair acts alone for its body.`` or
    ``↳ Structure: ...``: the basis of a step that cites no sentence of its own, its note in
    ``lang``: an interpretation's description as the policy declares it in that language, a
    structure note as the catalog translates it (else as the rule file writes it)."""
    note = basis_note(basis, interpretation, note, lang)
    if basis == "interpretation":
        return "↳ " + say(lang, "Interpretation {id}",
                          id=interpretation or "?") + (f": {note}" if note else "")
    return "↳ " + phrase(lang, "Structure") + (f": {note}" if note else "")


def basis_note(basis: str | None, interpretation: str | None, note: str | None,
               lang: str = "en") -> str | None:
    """The note of a step's basis in ``lang``: an interpretation's description as the policy
    declares it in that language, a rule's ``@structure`` note as the catalog translates it (else
    as the rule file writes it). The one way explanations, reports and pages say these notes."""
    if not note:
        return note
    if basis == "interpretation":
        return _DESCRIPTIONS.get((interpretation, note), {}).get(lang, note) if interpretation else note
    if basis == "structure":
        return phrase(lang, note)
    return note


_DESCRIPTIONS: dict[tuple[str, str], dict[str, str]] = {}
"""(interpretation id, the description a proof node carries) → the description in each language
the policy declares it in; filled as proof nodes are built (at most :data:`_MAX_DESCRIPTIONS`)."""
_MAX_DESCRIPTIONS = 10_000


@dataclass(frozen=True, kw_only=True)
class Attempt(Record):
    """One rule that could have derived the goal, and the first condition that failed."""

    id: str | None = field(default=None, metadata=doc("the @id of the rule"))
    citation: str | None = field(default=None, metadata=doc("the rule's cited sentence"))
    basis: Literal["text", "structure", "interpretation"] | None = field(default=None, metadata=doc(
        "what the rule rests on (see ProofNode.basis)"))
    interpretation: str | None = field(default=None, metadata=doc(
        "for basis interpretation: the interpretation's id"))
    note: str | None = field(default=None, metadata=doc(
        "the structure note or the interpretation's description"))
    rule: str = field(metadata=doc("the rule, instantiated with the goal's values"))
    failed: str = field(metadata=doc("the first condition that does not hold, as far as instantiated"))
    held: tuple[ProofNode, ...] = field(default=(), metadata=doc("the conditions before it that did hold"))
    blocked_by: ProofNode | None = field(default=None, metadata=doc(
        "when it fails at a `not`: the proof of what holds instead, with its sentence"))


@dataclass(frozen=True, kw_only=True)
class WhyNot(Record):
    """Why a goal does not hold: every rule that could derive it, and where each one fails."""

    goal: str
    stated: bool = field(default=False, metadata=doc("always false: no fact states the goal"))
    attempts: tuple[Attempt, ...] = ()

    def render(self, indent: str = "", lang: str = "en") -> str:
        """Each rule that could derive the goal and where it fails, the connecting words in ``lang``."""
        if not self.attempts:
            return indent + say(lang, "{goal}: no fact states it and no rule derives it", goal=self.goal)
        lines = [indent + say(lang, "{goal} does not hold:", goal=self.goal)]
        for a in self.attempts:
            lines.append(f"{indent}  " + say(lang, "rule {id}: {rule}", id=a.id or "?", rule=a.rule))
            if a.citation:
                lines.append(f"{indent}      « {a.citation} »")
            if a.basis in ("structure", "interpretation"):
                lines.append(f"{indent}      {basis_line(a.basis, a.interpretation, a.note, lang)}")
            lines.append(f"{indent}      " + say(lang, "fails at: {failed}", failed=a.failed))
            if a.blocked_by is not None:
                lines.append(f"{indent}      " + phrase(lang, "because:"))
                lines.append(a.blocked_by.render(indent + "        ", lang))
        return "\n".join(lines)


_WHY_NOT_BUDGET = 10_000  # partial matches a why-not explores per rule before it settles

Origin = Callable[[str, tuple[Value, ...]], str | None]


class Prover:
    """Builds proofs and why-nots over one computed model."""

    def __init__(
        self,
        program: Program,
        model: Mapping[str, frozenset[tuple[Value, ...]]],
        steps: Mapping[str, Mapping[tuple[Value, ...], int]],
        data_origin: Origin | None = None,
    ) -> None:
        self._program = program
        self._model = model
        self._steps = steps
        self._data_origin = data_origin or (lambda predicate, row: None)
        self._facts: dict[tuple[str, tuple[Value, ...]], Clause] = {}
        for clause in program.facts:
            key = (clause.head.predicate, ground_values(clause.head))
            self._facts.setdefault(key, clause)
        self._rules: dict[str, list[Clause]] = {}
        for clause in program.rules:
            self._rules.setdefault(clause.head.predicate, []).append(name_wildcards(clause))
        self._indexes: dict[tuple[str, tuple[int, ...]], dict[tuple, list[tuple[Value, ...]]]] = {}

    def over(self, model: Mapping[str, frozenset[tuple[Value, ...]]],
             steps: Mapping[str, Mapping[tuple[Value, ...], int]]) -> Prover:
        """A prover of the same program over another model of it (a request's), sharing what
        it prepared from the program."""
        other = copy.copy(self)
        other._model, other._steps, other._indexes = model, steps, {}
        return other

    # -- proofs -------------------------------------------------------------------------------

    def prove(self, predicate: str, row: tuple[Value, ...]) -> ProofNode | None:
        """A proof that ``predicate(row)`` holds, or None when it is not in the model."""
        row = tuple(row)
        step = self._steps.get(predicate, {}).get(row)
        if step is None:
            return None
        fact = self._facts.get((predicate, row))
        if fact is not None:
            return _node("fact", fact.head, fact, {}, program=self._program)
        if step == 0:
            location = self._data_origin(predicate, row)
            if location is None and predicate in self._program.inputs:  # a row the request gave
                return ProofNode(kind="request", atom=_atom_text(predicate, row), predicate=predicate,
                                 args=row)
            return ProofNode(kind="data", atom=_atom_text(predicate, row), predicate=predicate, args=row,
                             location=location)
        for clause in self._rules.get(predicate, ()):
            bindings = _unify(clause.head, row)
            if bindings is None:
                continue
            for solution in self._solve(clause.body, bindings, below=step):
                children = tuple(self._premise(lit, solution, step) for lit in clause.body)
                head = _instantiate(clause.head, solution)
                return _node("rule", head, clause, solution, children, program=self._program)
        raise AssertionError(f"no derivation found for {_atom_text(predicate, row)} (step {step})")

    def _premise(self, lit: BodyLiteral, bindings: Mapping[str, Value], step: int) -> ProofNode:
        if isinstance(lit, Atom):
            atom = _instantiate(lit, bindings)
            proof = self.prove(atom.predicate, ground_values(atom))
            assert proof is not None
            return proof
        if isinstance(lit, Negation):
            atom = _instantiate(lit.atom, bindings, keep_unbound=True)
            return ProofNode(kind="negation", atom=f"not {format_atom(atom)}", predicate=atom.predicate,
                             location=_where(lit.span))
        return ProofNode(kind="comparison", atom=_literal_text(lit, bindings), location=_where(lit.span))

    # -- why not ------------------------------------------------------------------------------

    def why_not(self, predicate: str, row: tuple[Value | None, ...], lang: str = "en") -> WhyNot:
        """For a goal not in the model: each rule that could derive it and its first failing condition.

        ``None`` in ``row`` stands for any value: ``why_not("serves", (None, unit))`` asks why
        nothing serves ``unit``. ``lang`` is the language of where each rule fails.
        """
        row = tuple(row)
        goal = _atom_text(predicate, row)
        attempts = []
        for clause in self._rules.get(predicate, ()):
            bindings = _unify(clause.head, row)
            if bindings is None:
                continue
            held: list[ProofNode] = []
            failed, bindings = self._first_failure(clause.body, bindings, held, lang)
            head = _literal_text(clause.head, bindings)
            rule_text = f"{head} :- " + ", ".join(_literal_text(lit, bindings) for lit in clause.body)
            attempts.append(Attempt(id=clause.id, citation=clause.citation, rule=rule_text,
                                    failed=failed or "?", held=tuple(held),
                                    blocked_by=self._blocker(clause.body, bindings) if failed else None,
                                    **basis_fields(clause, self._program)))
        return WhyNot(goal=goal, attempts=tuple(attempts))

    def _first_failure(self, body: Sequence[BodyLiteral], bindings: dict[str, Value],
                       held: list[ProofNode], lang: str = "en") -> tuple[str | None, dict[str, Value]]:
        """Search the body in evaluation order for the longest partial match; return where it stops."""
        ordered = _evaluation_order(body)
        best: tuple[int, dict[str, Value]] = (-1, bindings)
        budget = [_WHY_NOT_BUDGET]

        def search(i: int, b: dict[str, Value]) -> None:
            nonlocal best
            budget[0] -= 1
            if i > best[0]:
                best = (i, b)
            if i == len(ordered) or budget[0] <= 0:
                return
            for nb in self._extend(ordered[i], b, below=None):
                search(i + 1, nb)
                if best[0] == len(ordered) or budget[0] <= 0:
                    return

        search(0, dict(bindings))
        depth, b = best
        for lit in ordered[:depth]:
            if isinstance(lit, Atom):
                atom = _instantiate(lit, b)
                node = self.prove(atom.predicate, ground_values(atom))
                if node is not None:
                    held.append(node)
        if depth >= len(ordered):
            return None, b
        lit = ordered[depth]
        if isinstance(lit, Negation):
            return say(lang, "{atom} holds", atom=_literal_text(lit.atom, b)), b
        if isinstance(lit, Comparison):
            return say(lang, "{atom} is false", atom=_literal_text(lit, b)), b
        return say(lang, "no {atom}", atom=_literal_text(lit, b)), b

    def _blocker(self, body: Sequence[BodyLiteral], bindings: Mapping[str, Value]) -> ProofNode | None:
        """The proof of the first negated atom of ``body`` that holds under ``bindings`` (fully bound)."""
        for lit in _evaluation_order(body):
            if not isinstance(lit, Negation):
                continue
            atom = _instantiate(lit.atom, bindings, keep_unbound=True)
            if all(isinstance(t, Constant) for t in atom.args):
                proof = self.prove(atom.predicate, ground_values(atom))
                if proof is not None:
                    return proof
        return None

    # -- evaluating a body over the model --------------------------------------------------------

    def _solve(
        self, body: Sequence, bindings: dict[str, Value], below: int | None
    ) -> Iterator[dict[str, Value]]:
        ordered = _evaluation_order(body)

        def go(i: int, b: dict[str, Value]) -> Iterator[dict[str, Value]]:
            if i == len(ordered):
                yield b
                return
            for nb in self._extend(ordered[i], b, below):
                yield from go(i + 1, nb)

        yield from go(0, dict(bindings))

    def _extend(self, lit: BodyLiteral, b: dict[str, Value], below: int | None) -> Iterator[dict[str, Value]]:
        if isinstance(lit, Atom):
            steps = self._steps.get(lit.predicate, {})
            for row in self._matching(lit, b):
                if below is not None and steps.get(row, below) >= below:
                    continue
                nb = _match(lit, row, b)
                if nb is not None:
                    yield nb
        elif isinstance(lit, Negation):
            if not any(_match(lit.atom, row, b) is not None for row in self._matching(lit.atom, b)):
                yield b
        else:
            left, right = _value(lit.left, b), _value(lit.right, b)
            if compare(lit.op, left, right):
                yield b

    def _matching(self, atom: Atom, b: Mapping[str, Value]) -> list[tuple[Value, ...]]:
        """Rows of the atom's relation agreeing with its constants and bound variables (indexed)."""
        positions, key = [], []
        for i, t in enumerate(atom.args):
            if isinstance(t, Constant):
                positions.append(i)
                key.append(t.value)
            elif t.name != "_" and t.name in b:
                positions.append(i)
                key.append(b[t.name])
        positions_t = tuple(positions)
        index = self._indexes.get((atom.predicate, positions_t))
        if index is None:
            index = {}
            for row in self._model.get(atom.predicate, ()):
                index.setdefault(tuple(row[i] for i in positions_t), []).append(row)
            for rows in index.values():
                rows.sort(key=_sort_key)
            self._indexes[(atom.predicate, positions_t)] = index
        return index.get(tuple(key), [])


# -- verification ------------------------------------------------------------------------------


def verify(node: ProofNode, program: Program, model: Mapping[str, frozenset[tuple[Value, ...]]]) -> list[str]:
    """Re-check every step of a proof against the program and the model; return the problems found."""
    check.instance(node, ProofNode, "the proof")
    check.instance(program, Program, "the program")
    check.instance(model, Mapping, "the model")
    problems: list[str] = []
    clauses = {c.id: name_wildcards(c) for c in program.clauses if c.id}
    for n in node.walk():
        if n.kind in ("fact", "data", "request"):
            if n.predicate is None or tuple(n.args) not in model.get(n.predicate, frozenset()):
                problems.append(f"{n.atom}: not in the model")
            if n.kind == "fact" and n.id and (clauses.get(n.id) is None or not clauses[n.id].is_fact):
                problems.append(f"{n.atom}: no fact with id {n.id}")
            continue
        if n.kind != "rule":
            continue
        clause = clauses.get(n.id) if n.id else None
        if clause is None:
            problems.append(f"{n.atom}: no rule with id {n.id}")
            continue
        b = dict(n.bindings)
        if format_atom(_instantiate(clause.head, b, keep_unbound=True)) != n.atom:
            problems.append(f"{n.atom}: the head of {n.id} instantiates differently")
        if len(clause.body) != len(n.children):
            problems.append(f"{n.atom}: {len(n.children)} premises for {len(clause.body)} body literals")
            continue
        for lit, child in zip(clause.body, n.children, strict=True):
            if isinstance(lit, Atom):
                atom = _instantiate(lit, b, keep_unbound=True)
                if format_atom(atom) != child.atom:
                    problems.append(f"{n.atom}: premise {child.atom} is not {format_atom(atom)}")
            elif isinstance(lit, Negation):
                atom = _instantiate(lit.atom, b, keep_unbound=True)
                if any(_match(atom, row, {}) is not None for row in model.get(atom.predicate, ())):
                    problems.append(f"{n.atom}: {format_atom(atom)} holds, so its negation does not")
            elif not compare(lit.op, _value(lit.left, b), _value(lit.right, b)):
                problems.append(f"{n.atom}: {_literal_text(lit, b)} is false")
    return problems


# -- helpers -----------------------------------------------------------------------------------


def name_wildcards(clause: Clause) -> Clause:
    """The clause with each `_` of a positive body atom renamed `_1`, `_2`, ..., so a proof records
    the value it matched; a `_` under `not` keeps meaning "any value"."""
    counter = iter(range(1, 1 << 30))
    taken = {v.name for lit in clause.body for v in literal_vars(lit)}

    def fresh() -> Variable:
        while True:
            name = f"_{next(counter)}"
            if name not in taken:
                return Variable(name)

    body = tuple(
        Atom(lit.predicate, tuple(fresh() if isinstance(t, Variable) and t.name == "_" else t
                                  for t in lit.args), lit.span) if isinstance(lit, Atom) else lit
        for lit in clause.body)
    return Clause(clause.head, body, clause.annotations, clause.doc, clause.span)


def _evaluation_order(body: Sequence) -> list:
    """Positive atoms first, then comparisons and negations (they need their variables bound)."""
    return ([lit for lit in body if isinstance(lit, Atom)]
            + [lit for lit in body if isinstance(lit, Comparison)]
            + [lit for lit in body if isinstance(lit, Negation)])


def _sort_key(row: tuple[Value, ...]) -> tuple:
    return tuple((_ORDER[type(v)], v) for v in row)


def _unify(head: Atom, row: tuple[Value | None, ...]) -> dict[str, Value] | None:
    """Bind the head's variables to the row's values; ``None`` matches anything and binds nothing."""
    out: dict[str, Value] = {}
    for t, v in zip(head.args, row, strict=True):
        if v is None:
            continue
        if isinstance(t, Constant):
            if t.value != v or type(t.value) is not type(v):
                return None
        elif t.name != "_":
            if t.name in out and (out[t.name] != v or type(out[t.name]) is not type(v)):
                return None
            out[t.name] = v
    return out


def _match(atom: Atom, row: tuple[Value, ...], b: Mapping[str, Value]) -> dict[str, Value] | None:
    out = dict(b)
    for t, v in zip(atom.args, row, strict=True):
        if isinstance(t, Constant):
            if t.value != v or type(t.value) is not type(v):
                return None
        elif t.name == "_":
            continue
        elif t.name in out:
            if out[t.name] != v or type(out[t.name]) is not type(v):
                return None
        else:
            out[t.name] = v
    return out


def _value(t: Term, b: Mapping[str, Value]) -> Value:
    return t.value if isinstance(t, Constant) else b[t.name]


def _bind_term(t: Term, b: Mapping[str, Value]) -> Term:
    if isinstance(t, Variable) and t.name in b:
        return Constant(b[t.name])
    return t


def _instantiate(atom: Atom, b: Mapping[str, Value], keep_unbound: bool = False) -> Atom:
    args = tuple(_bind_term(t, b) if keep_unbound else (Constant(b[t.name]) if isinstance(t, Variable)
                                                         and t.name != "_" else t)
                 for t in atom.args)
    return Atom(atom.predicate, args, atom.span)


def _literal_text(lit: BodyLiteral, b: Mapping[str, Value]) -> str:
    if isinstance(lit, Atom):
        return format_atom(_instantiate(lit, b, keep_unbound=True))
    if isinstance(lit, Negation):
        return "not " + format_atom(_instantiate(lit.atom, b, keep_unbound=True))
    return format_literal(Comparison(lit.op, _bind_term(lit.left, b), _bind_term(lit.right, b)))


def _atom_text(predicate: str, row: tuple[Value | None, ...]) -> str:
    return format_atom(Atom(predicate, tuple(Variable("_") if v is None else Constant(v) for v in row)))


def _where(span: Span | None) -> str | None:
    return f"{span.path}:{span.line}" if span else None


class BasisFields(TypedDict):
    """The basis fields of a proof node or attempt."""

    basis: Basis | None
    interpretation: str | None
    note: str | None


def basis_fields(clause: Clause, program: Program) -> BasisFields:
    """The basis of a clause as the fields of a proof node: ``basis``, ``interpretation``, ``note``
    (the interpretation's English description, else its German one)."""
    basis = clause.basis
    if basis == "interpretation":
        name = clause.interpretation
        declared = program.interpretations.get(name) if name is not None else None
        note = (declared.text("en") or declared.text("de")) if declared is not None else None
        if declared is not None and name is not None and note and len(_DESCRIPTIONS) < _MAX_DESCRIPTIONS:
            _DESCRIPTIONS.setdefault((name, note), {lang: text for lang in ("de", "en")
                                                    if (text := declared.text(lang))})
        return {"basis": basis, "interpretation": name, "note": note}
    if basis == "structure":
        return {"basis": basis, "interpretation": None, "note": clause.structure}
    return {"basis": basis, "interpretation": None, "note": None}


def _node(kind: Literal["fact", "rule"], head: Atom, clause: Clause, bindings: Mapping[str, Value],
          children: Iterable[ProofNode] = (), program: Program | None = None) -> ProofNode:
    return ProofNode(
        kind=kind, atom=format_atom(head), predicate=head.predicate,
        args=tuple(t.value for t in head.args if isinstance(t, Constant)),
        id=clause.id, citation=clause.citation, location=_where(clause.span),
        bindings=dict(bindings), children=tuple(children),
        **(basis_fields(clause, program) if program is not None
           else BasisFields(basis=None, interpretation=None, note=None)),
    )


__all__ = ["Attempt", "ProofNode", "Prover", "WhyNot", "compare", "format_value", "verify"]
