"""AST → text in the canonical layout; ``parse_program(print_module(m))`` equals ``m``."""

from __future__ import annotations

import datetime
import re

from kdv_policy.errors import expect
from kdv_policy.language.syntax import (
    Annotation,
    Atom,
    Clause,
    Comparison,
    Declaration,
    Interpretation,
    Item,
    Literal,
    Module,
    Negation,
    Query,
    Term,
    Value,
    Variable,
)

_BARE_NAME = re.compile(r"[^\W\d_]\w*\Z")


def format_value(value: Value) -> str:
    """A constant as it is written in rule text: bare atom, quoted string, integer or date."""
    if isinstance(value, bool):
        raise TypeError("booleans are not values of the rule language")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if _BARE_NAME.match(value) and value[0].islower():
        return value
    return _quoted(value)


def format_term(term: Term) -> str:
    if isinstance(term, Variable):
        return term.name
    return format_value(term.value)


def format_atom(atom: Atom) -> str:
    if not atom.args:
        return atom.predicate
    return f"{atom.predicate}({', '.join(format_term(t) for t in atom.args)})"


def format_literal(lit: Literal) -> str:
    if isinstance(lit, Atom):
        return format_atom(lit)
    if isinstance(lit, Negation):
        return f"not {format_atom(lit.atom)}"
    if isinstance(lit, Comparison):
        return f"{format_term(lit.left)} {lit.op} {format_term(lit.right)}"
    raise TypeError(f"not a literal: {lit!r}")


def format_annotation(ann: Annotation) -> str:
    """An annotation; a text argument (``@source``, ``@structure``, ``@de``, ``@en``,
    ``@rationale``) is always quoted, even where it could be bare."""
    if not ann.args:
        return f"@{ann.name}"
    quoted = ann.name in QUOTED_ANNOTATIONS
    args = [_quoted(a.value) if quoted and isinstance(a.value, str) else format_term(a) for a in ann.args]
    return f"@{ann.name}({', '.join(args)})"


QUOTED_ANNOTATIONS = frozenset({"source", "structure", "de", "en", "rationale"})
"""Annotations whose text argument is always printed quoted, even where it could be bare."""


def _quoted(text: str) -> str:
    """Text in double quotes, with the escapes of the rule language."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _doc_lines(doc: str | None) -> list[str]:
    return [f"%% {line}".rstrip() for line in doc.split("\n")] if doc is not None else []


def format_clause(clause: Clause) -> str:
    lines = _doc_lines(clause.doc) + [format_annotation(a) for a in clause.annotations]
    head = format_atom(clause.head)
    if clause.is_fact:
        lines.append(f"{head}.")
    else:
        lines.append(f"{head} :- {', '.join(format_literal(lit) for lit in clause.body)}.")
    return "\n".join(lines)


def format_declaration(decl: Declaration) -> str:
    lines = _doc_lines(decl.doc) + [format_annotation(a) for a in decl.annotations]
    lines.append(f"{decl.keyword} {decl.predicate}({', '.join(decl.params)})")
    return "\n".join(lines)


def format_interpretation(interp: Interpretation) -> str:
    lines = _doc_lines(interp.doc) + [format_annotation(a) for a in interp.annotations]
    lines.append(f".interpretation {interp.name}.")
    return "\n".join(lines)


def format_item(item: Item) -> str:
    """A declaration, interpretation or clause in canonical layout."""
    if isinstance(item, Declaration):
        return format_declaration(item)
    if isinstance(item, Interpretation):
        return format_interpretation(item)
    return format_clause(item)


def format_module(module: Module) -> str:
    """The whole file in canonical layout (comments other than doc comments are not kept)."""
    expect(module, Module, "the module")
    parts = [format_item(item) for item in module.items]
    return "\n".join(parts) + ("\n" if parts else "")


def format_query(query: Query) -> str:
    """A query as text (``member(B, R), not chair(B, R)``)."""
    expect(query, Query, "the query")
    return ", ".join(format_literal(lit) for lit in query.body)


__all__ = [
    "format_atom",
    "format_clause",
    "format_declaration",
    "format_interpretation",
    "format_item",
    "format_literal",
    "format_module",
    "format_query",
    "format_term",
    "format_value",
]
