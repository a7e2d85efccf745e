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

pyDatalog cannot be interrupted once it runs (not even by a signal), so evaluation is
bounded by :class:`~kdv_policy.limits.Limits` before it runs, one step at a time (a rule of
a non-recursive stratum, a semi-naive round of a recursive one): a body longer than
``max_body_literals`` is refused when the rules are compiled; before each step, the rows
the rule's join can build are estimated from the relations as they are then
(engine/bounds.py) and a step over ``max_rule_work`` is refused; after each rule of each
step, a relation over ``max_rows_per_relation`` is refused. A refusal (engine/refusals.py)
names the rule and the limit; the refused stratum is undone to its stated rows, stays
unevaluated and raises the same refusal whenever it is asked for again.

The bodies it evaluates are compiled in engine/compile.py; values are tokens (engine/encoding.py).

pyDatalog's defects (D0–D8 of the pyDatalog notes; docs/design.md) and what this module does:

* D0  text handed to pyDatalog is run as Python: terms are built in code, never from text.
* D1  its tabled recursion can loop forever: pyDatalog only ever evaluates one rule
  body at a time over stored facts; same-stratum atoms read stored "full" and
  "delta" relations that this module updates between rounds.
* D2, D3, D4, D5  it rewrites some constants: every value is stored as a private string
  token (engine/encoding.py) and decoded on the way out; no float is ever accepted.
* D6  ``not q(...)`` on a relation with no facts raises: an atom over an empty relation
  makes the body fail, a negation of an empty relation is dropped (it is true).
* D7  a negation or comparison before the atoms that bind it gives wrong answers:
  every body is ordered positive atoms, then comparisons, then negations (engine/compile.py).
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, TypeVar, cast

from pyDatalog import pyDatalog, pyEngine, pyParser

from kdv_policy.engine.bounds import Statistics
from kdv_policy.engine.compile import Args as _Args
from kdv_policy.engine.compile import Row as _Row
from kdv_policy.engine.compile import Rule as _Rule
from kdv_policy.engine.compile import Term as _Term
from kdv_policy.engine.compile import Var as _Var
from kdv_policy.engine.compile import compile_body, compile_rule
from kdv_policy.engine.encoding import decode, encode
from kdv_policy.engine.refusals import again, too_many_rows, too_much_work
from kdv_policy.errors import EngineError, QueryError
from kdv_policy.gcpause import paused
from kdv_policy.language import syntax as ast
from kdv_policy.language.program import Program, Stratum
from kdv_policy.language.syntax import Constant, Value, ground_values
from kdv_policy.limits import DEFAULT_LIMITS, Limits, QueryLimits


def _assert(name: str, row: _Row) -> None:
    """Store one fact: what ``pyDatalog.assert_fact`` does once it has built its parser-level
    literal, minus that building (about 6 µs a fact instead of 40-50)."""
    literal = pyEngine.Literal(name, [pyEngine.Term_of(token) for token in row])
    pyEngine.assert_(pyEngine.Clause(literal, []))


def _assert_many(name: str, arity: int, rows: Iterable[_Row], consts: _Consts | None = None) -> None:
    """Store facts of one predicate in bulk: what :func:`_assert` (``pyEngine.assert_``) does for
    each, with the per-predicate work done once — looking the predicate up in pyDatalog's
    registry (a weak-value dictionary), registering it, setting its arity — and the search for a
    stored copy of a fact (``retract``) only where one exists.

    pyDatalog's compiled engine keeps a predicate's facts in ``pred.db`` (id → clause) and one
    index per argument in ``pred.index`` (value → clauses); where it does not (its pure-Python
    fallback keeps them otherwise), facts go through :func:`_assert` one by one.

    ``consts`` (token → pyDatalog constant) lets facts share one constant object per token
    (pyDatalog never changes a constant; ``Term_of`` makes a new one per value): a few thousand
    constants instead of one per value of every fact, each allocated and later freed."""
    pred = pyEngine.Pred(name, arity)
    db, index = pred.db, pred.index
    if not (isinstance(db, dict) and isinstance(index, list) and len(index) == arity
            and all(isinstance(i, dict) for i in index)):
        for row in rows:
            _assert(name, row)
        return
    pred.prearity = arity  # what Literal(name, terms) sets on every fact
    literal_of, clause_of, retract = pyEngine.Literal, pyEngine.Clause, pyEngine.retract
    positions = tuple(enumerate(index))
    if consts is None:
        consts = _Consts()
    for row in rows:
        clause = clause_of(literal_of(pred, [consts[t] for t in row]), [])
        key = clause.get_id()
        if key in db:  # stored before: replaced, as assert_ does
            retract(clause)
        db[key] = clause
        for i, by_value in positions:  # a token is its constant's id
            found = by_value.get(row[i])
            if found is None:
                by_value[row[i]] = {clause}
            else:
                found.add(clause)
    pyEngine.insert(pred)


