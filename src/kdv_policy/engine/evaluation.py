"""Checked program ⊕ facts → the model, each relation computed once, on first use; ad-hoc queries.

This is the only module that imports pyDatalog. It uses pyDatalog as a join engine
for conjunctive bodies over stored facts, and nothing more: the model is built
bottom-up here, stratum by stratum, and recursive strata run a semi-naive fixpoint
driven from Python. pyDatalog never sees a rule, so its own recursion never runs.

A relation is evaluated the first time it is read (with the strata it depends on) and
kept, decoded, in Python sets: :meth:`Engine.materialise` evaluates everything up front.
Rows are numbered by stratum, so the model, its steps and every proof are the same
whatever is read first. pyDatalog holds a relation's facts only while a rule still to
run or a query reads them.

pyDatalog's defects (D0–D8 of the pyDatalog notes; docs/design.md) and what this module does:

* D0  text handed to pyDatalog is run as Python: terms are built in code, never from text.
* D1  its tabled recursion can loop forever: pyDatalog only ever evaluates one rule
  body at a time over stored facts; same-stratum atoms read stored "full" and
  "delta" relations that this module updates between rounds.
* D2, D3, D4, D5  it rewrites some constants: every value is stored as a private string
  token (see :func:`_encode`) and decoded on the way out; no float is ever accepted.
* D6  ``not q(...)`` on a relation with no facts raises: an atom over an empty relation
  makes the body fail, a negation of an empty relation is dropped (it is true).
* D7  a negation or comparison before the atoms that bind it gives wrong answers:
  every body is ordered positive atoms, then comparisons, then negations.
* D8  arithmetic is silently wrong: no operator is ever applied to a pyDatalog term;
  heads are built in Python from the bindings of the body.

pyDatalog keeps its state per thread (``Logic``). Each engine owns a fresh ``Logic``;
queries rebind a copy of it in the calling thread under the engine's lock, so what a
query leaves behind (pyDatalog's temporary query clauses) dies with the copy.
pyDatalog does not cache answers between ``ask`` calls (its table of subgoals is reset
by every ask), but its query objects keep their answer once asked: every body is
therefore built afresh for every evaluation.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from pyDatalog import pyDatalog, pyEngine, pyParser

from kdv_policy.errors import EngineError, PolicyError, QueryError
from kdv_policy.gcpause import paused
from kdv_policy.language import syntax as ast
from kdv_policy.language.lexer import MAX_INTEGER
from kdv_policy.language.program import Program, Stratum
from kdv_policy.language.syntax import Atom, Comparison, Constant, Negation, Value, Variable
from kdv_policy.limits import DEFAULT_LIMITS, Limits, QueryLimits

_PYD_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_INT_OFFSET = MAX_INTEGER + 1
_INT_WIDTH = len(str(2 * MAX_INTEGER + 1))


# -- values <-> tokens (D2, D3, D4, D5) ---------------------------------------------------------


def _encode(value: Value) -> str:
    """The private token of a value.

    pyDatalog only ever sees these lowercase-prefixed strings, which it keeps as they are
    (D2 'True', D3 '??', D4 1 == True == 1.0, D5 floats) and never takes for variables.
    Tokens order like their values, with int < date < str, so pyDatalog's own string
    comparison decides ``<``; equal tokens are equal values of one type (1 != "1").
    """
    if isinstance(value, (bool, datetime.datetime)):
        raise EngineError(f"`{value!r}` is not a value of the rule language (strings, integers, dates)")
    if isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise EngineError(f"integer `{value}` is out of range (at most {len(str(MAX_INTEGER))} digits)")
        return f"a:{value + _INT_OFFSET:0{_INT_WIDTH}d}"
    if isinstance(value, datetime.date):
        return "b:" + value.isoformat()
    if isinstance(value, str):
        return "c:" + value
    raise EngineError(f"`{value!r}` is not a value of the rule language (strings, integers, dates)")


class _Encoder:
    """:func:`_encode` with one token object per distinct string (strings are most values)."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}

    def __call__(self, value: Value) -> str:
        if type(value) is str:
            token = self._strings.get(value)
            if token is None:
                token = self._strings[value] = "c:" + value
            return token
        return _encode(value)


