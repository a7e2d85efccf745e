"""Per-request evaluation: a request's rows of the input relations, joined through the rules that
depend on them, over the model the engine has evaluated once.

A policy declares input relations with ``.input``; they are empty when the policy is evaluated,
so the engine's model is the model of a request without rows. The predicates a request can
change are :attr:`Program.request_dependent <kdv_policy.language.program.Program.request_dependent>`:
the input relations and every predicate whose rules read one, directly or through others. The
checker guarantees none of them is recursive, so a request costs one join per rule of those
predicates, each bounded before pyDatalog runs, like the engine's steps:

* the request's rows are checked against :class:`~kdv_policy.limits.Limits` (``max_input_rows``,
  ``max_input_value_length``) before anything is stored;
* each rule's join is estimated from the relations' fan-outs (engine/bounds.py) and refused over
  ``max_rule_work``; a relation over ``max_rows_per_relation`` is refused (engine/refusals.py).

The request-independent relations are never evaluated again. On the first request, every
relation the request-dependent rules read is stored, as the engine evaluated it, in a pyDatalog
``Logic`` of this module's own, and each of those rules is fired once to note what it derives
from the evaluated model. Each request then binds a *copy* of that Logic to its thread and
stores the relations it changes under names the original never holds: pyDatalog's copy shares
the original's predicates but has its own table of them, so whatever the request stores dies with
the copy, and the original is as it was before (``tests/test_input_relations_engine.py`` checks
it). Requests on one policy are serialised by a lock; pyDatalog's state is per thread, so
requests on different policies do not meet.

A request-dependent relation is evaluated anew for every request (not added to): a rule may
read a request-dependent relation under ``not``, so a request can take rows away as well as add
them. Only the rules that read a relation the request changes fire; the others contribute what
they derived for the engine, and a relation that comes out as the engine has it changes nothing
after it. The result equals the model of the whole policy evaluated with the request's rows
added as stated facts (``tests/test_input_relations_engine.py`` checks it against such a full
evaluation on random programs). Input rows are numbered step 0, like stated facts; the rows of
a request-dependent stratum ``i`` get the engine's step numbers of that stratum, so every proof
over the request's model is well-founded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from pyDatalog import pyDatalog, pyEngine

from kdv_policy.engine.bounds import Statistics
from kdv_policy.engine.compile import Row, Rule, Var, compile_body, compile_rule
from kdv_policy.engine.encoding import decode, encode
from kdv_policy.engine.evaluation import solve
from kdv_policy.engine.refusals import too_many_rows, too_much_work
from kdv_policy.errors import QueryError, shorten
from kdv_policy.gcpause import paused
from kdv_policy.language import syntax as ast
from kdv_policy.language.program import Program
from kdv_policy.language.syntax import Value
from kdv_policy.limits import DEFAULT_LIMITS, Limits, QueryLimits

STRATUM_STEPS = 1 << 40
"""The engine's step numbering: the rows stratum ``i`` derives have steps from ``(i + 1) *
STRATUM_STEPS`` on (engine/evaluation.py)."""

InputRows = Mapping[str, Iterable[tuple[Value, ...]]]


class Evaluated(Protocol):
    """What a request reads of the evaluated model: the :class:`~kdv_policy.engine.evaluation.Engine`
    or a model stored in a bundle."""

    @property
    def model(self) -> Mapping[str, frozenset[tuple[Value, ...]]]: ...

    @property
    def steps(self) -> Mapping[str, Mapping[tuple[Value, ...], int]]: ...

    def materialise(self, predicates: Iterable[str] | None = None) -> None: ...

    def constants(self) -> set[str]: ...
"""A request's rows: input relation -> its rows, each a tuple of values."""


def _assert(name: str, row: Row) -> None:
    """Store one fact in the Logic bound to this thread (as the engine does, without pyDatalog's
    parser-level literal)."""
    pyEngine.assert_(pyEngine.Clause(pyEngine.Literal(name, [pyEngine.Term_of(t) for t in row]), []))


_T = TypeVar("_T")


class _Overlay(Mapping[str, _T]):
    """The engine's relations (or steps), with the request-dependent ones replaced."""

    def __init__(self, own: Mapping[str, _T], base: Mapping[str, _T]) -> None:
        self._own = own
        self._base = base

    def __getitem__(self, predicate: str) -> _T:
        found = self._own.get(predicate)
        return found if found is not None else self._base[predicate]

    def __contains__(self, predicate: object) -> bool:
        return predicate in self._base

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