class _Consts(dict[str, Any]):
    """Token → pyDatalog's constant of it, made on first use (a token is a string: its constant's
    id is the token itself)."""

    def __missing__(self, token: str) -> Any:
        const = self[token] = pyEngine.Const(token)
        return const


def _drop(name: str, arity: int) -> None:
    """Drop every fact stored under a pyDatalog name. ``head <= None`` retracts them one by one
    (~2 µs a fact; ``retract_fact`` takes ~40); where the name holds facts only, in pyDatalog's
    compiled engine (see :func:`_assert_many`), emptying its table and indexes at once is the same."""
    pred = pyEngine.Pred(name, arity)
    db, index = pred.db, pred.index
    # pyDatalog keeps a predicate's rules in ``pred.clauses`` as well as in ``pred.db``
    if (isinstance(db, dict) and isinstance(index, list) and len(index) == arity
            and all(isinstance(i, dict) for i in index) and not pred.clauses):
        db.clear()
        for by_value in index:
            by_value.clear()
        return
    head = pyParser.Term(name)(*(pyParser.Term(f"V{i}") for i in range(arity)))
    head <= None  # noqa: B015 -- `<= None` retracts the predicate's facts


class _Tokens(dict[Value, str]):
    """Value → its token, made by :func:`encode` on first use: one token object per distinct value,
    without a call per value. Only values of exactly ``str``, ``int`` and ``datetime.date`` are
    looked up here (:data:`_PLAIN`): a dict would take ``True`` for ``1``, which encode() refuses."""

    def __missing__(self, value: Value) -> str:
        token = self[value] = encode(value)
        return token


_PLAIN = frozenset({str, int, datetime.date})


_V = TypeVar("_V")


