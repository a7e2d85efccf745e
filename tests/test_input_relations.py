"""Input relations in the rule language: `.input` declarations, parsed with their spans, printed
and formatted back, and checked: an input relation is filled by a request only, the predicates
that depend on one are the request-dependent ones, and none of them may be recursive."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from kdv_policy.errors import PolicySyntaxError
from kdv_policy.language import lexer
from kdv_policy.language.checker import analyse
from kdv_policy.language.formatter import format_source
from kdv_policy.language.parser import parse_program
from kdv_policy.language.printer import format_module
from kdv_policy.language.program import Program
from kdv_policy.language.source import Source
from kdv_policy.language.syntax import Declaration, Module

PROGRAM = """\
%% A property of a subject, from the request.
.input subject_property(subject, key, value)
.input soft(action)
.decl user(u)
.decl admin(u)
.decl plain(u)
.decl may(u, action)
.decl audit(u)

@id(u1) @source("x")
user(alice).
@id(a1) @source("x")
admin(U) :- user(U), subject_property(U, role, admin).
@id(p1) @source("x")
plain(U) :- user(U), not admin(U).
@id(m1) @source("x")
may(U, delete) :- admin(U), soft(delete).
@id(m2) @source("x")
may(U, read) :- plain(U).
@id(au) @source("x")
audit(U) :- user(U).
"""


def program(text: str) -> Program:
    result = analyse([parse_program(text, "p.dl")], {"p.dl": Source("p.dl", text)})
    assert result.program is not None, "\n".join(d.render() for d in result.diagnostics)
    return result.program


def diagnostics(text: str) -> list[tuple[str, int, int, str]]:
    result = analyse([parse_program(text, "p.dl")], {"p.dl": Source("p.dl", text)})
    return [(d.code, d.span.line, d.span.col, d.message) for d in result.diagnostics if d.span]


# -- syntax --------------------------------------------------------------------------------------------


def test_an_input_declaration_parses_with_its_doc_and_span() -> None:
    module = parse_program(PROGRAM, "p.dl")
    decl = module.items[0]
    assert isinstance(decl, Declaration)
    assert (decl.predicate, decl.params, decl.input, decl.keyword) == (
        "subject_property", ("subject", "key", "value"), True, ".input")
    assert decl.doc == "A property of a subject, from the request."
    assert decl.span is not None and (decl.span.line, decl.span.col) == (2, 1)
    assert (decl.span.end_line, decl.span.end_col) == (2, 45)
    plain = module.items[3]
    assert isinstance(plain, Declaration) and not plain.input and plain.keyword == ".decl"


def test_input_is_part_of_a_declaration_s_identity() -> None:
    assert Declaration("p", ("x",), input=True) != Declaration("p", ("x",))


def test_the_lexer_reads_input_as_a_keyword_only_right_after_a_dot() -> None:
    kinds = [(t.kind, t.text) for t in lexer.tokenize(Source("t", ".input p(x) input(a)."))]
    assert kinds[0] == (lexer.INPUT, ".input")
    assert (lexer.NAME, "input") in kinds  # a predicate may still be called `input`
    assert parse_program("input(a).\n.decl input(x)\n", "t").items[0].head.predicate == "input"


def test_a_fact_before_an_input_declaration_keeps_its_period() -> None:
    module = parse_program(".decl p(x)\np(a).\n.input q(x)\n", "t")
    assert [type(i).__name__ for i in module.items] == ["Declaration", "Clause", "Declaration"]
    assert module.items[2].input


def test_an_input_declaration_without_a_name_is_a_syntax_error() -> None:
    with pytest.raises(PolicySyntaxError) as info:
        parse_program(".input (x)\n", "t.dl")
    d = info.value.diagnostics[0]
    assert d.message == "expected a predicate name after `.input`, found `(`"
    assert d.help == "predicate names start with a lowercase letter, e.g. `.input member(body, role)`"
    assert (d.span.line, d.span.col) == (1, 8)


def test_a_syntax_error_resumes_at_the_next_input_declaration() -> None:
    with pytest.raises(PolicySyntaxError) as info:
        parse_program(".decl p(x)\np(a) q\n.input r(x)\nr(\n", "t.dl")
    assert [d.span.line for d in info.value.diagnostics] == [2, 4]


def test_print_and_format_keep_input_declarations() -> None:
    module = parse_program(PROGRAM, "p.dl")
    printed = format_module(module)
    assert ".input subject_property(subject, key, value)\n" in printed
    assert parse_program(printed, "p.dl") == module
    formatted = format_source(PROGRAM, "p.dl")
    assert ".input soft(action)\n" in formatted
    assert parse_program(formatted, "p.dl") == module


def _with_inputs(items: tuple[object, ...], flags: list[bool]) -> tuple[object, ...]:
    flags = flags + [False] * len(items)
    return tuple(dataclasses.replace(item, input=flag) if isinstance(item, Declaration) else item
                 for item, flag in zip(items, flags, strict=False))


@settings(max_examples=200, deadline=None)
@given(strategies.items, st.lists(st.booleans(), max_size=6))
def test_printing_and_parsing_back_is_the_identity_with_input_declarations(items, flags) -> None:
    module = Module("<test>", _with_inputs(items, flags))
    assert parse_program(format_module(module), "<test>") == module


# -- checking ------------------------------------------------------------------------------------------


def test_the_checker_finds_the_inputs_and_the_request_dependent_predicates() -> None:
    p = program(PROGRAM)
    assert p.inputs == {"subject_property", "soft"}
    # through positive atoms and through `not`
    assert p.request_dependent == {"subject_property", "soft", "admin", "plain", "may"}
    names = [p.strata[i].predicates for i in p.request_strata]
    assert names == [("admin",), ("plain",), ("may",)]
    # evaluated once: neither user nor audit depends on a request
    assert not {"user", "audit"} & p.request_dependent


def test_the_request_dependent_predicates_survive_adopting_interpretations() -> None:
    p = program(PROGRAM)
    assert p.adopting(()).request_dependent == p.request_dependent


def test_a_policy_without_inputs_has_no_request_dependent_predicates() -> None:
    p = program(".decl p(x)\n@id(a) @source(\"x\")\np(a).\n")
    assert p.inputs == frozenset() and p.request_dependent == frozenset() and p.request_strata == ()


def test_no_fact_or_rule_may_state_an_input_relation() -> None:
    text = """\
