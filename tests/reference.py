"""An independent reference evaluator of the rule language, for differential tests.

Deliberately simple and slow, and sharing no code with ``kdv_policy.engine.evaluation``,
``kdv_policy.language.program`` or ``kdv_policy.policy.explain``: it reads the AST, computes its own
stratification, and evaluates naively, stratum by stratum, re-firing every rule of a stratum
over the whole model until nothing changes. The semantics it implements is the one of
docs/rule-language.md:

* values are ``str``, ``int`` and ``datetime.date``; two values are equal when they have the
  same type and value (``1`` is not ``"1"``);
* comparisons compare by value within a type, and across types ``int < date < str``;
* every ``_`` is a fresh variable; under ``not`` it means "any value";
* ``not p(...)`` holds when no row of ``p`` matches, and is only read once ``p`` is complete
  (``p`` lies in a lower stratum);
* a fact is a rule with an empty body.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence

from kdv_policy.language.syntax import Atom, Clause, Comparison, Constant, Negation, Variable

Row = tuple
Model = dict[str, set[Row]]

_RANK = {int: 0, datetime.date: 1, str: 2}
_OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}


class Unstratifiable(Exception):
    """The program has a predicate that depends on its own negation."""


def key(value) -> tuple:
    """The language's order: int < date < str, natural order within a type."""
    if type(value) not in _RANK:
        raise TypeError(f"{value!r} is not a value of the rule language")
    return (_RANK[type(value)], value)


def same(a, b) -> bool:
    return type(a) is type(b) and a == b


def compare(op: str, a, b) -> bool:
    return _OPS[op](key(a), key(b))


# -- stratification ------------------------------------------------------------------------------


def strata(predicates: Iterable[str], clauses: Sequence[Clause]) -> list[set[str]]:
    """Predicates grouped by stratum number, lowest first; raises :class:`Unstratifiable`.

    The stratum of a head is at least that of every positive body predicate and above that of
    every negated one; iterate until stable (more than len(predicates) means a negative cycle).
    """
    names = set(predicates)
    for c in clauses:
        names.add(c.head.predicate)
        for lit in c.body:
            if isinstance(lit, Atom):
                names.add(lit.predicate)
            elif isinstance(lit, Negation):
                names.add(lit.atom.predicate)
    level = dict.fromkeys(names, 0)
    changed = True
    while changed:
        changed = False
        for c in clauses:
            h = c.head.predicate
            for lit in c.body:
                if isinstance(lit, Atom):
                    need = level[lit.predicate]
                elif isinstance(lit, Negation):
                    need = level[lit.atom.predicate] + 1
                else:
                    continue
                if level[h] < need:
                    level[h] = need
                    changed = True
                    if need > len(names):
                        raise Unstratifiable(h)
    out: list[set[str]] = [set() for _ in range(max(level.values(), default=-1) + 1)]
    for p, n in level.items():
        out[n].add(p)
    return out


def is_stratifiable(predicates: Iterable[str], clauses: Sequence[Clause]) -> bool:
    try:
        strata(predicates, clauses)
    except Unstratifiable:
        return False
    return True


def is_safe(clause: Clause) -> bool:
    """Range restriction: head, negated and compared variables occur in a positive body atom;
    no `_` in a head or a comparison."""
    bound = {t.name for lit in clause.body if isinstance(lit, Atom) for t in lit.args
             if isinstance(t, Variable)}
    for t in clause.head.args:
        if isinstance(t, Variable) and (t.name == "_" or t.name not in bound):
            return False
    for lit in clause.body:
        if isinstance(lit, Negation):
            if any(isinstance(t, Variable) and t.name != "_" and t.name not in bound for t in lit.atom.args):
                return False
        elif isinstance(lit, Comparison):
            for t in (lit.left, lit.right):
                if isinstance(t, Variable) and (t.name == "_" or t.name not in bound):
                    return False
    return True


# -- evaluation ------------------------------------------------------------------------------------


def _unify(atom: Atom, row: Row, env: Mapping[str, object]) -> dict[str, object] | None:
    if len(atom.args) != len(row):
        return None
    out = dict(env)
    for t, v in zip(atom.args, row, strict=True):
        if isinstance(t, Constant):
            if not same(t.value, v):
                return None
        elif t.name == "_":
            continue
        elif t.name in out:
            if not same(out[t.name], v):
                return None
        else:
            out[t.name] = v
    return out


def _term(t, env: Mapping[str, object]):
    return t.value if isinstance(t, Constant) else env[t.name]


def solve(body: Sequence, model: Mapping[str, set[Row]]) -> Iterator[dict[str, object]]:
    """Every binding of the body's variables that satisfies it over ``model``.

    Positive atoms are joined in the order written; negations and comparisons are tested
    once every positive atom is matched (safety guarantees their variables are bound then).
    """
    positives = [lit for lit in body if isinstance(lit, Atom)]
    tests = [lit for lit in body if not isinstance(lit, Atom)]

    def go(i: int, env: dict[str, object]) -> Iterator[dict[str, object]]:
        if i < len(positives):
            atom = positives[i]
            for row in list(model.get(atom.predicate, ())):
                found = _unify(atom, row, env)
                if found is not None:
                    yield from go(i + 1, found)
            return
        for lit in tests:
            if isinstance(lit, Negation):
                if any(_unify(lit.atom, row, env) is not None for row in model.get(lit.atom.predicate, ())):
                    return
            elif not compare(lit.op, _term(lit.left, env), _term(lit.right, env)):
                return
        yield env

    yield from go(0, {})


def evaluate(
    declarations: Mapping[str, int],
    clauses: Sequence[Clause],
    facts: Mapping[str, Iterable[Row]] | None = None,
) -> Model:
    """The model of a program: ``declarations`` maps each predicate to its arity; ``facts`` adds
    rows (like the engine's data facts). Raises :class:`Unstratifiable`."""
    model: Model = {p: set() for p in declarations}
    for predicate, rows in (facts or {}).items():
        model.setdefault(predicate, set()).update(tuple(r) for r in rows)
    for level in strata(declarations, clauses):
        rules = [c for c in clauses if c.head.predicate in level]
        while True:
            new = set()
            for rule in rules:
                for env in solve(rule.body, model):
                    row = tuple(_term(t, env) for t in rule.head.args)
                    if row not in model.setdefault(rule.head.predicate, set()):
                        new.add((rule.head.predicate, row))
            if not new:
                break
            for predicate, row in new:
                model[predicate].add(row)
    return model


def answer(body: Sequence, model: Mapping[str, set[Row]]) -> set[tuple[tuple[str, object], ...]]:
    """A query's answers: the distinct bindings of its named variables (not `_`), as sorted items."""
    names = sorted({t.name for lit in body for t in _terms(lit) if isinstance(t, Variable) and t.name != "_"})
    return {tuple((n, env[n]) for n in names) for env in solve(body, model)}


def _terms(lit) -> tuple:
    if isinstance(lit, Atom):
        return lit.args
    if isinstance(lit, Negation):
        return lit.atom.args
    return (lit.left, lit.right)


def reference_model(program) -> Model:
    """The model of a checked ``kdv_policy.program.Program`` (only its declarations and clauses
    are read; its strata are not used)."""
    arities = {p: d.arity for p, d in program.declarations.items()}
    return evaluate(arities, program.clauses)