class _Relations(Mapping[str, _V]):
    """A read-only mapping over the engine's relations that evaluates a relation on first read."""

    def __init__(self, engine: Engine, table: dict[str, _V]) -> None:
        self._engine = engine
        self._table = table

    def __getitem__(self, predicate: str) -> _V:
        found = self._table.get(predicate)
        if found is None:
            if predicate not in self._engine._program.declarations:
                raise KeyError(predicate)
            self._engine.materialise((predicate,))
            found = self._table[predicate]
        return found

    def __contains__(self, predicate: object) -> bool:
        return predicate in self._engine._program.declarations

    def __iter__(self) -> Iterator[str]:
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
        self._stats = Statistics(self._rows_of)  # fan-outs of the relations as they are now
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

        rules = [compile_rule(c, program, limits.max_body_literals) for c in program.rules]
        self._stratum_of = {p: i for i, s in enumerate(program.strata) for p in s.predicates}
        for rule in rules:
            if rule.predicate not in self._stratum_of:
                raise EngineError(f"predicate `{rule.predicate}` has rules but is in no stratum")
        self._rules: list[list[_Rule]] = [[] for _ in program.strata]
        for rule in rules:  # the constants a head puts in derived rows, decoded once
            for t in rule.head:
                if isinstance(t, str) and t not in self._decoded:
                    self._decoded[t] = decode(t)
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
        # relations rules read whose facts pyDatalog is to hold, not stored yet: stored when a body
        # first reads one as an atom (one read only as a test of membership is never stored)
        self._lazy: dict[str, set[_Row]] = {}
        self._predicate_of = {name: p for p, name in self._stored.items()}
        # pyDatalog's constant of each token, shared by the facts stored while an evaluation runs
        # (then dropped: the model keeps none of pyDatalog's objects)
        self._consts = _Consts()
        self._tokens: dict[str, frozenset[str]] = {}  # the values of evaluated one-column relations
        self._evaluated = [False] * len(program.strata)
        self._refused: dict[int, EngineError] = {}  # strata whose evaluation hit a limit, and why
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
                    if i in self._refused:  # refused before: refused again, nothing half-evaluated is read
                        raise again(self._refused[i])
                    try:
                        self._evaluate(i)
                    except EngineError as error:
                        self._abandon(i)
                        self._refused[i] = error
                        raise
            finally:
                self._consts, self._tokens = _Consts(), {}
                self._logic = pyDatalog.Logic(True)  # keep the relations asserted while binding

    def constants(self) -> set[str]:
        """Every string value of the model: a derived row only holds values of the stated facts
        and the rules, so this needs no evaluation."""
        with self._lock:
            values = set(self._decoded.values())  # the values of every evaluated row, decoded once
            values |= {decode(t) for rows in self._rows.values() for row in rows for t in row}
        for rule in self._rules_flat():
            for _, args in rule.body.positives + rule.body.negations:
                values.update(decode(t) for t in args if isinstance(t, str))
            values.update(decode(t) for t in rule.head if isinstance(t, str))
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
        if len(query.body) > self._limits.max_body_literals:
            raise QueryError(f"the query has {len(query.body):,} literals, more than the limit "
                             f"`max_body_literals` of {self._limits.max_body_literals:,}; split it")
        body = compile_body(query.body, self._program, QueryError)
        names = tuple(body.variables)
        wanted = tuple(body.variables[n] for n in names)
        read = {p for p, _ in body.positives + body.negations}
        self.materialise(read)
        order, bound = self._stats.plan(body.positives)
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
                    tokens = self._lazy.pop(p, None)
                    self._assert_rows(p, tokens if tokens is not None else
                                      (tuple(map(encode, row)) for row in self._done[p]))
                self._consts = _Consts()
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

    def _rows_of(self, predicate: str) -> set[_Row] | frozenset[tuple[Value, ...]]:
        """The rows of a relation so far: tokens while it is evaluated, values once it is done."""
        rows = self._rows.get(predicate)
        return rows if rows is not None else self._done[predicate]

    def _decoder(self, rows: Iterable[_Row]) -> Callable[[str], Value]:
        """Token → value for every token of ``rows``, one object per distinct value."""
        decoded = self._decoded
        for token in {token for row in rows for token in row}.difference(decoded):
            decoded[token] = decode(token)
        return decoded.__getitem__

    # -- building the model -----------------------------------------------------------------

    def _base_facts(self, extra: Mapping[str, Iterable[tuple[Value, ...]]]) -> dict[str, set[_Row]]:
        base: dict[str, set[_Row]] = {p: set() for p in self._program.declarations}
        tokens = _Tokens()
        for clause in self._program.facts:
            head = clause.head
            if not all(isinstance(t, Constant) for t in head.args):
                raise EngineError(f"fact `{head.signature}` is not ground")
            self._check_arity(head.predicate, head.arity)
            base[head.predicate].add(tuple([tokens[v] if type(v) in _PLAIN else encode(v)
                                            for v in ground_values(head)]))
        for predicate, rows in extra.items():
            decl = self._program.declarations.get(predicate)
            # None only for an undeclared predicate, which _check_arity refuses before it is used
            target = cast("set[_Row]", base.get(predicate))
            arity = -1 if decl is None else decl.arity
            for row in rows:
                row = tuple(row)
                if len(row) != arity:
                    self._check_arity(predicate, len(row))  # raises
                target.add(tuple([tokens[v] if type(v) in _PLAIN else encode(v) for v in row]))
        # the values stated are the values the model decodes to: the same objects, decoded once
        self._decoded.update({token: value for value, token in tokens.items()})
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
                self._lazy[p] = self._rows[p]  # the same set: _store adds to it
                self._sizes[self._stored[p]] = len(self._rows[p])
        if rules:
            (self._evaluate_recursive if stratum.recursive else self._evaluate_once)(stratum, rules)
        for p in stratum.predicates:
            steps = self._row_steps.pop(p)
            value = self._decoded.__getitem__  # every stated value and rule constant is decoded already
            try:
                self._done_steps[p] = {tuple(map(value, row)): step for row, step in steps.items()}
            except KeyError:
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
            self._derive(rule, self._fire(rule), derived[rule.predicate])
        for predicate, rows in derived.items():
            self._store(predicate, rows)

    def _evaluate_recursive(self, stratum: Stratum, rules: list[_Rule]) -> None:
        # D1: semi-naive fixpoint driven here. Each round, every rule is evaluated once per
        # same-stratum atom, that atom reading the facts new in the last round ("delta",
        # stored under d-names), the other atoms reading all facts so far. Every round is one
        # evaluation step, bounded like a non-recursive rule: by its estimate before it runs
        # and by the rows it derives.
        members = set(stratum.predicates)
        self._stats.growing(members)
        try:
            self._fixpoint(members, rules)
        finally:
            self._stats.growing(())

    def _fixpoint(self, members: set[str], rules: list[_Rule]) -> None:
        delta = {p: set(self._rows[p]) for p in members}
        for rule in rules:
            if not any(p in members for p, _ in rule.body.positives):
                new = self._derive(rule, self._fire(rule), set())
                self._store(rule.predicate, new)
                delta[rule.predicate] |= new
        self._step += 1
        while any(delta.values()):
            self._set_delta(delta)
            delta = {p: set() for p in members}
            for rule in rules:
                for i, (p, _) in enumerate(rule.body.positives):
                    if p in members:
                        self._derive(rule, self._fire(rule, delta_at=i), delta[rule.predicate])
            for p, rows in delta.items():
                self._store(p, rows)
            self._step += 1
        self._set_delta({p: set() for p in members})

    def _derive(self, rule: _Rule, rows: set[_Row], new: set[_Row]) -> set[_Row]:
        """Add to ``new`` the rows of ``rows`` its relation does not hold yet, refusing the rule
        if the relation would then hold more than ``max_rows_per_relation``; returns ``new``."""
        new |= rows - self._rows[rule.predicate]
        limit = self._limits.max_rows_per_relation
        if len(self._rows[rule.predicate]) + len(new) > limit:
            raise too_many_rows(rule.clause, rule.predicate, limit)
        return new

    def _fire(self, rule: _Rule, delta_at: int | None = None) -> set[_Row]:
        """The head rows a rule derives; with ``delta_at``, that atom reads the delta and goes first.

        The other atoms are joined in the order :meth:`Statistics.plan` picks (pyDatalog joins
        left to right), and the rows that join can build are bounded from the relations as they
        are now before pyDatalog runs: over ``max_rule_work``, the rule is refused.
        """
        first: list[tuple[str, _Args]] = []
        rest, bound, times = list(rule.body.positives), set[_Var](), 1
        if delta_at is not None:
            p, args = rest.pop(delta_at)
            first = [(self._delta[p], args)]
            bound = {t for t in args if isinstance(t, _Var)}
            times = self._sizes.get(self._delta[p], 0)
        order, estimate = self._stats.plan(rest, bound)
        estimate *= times
        if estimate > self._limits.max_rule_work:
            raise too_much_work(rule.clause, estimate, self._limits.max_rule_work)
        # The atoms of one column whose variable another atom binds only test that the value is
        # in their relation (see _tests). Joining the others first and testing after is cheaper
        # for pyDatalog when that join builds no more rows than the order above.
        wide = {t for _, args in rest if len(args) != 1 or not isinstance(args[0], _Var)
                for t in args if isinstance(t, _Var)}
        tests = [atom for atom in rest
                 if len(atom[1]) == 1 and isinstance(atom[1][0], _Var) and atom[1][0] in bound | wide]
        members: list[tuple[_Var, frozenset[str]]] = []
        if tests:
            others, later = self._stats.plan([atom for atom in rest if atom not in tests], bound)
            if later * times <= estimate and (first or others):
                order = others
                members = [(cast(_Var, args[0]), self._values(q)) for q, args in tests]
        positives = first + [(self._stored[q], a) for q, a in order]
        if not members:
            positives, members = self._tests(positives, [q for q, _ in order])
        negations = [(self._stored[p], args) for p, args in rule.body.negations]
        for name, _ in (*positives, *negations):  # what pyDatalog reads as atoms: stored now
            lazy = self._predicate_of.get(name)
            if lazy in self._lazy:
                self._assert_rows(lazy, self._lazy.pop(lazy))
        wanted = tuple(dict.fromkeys(t for t in rule.head if isinstance(t, _Var)))
        rows = solve(positives, rule.body.comparisons, negations, wanted, self._sizes, members)
        # D8: the head is built here from the bindings, never as a pyDatalog expression.
        # (position in the row, None) for a variable, (None, token) for a constant
        if len(wanted) == len(rule.head):  # every term a variable, each once: the rows are the head's
            return rows
        head: list[tuple[int | None, str]] = [(wanted.index(t), "") if isinstance(t, _Var) else (None, t)
                                              for t in rule.head]
        return {tuple(t if i is None else row[i] for i, t in head) for row in rows}

    def _tests(self, positives: list[tuple[str, _Args]], predicates: list[str]
               ) -> tuple[list[tuple[str, _Args]], list[tuple[_Var, frozenset[str]]]]:
        """Split off the atoms of one column whose variable an atom before them binds (``person(P)``
        after ``assignment(P, R, F, U)``): each only tests that the value is in its relation, which
        pyDatalog's ``in`` does with one lookup, where an atom costs it a subgoal for every value.
        ``predicates`` are the relations of the last ``len(predicates)`` atoms (the others read a delta).
        Returns the atoms kept, in order, and (variable, the relation's values) for each test."""
        start = len(positives) - len(predicates)
        kept = positives[:1]
        bound = {t for t in positives[0][1] if isinstance(t, _Var)} if positives else set()
        members: list[tuple[_Var, frozenset[str]]] = []
        for i in range(1, len(positives)):
            name, args = positives[i]
            if i >= start and len(args) == 1 and isinstance(args[0], _Var) and args[0] in bound:
                members.append((args[0], self._values(predicates[i - start])))
                continue
            kept.append((name, args))
            bound.update(t for t in args if isinstance(t, _Var))
        return kept, members

    def _values(self, predicate: str) -> frozenset[str]:
        """The tokens of a one-column relation as pyDatalog holds it now."""
        rows = self._rows.get(predicate)
        if rows is not None:  # being evaluated: it changes from round to round
            return frozenset(row[0] for row in rows)
        found = self._tokens.get(predicate)
        if found is None:  # evaluated: kept while this evaluation runs
            lazy = self._lazy.get(predicate)
            found = self._tokens[predicate] = (
                frozenset(row[0] for row in lazy) if lazy is not None
                else frozenset(encode(row[0]) for row in self._done[predicate]))
        return found

    def _abandon(self, index: int) -> None:
        """Undo what a refused evaluation of a stratum left: its relations hold their stated rows
        again and pyDatalog lets go of its partial facts. The stratum stays unevaluated, so
        nothing reads the partial model; asking for it raises the refusal again."""
        for p in self._program.strata[index].predicates:
            steps = self._row_steps.pop(p, None)
            if steps is not None:
                self._rows[p] = {row for row, step in steps.items() if step == 0}
                self._stats.changed(p)
            self._release(p)
            name = self._delta[p]
            if self._sizes.get(name):
                _drop(name, self._program.arity(p))
                self._sizes[name] = 0

    def _store(self, predicate: str, rows: set[_Row]) -> None:
        """Add rows new to a relation of the stratum being evaluated, at the current step."""
        if not rows:
            return
        self._rows[predicate] |= rows
        self._row_steps[predicate].update(dict.fromkeys(rows, self._step))
        self._stats.grew(predicate, rows)  # rows come from _derive: none was in the relation
        if predicate in self._asserted:
            self._assert_rows(predicate, rows)
        elif predicate in self._lazy:
            self._sizes[self._stored[predicate]] = len(self._rows[predicate])

    def _assert_rows(self, predicate: str, rows: Iterable[_Row]) -> None:
        name = self._stored[predicate]
        _assert_many(name, self._program.arity(predicate), rows, self._consts)
        self._asserted.add(predicate)
        self._sizes[name] = len(self._rows_of(predicate))

    def _release(self, predicate: str) -> None:
        """Drop a relation's facts from pyDatalog (a query stores them again if it reads them)."""
        if self._lazy.pop(predicate, None) is not None:
            self._sizes[self._stored[predicate]] = 0
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
            _assert_many(name, self._program.arity(predicate), rows, self._consts)
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
        return solve(positives, comparisons, negations, wanted, self._sizes)