class RequestModel:
    """The model as one request sees it: the engine's relations, with the request-dependent ones
    evaluated for the request's rows. It offers what the :class:`Engine` offers to the API
    (``model``, ``steps``, ``relation``, ``materialise``, ``constants``, ``query``)."""

    def __init__(self, evaluator: RequestEvaluator, rows: dict[str, frozenset[tuple[Value, ...]]],
                 relations: dict[str, frozenset[tuple[Value, ...]]],
                 steps: dict[str, dict[tuple[Value, ...], int]]) -> None:
        self._evaluator = evaluator
        self._engine = evaluator.engine
        self._relations = relations
        self.input: Mapping[str, frozenset[tuple[Value, ...]]] = rows
        """The request's rows of each input relation it fills."""
        self._model: Mapping[str, frozenset[tuple[Value, ...]]] = _Overlay(relations, self._engine.model)
        self._steps: Mapping[str, Mapping[tuple[Value, ...], int]] = _Overlay(steps, self._engine.steps)

    @property
    def model(self) -> Mapping[str, frozenset[tuple[Value, ...]]]:
        """Every declared predicate and its rows for this request."""
        return self._model

    @property
    def steps(self) -> Mapping[str, Mapping[tuple[Value, ...], int]]:
        """For every row, the evaluation step that first derived it (0: stated or from the request)."""
        return self._steps

    @property
    def evaluated(self) -> frozenset[str]:
        """The relations evaluated for this request (the others are the engine's)."""
        return frozenset(self._relations)

    def relation(self, predicate: str) -> frozenset[tuple[Value, ...]]:
        """The rows of one declared predicate; :class:`QueryError` if it is not declared."""
        try:
            return self._model[predicate]
        except KeyError:
            raise QueryError(f"predicate `{predicate}` is not declared") from None

    def materialise(self, predicates: Iterable[str] | None = None) -> None:
        """Evaluate the engine's relations ``predicates`` (every one when None)."""
        self._engine.materialise(None if predicates is None
                                 else [p for p in predicates if p not in self._relations])

    def constants(self) -> set[str]:
        """Every string value of the model, the request's values included."""
        values = self._engine.constants()
        values.update(v for rows in self._relations.values() for row in rows for v in row
                      if isinstance(v, str))
        return values

    def query(self, query: ast.Query, limits: QueryLimits | None = None) -> tuple[dict[str, Value], ...]:
        """Answer a conjunctive query over this request's model (as :meth:`Engine.query`)."""
        return self._evaluator.query(self, query, limits)