.input role(u, r)
.decl user(u)
@id(u1) @source("x")
user(alice).
@id(r1) @source("x")
role(alice, admin).
@id(r2) @source("x")
role(U, reader) :- user(U).
"""
    found = [d for d in diagnostics(text) if d[0] == "input-defined"]
    assert found == [
        ("input-defined", 6, 1, "`role` is an input relation, so no fact of the policy may state it"),
        ("input-defined", 8, 1, "`role` is an input relation, so no rule of the policy may state it"),
    ]
    result = analyse([parse_program(text, "p.dl")])
    assert result.program is None
    help = next(d.help for d in result.diagnostics if d.code == "input-defined")
    assert help.startswith("a request fills `role`; to state its rows in the policy, declare it with `.decl`")


def test_a_predicate_that_depends_on_an_input_cannot_be_recursive() -> None:
    text = """\
.input edge(a, b)
.decl reach(a, b)
@id(r1) @source("x")
reach(X, Y) :- edge(X, Y).
@id(r2) @source("x")
reach(X, Z) :- reach(X, Y), edge(Y, Z).
"""
    assert diagnostics(text) == [
        ("recursive-input", 6, 16, "`reach` depends on an input relation and is recursive")]


def test_mutual_recursion_through_an_input_dependent_predicate_is_refused_once() -> None:
    text = """\
.input seed(x)
.decl a(x)
.decl b(x)
@id(r1) @source("x")
a(X) :- seed(X).
@id(r2) @source("x")
a(X) :- b(X).
@id(r3) @source("x")
b(X) :- a(X).
"""
    assert [d[:3] for d in diagnostics(text)] == [("recursive-input", 7, 9)]


def test_recursion_below_the_input_relations_is_allowed() -> None:
    text = """\
.decl edge(a, b)
.decl reach(a, b)
.input start(a)
.decl reachable(b)
@id(e1) @source("x")
edge(1, 2).
@id(r1) @source("x")
reach(X, Y) :- edge(X, Y).
@id(r2) @source("x")
reach(X, Z) :- reach(X, Y), edge(Y, Z).
@id(s1) @source("x")
reachable(Y) :- start(X), reach(X, Y).
"""
    p = program(text)
    assert p.request_dependent == {"start", "reachable"}


def test_negation_of_a_request_dependent_predicate_is_allowed() -> None:
    # evaluated anew per request, so a request may take rows away as well as add them
    p = program(PROGRAM)
    assert "plain" in p.request_dependent


def test_an_unused_input_relation_is_reported_like_any_unused_predicate() -> None:
    text = ".input context(key, value)\n.decl p(x)\n@id(a) @source(\"x\")\np(a).\n"
    assert [d[:3] for d in diagnostics(text)] == [("unused-predicate", 1, 1)]


def test_an_input_relation_used_only_under_not_still_makes_its_readers_request_dependent() -> None:
    text = """\
.input blocked(u)
.decl user(u)
.decl ok(u)
@id(u1) @source("x")
user(alice).
@id(o1) @source("x")
ok(U) :- user(U), not blocked(U).
"""
    assert program(text).request_dependent == {"blocked", "ok"}