def _decode(token: str) -> Value:
    kind, text = token[0], token[2:]
    if kind == "a":
        return int(text) - _INT_OFFSET
    if kind == "b":
        return datetime.date.fromisoformat(text)
    return text


# -- bodies in a form ready for pyDatalog -----------------------------------------------------


@dataclass(frozen=True)
class _Var:
    name: str  # an internal name, V0, V1, ...: never a user's name (`_` would be one shared variable)


_Term = _Var | str  # a variable or a token
_Args = tuple[_Term, ...]
_Row = tuple[str, ...]  # a row of tokens


@dataclass(frozen=True)
class _Body:
    positives: tuple[tuple[str, _Args], ...]  # (predicate, args)
    comparisons: tuple[tuple[str, _Term, _Term], ...]  # (pyDatalog operator, left, right)
    negations: tuple[tuple[str, _Args], ...]
    variables: dict[str, _Var]  # user variable name (not `_`) -> internal variable, in order of appearance


@dataclass(frozen=True)
class _Rule:
    predicate: str
    head: _Args
    body: _Body


def _compile_body(literals: Sequence[ast.Literal], program: Program, error: type[PolicyError]) -> _Body:
    """Rename variables, encode constants and split the body by kind (D7), checking as we go."""
    variables: dict[str, _Var] = {}
    fresh = itertools.count()

    def term(t: ast.Term) -> _Term:
        if isinstance(t, Constant):
            return _encode(t.value)
        if t.name == "_":  # every `_` is a variable of its own
            return _Var(f"V{next(fresh)}")
        if t.name not in variables:
            variables[t.name] = _Var(f"V{next(fresh)}")
        return variables[t.name]

    def atom(a: Atom) -> tuple[str, _Args]:
        decl = program.declarations.get(a.predicate)
        if decl is None:
            raise error(f"predicate `{a.predicate}` is not declared")
        if decl.arity != a.arity:
            raise error(f"`{a.predicate}` takes {decl.arity} arguments, not {a.arity}")
        return a.predicate, tuple(term(t) for t in a.args)

    positives = tuple(atom(lit) for lit in literals if isinstance(lit, Atom))
    bound = set(variables)
    comparisons = []
    for lit in literals:
        if isinstance(lit, Comparison):
            if any(isinstance(t, Variable) and t.name == "_" for t in (lit.left, lit.right)):
                raise error("the wildcard `_` cannot be used in a comparison")
            comparisons.append((_PYD_OPS[lit.op], term(lit.left), term(lit.right)))
    negations = tuple(atom(lit.atom) for lit in literals if isinstance(lit, Negation))
    unbound = [name for name in variables if name not in bound]
    if unbound:
        raise error(f"variable `{unbound[0]}` is used in a negation or comparison "
                    "but no positive atom binds it")
    return _Body(positives, tuple(comparisons), negations, variables)


def _compile_rule(clause: ast.Clause, program: Program) -> _Rule:
    decl = program.declarations.get(clause.head.predicate)
    if decl is None or decl.arity != clause.head.arity:
        raise EngineError(f"rule head `{clause.head.signature}` is not declared")
    body = _compile_body(clause.body, program, EngineError)
    head: list[_Term] = []
    for t in clause.head.args:
        if isinstance(t, Constant):
            head.append(_encode(t.value))
        elif t.name in body.variables:
            head.append(body.variables[t.name])
        else:
            raise EngineError(f"head variable `{t.name}` of a `{clause.head.predicate}` rule is not bound")
    return _Rule(clause.head.predicate, tuple(head), body)