class RequestEvaluator:
    """Evaluates the request-dependent rules of a program for one request's rows at a time, over
    an :class:`Engine` of the same program (whose input relations hold no rows but stated ones)."""

    def __init__(self, engine: Evaluated, program: Program, limits: Limits = DEFAULT_LIMITS) -> None:
        self.engine = engine
        self._program = program
        self._limits = limits
        self._inputs = program.inputs
        self._dependent = program.request_dependent
        self._strata = program.request_strata
        ordered = sorted(program.declarations)
        # pyDatalog names: a relation as the engine evaluated it, and as a request changes it (a
        # name our own Logic never holds, so a request's rows never touch it)
        self._names = {p: f"p{i}" for i, p in enumerate(ordered)}
        self._changed_names = {p: f"r{i}" for i, p in enumerate(ordered)}
        by_stratum: dict[int, list[Rule]] = {i: [] for i in self._strata}
        stratum_of = {p: i for i, s in enumerate(program.strata) for p in s.predicates}
        for clause in program.rules:
            i = stratum_of.get(clause.head.predicate)
            if i in by_stratum:
                by_stratum[i].append(compile_rule(clause, program, limits.max_body_literals))
        self._rules = by_stratum
        self._rule_reads = {id(r): frozenset(p for p, _ in r.body.positives + r.body.negations)
                            for rules in by_stratum.values() for r in rules}
        self._reads = frozenset(p for reads in self._rule_reads.values() for p in reads)
        self._lock = threading.Lock()
        self._logic: object | None = None  # our Logic, made on the first request
        self._base_sizes: dict[str, int] = {}
        # made on the first request (_prepare), from the engine's model: each request-dependent
        # relation's stated rows and all its rows, and the rows each of their rules derives
        self._stated: dict[str, frozenset[Row]] = {}
        self._base: dict[str, frozenset[Row]] = {}
        self._base_out: dict[int, frozenset[Row]] = {}

    # -- checking a request's rows --------------------------------------------------------------

    def check(self, rows: InputRows) -> dict[str, frozenset[tuple[Value, ...]]]:
        """The request's rows by input relation, checked: each relation an input relation of the
        program, each row of its arity, its values strings, integers or dates with strings at most
        ``max_input_value_length`` characters, at most ``max_input_rows`` rows in all.

        Raises :class:`QueryError` naming the relation or the limit.
        """
        limit, longest = self._limits.max_input_rows, self._limits.max_input_value_length
        checked: dict[str, frozenset[tuple[Value, ...]]] = {}
        count = 0
        for predicate, given in rows.items():
            decl = self._program.declarations.get(predicate)
            if decl is None or not decl.input:
                raise QueryError(_not_input(predicate, decl is not None, sorted(self._inputs)))
            found = set()
            for row in given:
                row = tuple(row)
                count += 1
                if count > limit:
                    raise QueryError(f"the request holds more than the limit `max_input_rows` of {limit:,} "
                                     "rows; raise it with `Limits(max_input_rows=...)` if requests really "
                                     "need more")
                if len(row) != decl.arity:
                    raise QueryError(f"a row of `{shorten(predicate)}` has {len(row)} values; it is declared "
                                     f"with {decl.arity} ({', '.join(decl.params)})")
                for value in row:
                    if isinstance(value, str) and len(value) > longest:
                        raise QueryError(
                            f"a value of `{shorten(predicate)}` has {len(value):,} characters, more than the "
                            f"limit `max_input_value_length` of {longest:,}; raise it with "
                            "`Limits(max_input_value_length=...)` if requests really need longer values")
                    encode(value)  # refuses what is no value of the rule language
                found.add(row)
            if found:
                checked[predicate] = frozenset(found)
        return checked

    # -- evaluating a request --------------------------------------------------------------------

    def evaluate(self, rows: InputRows) -> RequestModel:
        """The model of one request: its rows (checked, :meth:`check`) joined through the
        request-dependent rules over the engine's model."""
        checked = self.check(rows)
        if not checked:  # the engine's model is the model of a request without rows
            return RequestModel(self, {}, {}, {})
        with self._lock, paused():
            self._prepare()
            pyDatalog.Logic(self._logic)  # a copy: what this request stores dies with it
            return self._evaluate(checked)

    def prepare(self) -> None:
        """Do now what the first request would do (:meth:`_prepare`), so no request waits for it."""
        with self._lock, paused():
            self._prepare()

    def _prepare(self) -> None:
        """Once: store in our own Logic every relation the request-dependent rules read, as the
        engine evaluated it, and note what each of those rules derives from it."""
        if self._logic is not None:
            return
        engine = self.engine
        engine.materialise(self._reads | self._dependent)
        for p in self._dependent:
            self._base[p] = frozenset(tuple(map(encode, row)) for row in engine.model[p])
            self._stated[p] = frozenset(tuple(map(encode, row)) for row, step in engine.steps[p].items()
                                        if step == 0)
        pyDatalog.Logic()  # a fresh Logic, bound to this thread while we fill it
        for p in sorted(self._reads):
            name = self._names[p]
            rows = engine.model[p]
            for row in rows:
                _assert(name, tuple(map(encode, row)))
            self._base_sizes[name] = len(rows)
        logic = pyDatalog.Logic(True)
        pyDatalog.Logic(logic)  # the rules fire on a copy: the queries they leave die with it
        stats = Statistics(lambda p: engine.model[p])
        base_out = {id(rule): frozenset(self._fire(rule, stats, self._names, self._base_sizes))
                    for rules in self._rules.values() for rule in rules}
        self._base_out = base_out
        self._logic = logic

    def _evaluate(self, checked: Mapping[str, frozenset[tuple[Value, ...]]]) -> RequestModel:
        """Evaluate the rules that read a relation the request changes, in stratum order; a
        relation that comes out as the engine evaluated it stops the change there."""
        engine = self.engine
        sizes = dict(self._base_sizes)
        names = dict(self._names)
        changed: dict[str, set[Row]] = {}  # the relations this request changes, as tokens
        steps: dict[str, dict[Row, int]] = {}

        def rows_of(predicate: str) -> set[Row] | frozenset[tuple[Value, ...]]:
            found = changed.get(predicate)
            return found if found is not None else engine.model[predicate]

        def change(predicate: str, rows: set[Row], step: int) -> None:
            if rows == self._base[predicate]:
                return  # as the engine evaluated it: nothing after it changes through it
            changed[predicate] = rows
            stated = self._stated[predicate]
            steps[predicate] = {row: 0 if row in stated else step for row in rows}
            if predicate in self._reads:
                name = names[predicate] = self._changed_names[predicate]
                for row in rows:
                    _assert(name, row)
                sizes[name] = len(rows)

        for p in self._inputs:
            change(p, set(self._stated[p]) | {tuple(map(encode, row)) for row in checked.get(p, ())}, 0)
        stats = Statistics(rows_of)
        most = self._limits.max_rows_per_relation
        for i in self._strata:
            stratum = self._program.strata[i]
            step = (i + 1) * STRATUM_STEPS
            derived = {p: set(self._stated[p]) for p in stratum.predicates}
            for rule in self._rules[i]:
                if self._rule_reads[id(rule)].isdisjoint(changed):
                    derived[rule.predicate] |= self._base_out[id(rule)]  # what it derived for the engine
                else:
                    derived[rule.predicate] |= self._fire(rule, stats, names, sizes)
                if len(derived[rule.predicate]) > most:
                    raise too_many_rows(rule.clause, rule.predicate, most)
            for p, rows in derived.items():
                change(p, rows, step)
                stats.changed(p)
        relations = {p: frozenset(tuple(map(decode, row)) for row in rows) for p, rows in changed.items()}
        row_steps = {p: {tuple(map(decode, row)): s for row, s in found.items()}
                     for p, found in steps.items()}
        return RequestModel(self, dict(checked), relations, row_steps)

    def _fire(self, rule: Rule, stats: Statistics, names: Mapping[str, str],
              sizes: Mapping[str, int]) -> set[Row]:
        """The head rows a rule derives, reading each relation under ``names``; its join is
        bounded before pyDatalog runs."""
        order, estimate = stats.plan(rule.body.positives)
        if estimate > self._limits.max_rule_work:
            raise too_much_work(rule.clause, estimate, self._limits.max_rule_work)
        positives = [(names[p], args) for p, args in order]
        negations = [(names[p], args) for p, args in rule.body.negations]
        wanted = tuple(dict.fromkeys(t for t in rule.head if isinstance(t, Var)))
        rows = solve(positives, rule.body.comparisons, negations, wanted, sizes)
        head = [(wanted.index(t), "") if isinstance(t, Var) else (None, t) for t in rule.head]
        return {tuple(t if i is None else row[i] for i, t in head) for row in rows}

    # -- ad-hoc queries over a request's model ------------------------------------------------------

    def query(self, view: RequestModel, query: ast.Query,
              limits: QueryLimits | None = None) -> tuple[dict[str, Value], ...]:
        """Answer a conjunctive query over a request's model, bounded like :meth:`Engine.query`."""
        limits = limits or QueryLimits()
        if len(query.body) > self._limits.max_body_literals:
            raise QueryError(f"the query has {len(query.body):,} literals, more than the limit "
                             f"`max_body_literals` of {self._limits.max_body_literals:,}; split it")
        body = compile_body(query.body, self._program, QueryError)
        read = {p for p, _ in body.positives + body.negations}
        view.materialise(read)
        model = view.model
        order, bound = Statistics(model.__getitem__).plan(body.positives)
        if bound > limits.max_intermediate:
            raise QueryError(
                f"the query could build up to {bound:,} intermediate rows, more than the limit of "
                f"{limits.max_intermediate:,}; bind more variables to constants or join its atoms "
                "through shared variables")
        wanted_names = tuple(body.variables)
        wanted = tuple(body.variables[n] for n in wanted_names)
        with self._lock, paused():
            self._prepare()
            pyDatalog.Logic(self._logic)  # a copy: what the query stores dies with it
            sizes = dict(self._base_sizes)
            names = dict(self._names)
            for p in sorted(read):
                if p in self._reads and p not in view.evaluated:
                    continue  # stored once in our Logic as the engine evaluated it
                name = names[p] = self._changed_names[p]
                for row in model[p]:
                    _assert(name, tuple(map(encode, row)))
                sizes[name] = len(model[p])
            rows = solve([(names[p], a) for p, a in order], body.comparisons,
                          [(names[p], a) for p, a in body.negations], wanted, sizes)
        if len(rows) > limits.max_answers:
            raise QueryError(f"the query has {len(rows):,} answers, more than the limit of "
                             f"{limits.max_answers:,}; narrow it down")
        return tuple(dict(zip(wanted_names, map(decode, row), strict=True)) for row in sorted(rows))

    def stored(self) -> dict[str, int]:
        """What our own Logic holds: each pyDatalog name and its number of facts (for tests that
        check a request leaves it as it was)."""
        with self._lock:
            if self._logic is None:
                return {}
            db = getattr(self._logic, "Db", {})
            return {pred.name: len(pred.db) for pred in db.values()}


def _not_input(predicate: str, declared: bool, inputs: Sequence[str]) -> str:
    listed = ", ".join(f"`{shorten(p)}`" for p in inputs[:10]) or "none"
    if declared:
        return (f"`{shorten(predicate)}` is not an input relation, so a request cannot fill it; "
                f"the policy's input relations are: {listed}")
    return f"`{shorten(predicate)}` is not declared; the policy's input relations are: {listed}"


__all__ = ["InputRows", "RequestEvaluator", "RequestModel"]
