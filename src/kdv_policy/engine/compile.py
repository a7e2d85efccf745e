"""Rule and query bodies in the form the engine evaluates: variables renamed, constants encoded,
literals split by kind.

pyDatalog reads a negation or comparison placed before the atoms that bind its variables as
"no tuple at all" (D7): a body is kept as positive atoms, then comparisons, then negations,
and a variable that no positive atom binds is an error. Arithmetic in a head derives nothing
in pyDatalog (D8): a head is kept as terms and built in Python from the body's bindings.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from kdv_policy.engine.encoding import encode
from kdv_policy.engine.refusals import too_many_literals
from kdv_policy.errors import EngineError, PolicyError
from kdv_policy.language import syntax as ast
from kdv_policy.language.program import Program
from kdv_policy.language.syntax import Atom, Comparison, Constant, Negation, Variable

PYD_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class Var:
    """A body variable under an internal name, V0, V1, ...: never a user's name
    (`_` would be one shared variable)."""

    name: str


Term = Var | str  # a variable or a token
Args = tuple[Term, ...]
Row = tuple[str, ...]  # a row of tokens


@dataclass(frozen=True)
class Body:
    """A body split by kind, ready for pyDatalog."""

    positives: tuple[tuple[str, Args], ...]  # (predicate, args)
    comparisons: tuple[tuple[str, Term, Term], ...]  # (pyDatalog operator, left, right)
    negations: tuple[tuple[str, Args], ...]
    variables: dict[str, Var]  # user variable name (not `_`) -> internal variable, in order of appearance


@dataclass(frozen=True)
class Rule:
    """A compiled rule and the clause it came from (its ``@id`` and span name it in errors)."""

    predicate: str
    head: Args
    body: Body
    clause: ast.Clause = field(compare=False, repr=False)


def compile_body(literals: Sequence[ast.Literal], program: Program, error: type[PolicyError]) -> Body:
    """Rename variables, encode constants and split the body by kind (D7), checking as we go."""
    variables: dict[str, Var] = {}
    fresh = itertools.count()

    def term(t: ast.Term) -> Term:
        if isinstance(t, Constant):
            return encode(t.value)
        if t.name == "_":  # every `_` is a variable of its own
            return Var(f"V{next(fresh)}")
        if t.name not in variables:
            variables[t.name] = Var(f"V{next(fresh)}")
        return variables[t.name]

    def atom(a: Atom) -> tuple[str, Args]:
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
            comparisons.append((PYD_OPS[lit.op], term(lit.left), term(lit.right)))
    negations = tuple(atom(lit.atom) for lit in literals if isinstance(lit, Negation))
    unbound = [name for name in variables if name not in bound]
    if unbound:
        raise error(f"variable `{unbound[0]}` is used in a negation or comparison "
                    "but no positive atom binds it")
    return Body(positives, tuple(comparisons), negations, variables)


def compile_rule(clause: ast.Clause, program: Program, max_body_literals: int) -> Rule:
    """A rule ready to evaluate; a body longer than ``max_body_literals`` is refused before
    anything is built (pyDatalog's cost of one body grows with the square of its length)."""
    if len(clause.body) > max_body_literals:
        raise too_many_literals(clause, max_body_literals)
    decl = program.declarations.get(clause.head.predicate)
    if decl is None or decl.arity != clause.head.arity:
        raise EngineError(f"rule head `{clause.head.signature}` is not declared")
    body = compile_body(clause.body, program, EngineError)
    head: list[Term] = []
    for t in clause.head.args:
        if isinstance(t, Constant):
            head.append(encode(t.value))
        elif t.name in body.variables:
            head.append(body.variables[t.name])
        else:
            raise EngineError(f"head variable `{t.name}` of a `{clause.head.predicate}` rule is not bound")
    return Rule(clause.head.predicate, tuple(head), body, clause)