def _assert(name: str, row: _Row) -> None:
    """Store one fact: what ``pyDatalog.assert_fact`` does once it has built its parser-level
    literal, minus that building (about 6 µs a fact instead of 40-50)."""
    literal = pyEngine.Literal(name, [pyEngine.Term_of(token) for token in row])
    pyEngine.assert_(pyEngine.Clause(literal, []))


def _drop(name: str, arity: int) -> None:
    """Drop every fact stored under a pyDatalog name: ~2 µs a fact (``retract_fact`` takes ~40)."""
    head = pyParser.Term(name)(*(pyParser.Term(f"V{i}") for i in range(arity)))
    head <= None  # noqa: B015 -- `<= None` retracts the predicate's facts


class _Relations(Mapping):
    """A read-only mapping over the engine's relations that evaluates a relation on first read."""

    def __init__(self, engine: Engine, table: dict) -> None:
        self._engine = engine
        self._table = table

    def __getitem__(self, predicate: str):
        found = self._table.get(predicate)
        if found is None:
            if predicate not in self._engine._program.declarations:
                raise KeyError(predicate)
            self._engine.materialise((predicate,))
            found = self._table[predicate]
        return found

    def __contains__(self, predicate: object) -> bool:
        return predicate in self._engine._program.declarations

    def __iter__(self):
        return iter(self._engine._program.declarations)

    def __len__(self) -> int:
        return len(self._engine._program.declarations)


# -- the engine -------------------------------------------------------------------------------


_STRATUM_STEPS = 1 << 40
"""Steps are numbered per stratum: the rows of stratum ``i`` get steps from ``(i + 1) *
_STRATUM_STEPS`` on, so a row's step does not depend on which relation was asked first."""