def solve(
    positives: Sequence[tuple[str, _Args]],
    comparisons: Sequence[tuple[str, _Term, _Term]],
    negations: Sequence[tuple[str, _Args]],
    wanted: tuple[_Var, ...],
    sizes: Mapping[str, int],
    members: Sequence[tuple[_Var, frozenset[str]]] = (),
) -> set[_Row]:
    """The distinct bindings of ``wanted`` satisfying a body over the Logic bound to this thread,
    as token tuples. Names are pyDatalog names; ``sizes`` are the facts stored under each name.
    ``members`` are tests of a variable the positive atoms bind: its value is one of the tokens given.
    """
    if any(not sizes.get(name) for name, _ in positives) or any(not values for _, values in members):
        return set()  # D6: an atom over an empty relation fails; pyDatalog would raise
    negations = [n for n in negations if sizes.get(n[0])]  # D6: `not` of nothing is true

    def term(t: _Term) -> pyParser.Term:
        if isinstance(t, _Var):
            return pyParser.Term(t.name)  # an uppercase name: a pyDatalog variable
        return pyParser.Term(t, forced_type="constant")

    # D7: positive atoms first, so every comparison and negation finds its variables bound.
    literals = [pyParser.Term(name)(*map(term, args)) for name, args in positives]
    literals += [pyParser.Literal.make_for_comparison(term(v), "_pyD_in", values) for v, values in members]
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
    if len(index) > 1:  # the wanted columns of each row, as a tuple
        return set(map(itemgetter(*index), rows))
    if index:
        i = index[0]
        return {(row[i],) for row in rows}
    return {()} if rows else set()
