"""The abstract syntax of the rule language.

Grammar (``docs/rule-language.md`` has the full reference)::

    program     ::= item*
    item        ::= annotation* (declaration | interpretation | clause)
    annotation  ::= "@" NAME ( "(" constant ("," constant)* ")" )?
    declaration ::= (".decl" | ".input") NAME "(" NAME ("," NAME)* ")"  -- doc: "%%" lines above it
    interpretation ::= ".interpretation" NAME "."              -- @de, @en, @rationale above it
    clause      ::= atom ( ":-" literal ("," literal)* )? "."
    literal     ::= atom | "not" atom | term CMP term
    atom        ::= NAME ( "(" term ("," term)* ")" )?
    term        ::= VARIABLE | "_" | constant
    constant    ::= NAME | STRING | INTEGER | DATE
    CMP         ::= "=" | "!=" | "<" | "<=" | ">" | ">="
    query       ::= literal ("," literal)* "."?

An ``.input`` declaration declares an *input relation*: a relation no fact or rule of the
policy fills, empty when the policy is evaluated, and filled by each request
(:attr:`Declaration.input`; ``Policy.with_input``).

Every fact and rule has one *basis* (see :attr:`Clause.basis`): the text (``@source``), the
structure of the policy (``@structure("...")``) or a named interpretation
(``@interpretation(id)``, declared by an :class:`Interpretation`).

Every node is a frozen dataclass. The ``span`` field of a node records where
it was written and is excluded from equality and hashing, so a program printed
and parsed back compares equal to the original.

Constants are plain Python values: ``str`` for atoms and quoted strings alike
(``foo`` and ``"foo"`` are the same constant), ``int`` for integers and
``datetime.date`` for ISO dates.
"""

from __future__ import annotations

import datetime
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from kdv_policy.language.source import Span

Value = str | int | datetime.date
"""A constant's value: a symbol/string, an integer or a date."""

COMPARISON_OPS = ("=", "!=", "<", "<=", ">", ">=")



Basis = typing.Literal["text", "structure", "interpretation"]
"""What a fact or rule rests on: the text it cites, the structure of the policy, or an interpretation."""

@dataclass(frozen=True, slots=True)
class Constant:
    value: Value
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable; names starting with ``_`` are anonymous (never reported unused)."""

    name: str
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def is_anonymous(self) -> bool:
        return self.name.startswith("_")


Term = Constant | Variable


@dataclass(frozen=True, slots=True)
class Atom:
    predicate: str
    args: tuple[Term, ...]
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def arity(self) -> int:
        return len(self.args)

    @property
    def signature(self) -> str:
        return f"{self.predicate}/{len(self.args)}"


@dataclass(frozen=True, slots=True)
class Negation:
    atom: Atom
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str
    left: Term
    right: Term
    span: Span | None = field(default=None, compare=False, repr=False)


Literal = Atom | Negation | Comparison


@dataclass(frozen=True, slots=True)
class Annotation:
    """``@name(args)`` above a clause or declaration, e.g. ``@id(rr_strategie)``."""

    name: str
    args: tuple[Constant, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Declaration:
    """``.decl name(param, ...)``: a predicate's arity and argument names.

    ``input`` marks an input relation, declared ``.input name(param, ...)``: a request fills it
    (the policy itself states no fact of it and no rule derives it).
    """

    predicate: str
    params: tuple[str, ...]
    doc: str | None = None
    annotations: tuple[Annotation, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)
    input: bool = False

    @property
    def keyword(self) -> str:
        """``.input`` for an input relation, else ``.decl``."""
        return ".input" if self.input else ".decl"

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def signature(self) -> str:
        return f"{self.predicate}/{len(self.params)}"


@dataclass(frozen=True, slots=True)
class Clause:
    """A fact (empty body) or a rule ``head :- body``."""

    head: Atom
    body: tuple[Literal, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    doc: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def is_fact(self) -> bool:
        return not self.body

    def annotation(self, name: str) -> Annotation | None:
        for ann in self.annotations:
            if ann.name == name:
                return ann
        return None

    @property
    def id(self) -> str | None:
        ann = self.annotation("id")
        return str(ann.args[0].value) if ann and ann.args else None

    @property
    def citation(self) -> str | None:
        """The first ``@source`` quote, or None."""
        ann = self.annotation("source")
        return str(ann.args[0].value) if ann and ann.args else None

    @property
    def citations(self) -> tuple[str, ...]:
        """Every ``@source`` quote, in order (a close reading cites each sentence it rests on)."""
        return tuple(str(a.args[0].value) for a in self.annotations if a.name == "source" and a.args)

    @property
    def structure(self) -> str | None:
        """The ``@structure("...")`` note of a structural rule, or None."""
        ann = self.annotation("structure")
        return str(ann.args[0].value) if ann and ann.args else None

    @property
    def interpretation(self) -> str | None:
        """The id of the interpretation the clause belongs to (``@interpretation(id)``), or None."""
        ann = self.annotation("interpretation")
        return str(ann.args[0].value) if ann and ann.args else None

    @property
    def basis(self) -> Basis | None:
        """``"interpretation"``, ``"structure"``, ``"text"`` or None (no basis given)."""
        if self.interpretation is not None:
            return "interpretation"
        if self.structure is not None:
            return "structure"
        if self.citation is not None:
            return "text"
        return None


@dataclass(frozen=True, slots=True)
class Interpretation:
    """``.interpretation name.``: a named reading the text does not state.

    Its annotations give a one-line description in German (``@de``) and English (``@en``) and
    the reason for the reading (``@rationale``); the facts and rules marked
    ``@interpretation(name)`` belong to it.
    """

    name: str
    doc: str | None = None
    annotations: tuple[Annotation, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)

    def text(self, name: str) -> str | None:
        """The argument of the annotation ``name`` (``de``, ``en``, ``rationale``), or None."""
        for ann in self.annotations:
            if ann.name == name and ann.args:
                return str(ann.args[0].value)
        return None


Item = Declaration | Interpretation | Clause


@dataclass(frozen=True, slots=True)
class Module:
    """The items of one rule file, in order."""

    path: str
    items: tuple[Item, ...]

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return tuple(i for i in self.items if isinstance(i, Declaration))

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(i for i in self.items if isinstance(i, Clause))

    @property
    def interpretations(self) -> tuple[Interpretation, ...]:
        return tuple(i for i in self.items if isinstance(i, Interpretation))


@dataclass(frozen=True, slots=True)
class Query:
    """An ad-hoc conjunctive query, e.g. ``member(steuerungsausschuss, X)``."""

    body: tuple[Literal, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


def literal_atom(lit: Literal) -> Atom | None:
    """The atom a literal names, or None for a comparison."""
    if isinstance(lit, Atom):
        return lit
    if isinstance(lit, Negation):
        return lit.atom
    return None


def ground_values(atom: Atom) -> tuple[Value, ...]:
    """The values of a ground atom's arguments (for an atom the caller knows is ground: each
    argument a :class:`Constant`)."""
    return tuple(cast(Constant, t).value for t in atom.args)


def term_variables(terms: Iterable[Term]) -> list[Variable]:
    return [t for t in terms if isinstance(t, Variable)]


def literal_variables(lit: Literal) -> list[Variable]:
    if isinstance(lit, Comparison):
        return term_variables((lit.left, lit.right))
    atom = literal_atom(lit)
    return term_variables(atom.args) if atom else []