class Engine:
    """The model of a checked program and its facts, computed on demand, with ad-hoc queries.

    ``facts`` adds rows to declared predicates (e.g. organisation data loaded from files);
    values are ``str``, ``int`` and ``datetime.date``. Construction encodes and checks the
    facts and compiles the rules (an :class:`~kdv_policy.errors.EngineError` reports what it
    cannot evaluate); a relation is evaluated the first time it is read, together with the
    strata it depends on, and kept (:meth:`materialise` evaluates them all).
    """

    def __init__(
        self, program: Program, facts: Mapping[str, Iterable[tuple[Value, ...]]] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self._program = program
        self._limits = limits
        # pyDatalog sees only these names: no user text, no name it treats specially (ask, len_, a.b).
        self._stored = {p: f"p{i}" for i, p in enumerate(sorted(program.declarations))}
        self._delta = {p: f"d{i}" for i, p in enumerate(sorted(program.declarations))}
        self._lock = threading.RLock()
        self._fanouts: dict[str, dict[tuple[int, ...], int]] = {}  # predicate -> columns -> fan-out
        self._sizes: dict[str, int] = {}  # pyDatalog name -> number of facts stored under it
        self._decoded: dict[str, Value] = {}  # token -> value: one object per distinct value
        # rows (as tokens) and steps of the relations of the stratum being evaluated, seeded with
        # the stated facts of every relation not evaluated yet
        with paused():
            self._rows: dict[str, set[_Row]] = self._base_facts(facts or {})
        self._row_steps: dict[str, dict[_Row, int]] = {}
        # evaluated relations, decoded: what the model and its steps read
        self._done: dict[str, frozenset[tuple[Value, ...]]] = {}
        self._done_steps: dict[str, dict[tuple[Value, ...], int]] = {}

        rules = [_compile_rule(c, program) for c in program.rules]
        self._stratum_of = {p: i for i, s in enumerate(program.strata) for p in s.predicates}
        for rule in rules:
            if rule.predicate not in self._stratum_of:
                raise EngineError(f"predicate `{rule.predicate}` has rules but is in no stratum")
        self._rules: list[list[_Rule]] = [[] for _ in program.strata]
        for rule in rules:
            self._rules[self._stratum_of[rule.predicate]].append(rule)
        # which relations rule bodies read, and how many strata that read each are still to run:
        # pyDatalog holds a relation only while a rule or a query may read it
        self._reads: list[set[str]] = [
            {p for r in stratum_rules for p, _ in r.body.positives + r.body.negations}
            for stratum_rules in self._rules]
        self._readers_left: dict[str, int] = {}
        for i, reads in enumerate(self._reads):
            for p in reads - set(program.strata[i].predicates):
                self._readers_left[p] = self._readers_left.get(p, 0) + 1
        self._read_by_rules = set().union(*self._reads) if self._reads else set()
        self._asserted: set[str] = set()
        self._evaluated = [False] * len(program.strata)
        self._logic = pyDatalog.Logic()  # a fresh Logic, bound to this thread while we build
        self._model = _Relations(self, self._done)
        self._step_of = _Relations(self, self._done_steps)

    # -- public surface -------------------------------------------------------------------

    @property
    def model(self) -> Mapping[str, frozenset[tuple[Value, ...]]]:
        """Every declared predicate and its rows (read-only; a relation is evaluated on first read)."""
        return self._model

    @property
    def steps(self) -> Mapping[str, Mapping[tuple[Value, ...], int]]:
        """For every row of the model, the evaluation step that first derived it (0: stated).

        A row derived at step ``n`` has a derivation from rows of steps below ``n``.
        """
        return self._step_of

    def relation(self, predicate: str) -> frozenset[tuple[Value, ...]]:
        """The rows of one declared predicate; :class:`QueryError` if it is not declared."""
        try:
            return self._model[predicate]
        except KeyError:
            raise QueryError(f"predicate `{predicate}` is not declared") from None

    def materialise(self, predicates: Iterable[str] | None = None) -> None:
        """Evaluate the relations ``predicates`` (every relation when None) and what they depend on."""
        strata = self._program.strata
        wanted = range(len(strata)) if predicates is None else {self._stratum_of[p] for p in predicates}
        needed: set[int] = set()
        stack = [i for i in wanted if not self._evaluated[i]]
        while stack:
            i = stack.pop()
            if i in needed or self._evaluated[i]:
                continue
            needed.add(i)
            stack.extend(self._stratum_of[p] for p in self._reads[i])
        if not needed:
            return
        with self._lock, paused():
            todo = sorted(i for i in needed if not self._evaluated[i])  # strata come in dependency order
            if not todo:
                return
            pyDatalog.Logic(self._logic)  # pyDatalog's state is per thread: bind ours here
            try:
                for i in todo:
                    self._evaluate(i)
            finally:
                self._logic = pyDatalog.Logic(True)  # keep the relations asserted while binding

    def constants(self) -> set[str]:
        """Every string value of the model: a derived row only holds values of the stated facts
        and the rules, so this needs no evaluation."""
        with self._lock:
            values = {v for rows in self._done.values() for row in rows for v in row}
            values |= {_decode(t) for rows in self._rows.values() for row in rows for t in row}
        for rule in self._rules_flat():
            for _, args in rule.body.positives + rule.body.negations:
                values.update(_decode(t) for t in args if isinstance(t, str))
            values.update(_decode(t) for t in rule.head if isinstance(t, str))
        return {v for v in values if isinstance(v, str)}

    def query(self, query: ast.Query, limits: QueryLimits | None = None) -> tuple[dict[str, Value], ...]:
        """Answer a conjunctive query over the model.

        Each answer maps the query's named variables (not `_`) to values; answers are
        distinct and sorted. A query without variables answers ``({},)`` if it holds and
        ``()`` otherwise. Raises :class:`QueryError` for an undeclared predicate, a wrong
        arity or a variable of a negation or comparison no positive atom binds, and when
        the query would pass ``limits`` (see :class:`QueryLimits`).
        """
        limits = limits or QueryLimits()
        body = _compile_body(query.body, self._program, QueryError)
        names = tuple(body.variables)
        wanted = tuple(body.variables[n] for n in names)
        read = {p for p, _ in body.positives + body.negations}
        self.materialise(read)
        order, bound = self._plan(body.positives)
        if bound > limits.max_intermediate:
            raise QueryError(
                f"the query could build up to {bound:,} intermediate rows, more than the limit of "
                f"{limits.max_intermediate:,}; bind more variables to constants or join its atoms "
                "through shared variables")
        positives = [(self._stored[p], args) for p, args in order]
        negations = [(self._stored[p], args) for p, args in body.negations]
        with self._lock:
            missing = sorted(read - self._asserted)
            if missing:  # relations pyDatalog let go of once no rule needed them: store them again
                pyDatalog.Logic(self._logic)
                for p in missing:
                    self._assert_rows(p, (tuple(map(_encode, row)) for row in self._done[p]))
                self._logic = pyDatalog.Logic(True)
            pyDatalog.Logic(self._logic)  # bind a copy: what the query leaves behind dies with it
            rows = self._solve(positives, body.comparisons, negations, wanted)
        if len(rows) > limits.max_answers:
            raise QueryError(f"the query has {len(rows):,} answers, more than the limit of "
                             f"{limits.max_answers:,}; narrow it down")
        value = self._decoder(rows)
        return tuple(dict(zip(names, map(value, row), strict=True)) for row in sorted(rows))

    def _rules_flat(self) -> Iterable[_Rule]:
        return itertools.chain.from_iterable(self._rules)

    def _plan(
        self, positives: Sequence[tuple[str, _Args]], bound_vars: set[_Var] | None = None
    ) -> tuple[list[tuple[str, _Args]], int]:
        """Order the positive atoms greedily by their bound fan-out, and bound the rows a
        left-to-right join in that order can build: each atom multiplies the partial rows
        by at most its largest number of rows agreeing on the columns already bound.
        ``bound_vars``: variables bound before the first atom."""
        remaining = list(positives)
        bound_vars = set(bound_vars or ())
        order: list[tuple[str, _Args]] = []
        rows = 1
        while remaining:
            costs = []
            for i, (p, args) in enumerate(remaining):
                key = tuple(j for j, t in enumerate(args) if not isinstance(t, _Var) or t in bound_vars)
                costs.append((self._fanout(p, key), i))
            fanout, i = min(costs)
            p, args = remaining.pop(i)
            order.append((p, args))
            bound_vars.update(t for t in args if isinstance(t, _Var))
            rows *= max(fanout, 1) if fanout else 0
            if rows == 0:
                return order + remaining, 0
        return order, rows

    def _fanout(self, predicate: str, columns: tuple[int, ...]) -> int:
        """The largest number of rows of a relation that agree on ``columns`` (its size for none)."""
        cached = self._fanouts.setdefault(predicate, {})
        found = cached.get(columns)
        if found is None:
            rows = self._rows_of(predicate)
            if not columns or not rows:
                found = len(rows)
            else:
                found = max(Counter(map(itemgetter(*columns), rows)).values())
            cached[columns] = found
        return found

    def _rows_of(self, predicate: str) -> set[_Row] | frozenset[tuple[Value, ...]]:
        """The rows of a relation so far: tokens while it is evaluated, values once it is done."""
        rows = self._rows.get(predicate)
        return rows if rows is not None else self._done[predicate]

    def _decoder(self, rows: Iterable[_Row]) -> Callable[[str], Value]:
        """Token → value for every token of ``rows``, one object per distinct value."""
        decoded = self._decoded
        for row in rows:
            for token in row:
                if token not in decoded:
                    decoded[token] = _decode(token)
        return decoded.__getitem__

    # -- building the model -----------------------------------------------------------------

    def _base_facts(self, extra: Mapping[str, Iterable[tuple[Value, ...]]]) -> dict[str, set[_Row]]:
        base: dict[str, set[_Row]] = {p: set() for p in self._program.declarations}
        encode = _Encoder()
        for clause in self._program.facts:
            head = clause.head
            if not all(isinstance(t, Constant) for t in head.args):
                raise EngineError(f"fact `{head.signature}` is not ground")
            self._check_arity(head.predicate, head.arity)
            base[head.predicate].add(tuple(encode(t.value) for t in head.args))
        for predicate, rows in extra.items():
            decl = self._program.declarations.get(predicate)
            target = base.get(predicate)
            for row in rows:
                row = tuple(row)
                if decl is None or len(row) != decl.arity:
                    self._check_arity(predicate, len(row))  # raises
                target.add(tuple(map(encode, row)))
        return base

    def _check_arity(self, predicate: str, arity: int) -> None:
        decl = self._program.declarations.get(predicate)
        if decl is None:
            raise EngineError(f"facts for `{predicate}`, which is not declared")
        if decl.arity != arity:
            raise EngineError(f"a fact of `{predicate}` has {arity} values; it is declared with {decl.arity}")

    def _evaluate(self, index: int) -> None:
        """Evaluate one stratum (its dependencies are evaluated), then decode its relations."""
        stratum, rules = self._program.strata[index], self._rules[index]
        self._step = (index + 1) * _STRATUM_STEPS
        for p in stratum.predicates:
            self._row_steps[p] = dict.fromkeys(self._rows[p], 0)  # stated
            if p in self._read_by_rules:
                self._assert_rows(p, self._rows[p])
        if rules:
            (self._evaluate_recursive if stratum.recursive else self._evaluate_once)(stratum, rules)
        for p in stratum.predicates:
            steps = self._row_steps.pop(p)
            value = self._decoder(steps)
            self._done_steps[p] = {tuple(map(value, row)): step for row, step in steps.items()}
            self._done[p] = frozenset(self._done_steps[p])
            del self._rows[p]
        self._evaluated[index] = True
        for p in self._reads[index] - set(stratum.predicates):
            self._readers_left[p] -= 1
            if self._readers_left[p] == 0:  # no rule reads it any more
                self._release(p)
        for p in stratum.predicates:
            if not self._readers_left.get(p):
                self._release(p)

    def _evaluate_once(self, stratum: Stratum, rules: list[_Rule]) -> None:
        derived: dict[str, set[_Row]] = {p: set() for p in stratum.predicates}
        for rule in rules:
            derived[rule.predicate] |= self._fire(rule)
        for predicate, rows in derived.items():
            self._store(predicate, rows - self._rows[predicate])

    def _evaluate_recursive(self, stratum: Stratum, rules: list[_Rule]) -> None:
        # D1: semi-naive fixpoint driven here. Each round, every rule is evaluated once per
        # same-stratum atom, that atom reading the facts new in the last round ("delta",
        # stored under d-names), the other atoms reading all facts so far.
        members = set(stratum.predicates)
        delta = {p: set(self._rows[p]) for p in members}
        for rule in rules:
            if not any(p in members for p, _ in rule.body.positives):
                new = self._fire(rule) - self._rows[rule.predicate]
                self._store(rule.predicate, new)
                delta[rule.predicate] |= new
        self._step += 1
        while any(delta.values()):
            self._set_delta(delta)
            derived = {p: set() for p in members}
            for rule in rules:
                for i, (p, _) in enumerate(rule.body.positives):
                    if p in members:
                        derived[rule.predicate] |= self._fire(rule, delta_at=i)
            delta = {p: derived[p] - self._rows[p] for p in members}
            for p, rows in delta.items():
                self._store(p, rows)
            self._step += 1
        self._set_delta({p: set() for p in members})

    def _fire(self, rule: _Rule, delta_at: int | None = None) -> set[_Row]:
        """The head rows a rule derives; with ``delta_at``, that atom reads the delta and goes first.
        The other atoms are joined in the order :meth:`_plan` picks (pyDatalog joins left to right)."""
        if delta_at is None:
            order, _ = self._plan(rule.body.positives)
            positives = [(self._stored[p], args) for p, args in order]
        else:
            p, args = rule.body.positives[delta_at]
            rest = [atom for i, atom in enumerate(rule.body.positives) if i != delta_at]
            order, _ = self._plan(rest, {t for t in args if isinstance(t, _Var)})
            positives = [(self._delta[p], args)] + [(self._stored[q], a) for q, a in order]
        negations = [(self._stored[p], args) for p, args in rule.body.negations]
        wanted = tuple(dict.fromkeys(t for t in rule.head if isinstance(t, _Var)))
        rows = self._solve(positives, rule.body.comparisons, negations, wanted)
        # D8: the head is built here from the bindings, never as a pyDatalog expression.
        head = [(wanted.index(t), None) if isinstance(t, _Var) else (None, t) for t in rule.head]
        return {tuple(t if i is None else row[i] for i, t in head) for row in rows}

    def _store(self, predicate: str, rows: set[_Row]) -> None:
        """Add rows new to a relation of the stratum being evaluated, at the current step."""
        if not rows:
            return
        self._rows[predicate] |= rows
        steps = self._row_steps[predicate]
        for row in rows:
            steps[row] = self._step
        self._fanouts.pop(predicate, None)  # its statistics changed
        if predicate in self._asserted:
            self._assert_rows(predicate, rows)

    def _assert_rows(self, predicate: str, rows: Iterable[_Row]) -> None:
        name = self._stored[predicate]
        for row in rows:
            _assert(name, row)
        self._asserted.add(predicate)
        self._sizes[name] = len(self._rows_of(predicate))

    def _release(self, predicate: str) -> None:
        """Drop a relation's facts from pyDatalog (a query stores them again if it reads them)."""
        if predicate in self._asserted:
            name = self._stored[predicate]
            _drop(name, self._program.arity(predicate))
            self._asserted.discard(predicate)
            self._sizes[name] = 0

    def _set_delta(self, delta: Mapping[str, set[_Row]]) -> None:
        """Replace the facts stored under each predicate's delta name."""
        for predicate, rows in delta.items():
            name = self._delta[predicate]
            _drop(name, self._program.arity(predicate))
            for row in rows:
                _assert(name, row)
            self._sizes[name] = len(rows)

    # -- evaluating one body with pyDatalog ---------------------------------------------------

    def _solve(
        self,
        positives: Sequence[tuple[str, _Args]],
        comparisons: Sequence[tuple[str, _Term, _Term]],
        negations: Sequence[tuple[str, _Args]],
        wanted: tuple[_Var, ...],
    ) -> set[_Row]:
        """The distinct bindings of ``wanted`` satisfying the body, as token tuples.

        Names are pyDatalog names; the caller has bound this engine's Logic in this thread.
        """
        if any(not self._sizes.get(name) for name, _ in positives):
            return set()  # D6: an atom over an empty relation fails; pyDatalog would raise
        negations = [n for n in negations if self._sizes.get(n[0])]  # D6: `not` of nothing is true

        def term(t: _Term) -> pyParser.Term:
            if isinstance(t, _Var):
                return pyParser.Term(t.name)  # an uppercase name: a pyDatalog variable
            return pyParser.Term(t, forced_type="constant")

        # D7: positive atoms first, so every comparison and negation finds its variables bound.
        literals = [pyParser.Term(name)(*map(term, args)) for name, args in positives]
        literals += [pyParser.Literal.make_for_comparison(term(a), op, term(b)) for op, a, b in comparisons]
        literals += [~pyParser.Term(name)(*map(term, args)) for name, args in negations]
        if not literals:
            return {()}
        body = pyParser.Body(*literals)
        try:
            answer = body.ask()
        except Exception as exc:  # pyDatalog signals its own failures with assorted exceptions
            raise EngineError(f"pyDatalog failed to evaluate a body: {exc}") from exc
        rows = [()] if answer is True else (answer or [])
        columns = list(body._variables())  # the names of the answer's columns, in order
        index = [columns.index(v.name) for v in wanted]
        return {tuple(row[i] for i in index) for row in rows}
